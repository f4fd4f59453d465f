"""tracegrad: a scalar autograd engine you can watch.

The engine is ``tracegrad.autograd`` and the networks are ``tracegrad.nn``; the everyday names
are here too:

>>> from tracegrad import Value
>>> a, b = Value(2.0, label="a"), Value(-3.0, label="b")
>>> L = a * b + a
>>> L.backward()
>>> a.grad, b.grad
(-2.0, 2.0)
"""

from importlib.metadata import PackageNotFoundError
from importlib.metadata import version as _version

from tracegrad import autograd, nn
from tracegrad.autograd import (
    Value,
    backward_page,
    backward_steps,
    backward_table,
    compile,
    draw,
    draw_dot,
    explain,
    grad,
    gradcheck,
    gradient_path,
    parse_expression,
    render_svg,
    save_graph,
    save_html,
    step_through,
    trace,
    zero_grad,
)


def __getattr__(name: str) -> object:
    """``tracegrad.practice`` is imported when first used (it brings in the checker)."""
    if name == "practice":
        from tracegrad.practice_loop import practice

        return practice
    raise AttributeError(f"module 'tracegrad' has no attribute {name!r}")


try:
    __version__ = _version("tracegrad")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0+unknown"

__all__ = [
    "Value",
    "autograd",
    "nn",
    "backward_page",
    "backward_steps",
    "backward_table",
    "compile",
    "draw",
    "draw_dot",
    "explain",
    "gradcheck",
    "gradient_path",
    "grad",
    "parse_expression",
    "practice",
    "render_svg",
    "save_graph",
    "save_html",
    "step_through",
    "trace",
    "zero_grad",
    "__version__",
]

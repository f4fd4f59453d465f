"""tracegrad: a scalar autograd engine you can watch.

>>> from tracegrad import Value
>>> a, b = Value(2.0, label="a"), Value(-3.0, label="b")
>>> L = a * b + a
>>> L.backward()
>>> a.grad, b.grad
(-2.0, 2.0)

What a learner reaches for: ``Value`` (numbers that remember how they were computed) and
``backward()``; ``draw(L)`` to see the graph; ``explain(L, wrt=a)`` for the chain rule written
out; ``step_through(L)`` and ``backward_page(L)`` to walk the backward pass step by step;
``practice(L)`` to work it yourself, checked as you go. The engine is ``tracegrad.autograd``
and the networks are ``tracegrad.nn``; the homework checker is ``tracegrad.checker``.
"""

from __future__ import annotations

import importlib.util
import os
import sys
from typing import TYPE_CHECKING


def _interrupted_while_starting(kind: type[BaseException], exc: BaseException, tb: object) -> None:
    """Ctrl-C while the command starts: most of its first tenth of a second is importing this
    package, before ``tracegrad.cli.main`` can catch it. One line, not a traceback."""
    if issubclass(kind, KeyboardInterrupt) and "--debug" not in sys.argv:
        sys.stderr.write("tracegrad: error: interrupted\n")
        return
    sys.__excepthook__(kind, exc, tb)  # type: ignore[arg-type]


# Only for the `tracegrad` command and `python -m tracegrad` (argv[0] is "-m" while the module
# is found); a program that imports tracegrad keeps Python's own handling.
_LAUNCHED_AS = os.path.basename(sys.argv[0] if sys.argv else "")
if _LAUNCHED_AS in ("tracegrad", "tracegrad.exe", "-m") and sys.excepthook is sys.__excepthook__:
    sys.excepthook = _interrupted_while_starting

# In a source checkout the engine is ../autograd, not ./autograd (pyproject.toml's package-dir
# maps autograd/, nn/ and examples/ into tracegrad when installed). An editable install finds
# them by that map; Python started in the checkout with a wheel installed (`python -c "import
# tracegrad"` in the repository root) reads this folder instead of the installed package and
# nothing maps the rest, so the checkout's folders are searched too: the checkout then works
# as the package it is.
_HERE = os.path.dirname(os.path.abspath(__file__))
_CHECKOUT = os.path.dirname(_HERE)
if (
    not os.path.isdir(os.path.join(_HERE, "autograd"))
    and os.path.isfile(os.path.join(_CHECKOUT, "autograd", "value.py"))
    and importlib.util.find_spec(f"{__name__}.autograd") is None
):
    __path__.append(_CHECKOUT)  # tracegrad.autograd is ../autograd, tracegrad.nn ../nn

# ``Value`` comes with the package; every other name is imported on first use (PEP 562:
# ``_LAZY``), so ``import tracegrad`` costs no more than the engine (docs/architecture.md,
# "Imports on first use").
from tracegrad import autograd  # noqa: E402
from tracegrad.autograd import lazy_attribute  # noqa: E402
from tracegrad.autograd.value import Value  # noqa: E402

if TYPE_CHECKING:  # the names of _LAZY, for type checkers
    from tracegrad import nn
    from tracegrad.autograd import (
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
    )
    from tracegrad.autograd.graph import zero_grad
    from tracegrad.practising.loop import practice

# The one place the version is written: pyproject.toml reads it from here (setuptools'
# dynamic version), so `tracegrad --version`, the wheel and the docs agree without a lookup.
__version__ = "0.1.0"
"""tracegrad's version (what `tracegrad --version` prints and the wheel is called)."""

_AUTOGRAD = "tracegrad.autograd"
# name -> the module that defines it (a sub-package: itself), imported when first used;
# tracegrad.autograd's own table then says where each of its names lives
_LAZY: dict[str, str] = {
    "nn": "tracegrad.nn",
    "backward_page": _AUTOGRAD,
    "backward_steps": _AUTOGRAD,
    "backward_table": _AUTOGRAD,
    "compile": _AUTOGRAD,
    "draw": _AUTOGRAD,
    "draw_dot": _AUTOGRAD,
    "explain": _AUTOGRAD,
    "grad": _AUTOGRAD,
    "gradcheck": _AUTOGRAD,
    "gradient_path": _AUTOGRAD,
    "parse_expression": _AUTOGRAD,
    "render_svg": _AUTOGRAD,
    "save_graph": _AUTOGRAD,
    "save_html": _AUTOGRAD,
    "step_through": _AUTOGRAD,
    "trace": _AUTOGRAD,
    "zero_grad": _AUTOGRAD,
    "practice": "tracegrad.practising.loop",  # it brings in the checker
}


def __getattr__(name: str) -> object:
    return lazy_attribute(__name__, _LAZY, name)


def __dir__() -> list[str]:
    """What tab completion offers: the public names and the module's own dunders (not the
    helpers this file imports: os, importlib, TYPE_CHECKING)."""
    return sorted({*__all__, *(n for n in globals() if n.startswith("__"))})


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

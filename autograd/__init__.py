"""tracegrad's engine: scalar Values that record a graph, and reverse-mode autodiff.

>>> from tracegrad.autograd import Value
>>> a, b = Value(2.0, label="a"), Value(-3.0, label="b")
>>> L = a * b + a
>>> L.backward()
>>> a.grad, b.grad
(-2.0, 2.0)

A ``Value`` holds a number and how it was computed; ``backward()`` fills every ``.grad``.
To see and read the pass: ``draw``, ``explain``, ``backward_steps``, ``step_through``,
``backward_table``, ``backward_page``; to check it: ``gradcheck``; for higher order: ``grad``.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Mapping
from typing import TYPE_CHECKING

# The engine (``Value``, the ops table, the walk, and ``gradcheck``: a function named like its
# module cannot be lazy, since importing the module sets the package's attribute) is imported
# with the package; every other name is imported on first use (PEP 562: ``_LAZY`` says which
# module defines it), so that ``import tracegrad`` does not pay for numpy, graphviz and the
# explaining code (docs/architecture.md, "Imports on first use").
from tracegrad.autograd.gradcheck import GradcheckResult, gradcheck  # named like its module
from tracegrad.autograd.graph import topo_order, zero_grad
from tracegrad.autograd.ops import OPS, FloatMath, Op
from tracegrad.autograd.value import Value

backward = Value.backward  # backward(v, create_graph=True) is v.backward(create_graph=True)

if TYPE_CHECKING:  # the names of _LAZY, for type checkers
    from tracegrad.autograd.compiled.tape import ControlFlowError, compile
    from tracegrad.autograd.compiled.to_torch import to_torch_fn
    from tracegrad.autograd.drawing.render import (
        GraphTooLargeError,
        RenderError,
        draw,
        draw_dot,
        render_svg,
        save_graph,
    )
    from tracegrad.autograd.drawing.tracing import Trace, gradient_path, trace
    from tracegrad.autograd.explaining.explain import (
        BackwardTable,
        Derivation,
        backward_table,
        explain,
    )
    from tracegrad.autograd.explaining.page import BackwardPage, backward_page, save_html
    from tracegrad.autograd.explaining.steps import Step, backward_steps, step_through
    from tracegrad.autograd.functional import grad, hessian, jacobian, value_and_grad
    from tracegrad.autograd.higher import grad_values, nth_derivative
    from tracegrad.autograd.parse import Expression, ExpressionError, evaluate, parse_expression
    from tracegrad.autograd.safety import printable

_TAPE = "tracegrad.autograd.compiled.tape"
_RENDER = "tracegrad.autograd.drawing.render"
_TRACING = "tracegrad.autograd.drawing.tracing"
_EXPLAIN = "tracegrad.autograd.explaining.explain"
_PAGE = "tracegrad.autograd.explaining.page"
_STEPS = "tracegrad.autograd.explaining.steps"
_FUNCTIONAL = "tracegrad.autograd.functional"
_PARSE = "tracegrad.autograd.parse"
# name -> the module that defines it, imported when the name is first used
_LAZY: dict[str, str] = {
    "compile": _TAPE,
    "ControlFlowError": _TAPE,
    "to_torch_fn": "tracegrad.autograd.compiled.to_torch",
    "printable": "tracegrad.autograd.safety",  # the one sanitiser, loaded when text is printed
    "draw": _RENDER,
    "draw_dot": _RENDER,
    "render_svg": _RENDER,
    "save_graph": _RENDER,
    "RenderError": _RENDER,
    "GraphTooLargeError": _RENDER,
    "trace": _TRACING,
    "Trace": _TRACING,
    "gradient_path": _TRACING,
    "explain": _EXPLAIN,
    "Derivation": _EXPLAIN,
    "backward_table": _EXPLAIN,
    "BackwardTable": _EXPLAIN,
    "backward_page": _PAGE,
    "save_html": _PAGE,
    "BackwardPage": _PAGE,
    "backward_steps": _STEPS,
    "Step": _STEPS,
    "step_through": _STEPS,
    "grad": _FUNCTIONAL,
    "value_and_grad": _FUNCTIONAL,
    "hessian": _FUNCTIONAL,
    "jacobian": _FUNCTIONAL,
    "grad_values": "tracegrad.autograd.higher",
    "nth_derivative": "tracegrad.autograd.higher",
    "parse_expression": _PARSE,
    "evaluate": _PARSE,
    "Expression": _PARSE,
    "ExpressionError": _PARSE,
}


def lazy_attribute(package: str, table: Mapping[str, str], name: str) -> object:
    """PEP 562's module ``__getattr__`` for a package whose ``table`` maps each of its lazy
    names to the module that defines it (a sub-module's name to the sub-module itself): that
    module is imported on first use and the name kept in the package, so it is looked up once.
    """
    where = table.get(name)
    if where is None:
        raise AttributeError(f"module {package!r} has no attribute {name!r}")
    module = importlib.import_module(where)
    value = getattr(module, name) if hasattr(module, name) else module  # else: a sub-module
    setattr(sys.modules[package], name, value)
    return value


def __getattr__(name: str) -> object:
    return lazy_attribute(__name__, _LAZY, name)


def __dir__() -> list[str]:
    return sorted({*globals(), *_LAZY})


__all__ = [
    "Value",
    "compile",
    "ControlFlowError",
    "OPS",
    "FloatMath",
    "Op",
    "backward",
    "topo_order",
    "zero_grad",
    "gradcheck",
    "GradcheckResult",
    "parse_expression",
    "evaluate",
    "Expression",
    "ExpressionError",
    "trace",
    "Trace",
    "gradient_path",
    "draw",
    "draw_dot",
    "render_svg",
    "save_graph",
    "RenderError",
    "GraphTooLargeError",
    "backward_steps",
    "Step",
    "step_through",
    "backward_page",
    "save_html",
    "BackwardPage",
    "explain",
    "Derivation",
    "backward_table",
    "BackwardTable",
    "grad",
    "value_and_grad",
    "hessian",
    "jacobian",
    "grad_values",
    "nth_derivative",
    "to_torch_fn",
    "printable",
]

"""tracegrad's engine: scalar Values that record a graph, and reverse-mode autodiff.

>>> from tracegrad.autograd import Value
>>> a, b = Value(2.0, label="a"), Value(-3.0, label="b")
>>> L = a * b + a
>>> L.backward()
>>> a.grad, b.grad
(-2.0, 2.0)
"""

from tracegrad.autograd.explain import BackwardTable, Derivation, backward_table, explain
from tracegrad.autograd.functional import grad, hessian, jacobian, value_and_grad
from tracegrad.autograd.gradcheck import GradcheckResult, gradcheck
from tracegrad.autograd.graph import backward, topo_order, zero_grad
from tracegrad.autograd.higher import grad_values, nth_derivative
from tracegrad.autograd.ops import OPS, FloatMath, Op
from tracegrad.autograd.page import BackwardPage, backward_page, save_html
from tracegrad.autograd.parse import Expression, ExpressionError, evaluate, parse_expression
from tracegrad.autograd.render import (
    GraphTooLargeError,
    RenderError,
    draw,
    draw_dot,
    render_svg,
    save_graph,
)
from tracegrad.autograd.steps import Step, backward_steps, step_through
from tracegrad.autograd.tape import ControlFlowError, compile
from tracegrad.autograd.to_torch import to_torch_fn
from tracegrad.autograd.tracing import Trace, gradient_path, trace
from tracegrad.autograd.value import Value

__all__ = [
    "Value",
    "compile",
    "ControlFlowError",
    "OPS",
    "Op",
    "FloatMath",
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
]

"""Higher-order derivatives: gradients that are themselves Values (``create_graph``).

The ops table writes every partial derivative once against a math namespace ``m``.
``ValueMath`` is that namespace over Values: ``m.exp``, ``m.div``, ``m.pow`` ... apply the
table's own operations, so evaluating a partial *records* it. Running the chain rule with
``ValueMath`` (and Values for ``out`` and the inputs) therefore builds each gradient as an
ordinary Value graph: it can be drawn, explained and differentiated again, as often as
wanted (``nth_derivative``). ``m.step`` and ``m.const`` give plain floats: a constant is not
differentiated further (relu's second derivative is 0, a constant exponent stays constant).

Where the Value-valued gradients live. ``Value.grad`` stays a float (the public contract)
and ``Value`` gets no extra slot (that would cost every node of every graph 8 bytes). So:

- ``grad_values(root, wrt)`` returns them, one per Value in ``wrt``, and touches no ``.grad``
  (like ``torch.autograd.grad(..., create_graph=True)``);
- ``backward(root, create_graph=True)`` (``Value.backward`` calls it here) fills ``.grad``
  exactly as a plain ``backward()`` does, and also *returns* a dict ``{value: gradient Value}``
  for every Value in the graph (identity-keyed).

Where a partial is infinite or undefined (``sqrt`` at 0, ``0 ** -0.5``) the gradient holds a
constant leaf (``inf``/``nan``): the derivative of an infinite slope is not differentiated
further. Gradients are simplified only where it changes nothing numerically (``g * 1``,
``g * -1``, ``x ** 1`` and ``x ** 0``), so drawn gradient graphs stay readable.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, Literal, Union, overload

from tracegrad.autograd.graph import reverse_walk, topo_order
from tracegrad.autograd.ops import OPS, FloatMath, Math, power

if TYPE_CHECKING:
    from tracegrad.autograd.value import Value

__all__ = ["ValueMath", "grad_values", "backward_create_graph", "nth_derivative"]

Scalar = Union["Value", float]


def _is_value(x: Any) -> bool:
    """True for a Value (a node of the graph), False for a plain number. The engine imports
    this module (``Value.backward(create_graph=True)``), so Values are known by their slots."""
    return hasattr(x, "_op")


def _data(x: Scalar) -> float:
    return x.data if _is_value(x) else x  # type: ignore[union-attr,return-value]


def _lift(name: str, on_float: Callable[[float], float]) -> Callable[[Scalar], Scalar]:
    """m.<name>: the table op ``name`` on a Value, the float function on a float."""
    method = OPS[name].method  # the Value method that applies the row (checks included)

    def f(x: Scalar) -> Scalar:
        return getattr(x, method)() if _is_value(x) else on_float(x)  # type: ignore[arg-type]

    f.__name__ = name
    f.__doc__ = f"{name}(x) recorded as the table op {name!r} when x is a Value."
    return f


class ValueMath(Math):
    """Math namespace for partials on Values: each function records a table operation.

    The primitives of ``tracegrad.autograd.ops.Math`` on Values (the special cases come from
    ``Math``, written once); plain floats pass through to ``FloatMath``, so a partial that
    mixes constants and Values builds only the nodes it needs.
    """

    exp = staticmethod(_lift("exp", FloatMath.exp))
    log = staticmethod(_lift("log", FloatMath.log))
    sqrt = staticmethod(_lift("sqrt", FloatMath.sqrt))
    sin = staticmethod(_lift("sin", FloatMath.sin))
    cos = staticmethod(_lift("cos", FloatMath.cos))

    @staticmethod
    def div(x: Scalar, y: Scalar) -> Scalar:
        """x / y as a ``div`` node; at y == 0 the constant ±inf/nan FloatMath gives."""
        if not _is_value(x) and not _is_value(y):
            return FloatMath.div(x, y)  # type: ignore[arg-type]
        if _data(y) == 0.0:
            return FloatMath.div(_data(x), 0.0)
        return x / y

    @staticmethod
    def pow(x: Scalar, y: Scalar) -> Scalar:
        """x ** y: ``pow`` for a Value exponent, ``powc`` for a number; outside the domain
        (0 to a negative power) the constant FloatMath gives (+inf)."""
        if not _is_value(x) and not _is_value(y):
            return FloatMath.pow(x, y)  # type: ignore[arg-type]
        constant = not _is_value(y)
        if constant:
            if y == 1.0:
                return x
            if y == 0.0:
                return 1.0
        op = power(constant)
        if op.check is not None:
            try:
                op.check(_data(x), _data(y))
            except ValueError:
                return FloatMath.pow(_data(x), _data(y))
        return x**y  # Value.__pow__/__rpow__ pick the same op

    @staticmethod
    def step(x: Scalar) -> float:
        """1.0 where x > 0 else 0.0, a constant (its derivative is 0 almost everywhere)."""
        return FloatMath.step(_data(x))

    @staticmethod
    def const(x: Scalar) -> float:
        """The plain number behind x: constants are not differentiated further."""
        return float(_data(x))

    @staticmethod
    def where(cond: bool, x: Scalar, y: Scalar) -> Scalar:
        """x if cond else y: cond is computed from plain numbers (``const``), never recorded."""
        return x if cond else y

    @staticmethod
    def mul(g: Scalar, d: Scalar) -> Scalar:
        """The chain rule's product g * d, without a node where a factor is exactly 1 or -1."""
        return _mul(g, d)


# ---------------------------------------------------------------- the chain rule, on Values
def _mul(g: Scalar, d: Scalar) -> Scalar:
    """g * d, skipping the node where a factor is exactly 1 or -1 (same number either way)."""
    if _is_value(g):
        if _is_value(d):
            return g * d
        if d == 1.0:
            return g
        if d == -1.0:
            return -g
        if d == 0.0:
            return _data(g) * 0.0  # a constant 0 (nan when g is inf or nan, as floats give)
        return g * d
    if _is_value(d):
        if g == 1.0:
            return d
        if g == -1.0:
            return -d
        if g == 0.0:
            return g * _data(d)
        return g * d
    return g * d


def _reverse(
    root: Value, wrt: Sequence[Value] | None, seed: float, create_graph: bool
) -> tuple[list[Value], dict[Value, Scalar]]:
    """One reverse pass from root (``graph.reverse_walk``); grads keyed by node, for the
    nodes that matter.

    Only nodes that depend on something in ``wrt`` (all nodes when wrt is None) get a
    gradient: constant subgraphs build no gradient nodes. Touches no ``.grad``.
    """
    if not _is_value(root):
        raise TypeError(f"expected a Value to differentiate, got {type(root).__name__}")
    order = topo_order(root, constants=False)  # a constant operand stays a number: no gradient
    relevant: set[Value] | None = None
    if wrt is not None:
        relevant = set(wrt)
        for node in order:
            if node._op is not None and any(p in relevant for p in node.parents):
                relevant.add(node)
        if root not in relevant:
            return order, {}
    grads: dict[Value, Scalar] = {root: seed}
    if create_graph:  # the partials evaluated on the Values themselves: they record nodes
        walk = reverse_walk(order, grads, ValueMath, read=lambda v: v, only=relevant)
    else:
        walk = reverse_walk(order, grads, FloatMath, only=relevant)
    for _ in walk:
        pass
    return order, grads


def _as_value(x: Scalar | None, root: Value) -> Value:
    """x as a Value: a gradient that came out as a plain number becomes a constant leaf."""
    if _is_value(x):
        return x  # type: ignore[return-value]
    return type(root)(0.0 if x is None else x)


@overload
def grad_values(
    root: Value, wrt: Sequence[Value], *, seed: float = ..., create_graph: Literal[True] = ...
) -> list[Value]: ...
@overload
def grad_values(
    root: Value, wrt: Sequence[Value], *, seed: float = ..., create_graph: Literal[False]
) -> list[float]: ...
@overload
def grad_values(
    root: Value, wrt: Sequence[Value], *, seed: float = ..., create_graph: bool
) -> list[Value] | list[float]: ...
def grad_values(
    root: Value, wrt: Sequence[Value], *, seed: float = 1.0, create_graph: bool = True
) -> list[Value] | list[float]:
    """d(root)/d(w) for each w in ``wrt``; touches no ``.grad``.

    With ``create_graph`` (the default) each result is a Value built from the ops table,
    differentiable again; without it, plain floats (a pure first-order pass).
    """
    wrt = list(wrt)
    for i, w in enumerate(wrt):
        if not _is_value(w):
            raise TypeError(f"wrt[{i}] must be a Value, got {type(w).__name__}")
    _, grads = _reverse(root, wrt, float(seed), create_graph)
    if create_graph:
        return [_as_value(grads.get(w), root) for w in wrt]
    return [float(_data(grads.get(w, 0.0))) for w in wrt]


def backward_create_graph(root: Value, grad: float = 1.0) -> dict[Value, Value]:
    """``backward(root, create_graph=True)``: fill ``.grad`` as backward() does and return
    ``{value: d(root)/d(value) as a Value}`` for every Value in root's graph."""
    if not _is_value(root):
        raise TypeError(f"backward() needs a Value, got {type(root).__name__}")
    order, grads = _reverse(root, None, float(grad), True)
    out: dict[Value, Value] = {}
    for node in order:
        g = _as_value(grads.get(node), root)
        out[node] = g
        if node._op is None:
            node.grad += g.data
        else:
            node.grad = g.data
    return out


def nth_derivative(root: Value, wrt: Sequence[Value]) -> Value:
    """d^n root / d wrt[0] ... d wrt[n-1], differentiating by wrt[0] first, as a Value.

    ``nth_derivative(f, [x, x])`` is d2f/dx2, ``nth_derivative(f, [x, y])`` is d/dy(df/dx).
    """
    if not _is_value(root):
        raise TypeError(f"nth_derivative() needs a Value, got {type(root).__name__}")
    out = root
    for w in wrt:
        (out,) = grad_values(out, [w])
    return out

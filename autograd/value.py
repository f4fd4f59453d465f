"""``Value``: a scalar that records every operation applied to it into a graph.

Each Value holds its number (``data``), the gradient backward() leaves on it (``grad``), an
optional ``label``, the operation that made it (``op``, '' for a leaf) and its inputs
(``parents``). How each operation computes and differentiates lives in ``tracegrad.autograd.ops``.

A Value holds references only to its inputs, never to its outputs or to a closure, so a
graph is a tree of plain references with no cycles: Python frees it by reference counting
the moment it is no longer used, without waking the cyclic garbage collector.
"""

from __future__ import annotations

import numbers
import weakref
from collections.abc import Callable
from typing import Any, Union

from tracegrad.autograd import graph, higher, pickling
from tracegrad.autograd.formatting import fmt
from tracegrad.autograd.hooks import compared
from tracegrad.autograd.ops import OPS, FloatMath, Op, methods, power

__all__ = ["Value", "as_value", "apply", "register_display"]

_ADD = OPS["add"]
_SUB = OPS["sub"]
_MUL = OPS["mul"]
_DIV = OPS["div"]
_NEG = OPS["neg"]
# The forward functions of the operators above, looked up once (they run for every node).
_NEG_FORWARD = _NEG.forward
_new = object.__new__

Operand = Union["Value", float, int]

# How a notebook shows a Value, by kind ('svg'): filled in by the drawing code through
# ``register_display``, so the engine never imports the tools built on it.
_DISPLAY: dict[str, Callable[[Value], Any]] = {}


def register_display(kind: str, show: Callable[[Value], Any]) -> None:
    """Let Jupyter show a Value as ``show(value)`` for ``kind`` ('svg'); None: text only."""
    _DISPLAY[kind] = show


def _to_float(data: Any, what: str = "Value()") -> float:
    """Normalise a real number to a Python float, or raise a TypeError naming it."""
    if type(data) is float:
        return data
    if isinstance(data, bool):
        raise TypeError(
            f"{what} got the bool {data!r}: a bool is almost always a mistake (a comparison "
            f"where a number was meant); write {float(data)!r} if you mean the number"
        )
    if isinstance(data, numbers.Real):  # int, numpy scalars, Fraction
        try:
            return float(data)
        except OverflowError:
            text = str(data)
            shown = text if len(text) <= 30 else f"{text[:12]}...{text[-6:]} ({len(text)} digits)"
            raise OverflowError(
                f"{what}: {shown} is too large for a float (the largest is about 1.8e308)"
            ) from None
    if isinstance(data, Value):
        raise TypeError(f"{what} takes a number, not a Value; use the Value itself")
    shape = getattr(data, "shape", None)
    if shape == ():  # a 0-d numpy array
        try:
            return _to_float(data.item(), what)
        except TypeError:
            pass
    raise TypeError(
        f"{what} takes a real number (int or float), got {type(data).__name__}: {data!r}"
    )


class Value:
    """A scalar in a computation graph: ``Value(2.0, label='a')``.

    >>> from tracegrad.autograd import Value
    >>> a, b = Value(2.0, label="a"), Value(-3.0, label="b")
    >>> c = a * b + a     # a new Value that records how it was made: c.op == 'add'
    >>> c.backward()      # dc/dc = 1, then the chain rule back to every input
    >>> a.grad, b.grad    # dc/da = b + 1, dc/db = a
    (-2.0, 2.0)

    ``data`` is the number (a float); ``grad`` is d(root)/d(this Value) once
    ``root.backward()`` has run (0.0 before); ``label`` is your name for it, shown by graphs
    and explanations; ``op`` names the operation that made it ('' for a number you typed)
    and ``parents`` are its inputs.

    Arithmetic with other Values or plain numbers (``+ - * / **`` on either side, unary
    ``-``) and one method per function of the table ``tracegrad.autograd.OPS`` (listed below)
    build new Values; the table holds each one's derivative, which ``help()`` shows.
    Gradients accumulate on leaves, as in PyTorch: call ``zero_grad()`` between passes.

    To look inside: ``tracegrad.draw(v)`` draws the graph (a notebook displays a Value as its
    graph), ``tracegrad.explain(v, wrt=x)`` writes dv/dx as a hand derivation,
    ``tracegrad.backward_steps(v)`` runs the backward pass one readable step at a time, and
    ``tracegrad.gradcheck`` compares gradients with finite differences.
    """

    # The inputs live in two slots, _a and _b (None when absent), and ``parents`` builds the
    # tuple on request: one object fewer per node than storing a tuple, so 64 bytes less and
    # one object fewer for the cyclic garbage collector to walk on every full collection --
    # on big graphs the collector, not the arithmetic, is where an eager engine's time goes.
    # ``__weakref__`` lets ``parents`` keep the constant leaves it shows beside the node
    # (``_CONSTANTS``) rather than in it.
    __slots__ = ("data", "grad", "_label", "_op", "_a", "_b", "__weakref__")
    __array_ufunc__ = None  # numpy defers to our reflected operators: np.float64(2) * v is a Value

    data: float
    grad: float
    _label: str  # ``label``, checked to be text whenever it is set
    _op: Op | None
    _a: Value | float | None  # first input (None for a leaf, a float for a constant)
    _b: Value | float | None  # second input (None for a leaf or a one-input op)

    def __init__(self, data: Any, label: str = "") -> None:
        self.data = data if type(data) is float else _to_float(data)
        self.grad = 0.0
        self.label = label
        self._op = None
        self._a = self._b = None

    # ------------------------------------------------------------ identity & display
    @property
    def label(self) -> str:
        """Your name for this Value, shown by graphs and explanations ('' when none)."""
        return self._label

    @label.setter
    def label(self, label: str) -> None:
        if not isinstance(label, str):  # refused here, not deep inside draw() later
            raise TypeError(f"label must be a str, got {type(label).__name__}: {label!r:.40}")
        self._label = label

    @property
    def op(self) -> str:
        """The name of the operation that produced this Value ('' for a leaf)."""
        op = self._op
        return op.name if op is not None else ""

    @property
    def parents(self) -> tuple[Value, ...]:
        """The Values this one was computed from, in order (``()`` for a leaf).

        A plain-number operand (``x * 1.0001``) is stored as a float and shown here as a
        constant leaf Value, made on first request and kept beside the node (the node itself
        does not change), so it is the same object after; its grad is d(root)/d(constant) of
        the last backward pass.
        """
        a, b = self._a, self._b
        if a is None:
            return ()
        if type(a) is float or type(b) is float:
            a, b = _constant_leaves(self)
        return (a,) if b is None else (a, b)  # type: ignore[return-value]

    @property
    def is_leaf(self) -> bool:
        return self._op is None

    def __repr__(self) -> str:
        parts = [f"data={fmt(self.data)}", f"grad={fmt(self.grad)}"]
        if self._op is not None:
            parts.append(f"op={self._op.shown!r}")  # what a learner reads: '**', not 'powc'
        if self.label:
            parts.append(f"label={self.label!r}")
        return f"Value({', '.join(parts)})"

    def _repr_svg_(self) -> str | None:
        """Jupyter shows a Value as the graph behind it; a terminal REPL keeps ``repr``.

        None (plain text only) when the graph is too large, nothing can render it, or no
        drawing code registered itself (``register_display``).
        """
        show = _DISPLAY.get("svg")
        return None if show is None else show(self)

    def __float__(self) -> float:
        return self.data

    def __bool__(self) -> bool:
        """False for 0.0, as for Python numbers (``if v:`` tests the number)."""
        return self.data != 0.0

    # Pickling and copying: a graph is written flat (op names, operand indices), never the
    # table's functions and never recursively, so a chain of 10^5 ops copies without
    # RecursionError. Leaves are pickled as themselves, so a parameter shared by several
    # pickled graphs stays one object when they are loaded together.
    def __reduce__(self) -> tuple[Any, ...]:
        if self._op is None:
            return (_leaf, (self.data, self.grad, self.label))
        return (_graph, pickling.flatten(self))

    # Comparisons compare data (so `max(values)` and sorting work); they are not recorded in
    # the graph. While autograd.compile traces a function they are reported to it as guards
    # (``tracegrad.autograd.hooks``).
    def __lt__(self, other: Operand) -> bool:
        return compared(self, "<", other, self.data < _data(other))

    def __le__(self, other: Operand) -> bool:
        return compared(self, "<=", other, self.data <= _data(other))

    def __gt__(self, other: Operand) -> bool:
        return compared(self, ">", other, self.data > _data(other))

    def __ge__(self, other: Operand) -> bool:
        return compared(self, ">=", other, self.data >= _data(other))

    __hash__ = object.__hash__

    # ------------------------------------------------------------ arithmetic
    # A plain number operand is kept as a float in the node's slot (a *constant*), not as a
    # leaf Value: ``x * 1.0001`` makes one object, not two. ``parents`` shows it as a leaf.
    # Each operator is made from its table row by ``_binary`` (defined after the class).
    __add__: Callable[[Value, Operand], Value]
    __radd__: Callable[[Value, Operand], Value]
    __sub__: Callable[[Value, Operand], Value]
    __rsub__: Callable[[Value, Operand], Value]
    __mul__: Callable[[Value, Operand], Value]
    __rmul__: Callable[[Value, Operand], Value]
    __truediv__: Callable[[Value, Operand], Value]
    __rtruediv__: Callable[[Value, Operand], Value]

    def __pow__(self, other: Operand) -> Value:
        return apply(power(not isinstance(other, Value)), self, other)

    def __rpow__(self, other: Operand) -> Value:
        return apply(power(False), as_value(other), self)

    def __neg__(self) -> Value:
        return _make(_NEG_FORWARD(self.data), _NEG, self)

    def __pos__(self) -> Value:
        return self

    # ------------------------------------------------------------ functions (see ops.py)
    # Each docstring says what the function is; the derivative, domain and convention are
    # appended from the method's ops-table row (Op.describe) below the class: written once.
    def exp(self) -> Value:
        """e ** self."""
        return apply(OPS["exp"], self)

    def log(self) -> Value:
        """Natural logarithm."""
        return apply(OPS["log"], self)

    def tanh(self) -> Value:
        """Hyperbolic tangent."""
        return apply(OPS["tanh"], self)

    def sigmoid(self) -> Value:
        """The logistic function 1 / (1 + exp(-self))."""
        return apply(OPS["sigmoid"], self)

    def relu(self) -> Value:
        """max(self, 0)."""
        return apply(OPS["relu"], self)

    def step(self) -> Value:
        """Threshold: 1 if self > 0 else 0."""
        return apply(OPS["step"], self)

    def sqrt(self) -> Value:
        """Square root."""
        return apply(OPS["sqrt"], self)

    def sin(self) -> Value:
        """Sine."""
        return apply(OPS["sin"], self)

    def cos(self) -> Value:
        """Cosine."""
        return apply(OPS["cos"], self)

    # ------------------------------------------------------------ gradients
    def backward(
        self, *, grad: float = 1.0, create_graph: bool = False
    ) -> dict[Value, Value] | None:
        """Fill ``.grad`` of every Value this one depends on: the chain rule from here back.

        The pass is ``tracegrad.autograd.graph.backward``: ``topo_order``, then the chain rule
        ``reverse_walk`` (or its accelerator, the same numbers). ``grad`` seeds
        d(self)/d(self) (1.0). Leaves accumulate across calls; intermediate grads are
        recomputed each pass. ``create_graph=True`` also returns ``{value: gradient as a
        Value}`` (``tracegrad.autograd.higher``: differentiable again; ``.grad`` stays a
        float). To run the pass one readable step at a time: ``tracegrad.backward_steps(v)``.
        """
        if create_graph:
            return higher.backward_create_graph(self, float(grad))
        graph.backward(self, grad=grad)
        return None

    def zero_grad(self) -> None:
        """Set ``.grad`` to 0 on this Value and everything it depends on."""
        graph.zero_grad(self)


def _binary(op: Op, reflected: bool) -> Callable[[Value, Operand], Value]:
    """``Value.__add__`` (``__radd__`` when reflected) and the like, from a table row.

    The hot path of every graph: a float operand goes into the node's slot as it is (a
    constant), and the node is built by ``_make``, like every other node."""
    forward = op.forward

    def method(self: Value, other: Operand) -> Value:
        if type(other) is Value:
            return _make(forward(self.data, other.data), op, self, other)
        if type(other) is not float:
            other = _const(other)
        return _make(forward(self.data, other), op, self, other)

    def reflected_method(self: Value, other: Operand) -> Value:
        if type(other) is Value:
            return _make(forward(other.data, self.data), op, other, self)
        if type(other) is not float:
            other = _const(other)
        return _make(forward(other, self.data), op, other, self)

    made = reflected_method if reflected else method
    made.__doc__ = f"{op.template}, recorded as the table op {op.name!r}" + (
        " (the other operand is a)." if reflected else "."
    )
    return made


Value.__add__, Value.__radd__ = _binary(_ADD, False), _binary(_ADD, True)
Value.__sub__, Value.__rsub__ = _binary(_SUB, False), _binary(_SUB, True)
Value.__mul__, Value.__rmul__ = _binary(_MUL, False), _binary(_MUL, True)
Value.__truediv__, Value.__rtruediv__ = _binary(_DIV, False), _binary(_DIV, True)


def _document_methods() -> None:
    """Append to each method's docstring its ops-table row, and list the methods on Value."""
    table_methods = methods()
    for name, op in table_methods.items():
        fn = getattr(Value, name, None)
        if fn is not None:
            fn.__doc__ = f"{fn.__doc__ or ''}\n\n{op.describe()}"
    Value.__doc__ = (
        f"{Value.__doc__}\n    Methods from the ops table: {', '.join(table_methods)}.\n"
    )


_document_methods()


def _make(
    data: float, op: Op | None, a: Value | float | None = None, b: Value | float | None = None
) -> Value:
    """A new Value made by ``op`` from inputs a (and b): no checks, data is already a float.

    The one place a node is built (operators, methods, ``apply``, unpickling); the hot path
    of every operation, so it skips ``__init__`` (a leaf's validation).
    """
    v = _new(Value)
    v.data = data
    v.grad = 0.0
    v._label = ""
    v._op = op
    v._a = a
    v._b = b
    return v


def _leaf(data: float, grad: float, label: str) -> Value:
    """A pickled leaf, rebuilt."""
    v = _make(data, None)
    v.grad = grad
    v.label = label
    return v


def _graph(leaves: tuple[Value, ...], records: tuple[pickling.Record, ...]) -> Value:
    """A pickled graph (``pickling.flatten``), rebuilt."""
    return pickling.rebuild(leaves, records, _make)


def _const(x: Any) -> float:
    """A plain-number operand as the float kept in a node (a constant input)."""
    if type(x) is float:
        return x
    try:
        return _to_float(x, "an operation on a Value")
    except TypeError:
        raise TypeError(
            f"unsupported operand: a Value combines with numbers and Values, "
            f"not {type(x).__name__} ({x!r})"
        ) from None


# A node's constant operands as the leaf Values ``parents`` shows, kept while the node lives.
_CONSTANTS: weakref.WeakKeyDictionary[Value, list[Value | None]] = weakref.WeakKeyDictionary()


def _constant_leaves(node: Value) -> tuple[Value, Value | None]:
    """node's inputs with each float (constant) operand shown as a constant leaf Value: made
    once per node and kept in ``_CONSTANTS``, its grad set to what the last backward pass gave
    it (node.grad times the op's partial for it), so a graph drawn after backward() shows it."""
    a, b = node._a, node._b
    op = node._op
    assert op is not None and a is not None
    leaves = _CONSTANTS.get(node)
    if leaves is None:
        leaves = [_make(x, None) if type(x) is float else None for x in (a, b)]
        _CONSTANTS[node] = leaves
    ad = a if type(a) is float else a.data  # type: ignore[union-attr]
    ins = (ad,) if b is None else (ad, b if type(b) is float else b.data)  # type: ignore[union-attr]
    g = node.grad
    partials = op.partials(FloatMath, node.data, *ins) if g != 0.0 else (0.0, 0.0)
    shown = []
    for i, (x, leaf) in enumerate(zip((a, b), leaves)):
        if leaf is not None:
            leaf.grad = g * partials[i] if g != 0.0 and op.differentiable[i] else 0.0
            x = leaf
        shown.append(x)
    return shown[0], shown[1]  # type: ignore[return-value]


def _data(x: Operand) -> float:
    return x.data if isinstance(x, Value) else _to_float(x, "comparison with a Value")


def as_value(x: Any) -> Value:
    """x itself if it is a Value, else a new constant leaf Value holding float(x)."""
    if isinstance(x, Value):
        return x
    if type(x) is float:  # the common case, first
        return _make(x, None)
    try:
        data = _to_float(x, "an operation on a Value")
    except TypeError:
        raise TypeError(
            f"unsupported operand: a Value combines with numbers and Values, "
            f"not {type(x).__name__} ({x!r})"
        ) from None
    return _make(data, None)


def apply(op: Op, *inputs: Any) -> Value:
    """Apply a table operation to Values or numbers, checking its domain first."""
    if len(inputs) == 1 == op.arity and type(inputs[0]) is Value:  # v.tanh(), relu: the hot case
        (x,) = inputs
        if op.check is not None:
            op.check(x.data)
        return _make(op.forward(x.data), op, x)
    if len(inputs) != op.arity:
        raise TypeError(f"{op.name} takes {op.arity} input(s), got {len(inputs)}")
    vals = [x if type(x) is Value else as_value(x) for x in inputs]
    datas = [v.data for v in vals]
    if op.check is not None:
        op.check(*datas)
    return _make(op.forward(*datas), op, *vals)

"""The accelerator of the plain walk: the same backward pass, made fast (CPython's
``heapq``/``_heapq`` pattern).

``tracegrad.autograd.graph.backward`` *is* the chain rule: a topological order, then for each
node its table row's partials times the upstream gradient, added into its inputs. This module
computes exactly the same numbers, in the same order, faster; ``graph`` uses it unless the
environment variable ``TRACEGRAD_PLAIN=1`` is set when tracegrad is imported, and
``tests/test_fastwalk.py`` proves on random graphs that both give bit-identical gradients.
Read ``graph.py`` to learn backpropagation; read this only to learn how it was made fast.

Two tricks, neither of which changes a number:

- **The order.** ``op_order`` is a depth-first walk over op nodes only (leaves need no step),
  marking each node in its own ``_mark`` slot with this pass's number (no dictionary, no
  sentinel in a data slot) and stepping straight down into an input instead of pushing it.
- **The loop.** Each row's partials, written once against a math namespace ``m``, are
  evaluated on *symbols* (``Sym``: arithmetic builds the text of the expression, ``SymMath``
  turns ``m.div(x, y)`` into the text ``_m_div(x, y)``), which gives the formulas as Python
  source. One loop with a branch per row (and per constant operand) is generated from that
  source at import and compiled: no tuple per node, no call to a lambda, no namespace lookup.
  A row whose partials cannot be traced (a Python ``if`` on an input) calls ``op.partials``;
  an op added to the table after import takes the plain walk's step.

The table stays the only place that knows an op: nothing here names one.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from tracegrad.autograd.limits import cycle_error
from tracegrad.autograd.ops import OPS, FloatMath, Op

if TYPE_CHECKING:
    from tracegrad.autograd.value import Value

__all__ = ["backward", "op_order", "trace_partials", "BACKWARD_SOURCE", "Sym", "SymMath"]


class Sym:
    """A symbolic float: arithmetic on it builds the source text of the expression."""

    __slots__ = ("src",)

    def __init__(self, src: str) -> None:
        self.src = src

    def __repr__(self) -> str:
        return f"Sym({self.src!r})"

    def __bool__(self) -> bool:
        raise TypeError("a traced partial cannot branch on its inputs")

    def _bin(self, sym: str, other: Any, flip: bool = False) -> Sym:
        o = source(other)
        return Sym(f"({o} {sym} {self.src})" if flip else f"({self.src} {sym} {o})")

    def __add__(self, o: Any) -> Sym:
        return self._bin("+", o)

    def __radd__(self, o: Any) -> Sym:
        return self._bin("+", o, True)

    def __sub__(self, o: Any) -> Sym:
        return self._bin("-", o)

    def __rsub__(self, o: Any) -> Sym:
        return self._bin("-", o, True)

    def __mul__(self, o: Any) -> Sym:
        return self._bin("*", o)

    def __rmul__(self, o: Any) -> Sym:
        return self._bin("*", o, True)

    def __truediv__(self, o: Any) -> Sym:
        return self._bin("/", o)

    def __rtruediv__(self, o: Any) -> Sym:
        return self._bin("/", o, True)

    def __neg__(self) -> Sym:
        return Sym(f"(-{self.src})")


def source(x: Any) -> str:
    """The source text of a symbol or a plain number."""
    if isinstance(x, Sym):
        return x.src
    if type(x) is float or type(x) is int:
        return repr(float(x))
    raise TypeError(f"cannot trace {type(x).__name__} in a partial")


# The FloatMath functions a traced partial may call; the generated code binds each name.
MATH_NAMES: dict[str, Any] = {
    f"_m_{name}": getattr(FloatMath, name)
    for name in dir(FloatMath)
    if not name.startswith("_") and callable(getattr(FloatMath, name))
}


class _SymMath:
    """``m`` for tracing: ``m.name(x, ...)`` becomes the text ``_m_name(x, ...)``."""

    def const(self, x: Any) -> Any:
        return x  # a constant is the number itself (FloatMath.const is the identity)

    def __getattr__(self, name: str) -> Any:
        if f"_m_{name}" not in MATH_NAMES:
            raise AttributeError(name)

        def call(*args: Any) -> Sym:
            return Sym(f"_m_{name}({', '.join(source(a) for a in args)})")

        return call


SymMath = _SymMath()


def trace_partials(op: Op, names: tuple[str, ...]) -> tuple[str, ...] | None:
    """op's partials as source over the variables ``names`` = (out, a[, b]); None when the
    row's formula does not trace (the caller falls back to calling ``op.partials``)."""
    try:
        parts = op.partials(SymMath, *(Sym(n) for n in names))
        return tuple(source(p) for p in parts)
    except (TypeError, AttributeError):
        return None


# ---------------------------------------------------------------- the order
_PASSES = itertools.count(1 << 32)  # large ints: each next() is a new object, compared by `is`


def op_order(root: Value) -> list[Value]:
    """The op nodes root depends on (root included), inputs first; each one's grad set to 0.0.

    The same order as ``graph.topo_order`` with the leaves left out. A node's ``_mark`` holds
    this pass's ``open_`` number while its inputs are walked, then ``done`` once it is in the
    order; a node not reached yet holds another pass's number (or None), so marks left by an
    interrupted pass never confuse the next one. An input is a Value to walk when it is not a
    float (a constant) and not None (no second input); leaves (``_op`` None) are skipped. An
    input still ``open_`` is on the path down to the node: a cycle (``GraphCycleError``).
    """
    open_ = next(_PASSES)
    done = next(_PASSES)
    order: list[Value] = []
    stack: list[Value] = []
    node = root
    a: Any
    b: Any
    while True:
        a = node._a
        b = node._b
        if type(a) is not float and a._op is not None and (mark := a._mark) is not done:
            if mark is open_:  # on the path down to node: a cycle
                raise cycle_error(a)
            node._mark = open_  # come back to it after its inputs
            stack.append(node)
            if b is not None and type(b) is not float and b._op is not None and b._mark is not done:
                if b._mark is open_:
                    raise cycle_error(b)
                stack.append(b)  # above node on the stack: walked before node is emitted
            node = a
            continue
        if (
            b is not None
            and type(b) is not float
            and b._op is not None
            and (mark := b._mark) is not done
        ):
            if mark is open_:
                raise cycle_error(b)
            node._mark = open_
            stack.append(node)
            node = b
            continue
        node._mark = done  # its inputs are all in order
        node.grad = 0.0
        order.append(node)
        while stack:  # the next node to walk, emitting the open ones on the way
            node = stack.pop()
            if node._mark is open_:
                node._mark = done
                node.grad = 0.0
                order.append(node)
            elif node._mark is not done:
                break
        else:
            return order


# ---------------------------------------------------------------- the loop
def _contribution(src: str) -> str:
    """g times a partial, as source; exact shortcuts for the partials 1 and -1."""
    if src == "1.0":
        return "g"
    if src == "-1.0":
        return "-g"
    return f"g * {src}"


def _body(op: Op, k: int, consts: tuple[bool, ...]) -> list[str]:
    """Source lines applying one node's chain rule for op, where consts[i] says input i is
    a plain float (a constant) rather than a Value."""
    names = ("out", "ad", "bd")[: op.arity + 1]
    parts = trace_partials(op, names)
    lines = []
    wanted = [not c and live for c, live in zip(consts, op.differentiable)]
    used = " ".join(p for p, w in zip(parts, wanted) if w) if parts is not None else ""
    needs = set(names) if parts is None else {n for n in names if re.search(rf"\b{n}\b", used)}
    if "out" in needs:
        lines.append("out = node.data")
    for i, (slot, name) in enumerate(zip(("a", "b"), names[1:])):
        if name in needs:
            lines.append(f"{name} = {slot}" if consts[i] else f"{name} = {slot}.data")
    if parts is None:
        args = ", ".join(names[1:])
        lines.append(f"parts = _op{k}.partials(_FloatMath, out, {args})")
        parts = tuple(f"parts[{i}]" for i in range(op.arity))
    for i, slot in enumerate(("a", "b")[: op.arity]):
        if wanted[i]:
            lines.append(f"{slot}.grad += {_contribution(parts[i])}")
    return lines


def _generic_step(node: Value) -> None:
    """The plain walk's step for one node whose op joined the table after import."""
    op = node._op
    assert op is not None
    xs = (node._a,) if node._b is None else (node._a, node._b)
    ds = [x if type(x) is float else x.data for x in xs]  # type: ignore[union-attr]
    for x, d, live in zip(xs, op.partials(FloatMath, node.data, *ds), op.differentiable):
        if live and type(x) is not float:
            x.grad += node.grad * d  # type: ignore[union-attr]


def _generate() -> tuple[Callable[[list[Value]], None], str]:
    """One backward loop for the whole table: a branch per op (and per constant operand),
    with the op's partials inlined as source traced from its row."""
    env: dict[str, Any] = {"_FloatMath": FloatMath, "_generic_step": _generic_step, **MATH_NAMES}
    src = ["def _propagate(order):", "    for node in reversed(order):"]
    src += ["        op = node._op", "        g = node.grad", "        a = node._a"]
    rows = list(enumerate(OPS.values()))
    # Each node tests its op against the branches in turn: the sums and products (``algebra``)
    # that networks are made of come first, then the other rows in table order.
    for i, (k, op) in enumerate(sorted(rows, key=lambda row: not row[1].algebra)):
        env[f"_op{k}"] = op
        src.append(f"        {'if' if i == 0 else 'elif'} op is _op{k}:  # {op.name}")
        if op.arity == 1:
            src += ["            " + line for line in _body(op, k, (False,))]
            continue
        src.append("            b = node._b")
        cases = [("if type(b) is float:", (False, True)), ("elif type(a) is float:", (True, False))]
        for test, consts in [*cases, ("else:", (False, False))]:
            src.append("            " + test)
            src += ["                " + line for line in _body(op, k, consts) or ["pass"]]
    src.append("        else:")  # an op added to OPS after import: the plain walk's step
    src.append("            _generic_step(node)")
    text = "\n".join(src) + "\n"
    exec(compile(text, "<tracegrad backward, generated from the ops table>", "exec"), env)
    return env["_propagate"], text


_propagate, BACKWARD_SOURCE = _generate()


def backward(root: Value, grad: float) -> None:
    """``graph.backward``'s pass, accelerated: root is an op node, grad a float, lock held."""
    order = op_order(root)
    root.grad = grad
    _propagate(order)

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
  marking each node in the grad it is about to zero (no slot, set or dictionary: the marks
  cost no memory) and stepping straight down into an input instead of pushing it.
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

import linecache
import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from tracegrad.autograd.limits import cycle_error
from tracegrad.autograd.ops import OPS, FloatMath, Op

if TYPE_CHECKING:
    from tracegrad.autograd.value import Value

__all__ = [
    "accelerate",
    "op_order",
    "trace_partials",
    "BACKWARD_SOURCE",
    "GENERATED_FILE",
    "Sym",
    "SymMath",
]


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
def op_order(root: Value) -> list[Value]:
    """The op nodes root depends on (root included), inputs first; each one's grad set to 0.0.

    The same order as ``graph.topo_order`` with the leaves left out. While it walks, an op
    node's grad (which this pass sets to 0.0 anyway) holds this pass's own marker: ``open_``
    while its inputs are walked, ``done`` once it is in the order; no slot, set or dictionary
    is spent on marks (a set would add about 40 bytes a node at the pass's peak). Every grad
    it marked is 0.0 when it returns or is interrupted. An input is a Value to walk when it is
    not a float (a constant) and not None (no second input); leaves (``_op`` None) are
    skipped, and the walk steps straight down into an input instead of pushing it. An input
    still ``open_`` is on the path down to the node: a cycle (``GraphCycleError``).
    """
    open_: Any = object()
    done: Any = object()
    order: list[Value] = []
    stack: list[Any] = []
    node: Any = root
    a: Any
    b: Any
    cyclic: Any = None
    try:
        while True:
            a = node._a
            b = node._b
            if type(a) is not float and a._op is not None and (mark := a.grad) is not done:
                if mark is open_:  # on the path down to node: a cycle
                    cyclic = a
                    break
                node.grad = open_  # come back to it after its inputs
                stack.append(node)
                walk_b = b is not None and type(b) is not float and b._op is not None
                if walk_b and (mark := b.grad) is not done:
                    if mark is open_:
                        cyclic = b
                        break
                    stack.append(b)  # above node on the stack: walked before node is emitted
                node = a
                continue
            walk_b = b is not None and type(b) is not float and b._op is not None
            if walk_b and (mark := b.grad) is not done:
                if mark is open_:
                    cyclic = b
                    break
                node.grad = open_
                stack.append(node)
                node = b
                continue
            node.grad = done  # its inputs are all in order
            order.append(node)
            while stack:  # the next node to walk, emitting the open ones on the way
                node = stack.pop()
                if node.grad is open_:
                    node.grad = done
                    order.append(node)
                elif node.grad is not done:
                    break
            else:
                return order
    finally:  # the marks become the 0.0 this pass starts from (on an interruption too)
        _unmark(order, stack, open_)
    raise cycle_error(cyclic)  # after the marks are gone: the message shows the Value's grad


def _unmark(order: list[Value], stack: list[Any], open_: Any) -> None:
    """Every grad ``op_order`` marked set to 0.0: the nodes in order, and those still open."""
    for node in order:
        node.grad = 0.0
    for node in stack:
        if node.grad is open_:
            node.grad = 0.0


# ---------------------------------------------------------------- the loop
def _contribution(src: str) -> str:
    """g times a partial, as source (g itself for the partial 1.0: g * 1.0 is g, bit for bit)."""
    if src == "1.0":
        return "g"
    if src == "-1.0":
        return "g * -1.0"  # not -g, which flips a NaN's sign bit where the walk's g * -1.0 keeps it
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


GENERATED_FILE = "<tracegrad.autograd.fastwalk: the backward loop generated from the ops table>"
"""The file name the generated loop is registered under in ``linecache``: tracebacks, pdb and
``inspect.getsource`` on the function ``accelerate`` returns show its source."""

_DOC = '''    """graph.backward's pass, generated from the ops table by tracegrad.autograd.fastwalk.

    It mirrors the plain walk, tracegrad.autograd.graph.reverse_walk (and its graph.step):
    for each op node from the root back, g (its upstream gradient) times each local partial
    of its row, added into each input's grad. Each row's partials are written out inline,
    traced from its row in tracegrad.autograd.ops.OPS; a row with no branch here takes
    graph.step itself. TRACEGRAD_PLAIN=1 (or graph.set_plain(True)) runs the plain walk.
    root is an op node, grad a float; graph.backward holds the lock.
    """'''


def _generate() -> tuple[str, dict[str, Any]]:
    """One backward loop for the whole table, as source: a branch per op (and per constant
    operand), with the op's partials inlined as source traced from its row; and the names it
    uses (``_step`` and ``_slots`` are bound by ``accelerate``)."""
    env: dict[str, Any] = {"_FloatMath": FloatMath, "_op_order": op_order, **MATH_NAMES}
    src = ["def backward(root, grad):", _DOC]
    src += ["    order = _op_order(root)  # the op nodes, inputs first; their grads set to 0.0"]
    src += ["    root.grad = grad", "    for node in reversed(order):"]
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
    src.append("        else:  # an op added to OPS after import: the plain walk's step")
    src.append("            _step(node, g, _slots)")
    return "\n".join(src) + "\n", env


BACKWARD_SOURCE, _ENV = _generate()


def accelerate(step: Callable[..., Any], slots: Any) -> Callable[[Value, float], None]:
    """``graph.backward``'s pass, accelerated: compile the generated loop, with ``step(node, g,
    slots)`` (the plain walk's step) for rows it has no branch for, and register its source
    in ``linecache`` under ``GENERATED_FILE``. Returns ``backward(root, grad)``: root is an op
    node, grad a float, the caller holds the lock."""
    env = {**_ENV, "_step": step, "_slots": slots}
    lines = BACKWARD_SOURCE.splitlines(keepends=True)
    linecache.cache[GENERATED_FILE] = (len(BACKWARD_SOURCE), None, lines, GENERATED_FILE)
    exec(compile(BACKWARD_SOURCE, GENERATED_FILE, "exec"), env)
    backward: Callable[[Value, float], None] = env["backward"]
    return backward

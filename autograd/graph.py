"""Walking a graph: topological order, backward (the chain rule), zeroing gradients.

The accumulation policy is PyTorch's: leaves *accumulate* gradients across backward()
calls (a second call on the same graph exactly doubles every leaf's grad; zero them with
``zero_grad``), while intermediate Values get their grad recomputed from scratch on each
pass (never compounded, unlike micrograd).
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterable
from typing import Any

import tracegrad.autograd.value as _value
from tracegrad.autograd.codegen import MATH_NAMES, trace_partials
from tracegrad.autograd.ops import OPS, FloatMath, Op
from tracegrad.autograd.value import Value, _materialise

__all__ = ["topo_order", "prepare", "propagate", "backward", "zero_grad"]


def topo_order(root: Value | Iterable[Value], *, constants: bool = True) -> list[Value]:
    """Every Value reachable from root(s), inputs before the Values made from them.

    Iterative (no recursion limit: a chain of a million ops is fine) and deterministic:
    the order depends only on the graph, never on hashing or memory addresses. Constant
    operands (the 1.0001 of ``x * 1.0001``) are included as leaf Values; with
    ``constants=False`` they are left out (and stay plain numbers inside their nodes).
    """
    roots = [root] if isinstance(root, Value) else list(root)
    # A depth-first walk with an explicit stack. An op node is pushed once on the way down
    # and once more (when first expanded) to be emitted on the way back up, after its inputs:
    # `done[node]` is False while its inputs are being walked, True once it is in `order`.
    # A leaf is emitted when first popped. Keys are the Values themselves (identity hash), so
    # the walk allocates nothing per node that the garbage collector would have to track.
    order: list[Value] = []
    done: dict[Value, bool] = {}
    stack = roots[::-1]
    push = stack.append
    pop = stack.pop
    while stack:
        node = pop()
        state = done.get(node)
        if state is None:  # first visit
            a = node._a
            if a is None:  # a leaf has no inputs to walk: emit it now
                done[node] = True
                order.append(node)
                continue
            done[node] = False  # come back to it after its inputs
            push(node)
            b = node._b
            if constants and (type(a) is float or type(b) is float):
                a, b = _materialise(node)
            # push b before a: a's side is walked first
            if type(b) is Value and b not in done:
                push(b)
            if type(a) is Value and a not in done:
                push(a)
        elif not state:  # its inputs are all in order: emit it (in a DAG this is the revisit)
            done[node] = True
            order.append(node)
    return order


def prepare(root: Value, grad: float = 1.0) -> list[Value]:
    """Start a backward pass: the topological order, intermediate grads zeroed, root seeded.

    After this, visiting ``reversed(order)`` with ``propagate`` is the whole pass; stopping
    early leaves every grad exactly as a full pass would have it at that point.
    """
    if not isinstance(root, Value):
        raise TypeError(f"backward() needs a Value, got {type(root).__name__}")
    order = topo_order(root)
    for node in order:
        if node._op is not None:
            node.grad = 0.0
    if root._op is None:
        root.grad += grad
    else:
        root.grad = grad
    return order


def propagate(node: Value) -> tuple[float, ...]:
    """One chain-rule step: add node.grad * d(node)/d(parent) into each parent's grad.

    Returns the local partials d(node)/d(parent), one per parent (empty for a leaf).
    """
    op = node._op
    if op is None:
        return ()
    g = node.grad
    parents = node.parents
    partials: tuple[float, ...] = op.partials(FloatMath, node.data, *[p.data for p in parents])
    for p, d in zip(parents, partials):
        p.grad += g * d
    return partials


def _op_order(root: Value) -> list[Value]:
    """The op nodes root depends on (root included), inputs first; each one's grad is 0.0.

    backward()'s own walk, a depth-first search that needs no leaves and no dictionary. A
    node's mark is its grad, set to one of two float objects made for this walk (compared
    by identity): ``open`` while its inputs are walked, then ``done`` (0.0, the start of its
    gradient) once it is in the order. A node not yet reached holds some other float, and
    marks left by an interrupted pass are other objects, so they never confuse the next one.
    The walk steps straight down into an input instead of pushing and popping it (measured
    on mlp_step's graph: 25 % faster than a stack-only walk, 3x faster than marks in a dict).
    """
    open_ = float("0")
    done = float("0")
    order: list[Value] = []
    emit = order.append
    stack: list[Value] = []
    push = stack.append
    pop = stack.pop
    node = root
    while True:
        a = node._a
        b = node._b
        if type(a) is Value and a._op is not None and a.grad is not done:
            node.grad = open_  # come back to it after its inputs
            push(node)
            if type(b) is Value and b._op is not None and b.grad is not done:
                push(b)  # above node on the stack: walked before node is emitted
            node = a
            continue
        if type(b) is Value and b._op is not None and b.grad is not done:
            node.grad = open_
            push(node)
            node = b
            continue
        node.grad = done  # its inputs are all in order
        emit(node)
        while stack:  # the next node to walk, emitting the open ones on the way
            node = pop()
            g = node.grad
            if g is open_:
                node.grad = done
                emit(node)
            elif g is not done:
                break
        else:
            return order


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
    used = " ".join(p for p, c in zip(parts, consts) if not c) if parts is not None else ""
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
        if not consts[i]:
            lines.append(f"{slot}.grad += {_contribution(parts[i])}")
    return lines


def _generate() -> tuple[Callable[[list[Value]], None], str]:
    """One backward loop for the whole table: a branch per op (and per constant operand),
    with the op's partials inlined as source traced from its row (see ``codegen``)."""
    env: dict[str, Any] = {"_FloatMath": FloatMath, "propagate": propagate, **MATH_NAMES}
    src = ["def _propagate(order):", "    for node in reversed(order):"]
    src += ["        op = node._op", "        g = node.grad", "        a = node._a"]
    for k, op in enumerate(OPS.values()):
        env[f"_op{k}"] = op
        src.append(f"        {'if' if k == 0 else 'elif'} op is _op{k}:  # {op.name}")
        if op.arity == 1:
            src += ["            " + line for line in _body(op, k, (False,))]
            continue
        src.append("            b = node._b")
        cases = [("if type(b) is float:", (False, True)), ("elif type(a) is float:", (True, False))]
        for test, consts in [*cases, ("else:", (False, False))]:
            src.append("            " + test)
            src += ["                " + line for line in _body(op, k, consts)]
    src.append("        else:")  # an op added to OPS after import: the generic step
    src.append("            propagate(node)")
    text = "\n".join(src) + "\n"
    exec(compile(text, "<tracegrad backward, generated from the ops table>", "exec"), env)
    return env["_propagate"], text


_propagate, BACKWARD_SOURCE = _generate()
_LOCK = threading.Lock()  # one backward() at a time: marks and grads are shared state


def backward(
    root: Value, *, grad: float = 1.0, create_graph: bool = False
) -> dict[Value, Value] | None:
    """Apply the chain rule from root back to every Value it depends on.

    Sets root.grad to ``grad`` (1.0: dL/dL), recomputes every intermediate grad for this
    pass and adds d(root)/d(leaf) into each leaf's grad. With ``create_graph=True`` the
    gradients are also built as Values and returned as ``{value: gradient Value}``
    (see ``tracegrad.autograd.higher``); ``.grad`` stays a float either way. Threads calling
    backward() at once take turns (each pass is whole), so four passes add 4x into leaves.
    """
    if create_graph:
        from tracegrad.autograd.higher import backward_create_graph

        return backward_create_graph(root, grad)
    if type(root) is not Value and not isinstance(root, Value):
        raise TypeError(f"backward() needs a Value, got {type(root).__name__}")
    if type(grad) is not float:
        grad = float(grad)
    with _LOCK:
        if root._op is None:
            root.grad += grad
            return None
        order = _op_order(root)
        root.grad = grad
        _propagate(order)
    return None


def zero_grad(root: Value | Iterable[Value]) -> None:
    """Set grad to 0.0 on root(s) and every Value they depend on."""
    for node in topo_order(root, constants=False):
        node.grad = 0.0


_value._backward = backward  # Value.backward calls it without an import per call

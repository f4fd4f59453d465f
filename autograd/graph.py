"""Walking a graph: topological order, backward (the chain rule), zeroing gradients.

The accumulation policy is PyTorch's: leaves *accumulate* gradients across backward()
calls (a second call on the same graph exactly doubles every leaf's grad; zero them with
``zero_grad``), while intermediate Values get their grad recomputed from scratch on each
pass (never compounded, unlike micrograd).
"""

from __future__ import annotations

from collections.abc import Iterable

from tracegrad.autograd.ops import FloatMath
from tracegrad.autograd.value import Value

__all__ = ["topo_order", "prepare", "propagate", "backward", "zero_grad"]


def topo_order(root: Value | Iterable[Value]) -> list[Value]:
    """Every Value reachable from root(s), inputs before the Values made from them.

    Iterative (no recursion limit: a chain of a million ops is fine) and deterministic:
    the order depends only on the graph, never on hashing or memory addresses.
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
            b = node._b  # push b before a: a's side is walked first
            if b is not None and b not in done:
                push(b)
            if a not in done:
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


def backward(
    root: Value, *, grad: float = 1.0, create_graph: bool = False
) -> dict[Value, Value] | None:
    """Apply the chain rule from root back to every Value it depends on.

    Sets root.grad to ``grad`` (1.0: dL/dL), recomputes every intermediate grad for this
    pass and adds d(root)/d(leaf) into each leaf's grad. With ``create_graph=True`` the
    gradients are also built as Values and returned as ``{value: gradient Value}``
    (see ``tracegrad.autograd.higher``); ``.grad`` stays a float either way.
    """
    if create_graph:
        from tracegrad.autograd.higher import backward_create_graph

        return backward_create_graph(root, grad)
    order = prepare(root, grad)
    if root._op is None:
        return None
    m = FloatMath
    # The loop below is `for node in reversed(order): propagate(node)`, inlined for speed.
    for node in reversed(order):
        op = node._op
        if op is None:
            continue
        g = node.grad
        a: Value = node._a  # type: ignore[assignment]  # an op node has a first input
        b = node._b
        if b is None:
            (da,) = op.partials(m, node.data, a.data)
            a.grad += g * da
        else:
            da, db = op.partials(m, node.data, a.data, b.data)
            a.grad += g * da
            b.grad += g * db
    return None


def zero_grad(root: Value | Iterable[Value]) -> None:
    """Set grad to 0.0 on root(s) and every Value they depend on."""
    for node in topo_order(root):
        node.grad = 0.0

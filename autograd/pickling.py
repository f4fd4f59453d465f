"""Pickling and copying Values: a graph written flat, ops by name.

``Value.__reduce__`` uses these (this module knows nodes only by their slots, so the engine
imports it, never the other way round). A graph is written as its leaves plus one record per op
node (the op's name in the table, its operands as node numbers or float constants), never
the table's functions and never recursively: a chain of 10^5 ops pickles and deep-copies
without RecursionError, and a graph made cyclic (a slot changed by hand) is refused in one
line (``GraphCycleError``) instead of growing without end. Leaves are pickled as themselves,
so a parameter shared by several graphs pickled together stays one object when they are
loaded.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from tracegrad.autograd.limits import cycle_error
from tracegrad.autograd.ops import OPS

if TYPE_CHECKING:
    from tracegrad.autograd.value import Value

__all__ = ["flatten", "rebuild"]


def _is_node(x: Any) -> bool:
    return x is not None and type(x) is not float  # an input slot: a node, a constant or None


Record = tuple[str, Any, Any, float, float, str]


def flatten(root: Value) -> tuple[tuple[Value, ...], tuple[Record, ...]]:
    """root's graph as (leaves, records): record k is node len(leaves) + k, an op name with
    its operands as node numbers (an int) or constants (a float), then data, grad, label."""
    leaves: list[Value] = []
    ops: list[Value] = []
    number: dict[Value, int] = {}
    stack: list[Value] = [root]
    open_: set[Value] = set()  # waiting for their operands: the path down to the top
    while stack:  # iterative post-order: operands are numbered before the node using them
        node = stack[-1]
        if node in number:
            stack.pop()
            continue
        waiting = [x for x in (node._a, node._b) if _is_node(x) and x not in number]
        if waiting:
            for x in waiting:
                if x in open_:
                    raise cycle_error(x)
            open_.add(node)
            stack.extend(reversed(waiting))  # type: ignore[arg-type]
            continue
        open_.discard(node)
        stack.pop()
        if node._op is None:
            number[node] = len(leaves)
            leaves.append(node)
        else:
            number[node] = -1 - len(ops)
            ops.append(node)

    def ref(x: Any) -> Any:
        if not _is_node(x):
            return x  # a float constant or None
        k = number[x]
        return k if k >= 0 else len(leaves) - 1 - k

    records = tuple(
        (n._op.name, ref(n._a), ref(n._b), n.data, n.grad, n.label)  # type: ignore[union-attr]
        for n in ops
    )
    return tuple(leaves), records


def rebuild(
    leaves: tuple[Value, ...], records: tuple[Record, ...], make: Callable[..., Value]
) -> Value:
    """The graph flatten wrote, rebuilt with ``make(data, op, a, b)`` (``value._make``) and
    the table's ops looked up by name."""
    nodes: list[Value] = list(leaves)

    def get(x: Any) -> Any:
        return nodes[x] if type(x) is int else x

    for name, a, b, data, grad, label in records:
        v = make(float(data), OPS[name], get(a), get(b))
        v.grad = grad
        v.label = label
        nodes.append(v)
    return nodes[-1]

"""One backward pass, recorded and then undone: the numbers ``explain`` and ``backward_table`` show.

It is the project's own pass (``tracegrad.autograd.graph.reverse_walk``, the walk ``backward()``
means) from root with every gradient starting at 0, kept in a dictionary of its own: each node's
gradient and local partials are recorded and no ``.grad`` is touched, so reading an explanation
never changes a gradient.
"""

from __future__ import annotations

from dataclasses import dataclass

from tracegrad.autograd.explaining.steps import NodeNames
from tracegrad.autograd.graph import reverse_walk, topo_order
from tracegrad.autograd.value import Value

__all__ = ["RecordedPass", "record_pass"]


@dataclass
class RecordedPass:
    """A graph's topological order, names, and the pass's numbers keyed by ``id(node)``."""

    order: list[Value]
    grads: dict[int, float]  # id(node) -> d(root)/d(node)
    partials: dict[int, tuple[float, ...]]  # id(node) -> local partials, one per parent
    names: NodeNames


def record_pass(root: Value, caller: str = "explain()") -> RecordedPass:
    """The backward pass from root with every grad starting at 0, recorded; grads restored."""
    if not isinstance(root, Value):
        raise TypeError(f"{caller} needs a Value as root, got {type(root).__name__}")
    order = topo_order(root)
    grads: dict[Value, float] = {n: 0.0 for n in order}
    grads[root] = 1.0
    partials = {
        id(node): tuple(float(d) for d in raw) for node, _, raw in reverse_walk(order, grads)
    }
    by_id = {id(n): g for n, g in grads.items()}
    return RecordedPass(order, by_id, partials, NodeNames(order, root))

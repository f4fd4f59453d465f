"""One backward pass, recorded and then undone: the numbers ``explain`` and ``backward_table`` show.

It is the project's own pass (``tracegrad.autograd.graph.prepare``/``propagate``) from root with
every grad starting at 0; each node's gradient and local partials are kept, then every ``.grad``
is put back, so reading an explanation never changes a gradient.
"""

from __future__ import annotations

from dataclasses import dataclass

from tracegrad.autograd.explaining.steps import NodeNames
from tracegrad.autograd.graph import prepare, propagate, topo_order
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
    saved = [n.grad for n in order]
    partials: dict[int, tuple[float, ...]] = {}
    try:
        for n in order:
            n.grad = 0.0
        prepare(root)
        for node in reversed(order):
            if node._op is not None:
                partials[id(node)] = tuple(float(d) for d in propagate(node))
        grads = {id(n): n.grad for n in order}
    finally:
        for n, g in zip(order, saved):
            n.grad = g
    return RecordedPass(order, grads, partials, NodeNames(order, root))

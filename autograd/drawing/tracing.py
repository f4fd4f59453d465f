"""Which part of a graph to look at: the nodes and edges behind a Value, in a stable order.

``trace(root)`` is the whole graph (as micrograd's ``trace``, but ordered, so two runs draw
the same picture). ``depth=`` keeps only the last few operations before ``root``;
``around=node`` keeps the neighbourhood of one Value; ``gradient_path(root, node)`` is every Value
on a path from ``node`` to ``root`` (what to highlight to show how a parameter reaches the loss).
"""

from __future__ import annotations

from collections import deque
from typing import Any, NamedTuple

from tracegrad.autograd.graph import topo_order
from tracegrad.autograd.value import Value

__all__ = ["Trace", "trace", "gradient_path", "GraphTooLargeError", "DEFAULT_MAX_NODES"]

DEFAULT_MAX_NODES = 2000  # beyond this a drawing is unreadable and slow to lay out


class GraphTooLargeError(ValueError):
    """A graph with more Values than a drawing allows; the message says how to draw part."""


class Trace(NamedTuple):
    """Values (inputs before outputs) and edges (input, output) of (part of) a graph.

    ``cut`` holds the Values drawn without some of their inputs (beyond a ``depth`` limit).
    Unpacks like micrograd's ``nodes, edges = trace(root)`` when ``cut`` is ignored.
    """

    nodes: list[Value]
    edges: list[tuple[Value, Value]]
    cut: list[Value]


def trace(
    root: Value,
    *,
    depth: int | None = None,
    around: Value | None = None,
    max_nodes: int | None = None,
) -> Trace:
    """The nodes and edges reachable from ``root``, optionally only part of them.

    ``depth=k`` keeps the Values at most k operations before ``root`` (or, with ``around``,
    at most k steps from ``around`` in either direction). With ``max_nodes``, a larger
    selection raises GraphTooLargeError (found without walking all of a huge graph).
    """
    if not isinstance(root, Value):
        raise TypeError(f"trace() needs a Value, got {type(root).__name__}")
    if depth is not None and (not isinstance(depth, int) or depth < 0):
        raise ValueError(f"depth must be a whole number >= 0, got {depth!r}")
    if around is None:
        nodes = _behind(root, depth, max_nodes)
    else:
        nodes = _around(root, around, depth, max_nodes)
    kept = {id(v) for v in nodes}
    edges = [(p, v) for v in nodes for p in v.parents if id(p) in kept]
    cut = [v for v in nodes if any(id(p) not in kept for p in v.parents)]
    return Trace(nodes, edges, cut)


def _behind(root: Value, depth: int | None, max_nodes: int | None) -> list[Value]:
    """The Values at most depth operations before root (all of them without a depth)."""
    keep = None if depth is None else _within(root, depth)
    if max_nodes is not None:
        n = len(keep) if keep is not None else _count(root, max_nodes)
        _check_size(n, max_nodes)
    # with a depth limit, never walk the whole (possibly huge) graph behind the cut
    return topo_order(root) if keep is None else _ordered(root, keep)


def _around(root: Value, around: Any, depth: int | None, max_nodes: int | None) -> list[Value]:
    """The Values of root's graph at most depth steps from around, in either direction."""
    if not isinstance(around, Value):
        raise TypeError(f"around= needs a Value, got {type(around).__name__}")
    full = topo_order(root)
    near = _neighbourhood(full, around, depth)
    nodes = [v for v in full if id(v) in near]
    if max_nodes is not None:
        _check_size(len(nodes), max_nodes)
    return nodes


def gradient_path(root: Value, node: Value) -> list[Value]:
    """Every Value on a path from ``node`` to ``root`` (both included), inputs first.

    These are the Values through which ``node`` influences ``root``: the chain rule for
    d(root)/d(node) multiplies local derivatives along exactly these edges.
    """
    order = topo_order(root)
    on: set[int] = {id(node)}
    if not any(v is node for v in order):
        raise ValueError(f"{_name(node)} is not part of the graph of {_name(root)}")
    for v in order:
        if any(id(p) in on for p in v.parents):
            on.add(id(v))
    return [v for v in order if id(v) in on]


def _name(v: Value) -> str:
    return f"Value {v.label!r}" if v.label else repr(v)


def _count(root: Value, limit: int) -> int:
    """The number of Values behind root, counting no further than limit + 1."""
    seen = {id(root)}
    stack = [root]
    while stack and len(seen) <= limit:
        for p in stack.pop().parents:
            if id(p) not in seen:
                seen.add(id(p))
                stack.append(p)
    return len(seen)


def _check_size(n: int, limit: int) -> None:
    if n > limit:
        raise GraphTooLargeError(
            f"too large to draw: the graph has more than {limit} values (max_nodes={limit}); "
            "draw part of it: depth=10 keeps the last 10 operations, around=value, depth=3 "
            "the neighbourhood of one value, or raise max_nodes"
        )


def _within(root: Value, depth: int) -> dict[int, int]:
    """id -> distance (in operations) from root, for Values at most depth steps back."""
    dist = {id(root): 0}
    queue = deque([root])
    while queue:
        v = queue.popleft()
        d = dist[id(v)]
        if d == depth:
            continue
        for p in v.parents:
            if id(p) not in dist:
                dist[id(p)] = d + 1
                queue.append(p)
    return dist


def _ordered(root: Value, keep: dict[int, int]) -> list[Value]:
    """The kept Values, inputs before outputs (topo_order restricted to keep)."""
    order: list[Value] = []
    seen: set[int] = set()
    stack: list[tuple[Value, bool]] = [(root, False)]
    while stack:
        v, expanded = stack.pop()
        if expanded:
            order.append(v)
            continue
        if id(v) in seen:
            continue
        seen.add(id(v))
        stack.append((v, True))
        for p in reversed(v.parents):
            if id(p) in keep and id(p) not in seen:
                stack.append((p, False))
    return order


def _neighbourhood(full: list[Value], around: Value, depth: int | None) -> set[int]:
    """ids of the Values at most depth steps from around, following edges either way."""
    if not any(v is around for v in full):
        raise ValueError(f"around={_name(around)} is not part of the graph being drawn")
    children: dict[int, list[Value]] = {}
    for v in full:
        for p in v.parents:
            children.setdefault(id(p), []).append(v)
    dist = {id(around): 0}
    queue = deque([around])
    while queue:
        v = queue.popleft()
        d = dist[id(v)]
        if depth is not None and d == depth:
            continue
        for w in (*v.parents, *children.get(id(v), ())):
            if id(w) not in dist:
                dist[id(w)] = d + 1
                queue.append(w)
    return set(dist)

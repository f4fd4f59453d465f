"""How a gradient was obtained, written as a hand derivation: ``explain(root, wrt=x)``.

The derivative d(root)/dx is the sum over every path from x up to root of the product of
the local derivatives along it. ``explain`` writes it the way a person does on paper:

- Factors run between the Values the user *labelled* (plus root and x); unlabelled
  intermediates are folded into one factor, so with ``o1`` and ``E`` labelled,
  ``E = 0.5*(y1 - o1)**2 + ...`` contributes the single factor dE/do1. ``expand=True`` makes
  every Value a factor boundary, with generated names (``v3``) for unlabelled ones.
- Shared path segments are written once: a product along the segments every path passes
  through, and a named sum (``dE/dh1 = ... + ...``) where paths split and rejoin.
- When the paths are too many to list (more than ``max_paths``, counted by dynamic
  programming, never enumerated), it switches to the per-node (delta) form:
  one line per node, its gradient from the nodes just above it.

Reading an explanation never changes any ``.grad``: the numbers come from one recorded
backward pass (``tracegrad.autograd.explaining.record``) whose grads are put back afterwards.

The pieces live by idea: the derivation as data and text in ``derivation.py``, finding the
factors and grouping the paths in ``grouping.py``, the backward pass as a table
(``backward_table``) in ``table_view.py``; all their public names are importable from here.
"""

from __future__ import annotations

import numbers
from typing import Any

from tracegrad.autograd.explaining.derivation import Chain, Delta, Derivation, Factor, Sum
from tracegrad.autograd.explaining.grouping import CondensedGraph, Grouper
from tracegrad.autograd.explaining.record import RecordedPass, record_pass
from tracegrad.autograd.explaining.table_view import BackwardTable, TableRow, backward_table
from tracegrad.autograd.formatting import fmt, tidy
from tracegrad.autograd.value import Value

__all__ = [
    "explain",
    "Derivation",
    "Factor",
    "Chain",
    "Sum",
    "Delta",
    "backward_table",
    "BackwardTable",
    "TableRow",
    "MAX_PATHS",
    "tidy",
]

MAX_PATHS = 200  # above this many paths from x to root, explain() uses the delta form


def explain(
    root: Value, wrt: Value | str, *, expand: bool = False, max_paths: int = MAX_PATHS
) -> Derivation:
    """How d(root)/d(wrt) is obtained, as a :class:`Derivation` (print it to read it).

    ``wrt`` is a Value of root's graph or its label. Factors run between labelled Values
    (``expand=True``: between all Values). Above ``max_paths`` paths (a whole number, 1 or
    more), the per-node form.
    """
    _check_max_paths(max_paths)
    p = record_pass(root)
    x = _resolve(wrt, p)
    graph = CondensedGraph(p, root, x, expand)
    names = p.names
    value = p.grads[id(x)]
    common: dict[str, Any] = {
        "root": names(root),
        "wrt": names(x),
        "value": value,
        "path_count": graph.path_count,
        "factors": graph.factors(),
        "expanded": expand,
    }
    if x is root:
        chain = Chain(names(root), names(x), value, ())
        return Derivation(mode="chain", chain=chain, sums=(), deltas=(), **common)
    if graph.path_count <= max_paths:
        try:
            grouper = Grouper(graph)
            chain = grouper.chain(x, root)
            sums = tuple(grouper.sums)
            return Derivation(mode="chain", chain=chain, sums=sums, deltas=(), **common)
        except RecursionError:  # a pathologically nested graph: the delta form still works
            pass
    note = (
        f"d{names(root)}/d{names(x)}: {graph.path_count} paths from {names(x)} to "
        f"{names(root)}, too many to list (more than {max_paths}): written per node (delta form)."
    )
    deltas = graph.deltas()
    return Derivation(mode="delta", chain=None, sums=(), deltas=deltas, note=note, **common)


def _check_max_paths(max_paths: object) -> None:
    if not isinstance(max_paths, numbers.Integral) or isinstance(max_paths, bool):
        raise TypeError(f"max_paths must be a whole number, got {type(max_paths).__name__}")
    if max_paths < 1:
        raise ValueError(
            f"max_paths must be 1 or more (the most paths written out before the per-node "
            f"form), got {max_paths}"
        )


def _resolve(wrt: Value | str, p: RecordedPass) -> Value:
    """The Value wrt stands for: itself if it is in the graph, or the one Value with that label."""
    if isinstance(wrt, Value):
        if any(n is wrt for n in p.order):
            return wrt
        what = f"labelled {wrt.label!r}" if wrt.label else f"with data {fmt(wrt.data)}"
        raise ValueError(f"wrt: the Value {what} is not part of the graph of the root")
    if isinstance(wrt, str):
        found = [n for n in p.order if n.label == wrt]
        if len(found) == 1:
            return found[0]
        if not found:
            labels = sorted({n.label for n in p.order if n.label})
            raise ValueError(
                f"wrt: no Value labelled {wrt!r} in the graph; labels: {', '.join(labels)}"
            )
        raise ValueError(f"wrt: {len(found)} Values are labelled {wrt!r}; pass the Value")
    raise TypeError(f"wrt must be a Value or a label (str), got {type(wrt).__name__}")

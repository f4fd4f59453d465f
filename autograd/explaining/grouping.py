"""From a graph to the shape of its derivation: factors, shared segments, sums (for ``explain``).

Three steps, each a class here:

- :class:`CondensedGraph` keeps the *boundary* Values on some path from x up to root (the
  labelled ones plus root and x; every Value with ``expand``) and joins each pair that is
  connected through unlabelled Values only by one :class:`Factor`. Its number is summed over
  those paths by a local backward sweep (:class:`_Fold`), its formula written from the ops
  table's text (:class:`FormulaWriter`). Paths are counted by dynamic programming, never listed.
- :class:`Grouper` writes d(root)/d(x) as a product along the Values every path visits, with a
  named :class:`Sum` where paths split and rejoin.
- :meth:`CondensedGraph.deltas` is the per-node (delta) form used when paths are too many.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

from tracegrad.autograd.explaining.derivation import Chain, Delta, Factor, Item, Sum
from tracegrad.autograd.explaining.record import RecordedPass
from tracegrad.autograd.explaining.steps import FormulaWriter, Introductions, wrap
from tracegrad.autograd.value import Value

__all__ = ["CondensedGraph", "FormulaWriter", "Grouper"]

_FORMULA_PATHS = 6  # a folded factor spanning more paths gets a summary instead of a formula
_FORMULA_STEPS = 8  # ... and so does one whose path has more local derivatives (not 1) than this

Edge = tuple[Value, Factor]  # the Value at the other end of a factor, and the factor


def _path_text(steps: list[str]) -> str:
    """One path's local derivatives, top first, as a product (factors of 1 left out)."""
    kept = [s for s in steps if s not in ("1", "1.0")]
    if len(kept) > 1:
        kept = [wrap(s) for s in kept]
    return " · ".join(kept) if kept else "1"


# ---------------------------------------------------------------- one factor's sweep
@dataclass
class _Flow:
    """What reaches a Value from a factor's top: the sum over paths of the product of
    partials, how many paths, and each path's formula steps (None once too many to read)."""

    value: float = 0.0
    paths: int = 0
    texts: list[list[str]] | None = field(default_factory=list)

    def receive(self, value: float, paths: int, texts: list[list[str]] | None) -> None:
        self.value += value
        self.paths += paths
        if texts is None or self.texts is None or len(self.texts) + len(texts) > _FORMULA_PATHS:
            self.texts = None
        else:
            self.texts = self.texts + texts

    def formula(self, n_folded: int) -> str:
        if self.texts is None:
            if self.paths == 1:
                return f"(product along {n_folded} unlabelled values)"
            return f"(sum over {self.paths} paths through unlabelled values)"
        texts = [_path_text(path) for path in self.texts]
        return " + ".join(wrap(t) if len(texts) > 1 else t for t in texts)


class _Fold:
    """The factors d(top)/d(b) for each boundary Value b that top reaches through unlabelled
    Values only: a backward sweep over that unlabelled region, topmost node first."""

    def __init__(self, top: Value, graph: CondensedGraph) -> None:
        self.top = top
        self.g = graph
        self.region = self._region()  # top and the unlabelled Values below it, topmost first
        self.flows: dict[int, _Flow] = {id(top): _Flow(1.0, 1, [[]])}  # inside the region
        self.reached: dict[int, tuple[Value, _Flow]] = {}  # boundary Values reached

    def _region(self) -> list[Value]:
        g, top = self.g, self.top
        seen = {id(top)}
        frontier, region = [top], []
        while frontier:
            n = frontier.pop()
            region.append(n)
            for q in n.parents:
                if id(q) in g.on_path and id(q) not in g.boundary and id(q) not in seen:
                    seen.add(id(q))
                    frontier.append(q)
        region.sort(key=lambda n: -g.pos[id(n)])
        return region

    def _sweep(self) -> None:
        """Pass each region node's flow to its inputs (all its users come before it)."""
        g = self.g
        for n in self.region:
            flow = self.flows.get(id(n), _Flow())
            for i, q in enumerate(n.parents):
                if id(q) not in g.on_path:
                    continue
                d = g.p.partials[id(n)][i]
                if id(q) in g.boundary:
                    target = self.reached.setdefault(id(q), (q, _Flow()))[1]
                else:
                    target = self.flows.setdefault(id(q), _Flow())
                target.receive(flow.value * d, flow.paths, self._extend(flow.texts, n, i))

    def _extend(self, texts: list[list[str]] | None, n: Value, i: int) -> list[list[str]] | None:
        """Each path's steps with d(n)/d(input i) appended (None when too long to read)."""
        if texts is None:
            return None
        step = self.g.writer.partial(n, i)
        out = texts if step in ("1", "1.0") else [path + [step] for path in texts]
        return None if any(len(path) > _FORMULA_STEPS for path in out) else out

    def _reaches(self) -> dict[int, set[int]]:
        """For each region node, the boundary Values (ids) it reaches."""
        g = self.g
        out: dict[int, set[int]] = {}
        region_ids = {id(n) for n in self.region}
        for n in reversed(self.region):
            r: set[int] = set()
            for q in n.parents:
                if id(q) in g.boundary:
                    r.add(id(q))
                elif id(q) in region_ids:
                    r |= out[id(q)]
            out[id(n)] = r
        return out

    def factors(self) -> list[Edge]:
        """One Factor per boundary Value reached, the lowest (last computed) first."""
        self._sweep()
        g, names = self.g, self.g.p.names
        reaches = self._reaches()
        folded = self.region[1:]
        definition = g.writer.definition(self.top)
        out = []
        for q, flow in sorted(self.reached.values(), key=lambda e: -g.pos[id(e[0])]):
            factor = Factor(
                top=names(self.top),
                bottom=names(q),
                value=flow.value,
                formula=flow.formula(len(folded)),
                definition=definition,
                introduces=g.introduced.get(id(self.top), ()),
                folded=tuple(names(n) for n in folded if id(q) in reaches[id(n)]),
                paths=flow.paths,
                top_node=self.top,
                bottom_node=q,
            )
            out.append((q, factor))
        return out


# ---------------------------------------------------------------- the condensed graph
class CondensedGraph:
    """The boundary Values between x and root, joined by one Factor per folded stretch.

    ``x=None`` folds the whole graph (practice mode's questions); ``keep`` names (by id) more
    Values to keep as boundaries, for those whose definition would not fit inline.

    ``below[id(top)]`` and ``above[id(bottom)]`` list each Value's factors downwards and
    upwards; ``path_count`` is the number of paths from x up to root.
    """

    def __init__(
        self,
        p: RecordedPass,
        root: Value,
        x: Value | None,
        expand: bool,
        keep: frozenset[int] = frozenset(),
    ) -> None:
        self.p, self.root, self.x = p, root, x
        self.pos = {id(n): i for i, n in enumerate(p.order)}
        self.on_path = self._on_path()
        self.key_nodes = [
            n
            for n in p.order
            if id(n) in self.on_path and (expand or n.label or n is root or n is x or id(n) in keep)
        ]
        self.boundary = {id(n) for n in self.key_nodes}
        self.writer = FormulaWriter(p.names, self.boundary, expand)
        self.introduced = self._introductions()
        self.below: dict[int, list[Edge]] = {
            id(top): _Fold(top, self).factors() for top in self.key_nodes if top is not x
        }
        self.above: dict[int, list[Edge]] = {}
        for top in self.key_nodes:
            for bottom, f in self.below.get(id(top), []):
                self.above.setdefault(id(bottom), []).append((top, f))
        self.path_count = self._count_paths() if x is not None else 0

    def _introductions(self) -> dict[int, tuple[str, ...]]:
        """Per boundary Value, the generated names its definition uses that no line of the
        derivation defines (off the paths: the v18 of 'E = v12 + v18'), from the root down."""
        intro = Introductions(self.p.names)
        for n in self.key_nodes:
            intro.said(n)  # each has its own definition line
        out: dict[int, tuple[str, ...]] = {}
        for top in reversed(self.key_nodes):
            if top is not self.x and top._op is not None:
                said = intro.first_uses(self.writer.named_inputs(top))
                if said:
                    out[id(top)] = tuple(said)
        return out

    def _on_path(self) -> set[int]:
        """The Values on some path from x up to root: x and everything computed from it
        (without an x: every Value that is not a plain number)."""
        if self.x is None:
            return {id(n) for n in self.p.order if not self.p.names.is_constant(n)}
        on_path = {id(self.x)}
        for node in self.p.order[self.pos[id(self.x)] + 1 :]:
            if any(id(q) in on_path for q in node.parents):
                on_path.add(id(node))
        return on_path

    def _count_paths(self) -> int:
        """Paths from x up to root, by dynamic programming over the factors (never listed)."""
        count: dict[int, int] = {id(self.x): 1}
        for top in self.key_nodes:
            if top is not self.x:
                count[id(top)] = sum(count.get(id(b), 0) for b, _ in self.below[id(top)])
        return count[id(self.root)]

    def factors(self) -> tuple[Factor, ...]:
        """Every distinct factor, from the root down."""
        return tuple(f for top in reversed(self.key_nodes) for _, f in self.below.get(id(top), []))

    def deltas(self) -> tuple[Delta, ...]:
        """The per-node form: each boundary Value's gradient from the Values just above it."""
        names, grads = self.p.names, self.p.grads
        return tuple(
            Delta(
                names(n),
                grads[id(n)],
                tuple((names(u), grads[id(u)], f) for u, f in self.above[id(n)]),
            )
            for n in reversed(self.key_nodes)
            if n is not self.root
        )


# ---------------------------------------------------------------- products and sums
class Grouper:
    """Writes d(top)/d(bottom) as products along shared segments and sums where paths split."""

    def __init__(self, graph: CondensedGraph) -> None:
        self.pos = graph.pos
        self.names = graph.p.names
        self.below = graph.below
        self.above = graph.above
        self.sums: list[Sum] = []
        self._sum_seen: set[tuple[int, int]] = set()
        self._memo: dict[tuple[int, int], Chain] = {}

    def _between(self, a: Value, b: Value) -> list[Value]:
        """Boundary Values on some path from a up to b, in topological order."""
        lo, hi = self.pos[id(a)], self.pos[id(b)]
        up = {id(a)}
        cand: list[Value] = [a]
        stack = [a]
        while stack:
            n = stack.pop()
            for u, _ in self.above.get(id(n), []):
                if id(u) not in up and self.pos[id(u)] <= hi:
                    up.add(id(u))
                    cand.append(u)
                    stack.append(u)
        down = {id(b)}
        stack = [b]
        while stack:
            n = stack.pop()
            for q, _ in self.below.get(id(n), []):
                if id(q) not in down and self.pos[id(q)] >= lo:
                    down.add(id(q))
                    stack.append(q)
        nodes = [n for n in cand if id(n) in down]
        nodes.sort(key=lambda n: self.pos[id(n)])
        return nodes

    def chain(self, a: Value, b: Value) -> Chain:
        """d(b)/d(a) for b computed from a: segments between the Values every path visits."""
        memo = self._memo.get((id(a), id(b)))
        if memo is not None:
            return memo
        nodes = self._between(a, b)
        rank = {id(n): i for i, n in enumerate(nodes)}
        inside = set(rank)
        # A Value is on every path iff no edge jumps over it in topological order.
        cover = [0] * (len(nodes) + 1)
        for n in nodes:
            for u, _ in self.above.get(id(n), []):
                if id(u) in inside:
                    lo, hi = rank[id(n)], rank[id(u)]
                    if hi > lo + 1:
                        cover[lo + 1] += 1
                        cover[hi] -= 1
        cuts: list[Value] = []
        running = 0
        for i, n in enumerate(nodes):
            running += cover[i]
            if running == 0:
                cuts.append(n)
        items: list[Item] = []
        for lo_node, hi_node in zip(cuts, cuts[1:]):
            items.append(self._segment(lo_node, hi_node, inside))
        items.reverse()  # written from the top down
        value = 1.0
        for item in items:
            value *= item.value
        result = Chain(self.names(b), self.names(a), value, tuple(items))
        self._memo[(id(a), id(b))] = result
        return result

    def _segment(self, lo: Value, hi: Value, inside: set[int]) -> Item:
        """d(hi)/d(lo) between two consecutive cut Values: one factor, or a named sum."""
        ups = [(u, f) for u, f in self.above.get(id(lo), []) if id(u) in inside]
        ups = [(u, f) for u, f in ups if self.pos[id(u)] <= self.pos[id(hi)]]
        if len(ups) == 1 and ups[0][0] is hi:
            return ups[0][1]
        terms: list[Chain] = []
        for u, f in ups:
            if u is hi:
                direct = dataclasses.replace(f, partial=True)
                terms.append(Chain(f.top, f.bottom, f.value, (direct,)))
            else:
                sub = self.chain(u, hi)
                if not sub.items:  # u cannot reach hi within this segment
                    continue
                terms.append(Chain(sub.top, f.bottom, sub.value * f.value, sub.items + (f,)))
        total = sum(t.value for t in terms)
        s = Sum(terms[0].top, terms[0].bottom, total, tuple(terms))
        if (id(lo), id(hi)) not in self._sum_seen:
            self._sum_seen.add((id(lo), id(hi)))
            self.sums.append(s)
        return s

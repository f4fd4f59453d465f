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

Reading an explanation never changes any ``.grad``: the numbers come from one backward pass
(``tracegrad.autograd.graph.prepare``/``propagate``) whose grads are put back afterwards.

``backward_table(root)`` is the whole backward pass as a table, one row per Value.

For programs (the homework checker) a :class:`Derivation` is plain data: ``value``,
``mode``, ``factors`` (each with ``top``, ``bottom``, ``symbol``, ``value``, ``formula``),
``chain`` (the product, root first), ``sums``, ``deltas``, ``paths()`` and ``factor(top, bottom)``.
"""

from __future__ import annotations

import ast
import dataclasses
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, TextIO, Union

from tracegrad.autograd.formatting import fmt
from tracegrad.autograd.graph import prepare, propagate, topo_order
from tracegrad.autograd.steps import NodeNames, wrap
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
]

MAX_PATHS = 200  # above this many paths from x to root, explain() uses the delta form
_FORMULA_PATHS = 6  # a folded factor spanning more paths gets a summary instead of a formula
_FORMULA_STEPS = 8  # ... and so does one whose path has more local derivatives (not 1) than this
_INLINE_CHARS = 60  # an unlabelled node is written out inline when its text is this short
_INLINE_DEPTH = 8  # ... and at most this many operations deep
_WIDTH = 100  # a derivation line longer than this is broken at its '=' signs


# ---------------------------------------------------------------- one silent backward pass
@dataclass
class _Pass:
    order: list[Value]
    grads: dict[int, float]  # id(node) -> d(root)/d(node)
    partials: dict[int, tuple[float, ...]]  # id(node) -> local partials per parent
    names: NodeNames


def _run_pass(root: Value) -> _Pass:
    """The project's backward pass from root with every grad starting at 0, then restored."""
    if not isinstance(root, Value):
        raise TypeError(f"explain() needs a Value as root, got {type(root).__name__}")
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
    return _Pass(order, grads, partials, NodeNames(order, root))


# ---------------------------------------------------------------- the derivation as data
@dataclass(frozen=True)
class Factor:
    """One factor d(top)/d(bottom) between two boundary Values, with its number and formula.

    ``formula`` is the local derivative as text (from the ops table, with the inputs' names;
    for a folded factor, the product along each path through the unlabelled Values it
    folds, and the sum over those paths). ``definition`` writes ``top`` in terms of the
    names below it ('net_o1 = h1 * w5 + h2 * w6 + b3'). ``partial`` marks a direct
    dependence that is one term of a sum between the same two Values (written ∂top/∂bottom).
    """

    top: str
    bottom: str
    value: float
    formula: str
    definition: str
    folded: tuple[str, ...] = ()  # generated names of the unlabelled Values folded in
    paths: int = 1  # paths from bottom to top inside this factor
    partial: bool = False
    top_node: Value | None = field(default=None, repr=False, compare=False)
    bottom_node: Value | None = field(default=None, repr=False, compare=False)

    @property
    def symbol(self) -> str:
        """'dE/do1' (or '∂L/∂a' for a direct term of a sum)."""
        d = "∂" if self.partial else "d"
        return f"{d}{self.top}/{d}{self.bottom}"


@dataclass(frozen=True)
class Sum:
    """d(top)/d(bottom) where paths split: the sum of one Chain per branch."""

    top: str
    bottom: str
    value: float
    terms: tuple[Chain, ...]

    @property
    def symbol(self) -> str:
        return f"d{self.top}/d{self.bottom}"


Item = Union[Factor, Sum]


@dataclass(frozen=True)
class Chain:
    """d(top)/d(bottom) as a product of factors and sums, written from the top down."""

    top: str
    bottom: str
    value: float
    items: tuple[Item, ...]

    @property
    def symbol(self) -> str:
        return f"d{self.top}/d{self.bottom}"


@dataclass(frozen=True)
class Delta:
    """One line of the per-node form: d(root)/d(node) from the nodes just above it.

    ``terms`` pairs each upper node's own gradient d(root)/d(upper) with the factor
    d(upper)/d(node).
    """

    name: str
    value: float
    terms: tuple[tuple[str, float, Factor], ...]


@dataclass(frozen=True)
class Derivation:
    """How d(root)/d(wrt) was obtained. ``str()`` is the derivation a person would write.

    ``mode`` is 'chain' (factors along paths, grouped) or 'delta' (per node, used when the
    paths are too many to list; ``note`` says so). ``value`` is the engine's gradient.
    """

    root: str
    wrt: str
    value: float
    mode: str
    path_count: int
    factors: tuple[Factor, ...]  # every distinct factor, from the root down
    chain: Chain | None  # mode 'chain': the product, sums named inside it
    sums: tuple[Sum, ...]  # mode 'chain': every named sum, in the order they are written
    deltas: tuple[Delta, ...]  # mode 'delta': one per node from the root down to wrt
    note: str = ""
    expanded: bool = False

    @property
    def symbol(self) -> str:
        return f"d{self.root}/d{self.wrt}"

    def factor(self, top: str, bottom: str) -> Factor:
        """The factor d(top)/d(bottom) by names (KeyError listing the factors if absent)."""
        for f in self.factors:
            if f.top == top and f.bottom == bottom:
                return f
        have = ", ".join(f.symbol for f in self.factors)
        raise KeyError(f"no factor d{top}/d{bottom} in {self.symbol}; factors: {have}")

    def paths(self) -> list[tuple[Factor, ...]]:
        """Every path from wrt to root as its factors (root first); mode 'chain' only."""
        if self.chain is None:
            raise ValueError(
                f"{self.symbol} has {self.path_count} paths: too many to list (delta form)"
            )
        return _chain_paths(self.chain)

    def lines(self) -> list[str]:
        """The derivation as text lines (what ``str()`` joins)."""
        return _chain_lines(self) if self.chain is not None else _delta_lines(self)

    def __str__(self) -> str:
        return "\n".join(self.lines())


def _chain_paths(chain: Chain) -> list[tuple[Factor, ...]]:
    out: list[tuple[Factor, ...]] = [()]
    for item in chain.items:
        if isinstance(item, Factor):
            out = [p + (item,) for p in out]
        else:
            branches = [q for term in item.terms for q in _chain_paths(term)]
            out = [p + q for p in out for q in branches]
    return out


# ---------------------------------------------------------------- text
def _equation(lhs: str, parts: Sequence[str], indent: str = "") -> list[str]:
    """'lhs = p1 = p2 = p3' on one line, or broken at '=' (and long sums at '+') if too long."""
    one = f"{indent}{lhs} = " + " = ".join(parts)
    if len(one) <= _WIDTH:
        return [one]
    pad = indent + " " * (len(lhs) + 1)
    out: list[str] = []
    for k, part in enumerate(parts):
        head = f"{indent}{lhs} = " if k == 0 else f"{pad}= "
        terms = part.split(" + ")
        line = head + terms[0]
        for term in terms[1:]:
            if len(line) + 3 + len(term) > _WIDTH:
                out.append(line)
                line = " " * len(head) + "+ " + term
            else:
                line += " + " + term
        out.append(line)
    return out


def _product(items: Sequence[Item]) -> tuple[str, str]:
    return " · ".join(i.symbol for i in items), " · ".join(fmt(i.value) for i in items)


def _chain_lines(d: Derivation) -> list[str]:
    chain = d.chain
    assert chain is not None
    lines: list[str] = []
    if not chain.items:  # wrt is the root itself
        return [f"{d.symbol} = {fmt(d.value)}"]
    if len(chain.items) == 1 and isinstance(chain.items[0], Factor):
        f = chain.items[0]
        lines += _equation(d.symbol, [f.formula, fmt(d.value)])
    elif not (len(chain.items) == 1 and d.sums and d.sums[0] is chain.items[0]):
        # (a chain that is one sum is written by the sum's own line below)
        syms, nums = _product(chain.items)
        lines += _equation(d.symbol, [syms, nums, fmt(d.value)])
    for s in d.sums:
        syms = " + ".join(_product(t.items)[0] for t in s.terms)
        nums = " + ".join(_product(t.items)[1] for t in s.terms)
        lines += _equation(s.symbol, [syms, nums, fmt(s.value)], indent="  " if lines else "")
    lines += _factor_lines(d)
    return lines


def _delta_lines(d: Derivation) -> list[str]:
    lines = [d.note, f"{d.root} gets gradient 1; each line uses the lines above it:"]
    for delta in d.deltas:
        syms = " + ".join(f"d{d.root}/d{u} · {f.symbol}" for u, _, f in delta.terms)
        nums = " + ".join(f"{fmt(g)} · {fmt(f.value)}" for _, g, f in delta.terms)
        lines += _equation(f"d{d.root}/d{delta.name}", [syms, nums, fmt(delta.value)], "  ")
    lines += _factor_lines(d)
    return lines


def _factor_lines(d: Derivation) -> list[str]:
    """Each boundary Value's definition, then the factors taken from it, in order of use."""
    if not d.factors:
        return []
    out = ["where"]
    by_top: dict[str, list[Factor]] = {}
    for f in _in_order_of_use(d):
        by_top.setdefault(f.top, []).append(f)
    for fs in by_top.values():
        if fs[0].definition:
            out.append(f"  {fs[0].definition}")
        for f in fs:
            line = f"      {f.symbol} = {f.formula} = {fmt(f.value)}"
            if f.folded:
                n = len(f.folded)
                line += f"   (through {n} unlabelled value{'s' if n > 1 else ''})"
            out.append(line)
    return out


def _in_order_of_use(d: Derivation) -> list[Factor]:
    """The factors in the order the derivation's text uses them, then any others."""
    seen: dict[tuple[str, str], Factor] = {}

    def walk(items: Sequence[Item]) -> None:
        for item in items:
            if isinstance(item, Factor):
                seen.setdefault((item.top, item.bottom), item)

    if d.chain is not None:
        walk(d.chain.items)
        for s in d.sums:
            for term in s.terms:
                walk(term.items)
    for f in d.factors:
        seen.setdefault((f.top, f.bottom), f)
    by_key = {(f.top, f.bottom): f for f in d.factors}  # the plain (not ∂) version
    return [by_key.get(k, f) for k, f in seen.items()]


# ---------------------------------------------------------------- building it
class _Writer:
    """Formulas and definitions with unlabelled Values written inline when short."""

    def __init__(self, p: _Pass, boundary: set[int], expand: bool) -> None:
        self.p = p
        self.boundary = boundary
        self.expand = expand
        self._inline: dict[int, str] = {}

    def name(self, node: Value) -> str:
        """How a node appears inside a formula: its name, or its short expression."""
        if not self._inlinable(node):
            return self.p.names(node)
        if id(node) not in self._inline:
            self._fill(node)
        return self._inline[id(node)]

    def _inlinable(self, node: Value) -> bool:
        return not (self.expand or node._op is None or node.label or id(node) in self.boundary)

    def _fill(self, node: Value) -> None:
        """Write node and the unlabelled Values below it inline (iterative, post-order).

        Only ``_INLINE_DEPTH`` levels deep: anything deeper would not fit in a short text,
        so the Values at that depth keep their generated names.
        """
        stack: list[tuple[Value, bool, int]] = [(node, False, 0)]
        while stack:
            n, ready, depth = stack.pop()
            if id(n) in self._inline:
                continue
            if depth >= _INLINE_DEPTH:
                self._inline[id(n)] = self.p.names(n)
                continue
            if ready:
                op = n._op
                assert op is not None
                text = tidy(op.expression(tuple(wrap(self.name(q)) for q in n.parents)))
                self._inline[id(n)] = text if len(text) <= _INLINE_CHARS else self.p.names(n)
                continue
            stack.append((n, True, depth))
            stack.extend((q, False, depth + 1) for q in n.parents if self._inlinable(q))

    def definition(self, node: Value) -> str:
        """'top = expression' for a factor's top Value ('' for a leaf)."""
        op = node._op
        if op is None:
            return ""
        return f"{self.p.names(node)} = " + tidy(
            op.expression(tuple(wrap(self.name(q)) for q in node.parents))
        )

    def partial(self, node: Value, i: int) -> str:
        """d(node)/d(input i) as the table's formula with the inputs' names."""
        op = node._op
        assert op is not None
        return tidy(op.partial_text(i, tuple(wrap(self.name(q)) for q in node.parents)))


def tidy(text: str) -> str:
    """Minimal parentheses (Python's precedence) when the text is a Python expression."""
    if "(" not in text and "**" not in text:
        return text  # nothing to tidy (and most formulas are like this: 'b', '1', 'a + b')
    try:
        return ast.unparse(ast.parse(text, mode="eval"))
    except (SyntaxError, ValueError, RecursionError):
        return text


def _resolve(wrt: Value | str, p: _Pass) -> Value:
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


def explain(
    root: Value, wrt: Value | str, *, expand: bool = False, max_paths: int = MAX_PATHS
) -> Derivation:
    """How d(root)/d(wrt) is obtained, as a :class:`Derivation` (print it to read it).

    ``wrt`` is a Value of root's graph or its label. Factors run between labelled Values
    (``expand=True``: between all Values). Above ``max_paths`` paths, the per-node form.
    """
    p = _run_pass(root)
    x = _resolve(wrt, p)
    order, names = p.order, p.names
    pos = {id(n): i for i, n in enumerate(order)}

    # The Values on some path from x up to root: x and everything computed from them.
    on_path: set[int] = {id(x)}
    for node in order[pos[id(x)] + 1 :]:
        if any(id(q) in on_path for q in node.parents):
            on_path.add(id(node))
    key_nodes = [
        n for n in order if id(n) in on_path and (expand or n.label or n is root or n is x)
    ]
    boundary = {id(n) for n in key_nodes}
    writer = _Writer(p, boundary, expand)

    # The condensed graph: one factor per pair of boundary Values joined through
    # unlabelled ones, its value summed over those paths (a local backward sweep).
    below: dict[int, list[tuple[Value, Factor]]] = {}  # id(top) -> [(bottom node, factor)]
    for top in key_nodes:
        if top is x:
            continue
        below[id(top)] = _factors_below(top, p, on_path, boundary, pos, writer)

    count: dict[int, int] = {id(x): 1}
    for top in key_nodes:
        if top is not x:
            count[id(top)] = sum(count.get(id(b), 0) for b, _ in below[id(top)])
    n_paths = count[id(root)]

    factors = tuple(f for top in reversed(key_nodes) if top is not x for _, f in below[id(top)])
    value = p.grads[id(x)]
    common: dict[str, Any] = dict(
        root=names(root), wrt=names(x), value=value, path_count=n_paths, factors=factors,
        expanded=expand,
    )  # fmt: skip
    if x is root:
        chain = Chain(names(root), names(x), value, ())
        return Derivation(mode="chain", chain=chain, sums=(), deltas=(), **common)
    if n_paths <= max_paths:
        try:
            builder = _Grouper(key_nodes, below, pos, names)
            chain = builder.chain(x, root)
            return Derivation(
                mode="chain", chain=chain, sums=tuple(builder.sums), deltas=(), **common
            )
        except RecursionError:  # a pathologically nested graph: the delta form still works
            pass
    above: dict[int, list[tuple[Value, Factor]]] = {}
    for top in key_nodes:
        for bottom, f in below.get(id(top), []):
            above.setdefault(id(bottom), []).append((top, f))
    deltas = tuple(
        Delta(
            names(n),
            p.grads[id(n)],
            tuple((names(u), p.grads[id(u)], f) for u, f in above[id(n)]),
        )
        for n in reversed(key_nodes)
        if n is not root
    )
    note = (
        f"d{names(root)}/d{names(x)}: {n_paths} paths from {names(x)} to {names(root)}, "
        f"too many to list (more than {max_paths}): written per node (delta form)."
    )
    return Derivation(mode="delta", chain=None, sums=(), deltas=deltas, note=note, **common)


def _factors_below(
    top: Value,
    p: _Pass,
    on_path: set[int],
    boundary: set[int],
    pos: dict[int, int],
    writer: _Writer,
) -> list[tuple[Value, Factor]]:
    """The factors d(top)/d(b) for each boundary Value b reached through unlabelled ones."""
    coef: dict[int, float] = {id(top): 1.0}
    npaths: dict[int, int] = {id(top): 1}
    texts: dict[int, list[list[str]] | None] = {id(top): [[]]}
    region: dict[int, Value] = {id(top): top}
    folded: list[Value] = []
    result: dict[int, list[Any]] = {}  # id(bottom) -> [node, value, paths, texts]
    frontier = [top]
    visit: list[Value] = []
    while frontier:  # collect the unlabelled region below top
        n = frontier.pop()
        visit.append(n)
        for q in n.parents:
            if id(q) in on_path and id(q) not in boundary and id(q) not in region:
                region[id(q)] = q
                frontier.append(q)
    visit.sort(key=lambda n: -pos[id(n)])
    for n in visit:
        if n is not top:
            folded.append(n)
        c, k, t = coef.get(id(n), 0.0), npaths.get(id(n), 0), texts.get(id(n))
        for i, q in enumerate(n.parents):
            if id(q) not in on_path:
                continue
            d = p.partials[id(n)][i]
            new_t: list[list[str]] | None = None
            if t is not None:
                step = writer.partial(n, i)
                new_t = t if step in ("1", "1.0") else [path + [step] for path in t]
                if any(len(path) > _FORMULA_STEPS for path in new_t):
                    new_t = None  # too long to be worth reading: the summary instead
            if id(q) in boundary:
                slot = result.setdefault(id(q), [q, 0.0, 0, []])
                slot[1] += c * d
                slot[2] += k
                slot[3] = None if new_t is None or slot[3] is None else slot[3] + new_t
                if slot[3] is not None and len(slot[3]) > _FORMULA_PATHS:
                    slot[3] = None
            else:
                coef[id(q)] = coef.get(id(q), 0.0) + c * d
                npaths[id(q)] = npaths.get(id(q), 0) + k
                old = texts.get(id(q), [])
                merged = None if new_t is None or old is None else old + new_t
                if merged is not None and len(merged) > _FORMULA_PATHS:
                    merged = None
                texts[id(q)] = merged
    reaches: dict[int, set[int]] = {}  # id(region node) -> boundary Values it reaches
    for n in reversed(visit):
        r: set[int] = set()
        for q in n.parents:
            if id(q) in boundary:
                r.add(id(q))
            elif id(q) in region:
                r |= reaches[id(q)]
        reaches[id(n)] = r
    folded_names = tuple(p.names(n) for n in folded)
    definition = writer.definition(top)
    out = []
    for q, value, k, t in sorted(result.values(), key=lambda s: -pos[id(s[0])]):
        if t is None:
            formula = (
                f"(product along {len(folded)} unlabelled values)"
                if k == 1
                else f"(sum over {k} paths through unlabelled values)"
            )
        else:
            texts_ = [_path_text(path) for path in t]
            formula = " + ".join(wrap(x) if len(texts_) > 1 else x for x in texts_)
        factor = Factor(
            top=p.names(top),
            bottom=p.names(q),
            value=value,
            formula=formula,
            definition=definition,
            folded=tuple(fn for fn, n in zip(folded_names, folded) if id(q) in reaches[id(n)]),
            paths=k,
            top_node=top,
            bottom_node=q,
        )
        out.append((q, factor))
    return out


def _path_text(steps: list[str]) -> str:
    """One path's local derivatives, top first, as a product (factors of 1 left out)."""
    kept = [s for s in steps if s not in ("1", "1.0")]
    if len(kept) > 1:
        kept = [wrap(s) for s in kept]
    return " · ".join(kept) if kept else "1"


class _Grouper:
    """Writes d(top)/d(bottom) as products along shared segments and sums where paths split."""

    def __init__(
        self,
        key_nodes: list[Value],
        below: dict[int, list[tuple[Value, Factor]]],
        pos: dict[int, int],
        names: NodeNames,
    ) -> None:
        self.pos = pos
        self.names = names
        self.below = below
        self.above: dict[int, list[tuple[Value, Factor]]] = {}
        for top in key_nodes:
            for bottom, f in below.get(id(top), []):
                self.above.setdefault(id(bottom), []).append((top, f))
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


# ---------------------------------------------------------------- the table view
@dataclass(frozen=True)
class TableRow:
    """One Value in the backward pass: its name, op, data, d(root)/d(it) and local partials.

    ``partials`` pairs each input's name with (formula, value) of d(this)/d(input).
    """

    name: str
    op: str
    expression: str
    data: float
    grad: float
    partials: tuple[tuple[str, str, float], ...]


@dataclass(frozen=True)
class BackwardTable:
    """The whole backward pass, one row per Value in the order the pass visits them.

    ``str()`` is plain text; printed by ``rich`` (or ``show()`` on a terminal) it is a rich
    table. ``grad`` is d(root)/d(value) from a fresh pass (current ``.grad`` untouched).
    """

    root: str
    rows: tuple[TableRow, ...]

    HEADERS = ("value", "op", "data", "grad", "local derivatives")

    def _cells(self) -> list[tuple[str, ...]]:
        out: list[tuple[str, ...]] = []
        for r in self.rows:
            local = "; ".join(f"d/d{n} = {f} = {fmt(v)}" for n, f, v in r.partials)
            out.append((r.name, r.expression or "leaf", fmt(r.data), fmt(r.grad), local))
        return out

    def __str__(self) -> str:
        headers = list(self.HEADERS)
        headers[3] = f"grad d{self.root}/d·"
        cells = self._cells()
        widths = [max([len(h)] + [len(c[i]) for c in cells]) for i, h in enumerate(headers)]
        widths[-1] = len(headers[-1])  # the last column is not padded

        def row(cols: Sequence[str]) -> str:
            parts = [
                c.rjust(w) if i in (2, 3) else c.ljust(w)
                for i, (c, w) in enumerate(zip(cols, widths))
            ]
            return "  ".join(parts).rstrip()

        rule = "  ".join("-" * w for w in widths[:-1]) + "  " + "-" * len(headers[-1])
        return "\n".join([row(headers), rule] + [row(c) for c in cells])

    def __rich__(self) -> Any:
        from rich.table import Table

        table = Table(title=f"backward pass from {self.root}")
        table.add_column("value", style="bold")
        table.add_column("op")
        table.add_column("data", justify="right")
        table.add_column(f"grad d{self.root}/d·", justify="right", style="cyan")
        table.add_column("local derivatives")
        for cells in self._cells():
            table.add_row(*cells)
        return table

    def show(self, file: TextIO | None = None) -> None:
        """Print as a rich table on a terminal that supports it, else as plain text."""
        out = file if file is not None else sys.stdout
        if out.isatty():
            from rich.console import Console

            console = Console(file=out)
            if console.is_terminal:
                console.print(self)
                return
        print(self, file=out)


def backward_table(root: Value) -> BackwardTable:
    """The backward pass from root as a table; no ``.grad`` is changed."""
    p = _run_pass(root)
    names = p.names
    rows = []
    for node in reversed(p.order):
        op = node._op
        if op is None:
            rows.append(TableRow(names(node), "", "", node.data, p.grads[id(node)], ()))
            continue
        pn = tuple(names(q) for q in node.parents)
        parts = tuple(
            (pn[i], tidy(op.partial_text(i, tuple(wrap(n) for n in pn))), d)
            for i, d in enumerate(p.partials[id(node)])
        )
        rows.append(
            TableRow(names(node), op.name, tidy(op.expression(pn)), node.data,
                     p.grads[id(node)], parts)
        )  # fmt: skip
    return BackwardTable(names(root), tuple(rows))

"""A derivation as plain data, and its text: what ``explain(root, wrt=x)`` returns.

A :class:`Derivation` holds the gradient d(root)/d(x) and how it was obtained: its
``factors`` (each d(top)/d(bottom) between two boundary Values, with ``top``, ``bottom``,
``symbol``, ``value``, ``formula``), the ``chain`` (the product, root first) with the
``sums`` named inside it, or the per-node ``deltas`` when the paths are too many to list.
``str()`` (and the REPL's ``repr``) is the derivation a person writes on paper.
How the factors and sums are found from the graph is :mod:`tracegrad.autograd.explaining.grouping`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Union

from tracegrad.autograd.formatting import fmt
from tracegrad.autograd.value import Value

__all__ = ["Factor", "Sum", "Chain", "Delta", "Item", "Derivation"]

_WIDTH = 100  # a derivation line longer than this is broken at its '=' signs


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
    introduces: tuple[str, ...] = ()  # what the definition's other generated names stand for
    paths: int = 1  # paths from bottom to top inside this factor
    partial: bool = False
    top_node: Value | None = field(default=None, repr=False, compare=False)
    bottom_node: Value | None = field(default=None, repr=False, compare=False)

    @property
    def symbol(self) -> str:
        """'dE/do1' (or '∂L/∂a' for a direct term of a sum)."""
        d = "∂" if self.partial else "d"
        return f"{d}{self.top}/{d}{self.bottom}"

    def __str__(self) -> str:
        """'dnet_o1/dw5 = h1 = 0.5399   (through 2 unlabelled values)': its derivation line."""
        text = f"{self.symbol} = {self.formula} = {fmt(self.value)}"
        if self.folded:
            n = len(self.folded)
            text += f"   (through {n} unlabelled value{'s' if n > 1 else ''})"
        return text

    __repr__ = __str__  # `d.factors`, `d.paths()` at a prompt: the lines, not the fields


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

    def __str__(self) -> str:
        """'dE/dh1 = dE/do1 · ... + dE/do2 · ... = -0.0371'."""
        syms = " + ".join(_product(t.items)[0] for t in self.terms)
        return f"{self.symbol} = {syms} = {fmt(self.value)}"

    __repr__ = __str__


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

    def __str__(self) -> str:
        """'dE/dw5 = dE/do1 · do1/dnet_o1 · dnet_o1/dw5 = -0.0201'."""
        return f"{self.symbol} = {_product(self.items)[0] or '1'} = {fmt(self.value)}"

    __repr__ = __str__


@dataclass(frozen=True)
class Delta:
    """One line of the per-node form: d(root)/d(node) from the nodes just above it.

    ``terms`` pairs each upper node's own gradient d(root)/d(upper) with the factor
    d(upper)/d(node).
    """

    name: str
    value: float
    terms: tuple[tuple[str, float, Factor], ...]

    def __str__(self) -> str:
        """'dE/dh1 = dE/dnet_o1 · dnet_o1/dh1 + ... = -0.0371' (the root's name is not kept:
        written ·/d)."""
        syms = " + ".join(f"d·/d{u} · {f.symbol}" for u, _, f in self.terms)
        return f"d·/d{self.name} = {syms} = {fmt(self.value)}"

    __repr__ = __str__


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

    def __repr__(self) -> str:
        """At the prompt, the derivation itself (its fields stay attributes)."""
        return str(self)


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
    """Each boundary Value's definition, then the factors taken from it, in order of use;
    what a definition's other generated names stand for comes after its factors ('with')."""
    if not d.factors:
        return []
    out = ["where"]
    by_top: dict[str, list[Factor]] = {}
    for f in _in_order_of_use(d):
        by_top.setdefault(f.top, []).append(f)
    for fs in by_top.values():
        if fs[0].definition:
            out.append(f"  {fs[0].definition}")
        out.extend(f"      {f}" for f in fs)  # directly under the definition they differentiate
        # a generated name the definition uses off the paths: said below its factors
        out.extend(f"      with {d}" for d in fs[0].introduces)
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

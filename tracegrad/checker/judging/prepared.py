"""What the diagnoses need, worked out once per sheet instead of once per wrong answer.

A sheet may hold 2,000 wrong answers on a network of 1,500 parameters and several steps; the
diagnoses of ``diagnose.py`` and ``slips.py`` would otherwise each walk the whole problem per
answer (minutes of work). Here, per problem: which deps move each recipe, the backward pass
worked with the updated weights (one pass per step), the values of each section sorted for
lookup, and which answered quantities each quantity depends on (a bit per answer). The numbers
are the same as the per-answer walks give; only the work is shared.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Callable, Iterable

from tracegrad.checker.limits import DiagnosisBudget, charge
from tracegrad.checker.solving.problem import Key, Problem, Quantity, apply_recipe

__all__ = ["Prepared"]


class Prepared:
    """Per-problem caches for marking one sheet: made by ``mark_answers`` and passed to each
    diagnosis (never kept on the problem)."""

    def __init__(self, problem: Problem) -> None:
        self.problem = problem
        self.feeding: dict[Key, list[Key]] = {}
        self.wild: dict[int, bool] = {}  # per step: a number in it is not finite or huge
        self._updated: dict[tuple[int, tuple[str, ...]], dict[Key, float]] = {}
        self._sections: dict[tuple[int, str], tuple[list[float], list[tuple[int, Quantity]]]] = {}
        self._order: dict[Key, int] | None = None
        self._bit: dict[Key, int] = {}
        self._keys: list[Key] = []
        self._below: dict[Key, int] = {}  # key -> bits of the answered quantities it uses
        # key -> the same and its own bit: ``reach[k] & mask`` says an answer of mask is k or
        # lies behind it (a walk looking for them need not go past anything else)
        self.reach: dict[Key, int] = {}
        self.wrong = 0  # bits of the answered quantities marked not accepted
        self.budget: DiagnosisBudget | None = None  # the last marking's, once marked
        self.differ = 0  # bits of the answered quantities not written as the engine's number

    def feeding_of(self, q: Quantity, compute: Callable[[], list[Key]]) -> list[Key]:
        """``compute()`` (the deps that move q's recipe), once per quantity."""
        got = self.feeding.get(q.key)
        if got is None:
            charge(1 + len(q.deps))
            got = self.feeding[q.key] = compute()
        return got

    def updated(
        self, step: int, replace: Callable[[], dict[Key, float]], through: tuple[str, ...]
    ) -> dict[Key, float]:
        """Every quantity of ``step`` worked again with ``replace()`` put in, through the
        recipes of the sections ``through`` (others keep the engine's numbers): one pass per
        step."""
        memo = self._updated.get((step, through))
        if memo is not None:
            return memo
        memo = dict(replace())
        index = self.problem.index
        for qq in self.problem.quantities:
            if qq.step != step or qq.key in memo:
                continue
            if qq.compute is None or not qq.deps or qq.section not in through:
                memo[qq.key] = qq.value
                continue
            got = apply_recipe(qq.compute, [memo.get(d, index[d].value) for d in qq.deps])
            memo[qq.key] = qq.value if got is None else got
        charge(len(self.problem.quantities))
        self._updated[(step, through)] = memo
        return memo

    def near(self, step: int, section: str, value: float, tol: float) -> list[Quantity]:
        """The quantities of ``step`` and ``section`` whose value may be within ``tol`` of
        ``value`` (a superset of what ``close`` accepts), in textbook order."""
        found = self._sections.get((step, section))
        if found is None:
            order = self.order()
            pairs = sorted(
                (q.value, order[q.key], q)
                for q in self.problem.quantities
                if q.step == step and q.section == section and math.isfinite(q.value)
            )
            found = ([v for v, _, _ in pairs], [(i, q) for _, i, q in pairs])
            self._sections[(step, section)] = found
            charge(len(pairs))
        values, items = found
        if not math.isfinite(value):
            return []
        width = tol * (1 + 1e-9) + 1e-12 * max(1.0, abs(value) + tol) * 2 + 1e-300
        lo = bisect.bisect_left(values, value - width)
        hi = bisect.bisect_right(values, value + width)
        charge(1 + hi - lo)
        return [q for _, q in sorted(items[lo:hi], key=lambda iq: iq[0])]

    def order(self) -> dict[Key, int]:
        if self._order is None:
            self._order = self.problem.order()
        return self._order

    # ------------------------------------------------ which answered quantities each uses
    def answered(self, keys: Iterable[Key], differ: Iterable[Key] = ()) -> None:
        """Number the answered quantities (in textbook order) and give every quantity the bits
        of the answered ones it is computed from: one pass over the problem. ``differ``: the
        answered quantities whose figure is not the engine's number."""
        order = self.order()
        self._keys = sorted(keys, key=lambda k: order[k])
        self._bit = {k: i for i, k in enumerate(self._keys)}
        below: dict[Key, int] = {}
        for q in self.problem.quantities:
            bits = 0
            for d in q.deps:
                bits |= below.get(d, 0)
                if d in self._bit:
                    bits |= 1 << self._bit[d]
            below[q.key] = bits
        self._below = below
        self.reach = {k: b | (1 << self._bit[k] if k in self._bit else 0) for k, b in below.items()}
        self.wrong = 0
        self.differ = self.bits(differ)  # setup, once per sheet: not charged to the diagnoses

    def bits(self, keys: Iterable[Key]) -> int:
        out = 0
        for k in keys:
            if k in self._bit:
                out |= 1 << self._bit[k]
        return out

    def marked(self, key: Key, ok: bool) -> None:
        """An answered quantity has its mark: not accepted sets its bit."""
        if not ok and key in self._bit:
            self.wrong |= 1 << self._bit[key]

    def uses_wrong(self, key: Key) -> int:
        """The bits of the answers marked not accepted that ``key`` is computed from (0: none);
        the lowest bit is the first of them in textbook order."""
        return self._below.get(key, 0) & self.wrong

    def first_wrong(self, bits: int) -> Key:
        """The answered quantity of the lowest of ``bits``."""
        return self._keys[(bits & -bits).bit_length() - 1]

    def last_wrong(self, bits: int) -> Key:
        """The answered quantity of the highest of ``bits`` (the latest in textbook order)."""
        return self._keys[bits.bit_length() - 1]

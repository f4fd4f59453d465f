"""The marking rules a TA states (docs/marking.md), each in one place.

- A figure stands for the interval its digits allow, carried through every recipe (``carry``).
- A given or frozen quantity is exact whatever digits restate it: no rounding room.
- A gradient is carried from every figure the sheet names: a written delta before the factors.
- A zero carried through earns no follow-through credit: the student's own figure makes the
  answer 0 whatever the method (a zero factor of a product).
- An update answered with the weight before it is "not updated"; an update is checked to
  ``UPDATE_SIG_FIGS`` significant figures unless the sheet sets ``min_sig_figs``.
"""

from __future__ import annotations

from collections.abc import Sequence

from tracegrad.checker.judging.precision import close, show_like
from tracegrad.checker.reading.sheet import Answer
from tracegrad.checker.solving.formulas import sig
from tracegrad.checker.solving.problem import Key, Problem, Quantity, apply_recipe

__all__ = [
    "Figure",
    "carry",
    "carries_of",
    "UPDATE_SIG_FIGS",
    "written_figure",
    "recipes",
    "trivially",
    "not_updated",
    "required_sig_figs",
]

Figure = tuple[float, float]  # a number and the half-width of the interval it stands for

# the significant figures an update is checked to when the sheet sets no min_sig_figs: with
# fewer, the weight before the update often rounds like the one after it (0.9 for 0.92074)
UPDATE_SIG_FIGS = 3


def carry(q: Quantity, figures: Sequence[Figure]) -> Figure | None:
    """The recipe on the figures, and how far its result moves over their intervals."""
    args = [v for v, _ in figures]
    value = apply_recipe(q.compute, args)
    if value is None:
        return None
    spread = 0.0
    for i, (v, w) in enumerate(figures):
        if w <= 0:
            continue
        moved = 0.0
        for x in (v - w, v + w):
            r = apply_recipe(q.compute, [*args[:i], x, *args[i + 1 :]])
            if r is not None:
                moved = max(moved, abs(r - value))
        spread += moved
    return value, spread


def carries_of(
    q: Quantity, world: dict[Key, Figure], student: dict[Key, Answer]
) -> list[tuple[Quantity, tuple[float | None, float]]]:
    """q by each of its recipes on the student's figures (the one through their written
    figures first), leaving out those where their inputs were the engine's numbers."""
    if q.compute is None or not q.deps:
        return []
    out: list[tuple[Quantity, tuple[float | None, float]]] = []
    for recipe in recipes(q, student):
        got = carry(recipe, [world[d] for d in recipe.deps])
        if got is not None and not (close(got[0], q.value, 1e-12) and got[1] == 0.0):
            out.append((recipe, got))
    return out


def written_figure(a: Answer, q: Quantity) -> Figure:
    """A written figure and the interval its digits allow. A given or frozen quantity is
    exact whatever digits restate it: no rounding room (``"b1+" = 0.35`` is 0.35 exactly)."""
    if q.exact:
        return (q.value if close(a.value, q.value, a.tolerance) else a.value, 0.0)
    return (a.value, a.tolerance)


def recipes(q: Quantity, student: dict[Key, Answer]) -> list[Quantity]:
    """q's recipes, those through a figure the student wrote first (dE/dw5 from a written
    delta dE/dnet_o1 before dE/do1 * do1/dnet_o1 * dnet_o1/dw5)."""
    if not q.shortcuts:
        return [q]
    written = [r for r in q.shortcuts if any(d in student for d in r.deps)]
    return [*written, q, *(r for r in q.shortcuts if r not in written)]


def trivially(a: Answer, q: Quantity, carried: float, spread: float) -> bool:
    """The student's own figures make this answer 0 (a zero factor of a product, say)
    where the engine's is not: the answer follows whatever method is used."""
    zero = abs(carried) <= 1e-12 and not close(0.0, q.value, a.tolerance)
    return zero and close(a.value, carried, a.tolerance + spread)


def not_updated(problem: Problem, a: Answer, q: Quantity, world: dict[Key, Figure]) -> str:
    """The sentence for an update answered with the weight before it (the engine's, or the
    student's own), where the update moves it in its first three significant figures or
    past the digits written; '' otherwise."""
    if q.section != "updates" or q.exact or not q.deps:
        return ""
    old = problem.index[q.deps[0]]
    mine = world[old.key][0]
    moved = sig(q.value, 3) != sig(old.value, 3) or not close(a.value, q.value, a.tolerance)
    if not moved or not any(abs(a.value - w) <= 1e-12 * abs(w) for w in (old.value, mine)):
        return ""
    grad = world[q.deps[1]][0] if len(q.deps) > 1 else None
    why = ""
    if grad == 0:
        why = (
            f" (your {problem.index[q.deps[1]].name} = 0 moves nothing: no credit carried forward)"
        )
    return (
        f"not updated: {a.text} is {old.name} before the update{why}; "
        f"{q.name} = {q.formula} = {show_like(a, q.value)}"
    )


def required_sig_figs(q: Quantity, a: Answer, min_sig: int | None) -> int | None:
    """The significant figures the answer must have: the sheet's ``min_sig_figs``, else
    ``UPDATE_SIG_FIGS`` for a (nonzero) update, else none."""
    if min_sig is None and q.section == "updates" and not q.exact and a.value != 0:
        return UPDATE_SIG_FIGS  # an update must show that the weight moved
    return min_sig

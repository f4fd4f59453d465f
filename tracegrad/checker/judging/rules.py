"""The marking rules a TA states (docs/marking.md), each in one place.

- A figure stands for the interval its digits allow, carried through every recipe (``carry``).
- A given or frozen quantity is exact whatever digits restate it: no rounding room.
- A gradient is carried from every figure the sheet names: a written delta before the factors.
- A zero carried through earns no follow-through credit: the student's own figure makes the
  answer 0 whatever the method (a zero factor of a product). An activation's value or slope
  worked on their own figure is method, 0 or not (relu of a negative figure is 0).
- An update answered with the weight before it is "not updated". An update is too imprecise
  when its last digit cannot show the step it takes and the student works finer elsewhere;
  an update the engine's exact zero gradient leaves unchanged is right however it is written.
- A gradient written as the number inside an update rule that adds it (``w + η · 0.0201``,
  its note says so) is accepted when the sheet's update follows from it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

from tracegrad.checker.judging.marks import (
    IMPRECISE,
    RIGHT,
    WRONG,
    Figure,
    Mark,
    Sheet,
    accept_carried,
)
from tracegrad.checker.judging.precision import close, is_whole, show_like, to_sig_figs
from tracegrad.checker.reading.figures import half_unit, significant_figures, written_decimals
from tracegrad.checker.reading.sheet import Answer
from tracegrad.checker.solving.formulas import sig
from tracegrad.checker.solving.problem import (
    GIVEN,
    GRADIENTS,
    UPDATES,
    Key,
    Problem,
    Quantity,
    apply_recipe,
)

__all__ = [
    "Figure",
    "carry",
    "carries_of",
    "written_figure",
    "recipes",
    "trivially",
    "not_updated",
    "left_by_zero_gradient",
    "coarse_update",
    "update_of",
    "in_update_rule",
    "never_zero",
    "inside_update_rule",
    "given_as_written",
    "precise_enough",
]


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
    exact whatever digits restate it: no rounding room (``"b1+" = 0.35`` is 0.35 exactly).
    A gradient whose note marks it as the number inside an update rule that adds it stands
    for the gradient with that sign flipped (``"dE/dw5 (update rule)" = 0.0201``: -0.0201)."""
    if q.exact:
        return (q.value if close(a.value, q.value, a.tolerance) else a.value, 0.0)
    if q.section == GRADIENTS and in_update_rule(a):
        return (-a.value, a.tolerance)
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
    where the engine's is not: the answer follows whatever method is used. Not for an
    activation's value or slope: relu of their negative figure is 0, and that takes knowing
    relu."""
    if q.activation:
        return False
    zero = abs(carried) <= 1e-12 and not close(0.0, q.value, a.tolerance)
    return zero and close(a.value, carried, a.tolerance + spread)


def left_by_zero_gradient(problem: Problem, q: Quantity) -> bool:
    """An update the engine's exact zero gradient leaves where it was (a dead relu unit, a
    zero input): right however it is written."""
    return q.section == UPDATES and len(q.deps) > 1 and problem.index[q.deps[1]].value == 0.0


def _step(problem: Problem, q: Quantity) -> float:
    """How far the engine's update moves the weight: |new - old|."""
    return abs(q.value - problem.index[q.deps[0]].value)


def _too_coarse(problem: Problem, a: Answer, q: Quantity, finer: int | None) -> bool:
    """Half a unit in the update's last written digit is more than the step it takes, and the
    student does not show that they work to this precision everywhere (finer elsewhere, or
    nothing else written)."""
    step = _step(problem, q)
    coarse = step > 0 and half_unit(a.text) > step
    return coarse and (finer is None or finer > written_decimals(a.text))


def not_updated(
    problem: Problem, a: Answer, q: Quantity, world: dict[Key, Figure], finer: int | None
) -> str:
    """The sentence for an update answered with the weight before it (the engine's, or the
    student's own), where the update moves it past the digits written, or its digits cannot
    show the step while the student works finer elsewhere; '' otherwise."""
    if q.section != UPDATES or q.exact or not q.deps or left_by_zero_gradient(problem, q):
        return ""
    old = problem.index[q.deps[0]]
    mine = world[old.key][0]
    moved = not close(a.value, q.value, a.tolerance) or _too_coarse(problem, a, q, finer)
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


def coarse_update(problem: Problem, a: Answer, q: Quantity, finer: int | None) -> str:
    """'' or why an update is too imprecise by the update rule: half a unit in its last digit
    is more than the step the engine's update takes, and the student works to more decimals
    elsewhere on the sheet."""
    if q.section != UPDATES or q.exact or a.explicit or not q.deps or finer is None:
        return ""
    if not _too_coarse(problem, a, q, finer):
        return ""
    old = problem.index[q.deps[0]]
    places = written_decimals(a.text)
    written = f"{places} decimal{'s' if places != 1 else ''}" if places else "a whole number"
    return (
        f"too imprecise for an update: {a.text} is written to {written}, and half a unit in "
        f"its last digit ({half_unit(a.text):g}) is more than the step the update takes "
        f"({old.name} moves by {sig(_step(problem, q), 4)}), while you work to {finer} "
        f"decimals elsewhere; {q.name} = {q.value:.{finer}f}"
    )


_UPDATE_NOTE = re.compile(r"\bupdate\b", re.IGNORECASE)


def in_update_rule(a: Answer) -> bool:
    """The answer's note marks it as the number inside an update rule ('(update rule)')."""
    return bool(_UPDATE_NOTE.search(a.note))


def update_of(problem: Problem, q: Quantity) -> Quantity | None:
    """The update that uses the gradient q (w5_new for dE/dw5), None when there is none."""
    if q.section != GRADIENTS or not q.name.startswith("dE/d"):
        return None
    u = problem.index.get((q.step, f"{q.name[len('dE/d') :]}_new"))
    return u if u is not None and len(u.deps) > 1 and u.deps[1] == q.key else None


def never_zero(mark: Mark) -> bool:
    """A 0 written for an activation's slope that is never 0 (a sigmoid's, a tanh's): say so,
    and what it is."""
    a, q = mark.answer, mark.quantity
    if a.value != 0 or not q.never_zero or close(0.0, q.value, a.tolerance):
        return False
    mark.verdict, mark.reason = WRONG, "never zero"
    mark.message = (
        f"the slope of {q.activation} is never 0 (it only nears 0 where {q.activation} is "
        f"saturated): {q.name} = {q.formula} = {show_like(a, q.value)}"
    )
    return True


def inside_update_rule(
    s: Sheet, mark: Mark, spread: float, sources: Callable[[], tuple[list[str], list[str]]]
) -> bool:
    """A gradient written as the number inside an update rule that adds it: its note says so
    ('dE/dw5 (update rule)' = 0.0201, as in 'w5 + 1.2 (0.0201)'), it is the gradient with its
    sign flipped, and the sheet's update follows from it. Accepted, naming the convention."""
    a, q, e, carried = mark.answer, mark.quantity, mark.engine, mark.carried
    u = update_of(s.problem, q)
    written = s.student.get(u.key) if u is not None else None
    if u is None or written is None or e == 0 or not in_update_rule(a):
        return False
    flipped = close(-a.value, e, a.tolerance)
    if not flipped and (carried is None or not close(-a.value, carried, a.tolerance + spread)):
        return False
    figures = [s.world[d] for d in u.deps]
    figures[1] = (-a.value, a.tolerance)  # the gradient the rule's number stands for
    got = carry(u, figures)
    if got is None or not close(written.value, got[0], written.tolerance + got[1]):
        return False
    if flipped:
        mark.verdict, mark.reason, mark.message = RIGHT, "update rule", ""
    else:
        accept_carried(mark, *sources())
        mark.reason = "update rule"
    old = s.problem.index[u.deps[0]].name
    said = (
        f"written as the number inside the update rule {old} + η · {a.text}, which adds it: "
        f"{u.name} = {written.text} follows from it ({q.name} itself is {show_like(a, e)})"
    )
    mark.message = f"{mark.message}; {said}" if mark.message else said
    return True


def given_as_written(s: Sheet, mark: Mark) -> list[tuple[str, str]]:
    """The answer worked with a given as the student restated it (b1 = 0.06 for 0.0625): a
    given keeps every digit, so it is wrong, and the reason names the figure they used."""
    a, q = mark.answer, mark.quantity
    if q.compute is None or not q.deps:
        return []
    used = []
    figures = [s.world[d] for d in q.deps]
    for i, d in enumerate(q.deps):
        given, w = s.problem.index[d], s.student.get(d)
        if given.exact and w is not None and w.value != given.value:
            figures[i] = (w.value, 0.0)
            used.append(f"{w.label} = {w.text}")
    got = carry(q, figures) if used else None
    if got is None or not close(a.value, got[0], a.tolerance + got[1]):
        return []
    exact = ", ".join(
        f"{s.problem.index[d].name} = {sig(s.problem.index[d].value, 12)}"
        for d in q.deps
        if s.problem.index[d].exact and d in s.student
        and s.student[d].value != s.problem.index[d].value
    )  # fmt: skip
    return [
        (
            "given as written",
            f"worked with {', '.join(used)} as you wrote it, but a given keeps every digit "
            f"({exact}): {q.name} = {q.formula} = {show_like(a, q.value)}",
        )
    ]


def plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def precise_enough(s: Sheet, mark: Mark) -> Mark:
    """An accepted figure less precise than the sheet asks for (``min_decimals``,
    ``min_sig_figs``), or an update whose digits cannot show its step while the student works
    finer elsewhere (``rules.coarse_update``). A given, and an update the engine's exact zero
    gradient leaves unchanged, are right however they are written."""
    a, q = mark.answer, mark.quantity
    if q.section == GIVEN or q.exact or left_by_zero_gradient(s.problem, q):
        return mark
    said = ""
    exact = is_whole(a) and mark.verdict == RIGHT  # a whole number that is exactly right
    places, figures = written_decimals(a.text), significant_figures(a.text)
    if s.min_decimals is not None and places < s.min_decimals and not a.explicit and not exact:
        said = (
            f"too imprecise: {plural(places, 'decimal')}; the sheet asks for at least "
            f"{s.min_decimals} (min_decimals = {s.min_decimals}): {mark.engine:.{s.min_decimals}f}"
        )
    elif s.min_sig_figs is not None and figures < s.min_sig_figs and not exact:
        n = s.min_sig_figs
        said = (
            f"too imprecise: {plural(figures, 'significant figure')}; the sheet asks for at "
            f"least {n} (min_sig_figs = {n}): {to_sig_figs(mark.engine, n)}"
        )
    else:
        said = coarse_update(s.problem, a, q, s.finer(a))
    if said:
        mark.verdict, mark.reason, mark.message = IMPRECISE, "imprecise", said
    return mark

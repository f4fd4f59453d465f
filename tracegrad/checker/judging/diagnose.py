"""Marking each answer like an examiner: right, carried forward, or wrong and why.

For every answer the engine's number is compared first. Failing that, the answer is
recomputed by the textbook recipe from the student's *own* earlier figures (error carried
forward: one slip is marked once, and what follows from it consistently is "carried forward
from" it). Each figure stands for the interval its written digits allow (0.71 is 0.705 to
0.715; a whole number is exact), and that interval is carried through every step, so correct
work from rounded figures is accepted. A wrong answer gets the likeliest reason: a whole number
that only rounds to the value, a flipped sign, a known slip (``slips.py``: another quantity's
value, a missing factor or path of the chain rule, the updated or the old weights, a factor 2
or ½ of the squared error, a slip of the recipe), or an earlier answer that was already wrong.
The precision rules (what a written figure is checked to) are in ``precision.py``.
"""

from __future__ import annotations

import contextlib
import difflib
import functools
from collections import deque
from collections.abc import Callable

from tracegrad import autograd  # autograd.explain: the explaining code loads when a report needs it
from tracegrad.checker.judging.marks import (
    ACCEPTED,
    CARRIED,
    CUT_SHORT,
    IMPRECISE,
    RIGHT,
    SIGN,
    TRUNCATED,
    WRONG,
    Figure,
    Mark,
    Sheet,
    accept_carried,
)
from tracegrad.checker.judging.precision import (
    close,
    is_whole,
    round_to,
    show_like,
    significant_figures,
    truncates,
)
from tracegrad.checker.judging.prepared import Prepared
from tracegrad.checker.judging.rules import (
    carries_of,
    carry,
    given_as_written,
    inside_update_rule,
    never_zero,
    not_updated,
    precise_enough,
    recipes,
    trivially,
    written_figure,
)
from tracegrad.checker.judging.slips import slip_reasons
from tracegrad.checker.limits import DiagnosisBudget, DiagnosisCutShort, charge, diagnosis_budget
from tracegrad.checker.reading.sheet import Answer, Homework
from tracegrad.checker.solving.formulas import sig
from tracegrad.checker.solving.problem import (
    BACKWARD_FACTORS,
    GRADIENTS,
    ZERO_DERIVATIVES,
    Key,
    Problem,
    Quantity,
    apply_recipe,
    normalise,
)

__all__ = [
    "Mark",
    "mark_answers",
    "RIGHT",
    "CARRIED",
    "TRUNCATED",
    "SIGN",
    "IMPRECISE",
    "WRONG",
    "close",
    "ACCEPTED",
    "CUT_SHORT",
    "Sheet",
    "show_like",
    "significant_figures",
]


def resolve_all(hw: Homework, problem: Problem) -> list[tuple[Answer, Quantity]]:
    """The quantity each answer names; an unknown name is a HomeworkError at its line."""
    out = []
    for a in hw.answers:
        if a.step > problem.steps:
            raise hw.error(
                f"answer {a.key!r} is for step {a.step}, but training.steps is {problem.steps}",
                line=a.line,
            )
        q = problem.resolve(a.name, a.step)
        if q is None:
            names = problem.names(a.step)
            near = difflib.get_close_matches(
                normalise(a.name), [normalise(n) for n in names], n=3, cutoff=0.6
            )
            lookup = {normalise(n): n for n in names}
            if near:
                hint = f"did you mean {', '.join(lookup[n] for n in near)}?"
            else:
                firsts: dict[str, str] = {}
                for q2 in problem.quantities:
                    if q2.step == a.step and q2.section != ZERO_DERIVATIVES:
                        firsts.setdefault(q2.section, q2.name)
                hint = f"names are like {', '.join(firsts.values())} (tracegrad solve lists all)"
            raise hw.error(f"answer {a.key!r}: no quantity of that name; {hint}", line=a.line)
        out.append((a, q))
    return out


def mark_answers(hw: Homework, problem: Problem, prep: Prepared | None = None) -> list[Mark]:
    """Mark every answer of ``hw`` against ``problem``; the marks come in the sheet's order.

    Answers are judged in the order of the worked solution (so an answer's inputs are judged
    before it), then listed as the student wrote them. ``prep`` is the diagnosis cache (made
    here when not given; ``prep.budget`` then holds what the diagnoses cost).
    """
    pairs = resolve_all(hw, problem)
    order = problem.order()
    sheet_order = {id(a): i for i, (a, _) in enumerate(pairs)}
    work = sorted(pairs, key=lambda aq: order[aq[1].key])
    student: dict[Key, Answer] = {}
    for a, q in work:
        if q.key not in student or (student[q.key].note and not a.note):
            student[q.key] = a
    prep = prep if prep is not None else Prepared(problem)
    s = Sheet(
        problem,
        prep,
        student,
        _student_world(problem, student),
        min_sig_figs=hw.min_sig_figs,
        min_decimals=hw.min_decimals,
        written=[a for a, _ in pairs if not a.explicit],
    )
    marks: list[tuple[int, Mark]] = []
    with diagnosis_budget() as budget:
        prep.budget = budget  # what the sheet's diagnoses cost, for tests and benchmarks
        differ = [k for k, a in student.items() if not _engine_figure(a, problem.index[k])]
        prep.answered(student, differ)
        for a, q in work:
            m = _mark_within(budget, s, a, q)
            m.index = order[q.key]
            marks.append((sheet_order[id(a)], m))
            if student.get(q.key) is a:
                s.by_key[q.key] = m
                prep.marked(q.key, m.ok)
    marks.sort(key=lambda im: im[0])
    return [m for _, m in marks]


def _student_world(problem: Problem, student: dict[Key, Answer]) -> dict[Key, Figure]:
    """Every quantity as the student would have it: their figure (with the interval its
    digits allow), else recomputed from theirs with that interval carried through."""
    world: dict[Key, Figure] = {}
    for q in problem.quantities:
        a = student.get(q.key)
        if a is not None:
            world[q.key] = written_figure(a, q)
            continue
        world[q.key] = (q.value, 0.0)
        if q.compute is not None and q.deps:
            r = recipes(q, student)[0]
            got = carry(r, [world[d] for d in r.deps])
            if got is not None:
                world[q.key] = got
    return world


def _carried_from(s: Sheet, q: Quantity) -> tuple[list[str], list[str]]:
    """The student's earlier figures that differ from the engine's and fed this answer:
    (the ones already marked not accepted, the others: rounded or carried themselves)."""
    wrong: dict[str, None] = {}  # ordered, without repeats
    rounded: list[str] = []
    seen: set[Key] = set()
    problem, prep = s.problem, s.prep
    reach, differ = prep.reach, prep.differ  # walk only where a differing figure lies further on
    todo = deque(k for k in _feeding(s, q) if reach.get(k, 0) & differ)
    while todo:
        k = todo.popleft()
        if k in seen:
            continue
        seen.add(k)
        if not len(seen) % _CHUNK:
            charge(_CHUNK)  # a long walk stops where the sheet's budget ends
        dep = problem.index[k]
        a = s.student.get(k)
        if a is None:
            feeds = prep.feeding.get(k)
            feeds = _feeding(s, dep) if feeds is None else feeds
            todo.extend(d for d in feeds if reach.get(d, 0) & differ)
            continue
        if _engine_figure(a, dep):
            continue
        prior = s.by_key.get(k)
        text = f"{a.label} = {a.text}"
        if prior is not None and not prior.ok:
            wrong[text] = None
        elif prior is not None and prior.verdict == CARRIED and prior.sources:
            wrong.update(dict.fromkeys(prior.sources))
        else:
            rounded.append(text)
    charge(len(seen) % _CHUNK)
    return list(wrong), rounded


_CHUNK = 1024


def _engine_figure(a: Answer, q: Quantity) -> bool:
    """The student's figure is the engine's number (to binary noise)."""
    return abs(a.value - q.value) <= 1e-12 * max(1.0, abs(q.value))


def _feeding(s: Sheet, q: Quantity) -> list[Key]:
    """The deps whose number moves q's recipe (not x in d(x + y)/dy = 1, say): once per sheet."""
    return s.prep.feeding_of(q, lambda: _feeding_now(s.problem, q))


def _feeding_now(problem: Problem, q: Quantity) -> list[Key]:
    if q.compute is None or q.activation:  # a slope may not move near the engine's numbers
        return list(q.deps)
    args = [problem.index[d].value for d in q.deps]
    base = apply_recipe(q.compute, args)
    if base is None:
        return list(q.deps)
    out = []
    for i, d in enumerate(q.deps):
        h = 1e-6 * max(1.0, abs(args[i]))
        moved = apply_recipe(q.compute, [*args[:i], args[i] + h, *args[i + 1 :]])
        if moved is None or moved != base:
            out.append(d)
    return out


def _mark(s: Sheet, a: Answer, q: Quantity) -> Mark:
    problem = s.problem
    figures = [s.world[d] for d in q.deps]
    carries = carries_of(q, s.world, s.student)
    carried, spread = carries[0][1] if carries else (None, 0.0)
    mark = Mark(a, q, q.value, carried, RIGHT, "", "")
    if _not_updated(s, mark):
        return mark
    if close(a.value, q.value, a.tolerance):
        return precise_enough(s, mark)
    trivial = ""
    for recipe, (value, width) in carries or [(q, (None, 0.0))]:
        mark.carried = value
        if value is not None and trivially(a, q, value, width):  # a zero carried through
            trivial = trivial or _zero_source(s, recipe)
            continue
        if _accept(mark, width, functools.partial(_carried_from, s, recipe)):
            return precise_enough(s, mark)
    mark.carried = carried
    mark.derivation = _derivation(problem, q, a)
    if trivial:
        mark.verdict, mark.reason = WRONG, "no follow-through"
        mark.message = (
            f"0 only because {trivial} makes it 0 whatever the working: a zero carried "
            f"forward earns no credit; {q.name} is {show_like(a, q.value)}"
        )
        return mark
    if (
        never_zero(mark)
        or inside_update_rule(s, mark, spread, functools.partial(_carried_from, s, q))
        or _whole_or_sign(mark, spread)
    ):
        return mark
    mark.verdict = WRONG
    reasons = slip_reasons(problem, s.prep, a, q, carried, [v for v, _ in figures])
    if not reasons:
        reasons = given_as_written(s, mark) or _upstream_or_unknown(s, mark, spread)
    mark.reason, mark.message = reasons[0]
    return mark


def _zero_source(s: Sheet, recipe: Quantity) -> str:
    """The student's zero figure a trivial answer follows from: a factor of its recipe they
    wrote as 0 ('dh2/dnet_h2 = 0'), else the earlier figures the zero came from."""
    direct = []
    for d in recipe.deps:
        a = s.student.get(d)
        if s.world[d][0] == 0 and a is not None:
            direct.append(f"{a.label} = {a.text}")
    if direct:
        return ", ".join(direct[:3])
    wrong, rounded = _carried_from(s, recipe)
    zeros = {f"{a.label} = {a.text}" for a in s.student.values() if a.value == 0}
    found = [t for t in (*wrong, *rounded) if t in zeros] or wrong or rounded
    return ", ".join(found[:3]) or "your own figures"


def _not_updated(s: Sheet, mark: Mark) -> bool:
    """An update answered with the weight before it: "not updated" (``rules.not_updated``)."""
    a, q = mark.answer, mark.quantity
    said = not_updated(s.problem, a, q, s.world, s.finer(a))
    if said:
        mark.verdict, mark.reason, mark.message = WRONG, "not updated", said
        mark.derivation = _derivation(s.problem, q, a)
    return bool(said)


def _accept(mark: Mark, spread: float, sources: Callable[[], tuple[list[str], list[str]]]) -> bool:
    """Carried forward (from the student's figures, or within what their digits allow), or
    truncated (cut, not rounded, at the digits written) where their own rounded figures do
    not explain it: accepted, with what it came from (``sources()``: the earlier figures it
    follows from, worked out only when needed)."""
    a, e, carried = mark.answer, mark.engine, mark.carried
    if carried is not None and close(a.value, carried, a.tolerance + spread):
        accept_carried(mark, *sources())  # exactly, or within what their rounded inputs allow
        return True
    if not a.explicit and truncates(a, e):
        mark.verdict, mark.reason = TRUNCATED, "truncated"
        rounded_e = round_to(e, a.decimals or 0)
        mark.message = f"truncated, not rounded: {show_like(a, e)} rounds to {rounded_e}"
        return True
    if carried is not None and not a.explicit and truncates(a, carried):
        mark.verdict, mark.reason = TRUNCATED, "truncated"
        wrong, rounded = sources()
        via = ", ".join((wrong or rounded)[:3]) or "your figures"
        mark.message = (
            f"right method from {via}, but truncated: {show_like(a, carried)} rounds to "
            f"{round_to(carried, a.decimals or 0)}"
        )
        return True
    return False


def _whole_or_sign(mark: Mark, spread: float) -> bool:
    """A whole number that only rounds to the value, or the right size with the wrong sign."""
    a, q, e, carried = mark.answer, mark.quantity, mark.engine, mark.carried
    s, tol = a.value, a.tolerance
    if is_whole(a) and any(round(t) == s for t in (e, carried) if t is not None):
        mark.verdict, mark.reason = WRONG, "whole number"
        mark.message = (
            f"{sig(e, 6)} rounds to {a.text}, but a whole number says it is exact: "
            f"write the decimals ({sig(e, 6)})"
        )
        return True
    if e != 0 and (close(-s, e, tol) or (carried is not None and close(-s, carried, tol + spread))):
        mark.verdict, mark.reason = SIGN, "sign"
        mark.message = f"right size, wrong sign: {q.name} is {show_like(a, e)}"
        if q.section == GRADIENTS:  # what an update uses; not a delta (dE/dnet_o1)
            size = a.text.lstrip("+-")
            mark.message += f" (an update written 'w + η * {size}' puts the sign in the rule)"
        return True
    return False


def _upstream_or_unknown(s: Sheet, mark: Mark, spread: float) -> list[tuple[str, str]]:
    """No known slip: an earlier wrong answer it uses, else the engine's number (and the one
    from the student's figures when that differs)."""
    up, first = _wrong_upstream(s, mark)
    if up:
        mark.upstream = first
        return [("upstream", f"it uses {up}, which is already wrong; start there")]
    a, e, carried = mark.answer, mark.engine, mark.carried
    right = show_like(a, e)
    mine = show_like(a, carried) if carried is not None else right
    if carried is not None and not close(carried, e, a.tolerance + spread) and mine != right:
        return [("unknown", f"neither the engine's {right} nor {mine} from your figures")]
    return [("unknown", f"the engine has {right}")]


def _wrong_upstream(s: Sheet, mark: Mark) -> tuple[str, str]:
    """The latest wrong answer (in textbook order) this one depends on ('h1 = 0.52'), and
    the first mistake; read from bits worked out once per sheet, without a walk."""
    prep = s.prep
    bits = prep.uses_wrong(mark.quantity.key)  # none: no walk at all
    if not bits:
        return "", ""
    first = s.by_key[prep.first_wrong(bits)]
    nearest = s.by_key[prep.last_wrong(bits)]
    return f"{nearest.label} = {nearest.answer.text}", first.upstream or first.label


def _derivation(problem: Problem, q: Quantity, a: Answer) -> str:
    """How the engine gets this number: the recipe with numbers (to the answer's precision,
    at least 4 significant figures), and for a chain of factors the step-through explanation
    (``tracegrad.autograd.explain``) on the engine's graph."""
    lines = [problem.with_numbers(q, digits=max(4, significant_figures(a.text)))]
    chain = (
        q.section == GRADIENTS
        or q.kind == "chain"
        or (q.section == BACKWARD_FACTORS and len(q.deps) > 2)
    )
    if chain and "/" in q.name and q.name.startswith("d") and len(problem.quantities) < 400:
        top, _, bottom = q.name[1:].partition("/d")
        root = problem.nodes.get((q.step, top))
        wrt = problem.nodes.get((q.step, bottom))
        if root is not None and wrt is not None and root is not wrt:
            with contextlib.suppress(ValueError, TypeError):
                lines = [str(autograd.explain(root, wrt=wrt))]
    return "\n".join(lines)


# ---------------------------------------------------------------- the diagnosis budget
def _mark_within(budget: DiagnosisBudget, s: Sheet, a: Answer, q: Quantity) -> Mark:
    """``_mark``, or once the sheet's diagnosis work is spent (``TRACEGRAD_MAX_DIAGNOSIS_WORK``)
    the verdict alone: right or carried forward as the figures say, else wrong without a reason,
    the report saying the diagnosis was cut short."""
    if not budget.exhausted:
        try:
            return _mark(s, a, q)
        except DiagnosisCutShort:
            pass
    figures = [s.world[d] for d in q.deps]
    got = carry(q, figures) if q.compute is not None and q.deps else None
    carried, spread = got if got is not None else (None, 0.0)
    mark = Mark(a, q, q.value, None, RIGHT, "", "")
    if close(a.value, q.value, a.tolerance):
        return precise_enough(s, mark)
    if carried is not None and close(a.value, carried, a.tolerance + spread):
        mark.carried = carried
        accept_carried(mark, [], [])
        mark.message += " (not traced further: the diagnosis was cut short)"
        return precise_enough(s, mark)
    budget.cut += 1
    mark.verdict, mark.reason = WRONG, CUT_SHORT
    mark.message = (
        f"the engine has {show_like(a, q.value)} (no reason: the diagnosis was cut short)"
    )
    return mark

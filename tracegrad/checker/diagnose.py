"""Marking each answer like an examiner: right, carried forward, or wrong and why.

For every answer the engine's number is compared first. Failing that, the answer is
recomputed by the textbook recipe from the student's *own* earlier figures (error carried
forward: rounded or mistaken upstream numbers are not punished twice). A wrong answer gets
the likeliest reason: a flipped sign (the update rule's sign convention), a factor 2 or ½
(the MSE convention), a known slip of the recipe, the value one step earlier or later, or an
earlier answer that was already wrong (so the first mistake is the one reported).
"""

from __future__ import annotations

import contextlib
import difflib
import math
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_DOWN, ROUND_HALF_EVEN, Decimal

from tracegrad.autograd.formatting import fmt
from tracegrad.checker.homework import Answer, Homework
from tracegrad.checker.problem import Key, Problem, Quantity, normalise

__all__ = [
    "Mark",
    "mark_answers",
    "RIGHT",
    "CARRIED",
    "TRUNCATED",
    "SIGN",
    "WRONG",
    "close",
]

RIGHT = "right"
CARRIED = "carried forward"
TRUNCATED = "truncated"
SIGN = "sign flipped"
WRONG = "wrong"
ACCEPTED = (RIGHT, CARRIED, TRUNCATED)
_SQUARED = ": the squared error's factor 2 (E = sum 1/2 (y - o)^2 or sum (y - o)^2?)"


@dataclass
class Mark:
    """The verdict on one answer, with the numbers it was judged by."""

    answer: Answer
    quantity: Quantity
    engine: float  # the engine's exact number
    carried: float | None  # the recipe on the student's own earlier figures
    verdict: str  # RIGHT, CARRIED, TRUNCATED, SIGN or WRONG
    reason: str  # a short code: 'carried', 'sign', 'factor 2', 'upstream', ...
    message: str  # the examiner's sentence
    derivation: str = ""  # for wrong answers: how the engine's number is obtained
    upstream: str = ""  # the earlier wrong answer this one follows from
    index: int = 0  # position in textbook order

    @property
    def ok(self) -> bool:
        return self.verdict in ACCEPTED

    @property
    def label(self) -> str:
        return self.answer.label

    @property
    def student(self) -> float:
        return self.answer.value


def close(student: float, value: float, tolerance: float) -> bool:
    """|student - value| <= tolerance, allowing for binary floating point noise."""
    if not math.isfinite(value):
        return False
    return abs(student - value) <= tolerance * (1 + 1e-9) + 1e-12 * max(1.0, abs(value))


def _rounded(value: float, decimals: int, mode: str = ROUND_HALF_EVEN) -> Decimal:
    return Decimal(repr(value)).quantize(Decimal(1).scaleb(-decimals), rounding=mode)


def _truncates(answer: Answer, value: float | None) -> bool:
    """The answer is ``value`` cut (not rounded) at the decimals written, to >= 3 digits."""
    d = answer.decimals
    if value is None or d is None or not math.isfinite(value):
        return False
    written = Decimal(answer.text.replace("_", ""))
    if len(written.as_tuple().digits) < 3:
        return False
    return _rounded(value, d, ROUND_DOWN) == written and _rounded(value, d) != written


def show_like(answer: Answer, value: float) -> str:
    """value written to the answer's own precision (one more digit when that hides it)."""
    d = answer.decimals
    if d is None:
        return fmt(value, 6)
    return f"{value:.{d + 1}f}" if d < 12 else repr(value)


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
                    if q2.step == a.step and q2.section != "zero derivatives":
                        firsts.setdefault(q2.section, q2.name)
                hint = f"names are like {', '.join(firsts.values())} (tracegrad solve lists all)"
            raise hw.error(f"answer {a.key!r}: no quantity of that name; {hint}", line=a.line)
        out.append((a, q))
    return out


def mark_answers(hw: Homework, problem: Problem) -> list[Mark]:
    """Mark every answer of ``hw`` against ``problem``, in textbook order."""
    pairs = resolve_all(hw, problem)
    order = problem.order()
    pairs.sort(key=lambda aq: order[aq[1].key])
    student: dict[Key, Answer] = {}
    for a, q in pairs:
        if q.key not in student or (student[q.key].note and not a.note):
            student[q.key] = a
    world = _student_world(problem, student)
    marks: list[Mark] = []
    by_key: dict[Key, Mark] = {}
    for a, q in pairs:
        m = _mark(problem, a, q, world, student, by_key)
        m.index = order[q.key]
        marks.append(m)
        if student.get(q.key) is a:
            by_key[q.key] = m
    return marks


def _student_world(problem: Problem, student: dict[Key, Answer]) -> dict[Key, float]:
    """Every quantity as the student would have it: their figure, else recomputed from theirs."""
    world: dict[Key, float] = {}
    for q in problem.quantities:
        if q.key in student:
            world[q.key] = student[q.key].value
            continue
        world[q.key] = q.value
        if q.compute is not None and q.deps:
            r = _safe(q.compute, [world[d] for d in q.deps])
            if r is not None:
                world[q.key] = r
    return world


def _safe(fn: object, args: Sequence[float]) -> float | None:
    try:
        r = float(fn(args))  # type: ignore[operator]
    except (ArithmeticError, ValueError, TypeError):
        return None
    return r if math.isfinite(r) else None


def _carried_from(problem: Problem, q: Quantity, student: dict[Key, Answer]) -> list[str]:
    """The student's earlier figures that differ from the engine's and fed this answer."""
    found: list[str] = []
    seen: set[Key] = set()
    todo = deque(q.deps)
    while todo:
        k = todo.popleft()
        if k in seen:
            continue
        seen.add(k)
        dep = problem.index[k]
        a = student.get(k)
        if a is not None:
            if abs(a.value - dep.value) > 1e-12 * max(1.0, abs(dep.value)):
                found.append(f"{dep.label(problem.steps)} = {a.text}")
        else:
            todo.extend(dep.deps)
    return found


def _mark(
    problem: Problem,
    a: Answer,
    q: Quantity,
    world: dict[Key, float],
    student: dict[Key, Answer],
    by_key: dict[Key, Mark],
) -> Mark:
    s, e, tol = a.value, q.value, a.tolerance
    args = [world[d] for d in q.deps]
    carried = _safe(q.compute, args) if q.compute is not None and q.deps else None
    if carried is not None and close(carried, e, 1e-12):
        carried = None  # the student's inputs were the engine's: nothing to carry
    mark = Mark(a, q, e, carried, RIGHT, "", "")
    if close(s, e, tol):
        return mark
    sources = _carried_from(problem, q, student)
    via = f"carried from {', '.join(sources)}" if sources else "carried from your figures"
    if carried is not None and close(s, carried, tol):
        mark.verdict, mark.reason = CARRIED, "carried"
        mark.message = f"right method, {via}"
        return mark
    if not a.explicit:
        if _truncates(a, e):
            mark.verdict, mark.reason = TRUNCATED, "truncated"
            rounded = _rounded(e, a.decimals or 0)
            mark.message = f"truncated, not rounded: {show_like(a, e)} rounds to {rounded}"
            return mark
        if _truncates(a, carried):
            assert carried is not None
            mark.verdict, mark.reason = TRUNCATED, "truncated"
            mark.message = (
                f"right method, {via}, but truncated: {show_like(a, carried)} rounds to "
                f"{_rounded(carried, a.decimals or 0)}"
            )
            return mark
    mark.derivation = _derivation(problem, q)
    if e != 0 and (close(-s, e, tol) or (carried is not None and close(-s, carried, tol))):
        mark.verdict, mark.reason = SIGN, "sign"
        mark.message = f"right size, wrong sign: {q.name} is {show_like(a, e)}"
        if q.section == "gradients" or q.name.startswith("dE/"):
            size = a.text.lstrip("+-")
            mark.message += f" (an update written 'w + η * {size}' puts the sign in the rule)"
        return mark
    mark.verdict = WRONG
    reasons = _reasons(problem, a, q, carried, args)
    up, first = _wrong_upstream(problem, mark, by_key)
    if not reasons and up:
        reasons = [("upstream", f"it uses {up}, which is already wrong; start there")]
        mark.upstream = first
    if not reasons:
        if carried is not None:
            mine = show_like(a, carried)
            reasons = [("unknown", f"neither the engine's {show_like(a, e)} nor {mine} from yours")]
        else:
            reasons = [("unknown", f"the engine has {show_like(a, e)}")]
    mark.reason, mark.message = reasons[0]
    return mark


def _wrong_upstream(problem: Problem, mark: Mark, by_key: dict[Key, Mark]) -> tuple[str, str]:
    """The nearest wrong answer this one depends on ('h1 = 0.52'), and the first mistake."""
    wrong = [by_key[k] for k in problem.ancestors(mark.quantity.key) if k in by_key]
    wrong = [m for m in wrong if not m.ok]
    if not wrong:
        return "", ""
    first = min(wrong, key=lambda m: m.index)
    nearest = wrong[0]
    return f"{nearest.label} = {nearest.answer.text}", first.upstream or first.label


def _reasons(
    problem: Problem, a: Answer, q: Quantity, carried: float | None, args: list[float]
) -> list[tuple[str, str]]:
    s, e, tol = a.value, q.value, a.tolerance
    targets = [e] + ([carried] if carried is not None else [])
    out: list[tuple[str, str]] = []
    if e != 0 and q.section not in ("given", "updates"):
        for f, code, text in (
            (2.0, "factor 2", "twice the right value"),
            (0.5, "factor 1/2", "half the right value"),
        ):
            if any(close(s, f * t, tol) for t in targets):
                out.append(
                    (
                        code,
                        f"{text} ({show_like(a, e)})"
                        + (_SQUARED if problem.kind == "network" else ""),
                    )
                )
    for what, fn in q.alternatives:
        exact_args = [problem.index[d].value for d in q.deps]
        alts = [_safe(fn, exact_args), _safe(fn, args)]
        if any(v is not None and close(s, v, tol) for v in alts):
            out.append(("slip", f"{what}: the right value is {show_like(a, e)}"))
    for other, when in _neighbours(problem, q):
        if close(s, other.value, tol):
            out.append(
                (
                    "step",
                    f"that is {other.label(problem.steps)}, {when}; "
                    f"{q.label(problem.steps)} is {show_like(a, e)}",
                )
            )
            break
    if not out and any(abs(s - t) <= 2.5 * tol for t in targets):
        out.append(("rounding", f"close, but not to the digits written: {show_like(a, e)}"))
    return out


def _neighbours(problem: Problem, q: Quantity) -> list[tuple[Quantity, str]]:
    """The same quantity one step earlier and later (an update: the weight before it)."""
    found: list[tuple[Quantity, str]] = []
    if q.section == "updates":
        before = problem.index.get((q.step, q.name[: -len("_new")]))
        if before is not None:
            found.append((before, "the value before the update (one step earlier)"))
        later = problem.index.get((q.step + 1, q.name))
        if later is not None:
            found.append((later, "one step later"))
        return found
    for step, when in ((q.step - 1, "one step earlier"), (q.step + 1, "one step later")):
        other = problem.index.get((step, q.name))
        if other is not None and other.value != q.value:
            found.append((other, when))
    return found


def _derivation(problem: Problem, q: Quantity) -> str:
    """How the engine gets this number: the recipe with numbers, and for a chain of factors
    the step-through explanation (``tracegrad.autograd.explain``) on the engine's graph."""
    lines = [problem.with_numbers(q)]
    chain = q.section in ("gradients", "derivatives") or (
        q.section == "backward factors" and len(q.deps) > 2
    )
    if chain and "/" in q.name and q.name.startswith("d"):
        top, _, bottom = q.name[1:].partition("/d")
        root = problem.nodes.get((q.step, top))
        wrt = problem.nodes.get((q.step, bottom))
        if root is not None and wrt is not None and root is not wrt:
            from tracegrad.autograd.explain import explain

            with contextlib.suppress(ValueError, TypeError):
                lines = [str(explain(root, wrt=wrt))]
    return "\n".join(lines)

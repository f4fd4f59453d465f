"""Marking each answer like an examiner: right, carried forward, or wrong and why.

For every answer the engine's number is compared first. Failing that, the answer is
recomputed by the textbook recipe from the student's *own* earlier figures (error carried
forward: one slip is marked once, and what follows from it consistently is "carried forward
from" it). Each figure stands for the interval its written digits allow (0.71 is 0.705 to
0.715; a whole number is exact), and that interval is carried through every step, so correct
work from rounded figures is accepted. A wrong answer gets the likeliest reason: a whole number
that only rounds to the value, a flipped sign, another quantity's value (swapped operands or
indices), a missing factor or path of the chain rule, the updated weights used in the backward
pass, the weight before the update in the next step, a factor 2 or ½ of the squared error, a
known slip of the recipe, or an earlier answer that was already wrong.
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
from tracegrad.checker.formulas import sig
from tracegrad.checker.homework import Answer, Homework
from tracegrad.checker.problem import Key, Problem, Quantity, normalise

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
]

RIGHT = "right"
CARRIED = "carried forward"
TRUNCATED = "truncated"
SIGN = "sign flipped"
IMPRECISE = "too imprecise"
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
    verdict: str  # RIGHT, CARRIED, TRUNCATED, SIGN, IMPRECISE or WRONG
    reason: str  # a short code: 'carried', 'sign', 'factor 2', 'upstream', ...
    message: str  # the examiner's sentence
    derivation: str = ""  # for wrong answers: how the engine's number is obtained
    upstream: str = ""  # the earlier wrong answer this one follows from
    index: int = 0  # position in textbook order
    sources: tuple[str, ...] = ()  # the earlier answers a carried figure follows from

    @property
    def ok(self) -> bool:
        return self.verdict in ACCEPTED

    @property
    def label(self) -> str:
        return self.answer.label

    @property
    def student(self) -> float:
        return self.answer.value

    def __repr__(self) -> str:
        why = f": {self.message}" if self.message else ""
        return f"<Mark {self.label} = {self.answer.text}, {self.verdict}{why}>"


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
    if d is None or d == 0 and not answer.explicit:
        return sig(value, 6)
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
    """Mark every answer of ``hw`` against ``problem``; the marks come in the sheet's order.

    Answers are judged in the order of the worked solution (so an answer's inputs are judged
    before it), then listed as the student wrote them.
    """
    pairs = resolve_all(hw, problem)
    order = problem.order()
    sheet = {id(a): i for i, (a, _) in enumerate(pairs)}
    work = sorted(pairs, key=lambda aq: order[aq[1].key])
    student: dict[Key, Answer] = {}
    for a, q in work:
        if q.key not in student or (student[q.key].note and not a.note):
            student[q.key] = a
    world = _student_world(problem, student)
    min_sig = getattr(hw, "min_sig_figs", None)
    marks: list[tuple[int, Mark]] = []
    by_key: dict[Key, Mark] = {}
    for a, q in work:
        m = _mark(problem, a, q, world, student, by_key, min_sig)
        m.index = order[q.key]
        marks.append((sheet[id(a)], m))
        if student.get(q.key) is a:
            by_key[q.key] = m
    marks.sort(key=lambda im: im[0])
    return [m for _, m in marks]


Figure = tuple[float, float]  # a number and the half-width of the interval it stands for


def _student_world(problem: Problem, student: dict[Key, Answer]) -> dict[Key, Figure]:
    """Every quantity as the student would have it: their figure (with the interval its
    digits allow), else recomputed from theirs with that interval carried through."""
    world: dict[Key, Figure] = {}
    for q in problem.quantities:
        a = student.get(q.key)
        if a is not None:
            world[q.key] = (a.value, a.tolerance)
            continue
        world[q.key] = (q.value, 0.0)
        if q.compute is not None and q.deps:
            got = _carry(q, [world[d] for d in q.deps])
            if got is not None:
                world[q.key] = got
    return world


def _carry(q: Quantity, figures: Sequence[Figure]) -> Figure | None:
    """The recipe on the figures, and how far its result moves over their intervals."""
    args = [v for v, _ in figures]
    value = _safe(q.compute, args)
    if value is None:
        return None
    spread = 0.0
    for i, (v, w) in enumerate(figures):
        if w <= 0:
            continue
        moved = 0.0
        for x in (v - w, v + w):
            r = _safe(q.compute, [*args[:i], x, *args[i + 1 :]])
            if r is not None:
                moved = max(moved, abs(r - value))
        spread += moved
    return value, spread


def _safe(fn: object, args: Sequence[float]) -> float | None:
    try:
        r = float(fn(args))  # type: ignore[operator]
    except (ArithmeticError, ValueError, TypeError):
        return None
    return r if math.isfinite(r) else None


def _carried_from(
    problem: Problem, q: Quantity, student: dict[Key, Answer], by_key: dict[Key, Mark]
) -> tuple[list[str], list[str]]:
    """The student's earlier figures that differ from the engine's and fed this answer:
    (the ones already marked not accepted, the others: rounded or carried themselves)."""
    wrong: list[str] = []
    rounded: list[str] = []
    seen: set[Key] = set()
    todo = deque(_feeding(problem, q))
    while todo:
        k = todo.popleft()
        if k in seen:
            continue
        seen.add(k)
        dep = problem.index[k]
        a = student.get(k)
        if a is None:
            todo.extend(_feeding(problem, dep))
            continue
        if abs(a.value - dep.value) <= 1e-12 * max(1.0, abs(dep.value)):
            continue
        prior = by_key.get(k)
        text = f"{a.label} = {a.text}"
        if prior is not None and not prior.ok:
            wrong.append(text)
        elif prior is not None and prior.verdict == CARRIED and prior.sources:
            wrong.extend(s for s in prior.sources if s not in wrong)
        else:
            rounded.append(text)
    return wrong, rounded


def _feeding(problem: Problem, q: Quantity) -> list[Key]:
    """The deps whose number moves q's recipe (not x in d(x + y)/dy = 1, say)."""
    if q.compute is None:
        return list(q.deps)
    args = [problem.index[d].value for d in q.deps]
    base = _safe(q.compute, args)
    if base is None:
        return list(q.deps)
    out = []
    for i, d in enumerate(q.deps):
        h = 1e-6 * max(1.0, abs(args[i]))
        moved = _safe(q.compute, [*args[:i], args[i] + h, *args[i + 1 :]])
        if moved is None or moved != base:
            out.append(d)
    return out


def _mark(
    problem: Problem,
    a: Answer,
    q: Quantity,
    world: dict[Key, Figure],
    student: dict[Key, Answer],
    by_key: dict[Key, Mark],
    min_sig: int | None = None,
) -> Mark:
    figures = [world[d] for d in q.deps]
    got = _carry(q, figures) if q.compute is not None and q.deps else None
    carried, spread = got if got is not None else (None, 0.0)
    if carried is not None and close(carried, q.value, 1e-12) and spread == 0.0:
        carried = None  # the student's inputs were the engine's: nothing to carry
    mark = Mark(a, q, q.value, carried, RIGHT, "", "")
    if close(a.value, q.value, a.tolerance):
        return _precise_enough(mark, min_sig)
    wrong, rounded = _carried_from(problem, q, student, by_key)
    if _accept(mark, spread, wrong, rounded):
        return _precise_enough(mark, min_sig)
    mark.derivation = _derivation(problem, q)
    if _whole_or_sign(mark, spread):
        return mark
    mark.verdict = WRONG
    reasons = _reasons(problem, a, q, carried, [v for v, _ in figures])
    if not reasons:
        reasons = _upstream_or_unknown(problem, mark, spread, by_key)
    mark.reason, mark.message = reasons[0]
    return mark


def _accept(mark: Mark, spread: float, wrong: list[str], rounded: list[str]) -> bool:
    """Carried forward (from the student's figures, or within what their digits allow), or
    truncated (cut, not rounded, at the digits written): accepted, with what it came from."""
    a, e, carried = mark.answer, mark.engine, mark.carried
    if carried is not None and close(a.value, carried, a.tolerance):
        _carried(mark, wrong, rounded)
        return True
    if not a.explicit and _truncates(a, e):
        mark.verdict, mark.reason = TRUNCATED, "truncated"
        rounded_e = _rounded(e, a.decimals or 0)
        mark.message = f"truncated, not rounded: {show_like(a, e)} rounds to {rounded_e}"
        return True
    if carried is not None and not a.explicit and _truncates(a, carried):
        mark.verdict, mark.reason = TRUNCATED, "truncated"
        via = ", ".join((wrong or rounded)[:3]) or "your figures"
        mark.message = (
            f"right method from {via}, but truncated: {show_like(a, carried)} rounds to "
            f"{_rounded(carried, a.decimals or 0)}"
        )
        return True
    if carried is not None and close(a.value, carried, a.tolerance + spread):
        _carried(mark, wrong, rounded)  # within what the rounded inputs allow
        return True
    return False


def _whole_or_sign(mark: Mark, spread: float) -> bool:
    """A whole number that only rounds to the value, or the right size with the wrong sign."""
    a, q, e, carried = mark.answer, mark.quantity, mark.engine, mark.carried
    s, tol = a.value, a.tolerance
    if _whole(a) and any(round(t) == s for t in (e, carried) if t is not None):
        mark.verdict, mark.reason = WRONG, "whole number"
        mark.message = (
            f"{sig(e, 6)} rounds to {a.text}, but a whole number says it is exact: "
            f"write the decimals ({sig(e, 6)})"
        )
        return True
    if e != 0 and (close(-s, e, tol) or (carried is not None and close(-s, carried, tol + spread))):
        mark.verdict, mark.reason = SIGN, "sign"
        mark.message = f"right size, wrong sign: {q.name} is {show_like(a, e)}"
        if q.section == "gradients" or q.name.startswith("dE/"):
            size = a.text.lstrip("+-")
            mark.message += f" (an update written 'w + η * {size}' puts the sign in the rule)"
        return True
    return False


def _upstream_or_unknown(
    problem: Problem, mark: Mark, spread: float, by_key: dict[Key, Mark]
) -> list[tuple[str, str]]:
    """No known slip: an earlier wrong answer it uses, else the engine's number (and the one
    from the student's figures when that differs)."""
    up, first = _wrong_upstream(problem, mark, by_key)
    if up:
        mark.upstream = first
        return [("upstream", f"it uses {up}, which is already wrong; start there")]
    a, e, carried = mark.answer, mark.engine, mark.carried
    right = show_like(a, e)
    mine = show_like(a, carried) if carried is not None else right
    if carried is not None and not close(carried, e, a.tolerance + spread) and mine != right:
        return [("unknown", f"neither the engine's {right} nor {mine} from your figures")]
    return [("unknown", f"the engine has {right}")]


def _carried(mark: Mark, wrong: list[str], rounded: list[str]) -> None:
    """Accepted: right from the student's own earlier figures (a slip, or rounding)."""
    mark.verdict, mark.reason = CARRIED, "carried"
    if wrong:
        mark.sources = tuple(wrong)
        mark.message = f"carried forward from {', '.join(wrong[:3])}"
    elif rounded:
        mark.message = f"right from your own figures: {', '.join(rounded[:3])}"
    else:
        mark.message = "right from your figures"


def _whole(a: Answer) -> bool:
    """Written as a whole number (no decimal point, no exponent): it claims to be exact."""
    t = a.text.replace("_", "").lstrip("+-")
    return not a.explicit and t.isdigit()


def significant_figures(text: str) -> int:
    """Significant figures written: '0.0370' -> 3, '-0.2' -> 1, '1.50e-3' -> 3."""
    mantissa = text.replace("_", "").lstrip("+-").lower().split("e")[0]
    digits = mantissa.replace(".", "").lstrip("0")
    return max(1, len(digits)) if "." in mantissa else max(1, len(digits.rstrip("0")))


def _precise_enough(mark: Mark, min_sig: int | None) -> Mark:
    """An accepted figure with fewer significant figures than the sheet asks for."""
    a = mark.answer
    if min_sig is None or _whole(a) and mark.verdict == RIGHT:
        return mark
    n = significant_figures(a.text)
    if n >= min_sig:
        return mark
    mark.verdict, mark.reason = IMPRECISE, "imprecise"
    mark.message = (
        f"too imprecise: {n} significant figure{'s' if n > 1 else ''}, the sheet asks for "
        f"{min_sig} ({fmt(mark.engine, min_sig)})"
    )
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


def _trivial(x: float) -> bool:
    return x == 0 or abs(abs(x) - 1.0) < 1e-12


def _reasons(
    problem: Problem, a: Answer, q: Quantity, carried: float | None, args: list[float]
) -> list[tuple[str, str]]:
    s, e, tol = a.value, q.value, a.tolerance
    right = show_like(a, e)
    mine = dict(zip(q.deps, args))  # the deps as the student has them
    for finder in (_missing_factor, _missing_path, _swapped, _updated_weights, _old_weights):
        found = finder(problem, a, q, mine)
        if found:
            return [found]
    out: list[tuple[str, str]] = []
    exact_args = [problem.index[d].value for d in q.deps]
    for what, fn in q.alternatives:
        alts = [_safe(fn, exact_args), _safe(fn, args)]
        if any(v is not None and close(s, v, tol) for v in alts):
            out.append(("slip", f"{what}: the right value is {right}"))
    if _squared_error_likely(problem, q):
        targets = [e] + ([carried] if carried is not None else [])
        for f, code, text in ((2.0, "factor 2", "twice"), (0.5, "factor 1/2", "half")):
            if any(close(s, f * t, tol) for t in targets):
                out.append((code, f"{text} the right value ({right}){_SQUARED}"))
    for other, when in _neighbours(problem, q):
        if close(s, other.value, tol):
            out.append(
                ("step", f"that is {other.label(problem.steps)}, {when}; "
                 f"{q.label(problem.steps)} is {right}")
            )  # fmt: skip
            break
    targets = [e] + ([carried] if carried is not None else [])
    if not out and any(abs(s - t) <= 2.5 * tol for t in targets):
        out.append(("rounding", f"close, but not to the digits written: {right}"))
    return out


def _squared_error_likely(problem: Problem, q: Quantity) -> bool:
    """A factor 2 or ½ means the squared error's ½ only in a network sheet's loss and what
    the backward pass takes from it (not in a forward value, an update, or an expression)."""
    if problem.kind != "network":
        return False
    return q.section in ("loss", "gradients") or (
        q.section == "backward factors" and q.name.startswith("dE/")
    )


def _swapped(
    problem: Problem, a: Answer, q: Quantity, mine: dict[Key, float]
) -> tuple[str, str] | None:
    """The answer is another quantity's value: swapped operands or indices."""
    s, e, tol = a.value, q.value, a.tolerance
    if close(s, e, tol) or _trivial(s):
        return None
    others = [o for o in problem.quantities if o.step == q.step and o.section == q.section]
    if q.kind == "local":  # d(x*y)/dx written as x: an operand of its own operation
        others += [problem.index[d] for d in q.deps]
    for o in others:
        if o.key == q.key or _trivial(o.value) or close(o.value, e, tol):
            continue
        if close(s, o.value, tol) and o.section != "zero derivatives":
            return (
                "swapped",
                f"that is the value of {o.name} ({show_like(a, o.value)}): swapped operands or "
                f"indices? {q.name} is {show_like(a, e)}",
            )
    return None


def _missing_factor(
    problem: Problem, a: Answer, q: Quantity, mine: dict[Key, float]
) -> tuple[str, str] | None:
    """The answer is the right one divided by one factor of its chain (the engine's factors,
    or the student's own)."""
    if len(q.paths) != 1 or len(q.paths[0]) < 2:
        return None
    s, e, tol = a.value, q.value, a.tolerance
    path = q.paths[0]
    for k in path:
        f = problem.index[k].value
        if _trivial(f):
            continue
        own = math.prod(mine.get(j, problem.index[j].value) for j in path if j != k)
        if close(s, e / f, tol) or close(s, own, tol):
            name = problem.index[k].name
            return (
                "missing factor",
                f"the factor {name} = {show_like(a, f)} is missing: {q.formula} = "
                f"{show_like(a, e)}",
            )
    return None


def _missing_path(
    problem: Problem, a: Answer, q: Quantity, mine: dict[Key, float]
) -> tuple[str, str] | None:
    """The answer sums only some of the paths from the output to this quantity (the
    engine's terms, or the student's own)."""
    n = len(q.paths)
    if n < 2 or n > 10:
        return None
    s, tol = a.value, a.tolerance
    exact = [math.prod(problem.index[k].value for k in path) for path in q.paths]
    own = [math.prod(mine.get(k, problem.index[k].value) for k in path) for path in q.paths]
    for mask in range(1, 2**n - 1):
        parts = [sum(v[i] for i in range(n) if mask >> i & 1) for v in (exact, own)]
        if any(close(s, part, tol) for part in parts):
            missing = [q.paths[i] for i in range(n) if not mask >> i & 1]
            texts = [" * ".join(problem.index[k].name for k in p) for p in missing]
            return (
                "missing path",
                f"a path is missing ({' + '.join(texts)}): {q.name} adds up every path, "
                f"{q.formula} = {show_like(a, q.value)}",
            )
    return None


def _with_replaced(
    problem: Problem, q: Quantity, replace: dict[Key, float], through: tuple[str, ...] = ()
) -> float | None:
    """q worked again with some quantities replaced, through the recipes of the sections
    ``through`` that depend on them (other quantities keep the engine's numbers)."""
    if q.compute is None or not replace:
        return None
    memo: dict[Key, float] = dict(replace)
    todo: list[tuple[Key, bool]] = [(q.key, False)]
    while todo:
        k, ready = todo.pop()
        if k in memo:
            continue
        qq = problem.index[k]
        if qq.compute is None or not qq.deps or (k != q.key and qq.section not in through):
            memo[k] = qq.value
            continue
        if not ready:
            todo.append((k, True))
            todo.extend((d, False) for d in qq.deps if d not in memo)
            continue
        got = _safe(qq.compute, [memo[d] for d in qq.deps])
        memo[k] = qq.value if got is None else got
    return memo.get(q.key)


def _updated_weights(
    problem: Problem, a: Answer, q: Quantity, mine: dict[Key, float]
) -> tuple[str, str] | None:
    """A backward-pass figure worked with the weights after this step's update."""
    if problem.kind != "network" or q.section not in ("backward factors", "gradients"):
        return None
    new: dict[Key, float] = {}
    for k, given in problem.index.items():
        upd = problem.index.get((k[0], f"{k[1]}_new"))
        if k[0] == q.step and given.section == "given" and upd is not None:
            new[k] = upd.value
    got = _with_replaced(problem, q, new, ("backward factors", "gradients"))
    if got is not None and not close(got, q.value, 0) and close(a.value, got, a.tolerance):
        return (
            "updated weights",
            "worked with the updated weights (w_new): the backward pass uses the weights of "
            f"the forward pass; {q.name} is {show_like(a, q.value)}",
        )
    return None


def _old_weights(
    problem: Problem, a: Answer, q: Quantity, mine: dict[Key, float]
) -> tuple[str, str] | None:
    """A figure of step k > 1 worked with a weight from before the previous update."""
    if q.step < 2:
        return None
    old = {}
    for d in q.deps:
        dep = problem.index[d]
        before = problem.index.get((d[0] - 1, d[1]))
        if dep.section == "given" and dep.deps and before is not None and before.value != dep.value:
            old[d] = before.value
    got = _with_replaced(problem, q, old)
    if got is not None and close(a.value, got, a.tolerance) and not close(got, q.value, 0):
        names = ", ".join(problem.index[d].name for d in old)
        return (
            "old weights",
            f"worked with {names} from before the update: step {q.step} starts from step "
            f"{q.step - 1}'s updated weights; {q.label(problem.steps)} is "
            f"{show_like(a, q.value)}",
        )
    return None


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
    chain = (
        q.section in ("gradients",)
        or q.kind == "chain"
        or (q.section == "backward factors" and len(q.deps) > 2)
    )
    if chain and "/" in q.name and q.name.startswith("d") and len(problem.quantities) < 400:
        top, _, bottom = q.name[1:].partition("/d")
        root = problem.nodes.get((q.step, top))
        wrt = problem.nodes.get((q.step, bottom))
        if root is not None and wrt is not None and root is not wrt:
            from tracegrad.autograd.explain import explain

            with contextlib.suppress(ValueError, TypeError):
                lines = [str(explain(root, wrt=wrt))]
    return "\n".join(lines)

"""Why a wrong answer is wrong: the known slips, each looked for by its own function.

A missing factor or path of the chain rule, another quantity's value (swapped operands or
indices), the updated weights used in the backward pass, the weight before the update in the
next step, a known slip of the recipe, a factor 2 or ½ of the squared error, the same quantity
one step off, or close but not to the digits written.
"""

from __future__ import annotations

import math

from tracegrad.checker.judging.precision import close, show_like
from tracegrad.checker.judging.prepared import Prepared
from tracegrad.checker.limits import charge
from tracegrad.checker.reading.sheet import Answer
from tracegrad.checker.solving.problem import (
    BACKWARD_FACTORS,
    FORWARD,
    GIVEN,
    GRADIENTS,
    LOSS,
    UPDATES,
    ZERO_DERIVATIVES,
    Key,
    Problem,
    Quantity,
    apply_recipe,
)

__all__ = ["slip_reasons"]

_SQUARED = ": the squared error's factor 2 (E = sum 1/2 (y - o)^2 or sum (y - o)^2?)"


def slip_reasons(
    problem: Problem,
    prep: Prepared,
    a: Answer,
    q: Quantity,
    carried: float | None,
    args: list[float],
) -> list[tuple[str, str]]:
    """The likeliest reasons a wrong answer is wrong, as (code, sentence); [] when none fits.

    ``prep`` is the sheet's diagnosis cache, ``carried`` the recipe on the student's figures,
    ``args`` those figures (q's deps).
    """
    if _degenerate(problem, prep, q, args):
        return []  # saturated or overflowing arithmetic: any "slip" found would be a fluke
    mine = dict(zip(q.deps, args))  # the deps as the student has them
    for finder in (_missing_factor, _missing_path, _flipped_path):
        found = finder(problem, a, q, mine)
        if found:
            return [found]
    out = _known_slips(problem, a, q, args)
    if out:
        return out
    for finder in (_half_a_slope, _misread_given):  # these need no cache
        found = finder(problem, a, q, mine)
        if found:
            return [found]
    for search in (_swapped, _updated_weights, _old_weights):  # these use the sheet's cache
        found = search(problem, prep, a, q, mine)
        if found:
            return [found]
    return _size_or_step(problem, a, q, carried)


def _known_slips(
    problem: Problem, a: Answer, q: Quantity, args: list[float]
) -> list[tuple[str, str]]:
    """A known slip of this recipe (its ``alternatives``), on the engine's or the student's
    figures: named as the slip itself."""
    right = show_like(a, q.value)
    exact_args = [problem.index[d].value for d in q.deps]
    out = []
    for what, fn in q.alternatives:
        alts = [apply_recipe(fn, exact_args), apply_recipe(fn, args)]
        if any(v is not None and close(a.value, v, a.tolerance) for v in alts):
            out.append(("slip", f"{what}: the right value is {right}"))
    return out


def _size_or_step(
    problem: Problem, a: Answer, q: Quantity, carried: float | None
) -> list[tuple[str, str]]:
    """The squared error's factor 2 or ½, the same quantity one step off, or close but not
    to the digits written."""
    s, e, tol = a.value, q.value, a.tolerance
    right = show_like(a, e)
    out: list[tuple[str, str]] = []
    targets = [e] + ([carried] if carried is not None else [])
    if _squared_error_likely(problem, q):
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
    if not out and any(abs(s - t) <= 2.5 * tol for t in targets):
        out.append(("rounding", f"close, but not to the digits written: {right}"))
    return out


_HUGE = 1e100  # past this (or below its inverse) a sigmoid or tanh is saturated


def _degenerate(problem: Problem, prep: Prepared, q: Quantity, args: list[float]) -> bool:
    """Non-finite or saturated arithmetic: a number of q's recipe (the engine's or the
    student's) is not finite, or past ``_HUGE``, or any number of q's step is (1e300 weights
    saturate every sigmoid after them, so their zero derivatives say nothing of a slip)."""
    values = [q.value, *args, *(problem.index[d].value for d in q.deps)]
    if any(not math.isfinite(v) or abs(v) > _HUGE or 0 < abs(v) < 1 / _HUGE for v in values):
        return True
    if q.step not in prep.wild:
        charge(len(problem.quantities))
        prep.wild[q.step] = any(
            not math.isfinite(o.value) or abs(o.value) > _HUGE
            for o in problem.quantities
            if o.step == q.step
        )
    return prep.wild[q.step]


def _trivial(x: float) -> bool:
    return x == 0 or abs(abs(x) - 1.0) < 1e-12


def _squared_error_likely(problem: Problem, q: Quantity) -> bool:
    """A factor 2 or ½ means the squared error's ½ only in a network sheet's loss and what
    the backward pass takes from it (not in a forward value, an update, or an expression)."""
    squared = any(line.startswith(("loss mse", "loss half_sse")) for line in problem.describe)
    if problem.kind != "network" or not squared:
        return False
    return q.section in (LOSS, GRADIENTS) or (
        q.section == BACKWARD_FACTORS and q.name.startswith("dE/")
    )


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


def _path_terms(
    problem: Problem, q: Quantity, mine: dict[Key, float]
) -> tuple[list[float], list[float]]:
    """Each path's term of ``q`` (the product of its factors): the engine's, and the student's
    own (their figure for a factor where they wrote one)."""
    exact = [math.prod(problem.index[k].value for k in path) for path in q.paths]
    own = [math.prod(mine.get(k, problem.index[k].value) for k in path) for path in q.paths]
    return exact, own


def _missing_path(
    problem: Problem, a: Answer, q: Quantity, mine: dict[Key, float]
) -> tuple[str, str] | None:
    """The answer sums only some of the paths from the output to this quantity (the
    engine's terms, or the student's own)."""
    n = len(q.paths)
    if n < 2 or n > 10:
        return None
    charge(2**n)
    s, tol = a.value, a.tolerance
    exact, own = _path_terms(problem, q, mine)
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


def _flipped_path(
    problem: Problem, a: Answer, q: Quantity, mine: dict[Key, float]
) -> tuple[str, str] | None:
    """One term of the sum of paths with its sign flipped (the engine's terms, or the
    student's own): the quotient rule's u'v + uv' for u'v - uv', say."""
    n = len(q.paths)
    if n < 2 or n > 10:
        return None
    charge(n)
    s, tol = a.value, a.tolerance
    for values in _path_terms(problem, q, mine):
        total = sum(values)
        for i, path in enumerate(q.paths):
            if values[i] != 0 and close(s, total - 2 * values[i], tol):
                term = " * ".join(problem.index[k].name for k in path)
                quotient = any(problem.index[k].formula.startswith("-") for k in path)
                hint = " (the quotient rule subtracts: (u'v - uv') / v²)" if quotient else ""
                return (
                    "sign of a term",
                    f"the term {term} has the wrong sign{hint}: {q.formula} = "
                    f"{show_like(a, q.value)}",
                )
    return None


def _half_a_slope(
    problem: Problem, a: Answer, q: Quantity, mine: dict[Key, float]
) -> tuple[str, str] | None:
    """A sigmoid's slope o * (1 - o) written as one of its factors: 1 - o, or o."""
    if q.kind != "local" or len(q.deps) != 2:
        return None
    o = problem.index[q.deps[0]].name
    if q.formula != f"{o} * (1 - {o})":
        return None
    values = {problem.index[q.deps[0]].value, mine.get(q.deps[0], math.nan)}
    for half, fn in ((f"1 - {o}", lambda v: 1.0 - v), (o, lambda v: v)):
        if any(math.isfinite(v) and close(a.value, fn(v), a.tolerance) for v in values):
            return (
                "half the slope",
                f"that is {half}, one factor of the sigmoid's slope: {q.name} = {q.formula} = "
                f"{show_like(a, q.value)}",
            )
    return None


def _misread_given(
    problem: Problem, a: Answer, q: Quantity, mine: dict[Key, float]
) -> tuple[str, str] | None:
    """A forward figure worked with one given ten times too small or too large: a decimal
    slip in copying it (the seed article prints x2 = -0.05 for -0.5 in one line)."""
    if q.section != FORWARD or _trivial(a.value):
        return None
    for d in q.deps:
        given = problem.index[d]
        if given.section != GIVEN or _trivial(given.value):
            continue
        for misread in (given.value / 10, given.value * 10):
            got = _with_replaced(problem, q, {d: misread})
            if got is not None and close(a.value, got, a.tolerance):
                return (
                    "misread given",
                    f"that is {q.name} worked with {given.name} = {misread:g} for "
                    f"{given.value:g} (a decimal slip in copying it); {q.name} = "
                    f"{show_like(a, q.value)}",
                )
    return None


def _swapped(
    problem: Problem, prep: Prepared, a: Answer, q: Quantity, mine: dict[Key, float]
) -> tuple[str, str] | None:
    """The answer is another quantity's value: swapped operands or indices."""
    s, e, tol = a.value, q.value, a.tolerance
    if close(s, e, tol) or _trivial(s):
        return None
    others = prep.near(q.step, q.section, s, tol)  # those close to s, in order
    if q.kind == "local":  # d(x*y)/dx written as x: an operand of its own operation
        others += [problem.index[d] for d in q.deps]
    for o in others:
        if o.key == q.key or _trivial(o.value) or close(o.value, e, tol):
            continue
        if close(s, o.value, tol) and o.section != ZERO_DERIVATIVES:
            return (
                "swapped",
                f"that is the value of {o.name} ({show_like(a, o.value)}): swapped operands or "
                f"indices? {q.name} is {show_like(a, e)}",
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
        got = apply_recipe(qq.compute, [memo[d] for d in qq.deps])
        memo[k] = qq.value if got is None else got
    return memo.get(q.key)


def _updated_weights(
    problem: Problem, prep: Prepared, a: Answer, q: Quantity, mine: dict[Key, float]
) -> tuple[str, str] | None:
    """A backward-pass figure worked with the weights after this step's update."""
    if problem.kind != "network" or q.section not in (BACKWARD_FACTORS, GRADIENTS):
        return None
    through = (BACKWARD_FACTORS, GRADIENTS)
    worked = prep.updated(q.step, lambda: _new_weights(problem, q.step), through)
    got = worked.get(q.key)
    if got is not None and not close(got, q.value, 0) and close(a.value, got, a.tolerance):
        return (
            "updated weights",
            "worked with the updated weights (w_new): the backward pass uses the weights of "
            f"the forward pass; {q.name} is {show_like(a, q.value)}",
        )
    return None


def _new_weights(problem: Problem, step: int) -> dict[Key, float]:
    """Each given of ``step`` that is updated (a weight) -> its value after the update."""
    charge(len(problem.quantities))
    new: dict[Key, float] = {}
    for given in problem.quantities:
        upd = problem.index.get((step, f"{given.name}_new"))
        if given.step == step and given.section == GIVEN and upd is not None:
            new[given.key] = upd.value
    return new


def _old_weights(
    problem: Problem, prep: Prepared, a: Answer, q: Quantity, mine: dict[Key, float]
) -> tuple[str, str] | None:
    """A figure of step k > 1 worked with a weight from before the previous update."""
    if q.step < 2:
        return None
    old = {}
    for d in q.deps:
        dep = problem.index[d]
        before = problem.index.get((d[0] - 1, d[1]))
        if dep.section == GIVEN and dep.deps and before is not None and before.value != dep.value:
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
    if q.section == UPDATES:
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

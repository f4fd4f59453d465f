"""The limits of a homework file, checked right after it is parsed and before any work.

The limits themselves (values, names, how to raise them) live in ``tracegrad.autograd.limits``;
this module knows where they apply in a homework: the network's size, the number of samples,
expressions and answers, the training work, the order of derivatives, the digits of numbers
and how deeply arrays and tables nest. A breach is a :class:`HomeworkLimitError` carrying the
key path of the offending entry, so the loader (``reading/homework.py``) can name its line.
And the diagnosis budget: the work judging a sheet's wrong answers may take.

It imports nothing of the checker's sub-packages, which import it: reading and judging both
keep to these limits.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from tracegrad.autograd.limits import LIMITS, LimitError, count_digits, nesting_depth

__all__ = [
    "DiagnosisBudget",
    "DiagnosisCutShort",
    "charge",
    "cut_short_note",
    "diagnosis_budget",
    "HomeworkLimitError",
    "check_homework",
]


class HomeworkLimitError(LimitError):
    """A homework beyond a limit; ``key`` is the key path of the entry (for its line)."""

    def __init__(self, message: str, key: tuple[str, ...] = ()) -> None:
        super().__init__(message)
        self.key = key


def _check(name: str, count: int, what: str, key: tuple[str, ...]) -> None:
    try:
        LIMITS[name].check(count, what)
    except LimitError as exc:
        raise HomeworkLimitError(str(exc), key) from None


_ORDER = re.compile(r"^[d∂]\^?(\d+)")
_SUPERSCRIPTS = str.maketrans("⁰¹²³⁴⁵⁶⁷⁸⁹", "0123456789")


def check_homework(data: Mapping[str, Any], texts: Mapping[tuple[str, ...], str]) -> None:
    """Every limit a parsed homework must meet; ``texts`` holds the numbers as written."""
    nesting = LIMITS["nesting"]
    if nesting_depth(dict(data), nesting.value) > nesting.value:
        raise HomeworkLimitError(f"more than {nesting.message(nesting.value)}")
    _check_numbers(data, texts)
    for key, name in (("expressions", "expressions"), ("samples", "samples")):
        if isinstance(data.get(key), (list, dict)):
            _check(name, len(data[key]), "", (key,))
    answers = data.get("answers")
    if isinstance(answers, dict):
        count = sum(
            len(v) if isinstance(v, dict) and "value" not in v else 1 for v in answers.values()
        )
        _check("answers", count, "", ("answers",))
        for key in answers:
            _check_order(key, ("answers", key))
            inner = answers[key]
            if isinstance(inner, dict) and "value" not in inner:
                for k2 in inner:
                    _check_order(k2, ("answers", key, k2))
    net = data.get("network")
    if isinstance(net, dict):
        _check_network(net, data)


def _check_order(key: str, path: tuple[str, ...]) -> None:
    """'d16f/dx16' asks for 16 derivatives in a row: refused above the order limit."""
    m = _ORDER.match(key.translate(_SUPERSCRIPTS).replace(" ", ""))
    if m and "/" in key:
        digits = m.group(1)
        order = int(digits) if len(digits) <= 9 else 10**9
        _check("derivative_order", order, f"answer {_short(key)}", path)


def _check_network(net: Mapping[str, Any], data: Mapping[str, Any]) -> None:
    """Size the network from ``sizes`` alone, before any name or weight is made."""
    sizes = net.get("sizes")
    if not isinstance(sizes, list) or not all(
        isinstance(s, int) and not isinstance(s, bool) for s in sizes
    ):
        return  # the loader explains what sizes should be
    _check("neurons", sum(max(s, 0) for s in sizes), "network.sizes", ("network", "sizes"))
    parameters = sum((a + 1) * b for a, b in zip(sizes, sizes[1:]))
    _check("parameters", parameters, f"network.sizes {sizes}", ("network", "sizes"))
    training = data.get("training")
    steps = training.get("steps", 1) if isinstance(training, dict) else 1
    samples = data.get("samples")
    n_samples = len(samples) if isinstance(samples, list) else 1
    if isinstance(steps, int) and steps > 0:
        work = steps * n_samples * parameters
        what = f"{steps} steps x {n_samples} samples x {parameters} parameters"
        _check("work", work, what, ("training", "steps"))


def _check_numbers(data: Mapping[str, Any], texts: Mapping[tuple[str, ...], str]) -> None:
    """No number with more digits than the limit: as written, or as a (huge) integer."""
    digits = LIMITS["digits"]
    for path, text in texts.items():
        _check("digits", count_digits(text), f"the number {_short(text)}", path)
    todo: list[tuple[Any, tuple[str, ...]]] = [(data, ())]
    while todo:
        x, path = todo.pop()
        if isinstance(x, dict):
            todo.extend((v, (*path, str(k))) for k, v in x.items())
        elif isinstance(x, list):
            todo.extend((v, path) for v in x)
        elif isinstance(x, int) and not isinstance(x, bool):
            # its digits counted, never compared with 10**limit: a limit raised to 10**32
            # would make that number first; beyond str()'s 4300 digits, from its bits
            n = int(abs(x).bit_length() * math.log10(2)) + 1
            _check("digits", len(str(abs(x))) if n < 4000 else n, "an integer", path)
        elif isinstance(x, str) and path[:1] == ("answers",) and count_digits(x) > digits.value:
            _check("digits", count_digits(x), f"the number {_short(x)}", path)


def _short(text: str, limit: int = 30) -> str:
    return repr(text) if len(text) <= limit else repr(text[: limit - 3] + "...")


# ---------------------------------------------------------------- the diagnosis budget
class DiagnosisCutShort(Exception):
    """Raised by :func:`charge` when the diagnosis work of a sheet passes its budget."""


class DiagnosisBudget:
    """The work left for diagnosing one sheet's wrong answers (``TRACEGRAD_MAX_DIAGNOSIS_WORK``).

    Each diagnosis charges the quantities it looks at; once the budget is spent, the answers
    still to diagnose are marked without a diagnosis and the report says the diagnosis was cut
    short. Counted in work units, never in seconds, so a sheet is marked the same on any
    machine.
    """

    def __init__(self) -> None:
        self.limit = LIMITS["diagnosis_work"].value
        self.spent = 0
        self.cut = 0  # answers marked without a diagnosis

    def charge(self, units: int) -> None:
        if self.exhausted:  # after the cut, the verdict alone (a carry) is never cut short
            return
        self.spent += units
        if self.spent > self.limit:
            raise DiagnosisCutShort

    @property
    def exhausted(self) -> bool:
        return self.spent > self.limit


def cut_short_note(cut: int) -> str:
    """The report's words when ``cut`` wrong answers were left without a diagnosis."""
    lim = LIMITS["diagnosis_work"]
    return (
        f"diagnosis cut short: {cut} wrong answer{'s' if cut != 1 else ''} without a reason "
        f"(the diagnosis work passed {lim.value} units; set {lim.env} to raise it)"
    )


_BUDGET: ContextVar[DiagnosisBudget | None] = ContextVar("tracegrad_diagnosis", default=None)


@contextmanager
def diagnosis_budget() -> Iterator[DiagnosisBudget]:
    """The budget for marking one sheet; :func:`charge` draws on it while the block runs."""
    budget = DiagnosisBudget()
    token = _BUDGET.set(budget)
    try:
        yield budget
    finally:
        _BUDGET.reset(token)


def charge(units: int) -> None:
    """Count ``units`` of diagnosis work (quantities looked at) against the sheet's budget;
    raises DiagnosisCutShort once it is spent. Outside :func:`diagnosis_budget`, free."""
    budget = _BUDGET.get()
    if budget is not None:
        budget.charge(units)

"""The homework checker: which of a student's hand-derived numbers are right, and why not.

>>> from tracegrad.checker import check
>>> report = check("examples/seed_article.toml")        # doctest: +SKIP
>>> report.ok, report.first_mistake.label               # doctest: +SKIP

``check(path_or_dict) -> Report`` marks every answer; ``solve(path_or_dict) -> Solution``
works the whole problem in textbook order. A file that cannot be checked raises
:class:`HomeworkError` with a one-line message naming its line.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from tracegrad.autograd.parse import ExpressionError
from tracegrad.checker.judging.diagnose import (
    CARRIED,
    IMPRECISE,
    RIGHT,
    SIGN,
    TRUNCATED,
    WRONG,
    Mark,
    mark_answers,
)
from tracegrad.checker.judging.prepared import Prepared
from tracegrad.checker.judging.report import Report
from tracegrad.checker.limits import HomeworkLimitError
from tracegrad.checker.reading.homework import Answer, Homework, HomeworkError, load
from tracegrad.checker.solving.expression import build_expression
from tracegrad.checker.solving.network import build_network
from tracegrad.checker.solving.problem import Problem, Quantity
from tracegrad.checker.solving.solution import Solution

__all__ = [
    "check",
    "solve",
    "build",
    "load",
    "Report",
    "Mark",
    "Answer",
    "Homework",
    "HomeworkError",
    "Problem",
    "Quantity",
    "RIGHT",
    "CARRIED",
    "TRUNCATED",
    "SIGN",
    "IMPRECISE",
    "WRONG",
]

Source = str | Path | Mapping[str, Any]


def build(hw: Homework) -> Problem:
    """The worked problem (every quantity with the engine's number) for a loaded homework."""

    try:
        if hw.kind == "network":
            return build_network(hw)

        return build_expression(hw)
    except (ExpressionError, ArithmeticError, ValueError) as exc:
        if isinstance(exc, HomeworkError):
            raise
        raise hw.error(f"cannot work the problem: {exc}") from None


def check(source: Source | Homework) -> Report:
    """Mark every answer of a homework (a TOML path, a parsed dict or a loaded Homework)."""

    hw = source if isinstance(source, Homework) else load(source)
    problem = build(hw)
    prep = Prepared(problem)  # the diagnosis cache of this one marking
    try:
        marks = mark_answers(hw, problem, prep)
    except HomeworkLimitError as exc:  # an answer's work beyond a limit (higher derivatives)
        raise hw.error(str(exc), *exc.key) from None
    return Report(hw.path, hw.title, hw.kind, marks, problem, prep.budget)


def solve(source: Source | Homework) -> Any:
    """The full worked solution of a homework, in textbook order (see ``Solution``)."""

    hw = source if isinstance(source, Homework) else load(source, answers=False)
    problem = build(hw)
    work = getattr(problem, "work_backward", None)
    try:
        if work is not None:
            work()
        for a in hw.answers:  # what the sheet asks for too (second derivatives)
            problem.resolve(a.name, a.step)
    except (ArithmeticError, ValueError) as exc:
        raise hw.error(f"cannot work the problem: {exc}") from None
    return Solution(hw, problem)

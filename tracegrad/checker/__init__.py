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

from tracegrad.checker.diagnose import CARRIED, IMPRECISE, RIGHT, SIGN, TRUNCATED, WRONG, Mark
from tracegrad.checker.homework import Answer, Homework, HomeworkError, load
from tracegrad.checker.problem import Problem, Quantity
from tracegrad.checker.report import Report

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
    from tracegrad.autograd.parse import ExpressionError

    try:
        if hw.kind == "network":
            from tracegrad.checker.network import build_network

            return build_network(hw)
        from tracegrad.checker.expression import build_expression

        return build_expression(hw)
    except (ExpressionError, ArithmeticError, ValueError) as exc:
        if isinstance(exc, HomeworkError):
            raise
        raise hw.error(f"cannot work the problem: {exc}") from None


def check(source: Source | Homework) -> Report:
    """Mark every answer of a homework (a TOML path, a parsed dict or a loaded Homework)."""
    from tracegrad.checker.diagnose import mark_answers

    hw = source if isinstance(source, Homework) else load(source)
    problem = build(hw)
    return Report(hw.path, hw.title, hw.kind, mark_answers(hw, problem), problem)


def solve(source: Source | Homework) -> Any:
    """The full worked solution of a homework, in textbook order (see ``Solution``)."""
    from tracegrad.checker.solution import Solution

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

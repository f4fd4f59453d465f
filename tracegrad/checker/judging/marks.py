"""A verdict on one answer (``Mark``), and the sheet being marked (``Sheet``).

The verdicts a report uses (right, carried forward, truncated, sign flipped, too imprecise,
wrong), the mark of one answer with the numbers it was judged by, and what marking one sheet
works with: the worked problem, its diagnosis cache, the student's figures and the precision
the sheet asks for.
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass, field

from tracegrad.checker.judging.prepared import Prepared
from tracegrad.checker.reading.figures import significant_figures, written_decimals
from tracegrad.checker.reading.sheet import Answer
from tracegrad.checker.solving.problem import Key, Problem, Quantity

__all__ = [
    "RIGHT",
    "CARRIED",
    "TRUNCATED",
    "SIGN",
    "IMPRECISE",
    "WRONG",
    "ACCEPTED",
    "CUT_SHORT",
    "Figure",
    "Mark",
    "Sheet",
    "accept_carried",
]

RIGHT = "right"
CARRIED = "carried forward"
TRUNCATED = "truncated"
SIGN = "sign flipped"
IMPRECISE = "too imprecise"
WRONG = "wrong"
ACCEPTED = (RIGHT, CARRIED, TRUNCATED)
CUT_SHORT = "cut short"  # the reason of a wrong answer left undiagnosed (the budget was spent)

Figure = tuple[float, float]  # a number and the half-width of the interval it stands for


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


@dataclass
class Sheet:
    """One sheet being marked: the worked problem, its diagnosis cache (``prep``), the
    student's figures by quantity, every quantity as the student would have it (``world``),
    the marks so far, and the precision the sheet asks for."""

    problem: Problem
    prep: Prepared
    student: dict[Key, Answer]
    world: dict[Key, Figure]
    min_sig_figs: int | None = None
    min_decimals: int | None = None
    by_key: dict[Key, Mark] = field(default_factory=dict)
    written: list[Answer] = field(default_factory=list)  # the answers written to their digits

    def __post_init__(self) -> None:
        # the two most decimals and significant figures written, with whose they are: what
        # "elsewhere" means for any one answer, without a pass over the sheet per answer
        self._top = [
            heapq.nlargest(2, ((read(o.text), id(o)) for o in self.written))
            for read in (written_decimals, significant_figures)
        ]

    def finer(self, a: Answer) -> int | None:
        """The most decimals the student writes elsewhere on the sheet, when they work finer
        there than in ``a`` (more decimals, and more significant figures: a sheet written to
        3 significant figures everywhere works at one precision); ``a``'s own decimals when
        they do not; None when nothing else is written to digits of its own."""
        elsewhere = [next((n for n, who in top if who != id(a)), None) for top in self._top]
        places, figures = elsewhere
        mine = written_decimals(a.text)
        if places is None or figures is None:
            return None
        return places if places > mine and figures > significant_figures(a.text) else mine


def accept_carried(mark: Mark, wrong: list[str], rounded: list[str]) -> None:
    """Accepted: right from the student's own earlier figures (a slip, or rounding)."""
    mark.verdict, mark.reason = CARRIED, "carried"
    if wrong:
        mark.sources = tuple(wrong)
        mark.message = f"carried forward from {', '.join(wrong[:3])}"
    elif rounded:
        mark.message = f"right from your own figures: {', '.join(rounded[:3])}"
    else:
        mark.message = "right from your figures"

"""Judging one figure of practice mode with the homework checker's own rules.

An :class:`Exercise` is root's backward pass as a homework problem: every operation a named
expression (the names the steps use: labels, ``v1``, ``v2``, ...), every gradient a learner is
asked for (``tracegrad.autograd.explaining.page_practice.practice_questions``, in the
engine's order) a quantity of the checker's worked problem. ``judge`` marks one written figure with
``tracegrad.checker.judging.diagnose.mark_answers`` given the learner's earlier figures: written
precision (0.71 stands for 0.705 to 0.715), carried forward from the learner's own upstream
figures, and the diagnoses (sign flipped, a chain-rule factor or path missing). The hint names
what to look at and never gives the number away. The page's script implements the same rules
(``autograd/page_practice.js``); ``tests/test_practice_page_rules.py`` keeps them equal.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping
from dataclasses import dataclass

from tracegrad.autograd.explaining.page_practice import Folded, Question, questions_of
from tracegrad.autograd.graph import topo_order
from tracegrad.autograd.parse import ExpressionError, parse_expression
from tracegrad.autograd.value import Value
from tracegrad.checker import build
from tracegrad.checker.judging.diagnose import SIGN, Mark, mark_answers
from tracegrad.checker.judging.precision import written_tolerance
from tracegrad.checker.reading.sheet import Answer, ExpressionSpec, Homework
from tracegrad.checker.solving.expression import ExpressionProblem
from tracegrad.checker.solving.problem import Quantity

__all__ = ["Exercise", "Verdict", "NUMBER", "MAX_VALUES"]

NUMBER = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$")  # what an answer may be
MAX_VALUES = 500  # practice is for graphs a person works by hand; larger ones are refused
_FACTOR = re.compile(r"the factor (\S+) = ")


@dataclass(frozen=True)
class Verdict:
    """The judgement of one figure: ``right``, a ``kind`` ('right', 'carried', 'truncated',
    'sign', 'factor', 'path', 'whole', 'other'), the ``factor`` to look at (kind 'factor')
    and the line a learner reads (``text``)."""

    right: bool
    kind: str
    factor: str
    text: str


class Exercise:
    """Root's backward pass as questions, with the checker's worked problem behind them."""

    def __init__(self, root: Value, *, title: str = "") -> None:
        if not isinstance(root, Value):
            raise TypeError(f"practice needs a Value, got {type(root).__name__}")
        order = topo_order(root)
        if len(order) > MAX_VALUES:
            raise ValueError(
                f"the graph has {len(order)} Values; practice works graphs of up to {MAX_VALUES}"
            )
        self.fold = Folded(root, "practice()")
        names = self.fold.names
        self.root = root
        self.order = order
        self.names = names
        self.root_name = names(root)
        self.questions: list[Question] = questions_of(self.fold)
        spec = _spec(self.fold)
        self.homework = Homework("<practice>", title, "expression", spec)

        problem = build(self.homework)
        assert isinstance(problem, ExpressionProblem)
        self.problem = problem
        self.quantities: list[Quantity] = [
            problem.derivative(self.root_name, q.name) for q in self.questions
        ]

    def definition(self, node: Value) -> str:
        """'net_o1 = w5 * h1 + w6 * h2 + b3': a Value asked about, from those below it, with
        the unlabelled steps between written inline (as ``explain --fold`` writes them)."""
        return self.fold.definition(node)

    def judge(self, index: int, figures: Mapping[int, str], text: str) -> Verdict:
        """Mark ``text`` as the answer to question ``index``, given the learner's figures
        for earlier questions (question index -> the figure as written or as revealed)."""
        text = text.strip()
        if not NUMBER.match(text):
            raise ValueError(f"{text!r} is not a number (write it like -0.25 or 3e-4)")
        answers = [self._answer(j, figures[j]) for j in sorted(figures) if j < index]
        answers.append(self._answer(index, text))
        hw = dataclasses.replace(self.homework, answers=answers)
        mark = mark_answers(hw, self.problem)[-1]
        return _verdict(mark, self.questions[index], self.root_name)

    def _answer(self, index: int, text: str) -> Answer:
        name = self.quantities[index].name
        return Answer(name, name, "", 1, float(text), text, written_tolerance(text), False, None)


def _spec(fold: Folded) -> ExpressionSpec:
    """Every labelled leaf a variable, every Value asked about an expression of those below
    it (the unlabelled steps written inline)."""
    variables: dict[str, float] = {}
    expressions = {}
    seen: set[str] = set()
    names = fold.names
    for n in fold.kept:
        if names.is_constant(n):
            continue
        name = names(n)
        if name in seen:
            raise ValueError(f"two Values are both named {name!r}: give them different labels")
        if not name.isidentifier():
            raise ValueError(f"the name {name!r} is not a plain name (letters, digits and _)")
        seen.add(name)
        if n._op is None:
            variables[name] = n.data
            continue
        text = fold.expression(n)
        try:
            expressions[name] = parse_expression(text)
        except ExpressionError as exc:
            raise ValueError(f"{name} = {text} cannot be worked as an expression: {exc}") from None
    return ExpressionSpec(variables, expressions)


def _verdict(mark: Mark, q: Question, root_name: str) -> Verdict:
    """The checker's mark as practice mode says it: what is wrong and which rule to look at
    (``Question.hint``: the rule in words and the earlier question, never the number)."""
    if mark.ok:
        why = f" ({mark.message})" if mark.reason in ("carried", "truncated") else ""
        return Verdict(True, mark.reason or "right", "", f"right{why}")
    if mark.verdict == SIGN:
        return Verdict(False, "sign", "", q.hint("sign", root_name))
    if mark.reason == "missing factor":
        found = _FACTOR.search(mark.message)
        factor = found.group(1) if found else ""
        return Verdict(False, "factor", factor, q.hint("factor", root_name, factor))
    if mark.reason == "missing path":
        return Verdict(False, "path", "", q.hint("path", root_name))
    if mark.reason == "whole number":
        return Verdict(False, "whole", "", q.hint("whole", root_name))
    return Verdict(False, "other", "", q.hint("other", root_name))

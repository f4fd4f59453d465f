"""Practice's hints name the rule, never the result.

Every shipped example and 200 generated exercises are worked at the terminal by a learner who
answers each question wrongly (the sign flipped, the upstream gradient alone, the local
derivative alone, half of it, nothing, a whole number, one path of several) and then types
``?``. No number in a hint may equal the answer unless the learner had seen that number
before the question was asked (a given, a definition, an earlier answer). The page's hints are
written around the same texts (``practice_data``'s ``x`` and ``p``), checked the same way.
"""

from __future__ import annotations

import io
import re

import pytest
from tracegrad.autograd.explaining.page_practice import practice_data
from tracegrad.autograd.formatting import fmt
from tracegrad.autograd.graph import topo_order
from tracegrad.autograd.value import Value

from tracegrad import examples, practice
from tracegrad.commands._common import UsageError
from tracegrad.commands.step import _sheet_root
from tracegrad.practising.exercises import random_exercise
from tracegrad.practising.judge import Exercise

NUMBER = re.compile(r"(?<![\w.])-?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?(?![\w.])")


def _shipped() -> list[tuple[str, Value]]:
    out = []
    for name in examples.names():
        try:
            root, _ = _sheet_root(examples.path(name), 1)
            Exercise(root)
        except (UsageError, ValueError):  # a template; a sheet practice refuses (mazur: two
            continue  # neurons share the bias b1, one Value each, so two Values named b1)
        out.append((name, root))
    return out


def _generated() -> list[tuple[str, Value]]:
    return [(f"level {1 + s % 3} seed {s}", random_exercise(1 + s % 3, s)[0]) for s in range(200)]


def _wrong_answers(ex: Exercise, i: int) -> list[str]:
    q = ex.questions[i]
    e = q.value
    texts = [fmt(-e), "0.0", fmt(e / 2), fmt(e * 3 + 0.5), str(round(e) + 1)]
    for t in q.terms:
        texts.append(fmt(t.local))  # the local derivative alone
        if t.upstream >= 0:
            texts.append(fmt(ex.questions[t.upstream].value))  # the upstream gradient alone
            texts.append(fmt(ex.questions[t.upstream].value * t.local))  # one path
    return [t for t in texts if abs(float(t) - e) > 1e-3 * max(1.0, abs(e))]


def _close(x: float, e: float) -> bool:
    return abs(x - e) <= 5e-4 * max(1.0, abs(e)) or fmt(x) == fmt(e)


def _work_wrongly(root: Value) -> tuple[Exercise, str]:
    """The transcript of a learner who answers every question wrongly, then types ?."""
    ex = Exercise(root)
    pending: dict[str, list[str]] = {}
    quantities = {q.quantity: i for i, q in enumerate(ex.questions)}

    out = io.StringIO()

    def read(prompt: str) -> str:
        out.write(prompt)  # as a terminal shows it
        quantity = prompt[: -len(" = ? ")]
        if quantity not in pending:
            pending[quantity] = _wrong_answers(ex, quantities[quantity])
        return pending[quantity].pop(0) if pending[quantity] else "?"

    practice(root, read=read, file=out, echo=True)
    return ex, out.getvalue()


def _check_transcript(name: str, ex: Exercise, text: str) -> int:
    """Every hint line against the answer of its question; the number of hints read."""
    lines = text.splitlines()
    seen: dict[str, set[str]] = {}  # question -> the numbers read before it was first asked
    hints = 0
    current = None
    for k, line in enumerate(lines):
        if " = ? " in line:
            quantity = line.split(" = ? ")[0]
            current = next(q for q in ex.questions if q.quantity == quantity)
            if quantity not in seen:
                seen[quantity] = {m.group() for m in NUMBER.finditer("\n".join(lines[:k]))}
        elif line.startswith("wrong") and current is not None:
            hints += 1
            for m in NUMBER.finditer(line):
                given = m.group() in seen[current.quantity]
                assert given or not _close(float(m.group()), current.value), (
                    name,
                    current.quantity,
                    line,
                )
    return hints


@pytest.mark.parametrize(("name", "root"), _shipped(), ids=[n for n, _ in _shipped()])
def test_no_hint_on_a_shipped_example_gives_the_answer(name: str, root: Value) -> None:
    ex, text = _work_wrongly(root)
    assert _check_transcript(name, ex, text) >= len(ex.questions)  # hints were read
    assert "stuck? ? shows it" in text  # offered after two wrong tries


@pytest.mark.parametrize(
    "count", [pytest.param(20, id="20"), pytest.param(200, id="200", marks=pytest.mark.slow)]
)
def test_no_hint_on_generated_exercises_gives_the_answer(count: int) -> None:
    hinted = 0
    for name, root in _generated()[:count]:
        ex, text = _work_wrongly(root)
        hinted += _check_transcript(name, ex, text)
    assert hinted > 5 * count


@pytest.mark.parametrize(("name", "root"), _shipped()[:3] + _generated()[:30])
def test_the_pages_hints_name_no_answer(name: str, root: Value) -> None:
    order = topo_order(root)
    data = practice_data(root, {id(n): i for i, n in enumerate(order)}, 4)
    for q in data["questions"]:
        for text in (q["x"], q["p"]):
            for m in NUMBER.finditer(text):
                assert not _close(float(m.group()), q["v"]), (name, q["q"], text)


def test_the_old_hint_would_have_failed() -> None:
    """The check catches a hint that writes the formula: for an input of a sum it is the
    answer ('work it again from dL/dc = 1')."""
    a, b, c = Value(2.0, label="a"), Value(-3.0, label="b"), Value(10.0, label="c")
    ex = Exercise(a * b + c)
    i = next(i for i, q in enumerate(ex.questions) if q.quantity == "dL/dc")
    line = "wrong: work it again from dL/dc = 1"
    q = ex.questions[i]
    assert any(_close(float(m.group()), q.value) for m in NUMBER.finditer(line))
    assert ex.judge(i, {}, "5").text == (
        "wrong: dL/dc is the derivative of a sum with respect to one of its terms"
    )

"""The practice judge: the homework checker's rules on one figure, worked by hand here.

o = tanh(n), n = x * w with x = 0.5, w = -1.5: n = -0.75, do/dn = 1 - tanh(-0.75)**2 =
0.596585..., do/dx = do/dn · w = -0.894878..., do/dw = do/dn · x = 0.298292....
"""

from __future__ import annotations

import math

import pytest
from tracegrad.autograd import Value
from tracegrad.autograd.formatting import fmt

from tracegrad.practising.judge import Exercise

LOCAL = 1 - math.tanh(-0.75) ** 2


@pytest.fixture(scope="module")
def neuron() -> Exercise:
    x, w = Value(0.5, label="x"), Value(-1.5, label="w")
    n = x * w
    n.label = "n"
    o = n.tanh()
    o.label = "o"
    return Exercise(o)


def test_the_questions_and_their_numbers(neuron: Exercise) -> None:
    assert [q.quantity for q in neuron.questions] == ["do/dn", "do/dx", "do/dw"]
    assert [q.value for q in neuron.questions] == pytest.approx(
        [LOCAL, LOCAL * -1.5, LOCAL * 0.5], abs=1e-15
    )
    assert neuron.questions[1].formula("o") == "do/dn · dn/dx"


@pytest.mark.parametrize(
    ("index", "earlier", "text", "right", "kind"),
    [
        (0, {}, "0.5966", True, "right"),
        (0, {}, "0.60", True, "right"),  # 0.60 stands for 0.595 to 0.605
        (0, {}, "0.597", True, "right"),  # 0.596585... to 3 decimals
        (0, {}, "0.5960", False, "other"),  # 4 decimals claim more than that
        (1, {0: "0.60"}, "-0.900", True, "carried"),  # 0.60 · -1.5, from the learner's 0.60
        (1, {0: "0.5966"}, "-0.900", False, "other"),  # not from their 0.5966
        (1, {0: "0.5966"}, "-0.8949", True, "right"),
        (2, {0: "0.5966"}, "0.2982", True, "truncated"),  # 0.29829... cut, not rounded
        (2, {0: "0.5966"}, "-0.2983", False, "sign"),
        (1, {0: "0.5966"}, "-1.5", False, "factor"),  # dn/dx alone: do/dn is missing
        (1, {0: "0.5966"}, "0.5966", False, "factor"),  # the upstream alone: dn/dx is missing
        (1, {0: "0.5966"}, "-1", False, "whole"),  # -0.8949 only rounds to -1
    ],
)
def test_a_figure_is_judged_by_the_checkers_rules(
    neuron: Exercise, index: int, earlier: dict[int, str], text: str, right: bool, kind: str
) -> None:
    v = neuron.judge(index, earlier, text)
    assert (v.right, v.kind) == (right, kind), v
    if not right:  # a hint says where to look, never the number
        assert fmt(neuron.questions[index].value) not in v.text
        assert f"{neuron.questions[index].value:.3f}" not in v.text


def test_a_missing_factor_is_named(neuron: Exercise) -> None:
    assert neuron.judge(1, {0: "0.5966"}, "-1.5").factor == "do/dn"
    v = neuron.judge(1, {0: "0.5966"}, "0.5966")
    assert v.factor == "dn/dx" and "look at dn/dx" in v.text


def test_a_missing_path_is_diagnosed() -> None:
    x, y, z = Value(2.0, label="x"), Value(-3.0, label="y"), Value(1.0, label="z")
    a, b = x * y, x + z
    a.label, b.label = "a", "b"
    f = a * b
    f.label = "f"
    ex = Exercise(f)
    names = [q.quantity for q in ex.questions]
    i = names.index("df/dx")  # df/da · y + df/db · 1 = 3 · -3 + -6 = -15: two paths
    assert ex.questions[i].value == -15.0
    figures = {j: fmt(q.value) for j, q in enumerate(ex.questions) if j < i}
    v = ex.judge(i, figures, "-9.0")  # the path through a alone
    assert (v.right, v.kind) == (False, "path") and "x is used by a and b" in v.text
    assert ex.judge(i, figures, "-15").right


def test_names_must_be_distinct_and_plain() -> None:
    a, b = Value(1.0, label="x"), Value(2.0, label="x")
    with pytest.raises(ValueError, match="both named 'x'"):
        Exercise(a * b)
    with pytest.raises(ValueError, match="not a plain name"):
        Exercise(Value(1.0, label="a b") * Value(2.0, label="c"))
    with pytest.raises(ValueError, match="not a number"):
        Exercise(a * Value(3.0, label="y")).judge(0, {}, "three")


@pytest.mark.parametrize("level", [0, 1, 2, 3])
def test_the_page_asks_what_the_terminal_asks(level: int) -> None:
    """The page's questions (its data) are the terminal's, with the engine's numbers, and the
    checker's worked problem has the same numbers."""
    import json
    import re

    from tracegrad.autograd import backward_page

    from tracegrad import seed
    from tracegrad.practising.exercises import random_exercise

    root = seed.build()["E"] if level == 0 else random_exercise(level, 11)[0]
    ex = Exercise(root)
    page = backward_page(root, practice=True).html
    found = re.search(r'id="tg-data">(.*?)</script>', page, re.S)
    assert found is not None
    data = json.loads(found.group(1))
    got = [(q["q"], q["v"], q["shown"]) for q in data["practice"]["questions"]]
    assert got == [(q.quantity, q.value, fmt(q.value)) for q in ex.questions]
    for q, quantity in zip(ex.questions, ex.quantities):
        assert quantity.name == q.quantity
        assert abs(quantity.value - q.value) <= 1e-12 * max(1.0, abs(q.value))
    assert 'id="tg-practice" checked' in page
    assert 'id="tg-practice" checked' not in backward_page(root).html  # the switch, off

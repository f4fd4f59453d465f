"""Never refuse a right answer (issue 33): the cases a TA disputed, each on a sheet worked out
here with its own numbers, and the property behind them: a sheet whose every figure is the
engine's number rounded to the sheet's own precision is never refused.

The figures a student would write are worked by hand in plain Python arithmetic (``math``),
never read back from the checker."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tracegrad import examples
from tracegrad.checker import CARRIED, IMPRECISE, RIGHT, SIGN, TRUNCATED, WRONG, check, solve
from tracegrad.checker.reading.homework import tomllib
from tracegrad.cli import main
from tracegrad.kit.files import question_html, question_markdown
from tracegrad.kit.grade import grade
from tracegrad.kit.template import TemplateError, load_template, variant_seed

SECRET = "Wn4_pQ8-zR2kLx7vTc5mHd"  # 22 url-safe characters: the 128 bits a course secret needs


def sigmoid(z: float) -> float:
    return 1 / (1 + math.exp(-z))


def network(answers: dict[str, Any], **over: Any) -> dict[str, Any]:
    """A 2-2-1 sigmoid network of our own: x = (0.6, -0.4), y = 0.25, learning rate 0.8."""
    sheet: dict[str, Any] = {
        "network": {
            "sizes": [2, 2, 1],
            "activation": "sigmoid",
            "weights": [[[0.45, -0.15], [0.3, 0.8]], [[-0.64, 0.35]]],
            "biases": [[0.05, 0.0], [0.1]],
        },
        "samples": [{"x": [0.6, -0.4], "y": [0.25]}],
        "training": {"loss": "half_sse", "learning_rate": 0.8},
        "answers": answers,
    }
    for key, value in over.items():
        sheet[key] = value
    return sheet


def by_hand() -> dict[str, float]:
    """The 2-2-1 network above worked in plain floats."""
    x1, x2, y, lr = 0.6, -0.4, 0.25, 0.8
    w1, w2, w3, w4, w5, w6 = 0.45, -0.15, 0.3, 0.8, -0.64, 0.35
    b1, b2, b3 = 0.05, 0.0, 0.1
    nh1, nh2 = x1 * w1 + x2 * w2 + b1, x1 * w3 + x2 * w4 + b2
    h1, h2 = sigmoid(nh1), sigmoid(nh2)
    no1 = h1 * w5 + h2 * w6 + b3
    o1 = sigmoid(no1)
    d_o1 = (o1 - y) * o1 * (1 - o1)
    d_h2 = d_o1 * w6 * h2 * (1 - h2)
    return {
        "net_h1": nh1, "h1": h1, "net_h2": nh2, "h2": h2, "net_o1": no1, "o1": o1,
        "dE/do1": o1 - y, "do1/dnet_o1": o1 * (1 - o1), "dE/dnet_o1": d_o1,
        "dE/dw5": d_o1 * h1, "w5_new": w5 - lr * d_o1 * h1, "dE/db2": d_h2,
        "b2_new": b2 - lr * d_h2, "dE/dw4": d_h2 * x2, "w4_new": w4 - lr * d_h2 * x2,
        "dE/db3": d_o1, "b3_new": b3 - lr * d_o1,
    }  # fmt: skip


def four(names: list[str]) -> dict[str, str]:
    """The named figures worked by hand, each written to 4 decimals."""
    v = by_hand()
    return {n: f"{v[n]:.4f}" for n in names}


# ------------------------------------------------ 1. an update at the sheet's precision
def test_a_small_update_at_the_sheets_four_decimals_is_right() -> None:
    v = by_hand()
    assert abs(v["b2_new"]) < 0.01  # two significant figures at four decimals
    sheet = network(four(["net_h1", "h1", "o1", "dE/dnet_o1", "dE/db2", "b2_new", "w5_new"]))
    report = check(sheet)
    assert report.ok, report.table(derivations=False)
    assert report.mark("b2_new").verdict == RIGHT


def test_an_update_whose_digits_cannot_show_its_step_is_too_imprecise() -> None:
    v = by_hand()
    step = abs(v["w5_new"] - -0.64)
    assert 0.005 < step < 0.05  # half a unit of one decimal is more than the step
    written = f"{v['w5_new']:.1f}"
    assert written != "-0.6"
    report = check(network({**four(["h1", "h2", "o1"]), "w5_new": written}))
    m = report.mark("w5_new")
    assert m.verdict == IMPRECISE
    assert m.message.startswith(f"too imprecise for an update: {written} is written to 1 decimal")
    assert "(0.05) is more than the step the update takes (w5 moves by" in m.message
    assert "while you work to 4 decimals elsewhere" in m.message
    assert m.message.endswith(f"w5_new = {v['w5_new']:.4f}")
    assert "asks" not in m.message  # the sheet asked for nothing: no "the sheet asks for"
    # the same figure on a sheet written to one decimal everywhere: right
    alone = check(network({"h1": f"{v['h1']:.1f}", "w5_new": written}))
    assert alone.mark("w5_new").verdict == RIGHT


def test_a_weight_the_exact_zero_gradient_leaves_is_right_however_written() -> None:
    # x2 = 0: the gradients of w2 and w4 are exactly 0, so their updates leave them as given
    sheet = network(
        {"h1": "0.5793", "w2_new": "-0.15", "w4_new": "0.8"},
        samples=[{"x": [0.6, 0.0], "y": [0.25]}],
    )
    assert sigmoid(0.6 * 0.45 + 0.05) == pytest.approx(0.5793, abs=5e-5)
    report = check(sheet)
    assert report.mark("w2_new").verdict == RIGHT and report.mark("w2_new").message == ""
    assert report.mark("w4_new").verdict == RIGHT
    assert check({**sheet, "min_decimals": 4}).mark("w4_new").verdict == RIGHT


def test_the_precision_a_sheet_asks_for_is_named_only_when_it_asks() -> None:
    v = by_hand()
    figures = {"b2_new": f"{v['b2_new']:.4f}", "o1": f"{v['o1']:.2f}"}
    asked = check(network(figures, min_sig_figs=3))
    m = asked.mark("b2_new")
    three = f"{v['b2_new']:.5f}"  # 3 significant figures of a number below 0.01
    assert m.verdict == IMPRECISE
    assert m.message == (
        "too imprecise: 2 significant figures; the sheet asks for at least 3 "
        f"(min_sig_figs = 3): {three}"
    )
    m = check(network(figures, min_decimals=4)).mark("o1")
    assert m.verdict == IMPRECISE
    assert m.message == (
        f"too imprecise: 2 decimals; the sheet asks for at least 4 (min_decimals = 4): "
        f"{v['o1']:.4f}"
    )
    assert check(network(figures)).ok  # asked for nothing: both right


# ------------------------------------------------ 2. relu on the student's own figure
RELU = {
    "network": {
        "sizes": [2, 2, 1],
        "activation": "relu",
        "output_activation": "sigmoid",
        "weights": [[[0.4, -0.3], [0.2, 0.5]], [[0.6, -0.8]]],
        "biases": [[0.05, -0.1], [0.2]],
    },
    "samples": [{"x": [1.0, 0.2], "y": [1.0]}],
    "training": {"loss": "half_sse", "learning_rate": 0.5},
}


def test_relu_of_the_students_own_negative_figure_is_method() -> None:
    # net_h2 = 0.2 written -0.2 (a sign slip); then relu and its slope worked on -0.2
    h1, h2 = 0.39, 0.0
    no1 = h1 * 0.6 + h2 * -0.8 + 0.2
    o1 = sigmoid(no1)
    d_o1 = -(1.0 - o1) * o1 * (1 - o1)
    answers = {
        "net_h2": "-0.2000",
        "h2": "0",
        "dh2/dnet_h2": "0",
        "net_o1": f"{no1:.4f}",
        "o1": f"{o1:.4f}",
        "dE/dnet_o1": f"{d_o1:.4f}",
        "dE/dh2": f"{d_o1 * -0.8:.4f}",
        "dE/dnet_h2": "0",
        "dE/dw3": "0",
        "w3_new": "0.2",
    }
    report = check({**RELU, "answers": answers})
    assert report.mark("net_h2").verdict == SIGN
    for label in ("h2", "dh2/dnet_h2", "net_o1", "o1", "dE/dnet_o1", "dE/dh2"):
        m = report.mark(label)
        assert (m.verdict, m.message) == (CARRIED, "carried forward from net_h2 = -0.2000"), label
    m = report.mark("dE/dnet_h2")  # what follows only because of the zero: no credit
    assert m.verdict == WRONG and m.message.startswith("0 only because dh2/dnet_h2 = 0 makes it 0")
    m = report.mark("dE/dw3")
    assert m.verdict == WRONG and m.message.startswith("0 only because dE/dnet_h2 = 0 makes it 0")
    assert report.mark("w3_new").reason == "not updated"


def test_a_saturated_sigmoid_written_to_the_sheets_precision_is_carried() -> None:
    # net_h1 slipped to 11.5: sigmoid is 1.0000 and its slope 0.0000 at four decimals
    s = sigmoid(11.5)
    assert f"{s:.4f}" == "1.0000" and f"{s * (1 - s):.4f}" == "0.0000"
    report = check(network({"net_h1": "11.5000", "h1": "1.0000", "dh1/dnet_h1": "0.0000"}))
    for label in ("h1", "dh1/dnet_h1"):
        m = report.mark(label)
        assert (m.verdict, m.message) == (CARRIED, "carried forward from net_h1 = 11.5000"), label


def test_an_expression_sheets_relu_of_their_own_figure_is_method() -> None:
    hw = {"variables": {"x": 0.5, "w": 0.8, "b": -0.1},
          "expressions": {"n": "w * x + b", "h": "relu(n)"}}  # fmt: skip
    report = check({**hw, "answers": {"n": "-0.3000", "h": "0", "dh/dn": "0"}})
    assert report.mark("n").verdict == SIGN
    for label in ("h", "dh/dn"):
        m = report.mark(label)
        assert (m.verdict, m.message) == (CARRIED, "carried forward from n = -0.3000"), label


# ------------------------------------------------ 3. a second derivative from their own first
TANH = {"variables": {"x": 0.1}, "expressions": {"t": "tanh(3*x + 0.2)"}}


def test_a_second_derivative_is_carried_from_the_students_first_derivative() -> None:
    t = math.tanh(0.5)
    first = 3 * (1 - t * t)  # 2.35934...
    miscopied = 2.3954  # 2.3593 with two digits swapped
    answers = {"t": f"{t:.4f}", "dt/dx": f"{miscopied:.4f}", "d2t/dx2": f"{-6 * t * miscopied:.4f}"}
    report = check({**TANH, "answers": answers})
    assert report.mark("dt/dx").verdict == WRONG
    m = report.mark("d2t/dx2")
    assert (m.verdict, m.message) == (CARRIED, "carried forward from dt/dx = 2.3954")
    # the engine's own first derivative still gives the right second derivative
    right = {**answers, "dt/dx": f"{first:.4f}", "d2t/dx2": f"{-6 * t * first:.4f}"}
    assert check({**TANH, "answers": right}).ok
    # a second derivative that follows from neither is still wrong
    off = {**answers, "d2t/dx2": f"{-6 * t * miscopied + 0.5:.4f}"}
    assert check({**TANH, "answers": off}).mark("d2t/dx2").verdict == WRONG


# ------------------------------------------------ 4. reasons that do not mislead
def test_a_zero_written_for_a_sigmoids_slope_is_told_it_is_never_zero() -> None:
    o1 = by_hand()["o1"]
    m = check(network({"do1/dnet_o1": "0"})).mark("do1/dnet_o1")
    assert m.verdict == WRONG and m.reason == "never zero"
    assert m.message == (
        "the slope of sigmoid is never 0 (it only nears 0 where sigmoid is saturated): "
        f"do1/dnet_o1 = o1 * (1 - o1) = {o1 * (1 - o1):.6f}"
    )
    assert "whole number" not in m.message
    # relu's slope can be 0: no such sentence for it
    relu = check({**RELU, "answers": {"dh1/dnet_h1": "0"}}).mark("dh1/dnet_h1")
    assert relu.verdict == WRONG and "never 0" not in relu.message


def test_truncated_only_where_the_students_rounded_figures_do_not_explain_it() -> None:
    # p = x y = 0.31969 written 0.3197; f = 3 p: 0.95907 exactly, 0.9591 from their p, and
    # their p's interval (0.31965 to 0.31975) allows 0.95895 to 0.95925, 0.9590 among them
    hw = {"variables": {"x": 0.7, "y": 0.4567, "z": 3.0},
          "expressions": {"p": "x * y", "f": "p * z"}}  # fmt: skip
    m = check({**hw, "answers": {"p": "0.3197", "f": "0.9590"}}).mark("f")
    assert (m.verdict, m.message) == (CARRIED, "right from your own figures: p = 0.3197")
    m = check({**hw, "answers": {"f": "0.9590"}}).mark("f")  # no figure of theirs explains it
    assert m.verdict == TRUNCATED


def test_a_given_restated_and_used_is_named() -> None:
    sheet = network(
        {"b1": "0.06", "net_h1": f"{0.6 * 0.45 + -0.4 * -0.15 + 0.06:.4f}"},
        network={**network({})["network"], "biases": [[0.0625, 0.0], [0.1]]},
        training={"loss": "half_sse", "learning_rate": 0.8, "frozen": ["b1"]},
    )
    m = check(sheet).mark("net_h1")
    assert m.verdict == WRONG and m.reason == "given as written"
    assert m.message.startswith(
        "worked with b1 = 0.06 as you wrote it, but a given keeps every digit (b1 = 0.0625): "
        "net_h1 = x1*w1 + x2*w2 + b1 = "
    )


# ------------------------------------------------ 5. the number inside an update rule
def test_a_gradient_written_inside_an_update_rule_that_adds_it() -> None:
    v = by_hand()
    size = f"{-v['dE/dw5']:.4f}"  # the gradient with its sign flipped: what the rule adds
    new = f"{-0.64 + 0.8 * float(size):.4f}"  # w5 + η · size, as the rule writes it
    report = check(network({"dE/dw5 (update rule)": size, "w5_new": new}))
    m = report.mark("dE/dw5 (update rule)")
    assert (m.verdict, m.reason) == (RIGHT, "update rule")
    assert m.message == (
        f"written as the number inside the update rule w5 + η · {size}, which adds it: "
        f"w5_new = {new} follows from it (dE/dw5 itself is {v['dE/dw5']:.5f})"
    )
    assert report.ok
    # no note, no update that follows, or no update at all: the sign hint of today
    for answers in (
        {"dE/dw5": size, "w5_new": new},
        {"dE/dw5 (update rule)": size, "w5_new": f"{-0.64 - 0.8 * float(size):.4f}"},
        {"dE/dw5 (update rule)": size},
    ):
        m = check(network(answers)).mark(next(iter(answers)))
        assert m.verdict == SIGN and "puts the sign in the rule" in m.message, answers


def test_the_seed_articles_sheet_exits_0(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", "--example", "seed_article"]) == 0
    assert "19 of 19 accepted" in capsys.readouterr().out


# ------------------------------------------------ 7. the learning rate restated
@pytest.mark.parametrize("name", ["eta", "learning_rate", "lr", "η", "learning rate"])
def test_the_learning_rate_inputs_and_targets_restated_are_givens(name: str) -> None:
    report = check(network({name: "0.8", "x1": "0.6", "x2": "-0.4", "y1": "0.25"}))
    assert report.ok and all(m.verdict == RIGHT for m in report.marks)
    assert check(network({name: "0.5"})).mark(name).verdict == WRONG


def test_an_update_worked_with_a_restated_learning_rate() -> None:
    grad = by_hand()["dE/db3"]  # the gradient does not depend on the learning rate
    # a wrong learning rate, used consistently: carried forward from it, as a weight would be
    report = check(network({"eta": "0.5", "b3_new": f"{0.1 - 0.5 * grad:.4f}"}))
    assert report.mark("eta").verdict == WRONG
    m = report.mark("b3_new")
    assert (m.verdict, m.message) == (CARRIED, "carried forward from eta = 0.5")
    # 0.75 restated as 0.8 (right to its one decimal), then used: the figure is named
    lr = {"loss": "half_sse", "learning_rate": 0.75}
    report = check(network({"eta": "0.8", "b3_new": f"{0.1 - 0.8 * grad:.4f}"}, training=lr))
    assert report.mark("eta").verdict == RIGHT
    m = report.mark("b3_new")
    assert m.verdict == WRONG
    assert m.message.startswith(
        "worked with eta = 0.8 as you wrote it, but a given keeps every digit "
        "(learning_rate = 0.75): b3_new = b3 - 0.75 * dE/db3 = "
    )


# ------------------------------------------------ 6. a template's precision, enforced
def test_a_templates_precision_is_printed_and_enforced(tmp_path: Path) -> None:
    t = load_template(examples.path("seed_article_template"))
    assert t.precision == "at least 4 decimals (fewer is marked too imprecise)"
    out = tmp_path / "class"
    args = [str(examples.path("seed_article_template")), "--students", "kim", "-o", str(out)]
    assert main(["assign", *args, "--secret", SECRET]) == 0
    v = t.variant(variant_seed(SECRET, t, "kim"))
    assert "at least 4 decimals (fewer is marked too imprecise)" in question_markdown(t, v, "kim")
    assert "at least 4 decimals (fewer is marked too imprecise)" in question_html(t, v, "kim", "")
    key = next(out.rglob("key.toml"))
    text = key.read_text(encoding="utf-8")
    h1 = tomllib.loads(text)["answers"]["h1"]
    cut = text.replace(f"h1 = {h1}", f"h1 = {float(h1):.2f}")  # two decimals of four asked
    slip = tmp_path / "kim" / "submission.toml"  # handed in by kim, whose sheet it is
    slip.parent.mkdir()
    slip.write_text(cut, encoding="utf-8")
    assert check(slip).mark("h1").verdict == IMPRECISE
    graded = grade(str(slip))
    test = next(x for x in graded["tests"] if x["name"] == "h1")
    assert test["score"] == 0.5 * test["max_score"]  # the template's imprecise share


def test_imprecise_points_without_a_precision_are_refused(tmp_path: Path) -> None:
    text = examples.path("seed_article_template").read_text(encoding="utf-8")
    bare = tmp_path / "bare.toml"
    bare.write_text(text.replace("min_decimals = 4", ""), encoding="utf-8")
    with pytest.raises(TemplateError) as caught:
        load_template(bare)
    said = str(caught.value)
    assert "\n" not in said and "imprecise" in said and "min_decimals or min_sig_figs" in said
    finer = tmp_path / "finer.toml"
    finer.write_text(text.replace("min_decimals = 4", "min_decimals = 5"), encoding="utf-8")
    with pytest.raises(TemplateError, match="asks for more decimals than the key is written"):
        load_template(finer)


# ------------------------------------------------ the property: rounded right answers
@st.composite
def rounded_sheets(draw: Any) -> tuple[dict[str, Any], str]:
    """A small random network, and how its figures are written: 'd3' .. 'd6' (decimals) or
    's3' .. 's5' (significant figures)."""
    w = st.floats(-1, 1).map(lambda x: round(x, 2))
    sizes = [draw(st.integers(1, 2)), draw(st.integers(1, 3)), 1]
    sheet = {
        "network": {
            "sizes": sizes,
            "activation": draw(st.sampled_from(["sigmoid", "tanh", "relu"])),
            "output_activation": draw(st.sampled_from(["sigmoid", "linear"])),
            "weights": [
                [[draw(w) for _ in range(sizes[i])] for _ in range(sizes[i + 1])] for i in (0, 1)
            ],
            "biases": [[draw(w) for _ in range(n)] for n in sizes[1:]],
        },
        "samples": [{"x": [draw(w) for _ in range(sizes[0])], "y": [draw(w)]}],
        "training": {"loss": "half_sse", "learning_rate": draw(st.sampled_from([0.1, 0.5, 1.2]))},
    }
    style = draw(st.sampled_from(["d3", "d4", "d5", "d6", "s3", "s4", "s5"]))
    return sheet, style


def _written(value: float, style: str) -> str:
    n = int(style[1:])
    return f"{value:.{n}f}" if style[0] == "d" else f"{value:#.{n}g}"


@given(rounded_sheets())
def test_every_figure_rounded_to_the_sheets_precision_is_never_refused(
    case: tuple[dict[str, Any], str],
) -> None:
    sheet, style = case
    problem = solve(sheet).problem
    answers = {q.name: _written(q.value, style) for q in problem.quantities}
    report = check({**sheet, "answers": answers})
    assert report.ok, (style, report.table(derivations=False))

"""The marking rules a TA states (docs/marking.md), each pinned by a published worked example
retold here: Mazur's "A Step by Step Backpropagation Example" (examples/mazur.toml), the
seed article's sheet (examples/seed_article.toml), CS231n-style staged expressions and a
second-derivative exercise. The slipped figures are worked by hand in plain Python arithmetic,
as a student would."""

from __future__ import annotations

import json
import math
import re
import sys
from pathlib import Path
from typing import Any

import pytest

from tracegrad import examples
from tracegrad.checker import CARRIED, IMPRECISE, RIGHT, SIGN, TRUNCATED, WRONG, check, solve
from tracegrad.cli import main

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

SHEETS = Path(__file__).resolve().parent / "sheets"
MAZUR = SHEETS.parent.parent / "examples" / "mazur.toml"


def mazur(**answers: Any) -> dict[str, Any]:
    """Mazur's network with only ``answers`` (keys use __ for '/')."""
    data = tomllib.loads(MAZUR.read_text(encoding="utf-8"))
    data["answers"] = {k.replace("__", "/"): v for k, v in answers.items()}
    return data


def seed(answers: dict[str, Any]) -> dict[str, Any]:
    data = tomllib.loads(examples.path("seed_article").read_text(encoding="utf-8"))
    data["answers"] = answers
    return data


def sigmoid(z: float) -> float:
    return 1 / (1 + math.exp(-z))


# ------------------------------------------------ (a) no follow-through credit for a zero
def test_a_zero_carried_through_a_product_earns_no_credit() -> None:
    # the seed article: dE/do1 written as 0, then every gradient 0 and the weights unchanged
    report = check(
        seed(
            {
                "dE/do1": "0.0000",
                "dE/dnet_o1": "0.0000",
                "dE/dw5": "0.0000",
                "w5_new": "0.37",
                "dE/dw6": "0.0000",
                "w6_new": "0.9",
            }
        )  # fmt: skip
    )
    assert report.summary() == "0 of 6 accepted; 6 wrong"
    # each names the zero it really follows from: the delta, once the sheet writes it
    for label, zero in (
        ("dE/dnet_o1", "dE/do1"),
        ("dE/dw5", "dE/dnet_o1"),
        ("dE/dw6", "dE/dnet_o1"),
    ):
        m = report.mark(label)
        assert m.reason == "no follow-through", (label, m.message)
        assert m.message.startswith(f"0 only because {zero} = 0.0000 makes it 0 whatever")
    m = report.mark("w5_new")
    assert m.reason == "not updated"
    assert m.message == (
        "not updated: 0.37 is w5 before the update (your dE/dw5 = 0 moves nothing: no credit "
        "carried forward); w5_new = w5 - 1.2 * dE/dw5 = 0.394"
    )


def test_a_zero_factor_the_engine_also_has_is_still_right() -> None:
    # dnet_o1/db3 = 1 and a zero input: x = [0, ...] makes dE/dw1 = 0 for the engine too
    hw = seed({"dnet_h1/dw1": "0", "dE/dw1": "0"})
    hw["samples"][0]["x"] = [0.0, -0.5]
    report = check(hw)
    assert report.ok and set(report.verdicts().values()) == {RIGHT}


def test_a_non_trivial_consequence_of_a_slip_is_still_carried() -> None:
    # the student's dE/do1 is off (not zero): what follows from it is carried forward
    o1, y1 = 0.75136507, 0.01
    slip = 0.7514 * 2  # the factor 2 of the squared error kept
    delta = slip * o1 * (1 - o1)
    report = check(mazur(dE__dout_o1=f"{slip:.4f}", dE__dnet_o1=f"{delta:.4f}"))
    assert report.mark("dE/dnet_o1").verdict == CARRIED
    assert report.mark("dE/dout_o1").verdict == WRONG and y1 < o1


# ------------------------------------------------ (b) givens and frozen parameters are exact
def test_restated_frozen_biases_give_no_rounding_room() -> None:
    answers = {"b1+": 0.35, "b2+": 0.60, "step2": {"E_total": 0.291027924}}  # as published
    report = check(mazur(**answers))
    m = report.mark("step 2: E_total")
    assert m.verdict == WRONG and m.engine == pytest.approx(0.2910277737, abs=1e-10)
    # written with nine decimals it was refused already; the digits make no difference now
    report = check(mazur(**{**answers, "b1+": "0.350000000", "b2+": "0.600000000"}))
    assert report.mark("step 2: E_total").verdict == WRONG
    # the value right from his own figures is accepted, restated biases or not
    report = check(mazur(**{**answers, "step2": {"E_total": "0.2910277737"}}))
    assert report.ok


def test_a_restated_given_weight_is_exact() -> None:
    h1, h2 = 0.593269992, 0.596884378
    net_o1 = h1 * 0.40 + h2 * 0.45 + 0.60  # 1.1059; the student writes 1.15
    report = check(
        mazur(
            w5="0.4",
            w6="0.45",
            b2="0.6",
            out_h1="0.5933",
            out_h2="0.5969",
            net_o1="1.15",
            out_o1=f"{sigmoid(1.15):.4f}",
        )  # fmt: skip
    )
    assert report.mark("w5").verdict == RIGHT
    m = report.mark("net_o1")
    assert m.verdict == WRONG and abs(1.15 - net_o1) > 0.04
    carried = report.mark("out_o1")
    assert carried.verdict == CARRIED and carried.message == "carried forward from net_o1 = 1.15"


# ------------------------------------------------ (c) second derivatives are carried
SIGMOID_3SF = {"min_sig_figs": 3, "variables": {"x": -0.75}, "expressions": {"s": "sigmoid(x)"}}


def test_a_second_derivative_is_carried_from_the_students_own_sigma() -> None:
    # d2s/dx2 = s (1 - s) (1 - 2 s): from their s = 0.321 it is 0.07803; the engine's 0.07808
    s = 0.321
    mine = s * (1 - s) * (1 - 2 * s)
    exact = sigmoid(-0.75) * (1 - sigmoid(-0.75)) * (1 - 2 * sigmoid(-0.75))
    assert f"{mine:.3g}" == "0.078" and f"{exact:.3g}" == "0.0781"
    report = check({**SIGMOID_3SF, "answers": {"s": "0.321", "d2s/dx2": "0.0780"}})
    m = report.mark("d2s/dx2")
    assert m.verdict == CARRIED and m.message == "right from your own figures: s = 0.321"
    assert m.engine == pytest.approx(exact, rel=1e-12)
    # a figure their s does not give is still wrong
    report = check({**SIGMOID_3SF, "answers": {"s": "0.321", "d2s/dx2": "0.0790"}})
    assert report.mark("d2s/dx2").verdict == WRONG


def test_a_second_derivative_carried_from_a_wrong_figure() -> None:
    # s written as 0.5 (sigmoid(0)): d2s/dx2 = 0.5 * 0.5 * 0 = 0 would be trivial; use 0.4
    s = 0.400
    mine = s * (1 - s) * (1 - 2 * s)
    report = check({**SIGMOID_3SF, "answers": {"s": "0.400", "d2s/dx2": f"{mine:.4f}"}})
    assert report.mark("s").verdict == WRONG
    m = report.mark("d2s/dx2")
    assert m.verdict == CARRIED and m.message == "carried forward from s = 0.400"


# ------------------------------------------------ (d) gradients carried from written deltas
def test_gradients_are_carried_from_a_written_delta() -> None:
    # the activation's factor forgotten at o1: delta_o1 = dE/do1 = 0.7414
    h1 = 0.593269992
    report = check(
        mazur(out_h1="0.5933", dE__dout_o1="0.7414", delta_o1="0.7414",
              dE__dw5=f"{0.7414 * 0.5933:.4f}", **{"w5+": f"{0.40 - 0.5 * 0.7414 * h1:.4f}"})
    )  # fmt: skip
    assert [m.label for m in report.wrong] == ["delta_o1"]
    assert report.mark("delta_o1").reason == "missing factor"
    m = report.mark("dE/dw5")
    assert m.verdict == CARRIED and m.message == "carried forward from delta_o1 = 0.7414"
    assert report.mark("w5+").message == "carried forward from delta_o1 = 0.7414"


def test_a_delta_written_as_dE_dnet_counts_too() -> None:
    report = check(mazur(**{"dE/dnet_o1": "0.7414", "dE/dw6": f"{0.7414 * 0.596884378:.4f}"}))
    assert report.mark("dE/dw6").verdict == CARRIED


# ------------------------------------------------ what the report says
def test_truncated_only_when_the_students_own_figures_do_not_explain_it() -> None:
    # q = x y = 0.04282 written as 0.0428; f = q z = 0.0428 * 0.8 = 0.03424 -> 0.0342
    hw = {
        "variables": {"x": 0.25, "y": 0.17128, "z": 0.8},
        "expressions": {"q": "x * y", "f": "q * z"},
    }
    m = check({**hw, "answers": {"q": "0.0428", "f": "0.0342"}}).mark("f")
    assert m.verdict == CARRIED and m.message == "right from your own figures: q = 0.0428"
    # without their q, 0.0342 is the engine's 0.034256 cut at four decimals
    m = check({**hw, "answers": {"f": "0.0342"}}).mark("f")
    assert m.verdict == TRUNCATED


def test_an_update_equal_to_the_weight_before_it_is_not_updated() -> None:
    m = check(seed({"w6_new": "0.9"})).mark("w6_new")
    assert m.verdict == WRONG and m.reason == "not updated"
    assert (
        m.message == "not updated: 0.9 is w6 before the update; w6_new = w6 - 1.2 * dE/dw6 = 0.92"
    )


def test_an_update_written_to_the_sheets_precision_is_right() -> None:
    # issue 33: a sheet that asks for nothing is not told "the sheet asks for 3"; 0.39 shows
    # the step from 0.37 (its half unit 0.005 is less than the step 0.024)
    assert check(seed({"w5_new": "0.39"})).mark("w5_new").verdict == RIGHT
    assert check(seed({"w5_new": "0.394"})).mark("w5_new").verdict == RIGHT
    # a sheet's own min_sig_figs is enforced, and named
    hw = seed({"w5_new": "0.39"})
    hw["min_sig_figs"] = 3
    m = check(hw).mark("w5_new")
    assert m.verdict == IMPRECISE
    assert "the sheet asks for at least 3 (min_sig_figs = 3): 0.394" in m.message
    hw["min_sig_figs"] = 2
    assert check(hw).mark("w5_new").verdict == RIGHT


def test_a_quotient_rule_sign_slip_is_named() -> None:
    hw = {"variables": {"x": 2.0}, "expressions": {"u": "sin(x)", "v": "x**2 + 1", "f": "u / v"}}
    u, v = math.sin(2.0), 5.0
    slipped = (math.cos(2.0) * v + u * 4.0) / v**2  # u'v + uv' for u'v - uv'
    m = check({**hw, "answers": {"df/dx": f"{slipped:.4f}"}}).mark("df/dx")
    assert m.reason == "sign of a term"
    assert m.message.startswith(
        "the term df/dv * dv/dx has the wrong sign (the quotient rule subtracts: (u'v - uv') / v²)"
    )


def test_an_updated_frozen_parameter_is_named() -> None:
    grad_b1 = 0.018725609394704138
    m = check(mazur(**{"b1+": f"{0.35 - 0.5 * grad_b1:.6f}"})).mark("b1+")
    assert m.verdict == WRONG
    assert m.message.startswith("updated a frozen parameter (the sheet keeps it fixed)")


def test_no_update_rule_hint_for_a_delta() -> None:
    m = check(mazur(dE__dnet_o1="-0.1385")).mark("dE/dnet_o1")
    assert m.verdict == SIGN and m.message == "right size, wrong sign: dE/dnet_o1 is 0.13850"
    m = check(mazur(dE__dw5="-0.0822")).mark("dE/dw5")
    assert m.verdict == SIGN and "puts the sign in the rule" in m.message


def test_the_loss_is_written_as_a_textbook_writes_it() -> None:
    hw = {
        "network": {"sizes": [1, 1], "activation": "linear", "weights": [[[0.5]]], "biases": [[0]]},
        "samples": [{"x": [2], "y": [3]}],
        "training": {"loss": "mse", "learning_rate": 0.1},
        "answers": {"E": "4"},
    }
    solution = solve(hw)
    assert "loss mse: E = (y1 - o1)**2" in solution.problem.describe
    assert "E_o1 = (3 - o1)**2 = (3 - 1)**2 = 4" in str(solution)
    assert "/ 1" not in str(solution)


def test_the_working_is_shown_at_the_answers_precision() -> None:
    m = check(mazur(E_total="0.298371100")).mark("E_total")
    assert m.verdict == WRONG
    # nine digits written: the working to nine significant figures, not 0.2748 + 0.02356
    pattern = r"E = E_o1 \+ E_o2 = 0\.\d{8,9} \+ 0\.0\d{8,9} = 0\.\d{8,9}"
    assert re.fullmatch(pattern, m.derivation), m.derivation


def test_one_naming_rule_for_nets() -> None:
    report = check(
        mazur(z_o1="1.1059", **{"do1/dz_o1": "0.1868", "dE/dz_o1": "0.1385", "dz_o1/dw5": "0.5933"})
    )
    assert report.ok, report.table()


# ------------------------------------------------ cross-entropy in network sheets
BCE: dict[str, Any] = {
    "network": {"sizes": [2, 1], "activation": "sigmoid", "weights": [[[0.4, -0.2]]],
                "biases": [[0.1]]},
    "samples": [{"x": [1.0, 2.0], "y": [1]}],
    "training": {"loss": "bce", "learning_rate": 0.5},
}  # fmt: skip


def test_binary_cross_entropy_worked_and_carried() -> None:
    o = sigmoid(0.4 - 0.4 + 0.1)
    values = solve(BCE).values()
    assert values["E"] == pytest.approx(-math.log(o), rel=1e-12)
    assert values["dE/do1"] == pytest.approx(-1 / o, rel=1e-12)
    assert values["dE/dnet_o1"] == pytest.approx(o - 1, rel=1e-12)  # sigmoid's factor cancels
    assert "loss bce: E = -(y1 log(o1) + (1 - y1) log(1 - o1))" in solve(BCE).problem.describe
    assert "E_o1 = -log(o1) = " in str(solve(BCE))  # the target 1 leaves one log
    # the student's o1 = 0.53 (wrong): dE/do1 = -1/0.53 is carried forward
    report = check({**BCE, "answers": {"o1": "0.53", "dE/do1": f"{-1 / 0.53:.4f}"}})
    assert report.mark("dE/do1").verdict == CARRIED
    # o - y, the squared error's slope, is the slip a student makes
    m = check({**BCE, "answers": {"dE/do1": f"{o - 1:.4f}"}}).mark("dE/do1")
    assert m.reason == "slip" and m.message.startswith("o - y is the slope of the squared error")


SOFTMAX: dict[str, Any] = {
    "network": {"sizes": [1, 2], "activation": "linear", "weights": [[[1.0], [-1.0]]],
                "biases": [[0.5, 0.0]]},
    "samples": [{"x": [0.3], "y": [0, 1]}],
    "training": {"loss": "cross_entropy", "learning_rate": 0.1},
}  # fmt: skip


def test_softmax_cross_entropy_worked_and_carried() -> None:
    z1, z2 = 0.8, -0.3
    p2 = math.exp(z2) / (math.exp(z1) + math.exp(z2))
    values = solve(SOFTMAX).values()
    assert values["E"] == pytest.approx(-math.log(p2), rel=1e-12)
    assert values["dE/do1"] == pytest.approx(1 - p2, rel=1e-12)
    assert values["dE/do2"] == pytest.approx(p2 - 1, rel=1e-12)
    # the student's o1 = 0.9 (wrong): their dE/do2 = softmax from 0.9 and -0.3, carried
    q2 = math.exp(-0.3) / (math.exp(0.9) + math.exp(-0.3))
    report = check({**SOFTMAX, "answers": {"o1": "0.9", "o2": "-0.3", "dE/do2": f"{q2 - 1:.4f}"}})
    assert report.mark("o1").verdict == WRONG
    assert report.mark("dE/do2").message == "carried forward from o1 = 0.9"
    m = check({**SOFTMAX, "answers": {"dE/do2": f"{z2 - 1:.4f}"}}).mark("dE/do2")
    assert m.reason == "slip" and "not its softmax probability" in m.message


@pytest.mark.parametrize(
    "change, said",
    [
        ({"samples": [{"x": [1.0, 2.0], "y": [7]}]},
         "9: sample 1: bce needs targets from 0 to 1, got 7"),  # the line of y
        ({"network": {**BCE["network"], "activation": "tanh"}},
         "3: bce needs probabilities: a sigmoid output, not tanh"),  # the activation's line
    ],
)  # fmt: skip
def test_a_target_the_loss_does_not_allow_is_refused_in_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], change: dict[str, Any], said: str
) -> None:
    hw = {**BCE, **change}
    lines = ["[network]", f"sizes = {hw['network']['sizes']}"]
    lines += [f'activation = "{hw["network"]["activation"]}"']
    lines += [f"weights = {hw['network']['weights']}", f"biases = {hw['network']['biases']}"]
    s = hw["samples"][0]
    lines += ["", "[[samples]]", f"x = {s['x']}", f"y = {s['y']}"]
    lines += ["", "[training]", 'loss = "bce"', "learning_rate = 0.5"]
    path = tmp_path / "bce.toml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert main(["check", str(path)]) == 2
    err = capsys.readouterr().err
    assert err.strip().endswith(f"{path}:{said}") and len(err.strip().splitlines()) == 1


def test_softmax_targets_must_add_up_to_one() -> None:
    with pytest.raises(ValueError, match="needs targets that add up to 1"):
        check({**SOFTMAX, "samples": [{"x": [0.3], "y": [1, 1]}], "answers": {}})


# ------------------------------------------------ --format json keeps its shape
def test_json_keeps_its_shape(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    path = tmp_path / "zeros.toml"
    text = examples.path("seed_article").read_text(encoding="utf-8")
    path.write_text(text.split("[answers]")[0] + '[answers]\n"dE/do1" = 0\n"dE/dw5" = 0\n')
    assert main(["check", str(path), "--format", "json"]) == 1
    (sheet,) = json.loads(capsys.readouterr().out)
    assert {"path", "ok", "answers"} <= set(sheet)
    rows = sheet["answers"]
    assert all(isinstance(r["name"], str) and isinstance(r["accepted"], bool) for r in rows)
    assert [(r["name"], r["accepted"], r["diagnosis"]) for r in rows] == [
        ("dE/do1", False, "whole number"),
        ("dE/dw5", False, "no follow-through"),
    ]


def test_a_long_chain_s_second_derivative_is_judged_against_the_engine() -> None:
    # past PINNED_MAX named expressions the figures are not put in (bounded work): still judged
    from tracegrad.checker.solving.expression import PINNED_MAX

    exprs = {"e0": "sin(x)"} | {f"e{i}": f"e{i - 1} * 0.9 + x" for i in range(1, PINNED_MAX + 5)}
    last = f"e{PINNED_MAX + 4}"
    hw = {"variables": {"x": 0.3}, "expressions": exprs}
    exact = -math.sin(0.3) * 0.9 ** (PINNED_MAX + 4)  # only sin(x) curves
    report = check({**hw, "answers": {f"d2{last}/dx2": f"{exact:.4g}"}})
    assert report.ok
    report = check({**hw, "answers": {f"d2{last}/dx2": f"{exact * 1.01:.4g}"}})
    assert not report.ok


def test_restated_zero_weights_give_no_room_for_a_wrong_net() -> None:
    # the property test's failure: weights 0 restated as '0.00000' (+-5e-6 each) once let
    # net_h2 = 0.00201 (true 0.002) pass as carried forward; given, they are exact
    hw = {
        "network": {"sizes": [3, 2, 1], "activation": "sigmoid",
                    "weights": [[[0.0, 0.0, 0.0], [0.0, 0.0, 0.0]], [[0.5, -0.5]]],
                    "biases": [[0.5, 0.002], [0.0]]},
        "samples": [{"x": [1.0, 1.0, 1.0], "y": [0.5]}],
        "training": {"loss": "half_sse", "learning_rate": 0.5},
    }  # fmt: skip
    answers = {f"w{i}": "0.00000" for i in range(1, 7)} | {"x1": "1.00000", "x2": "1.00000"}
    report = check({**hw, "answers": {**answers, "x3": "1.00000", "net_h2": "0.00201000"}})
    assert [m.label for m in report.wrong] == ["net_h2"]
    assert report.mark("net_h2").message == "the engine has 0.002000000"

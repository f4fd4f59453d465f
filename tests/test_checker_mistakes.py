"""Wrong answers: the first mistake is the one reported, and each gets its likeliest reason."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tracegrad.checker import CARRIED, RIGHT, SIGN, WRONG, check, solve
from tracegrad.cli import main

ROOT = Path(__file__).resolve().parent.parent
WRONG_SHEET = ROOT / "examples" / "student_wrong.toml"
EXPRESSIONS = ROOT / "examples" / "expression.toml"

SEED_NET: dict[str, Any] = {
    "network": {
        "sizes": [2, 2, 2],
        "activation": "sigmoid",
        "weights": [[[0.1, -0.2], [0.3, 0.55]], [[0.37, 0.9], [-0.22, -0.12]]],
        "biases": [[0.01, -0.02], [0.31, 0.27]],
    },
    "samples": [{"x": [0.5, -0.5], "y": [0.9, 0.1]}],
    "training": {"loss": "half_sse", "learning_rate": 1.2},
}


def seed_with(answers: dict[str, Any], **training: Any) -> Any:
    hw = {**SEED_NET, "answers": answers}
    hw["training"] = {**SEED_NET["training"], **training}
    return check(hw)


def test_the_wrong_sheet_points_to_its_first_mistake() -> None:
    report = check(WRONG_SHEET)
    assert report.exit_status == 1
    first = report.first_mistake
    assert first is not None and first.label == "net_h1"
    assert first.verdict == WRONG
    assert "x1*w1 + x2*w2 + b1" in first.derivation
    verdicts = report.verdicts()
    # everything computed consistently from the wrong net_h1 is carried, not marked again
    for label in ("h1", "net_o1", "o1", "do1/dnet_o1", "dnet_o1/dw5", "dE/dw5"):
        assert verdicts[label] == CARRIED, label
    assert report.mark("h1").message == "carried forward from net_h1 = 0.07"
    reasons = {m.label: m.reason for m in report.wrong}
    assert reasons == {
        "net_h1": "misread given",
        "dE/do1": "factor 2",
        "w5_new": "slip",
        "w1_new": "not updated",
    }
    assert "added the step instead of subtracting it" in report.mark("w5_new").message
    assert report.mark("w1_new").message.startswith("not updated: 0.1000 is w1 before the update")
    table = report.table()
    assert "First mistake: net_h1 = 0.07 (line 27)" in table


def test_the_seed_articles_x2_misprint_is_named() -> None:
    """The article works net_h1 with x2 = -0.05 (its sheet says -0.5): 0.07, not 0.160."""
    mark = check(WRONG_SHEET).mark("net_h1")
    assert mark.message == (
        "that is net_h1 worked with x2 = -0.05 for -0.5 (a decimal slip in copying it); "
        "net_h1 = 0.160"
    )
    assert seed_with({"net_h1": 0.16}).mark("net_h1").verdict == RIGHT
    assert seed_with({"net_h1": "0.3000"}).mark("net_h1").reason != "misread given"  # no such slip


@pytest.mark.parametrize(("figure", "half"), [(0.2835, "1 - o1"), (0.7165, "o1")])
def test_half_of_the_sigmoids_slope_is_named(figure: float, half: str) -> None:
    mark = seed_with({"do1/dnet_o1": figure}).mark("do1/dnet_o1")
    assert mark.verdict == WRONG and mark.reason == "half the slope"
    assert mark.message == (
        f"that is {half}, one factor of the sigmoid's slope: do1/dnet_o1 = o1 * (1 - o1) = 0.20312"
    )


def test_a_consequence_that_is_not_carried_points_upstream() -> None:
    # h1 is wrong; net_o1 is neither right nor right-from-h1: the first mistake is h1
    report = seed_with({"h1": 0.6, "net_o1": 0.3})
    m = report.mark("net_o1")
    assert (m.verdict, m.reason, m.upstream) == (WRONG, "upstream", "h1")
    assert "it uses h1 = 0.6, which is already wrong" in m.message
    assert report.first_mistake is report.mark("h1")
    assert "[first mistake: h1]" in report.table()


def test_half_and_double_gradients_are_the_mse_convention() -> None:
    report = seed_with({"dE/do1": -0.0917, "dE/do2": 0.8477})
    assert report.mark("dE/do1").reason == "factor 1/2"
    assert report.mark("dE/do2").reason == "factor 2"
    # with the MSE loss the same numbers are the right ones
    mse = seed_with({"dE/do1": -0.1835, "dE/do2": 0.4239}, loss="mse")
    assert [m.verdict for m in mse.marks] == [RIGHT, RIGHT]


def test_sign_flip_of_a_gradient_and_of_a_forward_value() -> None:
    report = seed_with({"dE/dw5": 0.0201, "net_h2": 0.145})
    assert report.mark("dE/dw5").verdict == SIGN
    assert "puts the sign in the rule" in report.mark("dE/dw5").message
    assert report.mark("net_h2").verdict == SIGN


def test_one_step_earlier_and_later() -> None:
    hw = {**SEED_NET, "training": {**SEED_NET["training"], "steps": 3}}
    values = solve(hw).values()
    step1_o1, step3_o1 = values["step 1: o1"], values["step 3: o1"]
    answers = {
        "step2": {"o1": f"{step1_o1:.4f}", "w5_new": f"{values['step 3: w5_new']:.4f}"},
        "step3": {"o1": f"{step3_o1:.4f}"},
    }
    report = check({**hw, "answers": answers})
    m = report.mark("step 2: o1")
    assert (m.verdict, m.reason) == (WRONG, "step") and "one step earlier" in m.message
    m = report.mark("step 2: w5_new")
    assert (m.verdict, m.reason) == (WRONG, "step") and "one step later" in m.message
    assert report.mark("step 3: o1").verdict == RIGHT


def test_error_carried_across_steps() -> None:
    # a wrong update in step 1, then step 2 worked correctly from it: carried forward
    hw = {**SEED_NET, "training": {**SEED_NET["training"], "steps": 2}}
    wrong_w5 = 0.5
    h1 = solve(hw).values()["step 2: h1"]
    h2 = solve(hw).values()["step 2: h2"]
    w6, b3 = solve(hw).values()["step 2: w6"], solve(hw).values()["step 2: b3"]
    net_o1 = h1 * wrong_w5 + h2 * w6 + b3
    report = check({**hw, "answers": {"w5_new": wrong_w5, "step2": {"net_o1": f"{net_o1:.4f}"}}})
    assert report.mark("w5_new").verdict == WRONG
    m = report.mark("step 2: net_o1")
    assert m.verdict == CARRIED and "w5 = " not in m.message and "w5_new = 0.5" in m.message


def test_expression_homework_carries_the_chain_rule() -> None:
    report = check(EXPRESSIONS)
    assert report.ok and all(m.verdict == RIGHT for m in report.marks)
    hw = {
        "variables": {"x": -2, "y": 5, "z": -4},
        "expressions": {"q": "x + y", "f": "q * z"},
        "answers": {"dq/dx": 2, "df/dx": -8, "df/dq": 4, "d2f/dxdz": 1},
    }
    report = check(hw)
    v = report.verdicts()
    assert v["dq/dx"] == WRONG  # it is 1
    assert v["df/dq"] == SIGN
    # df/dx = df/dq * dq/dx with the student's own 4 and 2 is 8: -8 mixes the engine's -4 in
    assert v["df/dx"] == SIGN
    report = check({**hw, "answers": {**hw["answers"], "df/dx": 8}})
    m = report.mark("df/dx")
    assert m.verdict == CARRIED and m.sources == ("df/dq = 4", "dq/dx = 2")
    assert v["d2f/dxdz"] == RIGHT  # second derivative from tracegrad.autograd.functional


def test_alias_names_like_textbooks() -> None:
    report = seed_with(
        {
            "out_h1": 0.5399,
            "dE_total/dout_o1": -0.1835,
            "delta_o1": -0.0373,
            "dout_o1/dnet_o1": 0.2031,
            "w5'": 0.3941,
            "E_total": 0.1067,
        }
    )
    assert all(m.verdict == RIGHT for m in report.marks), report.table()


def test_markdown_report(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", str(WRONG_SHEET), "--format", "markdown"]) == 1
    out = capsys.readouterr().out
    assert "| `net_h1` | 0.07 |" in out and "**First mistake:** `net_h1`" in out


def test_file_given_names_for_weights_neurons_and_inputs() -> None:
    net = {
        **SEED_NET["network"],
        "inputs": ["i1", "i2"],
        "neurons": [["a", "b"], ["out1", "out2"]],
        "weight_names": ["u1", "u2", "u3", "u4", "v1", "v2", "v3", "v4"],
        "bias_names": ["c1", "c2", "c3", "c4"],
    }
    hw = {**SEED_NET, "network": net}
    values = solve(hw).values()
    defaults = solve(SEED_NET).values()
    assert values["dE/dv1"] == defaults["dE/dw5"]
    assert values["dnet_out1/da"] == defaults["dnet_o1/dh1"] == 0.37
    report = check({**hw, "answers": {"net_a": 0.16, "a": 0.5399, "v1_new": 0.3941}})
    assert report.ok


def test_factor_two_only_where_the_loss_makes_it_likely() -> None:
    # an expression sheet has no squared error: twice the value is not called a factor 2
    hw = {"variables": {"x": 3}, "expressions": {"f": "x**2"}, "answers": {"df/dx": 12}}
    m = check(hw).marks[0]
    assert (m.verdict, m.reason, m.message) == (WRONG, "unknown", "the engine has 6")
    # nor is a forward value of a network (only the loss and the backward pass from it)
    m = seed_with({"h1": 1.0798}).marks[0]
    assert m.reason != "factor 2" and "squared error" not in m.message

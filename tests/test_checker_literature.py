"""Published worked examples as homework sheets: each correct sheet is accepted in full, and
each copy with a typical student slip gets exactly one not-accepted mark per slip, the right
diagnosis, and "carried forward" (from the slip) for everything worked consistently after it.

Sources: CS231n "Backpropagation, intuitions" (the circuit, the sigmoid neuron, the staged
computation), Karpathy's micrograd lecture (the tanh neuron), Mazur's "A Step by Step
Backpropagation Example" (2015). The slipped figures below are worked by hand here, in plain
Python arithmetic, from the slip onwards, as a student would (4 significant figures).
"""

from __future__ import annotations

import math
import sys
from pathlib import Path
from typing import Any

import pytest

from tracegrad import examples
from tracegrad.checker import CARRIED, IMPRECISE, RIGHT, SIGN, WRONG, check

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

SHEETS = Path(__file__).resolve().parent / "sheets"


def sheet_path(name: str) -> Path:
    """tests/sheets/NAME.toml, or the shipped example (Mazur's sheet ships: examples/)."""
    path = SHEETS / f"{name}.toml"
    return path if path.exists() else examples.path(name)


def sheet(name: str, **answers: Any) -> dict[str, Any]:
    """A sheet from tests/sheets with some answers replaced (keys use __ for '/')."""
    data = tomllib.loads(sheet_path(name).read_text(encoding="utf-8"))
    data["answers"] = {**data["answers"], **{k.replace("__", "/"): v for k, v in answers.items()}}
    return data


def verdicts(report: Any) -> dict[str, str]:
    return {m.label: m.verdict for m in report.marks}


def not_accepted(report: Any) -> list[str]:
    return [m.label for m in report.marks if not m.ok]


def s4(x: float) -> str:
    """x to 4 significant figures, as a student writes it."""
    return f"{x:.{max(0, 3 - math.floor(math.log10(abs(x))))}f}"


@pytest.mark.parametrize(
    "name", ["cs231n_sigmoid", "cs231n_staged", "micrograd_neuron", "second_derivatives", "mazur"]
)
def test_the_published_figures_are_accepted_in_full(name: str) -> None:
    report = check(sheet_path(name))
    assert report.ok, report.table()
    assert set(verdicts(report).values()) == {RIGHT}


# ---------------------------------------------------------------- micrograd's tanh neuron
def test_tanh_derivative_written_as_one_minus_o_is_one_slip() -> None:
    # do/dn = 1 - o = 0.2929 instead of 1 - o**2 = 0.5; everything after it from 0.2929
    d = 1 - 0.7071
    report = check(
        sheet(
            "micrograd_neuron",
            **{
                "do__dn": s4(d),
                "do__dx1w1x2w2": s4(d),
                "do__db": s4(d),
                "do__dx1w1": s4(d),
                "do__dx2w2": s4(d),
                "do__dx2": s4(d * 1.0),
                "do__dx1": s4(d * -3.0),
                "do__dw1": s4(d * 2.0),
            },
        )
    )
    assert not_accepted(report) == ["do/dn"]
    v = verdicts(report)
    for label in ("do/dx1w1x2w2", "do/db", "do/dx1w1", "do/dx2w2", "do/dx2", "do/dx1", "do/dw1"):
        assert v[label] == CARRIED, label
        assert report.mark(label).message == "carried forward from do/dn = 0.2929"
    assert v["do/dw2"] == RIGHT  # x2 = 0: 0 whatever the upstream
    assert report.first_mistake is report.mark("do/dn")
    assert report.summary() == "10 of 11 accepted (3 right, 7 carried forward); 1 wrong"


def test_local_derivative_from_the_students_rounded_output() -> None:
    # o rounded to 0.71, then do/dn = 1 - 0.71**2 = 0.4959, and the rest from 0.4959
    d = 1 - 0.71**2
    report = check(
        sheet(
            "micrograd_neuron",
            o="0.71",
            **{"do__dn": s4(d), "do__dx1w1": s4(d), "do__dx1": s4(d * -3), "do__dw1": s4(d * 2)},
        )
    )
    assert report.ok, report.table()
    assert verdicts(report)["do/dn"] == CARRIED
    assert "o = 0.71" in report.mark("do/dn").message


# ---------------------------------------------------------------- CS231n's sigmoid neuron
def test_rounded_f_carried_through_the_sigmoid_neuron_is_accepted() -> None:
    ddot = 0.73 * (1 - 0.73)  # 0.1971 from the rounded f = 0.73
    report = check(
        sheet(
            "cs231n_sigmoid",
            **{
                "df__ddot": s4(ddot),
                "df__dw0": s4(-1 * ddot),
                "df__dx0": s4(2 * ddot),
                "df__dw1": s4(-2 * ddot),
                "df__dx1": s4(-3 * ddot),
                "df__dw2": s4(ddot),
            },
        )
    )
    assert report.ok, report.table()
    assert verdicts(report)["df/ddot"] == CARRIED
    assert sum(v == CARRIED for v in verdicts(report).values()) == 6


def test_swapped_indices_are_named_not_called_twice_the_value() -> None:
    report = check(sheet("cs231n_sigmoid", **{"df__dw0": "-0.3932", "df__dw1": "-0.1966"}))
    assert not_accepted(report) == ["df/dw0", "df/dw1"]
    m = report.mark("df/dw0")
    assert m.reason == "swapped"
    assert "that is the value of df/dw1" in m.message and "twice" not in m.message


# ---------------------------------------------------------------- CS231n's staged example
def _staged_with_sign_slip() -> dict[str, str]:
    """The notes' backward pass with dden = (+1/den**2) * dinvden: the slip and what follows."""
    x, y = 3.0, -4.0
    sigy = 1 / (1 + math.exp(-y))
    num = x + sigy
    sigx = 1 / (1 + math.exp(-x))
    xpy = x + y
    den = sigx + xpy**2
    invden = 1 / den
    dnum, dinvden = invden, num
    local = 1 / den**2  # the slip: the minus sign of -1/den**2 is lost
    dden = float(s4(local)) * float(s4(dinvden))
    dsigx = dxpysqr = float(s4(dden))
    dxpy = 2 * xpy * dxpysqr
    dx = float(s4(dxpy)) + (1 - sigx) * sigx * dsigx + float(s4(dnum))
    dy = float(s4(dxpy)) + (1 - sigy) * sigy * float(s4(dnum))
    return {
        "dinvden/dden": s4(local),
        "df/dden": s4(dden),
        "df/dsigx": s4(dsigx),
        "df/dxpysqr": s4(dxpysqr),
        "df/dxpy": s4(dxpy),
        "df/dx": s4(dx),
        "df/dy": s4(dy),
    }


def test_a_sign_slip_in_a_local_derivative_is_marked_once() -> None:
    data = sheet("cs231n_staged")
    data["answers"].update(_staged_with_sign_slip())
    report = check(data)
    assert not_accepted(report) == ["dinvden/dden"]
    m = report.mark("dinvden/dden")
    assert m.verdict == SIGN
    v = verdicts(report)
    for label in ("df/dden", "df/dsigx", "df/dxpysqr", "df/dxpy", "df/dx", "df/dy"):
        assert v[label] == CARRIED, (label, report.table())
    assert report.mark("df/dden").message == "carried forward from dinvden/dden = 0.2623"
    assert report.mark("df/dx").sources == ("dinvden/dden = 0.2623",)


# ---------------------------------------------------------------- guesses
def test_a_whole_number_claims_to_be_exact() -> None:
    hw = {"variables": {"x": 7.1, "y": 4}, "expressions": {"f": "x * y"}}
    report = check({**hw, "answers": {"f": 28, "df/dy": 7, "df/dx": 4}})
    m = report.mark("f")
    assert (m.verdict, m.reason) == (WRONG, "whole number")
    assert "28.4 rounds to 28" in m.message
    assert report.mark("df/dx").verdict == RIGHT  # exactly 4
    assert report.mark("df/dy").verdict == WRONG  # 7.1 is not 7
    # a tolerance set by the sheet says how close is close enough
    assert check({**hw, "tolerance": 0.5, "answers": {"f": 28}}).ok
    # a figure with decimals keeps its precision: CS231n's -0.2 for -0.1966 is right
    assert check(sheet("cs231n_sigmoid", **{"df__dw0": "-0.2"})).ok


def test_a_sheet_of_zeros_and_ones_fails() -> None:
    report = check(sheet("mazur", **{"h1": 1, "dE__do1": 0, "dE__dw5": 0, "w5_new": 0}))
    assert not report.ok
    for label in ("h1", "dE/do1", "w5_new"):
        assert report.mark(label).verdict == WRONG, label


def test_min_sig_figs_gives_too_imprecise() -> None:
    data = sheet("cs231n_sigmoid")
    data["min_sig_figs"] = 3
    report = check(data)
    assert report.mark("f").verdict == IMPRECISE
    assert report.mark("f").message.startswith("too imprecise: 2 significant figures")
    assert report.mark("dot").verdict == RIGHT  # a whole number that is exact
    assert not report.ok
    data["answers"] = {"f": "0.731", "df/dw0": "-0.197"}
    assert check(data).ok


# ---------------------------------------------------------------- second derivatives
def test_second_derivative_slip() -> None:
    report = check(sheet("second_derivatives", **{"d2f__dxdy": "6.0"}))
    assert not_accepted(report) == ["d2f/dxdy"]


# ---------------------------------------------------------------- Mazur's 2-2-2 network
D_O1, D_O2 = 0.138498562, -0.038098236  # dE/dnet_o1, dE/dnet_o2 as the post prints them


def test_mazur_as_published_has_shared_and_frozen_biases() -> None:
    report = check(examples.path("mazur"))
    assert report.ok
    assert report.mark("step 2: E_total").verdict == RIGHT
    values = {q.label(2): q.value for q in report.problem.quantities}
    assert values["step 1: b1_new"] == 0.35 and values["step 2: b1"] == 0.35  # frozen
    # one b1 for h1 and h2: its gradient adds up both uses
    assert values["step 1: dE/db1"] == pytest.approx(
        values["step 1: dE/dnet_h1"] + values["step 1: dE/dnet_h2"], rel=1e-12
    )
    # the post's step-2 error is off in its 7th decimal: written to 9 decimals, it is not
    # what its own updated weights give, and the checker says so
    exact = sheet("mazur")
    exact["answers"]["step2"] = {"E_total": "0.291027924"}
    assert check(exact).mark("step 2: E_total").verdict == WRONG


def test_mazur_upstream_figure_to_four_decimals_is_carried() -> None:
    dw1 = 0.0364 * 0.2413 * 0.05  # 0.000439166, more digits than its inputs carry
    report = check(
        sheet(
            "mazur",
            **{
                "dE_total__dout_h1": "0.0364",
                "dout_h1__dnet_h1": "0.2413",
                "dE_total__dw1": f"{dw1:.9f}",
                "w1+": f"{0.15 - 0.5 * dw1:.9f}",
            },
        )
    )
    assert report.ok, report.table()
    assert report.mark("dE_total/dw1").verdict == CARRIED


@pytest.mark.parametrize(
    ("answer", "value", "reason", "words"),
    [
        # the += branch through o2 forgotten: dE/dh1 = dE/dnet_o1 * w5 only
        ("dE_total/dout_h1", f"{D_O1 * 0.40:.6f}", "missing path", "a path is missing"),
        # do1/dnet_o1 left out of dE/dw5
        ("dE_total/dw5", f"{0.74136507 * 0.593269992:.6f}", "missing factor", "do1/dnet_o1"),
        # the backward pass with the weights already updated
        (
            "dE_total/dout_h1",
            f"{D_O1 * 0.35891648 + D_O2 * 0.511301270:.6f}",
            "updated weights",
            "the backward pass uses the weights of the forward pass",
        ),
        # the sign slip of dE/do = -(target - out)
        ("dE_total/dout_o1", "-0.74136507", "sign", "wrong sign"),
        # the squared error without its 1/2
        ("dE_total/dout_o1", "1.48273014", "factor 2", "twice the right value"),
        # a frozen bias updated anyway
        ("b1_new", "0.3406", "slip", "frozen"),
    ],
)
def test_mazur_slips_each_get_their_diagnosis(
    answer: str, value: str, reason: str, words: str
) -> None:
    report = check(sheet("mazur", **{answer.replace("/", "__"): value}))
    assert not_accepted(report) == [answer]
    m = report.mark(answer)
    assert m.reason == reason, m.message
    assert words in m.message


def test_mazur_step_two_with_the_weights_before_the_update() -> None:
    data = sheet("mazur")
    values = {q.label(2): q.value for q in check(data).problem.quantities}
    # step 2's net_o1 from step 2's h1, h2 but step 1's w5, w6
    net = 0.40 * values["step 2: h1"] + 0.45 * values["step 2: h2"] + 0.60
    data["answers"]["step2"] = {"net_o1": f"{net:.6f}"}
    m = check(data).mark("step 2: net_o1")
    assert (m.verdict, m.reason) == (WRONG, "old weights")
    assert "w5, w6 from before the update" in m.message


def test_a_shared_bias_with_two_values_points_at_its_line() -> None:
    text = examples.path("mazur").read_text(encoding="utf-8")
    text = text.replace("biases = [[0.35, 0.35]", "biases = [[0.35, 0.36]")
    from tracegrad.checker import HomeworkError, load

    path = SHEETS.parent / "sheets" / "_tmp_never_written.toml"
    assert not path.exists()
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        bad = Path(tmp) / "mazur.toml"
        bad.write_text(text, encoding="utf-8")
        with pytest.raises(HomeworkError) as err:
            load(bad)
    line = next(i for i, t in enumerate(text.splitlines(), 1) if t.startswith("bias_names"))
    assert f"mazur.toml:{line}: network.bias_names: 'b1' is shared" in str(err.value)


# ---------------------------------------------------------------- how a report reads
def test_missing_local_factor_in_an_expression_sheet() -> None:
    # do/dx1 written as do/dx1w1 alone: the local factor dx1w1/dx1 = w1 = -3 left out
    report = check(sheet("micrograd_neuron", **{"do__dx1": "0.5"}))
    m = report.mark("do/dx1")
    assert (m.verdict, m.reason) == (WRONG, "missing factor")
    assert m.message.startswith("the factor dx1w1/dx1 = -3")


def test_first_mistake_follows_the_sheet() -> None:
    # dE/dw5 comes after h1 in the worked solution, but the student wrote it first
    data = sheet("mazur")
    data["answers"] = {"dE_total/dw5": "0.0500", "out_h1": "0.6500"}
    report = check(data)
    assert [m.label for m in report.marks] == ["dE_total/dw5", "out_h1"]
    assert report.first_mistake is report.mark("dE_total/dw5")


def test_never_two_equal_numbers_as_alternatives() -> None:
    # o rounded, do/dn wrong: the figure from the student's o rounds like the engine's
    report = check(sheet("micrograd_neuron", o="0.7071", **{"do__dn": "0.2929"}))
    assert report.mark("do/dn").message == "the engine has 0.50000"
    # with a wrong o upstream, the reason is that o, not a second number
    report = check(sheet("micrograd_neuron", o="0.8000", **{"do__dn": "0.2929"}))
    assert report.mark("do/dn").message == "it uses o = 0.8000, which is already wrong; start there"


def test_a_forgotten_plus_equals_branch_in_the_staged_example() -> None:
    # the notes' dx += ((1 - sigx) * sigx) * dsigx line left out: two of the three paths
    report = check(sheet("cs231n_staged", **{"df__dx": f"{1.583 + 0.5121:.4f}"}))
    assert not_accepted(report) == ["df/dx"]
    m = report.mark("df/dx")
    assert m.reason == "missing path"
    assert m.message.startswith("a path is missing (df/dsigx * dsigx/dx)")


def test_the_seed_sheet_of_guesses_fails() -> None:
    from tracegrad import examples
    from tracegrad.checker.reading.homework import tomllib

    seed = tomllib.loads(examples.path("seed_article").read_text(encoding="utf-8"))
    seed["answers"] = {"h1": 1, "dE/do1": 0, "dE/dw5": 0, "w5_new": 0}  # guesses
    report = check(seed)
    # a zero carried through a product is no method: dE/dw5 = 0 earns no follow-through credit
    assert report.summary().startswith("0 of 4 accepted")
    assert report.mark("h1").reason == "whole number"
    m = report.mark("dE/dw5")
    assert m.reason == "no follow-through" and m.message.startswith("0 only because dE/do1 = 0")

"""`solve` that teaches expression sheets, grading a class (many files, json, csv), the REPL
reprs, and a checking cost that grows with the sheet (not with its square)."""

from __future__ import annotations

import csv
import io
import json
import re
import sys
from pathlib import Path

import pytest

from tracegrad import examples
from tracegrad.checker import check, solve
from tracegrad.cli import main

ROOT = Path(__file__).resolve().parent.parent
SHEETS = Path(__file__).resolve().parent / "sheets"
MAZUR = examples.path("mazur")  # ships: shared and frozen biases
TANH = ROOT / "examples" / "tanh_neuron.toml"


def lines_of(text: str, prefix: str) -> list[str]:
    return [t.strip() for t in text.splitlines() if t.strip().startswith(prefix)]


def test_solve_works_the_backward_pass_in_reverse_with_formulas() -> None:
    text = solve(SHEETS / "micrograd_neuron.toml").text()
    derivs = text.split("Derivatives")[1]
    names = [t.split(" = ")[0].strip() for t in derivs.strip().splitlines()[1:]]
    # the output's own local derivative first, the inputs' last
    assert names[0] == "do/dn" and names[-1] == "do/dx1"
    assert names.index("do/dx1w1x2w2") < names.index("do/dx1w1") < names.index("do/dw1")
    assert "do/dn = 1 - tanh(n)² = 1 - tanh(0.8814)² = 0.5" in text  # from the ops table
    assert "do/dx1 = do/dx1w1 * dx1w1/dx1 = 0.5 * (-3) = -1.5" in text  # upstream × local
    assert "dx1w1/dx1 = w1 = -3" in text


def test_solve_substitutes_every_number_and_writes_second_derivatives() -> None:
    text = solve(SHEETS / "cs231n_staged.toml").text()
    for line in text.split("Derivatives")[1].strip().splitlines()[1:]:
        worked = line.split(" = ")
        if len(worked) == 4:  # 'name = formula = numbers = result': no name left in numbers
            assert not re.search(r"[a-z]{2,}[a-z0-9]*\b(?!\()", worked[-2].replace("exp", "")), line
    second = solve(SHEETS / "second_derivatives.toml").text()
    assert "d2f/dxdy = 2 * x * (3 * y²) = 2 * 2 * (3 * 1²) = 12" in second
    assert "d2f/dy2 = x² * (3 * (2 * y)) = 2² * (3 * (2 * 1)) = 24" in second


def test_solve_writes_significant_figures() -> None:
    text = solve(MAZUR).text()
    assert lines_of(text, "dE/dw1 =")[0].endswith("= 0.0004386")
    assert "0.0004 " not in text and not text.rstrip().endswith("0.0004")


def test_reprs_are_short() -> None:
    report = check(TANH)
    assert repr(report) == (
        f"<Report {TANH}: 9 of 10 accepted (3 right, 6 carried forward); 1 wrong, "
        "first mistake do/dn>"
    )
    assert repr(report.first_mistake) == "<Mark do/dn = 0.2929, wrong: the engine has 0.50000>"
    assert repr(solve(TANH)) == f"<Solution {TANH}: expression, 27 quantities>"
    assert re.fullmatch(r"<Solution \S+: network, \d+ quantities, 2 steps>", repr(solve(MAZUR)))


def test_a_class_in_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text("x = \n", encoding="utf-8")
    good = SHEETS / "cs231n_sigmoid.toml"
    assert main(["check", str(good), str(TANH), "--format", "json"]) == 1
    sheets = json.loads(capsys.readouterr().out)
    assert [s["ok"] for s in sheets] == [True, False]
    assert sheets[1]["first_mistake"] == "do/dn"
    row = sheets[1]["answers"][2]
    assert {k: row[k] for k in ("name", "yours", "verdict", "accepted")} == {
        "name": "do/dn", "yours": "0.2929", "verdict": "wrong", "accepted": False,
    }  # fmt: skip
    assert row["expected"] == pytest.approx(0.5) and row["reason"] == "the engine has 0.50000"
    assert sheets[1]["answers"][3]["carried_from"] == ["do/dn = 0.2929"]
    assert main(["check", str(good), "--format", "json"]) == 0
    capsys.readouterr()
    # a file that cannot be checked: exit 2, its error in the output and on stderr
    assert main(["check", str(bad), str(good), "--format", "json"]) == 2
    captured = capsys.readouterr()
    sheets = json.loads(captured.out)
    assert sheets[0]["path"] == str(bad) and "malformed TOML" in sheets[0]["error"]
    assert sheets[1]["ok"] is True
    assert "bad.toml:1: malformed TOML" in captured.err and "Traceback" not in captured.err


def test_a_class_in_csv(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", str(TANH), str(MAZUR), "--format", "csv"]) == 1
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert len(rows) == 10 + 27
    first = [r for r in rows if r["first_mistake"] == "true"]
    assert [(r["file"], r["name"]) for r in first] == [(str(TANH), "do/dn")]
    assert {r["accepted"] for r in rows} == {"true", "false"}
    assert rows[3]["verdict"] == "carried forward" and rows[3]["carried_from"] == "do/dn = 0.2929"


def test_many_text_reports_and_the_example_flag(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", str(TANH), str(SHEETS / "cs231n_sigmoid.toml"), "--brief"]) == 1
    out = capsys.readouterr().out
    assert out.count("accepted") == 2
    assert main(["check", "--example", "tanh_neuron", "--format", "csv"]) == 1


def test_checking_grows_with_the_sheet_not_its_square() -> None:
    # a chain q_i = q_{i-1} * 1: answering every value and every local derivative makes one
    # quantity per answer (the engine's numbers), not one per pair of expressions
    n = 400
    hw = {
        "variables": {"q0": 1.5},
        "expressions": {f"q{i}": f"q{i - 1}*1" for i in range(1, n + 1)},
        "answers": {
            **{f"q{i}": "1.5" for i in range(1, n + 1)},
            **{f"dq{i}/dq{i - 1}": "1.0" for i in range(1, n + 1)},
        },
    }
    report = check(hw)
    assert report.ok
    assert len(report.problem.quantities) == 1 + 2 * n
    # the one derivative through the whole chain makes the n adjoints between, no more
    report = check({**hw, "answers": {f"dq{n}/dq0": "1.0"}})
    assert report.ok and len(report.problem.quantities) == 1 + n + n + (n - 1)


def test_the_loss_text_comes_from_the_one_registry(monkeypatch: pytest.MonkeyPatch) -> None:
    import dataclasses

    from tracegrad.nn import losses

    from tracegrad.checker import HomeworkError, load

    spec = losses.LOSSES["half_sse"]
    assert "loss half_sse: E = 1/2 (y1 - o1)**2 + 1/2 (y2 - o2)**2" in solve(MAZUR).text()
    changed = dataclasses.replace(spec, term="½ ({y} - {o})²", slope="{o} - {y}")
    monkeypatch.setitem(losses.LOSSES, "half_sse", changed)
    text = solve(MAZUR).text()
    assert "E = ½ (y1 - o1)² + ½ (y2 - o2)²" in text
    assert "dE/do1 = o1 - 0.01 = " in text
    with pytest.raises(HomeworkError, match=r"half_sse: E = ½ \(y - o\)²"):
        load({**load_dict(), "training": {"loss": "hinge"}})


def load_dict() -> dict[str, object]:
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover
        import tomli as tomllib

    return tomllib.loads((MAZUR).read_text(encoding="utf-8"))

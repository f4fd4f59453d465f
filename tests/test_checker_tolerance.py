"""Tolerance follows the precision the student wrote; an explicit tolerance overrides it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tracegrad.checker import CARRIED, RIGHT, TRUNCATED, WRONG, check, load
from tracegrad.checker.reading.homework import scan_source, written_tolerance


@pytest.mark.parametrize(
    "text, tol",
    [
        ("0.5399", 5e-5),
        ("-0.0370", 5e-5),  # trailing zero counts: four decimals
        ("0.16", 5e-3),
        ("0.5", 5e-2),
        ("3", 0.0),  # a whole number claims to be exact
        ("-28", 0.0),
        ("3.0", 0.05),
        ("-0.0045954", 5e-8),
        ("1.2e-3", 5e-5),
        ("1e-3", 5e-4),
        ("2.50E+2", 0.5),  # 250 to three digits
        ("1_000.5", 0.05),
    ],
)
def test_written_tolerance(text: str, tol: float) -> None:
    assert written_tolerance(text) == pytest.approx(tol, rel=1e-12)


def test_scanner_keeps_the_text_tomllib_loses() -> None:
    src = '[answers]\n"dE/dh1" = -0.0370  # four decimals\nh1 = { value = 0.50, tolerance = 1 }\n'
    lines, texts = scan_source(src)
    assert texts[("answers", "dE/dh1")] == "-0.0370"
    assert texts[("answers", "h1")] == "0.50"
    assert lines[("answers", "h1")] == 3


def expression(answers: str, extra: str = "") -> str:
    return f'{extra}[variables]\nx = 2\n[expressions]\nf = "x / 3"\n[answers]\n{answers}\n'


def mark(tmp_path: Path, answers: str, extra: str = "") -> Any:
    path = tmp_path / "hw.toml"
    path.write_text(expression(answers, extra))
    return check(path).marks[0]


# f = 2/3 = 0.666666...
@pytest.mark.parametrize(
    "answer, verdict",
    [
        ("f = 0.6667", RIGHT),  # rounded at 4 decimals
        ("f = 0.66667", RIGHT),
        ("f = 0.667", RIGHT),
        ("f = 0.67", RIGHT),
        ("f = 0.7", RIGHT),  # one decimal: +-0.05
        ("f = 0.6666", TRUNCATED),  # cut, not rounded, at >= 3 digits: accepted with a note
        ("f = 0.66", WRONG),  # 2 digits: too few to call truncation
        ("f = 0.6668", WRONG),  # one unit off in the last place
        ("f = 0.6660", WRONG),  # trailing zero: four decimals, so 0.6667 was needed
        ("f = 0.666", TRUNCATED),
        ('f = "0.6667"', RIGHT),  # answers may be strings
        ("f = 6.667e-1", RIGHT),
        ("f = 6.66e-1", WRONG),  # exponent form: no truncation leniency
        ("f = { value = 0.6, tolerance = 0.1 }", RIGHT),  # explicit tolerance overrides
        ("f = { value = 0.6666, tolerance = 1e-6 }", WRONG),  # explicit: no truncation either
        ("f = 1", WRONG),  # a whole number claims to be exact: 0.666667 only rounds to it
        ("f = 1.0", WRONG),  # one decimal: +-0.05
    ],
)
def test_precision_edge_cases(tmp_path: Path, answer: str, verdict: str) -> None:
    m = mark(tmp_path, answer)
    assert m.verdict == verdict, (answer, m.message)


def test_global_tolerance_overrides_written_precision(tmp_path: Path) -> None:
    assert mark(tmp_path, "f = 0.66", extra="tolerance = 0.01\n").verdict == RIGHT
    assert mark(tmp_path, "f = 0.6", extra="tolerance = 0.01\n").verdict == WRONG
    m = mark(tmp_path, "f = 0.66666", extra="tolerance = 0.01\n")
    assert m.answer.explicit and m.answer.tolerance == 0.01


def test_exactly_half_a_unit_away_is_accepted_floating_point_included(tmp_path: Path) -> None:
    path = tmp_path / "hw.toml"
    # f = 0.12345 exactly in decimal; 0.1234 and 0.1235 are both half a unit away
    path.write_text('[variables]\nx = 0.12345\n[expressions]\nf = "x"\n[answers]\nf = 0.1235\n')
    assert check(path).marks[0].verdict == RIGHT
    path.write_text('[variables]\nx = 0.12345\n[expressions]\nf = "x"\n[answers]\nf = 0.1236\n')
    assert check(path).marks[0].verdict == WRONG


def test_dict_input_uses_the_numbers_repr(tmp_path: Path) -> None:
    hw = {
        "variables": {"x": 2.0},
        "expressions": {"f": "x / 3"},
        "answers": {"f": 0.6667, "df/dx": "0.3333"},
    }
    report = check(hw)
    assert [m.verdict for m in report.marks] == [RIGHT, RIGHT]
    assert load(hw).answers[0].tolerance == pytest.approx(5e-5)


def test_carried_forward_uses_the_same_tolerance(tmp_path: Path) -> None:
    path = tmp_path / "hw.toml"
    src = '[variables]\nx = 2\n[expressions]\nq = "x / 3"\nf = "q * 3"\n[answers]\n'
    path.write_text(src + "q = 0.8\nf = 2.4\n")  # q wrong (one decimal: +-0.05), f = 3q
    marks = {m.label: m for m in check(path).marks}
    assert marks["q"].verdict == WRONG
    assert marks["f"].verdict == CARRIED and marks["f"].message == "carried forward from q = 0.8"
    # q = 0.8 stands for 0.75..0.85, so 3q for 2.25..2.55: 2.2 (2.15..2.25) just touches it
    path.write_text(src + "q = 0.8\nf = 2.2\n")
    assert {m.label: m.verdict for m in check(path).marks}["f"] == CARRIED
    path.write_text(src + "q = 0.8\nf = 2.1\n")
    assert {m.label: m.verdict for m in check(path).marks}["f"] == WRONG

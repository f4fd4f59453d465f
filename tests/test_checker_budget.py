"""The checker's total work is bounded: a sheet inside every default limit is marked in
seconds, however many wrong answers it has. Diagnoses are worked out from what is prepared once
per sheet (``tracegrad.checker.judging.prepared``) and draw on a budget of work units
(``TRACEGRAD_MAX_DIAGNOSIS_WORK``); once it is spent, the remaining wrong answers are marked
without a reason and the report says the diagnosis was cut short. Work is counted, never timed."""

from __future__ import annotations

from pathlib import Path

import pytest
from hostile_sheets import many_wrong_answers
from tracegrad.autograd.limits import LIMITS

from tracegrad.checker import CARRIED, WRONG, check
from tracegrad.checker.judging.diagnose import CUT_SHORT
from tracegrad.cli import main


def _spent(report: object) -> int:
    budget = report.budget  # type: ignore[attr-defined]
    assert budget is not None
    return budget.spent


@pytest.mark.slow
def test_two_thousand_wrong_answers_are_marked_within_the_budget(tmp_path: Path) -> None:
    path = tmp_path / "many.toml"
    path.write_text(many_wrong_answers())
    assert 45_000 < path.stat().st_size < 60_000
    report = check(path)
    assert len(report.marks) == 1998
    limit = LIMITS["diagnosis_work"].value
    # each charge is checked as it is made: the last one may pass the limit by one walk at most
    assert _spent(report) <= limit + len(report.problem.quantities) + 1024
    cut = [m for m in report.marks if m.reason == CUT_SHORT]
    assert cut and all(m.verdict == WRONG for m in cut)
    assert all("the diagnosis was cut short" in m.message for m in cut)
    assert f"diagnosis cut short: {len(cut)} wrong answers without a reason" in report.summary()
    assert "TRACEGRAD_MAX_DIAGNOSIS_WORK" in report.summary()


def test_an_ordinary_sheet_is_never_cut_short() -> None:
    report = check(Path(__file__).resolve().parents[1] / "examples" / "student_wrong.toml")
    assert _spent(report) < LIMITS["diagnosis_work"].value // 100
    assert not any(m.reason == CUT_SHORT for m in report.marks)
    assert "cut short" not in report.summary()


def test_a_small_budget_cuts_short_and_keeps_the_verdicts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "one.toml"
    path.write_text(many_wrong_answers(sizes=(3, 6, 2), steps=2, per_step=20))
    full = check(path)
    assert not any(m.reason == CUT_SHORT for m in full.marks)
    monkeypatch.setenv("TRACEGRAD_MAX_DIAGNOSIS_WORK", "60")
    short = check(path)
    assert _spent(short) <= 60 + len(short.problem.quantities) + 1024
    cut = 0
    for a, b in zip(full.marks, short.marks):
        if b.reason == CUT_SHORT:
            cut += 1
            assert a.verdict not in (CARRIED,) and b.verdict == WRONG
        elif "not traced further" in b.message:
            assert a.verdict == b.verdict == CARRIED
        else:
            assert (a.verdict, a.message) == (b.verdict, b.message)  # diagnosed as in full
    assert cut
    assert main(["check", "--brief", str(path)]) == 1
    out = capsys.readouterr().out
    assert f"diagnosis cut short: {cut} wrong answer" in out.splitlines()[1]


def _chain_sheet(path: Path, n: int, order: int, answers: int) -> Path:
    """n expressions, each built on the one before, and ``answers`` derivatives of the
    ``order``-th order of the last ones: a small file whose higher derivatives are much work."""
    lines = ["[variables]", "x = 0.5", "y = 0.3", "[expressions]", 'e1 = "x * y + sin(x)"']
    lines += [f'e{i} = "e{i - 1} * 0.5 + tanh(e{i - 1}) * x"' for i in range(2, n + 1)]
    lines += ["[answers]"]
    lines += [f'"d{order}e{n - k}/dx{order}" = 0.1' for k in range(answers)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_higher_derivatives_are_bounded_work(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The work of a sheet's higher derivatives is counted before each is made (operations x
    3^order, summed): a chain of expressions with many 4th derivatives is one line, exit 2,
    naming the answer that crossed the limit; the same sheet with one is checked."""
    monkeypatch.setenv("TRACEGRAD_MAX_DERIVATIVE_WORK", "30000")
    many = _chain_sheet(tmp_path / "many.toml", 60, 4, 3)  # about 300 operations x 81 each
    assert main(["check", "--brief", str(many)]) == 2
    err = capsys.readouterr().err
    assert len(err.splitlines()) == 1 and "Traceback" not in err
    assert "answer 'd4e59/dx4'" in err and "TRACEGRAD_MAX_DERIVATIVE_WORK" in err
    one = _chain_sheet(tmp_path / "one.toml", 60, 4, 1)
    assert main(["check", "--brief", str(one)]) == 1  # worked, and 0.1 is wrong
    assert "d4e60/dx4" in capsys.readouterr().out
    monkeypatch.delenv("TRACEGRAD_MAX_DERIVATIVE_WORK")
    assert main(["check", "--brief", str(many)]) == 1  # within the default


def test_carrying_a_higher_derivative_draws_on_the_diagnosis_budget(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Carrying a student's figures through a higher derivative works it again per figure: it
    is charged as diagnosis work, so a small budget cuts the diagnosis short, not the marks."""
    sheet = _chain_sheet(tmp_path / "one.toml", 60, 4, 1)
    text = sheet.read_text(encoding="utf-8").replace("[answers]", "[answers]\ne60 = 0.2\ne30 = 0.3")
    sheet.write_text(text, encoding="utf-8")
    monkeypatch.setenv("TRACEGRAD_MAX_DIAGNOSIS_WORK", "1000")
    report = check(sheet)
    assert len(report.marks) == 3 and not report.ok
    assert "diagnosis cut short" in report.table()

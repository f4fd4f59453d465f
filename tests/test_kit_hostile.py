"""The course kit against a student who wants a grade without the work (or a classmate's key)
and against a TA's everyday slips: each case one clear line, a 0 with a note, or a refusal,
and nothing written outside -o."""

from __future__ import annotations

import csv
import io
import json
import os
import re
import stat
from pathlib import Path

import pytest

from tracegrad import examples
from tracegrad.cli import main
from tracegrad.kit.grade import grade, grade_all
from tracegrad.kit.trust import (
    KitError,
    course_secret,
    new_secret_file,
    read_secret_file,
    secret_problem,
    submitter_problem,
)

TEMPLATE = str(examples.path("expression_template"))
SECRET = "Jr8_w2KpQ5-xNc7mTe4bZa"  # secrets.token_urlsafe(16) shape: 22 characters


def _one_line(capsys: pytest.CaptureFixture[str]) -> str:
    err = capsys.readouterr().err
    assert len(err.splitlines()) == 1 and "Traceback" not in err, err
    return err


def _assign(out: Path, *ids: str, secret: str = SECRET) -> Path:
    assert main(["assign", TEMPLATE, "--students", *ids, "-o", str(out), "--secret", secret]) == 0
    return out


def _rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


# ------------------------------------------------------------------ grades without the work
def test_a_tolerance_of_the_students_own_is_ignored_under_the_template(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = _assign(tmp_path / "class", "ana")
    blank = (out / "handout" / "ana" / "blank.toml").read_text(encoding="utf-8")
    # every answer 'written' as 0 with a tolerance that accepts anything
    lazy = re.sub(r"^# (\S+) = $", r"\1 = { value = 0, tolerance = 1e300 }", blank, flags=re.M)
    lazy = lazy.replace("[variant]", "tolerance = 1e300\nmin_sig_figs = 1\n\n[variant]", 1)
    sheet = tmp_path / "in" / "ana" / "blank.toml"
    sheet.parent.mkdir(parents=True)
    sheet.write_text(lazy, encoding="utf-8")
    capsys.readouterr()
    args = ["check", "--format", "gradescope", "--template", TEMPLATE, "--secret", SECRET]
    assert main([*args, str(sheet)]) == 1
    captured = capsys.readouterr()
    results = json.loads(captured.out)
    assert results["score"] == 0.0 and results["extra_data"]["max_score"] == 11.0
    assert "own tolerance" in results["output"] and "min_sig_figs" in results["output"]
    assert "own tolerance" in captured.err and "comes from the template" in captured.err
    # without --template the sheet's own tolerance is the sheet's business (no grade)
    assert main(["check", "--format", "gradescope", str(sheet)]) == 0


def test_a_classmates_sheet_handed_in_whole_scores_0_with_a_note(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = _assign(tmp_path / "class", "alice", "bob")
    subs = tmp_path / "subs"
    for who, whose in (("alice", "alice"), ("bob", "alice")):  # bob hands in alice's key
        (subs / who).mkdir(parents=True)
        key = (out / "ta-only" / whose / "key.toml").read_bytes()
        (subs / who / "blank.toml").write_bytes(key)
    files = [str(subs / "alice" / "blank.toml"), str(subs / "bob" / "blank.toml")]
    capsys.readouterr()
    for against in ([], ["--template", TEMPLATE, "--secret", SECRET]):
        assert main(["check", "--format", "gradebook", *against, *files]) == 1
        captured = capsys.readouterr()
        rows = _rows(captured.out)
        assert [r["student_id"] for r in rows] == ["alice", "bob"]  # a row for bob, not two alices
        assert [r["score"] for r in rows] == ["11", "0"]
        assert "handed in by bob, but it is the sheet of alice" in rows[1]["note"]
        assert "handed in by bob" in captured.err
    # on Gradescope the platform names the submitter
    args = ["check", "--format", "gradescope", "--template", TEMPLATE, "--secret", SECRET]
    assert main([*args, "--submitter", "bob", files[0]]) == 1
    results = json.loads(capsys.readouterr().out)
    assert results["score"] == 0.0 and results["extra_data"]["student"] == "bob"
    assert "the sheet of alice" in results["output"]
    assert main([*args, "--submitter", "ALICE", files[0]]) == 0  # one student, any case
    assert json.loads(capsys.readouterr().out)["score"] == 11.0
    assert main(["check", "--format", "gradebook", "--submitter", "bob", *files]) == 2
    assert "--submitter" in _one_line(capsys)
    assert submitter_problem("alice", "Alice") is None and submitter_problem("alice", "bob")


def test_two_submissions_for_one_student_are_noted(tmp_path: Path) -> None:
    out = _assign(tmp_path / "class", "ana")
    key = out / "ta-only" / "ana" / "key.toml"
    again = tmp_path / "late" / "ana.toml"
    again.parent.mkdir()
    again.write_bytes(key.read_bytes())
    rows = grade_all([str(key), str(again)])
    assert all("2 submissions" in r["notes"][0] for r in rows)
    assert all(r["score"] == r["max_score"] for r in rows)  # noted, not taken away


@pytest.mark.parametrize(
    "weak",
    ["qz", " ", "s3cret", "a" * 64, "abababababababababababababababab", "Tr0ub4dor&3"],
)
def test_a_weak_secret_is_refused_whichever_way_it_comes(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    weak: str,
) -> None:
    assert secret_problem(weak)
    out = str(tmp_path / "class")
    file = tmp_path / "secret.txt"
    file.write_text(weak + "\n", encoding="utf-8")
    monkeypatch.delenv("TRACEGRAD_COURSE_SECRET", raising=False)
    base = ["assign", TEMPLATE, "--students", "ana", "-o", out]
    grading = ["check", "--format", "gradebook", "--template", TEMPLATE, TEMPLATE]
    for cmd in (base, grading):
        assert main([*cmd, "--secret", weak]) == 2
        assert "128 bits" in _one_line(capsys)
        assert main([*cmd, "--secret-file", str(file)]) == 2
        assert "--secret-file" in (err := _one_line(capsys)) and "128 bits" in err
        monkeypatch.setenv("TRACEGRAD_COURSE_SECRET", weak)
        assert main(cmd) == 2
        assert "TRACEGRAD_COURSE_SECRET" in (err := _one_line(capsys)) and "128 bits" in err
        monkeypatch.delenv("TRACEGRAD_COURSE_SECRET")
    assert not os.path.exists(out)


def test_a_secret_file_is_made_for_the_ta_alone_and_read_back(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    made = tmp_path / "course.secret"
    base = ["assign", TEMPLATE, "--students", "ana"]
    assert main([*base, "-o", str(tmp_path / "one"), "--new-secret-file", str(made)]) == 0
    assert stat.S_IMODE(made.stat().st_mode) == 0o600
    secret = made.read_text(encoding="utf-8")
    assert secret.endswith("\n") and secret_problem(secret[:-1]) is None
    assert read_secret_file(str(made)) == secret[:-1] == course_secret(file=str(made))
    # the same secret read back from the file gives the same key, byte for byte
    assert main([*base, "-o", str(tmp_path / "two"), "--secret-file", str(made)]) == 0
    key = Path("ta-only", "ana", "key.toml")
    assert (tmp_path / "one" / key).read_bytes() == (tmp_path / "two" / key).read_bytes()
    assert main([*base, "-o", str(tmp_path / "three"), "--secret", secret[:-1]]) == 0
    assert (tmp_path / "three" / key).read_bytes() == (tmp_path / "one" / key).read_bytes()
    capsys.readouterr()
    # never over an old secret; never two secrets at once
    assert main([*base, "-o", str(tmp_path / "four"), "--new-secret-file", str(made)]) == 2
    assert "already exists" in _one_line(capsys)
    assert made.read_text(encoding="utf-8") == secret
    with pytest.raises(KitError, match="not both"):
        course_secret(SECRET, str(made))
    crlf = tmp_path / "crlf.secret"  # one trailing newline dropped, of either kind
    crlf.write_bytes(SECRET.encode() + b"\r\n")
    assert course_secret(file=str(crlf)) == SECRET


def test_no_key_or_solution_sits_in_a_hand_out(tmp_path: Path) -> None:
    out = tmp_path / "class"
    args = ["assign", TEMPLATE, "--students", "ana", "ben", "-o", str(out), "--secret", SECRET]
    assert main([*args, "--solutions"]) == 0
    handed = {p.relative_to(out).as_posix() for p in (out / "handout").rglob("*") if p.is_file()}
    kept = {p.relative_to(out).as_posix() for p in (out / "ta-only").rglob("*") if p.is_file()}
    pages = ("blank.toml", "question.md", "question.html", "question.svg")
    assert handed == {f"handout/{s}/{f}" for s in ("ana", "ben") for f in pages}
    assert kept == {f"ta-only/{s}/{f}" for s in ("ana", "ben")
                    for f in ("key.toml", "solution.md", "solution.tex")}  # fmt: skip
    for path in (out / "handout").rglob("*"):  # no answer is written in a hand-out
        if path.name == "blank.toml":
            answers = path.read_text(encoding="utf-8").split("[answers]")[1]
            assert all(line.startswith("# ") for line in answers.split("\n") if line)


# ------------------------------------------------------------------ the class folder
def test_a_linked_folder_inside_o_is_refused_before_anything_is_written(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    victim = tmp_path / "victim"
    victim.mkdir()
    for linked in (("handout",), ("handout", "alice"), ("ta-only",), ("ta-only", "alice")):
        out = tmp_path / ("o" + "_".join(linked))
        out.mkdir()
        link = out.joinpath(*linked)
        link.parent.mkdir(parents=True, exist_ok=True)
        link.symlink_to(victim, target_is_directory=True)
        args = ["assign", TEMPLATE, "--students", "aaa", "alice", "-o", str(out)]
        assert main([*args, "--secret", SECRET]) == 2
        assert "is a link" in _one_line(capsys)
        assert list(victim.iterdir()) == []
        assert not (out / "handout" / "aaa").exists()


def test_every_target_is_checked_before_writing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "class"
    (out / "handout").mkdir(parents=True)
    (out / "handout" / "zed").write_text("a file where zed's folder goes", encoding="utf-8")
    args = ["assign", TEMPLATE, "--students", "aaa", "zed", "-o", str(out), "--secret", SECRET]
    assert main(args) == 2
    err = _one_line(capsys)
    assert "zed" in err and "nothing was written" in err
    assert sorted(p.name for p in (out / "handout").iterdir()) == ["zed"]
    assert not (out / "ta-only").exists()


@pytest.mark.parametrize(
    ("ids", "first", "second"),
    [
        (["alice", "ALICE"], "alice", "ALICE"),
        (
            ["Alice@Uni.Example", "bob", "alice@uni.example"],
            "Alice@Uni.Example",
            "alice@uni.example",
        ),
    ],
)
def test_ids_that_differ_only_in_case_are_refused_naming_both(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], ids: list[str], first: str, second: str
) -> None:
    roster = tmp_path / "roster.csv"
    roster.write_text("id,name\n" + "".join(f"{i},someone\n" for i in ids), encoding="utf-8")
    out = tmp_path / "class"
    assert (
        main(["assign", TEMPLATE, "--roster", str(roster), "-o", str(out), "--secret", SECRET]) == 2
    )
    err = _one_line(capsys)
    assert f"row {len(ids) + 1}" in err and "row 2" in err and first in err and second in err
    assert main(["assign", TEMPLATE, "--students", *ids, "-o", str(out), "--secret", SECRET]) == 2
    err = _one_line(capsys)
    assert first in err and second in err and "differ only in case" in err
    assert not out.exists()


def test_a_roster_without_a_header_still_works(tmp_path: Path) -> None:
    path = tmp_path / "roster.csv"
    path.write_text("ana\nben\n", encoding="utf-8")
    out = tmp_path / "class"
    assert (
        main(["assign", TEMPLATE, "--roster", str(path), "-o", str(out), "--secret", SECRET]) == 0
    )
    assert sorted(p.name for p in (out / "handout").iterdir()) == ["ana", "ben"]


def test_a_template_edited_after_assigning_is_said_once(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = _assign(tmp_path / "class", "ana", "ben")
    edited = tmp_path / "template.toml"
    edited.write_text("# one comment added\n" + Path(TEMPLATE).read_text("utf-8"), "utf-8")
    files = [str(out / "ta-only" / s / "key.toml") for s in ("ana", "ben")]
    capsys.readouterr()
    args = ["check", "--format", "gradebook", "--secret", SECRET, *files, "--template"]
    assert main([*args, str(edited)]) == 2
    err = _one_line(capsys)
    assert "changed since these sheets were assigned" in err
    assert main([*args, TEMPLATE]) == 0  # the template as it was assigned: graded


def _killer(path: str, against: object = None, submitter: object = None) -> dict[str, object]:
    """A grading process that dies on one sheet, as under a CPU limit or the OOM killer."""
    if "doomed" in path:
        os._exit(137)
    return grade(path, against, submitter)  # type: ignore[arg-type]


def test_a_dead_worker_fails_its_sheet_and_the_rest_are_graded(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = _assign(tmp_path / "class", "ana", "ben", "doomed")
    import tracegrad.kit.grade as grading

    monkeypatch.setattr(grading, "grade", _killer)
    files = [str(out / "ta-only" / s / "key.toml") for s in ("ana", "doomed", "ben")]
    rows = grading.grade_all(files, jobs=2)
    assert [r["student"] for r in rows] == ["ana", "doomed", "ben"]
    assert rows[1]["error"] and "process died" in rows[1]["error"]
    assert [r["score"] for r in (rows[0], rows[2])] == [11.0, 11.0]


# ------------------------------------------------------------------ templates: bombs and holes
BIG_NETWORK = """\
[template]
find = ["E", "dE/dw1"]
[network]
sizes = [2, 40, 40, 2]
activation = "tanh"
weights = { between = [-0.3, 0.3], digits = 2 }
biases = { between = [-0.1, 0.1], digits = 2 }
[[samples]]
x = [0.5, -0.5]
y = [0.3, 0.7]
[training]
learning_rate = 0.1
"""


def test_a_template_too_big_to_probe_is_one_line_before_the_work(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A few hundred bytes of template, 1,842 ranged givens: probing each at its ends would
    solve the network 5,500 times. The probe's work is counted first and refused."""
    path = tmp_path / "big.toml"
    path.write_text(BIG_NETWORK, encoding="utf-8")
    out = tmp_path / "class"
    assert main(["assign", str(path), "--students", "ana", "-o", str(out), "--secret", SECRET]) == 2
    err = _one_line(capsys)
    assert "1842 ranged givens" in err and "TRACEGRAD_MAX_PROBE_WORK" in err
    assert not out.exists()


def test_the_shipped_templates_are_well_within_the_probe_work() -> None:
    from tracegrad.autograd.limits import LIMITS

    from tracegrad.kit.template import PROBES, load_template

    for name in ("seed_article_template", "expression_template"):
        t = load_template(examples.path(name))
        ends = sum(len(t._ends(r)) for r in t.ranges)
        assert 10 * (PROBES + ends) * t.solve_size < LIMITS["probe_work"].value


@pytest.mark.parametrize(
    ("between", "says"),
    [
        ("[nan, 3]", "between must be two finite numbers, got [nan, 3]"),
        ("[-inf, 3]", "two finite numbers"),
        ("[-1e300, 1e300]", "307 digits in one number; the limit is 24"),
        ("[0, 1e30]", "TRACEGRAD_MAX_DIGITS"),
    ],
)
def test_ranges_that_cannot_be_drawn_name_the_file_and_the_given(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], between: str, says: str
) -> None:
    text = Path(TEMPLATE).read_text(encoding="utf-8")
    text = re.sub(r"^z = .*$", f"z = {{ between = {between}, digits = 6 }}", text, flags=re.M)
    path = tmp_path / "t.toml"
    path.write_text(text, encoding="utf-8")
    out = tmp_path / "class"
    assert main(["assign", str(path), "--students", "ana", "-o", str(out), "--secret", SECRET]) == 2
    err = _one_line(capsys)
    line = 1 + text[: text.index("z = {")].count("\n")
    assert f"{path}:{line}: given z:" in err and says in err


def test_a_precision_of_the_students_own_is_ignored_under_the_template(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The template asks for 4 decimals; a sheet that declares 1 for itself is still marked
    against 4, and the note names the key it ignored."""
    out = _assign(tmp_path / "class", "ana")
    key = (out / "ta-only" / "ana" / "key.toml").read_text(encoding="utf-8")
    assert "min_decimals" not in key.split("[variant]")[0] or "min_decimals = 4" in key

    def two_decimals(m: re.Match[str]) -> str:
        return f"{m.group(1)} = {float(m.group(2)):.2f}"

    answers = key.index("[answers]")
    coarse = key[:answers] + re.sub(
        r"^(\S+) = (-?\d+\.\d{3,})$", two_decimals, key[answers:], flags=re.M
    )
    coarse = re.sub(r"^min_decimals = \d+\n", "", coarse, flags=re.M)
    coarse = coarse.replace("[variant]", "min_decimals = 1\n\n[variant]", 1)
    sheet = tmp_path / "in" / "ana" / "key.toml"
    sheet.parent.mkdir(parents=True)
    sheet.write_text(coarse, encoding="utf-8")
    capsys.readouterr()
    args = ["check", "--format", "gradescope", "--template", TEMPLATE, "--secret", SECRET]
    main([*args, str(sheet)])
    results = json.loads(capsys.readouterr().out)
    assert "min_decimals" in results["output"]
    imprecise = [t for t in results["tests"] if "too imprecise" in t["output"]]
    assert imprecise, results["tests"]
    assert results["score"] < results["extra_data"]["max_score"]


def test_a_made_secret_never_starts_with_a_dash(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A secret pasted after ``--secret`` that starts with '-' would be read as an option:
    the made one is drawn again until it does not (token_urlsafe gives '-' first 1 time in 64)."""
    draws = iter(["-" + SECRET[1:], "_" + SECRET[1:]])
    monkeypatch.setattr("tracegrad.kit.trust.secrets.token_urlsafe", lambda n: next(draws))
    made = tmp_path / "course.secret"
    assert new_secret_file(str(made)) == "_" + SECRET[1:]
    assert made.read_text(encoding="utf-8") == "_" + SECRET[1:] + "\n"

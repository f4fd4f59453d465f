"""The course kit: templates, a variant per student, keys the checker accepts, grading."""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path
from typing import Any

import pytest

from tracegrad import examples
from tracegrad.checker import check
from tracegrad.checker.reading.homework import tomllib
from tracegrad.cli import main
from tracegrad.kit.grade import grade, grade_all, gradebook
from tracegrad.kit.template import TemplateError, load_template, variant_seed

TEMPLATES = [n for n in examples.names() if n.endswith("_template")]
IDS = ["ana", "ben", "cy", "dee", "eli"]
SECRET = "Vq3-hT8zLr_0mWc5nJd2xY"  # 22 url-safe characters: 131 bits
OTHER = "another secret, just as long as the first"


def _assign(tmp_path: Path, name: str, ids: list[str], secret: str = SECRET) -> Path:
    out = tmp_path / name
    args = ["assign", str(examples.path(name)), "--students", *ids, "-o", str(out)]
    assert main([*args, "--secret", secret]) == 0
    return out


def _key(out: Path, student: str) -> Path:
    return out / "ta-only" / student / "key.toml"


def _handout(out: Path, student: str, name: str = "blank.toml") -> Path:
    return out / "handout" / student / name


def _givens(path: Path) -> dict[str, object]:
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    return {k: v for k, v in data.items() if k not in ("variant", "answers", "title")}


def test_two_templates_ship_and_are_listed(capsys: pytest.CaptureFixture[str]) -> None:
    assert set(TEMPLATES) == {"expression_template", "seed_article_template"}
    assert main(["examples"]) == 0
    listing = capsys.readouterr().out
    assert all(t in listing for t in TEMPLATES)
    assert examples.path("seed") == examples.path("seed_article")


@pytest.mark.parametrize("name", TEMPLATES)
def test_five_students_five_reproducible_variants(tmp_path: Path, name: str) -> None:
    first = _assign(tmp_path / "1", name, IDS)
    again = _assign(tmp_path / "2", name, IDS)
    givens = [json.dumps(_givens(_handout(first, i)), sort_keys=True) for i in IDS]
    assert len(set(givens)) == 5  # five different variants
    for i in IDS:
        files = [_key(first, i).relative_to(first)]
        files += [_handout(first, i, f).relative_to(first) for f in
                  ("blank.toml", "question.md", "question.html", "question.svg")]  # fmt: skip
        for f in files:
            assert (first / f).read_bytes() == (again / f).read_bytes(), (i, f)
    other = _assign(tmp_path / "3", name, IDS[:1], secret=OTHER)
    assert _key(other, "ana").read_bytes() != _key(first, "ana").read_bytes()


@pytest.mark.parametrize("name", TEMPLATES)
def test_every_key_is_accepted_and_one_changed_number_is_one_mistake(
    tmp_path: Path, name: str
) -> None:
    out = _assign(tmp_path, name, IDS)
    t = load_template(examples.path(name))
    for i in IDS:
        key = _key(out, i)
        report = check(key)
        assert report.ok and len(report.marks) == len(t.find), report.summary()
        data = tomllib.loads(key.read_text(encoding="utf-8"))
        assert all(isinstance(v, float) for v in data["answers"].values())  # plain numbers
        assert data["variant"]["student"] == i and "secret" not in key.read_text()
        # the blank is the same sheet, without the answers
        assert _givens(_handout(out, i)) == _givens(key)
    for n, answer in enumerate(t.find):  # one changed number: exactly one answer not accepted
        key = _key(out, IDS[n % 5])
        head, answers = key.read_text(encoding="utf-8").split("[answers]")
        line = re.search(rf"^{re.escape(_toml_key(answer))} = (\S+)$", answers, re.M)
        assert line
        new = f"{line.group(0)[: -len(line.group(1))]}{float(line.group(1)) + 0.37:.4f}"
        changed = head + "[answers]" + answers.replace(line.group(0), new)
        slip = tmp_path / f"slip{n}.toml"
        slip.write_text(changed, encoding="utf-8")
        report = check(slip)
        assert [m.label for m in report.wrong] == [answer], (answer, report.summary())
        graded = grade(str(slip), submitter=IDS[n % 5])
        lost = [x["name"] for x in graded["tests"] if x["score"] < x["max_score"]]
        assert lost == [answer] and graded["score"] == graded["max_score"] - t.points_of(answer)


def _toml_key(name: str) -> str:
    return name if re.fullmatch(r"[A-Za-z0-9_-]+", name) else json.dumps(name)


def test_the_question_page_shows_the_numbers_and_the_graph(tmp_path: Path) -> None:
    out = _assign(tmp_path, "expression_template", ["ana"])
    key = tomllib.loads(_key(out, "ana").read_text(encoding="utf-8"))
    page = _handout(out, "ana", "question.md").read_text(encoding="utf-8")
    html = _handout(out, "ana", "question.html").read_text(encoding="utf-8")
    for name, value in key["variables"].items():
        assert f"`{name}` = {value:g}" in page or f"`{name}` = {value}" in page
    assert "question.svg" in page and "<svg" in html and 'aria-label="computation graph"' in html
    svg = _handout(out, "ana", "question.svg").read_text(encoding="utf-8")
    assert "data ?" in svg and "grad" not in svg  # computed values hidden, no gradients
    shown = (html + svg).replace("&#45;", "-")
    for name, answer in key["answers"].items():  # the page never gives a value away
        if not name.startswith("d"):  # (a derivative may equal a given: df/dq = z)
            assert f"{answer:.4f}" not in shown, name


def _gradescope_valid(results: dict[str, object]) -> None:
    """The fields of Gradescope's autograder results.json, with their types."""
    assert set(results) <= {"score", "output", "visibility", "tests", "extra_data",
                            "execution_time", "stdout_visibility", "output_format"}  # fmt: skip
    assert isinstance(results["score"], float) and isinstance(results["output"], str)
    assert results["visibility"] in ("visible", "hidden", "after_due_date", "after_published")
    tests = results["tests"]
    assert isinstance(tests, list)
    total = 0.0
    for t in tests:
        assert set(t) <= {"score", "max_score", "status", "name", "number", "output", "tags",
                          "visibility", "extra_data", "name_format", "output_format"}  # fmt: skip
        assert isinstance(t["name"], str) and isinstance(t["output"], str)
        assert isinstance(t["score"], float) and isinstance(t["max_score"], float)
        assert 0 <= t["score"] <= t["max_score"]
        assert t["status"] in ("passed", "failed") and t["visibility"] == "visible"
        total += t["max_score"]
    assert 0 <= results["score"] <= max(total, 0.0)


def test_gradescope_results_are_valid(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = _assign(tmp_path, "seed_article_template", ["ana"])
    capsys.readouterr()
    key = _key(out, "ana")
    assert main(["check", "--format", "gradescope", str(key)]) == 0
    results = json.loads(capsys.readouterr().out)
    _gradescope_valid(results)
    assert results["score"] == sum(t["max_score"] for t in results["tests"]) == 13.0
    blank = _handout(out, "ana")  # handed in unfilled: 0 points, every answer missing
    assert main(["check", "--format", "gradescope", str(blank)]) == 1
    results = json.loads(capsys.readouterr().out)
    _gradescope_valid(results)
    assert results["score"] == 0.0 and {t["output"] for t in results["tests"]} == {"not answered"}
    bad = tmp_path / "bad.toml"
    bad.write_text("title = \n", encoding="utf-8")
    assert main(["check", "--format", "gradescope", str(bad)]) == 2
    captured = capsys.readouterr()
    results = json.loads(captured.out)
    _gradescope_valid(results)
    assert "could not be graded" in results["output"] and len(captured.err.splitlines()) == 1
    assert main(["check", "--format", "gradescope", str(key), str(blank)]) == 2
    assert "one submission" in capsys.readouterr().err


def test_partial_points_for_too_imprecise(tmp_path: Path) -> None:
    out = _assign(tmp_path, "expression_template", ["ana"])
    text = _key(out, "ana").read_text(encoding="utf-8")
    sheet = tomllib.loads(text)
    value = sheet["answers"]["q"]
    head, answers = text.split("[answers]")
    answers = re.sub(r"^q = .*$", f"q = {value:.1f}", answers, flags=re.M)  # too few figures
    text = head + "[answers]" + answers
    text = text.replace("[variant]", "min_sig_figs = 4\n\n[variant]", 1)
    slip = tmp_path / "imprecise.toml"
    slip.write_text(text, encoding="utf-8")
    report = check(slip)
    assert report.mark("q").verdict == "too imprecise"
    graded = grade(str(slip), submitter="ana")
    q = next(x for x in graded["tests"] if x["name"] == "q")
    assert q["score"] == 0.5 * q["max_score"]


def test_gradebook_one_row_per_file_and_a_row_for_a_bad_one(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = _assign(tmp_path, "expression_template", IDS)
    files = [str(_key(out, i)) for i in IDS]
    bad = tmp_path / "=cmd.toml"
    bad.write_bytes(b"\xff\xfe not text")
    files.insert(2, str(bad))
    capsys.readouterr()
    assert main(["check", "--format", "gradebook", "--jobs", "2", *files]) == 2
    captured = capsys.readouterr()
    rows = list(csv.DictReader(io.StringIO(captured.out)))
    assert len(rows) == len(files)
    assert [r["student_id"] for r in rows] == [*IDS[:2], "'=cmd", *IDS[2:]]
    assert rows[2]["score"] == "" and rows[2]["first_mistake"].startswith("cannot grade")
    assert all(r["score"] == r["max_score"] for r in rows if r is not rows[2])
    assert len(captured.err.splitlines()) == 1
    serial = gradebook(grade_all(files))
    assert captured.out == serial  # --jobs 2 gives the same rows as grading one by one


@pytest.mark.parametrize(
    ("body", "says"),
    [
        (
            '[variables]\nx = { between = [-3, 3], digits = 1 }\n[expressions]\nf = "log(x)"',
            "given x",
        ),
        (
            '[variables]\nx = { between = [-1, 1], digits = 1 }\n[expressions]\nf = "1 / x"',
            "given x",
        ),
        (
            '[variables]\nx = { between = [20, 30], digits = 0 }\n[expressions]\nf = "tanh(x)"',
            "rounds to 0",
        ),
        (
            '[variables]\nx = { between = [1, 1.05], digits = 1 }\n[expressions]\nf = "x"',
            "fewer than two numbers",
        ),
        ('[variables]\nx = { between = [1, 2], step = 1 }\n[expressions]\nf = "x"', "'step'"),
        ('[variables]\nx = 1\n[expressions]\nf = "x"', "at least one given"),
    ],
)
def test_bad_templates_get_one_line(tmp_path: Path, body: str, says: str) -> None:
    find = '"df/dx"' if "between = [20" in body or "log" in body else '"f"'
    path = tmp_path / "t.toml"
    path.write_text(f"[template]\nfind = [{find}]\n{body}\n", encoding="utf-8")
    with pytest.raises(TemplateError) as info:
        load_template(path)
    message = str(info.value)
    assert says in message and "\n" not in message and message.startswith(str(path))


def test_a_template_is_not_a_sheet(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", str(examples.path("expression_template"))]) == 2
    assert "tracegrad assign" in capsys.readouterr().err


def test_variants_depend_on_the_id_and_the_secret() -> None:
    t = load_template(examples.path("expression_template"))
    seeds = {variant_seed(s, t, i) for s in (SECRET, OTHER) for i in ("x", "y")}
    assert len(seeds) == 4


def _hand_in(tmp_path: Path, case: str, student: str, text: str) -> str:
    """``text`` handed in by ``student``: the file case/student.toml."""
    path = tmp_path / case / f"{student}.toml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_grading_against_the_template_refuses_changed_or_copied_numbers(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = _assign(tmp_path, "expression_template", ["ana", "ben"])
    template = str(examples.path("expression_template"))
    # ben's numbers and answers, relabelled as ana's and handed in by ana
    ben = _key(out, "ben").read_text(encoding="utf-8")
    copied = _hand_in(tmp_path, "copied", "ana", ben.replace('student = "ben"', 'student = "ana"'))
    text = _key(out, "ana").read_text(encoding="utf-8")
    z = re.search(r"^z = (\S+)$", text, re.M)
    assert z
    changed = _hand_in(tmp_path, "changed", "ana", text.replace(z.group(0), "z = 1.5", 1))
    # the title is the student's to change
    retitled = _hand_in(tmp_path, "retitled", "ana",
                        re.sub(r"^title = .*$", 'title = "mine"', text, flags=re.M))  # fmt: skip
    files = [str(_key(out, "ana")), copied, changed, retitled]
    capsys.readouterr()
    args = ["check", "--format", "gradebook", "--template", template, *files]
    assert main([*args, "--secret", SECRET]) == 2
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert [r["score"] for r in rows] == ["11", "", "", "11"]
    assert "copied from another student" in rows[1]["first_mistake"]
    assert "[variables]" in rows[2]["first_mistake"]
    assert main([*args[:-4], files[0], "--secret", OTHER]) == 2
    assert "not the variant" in capsys.readouterr().out
    assert main(["check", "--format", "gradebook", "--secret", SECRET, files[0]]) == 2
    assert "--template" in capsys.readouterr().err
    bad = ["check", "--format", "gradebook", "--template", str(examples.path("expression"))]
    assert main([*bad, "--secret", SECRET, files[0]]) == 2
    err = capsys.readouterr().err
    assert len(err.splitlines()) == 1 and "[template]" in err


def _template_file(tmp_path: Path, redraws: int) -> Path:
    path = tmp_path / f"t{redraws}.toml"
    path.write_text(
        f'[template]\nfind = ["f"]\nredraws = {redraws}\n'
        '[variables]\nx = { between = [0, 3], digits = 1 }\n[expressions]\nf = "x - 1"\n',
        encoding="utf-8",
    )
    return path


def _first_draw_hits(t: Any) -> str:
    """A student ID whose first draw is x = 1.0 (about one in 31)."""
    for k in range(1000):
        if t.draw(variant_seed(SECRET, t, f"id{k}"), 0)["variables"]["x"] == "1.0":
            return f"id{k}"
    raise AssertionError("no first draw of x = 1.0 in 1000 students")


def test_an_ill_posed_draw_is_redrawn_the_same_way_every_time(tmp_path: Path) -> None:
    t = load_template(_template_file(tmp_path, 20))  # f = 0.0 at x = 1.0: checks nothing
    hit = _first_draw_hits(t)
    v = t.variant(variant_seed(SECRET, t, hit))
    assert v.draw >= 1 and v.data["variables"]["x"] != "1.0" and v.answers["f"] != "0.0000"
    assert t.variant(variant_seed(SECRET, t, hit)) == v
    one_try = load_template(_template_file(tmp_path, 1))
    with pytest.raises(TemplateError) as info:
        one_try.variant(variant_seed(SECRET, one_try, _first_draw_hits(one_try)))
    assert "given x (drawn as 1.0)" in str(info.value) and "rounds to 0" in str(info.value)


def test_carried_forward_answers_earn_full_points(tmp_path: Path) -> None:
    out = _assign(tmp_path, "expression_template", ["ana"])
    text = _key(out, "ana").read_text(encoding="utf-8")
    sheet = tomllib.loads(text)
    q = sheet["answers"]["q"] + 1  # the slip
    f = q * sheet["variables"]["z"]  # worked on correctly from it
    head, answers = text.split("[answers]")
    answers = re.sub(r"^q = .*$", f"q = {q:.4f}", answers, flags=re.M)
    answers = re.sub(r"^f = .*$", f"f = {f:.4f}", answers, flags=re.M)
    slip = tmp_path / "slip.toml"
    slip.write_text(head + "[answers]" + answers, encoding="utf-8")
    graded = grade(str(slip), submitter="ana")
    scores = {x["name"]: (x["score"], x["output"]) for x in graded["tests"]}
    assert scores["q"][0] == 0.0 and "carried forward" in scores["f"][1]
    assert scores["f"][0] == 1.0 and graded["score"] == graded["max_score"] - 1

"""`tracegrad export gradescope|prairielearn`: the autograder.zip graded in a fake /autograder
tree, and a PrairieLearn question's generate/grade called with PrairieLearn-shaped data."""

from __future__ import annotations

import base64
import hashlib
import html
import importlib.util
import io
import json
import os
import re
import shutil
import subprocess
import sys
import uuid
import zipfile
from pathlib import Path
from typing import Any

import pytest
from tracegrad.autograd.drawing import embedded

from tracegrad import examples
from tracegrad.checker.reading.homework import tomllib
from tracegrad.cli import main
from tracegrad.kit import autograder
from tracegrad.kit.export import package_files
from tracegrad.kit.pl_question import answer_field, answer_fields
from tracegrad.kit.template import load_template
from tracegrad.kit.trust import read_secret_file

ROOT = Path(__file__).resolve().parents[1]
SECRET = "k2Vd9QmZr7LxTb4NwY8sPa"
EXPR = examples.path("expression_template")
ROSTER = "id,email,sid\nana,Ana@Uni.example,1001\nben,ben@uni.example,\ncy,cy@uni.example,1003\n"


# ---------------------------------------------------------------- Gradescope
@pytest.fixture(scope="module")
def course(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A class assigned from the expression template, and its autograder.zip."""
    home = tmp_path_factory.mktemp("course")
    (home / "roster.csv").write_text(ROSTER, encoding="utf-8")
    (home / "secret").write_text(SECRET + "\n", encoding="utf-8")
    ids = ["ana", "ben", "cy"]
    assert main(["assign", str(EXPR), "--students", *ids, "-o", str(home / "class"),
                 "--secret", SECRET]) == 0  # fmt: skip
    args = ["export", "gradescope", str(EXPR), "--roster", str(home / "roster.csv")]
    assert main([*args, "--secret-file", str(home / "secret"), "-o", str(home / "ag.zip")]) == 0
    return home


def _tree(course: Path, tmp_path: Path, sheet: str, users: list[dict[str, str]]) -> Path:
    root = tmp_path / "autograder"
    with zipfile.ZipFile(course / "ag.zip") as z:
        z.extractall(root / "source")
    (root / "submission").mkdir()
    (root / "submission" / "blank.toml").write_text(sheet, encoding="utf-8")
    meta = {"users": users, "assignment": {"id": 7, "title": "Backprop"}}
    (root / "submission_metadata.json").write_text(json.dumps(meta), encoding="utf-8")
    return root


def _key(course: Path, student: str) -> str:
    return (course / "class" / "ta-only" / student / "key.toml").read_text(encoding="utf-8")


def _answer(sheet: str, name: str, value: str) -> str:
    head, answers = sheet.split("[answers]")
    key = json.dumps(name) if "/" in name else name
    new, n = re.subn(rf"^{re.escape(key)} = \S+$", f"{key} = {value}", answers, flags=re.M)
    assert n == 1
    return head + "[answers]" + new


def _slip_carried(course: Path, student: str) -> str:
    """q = x + y written 1 too high, and f = q * z worked from that q: one slip, carried."""
    sheet = _key(course, student)
    given = tomllib.loads(sheet)["variables"]
    q = given["x"] + given["y"] + 1.0
    sheet = _answer(sheet, "q", f"{q:.4f}")
    return _answer(sheet, "f", f"{q * given['z']:.4f}")


def _results_format(results: dict[str, Any]) -> None:
    """Gradescope's results.json: what it reads, with the types it reads them as."""
    assert set(results) <= {"score", "execution_time", "output", "output_format", "visibility",
                            "stdout_visibility", "extra_data", "tests"}  # fmt: skip
    assert isinstance(results["score"], float) and isinstance(results["execution_time"], int)
    assert results["output_format"] == "text" and isinstance(results["output"], str)
    assert results["visibility"] == "visible" and results["stdout_visibility"] == "hidden"
    for t in results["tests"]:
        assert {"name", "score", "max_score", "status", "output", "tags"} <= set(t)
        assert t["status"] == ("passed" if t["score"] >= t["max_score"] else "failed")
        assert isinstance(t["tags"], list) and all(isinstance(x, str) for x in t["tags"])
    assert results["score"] == sum(t["score"] for t in results["tests"])


def _run(root: Path) -> dict[str, Any]:
    autograder.run(root)
    text = (root / "results" / "results.json").read_text(encoding="utf-8")
    results: dict[str, Any] = json.loads(text)
    _results_format(results)
    return results


def test_the_zip_holds_the_scripts_the_wheel_the_roster_and_the_secret(course: Path) -> None:
    with zipfile.ZipFile(course / "ag.zip") as z:
        names = z.namelist()
        assert names[:2] == ["setup.sh", "run_autograder"]
        for name in ("setup.sh", "run_autograder"):
            assert z.getinfo(name).external_attr >> 16 & 0o111  # executable
        assert z.read("course_secret") == SECRET.encode()  # the file's newline dropped
        assert z.read("template.toml") == EXPR.read_bytes()  # byte for byte: same variants
        roster = json.loads(z.read("roster.json"))
        assert roster[0] == {"id": "ana", "email": "ana@uni.example", "sid": "1001"}
        wheel = next(n for n in names if n.startswith("tracegrad-") and n.endswith(".whl"))
        whl = zipfile.ZipFile(io.BytesIO(z.read(wheel)))
        setup = z.read("setup.sh").decode()
    setup = "\n".join(line for line in setup.splitlines() if not line.startswith("#"))
    assert "--no-index" in setup and "apt-get" not in setup and "python3" in setup
    record = whl.read(f"{wheel.split('-py3')[0]}.dist-info/RECORD").decode().splitlines()
    for row in record[:-1]:  # every file's hash, as pip checks it
        path, digest, size = row.split(",")
        data = whl.read(path)
        want = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
        assert digest == f"sha256={want}" and int(size) == len(data), path
    shipped = {n.rsplit("/", 1)[0].replace("/", ".") for n in whl.namelist()
               if n.endswith("/__init__.py")}  # fmt: skip
    declared = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    assert shipped == set(declared["packages"])  # every package, as pyproject.toml lists them
    assert "tracegrad/examples/homework.schema.json" in whl.namelist()


def test_a_correct_sheet_earns_every_point(course: Path, tmp_path: Path) -> None:
    root = _tree(course, tmp_path, _key(course, "ana"), [{"email": "ana@uni.example"}])
    results = _run(root)
    t = load_template(EXPR)
    assert results["score"] == t.max_score() == 11.0
    assert [x["name"] for x in results["tests"]] == t.find
    assert all(x["status"] == "passed" and x["tags"] == [] for x in results["tests"])


def test_a_slip_costs_its_points_and_its_consequences_are_carried(
    course: Path, tmp_path: Path
) -> None:
    root = _tree(course, tmp_path, _slip_carried(course, "ben"), [{"email": "BEN@uni.example"}])
    results = _run(root)
    tests = {x["name"]: x for x in results["tests"]}
    assert results["score"] == 10.0  # q (1 point) lost, f carried forward in full
    assert tests["q"]["score"] == 0.0 and tests["q"]["tags"] == ["wrong"]  # no slip named
    assert tests["f"]["score"] == 1.0 and tests["f"]["tags"] == ["carried forward"]
    assert "first mistake: q" in results["output"]


def test_the_slip_s_kind_is_a_tag(course: Path, tmp_path: Path) -> None:
    sheet = _key(course, "cy")
    flipped = -tomllib.loads(sheet)["answers"]["df/dq"]
    root = _tree(course, tmp_path, _answer(sheet, "df/dq", f"{flipped:.4f}"),
                 [{"email": "cy@uni.example"}])  # fmt: skip
    tests = {x["name"]: x for x in _run(root)["tests"]}
    assert tests["df/dq"]["tags"] == ["sign flipped"] and tests["df/dq"]["score"] == 0.0


def test_a_sheet_copied_from_another_student_scores_zero(course: Path, tmp_path: Path) -> None:
    root = _tree(course, tmp_path, _key(course, "ben"), [{"email": "ana@uni.example"}])
    results = _run(root)
    assert results["score"] == 0.0 and results["tests"] == []
    assert "the sheet of ben, not yours (ana)" in results["output"]


def test_changed_givens_an_unknown_submitter_and_a_broken_sheet_score_zero(
    course: Path, tmp_path: Path
) -> None:
    sheet = re.sub(r"^x = \S+$", "x = 9.9", _key(course, "cy"), flags=re.M)
    by_sid = [{"email": "cy.personal@mail.example", "sid": "1003"}]  # matched by sid
    results = _run(_tree(course, tmp_path / "1", sheet, by_sid))
    assert results["score"] == 0.0 and "not the variant" in results["output"]
    stranger = [{"email": "eve@elsewhere.example", "sid": "999"}]
    results = _run(_tree(course, tmp_path / "2", _key(course, "cy"), stranger))
    assert results["score"] == 0.0 and "eve@elsewhere.example is not on" in results["output"]
    results = _run(_tree(course, tmp_path / "3", "q = [\n", [{"email": "cy@uni.example"}]))
    assert results["score"] == 0.0 and results["output"].startswith(
        "Your sheet could not be graded: blank.toml:"
    )
    assert "Traceback" not in results["output"] and "\n" not in results["output"]


def test_the_root_comes_from_the_environment(
    course: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = _tree(course, tmp_path, _key(course, "ana"), [{"email": "ana@uni.example"}])
    monkeypatch.setenv(autograder.ROOT_ENV, str(root))
    assert autograder.main() == 0
    assert json.loads((root / "results" / "results.json").read_text())["score"] == 11.0


def test_the_secret_file_loses_one_trailing_newline(tmp_path: Path) -> None:
    f = tmp_path / "s"
    cases = [("abc\n", "abc"), ("abc\r\n", "abc"), ("abc\n\n", "abc\n"), ("abc", "abc")]
    for text, secret in cases:
        f.write_bytes(text.encode())
        assert read_secret_file(str(f)) == secret


@pytest.mark.parametrize(
    ("roster", "secret", "expected"),
    [
        ("id,mail\nana,a@b.example\n", SECRET, "needs a header with id (or student_id) and email"),
        ("id,email\nana,a@b.example\nben,A@b.example\n", SECRET, "give the same email"),
        ("id,email\nana,a@b.example\nANA,c@d.example\n", SECRET, "differ only in case"),
        ("student_id,email\n../x,a@b.example\n", SECRET, "not a safe folder name"),
        ("id,email\nana,nobody\n", SECRET, "is not an e-mail address"),
        ("id,email\n" + "a,a@b.example\n" * 10_001, SECRET, "10001 students: at most 10000"),
        (ROSTER, "\n", "no course secret"),
        (ROSTER, "qz\n", "too short to hold 128 bits"),
    ],
)
def test_bad_input_is_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], roster: str, secret: str, expected: str
) -> None:
    (tmp_path / "r.csv").write_text(roster, encoding="utf-8")
    (tmp_path / "s").write_text(secret, encoding="utf-8")
    args = ["export", "gradescope", str(EXPR), "--roster", str(tmp_path / "r.csv")]
    out = tmp_path / "ag.zip"
    assert main([*args, "--secret-file", str(tmp_path / "s"), "-o", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and expected in err and err.startswith("tracegrad export: error:")
    assert not out.exists()


def test_no_platform_or_no_template_is_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["export"])
    assert exit_.value.code == 2
    assert main(["export", "prairielearn", "-o", "x"]) == 2
    assert "give a template or --example NAME" in capsys.readouterr().err


# ---------------------------------------------------------------- PrairieLearn
FIELD = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")


def test_the_field_rule() -> None:
    assert answer_field("df/dq") == "df_dq" and answer_field("dE/dw5") == "dE_dw5"
    assert answer_field("w5_new") == "w5_new" and answer_field("2x") == "a_2x"
    with pytest.raises(ValueError, match="would both be the field 'df_dq'"):
        answer_fields(["df/dq", "df_dq"])
    for name in examples.names():
        if name.endswith("_template"):
            find = load_template(examples.path(name)).find
            assert all(FIELD.match(f) for f in answer_fields(find).values())


def test_the_howto_page_states_the_field_rule_the_code_follows() -> None:
    page = (ROOT / "docs" / "how-to" / "prairielearn.md").read_text(encoding="utf-8")
    pairs = re.findall(r"`([^`\s]+)`\s+becomes\s+`([^`\s]+)`", page)
    assert len(pairs) >= 3
    assert all(answer_field(name) == field for name, field in pairs)


@pytest.fixture(scope="module")
def question(tmp_path_factory: pytest.TempPathFactory) -> Path:
    course = tmp_path_factory.mktemp("pl")
    out = course / "questions" / "backprop"
    assert main(["export", "prairielearn", str(EXPR), "-o", str(out), "--tag", "hw3"]) == 0
    return out


def test_the_question_folder(
    question: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    info = json.loads((question / "info.json").read_text(encoding="utf-8"))
    assert info["type"] == "v3" and info["tags"] == ["tracegrad", "hw3"]
    assert info["topic"] == "Backpropagation" and info["title"].startswith("Backprop through")
    assert uuid.UUID(info["uuid"]).version == 4
    page = (question / "question.html").read_text(encoding="utf-8")
    t = load_template(EXPR)
    inputs = re.findall(r'<pl-number-input answers-name="([^"]+)" label="([^"]+)"', page)
    assert inputs == [(answer_field(n), html.escape(n)) for n in t.find]
    assert "{{#params.givens}}" in page and "{{name}}" in page and "{{value}}" in page
    graph = html.unescape(re.search(r"<pl-graph>(.*)</pl-graph>", page, re.S).group(1))
    assert graph.strip().startswith("digraph") and "w0 | data ?" in graph
    assert b"<svg" in embedded.render(graph, "svg")  # what pl-graph reads is DOT Graphviz draws
    tags = re.findall(r"\{\{[^}]*\}\}", page)
    assert all(x.startswith(("{{#params.", "{{/params.", "{{.", "{{name", "{{value")) for x in tags)
    course = question.parents[1]
    assert (course / "serverFilesCourse" / "tracegrad" / "kit" / "pl_question.py").is_file()
    shipped = {p for p, _ in package_files()}
    assert {str(p.relative_to(course / "serverFilesCourse")) for p in
            (course / "serverFilesCourse").rglob("*") if p.is_file()} == shipped  # fmt: skip
    again = tmp_path / "q2"  # outside a course: the library beside server.py; a new uuid
    assert main(["export", "prairielearn", str(EXPR), "-o", str(again)]) == 0
    assert (again / "tracegrad" / "kit" / "pl_question.py").is_file()
    assert json.loads((again / "info.json").read_text())["uuid"] != info["uuid"]
    assert main(["export", "prairielearn", str(EXPR), "-o", str(again)]) == 2
    assert "already holds a question" in capsys.readouterr().err


def _server(question: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.setattr(sys, "path", list(sys.path))  # server.py adds the course's folder
    spec = importlib.util.spec_from_file_location("pl_server", question / "server.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _data(question: Path, seed: int) -> dict[str, Any]:
    library = question.parents[1] / "serverFilesCourse"
    options = {"question_path": str(question), "server_files_course_path": str(library)}
    return {"params": {}, "correct_answers": {}, "variant_seed": seed, "options": options}


def _submit(data: dict[str, Any], raw: dict[str, str]) -> dict[str, Any]:
    return {**data, "raw_submitted_answers": raw, "partial_scores": {}, "score": 0.0,
            "submitted_answers": {k: float(v) for k, v in raw.items()},
            "format_errors": {}, "feedback": {}}  # fmt: skip


def test_generate_draws_a_variant_per_seed(question: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    server = _server(question, monkeypatch)
    first, second, again = _data(question, 1), _data(question, 2), _data(question, 1)
    for d in (first, second, again):
        server.generate(d)
    assert first["params"] != second["params"] and first == again
    assert set(first["correct_answers"]) == set(answer_fields(load_template(EXPR).find).values())
    json.dumps(first, allow_nan=False)  # what PrairieLearn stores: plain JSON
    givens = {g["name"] for g in first["params"]["givens"]}
    assert givens == {"x", "y", "z", "w0", "x0", "w1", "x1", "w2"}


def test_grade_gives_full_carried_and_precision_credit(
    question: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    server = _server(question, monkeypatch)
    data = _data(question, 31337)
    server.generate(data)
    right = {k: f"{v:.4f}" for k, v in data["correct_answers"].items()}
    graded = _submit(data, right)
    server.grade(graded)
    assert graded["score"] == 1.0
    assert all(p["score"] == 1.0 for p in graded["partial_scores"].values())

    given = {g["name"]: float(g["value"]) for g in data["params"]["givens"]}
    q = given["x"] + given["y"] + 1.0  # a slip in q, and f worked from it
    slip = _submit(data, {**right, "q": f"{q:.4f}", "f": f"{q * given['z']:.4f}"})
    server.grade(slip)
    scores = slip["partial_scores"]
    assert scores["q"]["score"] == 0.0 and "wrong" in scores["q"]["feedback"]
    assert scores["f"]["score"] == 1.0 and "carried forward" in scores["f"]["feedback"]
    assert slip["score"] == pytest.approx(10 / 11)  # q's 1 point of 11 lost

    s = data["correct_answers"]["s"]  # the digits typed are marked, not the float parsed
    two, padded = f"{s:.2f}", f"{round(s, 2):.4f}"  # 0.25 (right to 2 decimals), 0.2500
    assert (right["s"], two, padded) == ("0.2497", "0.25", "0.2500")  # as the how-to says
    # the template asks for 4 decimals: 0.25 is too imprecise (half its point), 0.2500 wrong
    for typed, score in ((two, 0.5), (padded, 0.0)):
        graded = _submit(data, {**right, "s": typed})
        server.grade(graded)
        assert graded["partial_scores"]["s"]["score"] == score, typed

    odd = _submit(data, {k: v for k, v in right.items() if k != "s"})
    odd["raw_submitted_answers"]["q"] = "1,5"
    odd["raw_submitted_answers"]["f"] = "1." + "3" * 40  # one answer too long, the rest marked
    server.grade(odd)
    assert odd["partial_scores"]["f"]["feedback"] == "more than 24 digits"
    assert odd["partial_scores"]["df_dq"]["score"] == 1.0
    assert odd["partial_scores"]["s"] == {"score": 0.0, "weight": 1.0, "feedback": "not answered"}
    assert odd["partial_scores"]["q"]["feedback"] == "'1,5' is not a number"


# ---------------------------------------------------------------- in a fresh process
def _python3_first() -> dict[str, str]:
    """PATH with the test environment's python3 in front: setup.sh's python3 and pip."""
    here = Path(sys.executable).parent
    assert (here / "python3").exists()
    return {**os.environ, "PATH": f"{here}{os.pathsep}{os.environ['PATH']}"}


@pytest.mark.slow
def test_setup_sh_installs_offline_and_run_autograder_grades_three_sheets(
    course: Path, tmp_path: Path
) -> None:
    env = _python3_first()
    root = _tree(course, tmp_path, _key(course, "ana"), [{"email": "ana@uni.example"}])
    done = subprocess.run(["bash", "setup.sh"], cwd=root / "source", env=env,
                          capture_output=True, text=True, timeout=300)  # fmt: skip
    assert done.returncode == 0, done.stderr
    lib = root / "source" / "lib"
    tomli = next((root / "source").glob("tomli-*.whl"))  # what Python 3.10 installs as well
    pip = ["python3", "-m", "pip", "install", "--no-index", "--no-deps", "--target"]
    done = subprocess.run([*pip, str(tmp_path / "lib310"), str(tomli)], env=env,
                          capture_output=True, text=True, timeout=300)  # fmt: skip
    assert done.returncode == 0, done.stderr
    where = subprocess.run(
        ["python3", "-s", "-E", "-c", "import sys; sys.path[:0] = sys.argv[1:]; "
         "import tracegrad, tomli; print(tracegrad.__file__); print(tomli.__file__); "
         "print(tomli.loads('a = 1'))", str(lib), str(tmp_path / "lib310")],
        env=env, capture_output=True, text=True, cwd=tmp_path, timeout=60)  # fmt: skip
    assert where.stdout.splitlines() == [
        str(lib / "tracegrad" / "__init__.py"),
        str(tmp_path / "lib310" / "tomli" / "__init__.py"),
        "{'a': 1}",
    ], where.stderr
    env[autograder.ROOT_ENV] = str(root)
    sheets = {
        "right": (_key(course, "ana"), "ana@uni.example", 11.0),
        "slip": (_slip_carried(course, "ben"), "ben@uni.example", 10.0),
        "copied": (_key(course, "cy"), "ana@uni.example", 0.0),
    }
    for name, (sheet, email, score) in sheets.items():
        (root / "submission" / "blank.toml").write_text(sheet, encoding="utf-8")
        meta = {"users": [{"email": email, "id": "1", "name": name}]}
        (root / "submission_metadata.json").write_text(json.dumps(meta), encoding="utf-8")
        shutil.rmtree(root / "results", ignore_errors=True)
        done = subprocess.run(["bash", str(root / "source" / "run_autograder")], env=env,
                              capture_output=True, text=True, timeout=120)  # fmt: skip
        assert done.returncode == 0, done.stderr
        results = json.loads((root / "results" / "results.json").read_text(encoding="utf-8"))
        _results_format(results)
        assert results["score"] == score, (name, results["output"])


@pytest.mark.slow
def test_server_py_runs_on_the_library_it_ships_with(question: Path, tmp_path: Path) -> None:
    script = (
        "import importlib.util, json, sys\n"
        "spec = importlib.util.spec_from_file_location('server', sys.argv[1] + '/server.py')\n"
        "server = importlib.util.module_from_spec(spec); spec.loader.exec_module(server)\n"
        "opts = {'question_path': sys.argv[1], 'server_files_course_path': sys.argv[2]}\n"
        "d = {'params': {}, 'correct_answers': {}, 'variant_seed': 5, 'options': opts}\n"
        "server.generate(d)\n"
        "raw = {k: f'{v:.4f}' for k, v in d['correct_answers'].items()}\n"
        "d.update(raw_submitted_answers=raw, submitted_answers={}, partial_scores={}, score=0)\n"
        "server.grade(d)\n"
        "print(sys.modules['tracegrad'].__file__, d['score'])\n"
    )
    library = question.parents[1] / "serverFilesCourse"
    done = subprocess.run([sys.executable, "-s", "-c", script, str(question), str(library)],
                          cwd=tmp_path, capture_output=True, text=True, timeout=120)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == [str(library / "tracegrad" / "__init__.py"), "1.0"]


def test_the_reference_names_every_option_of_both_platforms() -> None:
    from tracegrad.cli import build_parser

    page = (ROOT / "docs" / "reference" / "cli.md").read_text(encoding="utf-8")
    section = page.split("## tracegrad export", 1)[1].split("\n## ", 1)[0]
    parser = build_parser("export")
    export = next(a for a in parser._actions if a.dest == "command").choices["export"]
    platforms = next(a for a in export._actions if a.dest == "target").choices
    assert set(platforms) == {"gradescope", "prairielearn"}
    for name, sub in platforms.items():
        assert f"tracegrad\nexport {name}" in section or f"tracegrad export {name}" in section
        for action in sub._actions:
            long = [o for o in action.option_strings if o.startswith("--") and o != "--help"]
            assert all(o in section for o in long), (name, long)


def test_the_sheet_is_the_one_toml_file_or_blank_toml(course: Path, tmp_path: Path) -> None:
    root = _tree(course, tmp_path, _key(course, "ana"), [{"email": "ana@uni.example"}])
    (root / "submission" / "notes.toml").write_text("x = 1\n", encoding="utf-8")
    assert _run(root)["score"] == 11.0  # blank.toml among several
    (root / "submission" / "blank.toml").rename(root / "submission" / "mine.toml")
    results = _run(root)
    assert results["score"] == 0.0 and "several sheets (mine.toml, notes.toml)" in results["output"]
    for f in (root / "submission").iterdir():
        f.unlink()
    assert "no sheet in your submission" in _run(root)["output"]

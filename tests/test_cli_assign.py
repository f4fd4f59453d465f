"""`tracegrad assign`: good input writes a class; bad IDs, rosters and secrets are one line."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest

from tracegrad import examples
from tracegrad.cli import main

TEMPLATE = str(examples.path("expression_template"))
SECRET = "course secret: pale kettle, nine swans"  # 38 characters, 222 bits by the bound


def _one_line(capsys: pytest.CaptureFixture[str]) -> str:
    err = capsys.readouterr().err
    assert len(err.splitlines()) == 1 and "Traceback" not in err
    return err


def test_assign_a_roster_with_the_secret_from_the_environment(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    roster = tmp_path / "roster.csv"
    roster.write_text("name,student_id\nAna,a1\nBen,b2\n\n", encoding="utf-8")
    monkeypatch.setenv("TRACEGRAD_COURSE_SECRET", SECRET)
    out = tmp_path / "class"
    assert main(["assign", TEMPLATE, "--roster", str(roster), "-o", str(out), "--solutions"]) == 0
    said = capsys.readouterr().out
    assert "wrote 14 files for 2 students" in said and "ta-only" in said
    assert sorted(p.name for p in out.iterdir()) == ["handout", "ta-only"]
    for tree in out.iterdir():
        assert sorted(p.name for p in tree.iterdir()) == ["a1", "b2"]
    staff = out / "ta-only" / "a1"
    assert (staff / "solution.md").read_text(encoding="utf-8").startswith("## ")
    assert (staff / "solution.tex").read_text(encoding="utf-8").startswith(r"\documentclass")
    again = tmp_path / "again"
    assert main(["assign", TEMPLATE, "--students", "a1", "-o", str(again), "--secret", SECRET]) == 0
    key = Path("ta-only", "a1", "key.toml")
    assert (again / key).read_bytes() == (out / key).read_bytes()
    # nothing a user saved is overwritten: a second run into the same folder is refused
    mine = out / "handout" / "a1" / "blank.toml"
    mine.write_text("my answers", encoding="utf-8")
    assert main(["assign", TEMPLATE, "--roster", str(roster), "-o", str(out)]) == 2
    assert "already exists; nothing was written" in _one_line(capsys)
    assert mine.read_text(encoding="utf-8") == "my answers"


@pytest.mark.parametrize(
    ("roster", "says"),
    [
        ("id\nok1\n../evil\n", "row 3"),
        ("id\nok1\na/b\n", "not a safe folder name"),
        ("id\n\x1b[31mred\n", "row 2"),
        ("id\nsame\nsame\n", "given twice"),
        ("", "no students"),
        ("id\n.hidden\n", "row 2"),
        ("id\n", "a header and no students"),
        ("student_id,name\n\n,\n", "a header and no students"),
        ("Username,Full name\nana,Ana A\n", "without an ID column"),
        ("name,login\nAna,ana\n", "without an ID column"),
        ("id\nana\nben\nAna\n", "row 4: student ID 'Ana' and 'ana'"),
    ],
)
def test_bad_rosters_are_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], roster: str, says: str
) -> None:
    path = tmp_path / "roster.csv"
    path.write_text(roster, encoding="utf-8")
    out = tmp_path / "class"
    assert (
        main(["assign", TEMPLATE, "--roster", str(path), "-o", str(out), "--secret", SECRET]) == 2
    )
    err = _one_line(capsys)
    assert says in err and "\x1b" not in err
    assert not out.exists()


def test_bad_input_is_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("TRACEGRAD_COURSE_SECRET", raising=False)
    out = str(tmp_path / "class")
    assert main(["assign", TEMPLATE, "--students", "a", "-o", out]) == 2
    assert "TRACEGRAD_COURSE_SECRET" in _one_line(capsys)
    assert main(["assign", TEMPLATE, "--students", "..", "-o", out, "--secret", SECRET]) == 2
    assert "not a safe folder name" in _one_line(capsys)
    sheet = str(examples.path("expression"))
    assert main(["assign", sheet, "--students", "a", "-o", out, "--secret", SECRET]) == 2
    assert "[template]" in _one_line(capsys)
    assert main(["assign", str(tmp_path / "nope.toml"), "--students", "a", "-o", out,
                 "--secret", SECRET]) == 2  # fmt: skip
    assert "no such file" in _one_line(capsys)
    missing = str(tmp_path / "none.csv")
    assert main(["assign", TEMPLATE, "--roster", missing, "-o", out, "--secret", SECRET]) == 2
    assert "no such file" in _one_line(capsys)
    assert main(["check", "--format", "gradebook", "--jobs", "0", sheet]) == 2
    assert "--jobs 0" in _one_line(capsys)
    assert main(["check", "--jobs", "2", sheet]) == 2
    assert "--format gradebook" in _one_line(capsys)


def test_solve_as_latex(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    assert main(["solve", "--format", "latex", str(examples.path("seed_article"))]) == 0
    tex = capsys.readouterr().out
    assert tex.startswith(r"\documentclass") and tex.rstrip().endswith(r"\end{document}")
    assert r"net\_h1 = x1{$\cdot$}w1 + x2{$\cdot$}w2 + b1" in tex and "0.5399" in tex
    assert r"(y1 - o1){$^2$}" in tex
    hostile = tmp_path / "h.toml"
    text = examples.path("expression").read_text(encoding="utf-8")
    hostile.write_text(text.replace('title = "', 'title = "\\\\input{/etc/passwd} $x$ ', 1),
                       encoding="utf-8")  # fmt: skip
    assert main(["solve", "--format", "latex", str(hostile)]) == 0
    tex = capsys.readouterr().out
    assert r"\input" not in tex and r"\textbackslash{}input\{/etc/passwd\} \$x\$" in tex


def test_examples_copy_writes_the_templates_apart(tmp_path: Path) -> None:
    assert main(["examples", "--copy", str(tmp_path / "sheets")]) == 0
    for name in ("seed_article_template", "expression_template"):
        copied = tmp_path / "sheets" / "templates" / f"{name}.toml"
        assert copied.read_bytes() == examples.path(name).read_bytes()
        assert not (tmp_path / "sheets" / f"{name}.toml").exists()


def test_a_copied_folder_is_checked_with_one_glob(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`tracegrad examples --copy hw && tracegrad check hw/*.toml`, as the README says: every
    sheet is checked (some hold mistakes on purpose: exit 1), none is refused (exit 2)."""
    assert main(["examples", "--copy", str(tmp_path / "hw")]) == 0
    sheets = sorted(str(p) for p in (tmp_path / "hw").glob("*.toml"))
    assert len(sheets) == len([n for n in examples.names() if not examples.is_template(n)])
    capsys.readouterr()
    assert main(["check", *sheets]) == 1
    err = capsys.readouterr().err
    assert "template" not in err and err == ""


def test_hostile_text_in_a_template_stays_text(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = examples.path("expression_template").read_text(encoding="utf-8")
    hostile = r'title = "<script>alert(1)</script> \u001b[8m [x](javascript:1)\n\"q\" = 1"'
    path = tmp_path / "t.toml"
    path.write_text(re.sub(r"^title = .*$", lambda _: hostile, text, flags=re.M), "utf-8")
    out = tmp_path / "class"
    assert main(["assign", str(path), "--students", "ana", "-o", str(out), "--secret", SECRET]) == 0
    page = (out / "handout" / "ana" / "question.html").read_text(encoding="utf-8")
    assert "<script>" not in page and "\x1b" not in page
    md = (out / "handout" / "ana" / "question.md").read_text(encoding="utf-8")
    assert "<script>" not in md and r"\[x\](javascript" in md  # escaped: no link
    from tracegrad.checker import check

    key = check(out / "ta-only" / "ana" / "key.toml")  # the title cannot add an answer to the sheet
    assert key.ok and "q" in key.verdicts() and key.title.startswith("<script>")


def test_an_output_that_is_a_file_is_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    taken = tmp_path / "taken"
    taken.write_text("mine", encoding="utf-8")
    assert main(["assign", TEMPLATE, "--students", "a", "-o", str(taken), "--secret", SECRET]) == 2
    _one_line(capsys)
    assert taken.read_text(encoding="utf-8") == "mine"


# titles a TA may write: Greek, accents, CJK, an emoji, TeX's own specials, brackets after \item
TITLES = [
    "σ-Netz: Übung für Zoë",
    "Ωμέγα ΑΒΓ ς έ ǘ",
    "反向传播 練習 😀",
    r"\input{/etc/passwd} $x$ % # & ~ ^ _ { } [opt]",
    "[first] – “quoted” … ×±≤≥≠∞°µ",
]


def _latex_of(tmp_path: Path, title: str, capsys: pytest.CaptureFixture[str]) -> str:
    sheet = tmp_path / "titled.toml"
    text = examples.path("expression").read_text(encoding="utf-8")
    line = f"title = {json.dumps(title, ensure_ascii=False)}"
    sheet.write_text(re.sub(r"^title = .*$", lambda _: line, text, flags=re.M), encoding="utf-8")
    capsys.readouterr()
    assert main(["solve", "--format", "latex", str(sheet)]) == 0
    return capsys.readouterr().out


@pytest.mark.parametrize("title", TITLES)
def test_the_latex_is_ascii_whatever_the_title(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], title: str
) -> None:
    """pdflatex sets ASCII: everything else is mapped (σ as math, é as an accent) or shown
    as its code point; math is braced, so two in a row never make $$."""
    tex = _latex_of(tmp_path, title, capsys)
    assert tex.isascii() and "$$" not in tex and r"\input" not in tex
    from tracegrad.kit.latex import latex_text

    assert latex_text("σ") == r"{$\sigma$}" and latex_text("é") == r"\'{e}"
    assert latex_text("中") == "{[}U+4E2D{]}" and latex_text("[x]") == "{[}x{]}"


@pytest.mark.tex
@pytest.mark.parametrize("title", TITLES)
def test_pdflatex_compiles_the_solution_whatever_the_title(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], title: str
) -> None:
    tex = tmp_path / "solution.tex"
    tex.write_text(_latex_of(tmp_path, title, capsys), encoding="utf-8")
    done = subprocess.run(
        ["pdflatex", "-interaction=nonstopmode", "-halt-on-error", "-no-shell-escape",
         tex.name], cwd=tmp_path, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout[-3000:]
    assert (tmp_path / "solution.pdf").stat().st_size > 1000


def test_the_list_of_examples_is_in_aligned_columns(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["examples"]) == 0
    lines = capsys.readouterr().out.split("\n\n")[0].splitlines()
    assert len(lines) == len(examples.names())
    starts = {len(line) - len(line.split("  ", 1)[1].lstrip()) for line in lines}
    assert len(starts) == 1  # every title starts in the same column
    assert all(line.endswith("(a template: tracegrad assign)") == ("_template " in line + " ")
               or "_template" in line.split()[0] for line in lines)  # fmt: skip

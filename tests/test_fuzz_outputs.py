"""Hostile outputs, generated: text a student controls reaching every format, links as
output names, and a full disk under every writer (the output half of test_fuzz.py).

Each run is a child process under test_fuzz's CPU and memory limits. ``make test`` runs the
quick budget; ``make test-fuzz`` the long one.
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from fuzzkit import LONG, QUICK, _assert_clean, _fuzz, _limits, _run
from hypothesis import strategies as st

pytestmark = pytest.mark.slow
# Four formats and two commands per sheet: a third of test_fuzz's quick count keeps make test
# short; make test-fuzz runs the long count.
BUDGETS = [
    pytest.param(max(4, QUICK // 3), id="quick"),
    pytest.param(LONG, id="long", marks=pytest.mark.fuzz),
]

RAW_CONTROL = re.compile(rb"\x1b|\xc2[\x80-\x9f]|[\x00-\x08\x0b-\x1f\x7f]")
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")

# Pieces a hostile student types into a sheet's strings: terminal escapes (CSI, OSC 52, C1),
# markup (HTML, markdown links, code-span delimiters, table pipes), formula starts, bidi.
PIECES = st.sampled_from(
    [
        "\x1b[8m", "\x1b[2J", "\x1b]52;c;aGk=\x07", "\x9b31m", "\x85", "\r", "\t", "\n",
        "\x00", "\x7f", "<script>alert(1)</script>", "</script>", "<!--", "<img src=x>",
        "[l](javascript:alert(1))", "`", "``", "```", "|", "\\", "*", "_", "&lt;", "=1+1",
        "+", "-", "@SUM(A1)", "\u202e", "\u2028", "x", " ", "0.5",
    ]
)  # fmt: skip
HOSTILE_TEXT = st.lists(PIECES, max_size=6).map("".join)
NAME_PIECES = st.sampled_from(["=HYPERLINK(\"x\")", "@SUM(1+1)", "+1+1", "-", "\x1b[8m", "\r",
                                "`", "<b>", "\udcff", "name", " "])  # fmt: skip
FILE_STEMS = st.lists(NAME_PIECES, min_size=1, max_size=4).map("".join)
FORMATS = st.sampled_from(["text", "markdown", "csv", "json"])


def _refuse(name: str) -> None:
    raise ValueError(f"{name} is not strict JSON")


def _assert_safe(fmt: str, out: bytes) -> None:
    """What a terminal, a spreadsheet and a strict JSON parser get is safe."""
    assert not RAW_CONTROL.search(out), out[:2000]
    text = out.decode("utf-8")  # never a lone surrogate (that would not encode at all)
    if fmt == "csv":
        for row in list(csv.reader(io.StringIO(text)))[1:]:
            for cell in row:
                if cell.startswith(FORMULA_START):
                    float(cell)  # only a number may start like a formula
    elif fmt == "json":
        json.loads(text, parse_constant=_refuse)
    elif fmt == "markdown":
        assert not re.search(r"<[a-zA-Z/!]", text.replace("&lt;", "")), text[:2000]


def _sheet_text(title: str, note: str, label: str) -> str:
    return (
        f"title = {json.dumps(title)}\n[variables]\nx = 1000\ny = 2\n"
        f'[expressions]\nf = "x*y"\nbig = "exp(x)"\n'
        f"[answers]\n{json.dumps('f (' + note + ')')} = 2000.5\nbig = 1.5\n"
        f"{json.dumps(label)} = 3.5\n"
    )


@pytest.mark.parametrize("budget", BUDGETS)
def test_hostile_text_in_every_field_and_format(
    budget: int, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """Title, answer notes and labels, file names: control characters and markup, through
    check and solve in every format."""

    def body(case: tuple[str, str, str, str, str, str]) -> None:
        title, note, label, stem, fmt, command = case
        folder = tmp_path_factory.mktemp("out")
        name = os.fsencode(stem.replace("/", "_").replace("\x00", "_")) + b".toml"
        (
            Path(os.fsencode(folder).decode("utf-8", "surrogateescape")) / os.fsdecode(name)
        ).write_text(_sheet_text(title, note, label), encoding="utf-8")
        if command == "solve" and fmt in ("csv", "json"):
            fmt = "markdown"  # solve writes text and markdown
        argv = [
            sys.executable,
            "-m",
            "tracegrad",
            command,
            "--format",
            fmt,
            "--",
            os.fsdecode(name),
        ]
        done = _run(argv, folder)
        _assert_clean(done, command, ok=(0, 1) if command == "check" else (0,))
        _assert_safe(fmt, done.stdout)
        assert not RAW_CONTROL.search(done.stderr), done.stderr[:2000]

    strategy = st.tuples(
        HOSTILE_TEXT, HOSTILE_TEXT, HOSTILE_TEXT, FILE_STEMS, FORMATS,
        st.sampled_from(["check", "check", "solve"]),
    )  # fmt: skip
    _fuzz(budget, strategy, body)


# ---------------------------------------------------------------- every writer
SHEET = (
    'title = "t"\n[variables]\na = 2\nb = -3\n[expressions]\n'
    'f = "tanh(a*b + a) * exp(b) + sigmoid(a/b)"\n[answers]\nf = 1\n'
)
SAVE = "from tracegrad.nn import MLP, save\nsave(MLP(10, [20, 1], seed=1), {out!r})\n"
DOT = (
    "from tracegrad.autograd import Value\nfrom tracegrad.autograd.drawing.render import draw\n"
    "a = Value(2.0, label='a')\nf = (a * a).tanh() + a.exp()\nf.backward()\n"
    "draw(f).save({out!r})\n"
)
PAGE = (
    "from tracegrad.autograd import Value\n"
    "from tracegrad.autograd.explaining.page import backward_page\n"
    "a = Value(2.0, label='a')\nf = (a * a).tanh()\nf.backward()\n"
    "backward_page(f).save({out!r})\n"
)
EXPR = ["tanh(a*b + a) * exp(b)", "--set", "a=2", "b=-3"]
WRITERS = {
    "draw -o x.svg": ("draw", [*EXPR, "-o", "{out}"], "keep.svg"),
    "draw -o x.png": ("draw", [*EXPR, "-o", "{out}"], "keep.png"),
    "draw -o x.pdf": ("draw", [*EXPR, "-o", "{out}"], "keep.pdf"),
    "step -o x.html": ("step", [*EXPR, "-o", "{out}"], "keep.html"),
    "solve --graph x.svg": ("solve", ["sheet.toml", "--graph", "{out}"], "keep.svg"),
    "nn.save": ("python", [SAVE], "keep.json"),
    "Drawing.save (DOT source)": ("python", [DOT], "keep.gv"),
    "BackwardPage.save": ("python", [PAGE], "keep.html"),
}
LIMIT = 700  # bytes: every writer above writes more than this


def _writer_argv(key: str, out: str) -> tuple[str, list[str]]:
    command, args, _ = WRITERS[key]
    if command == "python":
        return command, [sys.executable, "-c", args[0].format(out=out)]
    return command, [sys.executable, "-m", "tracegrad", command, *(a.format(out=out) for a in args)]


def _folder(tmp_path: Path, key: str) -> tuple[Path, bytes]:
    (tmp_path / "sheet.toml").write_text(SHEET, encoding="utf-8")
    old = b"the file a user saved before: must survive\n"
    (tmp_path / WRITERS[key][2]).write_bytes(old)
    return tmp_path / WRITERS[key][2], old


@pytest.mark.parametrize("key", list(WRITERS))
def test_a_full_disk_leaves_the_existing_file_intact(key: str, tmp_path: Path) -> None:
    keep, old = _folder(tmp_path, key)
    command, argv = _writer_argv(key, keep.name)
    code = (
        "import resource, runpy, signal, sys\n"
        f"resource.setrlimit(resource.RLIMIT_FSIZE, ({LIMIT}, {LIMIT}))\n"
        "signal.signal(signal.SIGXFSZ, signal.SIG_IGN)\n"
    )
    if command == "python":
        code += argv[2]
    else:
        code += f"sys.argv = {['tracegrad', *argv[3:]]!r}\n"
        code += "runpy.run_module('tracegrad', run_name='__main__')\n"
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=tmp_path, capture_output=True, timeout=300
    )
    err = done.stderr.decode("utf-8", "replace")
    if command == "python":
        assert done.returncode == 1 and "File too large" in err, err[-1500:]
    else:
        assert done.returncode == 2 and err.count("\n") == 1, err[-1500:]
        assert "File too large" in err and ".tmp" not in err, err
    assert keep.read_bytes() == old
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(["sheet.toml", keep.name])


@pytest.mark.parametrize("key", list(WRITERS))
@pytest.mark.parametrize("link", ["to a file", "dangling"])
def test_a_link_as_the_output_is_refused_and_its_target_kept(
    key: str, link: str, tmp_path: Path
) -> None:
    keep, old = _folder(tmp_path, key)
    target = keep if link == "to a file" else tmp_path / "outside" / "nothing"
    out = tmp_path / f"link{keep.suffix}"
    out.symlink_to(target)
    command, argv = _writer_argv(key, out.name)
    done = _run(argv, tmp_path)
    err = done.stderr.decode("utf-8", "replace")
    assert "is a symbolic link" in err, err[-1500:]
    if command != "python":
        _assert_clean(done, command, ok=())
    assert keep.read_bytes() == old and out.is_symlink() and not (tmp_path / "outside").exists()


def test_a_full_disk_during_examples_copy_leaves_only_whole_files(tmp_path: Path) -> None:
    from tracegrad import examples

    code = (
        "import resource, runpy, signal, sys\n"
        f"resource.setrlimit(resource.RLIMIT_FSIZE, ({LIMIT}, {LIMIT}))\n"
        "signal.signal(signal.SIGXFSZ, signal.SIG_IGN)\n"
        "sys.argv = ['tracegrad', 'examples', '--copy', 'dest']\n"
        "runpy.run_module('tracegrad', run_name='__main__')\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=tmp_path, capture_output=True, timeout=300
    )
    err = done.stderr.decode("utf-8", "replace")
    assert done.returncode == 2 and err.count("\n") == 1 and "File too large" in err, err
    for copied in (tmp_path / "dest").iterdir():  # what was copied is whole; nothing else
        assert copied.read_bytes() == (examples.FOLDER / copied.name).read_bytes()


# A student at `tracegrad practice` pipes in whatever they like: escapes, OSC 52, BEL, binary,
# numbers beyond a float.
ANSWERS = st.lists(
    HOSTILE_TEXT | st.sampled_from(["1e400", "-1e309", "1e-400", "-3", "2", "?", "\udcff\udcfe"]),
    max_size=8,
)


@pytest.mark.parametrize("budget", BUDGETS)
def test_hostile_practice_answers_are_shown_escaped(
    budget: int, tmp_path_factory: pytest.TempPathFactory
) -> None:
    folder = tmp_path_factory.mktemp("practice")
    argv = [sys.executable, "-m", "tracegrad", "practice", "x * y", "--set", "x=2", "y=-3"]

    def body(lines: list[str]) -> None:
        data = "\n".join(lines).encode("utf-8", "surrogateescape") + b"\n"
        done = subprocess.run(argv, input=data, cwd=folder, capture_output=True, timeout=120,
                              preexec_fn=_limits)  # fmt: skip
        _assert_clean(done, "practice", (0,))
        assert not RAW_CONTROL.search(done.stdout), done.stdout[-500:]

    _fuzz(budget, ANSWERS, body)


# A TA's roster with a student's help: unsafe names, case twins, escapes, empty cells.
ROSTER_IDS = st.sampled_from(["alice", "ALICE", "Alice@Uni.Example", "alice@uni.example", "bob",
                              "..", "../x", "a/b", ".hidden", "\x1b[2J", "=cmd", " ", "", "ä",
                              "x" * 65, "carol", "dave"])  # fmt: skip
SECRET = "hostile rosters, a secret long enough"


@pytest.mark.parametrize(
    "budget", [max(4, QUICK // 4), pytest.param(LONG // 4, marks=pytest.mark.fuzz)]
)
def test_hostile_rosters_write_inside_o_or_nothing(
    budget: int, tmp_path_factory: pytest.TempPathFactory
) -> None:
    from tracegrad import examples

    template = str(examples.path("expression_template"))

    def body(case: tuple[bool, list[str]]) -> None:
        header, ids = case
        folder = tmp_path_factory.mktemp("roster")
        roster = folder / "roster.csv"
        roster.write_text(("id\n" if header else "") + "\n".join(ids) + "\n", encoding="utf-8")
        argv = [sys.executable, "-m", "tracegrad", "assign", template, "--roster", str(roster),
                "-o", str(folder / "class"), "--secret", SECRET]  # fmt: skip
        done = subprocess.run(argv, cwd=folder, capture_output=True, timeout=120,
                              preexec_fn=_limits)  # fmt: skip
        _assert_clean(done, "assign", (0,))
        written = [p.relative_to(folder) for p in folder.rglob("*") if p.is_file()]
        assert all(p.parts[0] == "class" for p in written if p.name != "roster.csv")
        if done.returncode != 0:
            assert not (folder / "class").exists()
            return
        kept = {p.parts[2] for p in written if p.parts[:2] == ("class", "ta-only")}
        handed = {p.parts[2] for p in written if p.parts[:2] == ("class", "handout")}
        assert kept == handed and len({k.casefold() for k in kept}) == len(kept)
        assert not any(p.name == "key.toml" for p in written if "handout" in p.parts)

    _fuzz(budget, st.tuples(st.booleans(), st.lists(ROSTER_IDS, max_size=5)), body)

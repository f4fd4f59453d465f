"""tracegrad.autograd.safety: untrusted text printed safely, every file written safely.

The sanitising functions one by one, the safe-write helper (links, inputs, folders, no
litter), the commands' messages that use them, and a source scan that keeps every file write
in the one helper.
"""

from __future__ import annotations

import json
import os
import re
import stat
from pathlib import Path

import pytest
from markdown_it import MarkdownIt
from tracegrad.autograd import Value
from tracegrad.autograd.safety import (
    OutputError,
    check_output,
    csv_cell,
    dumps_json,
    md_code,
    md_fence,
    md_text,
    printable,
    write_atomic,
)

from tracegrad.cli import main

ROOT = Path(__file__).resolve().parent.parent

# ------------------------------------------------------------------ printable


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        ("a\x1b[8mb", "a\\x1b[8mb"),  # hides what follows
        ("\x1b]52;c;aGk=\x07", "\\x1b]52;c;aGk=\\x07"),  # OSC 52: writes the clipboard
        ("x\x9by", "x\\x9by"),  # C1 CSI
        ("\x7f\x00", "\\x7f\\x00"),
        ("over\rwrite", "over\\rwrite"),
        ("bytes \udcff\udcfe", "bytes \\xff\\xfe"),  # a file name that is not UTF-8
        ("lone \ud800", "lone \\ud800"),
        ("bidi \u202e txt", "bidi \\u202e txt"),
        ("line\u2028sep", "line\\u2028sep"),
        ("kept\nand\ttab", "kept\nand\ttab"),
        ("ünïcödé σ ∂E/∂w", "ünïcödé σ ∂E/∂w"),
    ],
)
def test_printable_shows_every_control_character(raw: str, shown: str) -> None:
    assert printable(raw) == shown
    assert not re.search(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff]", printable(raw))
    printable(raw).encode("utf-8")  # never a raw surrogate


def test_a_one_line_field_cannot_fake_a_second_line() -> None:
    assert printable("Sheet\n3 of 3 accepted\tok", line=True) == "Sheet\\n3 of 3 accepted\\tok"


# ------------------------------------------------------------------ markdown

MD = MarkdownIt("commonmark", {"html": True}).enable("table")
HOSTILE = [
    "Sheet 3<script>document.title='PWNED-md'</script>",
    "</script><!-- x",
    "<img src=x onerror=alert(1)>",
    "[l](javascript:alert(1))",
    "a ` b `` c",
    "``` fence",
    "*bold* _em_ ~~s~~ | cell",
    "\\`escaped\\` \\<b>",
    "&lt;b&gt; &amp;",
    "\x1b[8mhidden",
]


@pytest.mark.parametrize("text", HOSTILE)
def test_markdown_text_renders_as_the_text_itself(text: str) -> None:
    html = MD.render(f"### {md_text(text)}\n\n| a | b |\n|---|---|\n| {md_text(text)} | x |\n")
    assert not re.search(r"<(?!/?(h3|table|thead|tbody|tr|th|td|p)\b)[a-zA-Z!/]", html), html
    assert "href" not in html and "<code>" not in html and "<em>" not in html


@pytest.mark.parametrize("text", HOSTILE)
def test_a_code_span_holds_any_text_and_closes(text: str) -> None:
    html = MD.render(f"before {md_code(text)} after\n")
    inner = re.fullmatch(r"<p>before <code>(.*)</code> after</p>\n", html, re.S)
    assert inner is not None, html
    assert "<" not in inner.group(1).replace("&lt;", "")


def test_a_fenced_block_cannot_be_closed_from_inside() -> None:
    html = MD.render(md_fence("x = 1\n```\n<script>alert(1)</script>") + "\n\nafter\n")
    assert html.count("<pre>") == 1 and "<script" not in html and html.endswith("<p>after</p>\n")


# ------------------------------------------------------------------ csv and json


@pytest.mark.parametrize(
    ("value", "cell"),
    [
        ('=HYPERLINK("http://x","grade").toml', '\'=HYPERLINK("http://x","grade").toml'),
        ("@SUM(1+1)*cmd|' -c calc'!A0.toml", "'@SUM(1+1)*cmd|' -c calc'!A0.toml"),
        ("+1+1.toml", "'+1+1.toml"),
        ("-2+3", "'-2+3"),
        ("\tx", "\\tx"),  # a tab is shown, so it no longer starts the cell
        ("-0.5", "-0.5"),  # a number written as text stays a number
        ("+1e-3", "+1e-3"),
        ("dE/dw5", "dE/dw5"),
        (-0.5, -0.5),
        (3, 3),
        (None, None),
    ],
)
def test_csv_cells_never_start_a_formula(value: object, cell: object) -> None:
    assert csv_cell(value) == cell


def _strict(text: str) -> object:
    def refuse(name: str) -> None:
        raise ValueError(f"{name} in strict JSON")

    return json.loads(text, parse_constant=refuse)


def test_json_is_strict_and_says_why_a_number_is_null() -> None:
    doc = {"expected": float("inf"), "x": [float("nan"), 1.5], "name": "f\x1b[8m\udcff"}
    back = _strict(dumps_json(doc))
    assert back == {
        "expected": None,
        "x": [None, 1.5],
        "name": "f\\x1b[8m\\xff",
        "not_finite": {"expected": "inf"},
    }


# ------------------------------------------------------------------ write_atomic


def test_write_replaces_keeps_permissions_and_leaves_no_litter(tmp_path: Path) -> None:
    path = tmp_path / "out.svg"
    path.write_bytes(b"old")
    path.chmod(0o640)
    assert write_atomic(path, "new ✓") == path
    assert path.read_text(encoding="utf-8") == "new ✓"
    assert stat.S_IMODE(path.stat().st_mode) == 0o640
    write_atomic(path, b"\x00bytes")
    assert path.read_bytes() == b"\x00bytes" and os.listdir(tmp_path) == ["out.svg"]


def test_links_are_never_written_through(tmp_path: Path) -> None:
    target = tmp_path / "sheet.toml"
    target.write_text("title = 'mine'\n")
    link = tmp_path / "s.html"
    link.symlink_to(target)
    with pytest.raises(OutputError, match="s.html: is a symbolic link"):
        write_atomic(link, "<html>")
    assert target.read_text() == "title = 'mine'\n" and link.is_symlink()
    outside = tmp_path / "outside.toml"
    dangling = tmp_path / "d.toml"
    dangling.symlink_to(outside)
    with pytest.raises(OutputError):
        write_atomic(dangling, "x")
    assert not outside.exists()


def test_a_link_to_a_pipe_is_written_as_a_stream(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    link = tmp_path / "out"
    link.symlink_to(fifo)
    reader = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)
    try:
        write_atomic(link, "through the pipe")
        assert os.read(reader, 100) == b"through the pipe"
    finally:
        os.close(reader)
    assert stat.S_ISFIFO(fifo.stat().st_mode) and link.is_symlink()


def test_an_input_is_never_overwritten_even_by_another_name(tmp_path: Path) -> None:
    sheet = tmp_path / "sheet.toml"
    sheet.write_text("x")
    other = tmp_path / "copy.html"
    os.link(sheet, other)
    for out in (sheet, other):
        with pytest.raises(OutputError, match="one of this command's inputs"):
            write_atomic(out, "page", inputs=[sheet])
    assert sheet.read_text() == "x"


@pytest.mark.parametrize(
    ("name", "says"),
    [("missing/x.svg", "no folder"), ("adir", "is a folder"), ("", "is not a file name")],
)
def test_bad_outputs_name_the_users_path(tmp_path: Path, name: str, says: str) -> None:
    (tmp_path / "adir").mkdir()
    path = str(tmp_path / name) if name else ""
    with pytest.raises(OutputError, match=says) as caught:
        check_output(path)
    assert path in str(caught.value) and ".tmp" not in str(caught.value)


# ------------------------------------------------------------------ commands


def _sheet(folder: Path, name: str, title: str, answer: str = "f") -> Path:
    path = folder / name
    path.write_text(
        f'title = {json.dumps(title)}\n[variables]\nx = 2\n[expressions]\nf = "x*x"\n'
        f"[answers]\n{json.dumps(answer)} = 4.5\n",
        encoding="utf-8",
    )
    return path


@pytest.mark.parametrize("fmt", ["text", "markdown"])
@pytest.mark.parametrize("command", ["check", "solve"])
def test_escapes_in_a_sheet_never_reach_the_terminal(
    command: str, fmt: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _sheet(tmp_path, "s\x1b[2J.toml", "T\x1b[8m\x9b\x1b]52;c;aGk=\x07", "f (note\x1b[8m)")
    assert main([command, "--format", fmt, str(path)]) in (0, 1)
    out, err = capsys.readouterr()
    assert not re.search(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]", out + err)
    assert "x1b" in out and "x9b" in out  # shown, not sent


def test_examples_copy_refuses_an_empty_name_and_a_dangling_link(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["examples", "--copy", ""]) == 2
    assert "--copy '': give a folder name" in capsys.readouterr().err
    dest = tmp_path / "dest"
    dest.mkdir()
    (dest / "expression.toml").symlink_to(tmp_path / "outside.toml")
    assert main(["examples", "--copy", str(dest)]) == 2
    assert "already exists; nothing was copied" in capsys.readouterr().err
    assert not (tmp_path / "outside.toml").exists() and os.listdir(dest) == ["expression.toml"]


def _fails(argv: list[str], says: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert says in err and err.count("\n") == 1 and "Errno" not in err, err


def test_output_names_that_are_a_folder_a_suffix_or_an_input(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    sheet = _sheet(tmp_path, "sheet.toml", "t")
    Path("adir.svg").mkdir()
    _fails(["solve", "sheet.toml", "--graph", "adir.svg"], "--graph adir.svg: is a folder", capsys)
    _fails(
        ["draw", "a*b", "--set", "a=1", "b=2", "-o", ".svg"], "-o .svg: is only a suffix", capsys
    )
    _fails(
        ["step", "a*b", "--set", "a=1", "b=2", "-o", ".html"], "-o .html: is only a suffix", capsys
    )
    Path("s.html").symlink_to(sheet)
    _fails(["step", "--sheet", "sheet.toml", "-o", "s.html"], "is a symbolic link", capsys)
    os.link(sheet, "hard.html")
    _fails(["step", "--sheet", "sheet.toml", "-o", "hard.html"], "this command's inputs", capsys)
    os.link(sheet, "hard.svg")
    _fails(["solve", "sheet.toml", "--graph", "hard.svg"], "this command's inputs", capsys)
    assert sheet.read_text(encoding="utf-8").startswith('title = "t"')


def test_a_missing_output_folder_fails_before_any_render(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import tracegrad.autograd.drawing.render as render
    import tracegrad.autograd.explaining.page as page

    def no_render(*args: object, **kwargs: object) -> bytes:
        raise AssertionError("rendered before the output folder was checked")

    monkeypatch.setattr(render, "render_dot", no_render)
    monkeypatch.setattr(page, "render_svg", no_render)
    monkeypatch.chdir(tmp_path)
    _fails(["draw", "a*b", "--set", "a=1", "b=2", "-o", "nodir/x.svg"], "no folder", capsys)
    _fails(["step", "a*b", "--set", "a=1", "b=2", "-o", "nodir/x.html"], "no folder", capsys)
    _sheet(tmp_path, "sheet.toml", "t")
    _fails(["solve", "sheet.toml", "--graph", "nodir/x.svg"], "no folder", capsys)
    with pytest.raises(OutputError, match="no folder"):
        render.save_graph(Value(1.0, label="a") * 2, tmp_path / "nodir" / "x.svg")


# ------------------------------------------------------------------ one writer

_WRITES = re.compile(
    r"""open\([^)]*["'][wax]b?\+?["']|\.write_text\(|\.write_bytes\(|shutil\.copy|"""
    r"""os\.open\([^)]*O_WRONLY"""
)
_ALLOWED = {
    ("autograd/safety.py", 'open(out, "wb")'),  # the helper itself
    ("autograd/safety.py", "os.open(tmp, os.O_WRONLY"),
    ("autograd/safety.py", 'os.fdopen(fd, "wb")'),
    ("tracegrad/cli.py", 'open(os.devnull, "w"'),  # a closed stdout pointed at nowhere
    ("tracegrad/commands/_line.py", "os.open(os.devnull, os.O_WRONLY)"),  # stdout gone: nowhere
}


def test_every_file_is_written_by_the_safe_write_helper() -> None:
    """A source scan: no other code opens a file for writing (write_atomic does it)."""
    found = []
    for folder in ("autograd", "nn", "tracegrad", "examples"):
        for path in sorted((ROOT / folder).rglob("*.py")):
            rel = path.relative_to(ROOT).as_posix()
            for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
                if _WRITES.search(line) and not any(
                    rel == f and snippet in line for f, snippet in _ALLOWED
                ):
                    found.append(f"{rel}:{n}: {line.strip()}")
    assert not found, "write through tracegrad.autograd.safety.write_atomic:\n" + "\n".join(found)


def test_the_scan_finds_a_write() -> None:
    for line in ('open(p, "w")', "p.write_text(s)", "p.write_bytes(b)", "shutil.copyfile(a, b)"):
        assert _WRITES.search(line), line


# ------------------------------------------------------------------ a class of hostile sheets

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
UNSAFE_CHARS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff]")
HOSTILE_FOLDER = {
    '=HYPERLINK("http:x","grade").toml': ("Sheet 1", "f"),
    "@SUM(1+1)*cmd|' -c calc'!A0.toml": ("Sheet 2", "f"),
    "+1+1.toml": ("+1+1", "f (=1+1)"),
    "hide.toml": ("Sheet \u001b[8m hidden \u009b2J", "f (note\u001b[8m)"),
    "script.toml": ("Sheet 3<script>document.title='PWNED-md'</script>", "f (</script>)"),
    "ticks.toml": ("`a` ``b ```c", "f (x ` [l](javascript:alert(1)) `)"),
}


def _hostile_folder(folder: Path) -> list[str]:
    for name, (title, answer) in HOSTILE_FOLDER.items():
        _sheet(folder, name, title, answer)
    (folder / "exp.toml").write_text(
        'title = "overflow"\n[variables]\nx = 1000\n[expressions]\nf = "exp(x)"\n'
        '[answers]\nf = 1.5\n"df/dx" = 2.5\n',
        encoding="utf-8",
    )
    (folder / "-broken=.toml").write_text('title = "unclosed\n', encoding="utf-8")
    with open(os.path.join(os.fsencode(folder), b"bytes\xff\xfe.toml"), "wb") as f:
        f.write(b'title = "not UTF-8 name"\n[variables]\nx = 2\n[expressions]\nf = "x"\n')
        f.write(b"[answers]\nf = 2\n")
    return sorted(os.listdir(folder))  # as `tracegrad check *.toml` in that folder


def _check(files: list[str], fmt: str, capsys: pytest.CaptureFixture[str]) -> str:
    assert main(["check", "--format", fmt, "--", *files]) == 2  # the broken sheet
    out, err = capsys.readouterr()
    assert not UNSAFE_CHARS.search(out + err), (out + err)[:2000]
    return out


def _unclosed_code_span(markdown: str) -> str | None:
    """The line of the first code span that never closes (CommonMark: a run of n backticks
    closes at the next run of exactly n), else None."""
    for line in markdown.splitlines():
        if line.startswith("```"):
            continue  # a fence line; fences are checked by the renderer below
        i = 0
        while i < len(line):
            if line[i] == "\\":
                i += 2
                continue
            if line[i] == "`":
                run = re.match(r"`+", line[i:])
                assert run is not None
                n = len(run.group())
                close = re.search(rf"(?<!`)`{{{n}}}(?!`)", line[i + n :])
                if close is None:
                    return line
                i += n + close.end()
                continue
            i += 1
    return None


def test_a_folder_of_hostile_sheets_opens_safely_everywhere(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import csv
    import io

    monkeypatch.chdir(tmp_path)
    files = _hostile_folder(tmp_path)
    rows = list(csv.reader(io.StringIO(_check(files, "csv", capsys))))
    cells = [c for row in rows[1:] for c in row]
    for cell in cells:
        if cell.startswith(FORMULA_START):
            float(cell)  # only a number may start with + or -
    files_cells = {row[0] for row in rows[1:]}
    assert {'\'=HYPERLINK("http:x","grade").toml', "'+1+1.toml", "'-broken=.toml"} <= files_cells
    assert "'@SUM(1+1)*cmd|' -c calc'!A0.toml" in files_cells

    def strings(x: object) -> list[str]:
        if isinstance(x, str):
            return [x]
        if isinstance(x, dict):
            return [*x.keys(), *(s for v in x.values() for s in strings(v))]
        return [s for v in x for s in strings(v)] if isinstance(x, list) else []

    doc = _strict(_check(files, "json", capsys))
    assert isinstance(doc, list) and len(doc) == len(files)
    assert not any(UNSAFE_CHARS.search(s) for s in strings(doc))
    overflow = next(d for d in doc if d["path"].endswith("exp.toml"))
    assert overflow["answers"][0]["not_finite"] == {"expected": "inf"}
    assert any("\\xff\\xfe" in d["path"] for d in doc)

    markdown = _check(files, "markdown", capsys)
    assert _unclosed_code_span(markdown) is None
    html = MD.render(markdown)
    tags = set(re.findall(r"</?([a-zA-Z][\w-]*)", html))
    allowed = {"h3", "p", "strong", "table", "thead", "tbody", "tr", "th", "td", "code", "pre"}
    assert tags <= allowed
    assert "<script" not in html and "href" not in html and "PWNED" in html
    _check(files, "text", capsys)


def test_the_code_span_check_finds_an_unclosed_span() -> None:
    assert _unclosed_code_span("| `f (x ` y` | 1 |") == "| `f (x ` y` | 1 |"
    assert _unclosed_code_span("| ``a ` b`` | \\` |") is None

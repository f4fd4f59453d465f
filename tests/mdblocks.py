"""Fenced code blocks of a Markdown file, and running them (the README is executed by
test_readme and, from an installed wheel, by test_install; the site's pages in docs/ by
test_docs_pages)."""

from __future__ import annotations

import doctest
import os
import re
import shlex
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Block:
    """One fenced code block: its info string (language), first line number and text."""

    lang: str
    line: int
    text: str


def fenced_blocks(markdown: str) -> list[Block]:
    """Every ``` fenced block of a Markdown text, with the line its code starts on."""
    blocks: list[Block] = []
    lang: str | None = None
    start = 0
    body: list[str] = []
    for n, line in enumerate(markdown.splitlines(), start=1):
        if lang is None:
            m = re.match(r"^```\s*([\w+-]*)", line)
            if m:
                lang, start, body = m.group(1), n + 1, []
        elif line.startswith("```"):
            blocks.append(Block(lang, start, "\n".join(body) + "\n"))
            lang = None
        else:
            body.append(line)
    if lang is not None:
        raise AssertionError(f"README.md: the code block opened at line {start - 1} never closes")
    return blocks


def console_commands(block: Block) -> list[tuple[str, str]]:
    """The (command, expected output) pairs of a console block: ``$ cmd`` then its output."""
    pairs: list[tuple[str, list[str]]] = []
    for line in block.text.splitlines():
        if line.startswith("$ "):
            pairs.append((line[2:], []))
        elif pairs:
            pairs[-1][1].append(line)
        elif line.strip():
            raise AssertionError(f"README.md:{block.line}: output before any '$ ' command")
    return [(cmd, "\n".join(out).rstrip()) for cmd, out in pairs]


def split_feed(command: str) -> tuple[str, str | None]:
    """``printf '%s\\n' A B | tracegrad ...`` as (the tracegrad command, "A\\nB\\n" for its
    input); any other command as (command, None)."""
    if not (command.startswith("printf ") and " | tracegrad " in command):
        return command, None
    printf, _, rest = command.partition(" | ")
    words = shlex.split(printf)
    assert words[1] == "%s\\n", f"only printf '%s\\n' ... feeds a session: {command}"
    return rest, "".join(f"{w}\n" for w in words[2:])


def needs_torch(block: Block) -> bool:
    """A block that imports torch runs only where PyTorch is installed (the oracle tests)."""
    return "import torch" in block.text


def run_python_block(block: Block, path: Path) -> None:
    """A ```python block of the Markdown file at ``path``: with ``>>>`` prompts a doctest (its
    printed output must match; ``...`` and whitespace differences allowed), without them a
    script that must run. Failures name the file's lines. Run it in a scratch folder."""
    name = f"{path.relative_to(ROOT)}:{block.line}"
    if ">>>" not in block.text:
        exec(compile(block.text, name, "exec"), {"__name__": "__markdown__"})
        return
    parser = doctest.DocTestParser()
    test = parser.get_doctest(block.text, {"__name__": "__markdown__"}, name, str(path), 0)
    test.lineno = block.line - 1  # line numbers in failures are the file's lines
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    report: list[str] = []
    runner.run(test, out=report.append, clear_globs=True)
    assert runner.failures == 0, "".join(report)


def run_console_block(block: Block, path: Path) -> None:
    """A ```console block: each ``$ tracegrad ...`` runs (as ``python -m tracegrad``) in the
    repository root and must print what the block shows (``$ printf '%s\\n' A B | tracegrad
    ...`` gives the command those lines on its input)."""
    where = f"{path.relative_to(ROOT)}:{block.line}"
    for command, expected in console_commands(block):
        command, feed = split_feed(command)
        argv = shlex.split(command)
        assert argv[0] == "tracegrad", f"{where}: only tracegrad commands run"
        env = dict(os.environ, COLUMNS="100", NO_COLOR="1", TERM="dumb")
        proc = subprocess.run(
            [sys.executable, "-m", "tracegrad", *argv[1:]],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            input=feed,
        )
        assert "Traceback" not in proc.stderr, proc.stderr
        got = "\n".join(line.rstrip() for line in (proc.stdout + proc.stderr).splitlines())
        want = "\n".join(line.rstrip() for line in expected.splitlines())
        status = proc.returncode
        assert got.rstrip() == want, f"{where}: `{command}` printed (exit {status}):\n{got}"

"""Fenced code blocks of a Markdown file (the README is executed by test_readme and, from an
installed wheel, by test_install)."""

from __future__ import annotations

import re
from dataclasses import dataclass


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
    import shlex

    if not (command.startswith("printf ") and " | tracegrad " in command):
        return command, None
    printf, _, rest = command.partition(" | ")
    words = shlex.split(printf)
    assert words[1] == "%s\\n", f"only printf '%s\\n' ... feeds a session: {command}"
    return rest, "".join(f"{w}\n" for w in words[2:])


def needs_torch(block: Block) -> bool:
    """A block that imports torch runs only where PyTorch is installed (the oracle tests)."""
    return "import torch" in block.text

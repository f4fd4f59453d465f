"""`--example NAME` on every command that reads a sheet, through one helper
(`tracegrad.commands._common.add_example_argument`): the shipped sheet is read as if its
path had been given, and a wrong name is one line listing the examples."""

from __future__ import annotations

import argparse
import io
import sys
from pathlib import Path

import pytest

from tracegrad import examples
from tracegrad.cli import build_parser, main

SHEET_COMMANDS = ["check", "solve", "step", "practice", "assign"]


def _options(command: str) -> set[str]:
    parser = build_parser(command)
    (sub,) = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    return {o for a in sub.choices[command]._actions for o in a.option_strings}


@pytest.mark.parametrize("command", SHEET_COMMANDS)
def test_every_command_that_reads_a_sheet_takes_example(command: str) -> None:
    assert "--example" in _options(command)


def test_every_command_with_a_sheet_uses_the_shared_helper() -> None:
    folder = Path(__file__).resolve().parent.parent / "tracegrad" / "commands"
    for path in folder.glob("*.py"):
        text = path.read_text(encoding="utf-8")
        if path.stem in SHEET_COMMANDS:
            assert "add_example_argument(p" in text, path.name
        if path.stem != "_common":
            assert '"--example"' not in text, f"{path.name}: use add_example_argument"


def test_solve_example_is_the_shipped_sheet(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["solve", "--example", "seed_article"]) == 0
    by_name = capsys.readouterr().out
    assert main(["solve", str(examples.path("seed_article"))]) == 0
    assert capsys.readouterr().out == by_name
    assert "0.3941" in by_name  # the article's updated w5


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["solve"], "give a homework file or --example NAME"),
        (["solve", "x.toml", "--example", "seed"], "give a homework file or --example NAME"),
        (["solve", "--example", "nope"], "--example nope: no example named 'nope'"),
        (["check", "--example", "nope"], "--example nope: no example named 'nope'"),
        (["step", "--example", "nope"], "--example nope: no example named 'nope'"),
        (["practice", "--example", "nope"], "--example nope: no example named 'nope'"),
        (["assign", "--example", "nope", "--students", "a", "-o", "d"], "no example named"),
        (["assign", "--students", "a", "-o", "d"], "give a template or --example NAME"),
    ],
)
def test_a_wrong_example_is_one_line(
    args: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(args) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and message in err
    if "nope" in message:
        assert "seed_article" in err  # the examples are listed


def test_assign_and_practice_read_the_example(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "class"
    args = ["assign", "--example", "expression_template", "--students", "a1", "-o", str(out)]
    assert main([*args, "--secret", "pale kettle, nine swans, one owl"]) == 0
    assert (out / "ta-only" / "a1" / "key.toml").is_file()
    monkeypatch.setattr(sys, "stdin", io.StringIO("q\n"))
    assert main(["practice", "--example", "seed"]) == 0
    assert "seed_article.toml" in capsys.readouterr().out

"""`tracegrad check FILE`: mark every answer of a homework file (exit 0 all right, 1 some wrong)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any


def register(sub: Any) -> None:
    p = sub.add_parser(
        "check",
        help="check hand-derived homework answers (TOML) against the engine",
        description="Mark every answer of a homework file: your number, the engine's, a verdict "
        "(right, carried forward, truncated, sign flipped, wrong) and why. Exit status 0 when "
        "all are accepted, 1 when some are wrong, 2 when the file cannot be checked.",
    )
    p.add_argument("file", nargs="?", help="the homework file (TOML); see `tracegrad examples`")
    p.add_argument(
        "--example", metavar="NAME", help="check a sheet that ships with tracegrad, by name"
    )
    p.add_argument("--format", choices=["text", "markdown"], default="text", help="output format")
    p.add_argument("--brief", action="store_true", help="the table only, without the derivations")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from tracegrad.checker import HomeworkError, check
    from tracegrad.cli import UsageError

    source = _source(args)
    try:
        report = check(source)
    except HomeworkError as exc:
        raise UsageError(str(exc)) from None
    text = (
        report.markdown() if args.format == "markdown" else report.table(derivations=not args.brief)
    )
    print(text)
    return report.exit_status


def _source(args: argparse.Namespace) -> str | Path:
    """The file to check: FILE, or the shipped example --example NAME (exactly one of them)."""
    from tracegrad import examples
    from tracegrad.cli import UsageError

    if (args.file is None) == (args.example is None):
        raise UsageError("give a homework file or --example NAME (see `tracegrad examples`)")
    if args.example is None:
        return str(args.file)
    try:
        return examples.path(args.example)
    except KeyError as exc:
        raise UsageError(f"--example {args.example}: {exc.args[0]}") from None

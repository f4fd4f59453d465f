"""The `tracegrad` command: its subcommands are registered in ``tracegrad.commands``.

``main`` reads the command line once (``CommandLine``), builds the parser with the chosen
command's module only (``tracegrad --help`` imports none: the registry holds each summary),
runs it, and hands any exception to the one error path (``tracegrad.commands._line``).

Exit status: 0 success, 1 a check found wrong answers, 2 bad input or any other error (one
line on stderr, never a traceback; ``--debug`` shows it), 130 interrupted by Ctrl-C.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import os
import sys
from typing import Any, NoReturn

import tracegrad
from tracegrad.commands import COMMANDS, SUMMARIES
from tracegrad.commands._line import CommandLine, UsageError, error_line, exit_status

__all__ = ["UsageError", "build_parser", "main"]


class _Parser(argparse.ArgumentParser):
    """argparse with one-line usage errors (the usage itself is one --help away)."""

    def error(self, message: str) -> NoReturn:
        command = self.prog.removeprefix("tracegrad").strip()  # 'check' for `tracegrad check`
        self.exit(2, error_line(command, f"{message} (see {self.prog} --help)") + "\n")

    def _parse_optional(self, arg_string: str) -> Any:
        """An expression may start with a minus sign (``explain "-a*b"``, ``draw "-(a*b)"``):
        where a command takes an expression, '-' followed by anything but one of its options
        is that expression, not an unknown option."""
        if (
            arg_string.startswith("-")
            and not arg_string.startswith("--")
            and len(arg_string) > 1
            and arg_string[:2] not in self._option_string_actions
            and any(a.dest == "expression" for a in self._positionals._group_actions)
        ):
            return None  # a positional argument
        return super()._parse_optional(arg_string)


class _Version(argparse.Action):
    """--version: the version written in tracegrad/__init__.py (no metadata lookup)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(nargs=0, **kwargs)

    def __call__(self, parser: Any, namespace: Any, values: Any, option: Any = None) -> None:
        print(f"{parser.prog} {tracegrad.__version__}")
        parser.exit()


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The parser. Given the ``command`` on the line, that command's module registers its
    full parser and every other command is its name and summary only (so ``tracegrad
    --help``, with ``command=''``, imports no command module); ``None``: every command in full
    (the docs' reference pages)."""
    parser = _Parser(
        prog="tracegrad",
        description="Scalar autograd you can watch: draw graphs, explain gradients, "
        "check homework.",
    )
    parser.add_argument("--version", action=_Version, help="show the version and exit")
    parser.add_argument(
        "--debug",
        action="store_true",
        help="on an error, show Python's traceback instead of one line (anywhere on the line)",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    for name, module in zip(SUMMARIES, COMMANDS):
        if command is None or name == command:
            importlib.import_module(module).register(sub)
        else:
            sub.add_parser(name, help=SUMMARIES[name])
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run one subcommand; every error becomes one line on stderr (see the module docstring)."""
    line = CommandLine.read(sys.argv[1:] if argv is None else list(argv))
    _ensure_streams()
    try:
        args = build_parser(line.command).parse_args(line.argv)
        status: int = args.func(args)
        sys.stdout.flush()
        return status
    except BaseException as exc:  # noqa: BLE001 - the one error path decides (SystemExit too)
        return exit_status(line.command, exc, line.debug)


def _ensure_streams() -> None:
    """Run with stdout or stderr closed (``>&-``) by writing to nowhere, and never fail on a
    character the terminal's encoding lacks."""
    for name in ("stdout", "stderr"):
        stream = getattr(sys, name)
        if stream is None:
            setattr(sys, name, open(os.devnull, "w", encoding="utf-8"))  # noqa: SIM115
        elif hasattr(stream, "reconfigure"):
            with contextlib.suppress(ValueError, OSError):
                stream.reconfigure(errors="backslashreplace")


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())

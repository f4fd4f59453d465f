"""The `tracegrad` command: subcommands are listed in ``tracegrad.commands.COMMANDS``.

Exit status: 0 success, 1 a check found wrong answers, 2 bad input or any other error (one
line on stderr, never a traceback; ``--debug`` shows it), 130 interrupted by Ctrl-C.
"""

from __future__ import annotations

import argparse
import contextlib
import errno
import importlib
import os
import sys
from typing import Any, NoReturn

import tracegrad
from tracegrad.autograd.safety import printable
from tracegrad.commands import COMMANDS
from tracegrad.commands._common import UsageError, split_set_items

__all__ = ["UsageError", "build_parser", "main"]


class _Parser(argparse.ArgumentParser):
    """argparse with one-line usage errors (the usage itself is one --help away)."""

    def error(self, message: str) -> NoReturn:
        message = printable(message, line=True)  # it quotes the arguments: file names
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")

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
    """--version: the installed version, looked up only when asked (importlib.metadata is slow)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(nargs=0, **kwargs)

    def __call__(self, parser: Any, namespace: Any, values: Any, option: Any = None) -> None:
        print(f"{parser.prog} {tracegrad.__version__}")
        parser.exit()


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The parser; given the ``command`` on the line, only that command's module is imported
    (``tracegrad.commands.COMMANDS``: the command NAME is the module ``...commands.NAME``)."""
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
    chosen = [m for m in COMMANDS if m.rsplit(".", 1)[1] == command]
    for name in chosen or COMMANDS:  # all of them for --help or a command that is not one
        importlib.import_module(name).register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run one subcommand; every error becomes one line on stderr (see the module docstring)."""
    argv = sys.argv[1:] if argv is None else list(argv)
    debug = "--debug" in argv
    argv = [a for a in argv if a != "--debug"]
    _ensure_streams()
    command = next((a for a in argv if not a.startswith("-")), "")
    try:
        status = _run(argv)
        sys.stdout.flush()
        return status
    except UsageError as exc:
        return _fail(command, str(exc))
    except KeyboardInterrupt:
        if debug:
            raise
        _fail(command, "interrupted")
        return 130
    except BrokenPipeError:
        # The reader went away (`tracegrad check F | head`): stop quietly, as cat does.
        _silence_stdout()
        return 0
    except SystemExit:
        raise
    except Exception as exc:
        if debug:
            raise
        if isinstance(exc, OSError) and exc.errno in _WRITE_ERRORS and not exc.filename:
            _silence_stdout()  # stdout is the file that failed: no second error at exit
            return _fail(command, f"cannot write the output: {exc.strerror}")
        if isinstance(exc, (OSError, ValueError, ArithmeticError)):
            return _fail(command, _describe(exc))
        return _fail(command, f"{_describe(exc)} (an internal error; --debug shows the traceback)")


_WRITE_ERRORS = (errno.ENOSPC, errno.EIO, errno.EBADF, errno.EFBIG, errno.EDQUOT)


def _run(argv: list[str]) -> int:
    command = next((a for a in argv if not a.startswith("-")), None)
    args = build_parser(command).parse_args(split_set_items(argv))
    status: int = args.func(args)
    return status


def _describe(exc: BaseException) -> str:
    """An exception as one line: an OSError's reason and file, else the first line of the text."""
    if isinstance(exc, OSError) and exc.strerror:
        where = f"{exc.filename}: " if exc.filename else ""
        text = f"{where}{exc.strerror}"
    else:
        text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
        text = f"{type(exc).__name__}: {text}" if text else type(exc).__name__
    return text if len(text) <= 500 else text[:497] + "..."


def _fail(command: str, message: str) -> int:
    """Print ``tracegrad COMMAND: error: MESSAGE`` as one line on stderr; exit status 2."""
    message = " ".join(message.split()) if "\n" in message else message
    message = printable(message, line=True)  # text from a file can reach an error line
    if len(message) > 2000:  # e.g. an answer key of 40,000 characters quoted back
        message = message[:1997] + "..."
    prefix = f"tracegrad {command}" if command else "tracegrad"
    try:
        sys.stdout.flush()
    except Exception:
        _silence_stdout()
    with contextlib.suppress(Exception):  # when stderr itself is gone, nothing can be said
        print(f"{prefix}: error: {message}", file=sys.stderr, flush=True)
    return 2


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


def _silence_stdout() -> None:
    """Point stdout at /dev/null so the interpreter's final flush cannot fail again."""
    with contextlib.suppress(OSError, ValueError, AttributeError):
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())

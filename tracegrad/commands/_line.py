"""The command line before a command runs, and the one error path of every command.

- ``CommandLine.read(argv)``: the line read once: ``--debug`` (anywhere), the command's name,
  and the arguments for the parser with ``--set`` items split (``split_set_items``).
- ``UsageError``: bad input from the user.
- ``error_line(command, message)``: the one place the line ``tracegrad CMD: error: MESSAGE``
  is built (sanitised, one line, bounded); ``exit_status(command, exc, debug)`` maps an
  exception to that line and an exit status: 2 bad input or any other error, 130 Ctrl-C, 0 a
  reader that went away (``| head``). ``--debug`` re-raises instead.

It imports nothing the engine has not loaded (the sanitiser, ``autograd.printable``, loads
when a line is printed), so ``tracegrad --help`` stays light.
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
import sys
from dataclasses import dataclass

from tracegrad import autograd  # autograd.printable: the sanitiser loads when a line is printed

__all__ = [
    "CommandLine",
    "UsageError",
    "error_line",
    "exit_status",
    "fail",
    "split_set_items",
]


class UsageError(Exception):
    """Bad input from the user: one line on stderr, exit status 2 (``tracegrad.cli.UsageError``)."""


@dataclass(frozen=True)
class CommandLine:
    """The command line, read once: what to parse, the command's name, ``--debug``."""

    argv: list[str]  # for the parser: --debug taken out, --set items split
    command: str  # the first word that is not an option ('' for `tracegrad --help`)
    debug: bool

    @classmethod
    def read(cls, argv: list[str]) -> CommandLine:
        rest = [a for a in argv if a != "--debug"]
        command = next((a for a in rest if not a.startswith("-")), "")
        return cls(split_set_items(rest), command, len(rest) != len(argv))


_ITEM = re.compile(r"^[^\W\d]\w*=", re.UNICODE)


def split_set_items(argv: list[str]) -> list[str]:
    """``--set a=2 b=-3 EXPR`` as ``--set=a=2 --set=b=-3 EXPR``: --set takes NAME=VALUE items
    only, so the expression may come before or after it (argparse alone would swallow it).
    A --set with no item sets nothing; a bare name or a malformed item right after --set stays
    its item, so its error names it."""
    out: list[str] = []
    i = 0
    while i < len(argv):
        if argv[i] == "--set":
            i += 1
            if i < len(argv) and ("=" in argv[i] or argv[i].isidentifier()):
                out.append(f"--set={argv[i]}")
                i += 1
            while i < len(argv) and _ITEM.match(argv[i]):
                out.append(f"--set={argv[i]}")
                i += 1
            continue
        out.append(argv[i])
        i += 1
    return out


def error_line(command: str, message: object) -> str:
    """``tracegrad COMMAND: error: MESSAGE``, one printable line of at most about 2,000
    characters (text from a file can reach an error line: an answer key quoted back)."""
    text = str(message)
    text = " ".join(text.split()) if "\n" in text else text
    text = autograd.printable(text, line=True)
    if len(text) > 2000:
        text = text[:1997] + "..."
    prefix = f"tracegrad {command}" if command else "tracegrad"
    return f"{prefix}: error: {text}"


def fail(command: str, message: object) -> int:
    """Print ``error_line`` on stderr (after what stdout holds); exit status 2."""
    try:
        sys.stdout.flush()
    except Exception:
        silence_stdout()
    with contextlib.suppress(Exception):  # when stderr itself is gone, nothing can be said
        print(error_line(command, message), file=sys.stderr, flush=True)
    return 2


_WRITE_ERRORS = (errno.ENOSPC, errno.EIO, errno.EBADF, errno.EFBIG, errno.EDQUOT)


def exit_status(command: str, exc: BaseException, debug: bool) -> int:
    """The exit status for ``exc``, raised by running ``command``, after saying why on stderr.

    Call it from the ``except`` block that caught ``exc``: with ``debug`` (and for SystemExit,
    argparse's own exit) it re-raises it, traceback and all."""
    if isinstance(exc, UsageError):
        return fail(command, str(exc))
    if isinstance(exc, BrokenPipeError):  # the reader went away (`check F | head`): quietly
        silence_stdout()
        return 0
    if debug or not isinstance(exc, (Exception, KeyboardInterrupt)):  # SystemExit: argparse's
        raise exc
    if isinstance(exc, KeyboardInterrupt):
        fail(command, "interrupted")
        return 130
    if isinstance(exc, OSError) and exc.errno in _WRITE_ERRORS and not exc.filename:
        silence_stdout()  # stdout is the file that failed: no second error at exit
        return fail(command, f"cannot write the output: {exc.strerror}")
    if isinstance(exc, (OSError, ValueError, ArithmeticError)):
        return fail(command, describe(exc))
    return fail(command, f"{describe(exc)} (an internal error; --debug shows the traceback)")


def describe(exc: BaseException) -> str:
    """An exception as one line: an OSError's reason and file, else the first line of the text."""
    if isinstance(exc, OSError) and exc.strerror:
        where = f"{exc.filename}: " if exc.filename else ""
        text = f"{where}{exc.strerror}"
    else:
        text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
        text = f"{type(exc).__name__}: {text}" if text else type(exc).__name__
    return text if len(text) <= 500 else text[:497] + "..."


def silence_stdout() -> None:
    """Point stdout at /dev/null so the interpreter's final flush cannot fail again."""
    with contextlib.suppress(OSError, ValueError, AttributeError):
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())

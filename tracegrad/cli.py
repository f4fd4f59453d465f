"""The `tracegrad` command: subcommands are listed in ``tracegrad.commands.COMMANDS``.

Exit status: 0 success, 1 a check found wrong answers, 2 bad input (one-line error).
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys

import tracegrad
from tracegrad.commands import COMMANDS


class UsageError(Exception):
    """Bad input from the user: printed as one line, exit status 2."""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="tracegrad",
        description="Scalar autograd you can watch: draw graphs, explain gradients, "
        "check homework.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {tracegrad.__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    for name in COMMANDS:
        importlib.import_module(name).register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    from tracegrad.commands._common import split_set_items

    parser = build_parser()
    args = parser.parse_args(split_set_items(sys.argv[1:] if argv is None else list(argv)))
    try:
        status: int = args.func(args)
        sys.stdout.flush()
    except UsageError as exc:
        print(f"tracegrad {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:
        # The reader went away (`tracegrad check F | head`): stop quietly, as cat does.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    return status


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())

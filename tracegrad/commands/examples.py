"""`tracegrad examples [--copy DIR]`: the homework sheets that ship with tracegrad."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from tracegrad import examples
from tracegrad.autograd.safety import printable
from tracegrad.checker.reading.homework import tomllib
from tracegrad.commands import SUMMARIES
from tracegrad.commands._common import UsageError


def register(sub: Any) -> None:
    p = sub.add_parser(
        "examples",
        help=SUMMARIES["examples"],
        description="List the shipped homework sheets (check one with "
        "`tracegrad check --example NAME`), or copy them all to a folder to edit.",
    )
    p.add_argument(
        "--copy",
        metavar="DIR",
        help=f"copy every sheet (and its README) into DIR, the course templates into "
        f"DIR/{examples.TEMPLATES}/",
    )
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:

    if args.copy is not None:
        if not args.copy:
            raise UsageError("--copy '': give a folder name, e.g. --copy sheets")
        try:
            copied = examples.copy_to(args.copy)
        except OSError as exc:
            raise UsageError(f"--copy {args.copy}: {exc.strerror or exc}") from None
        for path in copied:
            print(f"wrote {printable(path, line=True)}")
        return 0
    names = examples.names()
    width = max(map(len, names))
    for name in names:
        kind = "  (a template: tracegrad assign)" if examples.is_template(name) else ""
        print(f"{name:<{width}}  {_title(examples.path(name))}{kind}")
    print("\ncheck one: tracegrad check --example NAME   copy them: tracegrad examples --copy DIR")
    print(
        f"(--copy puts the templates in DIR/{examples.TEMPLATES}/: tracegrad check DIR/*.toml "
        "checks the sheets)"
    )
    return 0


def _title(path: Path) -> str:
    """The sheet's title, if it has one."""

    title = tomllib.loads(path.read_text(encoding="utf-8")).get("title", "")
    return str(title)

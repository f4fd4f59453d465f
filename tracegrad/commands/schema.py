"""`tracegrad schema [-o FILE]`: the JSON Schema of a homework sheet, for editors."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from tracegrad.autograd.safety import OutputError, printable, write_atomic
from tracegrad.checker.reading.sheet_jsonschema import SCHEMA_FILE, schema_text
from tracegrad.commands import SUMMARIES
from tracegrad.commands._common import UsageError


def register(sub: Any) -> None:
    p = sub.add_parser(
        "schema",
        help=SUMMARIES["schema"],
        description="The JSON Schema of a homework sheet (TOML), made from the one declaration "
        "the checker reads sheets through. Point a sheet at it with a first line "
        f"`#:schema ./{SCHEMA_FILE}` and taplo or the Even Better TOML extension check the "
        f"sheet as you write it (`tracegrad examples --copy DIR` copies {SCHEMA_FILE} too).",
    )
    p.add_argument("-o", "--output", metavar="FILE", help=f"write it to FILE (e.g. {SCHEMA_FILE})")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    text = schema_text()
    if args.output is None:
        sys.stdout.write(text)
        return 0
    if not args.output:
        raise UsageError(f"-o '': give a file name, e.g. -o {SCHEMA_FILE}")
    try:
        path = write_atomic(args.output, text)
    except OutputError as exc:
        raise UsageError(f"-o {exc}") from None
    except OSError as exc:
        raise UsageError(f"-o {args.output}: {exc.strerror or exc}") from None
    print(f"wrote {printable(path, line=True)}")
    return 0

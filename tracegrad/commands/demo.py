"""`tracegrad demo`: the same as `make demo`."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from tracegrad.commands import SUMMARIES
from tracegrad.commands._common import UsageError
from tracegrad.demo.tour import main


def register(sub: Any) -> None:
    p = sub.add_parser("demo", help=SUMMARIES["demo"])
    p.add_argument("--out", default="out", help="folder for the pictures (default: out)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    out = Path(args.out)
    if out.exists() and not out.is_dir():
        raise UsageError(
            f"--out {args.out}: exists and is not a folder; give a folder for the pictures"
        )
    return main(["--out", args.out])

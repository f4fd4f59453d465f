"""`tracegrad check FILE...`: mark every answer of one or more homework files.

Exit status 0 when every answer of every file is accepted, 1 when some are not, 2 when a file
cannot be checked (the others are still marked and reported).
"""

from __future__ import annotations

import argparse
import csv
import sys
from pathlib import Path
from typing import Any

from tracegrad import commands
from tracegrad.autograd.safety import csv_cell, dumps_json
from tracegrad.checker import HomeworkError, check
from tracegrad.commands import SUMMARIES
from tracegrad.commands._common import (
    UsageError,
    add_example_argument,
    add_secret_arguments,
    example_path,
)
from tracegrad.commands._line import error_line

CSV_FIELDS = [
    "file",
    "name",
    "line",
    "yours",
    "expected",
    "verdict",
    "accepted",
    "reason",
    "diagnosis",
    "carried_from",
    "first_mistake",
]


def register(sub: Any) -> None:
    p = sub.add_parser(
        "check",
        help=SUMMARIES["check"],
        description="Mark every answer of one or more homework files: your number, the "
        "engine's, a verdict (right, carried forward, truncated, sign flipped, too imprecise, "
        "wrong) and why. Exit status 0 when all are accepted, 1 when some are not, 2 when a "
        "file cannot be checked.",
    )
    p.add_argument(
        "files", nargs="*", metavar="FILE", help="homework files (TOML); see `tracegrad examples`"
    )
    add_example_argument(p)
    p.add_argument(
        "--format",
        choices=["text", "markdown", "json", "csv", "gradescope", "gradebook"],
        default="text",
        help="output format: a table per sheet (text, markdown), or per sheet and per answer "
        "for grading a class (json; csv: one row per answer); gradescope: Gradescope's "
        "results.json for one submission; gradebook: one CSV row of points per submission",
    )
    p.add_argument(
        "--jobs",
        type=int,
        default=1,
        metavar="N",
        help="grade in N processes (with --format gradebook)",
    )
    p.add_argument(
        "--template",
        metavar="TEMPLATE",
        help="grade against the template the class was assigned from: its answers and points, "
        "and every sheet's numbers must be its student's variant (needs the course secret)",
    )
    add_secret_arguments(p)
    p.add_argument(
        "--submitter",
        metavar="ID",
        help="who handed the sheet in, as the platform says (Gradescope's submission "
        "metadata); by default the sheet's folder (ID/blank.toml) or its name (ID.toml). A "
        "sheet that records another student scores 0",
    )
    p.add_argument("--brief", action="store_true", help="the table only, without the derivations")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:

    sources = _sources(args)
    grading = (args.template, args.submitter)
    if args.format in ("gradescope", "gradebook") or args.jobs != 1 or any(grading):
        return commands.run_grading(args, [str(s) for s in sources])  # the kit loads now
    if len(sources) == 1 and args.format in ("text", "markdown"):
        try:
            report = check(sources[0])
        except HomeworkError as exc:
            raise UsageError(str(exc)) from None
        print(_text(report, args))
        return report.exit_status
    status = 0
    sheets: list[dict[str, Any]] = []
    for source in sources:
        try:
            report = check(source)
        except HomeworkError as exc:
            print(error_line("check", exc), file=sys.stderr)
            sheets.append({"path": str(source), "error": str(exc)})
            status = 2
            continue
        if report.exit_status and not status:
            status = 1
        sheets.append(report.as_dict())
        if args.format in ("text", "markdown"):
            print(_text(report, args), end="\n\n")
    if args.format == "json":
        print(dumps_json(sheets, indent=2))  # strict: text printable, NaN/inf null + reason
    elif args.format == "csv":
        _csv(sheets)
    return status


def _text(report: Any, args: argparse.Namespace) -> str:
    if args.format == "markdown":
        return str(report.markdown())
    return str(report.table(derivations=not args.brief))


def _csv(sheets: list[dict[str, Any]]) -> None:
    """One row per answer; a sheet that could not be checked is one row with its error.
    Every cell goes through safety.csv_cell: text a spreadsheet would run gets a leading '."""
    out = csv.DictWriter(sys.stdout, fieldnames=CSV_FIELDS, lineterminator="\n")
    out.writeheader()
    for sheet in sheets:
        if "error" in sheet:
            row = {"file": sheet["path"], "verdict": "error", "reason": sheet["error"]}
            out.writerow({k: csv_cell(v) for k, v in row.items()})
            continue
        for row in sheet["answers"]:
            cells = {
                **row,
                "file": sheet["path"],
                "carried_from": "; ".join(row["carried_from"]),
                "accepted": "true" if row["accepted"] else "false",
                "first_mistake": "true" if row["first_mistake"] else "false",
            }
            out.writerow({k: csv_cell(v) for k, v in cells.items()})


def _sources(args: argparse.Namespace) -> list[str | Path]:
    """The files to check: FILE..., or the shipped example --example NAME (not both)."""

    if bool(args.files) == (args.example is not None):
        raise UsageError("give homework files or --example NAME (see `tracegrad examples`)")
    if args.example is None:
        return [str(f) for f in args.files]
    return [example_path(args.example)]

"""`tracegrad check --format gradescope|gradebook [--jobs N]`: points for submissions.

Not a command of its own: ``check`` hands these formats over (see ``tracegrad.kit.grade``).
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from tracegrad.autograd.safety import dumps_json, printable
from tracegrad.checker import HomeworkError
from tracegrad.commands._line import UsageError, error_line
from tracegrad.kit.grade import (
    MAX_JOBS,
    Against,
    _template,
    grade_all,
    gradebook,
    gradescope,
    template_changed,
)
from tracegrad.kit.trust import KitError, course_secret


def run_grading(args: argparse.Namespace, files: list[str]) -> int:
    """Exit status 0 when every submission earns every point, 1 when some lose points,
    2 when one cannot be graded (its row or results.json says why; the others are graded)."""

    if args.format not in ("gradescope", "gradebook"):
        option = "--template" if args.template else "--submitter" if args.submitter else "--jobs"
        raise UsageError(f"{option} grades a class: use it with --format gradebook or gradescope")
    if not 1 <= args.jobs <= MAX_JOBS:
        raise UsageError(f"--jobs {args.jobs}: give a whole number from 1 to {MAX_JOBS}")
    if args.format == "gradescope" and len(files) != 1:
        raise UsageError(
            f"--format gradescope grades one submission, got {len(files)} files "
            "(for a class: --format gradebook)"
        )
    if args.submitter is not None and len(files) != 1:
        raise UsageError(f"--submitter names who handed in one sheet, got {len(files)} files")
    against = _against(args)
    changed = template_changed(files, against)
    if changed is not None:
        raise UsageError(changed)
    results = grade_all(files, jobs=args.jobs, against=against, submitter=args.submitter)
    status = 0
    for r in results:
        for note in r["notes"]:
            print(f"tracegrad check: note: {printable(note, line=True)}", file=sys.stderr)
        if r["error"]:
            print(error_line("check", r["error"]), file=sys.stderr)
            status = 2
        elif r["score"] < r["max_score"] and not status:
            status = 1
    if args.format == "gradescope":
        print(dumps_json(gradescope(results[0]), indent=2))
    else:
        sys.stdout.write(gradebook(results))
    return status


def _against(args: argparse.Namespace) -> Any:
    """--template and the course secret, checked before any sheet is graded (None without)."""

    if not args.template:
        if args.secret is not None or args.secret_file is not None:
            raise UsageError("--secret verifies variants: give it with --template TEMPLATE")
        return None
    try:
        secret = course_secret(args.secret, args.secret_file)
        _template(args.template)
    except (KitError, HomeworkError) as exc:
        raise UsageError(str(exc)) from None
    return Against(args.template, secret)

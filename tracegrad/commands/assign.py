"""`tracegrad assign TEMPLATE --students ID... | --roster FILE -o DIR`: a sheet per student."""

from __future__ import annotations

import argparse
from typing import Any

from tracegrad.autograd.safety import OutputError, printable
from tracegrad.checker import HomeworkError
from tracegrad.commands import SUMMARIES
from tracegrad.commands._common import UsageError, add_example_argument, sheet_or_example
from tracegrad.kit.assign import KitError, assign, check_id, course_secret, read_roster
from tracegrad.kit.template import load_template


def register(sub: Any) -> None:
    p = sub.add_parser(
        "assign",
        help=SUMMARIES["assign"],
        description="Draw every student's variant of a template (a sheet whose givens are "
        "ranges) from the template, the student's ID and the course secret, and write "
        "DIR/ID/blank.toml, key.toml, question.md, question.html and question.svg. The same "
        "template, ID and secret always give the same files.",
    )
    p.add_argument("template", nargs="?", help="the template (TOML); see `tracegrad examples`")
    add_example_argument(p, "template (seed_article_template, expression_template)")
    who = p.add_mutually_exclusive_group(required=True)
    who.add_argument("--students", nargs="+", metavar="ID", help="the students' IDs")
    who.add_argument("--roster", metavar="CSV", help="a CSV with a column id (or student_id)")
    p.add_argument("-o", "--output", required=True, metavar="DIR", help="the folder to write")
    p.add_argument(
        "--secret",
        help="the course secret (default: the TRACEGRAD_COURSE_SECRET environment variable)",
    )
    p.add_argument(
        "--solutions",
        action="store_true",
        help="also write each worked solution (solution.md, solution.tex)",
    )
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:

    source = sheet_or_example(args.template, args.example, "a template")
    try:
        secret = course_secret(args.secret)
        if args.roster is not None:
            students = read_roster(args.roster)
        else:
            students = [check_id(s, f"--students (ID {i})") for i, s in
                        enumerate(args.students, start=1)]  # fmt: skip
        template = load_template(source)
        written = assign(template, students, args.output, secret, solutions=args.solutions)
    except (KitError, HomeworkError) as exc:
        raise UsageError(str(exc)) from None
    except OutputError as exc:
        raise UsageError(f"-o {exc}") from None
    except OSError as exc:
        shown = printable(args.output, line=True)
        raise UsageError(f"-o {shown}: {exc.strerror or exc}") from None
    folder = printable(args.output, line=True)
    print(f"wrote {len(written)} files for {len(students)} students into {folder}")
    return 0

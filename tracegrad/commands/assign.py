"""`tracegrad assign TEMPLATE --students ID... | --roster FILE -o DIR`: a sheet per student."""

from __future__ import annotations

import argparse
from typing import Any

from tracegrad.autograd.safety import OutputError, printable
from tracegrad.checker import HomeworkError
from tracegrad.commands import SUMMARIES
from tracegrad.commands._common import (
    UsageError,
    add_example_argument,
    add_secret_arguments,
    sheet_or_example,
)
from tracegrad.kit.assign import HANDOUT, TA_ONLY, assign, read_roster
from tracegrad.kit.template import load_template
from tracegrad.kit.trust import KitError, check_id, course_secret, new_secret_file


def register(sub: Any) -> None:
    p = sub.add_parser(
        "assign",
        help=SUMMARIES["assign"],
        description="Draw every student's variant of a template (a sheet whose givens are "
        "ranges) from the template, the student's ID and the course secret, and write two "
        f"trees: DIR/{HANDOUT}/ID/ (blank.toml, question.md, question.html, question.svg: "
        f"what the student gets) and DIR/{TA_ONLY}/ID/ (key.toml and the solutions: never "
        "hand it out). The same template, ID and secret always give the same files.",
    )
    p.add_argument("template", nargs="?", help="the template (TOML); see `tracegrad examples`")
    add_example_argument(p, "template (seed_article_template, expression_template)")
    who = p.add_mutually_exclusive_group(required=True)
    who.add_argument("--students", nargs="+", metavar="ID", help="the students' IDs")
    who.add_argument("--roster", metavar="CSV", help="a CSV with a column id (or student_id)")
    p.add_argument("-o", "--output", required=True, metavar="DIR", help="the folder to write")
    add_secret_arguments(p)
    p.add_argument(
        "--new-secret-file",
        metavar="FILE",
        help="make a new course secret (256 random bits) into FILE, readable by you only "
        "(mode 0600), and assign with it; later runs read it with --secret-file FILE",
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
        if args.new_secret_file is not None:
            if args.secret is not None or args.secret_file is not None:
                raise KitError("--new-secret-file makes the secret: give no other")
            secret = ""
        else:
            secret = course_secret(args.secret, args.secret_file)
        if args.roster is not None:
            students = read_roster(args.roster)
        else:
            students = [check_id(s, f"--students (ID {i})") for i, s in
                        enumerate(args.students, start=1)]  # fmt: skip
        template = load_template(source)
        if args.new_secret_file is not None:
            secret = new_secret_file(args.new_secret_file)
        written = assign(template, students, args.output, secret, solutions=args.solutions)
    except (KitError, HomeworkError) as exc:
        raise UsageError(str(exc)) from None
    except OutputError as exc:
        raise UsageError(f"-o {exc}") from None
    except OSError as exc:
        shown = printable(args.output, line=True)
        raise UsageError(f"-o {shown}: {exc.strerror or exc}") from None
    folder = printable(args.output.rstrip("/") or "/", line=True)
    print(
        f"wrote {len(written)} files for {len(students)} students: hand-outs in "
        f"{folder}/{HANDOUT}/ID/, keys in {folder}/{TA_ONLY}/ID/ (never hand that folder out)"
    )
    return 0

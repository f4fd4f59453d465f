"""`tracegrad export gradescope|prairielearn TEMPLATE ...`: a template as a course platform's
autograder (Gradescope's autograder.zip) or question (a PrairieLearn question folder)."""

from __future__ import annotations

import argparse
import contextlib
import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from tracegrad.autograd.safety import OutputError, printable, write_atomic
from tracegrad.checker import HomeworkError
from tracegrad.commands import SUMMARIES
from tracegrad.commands._common import UsageError, add_example_argument, sheet_or_example
from tracegrad.kit.assign import KitError
from tracegrad.kit.export import gradescope_zip, read_submitters
from tracegrad.kit.export_prairielearn import library_folder, write_question
from tracegrad.kit.template import load_template
from tracegrad.kit.trust import course_secret

_WORD = re.compile(r"^[\w .+-]{1,64}$")


def register(sub: Any) -> None:
    p = sub.add_parser(
        "export",
        help=SUMMARIES["export"],
        description="Export a template (the one `tracegrad assign` hands out) to a course "
        "platform: `export gradescope` writes Gradescope's autograder.zip, which grades each "
        "submission against its student's own variant; `export prairielearn` writes a "
        "PrairieLearn question folder whose server.py draws the variants and grades with "
        "tracegrad's checker, error carried forward included.",
    )
    targets = p.add_subparsers(dest="target", metavar="PLATFORM")
    targets.required = True
    gs = targets.add_parser(
        "gradescope",
        help="Gradescope's autograder.zip (setup.sh, run_autograder, tracegrad's wheel)",
        description="Write Gradescope's autograder.zip: setup.sh installs tracegrad from the "
        "wheel inside (python3 and pip, no network), run_autograder grades the submitted "
        "sheet against the variant of the student who handed it in (matched by e-mail, or "
        "by sid) and writes results.json. The roster and the secret go inside the zip: "
        "upload it as the autograder and keep it from the students.",
    )
    _template_arguments(gs)
    gs.add_argument(
        "--roster",
        required=True,
        metavar="CSV",
        help="the class: a CSV with a header naming id (or student_id), email and optionally "
        "sid; the id is the one `tracegrad assign` drew each variant for",
    )
    gs.add_argument(
        "--secret-file",
        required=True,
        metavar="FILE",
        help="a file holding the course secret (one trailing newline is dropped; at least 128 "
        "bits, as assign asks)",
    )
    gs.add_argument("-o", "--output", required=True, metavar="ZIP", help="the zip to write")
    gs.set_defaults(func=run_gradescope)
    pl = targets.add_parser(
        "prairielearn",
        help="a PrairieLearn question folder (info.json, question.html, server.py)",
        description="Write a PrairieLearn question: info.json, question.html (the givens, "
        "the network drawn by pl-graph, a pl-number-input per answer, named by the answer "
        "with every character but letters, digits and _ turned into _: df/dq is df_dq), "
        "server.py and the template. tracegrad itself goes into COURSE/serverFilesCourse/ "
        "when -o is COURSE/questions/NAME, else into the question folder.",
    )
    _template_arguments(pl)
    pl.add_argument(
        "-o", "--output", required=True, metavar="DIR", help="the question folder to write"
    )
    pl.add_argument(
        "--topic", default="Backpropagation", help="info.json's topic (default: Backpropagation)"
    )
    pl.add_argument("--tag", action="append", default=[], help="a tag for info.json (repeatable)")
    pl.set_defaults(func=run_prairielearn)


def _template_arguments(p: Any) -> None:
    p.add_argument("template", nargs="?", help="the template (TOML); see `tracegrad examples`")
    add_example_argument(p, "template (seed_article_template, expression_template)")


@contextlib.contextmanager
def _one_line(output: str) -> Iterator[None]:
    """The kit's errors, and a file -o cannot be written, as one UsageError line."""
    try:
        yield
    except (KitError, HomeworkError) as exc:
        raise UsageError(str(exc)) from None
    except OutputError as exc:
        raise UsageError(f"-o {exc}") from None
    except OSError as exc:
        raise UsageError(f"-o {printable(output, line=True)}: {exc.strerror or exc}") from None


def run_gradescope(args: argparse.Namespace) -> int:
    start = time.monotonic()
    source = str(sheet_or_example(args.template, args.example, "a template"))
    with _one_line(args.output):
        secret = course_secret(file=args.secret_file)  # at least 128 bits, as assign asks
        roster = read_submitters(args.roster)
        load_template(source)  # a template that cannot make sheets is refused here
        data, names = gradescope_zip(source, roster, secret)
        write_atomic(args.output, data, inputs=[source, args.roster, args.secret_file])
    took = time.monotonic() - start
    print(
        f"wrote {printable(args.output, line=True)} ({len(data) // 1024} KB, {took:.1f} s): "
        f"{', '.join(names)}; {len(roster)} students. Upload it as the assignment's "
        "autograder; it holds the course secret, so keep it from the students."
    )
    return 0


def run_prairielearn(args: argparse.Namespace) -> int:
    source = str(sheet_or_example(args.template, args.example, "a template"))
    for value in [args.topic, *args.tag]:
        if not _WORD.match(value):
            shown = printable(repr(value), line=True)
            raise UsageError(
                f"{shown}: a topic or tag is 1 to 64 letters, digits, spaces and . + - _"
            )
    out = Path(args.output)
    with _one_line(args.output):
        template = load_template(source)
        tags = ["tracegrad", *args.tag]
        written = write_question(template, source, out, topic=args.topic, tags=tags)
    lib = printable(str(library_folder(out)), line=True)
    print(
        f"wrote the question {printable(args.output, line=True)} (info.json, question.html, "
        f"server.py, template.toml) and tracegrad into {lib}/tracegrad ({len(written)} files)"
    )
    return 0

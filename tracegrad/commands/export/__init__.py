"""`tracegrad export gradescope|prairielearn TEMPLATE ...`: a template as a course platform's
autograder (Gradescope's autograder.zip: ``gradescope.py``) or question (a PrairieLearn question
folder: ``prairielearn.py``). This module holds the parser both share and their one-line errors."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import Any

from tracegrad.autograd.safety import OutputError, printable
from tracegrad.checker import HomeworkError
from tracegrad.commands import SUMMARIES
from tracegrad.commands._common import UsageError, add_example_argument
from tracegrad.commands.export import gradescope, prairielearn
from tracegrad.kit.assign import KitError


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
    gs.set_defaults(func=_one_line_errors(gradescope.run))
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
    pl.set_defaults(func=_one_line_errors(prairielearn.run))


def _template_arguments(p: Any) -> None:
    p.add_argument("template", nargs="?", help="the template (TOML); see `tracegrad examples`")
    add_example_argument(p, "template (seed_article_template, expression_template)")


def _one_line_errors(run: Callable[[argparse.Namespace], str]) -> Callable[..., int]:
    """``run`` with the kit's errors, and a file -o cannot be written, as one UsageError line;
    what it wrote is said after, outside that mapping (a closed stdout is not an -o error)."""

    def in_one_line(args: argparse.Namespace) -> int:
        try:
            done = run(args)
        except (KitError, HomeworkError) as exc:
            raise UsageError(str(exc)) from None
        except OutputError as exc:
            raise UsageError(f"-o {exc}") from None
        except OSError as exc:
            where = printable(args.output, line=True)
            raise UsageError(f"-o {where}: {exc.strerror or exc}") from None
        print(done)
        return 0

    return in_one_line

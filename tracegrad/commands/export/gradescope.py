"""`tracegrad export gradescope TEMPLATE --roster CSV --secret-file FILE -o ZIP`: Gradescope's
autograder.zip (setup.sh, run_autograder, tracegrad's wheel, the roster and the secret)."""

from __future__ import annotations

import argparse
import time

from tracegrad.autograd.safety import printable, write_atomic
from tracegrad.commands._common import sheet_or_example
from tracegrad.kit.export import gradescope_zip, read_submitters
from tracegrad.kit.template import load_template
from tracegrad.kit.trust import course_secret


def run(args: argparse.Namespace) -> str:
    """The command, and the line that says what it wrote; the kit's errors become one line in
    ``tracegrad.commands.export``."""
    start = time.monotonic()
    source = str(sheet_or_example(args.template, args.example, "a template"))
    secret = course_secret(file=args.secret_file)  # at least 128 bits, as assign asks
    roster = read_submitters(args.roster)
    load_template(source)  # a template that cannot make sheets is refused here
    data, names = gradescope_zip(source, roster, secret)
    write_atomic(args.output, data, inputs=[source, args.roster, args.secret_file])
    took = time.monotonic() - start
    return (
        f"wrote {printable(args.output, line=True)} ({len(data) // 1024} KB, {took:.1f} s): "
        f"{', '.join(names)}; {len(roster)} students. Upload it as the assignment's "
        "autograder; it holds the course secret, so keep it from the students."
    )

"""`tracegrad export prairielearn TEMPLATE -o COURSE/questions/NAME`: a PrairieLearn question
folder (info.json, question.html, server.py) and tracegrad in the course's serverFilesCourse/."""

from __future__ import annotations

import argparse
import re
from pathlib import Path

from tracegrad.autograd.safety import printable
from tracegrad.commands._common import UsageError, sheet_or_example
from tracegrad.kit.export_prairielearn import library_folder, write_question
from tracegrad.kit.template import load_template

_WORD = re.compile(r"^[\w .+-]{1,64}$")


def run(args: argparse.Namespace) -> str:
    """The command, and the line that says what it wrote; the kit's errors become one line in
    ``tracegrad.commands.export``."""
    source = str(sheet_or_example(args.template, args.example, "a template"))
    for value in [args.topic, *args.tag]:
        if not _WORD.match(value):
            shown = printable(repr(value), line=True)
            raise UsageError(
                f"{shown}: a topic or tag is 1 to 64 letters, digits, spaces and . + - _"
            )
    out = Path(args.output)
    template = load_template(source)
    tags = ["tracegrad", *args.tag]
    written = write_question(template, source, out, topic=args.topic, tags=tags)
    lib = printable(str(library_folder(out)), line=True)
    return (
        f"wrote the question {printable(args.output, line=True)} (info.json, question.html, "
        f"server.py, template.toml) and tracegrad into {lib}/tracegrad ({len(written)} files)"
    )

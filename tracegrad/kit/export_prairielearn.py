"""``tracegrad export prairielearn TEMPLATE -o COURSE/questions/NAME``: a PrairieLearn question.

The folder gets ``info.json`` (a fresh uuid, title, topic, tags, ``"type": "v3"``),
``question.html`` (the problem and the givens from ``params``, the network drawn by
``pl-graph`` from DOT, a ``pl-number-input`` per answer), ``server.py`` (``generate`` and
``grade``, which call ``tracegrad.kit.pl_question``) and ``template.toml``. What server.py
imports, tracegrad's own files, goes into ``COURSE/serverFilesCourse/tracegrad/`` when the
folder sits in a course's ``questions/`` (PrairieLearn's place for course-level code), and
into the question folder itself otherwise. server.py puts both folders on ``sys.path``
(``data["options"]["server_files_course_path"]`` and ``["question_path"]``).
"""

from __future__ import annotations

import html
import json
import uuid
from pathlib import Path

from tracegrad.autograd.safety import printable, write_atomic
from tracegrad.kit.assign import KitError
from tracegrad.kit.export import package_files
from tracegrad.kit.files import question_graph
from tracegrad.kit.pl_question import answer_fields
from tracegrad.kit.template import Template

__all__ = ["SERVER_PY", "library_folder", "question_html", "write_question"]

SERVER_PY = '''"""A tracegrad question, written by `tracegrad export prairielearn`: every
variant is drawn from template.toml, and the answers are marked by tracegrad's checker, with
credit for an answer worked correctly from the student's own earlier slip."""

import os
import sys


def _tracegrad(data):
    """tracegrad.kit.pl_question, from serverFilesCourse/ or this question's folder."""
    for key in ("server_files_course_path", "question_path"):
        folder = data["options"].get(key)
        if folder and os.path.isdir(os.path.join(folder, "tracegrad")) and folder not in sys.path:
            sys.path.insert(0, folder)
    from tracegrad.kit import pl_question

    return pl_question


def _template(data):
    return os.path.join(data["options"]["question_path"], "template.toml")


def generate(data):
    _tracegrad(data).generate(data, _template(data))


def grade(data):
    _tracegrad(data).grade(data, _template(data))
'''


def _text(text: object) -> str:
    """Text for question.html: HTML-escaped, and no brace Mustache would read as a tag."""
    escaped = html.escape(printable(text))
    return escaped.replace("{", "&#123;").replace("}", "&#125;")


def question_html(t: Template) -> str:
    """question.html: the static page; each variant's numbers come from ``params``."""
    fields = answer_fields(t.find)
    dot = question_graph(t.variant(b"drawing"), all_hidden=True).source
    inputs = "\n".join(
        f'<pl-number-input answers-name="{f}" label="{_text(name)}" comparison="decdig" '
        f'digits="{t.digits}"></pl-number-input>'
        for name, f in fields.items()
    )
    return (
        "<pl-question-panel>\n"
        f"<p><strong>{_text(t.title or t.name)}</strong></p>\n"
        "<ul>{{#params.statement}}<li>{{.}}</li>{{/params.statement}}</ul>\n"
        "<p>Your numbers (use exactly these):</p>\n"
        '<table class="table table-sm w-auto">{{#params.givens}}'
        "<tr><td><code>{{name}}</code></td><td>{{value}}</td></tr>{{/params.givens}}</table>\n"
        f"<pl-graph>\n{_text(dot)}</pl-graph>\n"
        f"<p>Find each answer to {t.digits} decimals. An answer worked correctly from an "
        "earlier answer of yours that was wrong still earns its points.</p>\n"
        "</pl-question-panel>\n"
        f"{inputs}\n"
    )


def library_folder(question: Path) -> Path:
    """Where server.py's imports go: ``COURSE/serverFilesCourse`` for a question inside
    ``COURSE/questions/``, else the question folder itself."""
    for parent in question.absolute().parents:
        if parent.name == "questions":
            return parent.parent / "serverFilesCourse"
    return question


def write_question(
    t: Template, template_file: str, out: Path, *, topic: str, tags: list[str]
) -> list[Path]:
    """Write the question folder and the library; refuses a folder that holds a question."""
    if (out / "info.json").exists():
        shown = printable(str(out), line=True)
        raise KitError(f"{shown} already holds a question (info.json); nothing was written")
    try:
        page = question_html(t)
    except ValueError as exc:
        raise KitError(str(exc)) from None
    info = {
        "uuid": str(uuid.uuid4()),
        "title": printable(t.title or t.name, line=True),
        "topic": topic,
        "tags": tags,
        "type": "v3",
    }
    with open(template_file, "rb") as fh:
        template_bytes = fh.read()
    files: list[tuple[Path, bytes]] = [
        (out / "info.json", (json.dumps(info, indent=4) + "\n").encode()),
        (out / "question.html", page.encode()),
        (out / "server.py", SERVER_PY.encode()),
        (out / "template.toml", template_bytes),
    ]
    lib = library_folder(out)
    files += [(lib / path, data) for path, data in package_files()]
    written = []
    for path, data in files:
        path.parent.mkdir(parents=True, exist_ok=True)
        written.append(write_atomic(path, data))
    return written

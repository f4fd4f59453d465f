"""Assigning a template to a class: student IDs (checked), the course secret, the files.

``assign(template, students, folder, secret)`` draws every student's variant first, checks
that no file it would write exists, then writes ``folder/ID/blank.toml``, ``key.toml``,
``question.md``, ``question.html``, ``question.svg`` (and ``solution.md`` and
``solution.tex`` with ``solutions=True``), each through ``safety.write_atomic``.
"""

from __future__ import annotations

import csv
import io
import os
import re
from pathlib import Path

from tracegrad.autograd.limits import LIMITS, UnreadableFile, read_limited
from tracegrad.autograd.safety import printable, write_atomic
from tracegrad.checker import solve
from tracegrad.kit.files import blank_text, key_text, question_html, question_markdown, question_svg
from tracegrad.kit.latex import solution_latex
from tracegrad.kit.template import Template, TemplateError, Variant, _plain, variant_seed

__all__ = ["SECRET_ENV", "KitError", "check_id", "read_roster", "course_secret", "assign"]

SECRET_ENV = "TRACEGRAD_COURSE_SECRET"
MAX_STUDENTS = 10_000
_ID = re.compile(r"^[A-Za-z0-9@._+-]{1,64}$")
_ID_COLUMNS = ("id", "student_id", "student id", "sid", "student", "email")


class KitError(ValueError):
    """Bad input to the course kit (an ID, a roster, the secret): one line."""


def check_id(student: str, where: str) -> str:
    """A student ID that is a safe folder name: letters, digits and @ . _ + -, at most 64,
    not '.' or '..' and not starting with '.'."""
    if not _ID.match(student) or student.startswith("."):
        shown = printable(repr(student), line=True)
        raise KitError(
            f"{where}: student ID {shown} is not a safe folder name (1 to 64 letters, digits "
            "and @ . _ + -, not starting with '.')"
        )
    return student


def read_roster(path: str) -> list[str]:
    """The IDs of a roster CSV: the column headed id, student_id, sid, student or email, or
    else the first column of every row."""
    try:
        text = read_limited(path, LIMITS["homework_bytes"], "roster")
    except UnreadableFile as exc:
        raise KitError(str(exc)) from None
    try:
        rows = [r for r in csv.reader(io.StringIO(text)) if any(c.strip() for c in r)]
    except csv.Error as exc:
        raise KitError(f"{printable(path, line=True)}: not a CSV file: {exc}") from None
    if not rows:
        raise KitError(f"{printable(path, line=True)}: the roster has no students")
    header = [c.strip().lower() for c in rows[0]]
    column, start = 0, 0
    for name in _ID_COLUMNS:
        if name in header:
            column, start = header.index(name), 1
            break
    ids = []
    for no, row in enumerate(rows[start:], start=start + 1):
        cell = row[column].strip() if column < len(row) else ""
        ids.append(check_id(cell, f"{printable(path, line=True)}: row {no}"))
    return ids


def course_secret(given: str | None) -> str:
    """--secret, or else the TRACEGRAD_COURSE_SECRET environment variable; never empty."""
    secret = given if given is not None else os.environ.get(SECRET_ENV, "")
    if not secret:
        raise KitError(
            f"no course secret: give --secret S or set {SECRET_ENV} (the same secret always "
            "gives the same variants; keep it from the students)"
        )
    return secret


def _files(solutions: bool) -> list[str]:
    names = ["blank.toml", "key.toml", "question.md", "question.html", "question.svg"]
    return [*names, "solution.md", "solution.tex"] if solutions else names


def assign(
    template: Template,
    students: list[str],
    folder: str | Path,
    secret: str,
    *,
    solutions: bool = False,
) -> list[Path]:
    """Write every student's files; refuses before writing if any of them exists."""

    if len(students) > MAX_STUDENTS:
        raise KitError(f"{len(students)} students: at most {MAX_STUDENTS} at once")
    seen: set[str] = set()
    for s in students:
        if s in seen:
            raise KitError(f"student ID {s!r} is given twice")
        seen.add(s)
    out = Path(folder)
    clash = [out / s / f for s in students for f in _files(solutions)
             if os.path.lexists(out / s / f)]  # fmt: skip
    if clash:
        shown = printable(str(clash[0]), line=True)
        raise KitError(f"{shown} already exists; nothing was written (use a new folder)")
    variants: list[tuple[str, Variant]] = []
    for s in students:
        try:
            variants.append((s, template.variant(variant_seed(secret, template, s))))
        except TemplateError as exc:
            raise KitError(f"student {s}: {exc}") from None
    written = []
    for s, v in variants:
        home = out / s
        home.mkdir(parents=True, exist_ok=True)
        svg = question_svg(v)
        pages = {
            "blank.toml": blank_text(template, v, s),
            "key.toml": key_text(template, v, s),
            "question.md": question_markdown(template, v, s),
            "question.html": question_html(template, v, s, svg),
            "question.svg": svg,
        }
        if solutions:
            solution = solve(_plain(v.data))
            pages["solution.md"] = solution.markdown() + "\n"
            pages["solution.tex"] = solution_latex(solution)
        for name, text in pages.items():
            written.append(write_atomic(home / name, text.encode("utf-8")))
    return written

"""Assigning a template to a class: rosters, the two trees, the files.

``assign(template, students, folder, secret)`` draws every student's variant first, checks
every folder and file it would write (none may exist as a file, a link or outside ``folder``),
then writes two trees: what a student gets, ``folder/handout/ID/blank.toml``,
``question.md``, ``question.html``, ``question.svg``, and what only the staff keep,
``folder/ta-only/ID/key.toml`` (and ``solution.md``, ``solution.tex`` with
``solutions=True``), each through ``safety.write_atomic``. No key or solution is ever written
inside a hand-out folder: zipping ``handout/ID`` for a student hands them nothing else.
"""

from __future__ import annotations

import contextlib
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
from tracegrad.kit.trust import (
    SECRET_ENV,
    KitError,
    check_id,
    course_secret,
    id_clash,
    secret_problem,
)

__all__ = [
    "SECRET_ENV",
    "KitError",
    "HANDOUT",
    "TA_ONLY",
    "check_id",
    "read_roster",
    "roster_rows",
    "course_secret",
    "assign",
]

HANDOUT = "handout"  # folder/handout/ID: what a student gets
TA_ONLY = "ta-only"  # folder/ta-only/ID: the key and the solutions, never handed out
MAX_STUDENTS = 10_000
_ID_COLUMNS = ("id", "student_id", "student id", "sid", "student", "email")
_HEADER_WORDS = {"name", "username", "user", "login", "full name", "first name", "last name",
                 "surname", "given name", "e-mail", "mail"}  # fmt: skip


def read_roster(path: str) -> list[str]:
    """The IDs of a roster CSV: the column headed id, student_id, sid, student or email, or
    else the first column of every row (a roster without a header). A first row that is a
    header without such a column, and a roster without students, are refused; so are two IDs
    one folder would hold (the same, or differing only in case), naming both rows."""
    shown = printable(path, line=True)
    rows = roster_rows(path)
    if not rows:
        raise KitError(f"{shown}: the roster has no students")
    header = [c.strip().lower() for c in rows[0][1]]
    column = next((header.index(n) for n in _ID_COLUMNS if n in header), None)
    if column is None and _is_header(header):
        named = printable(", ".join(c.strip() for c in rows[0][1]), line=True)
        raise KitError(
            f"{shown}: row {rows[0][0]} is a header ({named}) without an ID column: head the "
            f"students' IDs {', '.join(_ID_COLUMNS[:-1])} or {_ID_COLUMNS[-1]}"
        )
    body = rows if column is None else rows[1:]
    if not body:
        raise KitError(f"{shown}: the roster has a header and no students")
    ids: list[tuple[str, str]] = []
    for no, row in body:
        cell = row[column or 0].strip() if (column or 0) < len(row) else ""
        ids.append((check_id(cell, f"{shown}: row {no}"), f"{shown}: row {no}"))
    id_clash(ids)
    return [s for s, _ in ids]


def roster_rows(path: str) -> list[tuple[int, list[str]]]:
    """The rows of a roster CSV that are not blank, with their row numbers, read within the
    size limit; KitError (one line) for a file that cannot be read or is not CSV."""
    try:
        text = read_limited(path, LIMITS["homework_bytes"], "roster")
    except UnreadableFile as exc:
        raise KitError(str(exc)) from None
    try:
        return [(no, r) for no, r in enumerate(csv.reader(io.StringIO(text)), start=1)
                if any(c.strip() for c in r)]  # fmt: skip
    except csv.Error as exc:
        raise KitError(f"{printable(path, line=True)}: not a CSV file: {exc}") from None


def _is_header(cells: list[str]) -> bool:
    """A first row that names columns: a word like 'name', or in a row of several columns a
    cell no ID can be ('Full name'); a lone bad ID is the ID check's to name."""
    several = len([c for c in cells if c]) > 1
    return any(c in _HEADER_WORDS or (several and not re.fullmatch(r"[a-z0-9@._+-]*", c))
               for c in cells)  # fmt: skip


def _trees(solutions: bool) -> dict[str, list[str]]:
    """The files of each tree, for one student."""
    handout = ["blank.toml", "question.md", "question.html", "question.svg"]
    staff = ["key.toml", *(["solution.md", "solution.tex"] if solutions else [])]
    return {HANDOUT: handout, TA_ONLY: staff}


def _check_targets(out: Path, students: list[str], solutions: bool) -> None:
    """KitError naming the first folder or file in the way, before anything is written: a
    file or a link where a folder goes (a linked folder would lead outside ``out``), or a
    file that exists already."""
    if os.path.lexists(out) and not out.is_dir():
        raise KitError(f"-o {printable(str(out), line=True)}: is not a folder")
    for tree, names in _trees(solutions).items():
        for folder in (out / tree, *(out / tree / s for s in students)):
            if folder.is_symlink() or (os.path.lexists(folder) and not folder.is_dir()):
                what = "a link" if folder.is_symlink() else "a file"
                raise KitError(
                    f"{printable(str(folder), line=True)} is {what}, not a folder; nothing was "
                    "written (tracegrad writes only inside -o: use a new folder)"
                )
        for path in (out / tree / s / f for s in students for f in names):
            if os.path.lexists(path):
                raise KitError(f"{printable(str(path), line=True)} already exists; nothing "
                               "was written (use a new folder)")  # fmt: skip


def _folder(out: Path, *parts: str) -> Path:
    """``out/parts...``, made one level at a time and never through a link."""
    home = out
    for part in parts:
        home = home / part
        with contextlib.suppress(FileExistsError):
            home.mkdir()
        if home.is_symlink() or not home.is_dir():
            raise KitError(f"{printable(str(home), line=True)} is not a folder of its own; "
                           "tracegrad writes only inside -o")  # fmt: skip
    return home


def assign(
    template: Template,
    students: list[str],
    folder: str | Path,
    secret: str,
    *,
    solutions: bool = False,
) -> list[Path]:
    """Write every student's hand-out and key (see the module); refuses before writing
    anything when one of the files exists or a folder on the way is a file or a link."""

    if len(students) > MAX_STUDENTS:
        raise KitError(f"{len(students)} students: at most {MAX_STUDENTS} at once")
    weak = secret_problem(secret)
    if weak is not None:
        raise KitError(weak)
    id_clash([(s, f"student {i}") for i, s in enumerate(students, start=1)])
    out = Path(folder)
    _check_targets(out, students, solutions)
    variants: list[tuple[str, Variant]] = []
    for s in students:
        try:
            variants.append((s, template.variant(variant_seed(secret, template, s))))
        except TemplateError as exc:
            raise KitError(f"student {s}: {exc}") from None
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for s, v in variants:
        svg = question_svg(v)
        pages = {
            "blank.toml": blank_text(template, v, s),
            "question.md": question_markdown(template, v, s),
            "question.html": question_html(template, v, s, svg),
            "question.svg": svg,
            "key.toml": key_text(template, v, s),
        }
        if solutions:
            solution = solve(_plain(v.data))
            pages["solution.md"] = solution.markdown() + "\n"
            pages["solution.tex"] = solution_latex(solution)
        for tree, names in _trees(solutions).items():
            home = _folder(out, tree, s)
            written += [write_atomic(home / n, pages[n].encode("utf-8")) for n in names]
    return written

"""Grading submissions: points per answer, Gradescope's results.json, a gradebook row.

A submission is a filled-in blank (or any sheet): ``tracegrad check`` marks it against its own
numbers, and its ``[variant]`` table (written by ``tracegrad assign``) says which answers were
asked and what each is worth. An answer earns its full points when it is accepted (right,
carried forward, truncated), the template's ``imprecise`` share when it is too imprecise, and
nothing otherwise or when it is missing.

With ``against`` (the template and the course secret: ``check --template T``), the answers
asked and their points come from the template, and the submission's givens must be the
variant drawn for the student it names: a sheet with changed or copied numbers is not graded.
``grade`` never raises: a submission that cannot be
read is a result with ``error`` set, so a batch always finishes.
"""

from __future__ import annotations

import csv
import functools
import io
from collections.abc import Iterable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tracegrad.autograd.limits import refuse_in_browser
from tracegrad.autograd.safety import csv_cell, printable
from tracegrad.checker import IMPRECISE, HomeworkError, check
from tracegrad.checker.limits import read_homework
from tracegrad.checker.reading.homework import tomllib
from tracegrad.checker.solving.problem import normalise
from tracegrad.kit.template import TemplateError, _plain, load_template, variant_seed

__all__ = [
    "Against",
    "grade",
    "grade_all",
    "gradescope",
    "gradebook",
    "GRADEBOOK_FIELDS",
    "MAX_JOBS",
]

GRADEBOOK_FIELDS = ["student_id", "score", "max_score", "first_mistake", "file"]
MAX_JOBS = 64


def _student(path: str, variant: dict[str, Any]) -> str:
    student = variant.get("student")
    if isinstance(student, str) and student:
        return student
    p = Path(path)
    return p.parent.name if p.stem in ("blank", "key", "submission") and p.parent.name else p.stem


@dataclass(frozen=True)
class Against:
    """The template a class was assigned from and the course secret (to verify variants)."""

    template: str
    secret: str


@functools.lru_cache(maxsize=4)
def _template(path: str) -> Any:

    return load_template(path)


def _sheet(path: str) -> dict[str, Any]:
    """The parsed sheet, {} when it cannot be read (the checker reports why)."""

    try:
        return tomllib.loads(read_homework(path))
    except Exception:
        return {}


def _floats(val: Any) -> Any:
    """Numbers as floats all the way down (a drawn 3 and a written 3.0 are the same given)."""
    if isinstance(val, dict):
        return {k: _floats(v) for k, v in val.items()}
    if isinstance(val, list):
        return [_floats(v) for v in val]
    return float(val) if isinstance(val, int) and not isinstance(val, bool) else val


def _verify(data: dict[str, Any], against: Against) -> tuple[dict[str, Any], str | None]:
    """The template's settings as a [variant] table, and why the sheet's givens are not its
    student's variant (None when they are)."""

    t = _template(against.template)
    settings = {
        "find": t.find,
        "imprecise": t.imprecise,
        "points": {"default": t.points_of("default"), **t.points},
    }
    if not data:  # unreadable: the checker says why; the maximum is still the template's
        return settings, None
    variant = data.get("variant")
    student = variant.get("student") if isinstance(variant, dict) else None
    if not isinstance(student, str) or not student:
        return settings, f"no [variant] student: not a sheet assigned from {t.name}"
    settings["student"] = student
    try:
        drawn = t.variant(variant_seed(against.secret, t, student))
    except TemplateError as exc:
        return settings, str(exc)
    free = ("variant", "answers", "title", "description")  # what a student may change
    given = {k: v for k, v in data.items() if k not in free}
    expected = {k: v for k, v in _floats(_plain(drawn.data)).items() if k not in free}
    changed = [
        k for k in sorted(set(given) | set(expected)) if _floats(given.get(k)) != expected.get(k)
    ]
    if changed:
        return settings, (
            f"the givens ([{changed[0]}]) are not the variant of {t.name} drawn for {student}: "
            "changed, or copied from another student's sheet"
        )
    return settings, None


def _number(val: Any, default: float) -> float:
    ok = isinstance(val, (int, float)) and not isinstance(val, bool) and 0 <= val <= 1000
    return float(val) if ok else default


def _settings(variant: dict[str, Any]) -> tuple[dict[str, Any], float, float, list[str]]:
    """points table, default points, the imprecise share and the answers asked."""
    table = variant.get("points")
    points: dict[str, Any] = table if isinstance(table, dict) else {}
    share = min(_number(variant.get("imprecise"), 0.0), 1.0)
    find = variant.get("find")
    asked = [f for f in find if isinstance(f, str)] if isinstance(find, list) else []
    return points, _number(points.get("default"), 1.0), share, asked


def grade(path: str, against: Against | None = None) -> dict[str, Any]:
    """One submission as plain data: student, score, max_score, tests, first_mistake, error."""

    data = _sheet(path)
    table = data.get("variant")
    variant: dict[str, Any] = table if isinstance(table, dict) else {}
    refused = None
    if against is not None:
        variant, refused = _verify(data, against)
    points, default, share, find = _settings(variant)
    result: dict[str, Any] = {"file": path, "student": _student(path, variant)}
    max_score = sum(_number(points.get(n), default) for n in find)
    failed = {**result, "score": 0.0, "max_score": max_score, "tests": []}
    if refused is not None:
        why = f"{path}: {refused}"
        return {**failed, "error": why, "first_mistake": f"cannot grade: {why}"}
    try:
        marks = check(path).marks
    except HomeworkError as exc:
        if "[answers]" not in str(exc) or not find:
            return {**failed, "error": str(exc), "first_mistake": f"cannot grade: {exc}"}
        marks = []  # a blank handed in as it was: nothing answered
    except Exception as exc:  # never stop a batch
        why = f"{path}: {type(exc).__name__}: {exc}"
        return {**failed, "error": why, "first_mistake": f"cannot grade: {why}"}
    tests = _tests(marks, find, points, default, share)
    first = next((t for t in tests if t["score"] < t["max_score"]), None)
    return {
        **result,
        "score": round(sum(t["score"] for t in tests), 6),
        "max_score": round(sum(t["max_score"] for t in tests), 6),
        "tests": tests,
        "error": None,
        "first_mistake": f"{first['name']}: {first['output']}" if first else "",
    }


def _tests(
    written: list[Any], find: list[str], points: dict[str, Any], default: float, share: float
) -> list[dict[str, Any]]:
    """One test per answer asked (every answer written when the sheet names none)."""

    marks = {normalise(m.label): m for m in reversed(written)}  # the first one wins
    tests = []
    for name in find or [m.label for m in written]:
        worth = _number(points.get(name), default)
        m = marks.get(normalise(name))
        if m is None:
            tests.append({"name": name, "score": 0.0, "max_score": worth,
                          "output": "not answered"})  # fmt: skip
            continue
        got = worth if m.ok else worth * share if m.verdict == IMPRECISE else 0.0
        said = f"yours {m.answer.text}: {m.verdict}" + (f": {m.message}" if m.message else "")
        tests.append({"name": name, "score": got, "max_score": worth, "output": said})
    return tests


def grade_all(
    paths: Iterable[str], jobs: int = 1, against: Against | None = None
) -> list[dict[str, Any]]:
    """Every submission, in order; ``jobs`` > 1 grades in that many processes."""
    paths = list(paths)
    one = functools.partial(grade, against=against)
    if jobs <= 1 or len(paths) < 2:
        return [one(p) for p in paths]
    refuse_in_browser(f"--jobs {jobs}", "a web page cannot start processes; use --jobs 1")
    chunk = max(1, len(paths) // (jobs * 8))
    with ProcessPoolExecutor(max_workers=min(jobs, len(paths))) as pool:
        return list(pool.map(one, paths, chunksize=chunk))


def gradescope(result: dict[str, Any]) -> dict[str, Any]:
    """Gradescope's results.json for one submission: top-level score, output, visibility and
    tests (name, score, max_score, status, output, visibility); ``extra_data`` keeps the
    student and the maximum."""
    tests = [
        {
            "name": t["name"],
            "score": t["score"],
            "max_score": t["max_score"],
            "status": "passed" if t["score"] >= t["max_score"] else "failed",
            "output": t["output"],
            "visibility": "visible",
        }
        for t in result["tests"]
    ]
    if result["error"]:
        output = f"Your sheet could not be graded: {result['error']}"
    else:
        output = f"{result['score']:g} of {result['max_score']:g} points"
        if result["first_mistake"]:
            output += f"; first mistake: {result['first_mistake']}"
    return {
        "score": result["score"],
        "output": output,
        "visibility": "visible",
        "tests": tests,
        "extra_data": {"student": result["student"], "max_score": result["max_score"]},
    }


def gradebook(results: Iterable[dict[str, Any]]) -> str:
    """A header and one CSV row per submission; every cell made safe for spreadsheets
    (safety.csv_cell); a submission that could not be graded has an empty score."""
    buf = io.StringIO()
    out = csv.DictWriter(buf, fieldnames=GRADEBOOK_FIELDS, lineterminator="\n")
    out.writeheader()
    for r in results:
        row = {
            "student_id": r["student"],
            "score": "" if r["error"] else f"{r['score']:g}",
            "max_score": f"{r['max_score']:g}",
            "first_mistake": printable(r["first_mistake"], line=True),
            "file": printable(r["file"], line=True),
        }
        out.writerow({k: csv_cell(v) for k, v in row.items()})
    return buf.getvalue()

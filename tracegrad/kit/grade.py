"""Grading submissions: points per answer, Gradescope's results.json, a gradebook row.

A submission is a filled-in blank (or any sheet): ``tracegrad check`` marks it against its own
numbers, and its ``[variant]`` table (written by ``tracegrad assign``) says which answers were
asked and what each is worth. An answer earns its full points when it is accepted (right,
carried forward, truncated), the template's ``imprecise`` share when it is too imprecise, and
nothing otherwise or when it is missing. ``grade`` never raises: a submission that cannot be
read is a result with ``error`` set, so a batch always finishes.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

from tracegrad.autograd.safety import csv_cell, printable

__all__ = ["grade", "grade_all", "gradescope", "gradebook", "GRADEBOOK_FIELDS", "MAX_JOBS"]

GRADEBOOK_FIELDS = ["student_id", "score", "max_score", "first_mistake", "file"]
MAX_JOBS = 64


def _student(path: str, variant: dict[str, Any]) -> str:
    student = variant.get("student")
    if isinstance(student, str) and student:
        return student
    p = Path(path)
    return p.parent.name if p.stem in ("blank", "key", "submission") and p.parent.name else p.stem


def _variant(path: str) -> dict[str, Any]:
    """The [variant] table of a sheet, {} when it has none or cannot be read."""
    from tracegrad.checker.homework import tomllib
    from tracegrad.checker.limits import read_homework

    try:
        table = tomllib.loads(read_homework(path)).get("variant", {})
    except Exception:  # the checker reports why the file cannot be read
        return {}
    return table if isinstance(table, dict) else {}


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


def grade(path: str) -> dict[str, Any]:
    """One submission as plain data: student, score, max_score, tests, first_mistake, error."""
    from tracegrad.checker import HomeworkError, check

    variant = _variant(path)
    points, default, share, find = _settings(variant)
    result: dict[str, Any] = {"file": path, "student": _student(path, variant)}
    max_score = sum(_number(points.get(n), default) for n in find)
    failed = {**result, "score": 0.0, "max_score": max_score, "tests": []}
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
    from tracegrad.checker import IMPRECISE
    from tracegrad.checker.problem import normalise

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


def grade_all(paths: Iterable[str], jobs: int = 1) -> list[dict[str, Any]]:
    """Every submission, in order; ``jobs`` > 1 grades in that many processes."""
    paths = list(paths)
    if jobs <= 1 or len(paths) < 2:
        return [grade(p) for p in paths]
    chunk = max(1, len(paths) // (jobs * 8))
    with ProcessPoolExecutor(max_workers=min(jobs, len(paths))) as pool:
        return list(pool.map(grade, paths, chunksize=chunk))


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

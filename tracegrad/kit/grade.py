"""Grading submissions: points per answer, Gradescope's results.json, a gradebook row.

A submission is a filled-in blank (or any sheet): ``tracegrad check`` marks it against its own
numbers, and its ``[variant]`` table (written by ``tracegrad assign``) says which answers were
asked and what each is worth. An answer earns its full points when it is accepted (right,
carried forward, truncated), the template's ``imprecise`` share when it is too imprecise, and
nothing otherwise or when it is missing.

With ``against`` (the template and the course secret: ``check --template T``), the answers
asked, their points and every grading parameter (``tolerance``, ``min_sig_figs``, and a
tolerance written beside an answer) come from the template, and the submission's givens must
be the variant drawn for the student it names: a sheet with changed or copied numbers is not
graded, and a grading parameter of the sheet's own is ignored, with a note saying so.

A sheet is graded for the student who handed it in (``submitter``, as the platform says, or
else its place: ``ID/blank.toml`` or ``ID.toml``; ``trust.submitter_of``): a sheet that records
another student in ``[variant]`` (a classmate's, handed in whole) scores 0, with a note, in a
row of the submitter's. ``grade_all`` notes two submissions for one student, and a sheet whose
grading process dies (a CPU limit, an out-of-memory kill) gets a row saying so while the
others are graded. ``grade`` never raises: a submission that cannot be
read is a result with ``error`` set, so a batch always finishes.
"""

from __future__ import annotations

import contextlib
import csv
import dataclasses
import functools
import io
from collections.abc import Iterable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from typing import Any

from tracegrad.autograd.limits import refuse_in_browser
from tracegrad.autograd.safety import csv_cell, printable
from tracegrad.checker import IMPRECISE, RIGHT, WRONG, Homework, HomeworkError, check, load
from tracegrad.checker.judging.diagnose import CUT_SHORT
from tracegrad.checker.reading.homework import read_homework, tomllib, written_tolerance
from tracegrad.checker.solving.problem import normalise
from tracegrad.kit.template import TemplateError, _plain, load_template, variant_seed
from tracegrad.kit.trust import id_key, submitter_of, submitter_problem

__all__ = [
    "Against",
    "recorded_student",
    "grade",
    "grade_all",
    "gradescope",
    "gradebook",
    "template_changed",
    "GRADEBOOK_FIELDS",
    "MAX_JOBS",
]

GRADEBOOK_FIELDS = ["student_id", "score", "max_score", "first_mistake", "file", "note"]
# under --template, the template's only
_GRADING_KEYS = ("tolerance", "min_sig_figs", "min_decimals")
MAX_JOBS = 64


def _student(path: str, variant: dict[str, Any]) -> str:
    student = variant.get("student")
    if isinstance(student, str) and student:
        return student
    return submitter_of(path)


def recorded_student(path: str) -> str | None:
    """The student a sheet's ``[variant]`` names; None when it names none or cannot be read."""
    table = _sheet(path).get("variant")
    student = table.get("student") if isinstance(table, dict) else None
    return student if isinstance(student, str) and student else None


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
    settings: dict[str, Any] = {
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
    recorded = variant.get("template_sha256") if isinstance(variant, dict) else None
    if isinstance(recorded, str) and recorded != t.sha256:
        return settings, (
            f"assigned from another version of {t.name} (SHA-256 {printable(recorded[:12])}..., "
            f"the template's is {t.sha256[:12]}...): grade with the template as it was assigned"
        )
    try:
        drawn = t.variant(variant_seed(against.secret, t, student))
    except TemplateError as exc:
        return settings, str(exc)
    settings["grading"] = {k: drawn.data[k] for k in _GRADING_KEYS if k in drawn.data}
    free = ("variant", "answers", "title", "description", *_GRADING_KEYS)
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


def template_changed(paths: list[str], against: Against | None) -> str | None:
    """One line when the template was edited after the class was assigned (even one comment
    changes every variant): every sheet records one other version of it. None when not."""
    if against is None:
        return None
    t = _template(against.template)
    recorded = set()
    for path in paths:
        variant = _sheet(path).get("variant")
        sha = variant.get("template_sha256") if isinstance(variant, dict) else None
        if isinstance(sha, str):
            recorded.add(sha)
    if len(recorded) != 1 or t.sha256 in recorded:
        return None
    return (
        f"--template {printable(t.path, line=True)}: changed since these sheets were assigned "
        f"(they record SHA-256 {printable(recorded.pop()[:12], line=True)}..., it is "
        f"{t.sha256[:12]}...): every variant depends on every byte of it; grade with the "
        "template as it was assigned (from version control, or the copy kept with the keys)"
    )


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


def grade(
    path: str, against: Against | None = None, submitter: str | None = None
) -> dict[str, Any]:
    """One submission as plain data: student, score, max_score, tests, first_mistake, error
    and notes (what was ignored or refused, said once)."""

    data = _sheet(path)
    table = data.get("variant")
    variant: dict[str, Any] = table if isinstance(table, dict) else {}
    refused = None
    if against is not None:
        variant, refused = _verify(data, against)
    points, default, share, find = _settings(variant)
    result: dict[str, Any] = {"file": path, "student": _student(path, variant), "notes": []}
    max_score = sum(_number(points.get(n), default) for n in find)
    failed = {**result, "score": 0.0, "max_score": max_score, "tests": []}
    recorded = variant.get("student")
    if isinstance(recorded, str) and recorded:
        handed = submitter if submitter is not None else submitter_of(path)
        someone_else = submitter_problem(recorded, handed)
        if someone_else is not None:
            why = f"{path}: {someone_else}"
            tests = _tests([], find, points, default, share, said=someone_else)
            return {**failed, "student": handed, "tests": tests, "error": None,
                    "first_mistake": f"not graded: {why}", "notes": [why]}  # fmt: skip
    if refused is not None:
        why = f"{path}: {refused}"
        return {**failed, "error": why, "first_mistake": f"cannot grade: {why}"}
    try:
        hw = load(path)
        if against is not None:
            hw = _template_grading(hw, variant.get("grading", {}), result["notes"])
        marks = check(hw).marks
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


def _template_grading(hw: Homework, grading: dict[str, Any], notes: list[str]) -> Homework:
    """The sheet graded with the template's grading parameters only: a tolerance or
    precision (min_sig_figs, min_decimals) of the sheet's own (at the top or beside an answer) is
    ignored, and a note says so once."""
    given = grading.get("tolerance")
    tolerance = float(given) if given is not None else None

    def theirs(a: Any) -> Any:
        if tolerance is not None:
            return dataclasses.replace(a, tolerance=tolerance, explicit=True)
        if a.explicit:
            return dataclasses.replace(a, tolerance=written_tolerance(a.text), explicit=False)
        return a

    answers = [theirs(a) for a in hw.answers]
    own = sum(a.tolerance != b.tolerance for a, b in zip(hw.answers, answers))
    ignored = [f"tolerance ({own} of {len(answers)} answers)"] if own else []
    for key in ("min_sig_figs", "min_decimals"):
        if getattr(hw, key) != grading.get(key):
            ignored.append(key)
    if ignored:
        notes.append(
            f"{hw.path}: the sheet's own {' and '.join(ignored)} ignored: under --template "
            "every grading parameter comes from the template"
        )
    return dataclasses.replace(
        hw,
        answers=answers,
        min_sig_figs=grading.get("min_sig_figs"),
        min_decimals=grading.get("min_decimals"),
    )


def _tests(
    written: list[Any],
    find: list[str],
    points: dict[str, Any],
    default: float,
    share: float,
    said: str = "not answered",
) -> list[dict[str, Any]]:
    """One test per answer asked (every answer written when the sheet names none); an
    answer not marked says ``said``."""

    marks = {normalise(m.label): m for m in reversed(written)}  # the first one wins
    tests = []
    for name in find or [m.label for m in written]:
        worth = _number(points.get(name), default)
        m = marks.get(normalise(name))
        if m is None:
            tests.append({"name": name, "score": 0.0, "max_score": worth,
                          "output": said})  # fmt: skip
            continue
        got = worth if m.ok else worth * share if m.verdict == IMPRECISE else 0.0
        out = f"yours {m.answer.text}: {m.verdict}" + (f": {m.message}" if m.message else "")
        tests.append({"name": name, "score": got, "max_score": worth, "output": out,
                      "verdict": m.verdict, "reason": m.reason})  # fmt: skip
    return tests


def grade_all(
    paths: Iterable[str],
    jobs: int = 1,
    against: Against | None = None,
    submitter: str | None = None,
) -> list[dict[str, Any]]:
    """Every submission, in order; ``jobs`` > 1 grades in that many processes. A sheet whose
    process dies gets a row saying so; two submissions for one student are noted in both."""
    paths = list(paths)
    one = functools.partial(grade, against=against, submitter=submitter)
    if jobs <= 1 or len(paths) < 2:
        results = [one(p) for p in paths]
    else:
        refuse_in_browser(f"--jobs {jobs}", "a web page cannot start processes; use --jobs 1")
        results = _in_processes(one, paths, jobs)
    _note_twice(results)
    return results


def _in_processes(one: Any, paths: list[str], jobs: int) -> list[dict[str, Any]]:
    """``one`` over ``paths`` in ``jobs`` processes. When a worker dies, the pool breaks and
    takes every unfinished sheet with it: those are graded again, each in a process of its
    own, so only the sheet that kills its process is left with a failed row."""
    done: dict[int, dict[str, Any]] = {}
    with ProcessPoolExecutor(max_workers=min(jobs, len(paths))) as pool:
        futures = [pool.submit(one, p) for p in paths]
        for i, f in enumerate(futures):
            with contextlib.suppress(BrokenProcessPool):
                done[i] = f.result()
    for i, path in enumerate(paths):
        if i in done:
            continue
        try:
            with ProcessPoolExecutor(max_workers=1) as alone:
                done[i] = alone.submit(one, path).result()
        except BrokenProcessPool:
            why = (f"{path}: its grading process died (a CPU or memory limit, or a kill); "
                   "the other sheets are graded")  # fmt: skip
            done[i] = {"file": path, "student": submitter_of(path), "score": 0.0,
                       "max_score": 0.0, "tests": [], "error": why, "notes": [],
                       "first_mistake": f"cannot grade: {why}"}  # fmt: skip
    return [done[i] for i in range(len(paths))]


def _note_twice(results: list[dict[str, Any]]) -> None:
    """A note in each row of a student who handed in more than one sheet."""
    files: dict[str, list[str]] = {}
    for r in results:
        files.setdefault(id_key(r["student"]), []).append(r["file"])
    for r in results:
        same = files[id_key(r["student"])]
        if len(same) > 1:
            shown = ", ".join(printable(f, line=True) for f in same)
            r["notes"].append(f"{r['student']}: {len(same)} submissions ({shown}); keep one")


def gradescope(result: dict[str, Any]) -> dict[str, Any]:
    """Gradescope's results.json for one submission: top-level score, output (its
    ``output_format`` text), visibility and tests (name, score, max_score, status, output,
    tags, visibility); ``extra_data`` keeps the student and the maximum."""
    tests = [
        {
            "name": t["name"],
            "score": t["score"],
            "max_score": t["max_score"],
            "status": "passed" if t["score"] >= t["max_score"] else "failed",
            "output": t["output"],
            "tags": _tags(t),
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
    for note in result["notes"]:
        output += f"\nNote: {note}"
    return {
        "score": result["score"],
        "output": output,
        "output_format": "text",
        "visibility": "visible",
        "tests": tests,
        "extra_data": {"student": result["student"], "max_score": result["max_score"]},
    }


def _tags(test: dict[str, Any]) -> list[str]:
    """A test's tags on Gradescope: its verdict unless right ("carried forward", "sign
    flipped", ...), and for a wrong answer the slip the checker names ("factor 2", ...)."""
    verdict = test.get("verdict")
    if verdict is None:
        return [] if test["score"] >= test["max_score"] else ["not answered"]
    if verdict == RIGHT:
        return []
    reason = test.get("reason") or ""
    named = verdict == WRONG and reason not in ("", "unknown", CUT_SHORT)
    return [verdict, reason] if named else [verdict]


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
            "note": printable("; ".join(r["notes"]), line=True),
        }
        out.writerow({k: csv_cell(v) for k, v in row.items()})
    return buf.getvalue()

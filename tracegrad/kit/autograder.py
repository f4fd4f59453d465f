"""What the Gradescope autograder runs for one submission (``run_autograder``; written by
``tracegrad export gradescope``).

Under the autograder's root (``/autograder``, or the ``TRACEGRAD_AUTOGRADER_ROOT`` environment
variable): the sheet is the one ``.toml`` file in ``submission/``, the submitter comes from
``submission_metadata.json`` (``users[]``, matched by ``email``, or by ``sid`` where the roster
has one), and ``source/`` holds what the export put there: ``template.toml``,
``roster.json`` and ``course_secret``. The sheet is graded against the submitter's own
variant (``tracegrad.kit.grade`` with the template and the secret) and the result written to
``results/results.json``. A sheet drawn for someone else, changed givens, a submitter not on
the roster and a sheet that cannot be read all score 0 with a one-line reason; nothing here
ends in a traceback.

It imports the grading path (template, checker, grade), not the drawing or the export code.
"""

from __future__ import annotations

import json
import math
import os
import time
from pathlib import Path
from typing import Any

from tracegrad.autograd.limits import LIMITS, UnreadableFile, read_limited
from tracegrad.autograd.safety import dumps_json, printable, write_atomic
from tracegrad.kit.grade import Against, grade, gradescope, recorded_student
from tracegrad.kit.trust import submitter_problem

__all__ = ["ROOT_ENV", "DEFAULT_ROOT", "main", "run", "results_for"]

ROOT_ENV = "TRACEGRAD_AUTOGRADER_ROOT"
DEFAULT_ROOT = "/autograder"
_MAX_FOLDERS = 200  # folders of a submission looked into for its sheet


class Refused(Exception):
    """A submission that is not graded: the one line the student reads."""


def main() -> int:
    """run_autograder's entry point: the root from TRACEGRAD_AUTOGRADER_ROOT."""
    run(os.environ.get(ROOT_ENV) or DEFAULT_ROOT)
    return 0


def run(root: str | Path) -> dict[str, Any]:
    """Grade the submission under ``root`` and write ``root/results/results.json``."""
    start = time.monotonic()
    base = Path(root)
    try:
        results = results_for(base)
    except Exception as exc:  # never a traceback in place of a grade
        why = f"{type(exc).__name__}: {exc}".splitlines()[0]
        results = _refusal(f"the autograder failed ({printable(why, line=True)}): tell your TA")
    results["execution_time"] = math.ceil(time.monotonic() - start)
    results["stdout_visibility"] = "hidden"
    (base / "results").mkdir(parents=True, exist_ok=True)
    write_atomic(base / "results" / "results.json", dumps_json(results, indent=2) + "\n")
    return results


def results_for(base: Path) -> dict[str, Any]:
    """results.json for the submission under ``base`` (see the module docstring)."""
    source = base / "source"
    try:
        own = _submitters(base, source)
        sheet = _sheet(base / "submission")
    except Refused as exc:
        return _refusal(str(exc))
    secret = read_limited(source / "course_secret", LIMITS["homework_bytes"], "course secret")
    recorded = recorded_student(str(sheet))
    # a group hands in one sheet: it is graded for the member it was drawn for
    mine = [o for o in own if recorded is None or submitter_problem(recorded, o) is None]
    against = Against(str(source / "template.toml"), secret)
    result = grade(str(sheet), against, submitter=(mine or own)[0])
    result["file"] = sheet.name
    if not mine:
        who = " or ".join(own)
        why = (f"{sheet.name} is the sheet of {printable(recorded, line=True)}, not yours "
               f"({who}): hand in the sheet drawn for you")  # fmt: skip
        result = {**result, "score": 0.0, "tests": [], "error": why}
    elif result["error"]:
        result["error"] = result["error"].replace(str(sheet.parent) + os.sep, "")
    return gradescope(result)


def _refusal(why: str) -> dict[str, Any]:
    failed = {"student": "", "score": 0.0, "max_score": 0.0, "tests": [], "error": why, "notes": []}
    return gradescope({**failed, "first_mistake": f"cannot grade: {why}"})


def _json(path: Path, what: str) -> Any:
    try:
        return json.loads(read_limited(path, LIMITS["homework_bytes"], what))
    except (UnreadableFile, ValueError) as exc:
        raise Refused(f"cannot read {what}: {printable(exc, line=True)}") from None


def _submitters(base: Path, source: Path) -> list[str]:
    """The roster IDs of who handed this in (one, or a group's members on the roster)."""
    meta = _json(base / "submission_metadata.json", "the submission's metadata")
    users = meta.get("users") if isinstance(meta, dict) else None
    if not isinstance(users, list) or not users:
        raise Refused("the submission's metadata names no submitter")
    emails = {str(u.get("email", "")).strip().lower() for u in users if isinstance(u, dict)}
    sids = {str(u.get("sid") or "").strip() for u in users if isinstance(u, dict)} - {""}
    roster = _json(source / "roster.json", "the roster")
    own = [r["id"] for r in roster if r["email"] in emails or (r["sid"] and r["sid"] in sids)]
    if not own:
        shown = ", ".join(sorted(e for e in emails if e)) or "no e-mail address"
        raise Refused(f"{printable(shown, line=True)} is not on this course's roster: "
                      "ask your TA to add you")  # fmt: skip
    return own


def _sheet(folder: Path) -> Path:
    """The one .toml file handed in (blank.toml when there are several)."""
    found: list[Path] = []
    for n, (dirpath, _dirs, names) in enumerate(os.walk(folder)):
        if n >= _MAX_FOLDERS:
            break
        found += [Path(dirpath) / f for f in sorted(names) if f.endswith(".toml")]
    if len(found) > 1:
        found = [f for f in found if f.name == "blank.toml"] or found
    if len(found) != 1:
        listed = ", ".join(sorted(f.name for f in found)[:5])
        what = f"several sheets ({printable(listed, line=True)})" if found else "no sheet"
        raise Refused(f"{what} in your submission: hand in your one .toml sheet")
    return found[0]

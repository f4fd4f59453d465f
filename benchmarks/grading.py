"""Grading a class: ``tracegrad check --format gradebook`` on generated submissions, with
``--jobs 1`` and ``--jobs 2`` (``python -m benchmarks.run --only grading``).

The submissions are the keys of a class assigned from the shipped expression template, every
tenth with one slip; the check compares the two gradebooks row for row (timing is reported,
never asserted).
"""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path
from typing import Any


def make_class(folder: Path, n: int) -> list[str]:
    """n keys of the expression template (one student's variant copied with a slip in every
    tenth, so assigning stays cheap): the submissions to grade."""
    from tracegrad import examples
    from tracegrad.kit.assign import assign
    from tracegrad.kit.template import load_template

    template = load_template(examples.path("expression_template"))
    ids = [f"s{k:04d}" for k in range(min(n, 20))]
    assign(template, ids, folder, "benchmark secret, not a course's: 40 chars")
    paths = []
    for k in range(n):
        student = ids[k % len(ids)]
        text = (folder / "ta-only" / student / "key.toml").read_text(encoding="utf-8")
        # handed in as a student of its own (a sheet is graded for the one it records)
        text = text.replace(f'student = "{student}"', f'student = "sub{k:05d}"', 1)
        if k % 10 == 3:
            head, answers = text.split("[answers]")
            text = head + "[answers]" + answers.replace("q = ", "q = 1", 1)
        path = folder / f"sub{k:05d}.toml"
        path.write_text(text, encoding="utf-8")
        paths.append(str(path))
    return paths


def _burn(n: int) -> int:
    total = 0
    for i in range(n):
        total += i
    return total


def control_speedup(n: int) -> float:
    """The same pure-Python loop 4 times in 1 and in 2 processes: the speed-up this machine
    gives two processes right now (on a shared machine, other work takes its share)."""
    from concurrent.futures import ProcessPoolExecutor

    t0 = time.perf_counter()
    for _ in range(4):
        _burn(n)
    one = time.perf_counter() - t0
    with ProcessPoolExecutor(max_workers=2) as pool:
        t0 = time.perf_counter()
        list(pool.map(_burn, [n] * 4))
        two = time.perf_counter() - t0
    return one / two


def bench_grading(n: int) -> dict[str, Any]:
    from tracegrad.kit.grade import grade_all, gradebook

    with tempfile.TemporaryDirectory() as tmp:
        paths = make_class(Path(tmp), n)
        times, books = {}, {}
        for jobs in (1, 2):
            t0 = time.perf_counter()
            books[jobs] = gradebook(grade_all(paths, jobs=jobs))
            times[jobs] = time.perf_counter() - t0
    return {
        "submissions": n,
        "cpus": os.cpu_count(),
        "seconds_jobs_1": times[1],
        "seconds_jobs_2": times[2],
        "speedup": times[1] / times[2],
        "control_speedup_pure_python": control_speedup(200_000 if n < 100 else 5_000_000),
        "check_same_gradebook": books[1] == books[2],
        "check_one_row_per_file": books[1].count("\n") == n + 1,
    }


def report_lines(g: dict[str, Any]) -> list[str]:
    return [
        f"grading {g['submissions']} submissions (gradebook): "
        f"--jobs 1 {g['seconds_jobs_1']:.2f} s, "
        f"--jobs 2 {g['seconds_jobs_2']:.2f} s, speed-up {g['speedup']:.2f}x (a pure-Python "
        f"loop in 2 processes: {g['control_speedup_pure_python']:.2f}x on this machine now)"
    ]

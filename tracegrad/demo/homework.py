"""`make demo` section: the seed article's own figures checked, and a sheet with mistakes."""

from __future__ import annotations

from pathlib import Path

from tracegrad import examples
from tracegrad.autograd.safety import write_atomic
from tracegrad.checker import check, solve


def check_homework(out_dir: Path) -> None:
    """Check the article's figures and a wrong student sheet; save the seed solution as Markdown."""

    seed = examples.path("seed_article")
    print("Homework checker: the seed article's own figures (tracegrad check)")
    print(check(seed).table(derivations=False))
    print()
    wrong = check(examples.path("student_wrong"))
    print(f"A sheet with mistakes: {wrong.summary()}")
    first = wrong.first_mistake
    if first is not None:
        print(f"  first mistake: {first.label} = {first.answer.text}: {first.message}")
    path = out_dir / "seed_solution.md"
    write_atomic(path, solve(seed).markdown() + "\n")
    print(f"  the full worked solution (tracegrad solve --format markdown): {path}")


SECTIONS = [check_homework]

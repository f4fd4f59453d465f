"""`make demo` section: the seed article's own figures checked, and a sheet with mistakes."""

from __future__ import annotations

from pathlib import Path

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def check_homework(out_dir: Path) -> None:
    """Check the article's figures and a wrong student sheet; save the seed solution as Markdown."""
    from tracegrad.checker import check, solve

    seed = EXAMPLES / "seed_article.toml"
    if not seed.exists():  # an installed package without the repository's examples/
        print("Homework checker: examples/ not found (run from the repository)")
        return
    print("Homework checker: the seed article's own figures (tracegrad check)")
    print(check(seed).table(derivations=False))
    print()
    wrong = check(EXAMPLES / "student_wrong.toml")
    print(f"A sheet with mistakes: {wrong.summary()}")
    first = wrong.first_mistake
    if first is not None:
        print(f"  first mistake: {first.label} = {first.answer.text}: {first.message}")
    path = out_dir / "seed_solution.md"
    path.write_text(solve(seed).markdown() + "\n", encoding="utf-8")
    print(f"  the full worked solution (tracegrad solve --format markdown): {path}")


SECTIONS = [check_homework]

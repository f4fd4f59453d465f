"""Rules that keep the codebase changeable in an afternoon (CONTRIBUTING.md explains them)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TESTS = ROOT / "tests"
MAX_LINES = 500
# The homework checker is being split by its own issue; every other module stays readable.
NOT_YET = {"tracegrad/checker"}


def _sources() -> list[Path]:
    out = []
    for folder in ("autograd", "nn", "tracegrad"):
        for path in sorted((ROOT / folder).rglob("*.py")):
            rel = path.relative_to(ROOT).as_posix()
            if not any(rel.startswith(prefix) for prefix in NOT_YET):
                out.append(path)
    return out


def test_no_source_file_is_over_500_lines() -> None:
    sources = _sources()
    assert len(sources) > 30  # the glob found the packages
    long = {p.relative_to(ROOT).as_posix(): n for p in sources if (n := _lines(p)) > MAX_LINES}
    assert not long, f"split these by idea (limit {MAX_LINES} lines): {long}"


def _lines(path: Path) -> int:
    return len(path.read_text(encoding="utf-8").splitlines())


def test_example_counts_come_from_the_hypothesis_profile() -> None:
    """No property sets max_examples: tests/conftest.py's profile does (quick or thorough)."""
    pattern = re.compile(r"@settings\([^)]*max_examples|settings\(max_examples=\d+[^)]*\)\)?\n")
    offenders = []
    for path in sorted(TESTS.glob("*.py")):
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if pattern.search(line + "\n") and "find(" not in line:
                offenders.append(f"{path.name}:{n}")
    assert not offenders, f"use the profile, not a literal: {offenders}"


def test_test_modules_import_no_other_test_module() -> None:
    """Shared strategies live in tests/strategies.py, never in a test_*.py another one imports."""
    offenders = []
    for path in sorted(TESTS.glob("test_*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            names = []
            if isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            elif isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            offenders += [f"{path.name} imports {m}" for m in names if m.startswith("test_")]
    assert not offenders, offenders

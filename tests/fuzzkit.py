"""What the fuzz suites share (tests/test_fuzz.py, tests/test_fuzz_outputs.py): each input in
a child process under CPU and memory limits, its result checked the same way."""

from __future__ import annotations

import hashlib
import os
import resource
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

__all__ = ["BUDGETS", "LONG", "QUICK", "_assert_clean", "_fuzz", "_limits", "_run", "_snapshot"]

CPU_SECONDS = 15  # CPU time, not wall-clock: a loaded machine does not make it fail
MEMORY = 512 * 2**20  # address space: "a few hundred MB" (Python and numpy need ~300)
# A child process per example: half the hypothesis profile's count (quick: 30, thorough:
# 250); the long run behind the fuzz marker takes TRACEGRAD_FUZZ_EXAMPLES (300).
QUICK = max(4, (settings.default.max_examples or 60) // 2)
LONG = int(os.environ.get("TRACEGRAD_FUZZ_EXAMPLES", "300"))
BUDGETS = [
    pytest.param(QUICK, id="quick"),
    pytest.param(LONG, id="long", marks=pytest.mark.fuzz),
]


def _limits() -> None:  # runs in the child before exec
    resource.setrlimit(resource.RLIMIT_CPU, (CPU_SECONDS, CPU_SECONDS + 1))
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY, MEMORY))


def _snapshot(folder: Path) -> dict[str, str]:
    """Each entry's content hash (a link: where it points; a folder: its name only)."""
    return {
        p.name: "link to " + os.readlink(p)
        if p.is_symlink()
        else ("folder" if p.is_dir() else hashlib.sha256(p.read_bytes()).hexdigest())
        for p in folder.iterdir()
    }


def _run(argv: list[Any], folder: Path) -> subprocess.CompletedProcess[bytes]:
    """Run argv in ``folder`` under the limits; the folder must be unchanged afterwards."""
    before = _snapshot(folder)
    done = subprocess.run(
        argv, cwd=folder, capture_output=True, timeout=120, preexec_fn=_limits,
        env={**os.environ, "PYTHONHASHSEED": "0"},
    )  # fmt: skip
    assert done.returncode >= 0, f"killed by signal {-done.returncode} (time or memory limit)"
    assert _snapshot(folder) == before, "a file changed"
    return done


def _assert_clean(
    done: subprocess.CompletedProcess[bytes], command: str, ok: tuple[int, ...]
) -> str:
    """Exit in ``ok`` or 2; on 2 exactly one line ``tracegrad CMD: error: ...``; no traceback."""
    err = done.stderr.decode("utf-8", "replace")
    out = done.stdout.decode("utf-8", "replace")
    assert "Traceback" not in err + out, err[-2000:]
    assert done.returncode in (*ok, 2), (done.returncode, err[-2000:])
    if done.returncode == 2:
        assert err.count("\n") == 1 and err.endswith("\n"), err[-2000:]
        assert err.startswith(f"tracegrad {command}: error: "), err[:300]
        assert "an internal error" not in err, err[:300]  # a clean refusal, not a caught bug
    else:
        assert err == "", err[-2000:]
    return out


def _fuzz(budget: int, strategy: st.SearchStrategy[Any], body: Callable[[Any], None]) -> None:
    @settings(
        max_examples=budget,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(strategy)
    def run(case: Any) -> None:
        body(case)

    run()

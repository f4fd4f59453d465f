"""The CLI's start, in new processes (``python -m benchmarks.run --only cli_start``):
``tracegrad --help`` and ``tracegrad check`` on shipped sheets (an expression sheet and a
network sheet), each against ``python -c "import numpy"`` run in turn with it.

The issue's targets (issue 34): ``--help`` within 0.5x and ``check`` within 1x of importing
numpy. Reported, never asserted: a shared machine's timings prove nothing in a test
(``tests/test_cli_imports.py`` counts the modules each command loads instead).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

from benchmarks.first_picture import race

TARGETS = {"help": 0.5, "expression_sheet": 1.0, "network_sheet": 1.0}
EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def _commands() -> dict[str, list[str]]:
    tracegrad = str(Path(sys.executable).parent / "tracegrad")
    return {
        "numpy": [sys.executable, "-c", "import numpy"],
        "help": [tracegrad, "--help"],
        "expression_sheet": [tracegrad, "check", str(EXAMPLES / "expression.toml")],
        "network_sheet": [tracegrad, "check", str(EXAMPLES / "mazur.toml")],
    }


def bench_cli_start(rounds: int) -> dict[str, Any]:
    return race(_commands(), dict(os.environ), rounds, TARGETS, ok=(0, 1))  # 1: wrong answers


def report_lines(r: dict[str, Any]) -> list[str]:
    w, ratio, t = r["seconds_wall"], r["ratio_wall_vs_import_numpy"], r["targets"]
    return [
        f"cli_start (new processes): import numpy {1e3 * w['numpy']:.0f} ms; "
        f"tracegrad --help {1e3 * w['help']:.0f} ms ({ratio['help']:.2f}x, target "
        f"{t['help']}x); tracegrad check expression.toml {1e3 * w['expression_sheet']:.0f} ms "
        f"({ratio['expression_sheet']:.2f}x, target {t['expression_sheet']}x); "
        f"check mazur.toml {1e3 * w['network_sheet']:.0f} ms "
        f"({ratio['network_sheet']:.2f}x, target {t['network_sheet']}x)"
    ]

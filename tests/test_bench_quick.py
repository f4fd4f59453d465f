"""The benchmark script in quick mode: it runs, its correctness checks pass, its JSON is
complete. No timing is asserted (timings on a shared machine prove nothing in a test)."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path
from typing import Any

import pytest


def _load_benchmarks() -> object:
    """benchmarks/run.py is not installed; load it from the repository (the repository root
    stays off sys.path, so a stray top-level `import autograd` cannot pass unnoticed)."""
    root = Path(__file__).resolve().parent.parent
    for name in ("benchmarks", "benchmarks.run"):
        rel = "benchmarks/__init__.py" if name == "benchmarks" else "benchmarks/run.py"
        spec = importlib.util.spec_from_file_location(name, root / rel)
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules["benchmarks.run"]


run: Any = _load_benchmarks()


@pytest.mark.slow
def test_quick_benchmark_runs_and_checks_pass(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status = run.main(["--quick", "--out", str(tmp_path)])
    printed = capsys.readouterr().out
    assert status == 0, printed
    res = json.loads((tmp_path / "quick.json").read_text())
    assert run.failed_checks(res) == []
    assert set(run.WORKLOADS) | {"machine"} <= set(res)
    m = res["mlp_step"]
    assert m["nodes"]["ours"] > 1000 and m["nodes"]["micrograd"] > 1000
    assert m["first_loss"]["ours"] == pytest.approx(m["first_loss"]["micrograd"], rel=1e-12)
    assert res["memory"]["peak_bytes"]["ours"] > 0
    # per graph node as drawn (ops and constants): an op's Value is the only object the
    # garbage collector tracks, a constant is a plain float it never walks (micrograd: five)
    assert res["gc"]["tracked_objects_per_node"]["ours"] == pytest.approx(0.5, abs=0.01)
    assert res["epoch"]["compiled_vs_eager_max_rel_grad_diff"] <= 1e-12
    assert 0 < res["epoch"]["numpy_calls_per_epoch"] < res["epoch"]["tape_nodes"]
    assert res["epoch"]["numpy_vs_eager_max_rel_grad_diff"] <= 1e-9
    for needle in (*run.WORKLOADS, "all passed"):
        assert needle in printed


def test_failed_checks_finds_a_false_check() -> None:
    res = {"a": {"check_x": True, "b": {"check_y": False}}, "check_z": True}
    assert run.failed_checks(res) == ["a.b.check_y"]

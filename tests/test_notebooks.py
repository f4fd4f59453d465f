"""Every notebook in notebooks/ runs top to bottom on a fresh kernel, so none can rot.

Notebooks are committed without outputs (the reader runs them; git diffs stay readable), so
this also checks that no output or execution count slipped into a commit. Each notebook runs
on a new ``python3`` kernel of the Python running the tests (jupyter_client maps the kernel's
``python`` to ``sys.executable``), in the notebooks/ folder, with a time limit per cell; any
cell that raises fails the test and names the cell.
"""

from __future__ import annotations

import os
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError, CellTimeoutError

NOTEBOOKS_DIR = Path(__file__).resolve().parent.parent / "notebooks"
NOTEBOOKS = sorted(NOTEBOOKS_DIR.glob("*.ipynb"))
CELL_TIMEOUT_S = 120  # a generous bound for one cell on a busy 2-core machine
# Notebooks that import PyTorch run with the oracle tests (`make test-oracle`, where the
# `oracle` extra installs torch), not in `make test`.
NEEDS_TORCH = {"07_from_tracegrad_to_pytorch.ipynb"}


def _ids(paths: list[Path]) -> list[str]:
    return [p.stem for p in paths]


def test_there_are_notebooks() -> None:
    """The glob below must find the notebooks, or the executed-notebook tests test nothing."""
    names = {p.name for p in NOTEBOOKS}
    for expected in ["01_values_and_graphs.ipynb", "02_worked_example.ipynb"]:
        assert expected in names, f"missing notebooks/{expected}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=_ids(NOTEBOOKS))
def test_notebook_is_committed_without_outputs(path: Path) -> None:
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    for i, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        assert not cell.get("outputs"), f"{path.name} cell {i} has outputs: clear them"
        assert cell.get("execution_count") is None, f"{path.name} cell {i} has a count"


def _runs(paths: list[Path]) -> list[object]:
    return [
        pytest.param(p, id=p.stem, marks=[pytest.mark.oracle] if p.name in NEEDS_TORCH else [])
        for p in paths
    ]


def test_the_torch_notebooks_exist() -> None:
    """NEEDS_TORCH names real notebooks (a renamed one would otherwise run in `make test`)."""
    assert {p.name for p in NOTEBOOKS} >= NEEDS_TORCH


@pytest.mark.slow
@pytest.mark.parametrize("path", _runs(NOTEBOOKS))
def test_notebook_runs(path: Path) -> None:
    nb = nbformat.read(path, as_version=4)
    # Headless: the inline backend draws to PNG without a display; the env makes sure no
    # GUI backend is picked if a notebook imports pyplot before the inline backend is set.
    env = dict(os.environ, MPLBACKEND="module://matplotlib_inline.backend_inline")
    client = NotebookClient(
        nb,
        timeout=CELL_TIMEOUT_S,
        kernel_name="python3",
        resources={"metadata": {"path": str(NOTEBOOKS_DIR)}},
    )
    try:
        client.execute(env=env)
    except CellTimeoutError as e:
        pytest.fail(f"{path.name}: a cell ran longer than {CELL_TIMEOUT_S} s\n{e}")
    except CellExecutionError as e:
        pytest.fail(f"{path.name} raised:\n{e}")
    errors = [
        out
        for cell in nb.cells
        if cell.cell_type == "code"
        for out in cell.outputs
        if out.output_type == "error"
    ]
    assert not errors, f"{path.name}: {errors[0].ename}: {errors[0].evalue}"

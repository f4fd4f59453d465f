"""The engine's modules import each other in one direction, all at the top of the module.

``value`` imports the walk (``graph``, its accelerator ``fastwalk``), ``higher`` and
``pickling``; none of them imports ``value`` back (they know a Value by its slots, and name the
class only under ``TYPE_CHECKING``), and no module of the engine imports another part of
tracegrad inside a function. Drawing registers how a notebook shows a Value
(``value.register_display``); the engine never imports it.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

AUTOGRAD = Path(__file__).resolve().parent.parent / "autograd"
ENGINE = [
    "ops", "value", "graph", "fastwalk", "higher", "pickling", "formatting", "hooks"
]  # fmt: skip


def _imports(tree: ast.AST) -> list[tuple[str, bool]]:
    """(module, at top level) for each tracegrad import outside ``if TYPE_CHECKING:``."""
    found: list[tuple[str, bool]] = []

    def visit(node: ast.AST, top: bool) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and "TYPE_CHECKING" in ast.unparse(child.test):
                continue
            if isinstance(child, ast.ImportFrom) and (child.module or "").startswith("tracegrad"):
                mod = child.module or ""
                names = [a.name for a in child.names]
                found.extend(
                    (f"{mod}.{n}" if mod == "tracegrad.autograd" else mod, top) for n in names
                )
            elif isinstance(child, ast.Import):
                found.extend((a.name, top) for a in child.names if a.name.startswith("tracegrad"))
            inner = isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda))
            visit(child, top and not inner)

    visit(tree, True)
    return found


@pytest.mark.parametrize("name", ENGINE)
def test_an_engine_module_imports_at_the_top_only(name: str) -> None:
    tree = ast.parse((AUTOGRAD / f"{name}.py").read_text())
    inside = [mod for mod, top in _imports(tree) if not top]
    assert not inside, f"{name}.py imports {inside} inside a function"


@pytest.mark.parametrize("name", [n for n in ENGINE if n != "value"])
def test_nothing_the_engine_imports_imports_value(name: str) -> None:
    tree = ast.parse((AUTOGRAD / f"{name}.py").read_text())
    assert "tracegrad.autograd.value" not in [mod for mod, _ in _imports(tree)]


def test_value_imports_no_drawing_or_explaining() -> None:
    tree = ast.parse((AUTOGRAD / "value.py").read_text())
    mods = {mod.rsplit(".", 1)[-1] for mod, _ in _imports(tree)}
    assert mods <= {"graph", "higher", "pickling", "formatting", "ops", "hooks"}, mods

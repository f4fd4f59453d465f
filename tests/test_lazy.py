"""Imports on first use (docs/architecture.md): `import tracegrad` loads the engine only, the
packages' `_LAZY` tables agree with their type-checking imports and `__all__`, and a command
imports its own module only. Timings belong to `make bench`; these check what is imported."""

from __future__ import annotations

import ast
import importlib
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = {"tracegrad": "tracegrad", "tracegrad.autograd": "autograd", "tracegrad.nn": "nn"}
SLOW_TO_IMPORT = ["numpy", "graphviz", "wasmtime", "tqdm", "tracegrad.checker", "tracegrad.nn"]


def _loaded_after(code: str) -> list[str]:
    probe = f"import sys\n{code}\nprint(sorted(m for m in {SLOW_TO_IMPORT!r} if m in sys.modules))"
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, cwd="/"
    )
    return list(ast.literal_eval(done.stdout.strip()))


def test_import_tracegrad_loads_the_engine_only() -> None:
    assert _loaded_after("import tracegrad") == []
    assert _loaded_after("from tracegrad import Value; (Value(2.0) * 3).backward()") == []
    # a name is imported when used, and then only what it needs
    assert _loaded_after("import tracegrad; tracegrad.draw") == ["graphviz"]
    assert _loaded_after("import tracegrad; tracegrad.nn.MLP") == ["tracegrad.nn"]  # no numpy
    assert "numpy" in _loaded_after("import tracegrad; tracegrad.nn.data.make_moons")


def test_a_command_imports_its_own_module_only() -> None:
    loaded = _loaded_after(
        "from tracegrad.cli import build_parser\n"
        "build_parser('draw').parse_args(['draw', 'a*b', '-o', 'x.svg'])\n"
        "assert 'tracegrad.commands.check' not in sys.modules"
    )
    assert loaded == ["graphviz"]
    from tracegrad.cli import build_parser

    every = build_parser()  # --help: all of them
    (sub,) = [a for a in every._actions if a.dest == "command"]
    assert set(sub.choices) >= {"draw", "check", "solve", "step", "practice", "explain"}


def _type_checking_names(package: str) -> set[str]:
    tree = ast.parse((ROOT / PACKAGES[package] / "__init__.py").read_text(encoding="utf-8"))
    (block,) = [
        n
        for n in tree.body
        if isinstance(n, ast.If) and getattr(n.test, "id", "") == "TYPE_CHECKING"
    ]
    return {
        a.asname or a.name for n in block.body if isinstance(n, ast.ImportFrom) for a in n.names
    }


@pytest.mark.parametrize("package", sorted(PACKAGES))
def test_the_lazy_table_agrees_with_the_type_checking_imports(package: str) -> None:
    module = importlib.import_module(package)
    table: dict[str, str] = module._LAZY
    assert set(table) == _type_checking_names(package)
    assert set(table) <= set(module.__all__)
    assert set(table) <= set(dir(module))
    for name, where in table.items():
        defined = importlib.import_module(where)
        expected = getattr(defined, name) if hasattr(defined, name) else defined
        assert getattr(module, name) is expected, f"{package}.{name}"
    with pytest.raises(AttributeError, match="has no attribute 'nothing'"):
        module.nothing  # noqa: B018


def test_the_checkout_imports_without_an_editable_install() -> None:
    """In the repository root, ./tracegrad (with no autograd/ inside) shadows an installed
    wheel; without site-packages (-S: no editable finder, as with a wheel) it still imports,
    the engine from the checkout's autograd/."""
    probe = (
        "import tracegrad\nfrom tracegrad import examples\n"
        "x = tracegrad.Value(2.0, label='x'); y = x * x + 1; y.backward()\n"
        "print(x.grad, tracegrad.autograd.__file__, examples.path('mazur').name)"
    )
    done = subprocess.run(
        [sys.executable, "-S", "-c", probe], capture_output=True, text=True, cwd=ROOT
    )
    assert done.returncode == 0, done.stderr[-600:]
    grad, where, sheet = done.stdout.split()
    assert grad == "4.0" and where == str(ROOT / "autograd" / "__init__.py")
    assert sheet == "mazur.toml"


@pytest.mark.parametrize("package", sorted(PACKAGES))
def test_no_lazy_name_is_also_a_module_of_its_package(package: str) -> None:
    """Importing ``tracegrad.autograd.gradcheck`` sets the package's attribute ``gradcheck`` to
    the module, and ``__getattr__`` is then never asked: such a name must be imported eagerly."""
    folder = ROOT / PACKAGES[package]
    modules = {p.stem for p in folder.glob("*.py")} | {
        p.name for p in folder.iterdir() if p.is_dir()
    }
    table: dict[str, str] = importlib.import_module(package)._LAZY
    clashes = [
        n
        for n, where in table.items()
        if n in modules and hasattr(importlib.import_module(where), n)
    ]
    assert not clashes
    done = subprocess.run(
        [sys.executable, "-c", "import tracegrad.autograd.gradcheck\n"
         "from tracegrad.autograd import gradcheck\nprint(callable(gradcheck))"],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    assert done.stdout.strip() == "True"


def test_the_value_based_network_core_loads_no_numpy() -> None:
    """MLP, a loss and SGD on Values: numpy is for arrays, data sets and plots only."""
    loaded = _loaded_after(
        "from tracegrad.nn.layers import MLP\n"
        "from tracegrad.nn.losses import mse, hinge\n"
        "from tracegrad.nn.optim import SGD, Adam\n"
        "m = MLP(2, [3, 1], seed=0)\n"
        "loss = mse(m([1.0, 2.0]), 0.5) + hinge(m([0.5, -1.0]), 1.0)\n"
        "loss.backward()\n"
        "SGD(m.parameters(), lr=0.1).step(); Adam(m.parameters(), lr=0.1).step()\n"
        "assert not any('compiled' in k for k in sys.modules)"
    )
    assert loaded == ["tracegrad.nn"]
    assert "numpy" in _loaded_after("import numpy as np; from tracegrad.nn.layers import MLP\n"
                                    "MLP(2, [1], seed=0).predict(np.ones((3, 2)))")  # fmt: skip

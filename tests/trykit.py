"""The Try-it page's two scripts, loaded from docs/ for the tests: the page's runner
(docs/try/runner.py) and the build step that adds what the page loads (docs/make_try.py)."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


def _load(name: str, path: Path) -> Any:
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


runner = _load("try_runner", ROOT / "docs" / "try" / "runner.py")
make_try = _load("make_try", ROOT / "docs" / "make_try.py")
screenshots = _load("make_screenshot", ROOT / "docs" / "make_screenshot.py")  # chromium()


def example(name: str) -> str:
    """The code of one of the page's examples (docs/try/examples/NAME.py)."""
    return (ROOT / "docs" / "try" / "examples" / f"{name}.py").read_text(encoding="utf-8")


def readme_session() -> str:
    """The page's first example: the README's first session as a script."""
    return str(make_try.first_session((ROOT / "README.md").read_text(encoding="utf-8")))

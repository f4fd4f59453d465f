"""Shared test setup: the hypothesis profiles and the oracle guard.

Property tests take their example counts from one hypothesis profile, never from a literal:

- ``quick`` (the default, what ``make test`` runs): enough examples to catch a broken rule
  in seconds;
- ``thorough`` (CI): many more examples per property. Select it with
  ``HYPOTHESIS_PROFILE=thorough make test`` or ``pytest --hypothesis-profile=thorough``.
"""

from __future__ import annotations

import importlib.util
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, settings

settings.register_profile(
    "quick",
    max_examples=60,
    deadline=None,  # a busy shared machine is not a failing test
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile(
    "thorough",
    max_examples=500,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "quick"))


@pytest.fixture(autouse=True)
def _oracle_tests_need_torch(request: pytest.FixtureRequest) -> None:
    """An oracle test without PyTorch fails with the fix; it never silently skips."""
    if request.node.get_closest_marker("oracle") and importlib.util.find_spec("torch") is None:
        pytest.fail("PyTorch is not installed: run `make test-oracle` (installs torch==2.13.0)")


@pytest.fixture(scope="module")
def driver() -> Iterator[Any]:
    """Debian's Chromium, headless, via docs/make_screenshot.py: the browser tests' one driver."""
    if importlib.util.find_spec("selenium") is None:
        pytest.fail("Selenium is not installed: run `make test-browser` (the 'browser' extra)")
    path = Path(__file__).resolve().parents[1] / "docs" / "make_screenshot.py"
    spec = importlib.util.spec_from_file_location("shots", path)
    assert spec and spec.loader
    shots = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(shots)
    try:
        with shots.chromium() as d:
            yield d
    except FileNotFoundError as exc:
        pytest.fail(str(exc))

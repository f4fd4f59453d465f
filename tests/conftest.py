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

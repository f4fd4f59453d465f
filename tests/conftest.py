"""Shared test setup."""

from __future__ import annotations

import importlib.util

import pytest


@pytest.fixture(autouse=True)
def _oracle_tests_need_torch(request: pytest.FixtureRequest) -> None:
    """An oracle test without PyTorch fails with the fix; it never silently skips."""
    if request.node.get_closest_marker("oracle") and importlib.util.find_spec("torch") is None:
        pytest.fail("PyTorch is not installed: run `make test-oracle` (installs torch==2.13.0)")

"""PyTorch (CPU, float64) as a second, independent oracle for every op in random expressions.

Needs the `oracle` extra (torch==2.13.0): `make test-oracle` installs it and runs these.
"""

from __future__ import annotations

import math
from typing import Any

import pytest
from hypothesis import assume, given
from strategies import N_INPUTS, VALUE_BACKEND, evaluate, points, torch_ops, trees
from tracegrad.autograd import OPS, Value

try:
    import torch
except ImportError:  # pragma: no cover - conftest then fails every oracle test with the fix
    torch = None

pytestmark = pytest.mark.oracle


def test_every_op_has_a_torch_form() -> None:
    assert set(OPS) <= set(torch_ops()), set(OPS) - set(torch_ops())


@given(tree=trees, xs=points)
def test_gradients_match_pytorch(tree: Any, xs: list[float]) -> None:
    inputs = [Value(x) for x in xs]
    out = evaluate(tree, inputs, VALUE_BACKEND)
    if not isinstance(out, Value):
        out = Value(out) + 0 * inputs[0]
    out.backward()

    tx = [torch.tensor(x, dtype=torch.float64, requires_grad=True) for x in xs]
    ty = evaluate(tree, tx, torch_ops())
    if not isinstance(ty, torch.Tensor) or not ty.requires_grad:
        ty = torch.as_tensor(ty, dtype=torch.float64) + 0 * tx[0]
    assume(math.isfinite(out.data) and abs(out.data) < 1e8)
    tgrads = torch.autograd.grad(ty, tx, allow_unused=True)
    assert math.isclose(out.data, ty.item(), rel_tol=1e-12, abs_tol=1e-12)
    for v, g in zip(inputs, tgrads):
        expected = 0.0 if g is None else g.item()
        assert math.isclose(v.grad, expected, rel_tol=1e-9, abs_tol=1e-9 * (1 + abs(expected)))
    assert len(inputs) == N_INPUTS

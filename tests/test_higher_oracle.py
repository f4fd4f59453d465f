"""PyTorch as an independent oracle for second and third derivatives (create_graph).

``torch.autograd.grad(..., create_graph=True)`` on the same random expressions (float64, CPU)
and on every op of the table. Needs the `oracle` extra: `make test-oracle`.
"""

from __future__ import annotations

import math
from typing import Any

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st
from strategies import (
    KINKED,
    N_INPUTS,
    POWC_EXPONENTS,
    VALUE_BACKEND,
    evaluate,
    points,
    torch_ops,
    trees,
)
from tracegrad.autograd import OPS, Value, hessian, topo_order
from tracegrad.autograd.higher import grad_values, nth_derivative
from tracegrad.autograd.value import apply

try:
    import torch
except ImportError:  # pragma: no cover - conftest then fails every oracle test with the fix
    torch = None

pytestmark = pytest.mark.oracle


# torch's pow backward masks its gradient where the exponent is exactly 0
# (`masked_fill_(exponent == 0, 0)`), so it loses higher derivatives there: for
# (x**2 + 0.5) ** sin(x) at x = 0 it gives d3/dx3 = 4.36 where sympy and we give 12.36.
TORCH_MASKS_ZERO_EXPONENT = {"pow"}


def torch_reliable(out: Value) -> bool:
    """False where a torch quirk (above) makes it a wrong oracle for higher derivatives."""
    return not any(
        n.op in TORCH_MASKS_ZERO_EXPONENT and float(n.parents[1].data).is_integer()
        for n in topo_order(out)
    )


def close(a: float, b: float) -> bool:
    return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9 * (1.0 + abs(b)))


def torch_grads(y: Any, xs: list[Any], create_graph: bool) -> list[Any]:
    """d y / d x for each x; a zero tensor where y does not depend on x."""
    if not isinstance(y, torch.Tensor) or not y.requires_grad:
        return [torch.zeros((), dtype=torch.float64) for _ in xs]
    gs = torch.autograd.grad(y, xs, create_graph=create_graph, allow_unused=True)
    return [torch.zeros((), dtype=torch.float64) if g is None else g for g in gs]


def torch_derivative(y: Any, xs: list[Any], wrt: list[int]) -> float:
    """d^n y / d xs[wrt[0]] ... d xs[wrt[-1]] with torch, as a float."""
    for i in wrt:
        y = torch_grads(y, xs, create_graph=True)[i]
    return float(y.item())


@given(tree=trees, xs=points)
def test_hessians_match_pytorch(tree: Any, xs: list[float]) -> None:
    leaves = [Value(x) for x in xs]
    out = evaluate(tree, leaves, VALUE_BACKEND)
    assume(isinstance(out, Value) and math.isfinite(out.data) and abs(out.data) < 1e6)
    assume(all(abs(n.parents[0].data) > 1e-6 for n in topo_order(out) if n.op in KINKED))
    assume(torch_reliable(out))
    first = grad_values(out, leaves)
    ours = [grad_values(g, leaves, create_graph=False) for g in first]
    assume(all(math.isfinite(v) and abs(v) < 1e6 for row in ours for v in row))

    tx = [torch.tensor(x, dtype=torch.float64, requires_grad=True) for x in xs]
    ty = evaluate(tree, tx, torch_ops())
    tfirst = torch_grads(ty, tx, create_graph=True)
    for g, t in zip(first, tfirst):
        assert close(g.data, float(t.item()))
    for i in range(N_INPUTS):
        row = torch_grads(tfirst[i], tx, create_graph=True)  # keeps the shared graph
        for j in range(N_INPUTS):
            assert close(ours[i][j], float(row[j].item())), (tree, xs, i, j)
    # The functional API gives the same matrix from plain numbers.
    fn = hessian(lambda *vs: evaluate(tree, list(vs), VALUE_BACKEND))(*xs)
    assert all(close(a, b) for ra, rb in zip(fn, ours) for a, b in zip(ra, rb))


@given(tree=trees, xs=points, wrt=st.lists(st.integers(0, N_INPUTS - 1), min_size=3, max_size=3))
def test_third_derivatives_match_pytorch(tree: Any, xs: list[float], wrt: list[int]) -> None:
    leaves = [Value(x) for x in xs]
    out = evaluate(tree, leaves, VALUE_BACKEND)
    assume(isinstance(out, Value) and math.isfinite(out.data) and abs(out.data) < 1e6)
    assume(all(abs(n.parents[0].data) > 1e-6 for n in topo_order(out) if n.op in KINKED))
    assume(torch_reliable(out))
    ours = nth_derivative(out, [leaves[i] for i in wrt]).data
    assume(math.isfinite(ours) and abs(ours) < 1e6)
    tx = [torch.tensor(x, dtype=torch.float64, requires_grad=True) for x in xs]
    assert close(ours, torch_derivative(evaluate(tree, tx, torch_ops()), tx, wrt)), (tree, xs)


@pytest.mark.parametrize("name", list(OPS))
@given(
    a=st.floats(0.25, 2.0).flatmap(lambda m: st.sampled_from([m, -m])),
    b=st.floats(0.25, 2.0).flatmap(lambda m: st.sampled_from([m, -m])),
    n=st.sampled_from(POWC_EXPONENTS),
)
def test_every_op_higher_order_matches_pytorch(name: str, a: float, b: float, n: float) -> None:
    """Each op of the table on its own, up to third order in every input (a new op must
    have a torch form in test_torch_oracle.torch_ops to pass)."""
    # Off integers: torch misses d3(a**b)/da2db = 1 at b == 1 (see TORCH_MASKS_ZERO_EXPONENT).
    assume(not float(a).is_integer() and not float(b).is_integer())
    op = OPS[name]
    xs = [a] if op.arity == 1 else [a, b if op.differentiable[1] else n]
    if op.check is not None:
        try:
            op.check(*xs)
        except ValueError:
            assume(False)
    assume(math.isfinite(op.forward(*xs)))
    leaves = [Value(x) for x in xs]
    out = apply(op, *leaves)
    tx = [torch.tensor(x, dtype=torch.float64, requires_grad=True) for x in xs]
    targs = tx if op.differentiable[-1] else [tx[0], n]
    ty = torch_ops()[name](*targs)
    live = [i for i in range(op.arity) if op.differentiable[i]]
    for order in (1, 2, 3):
        for wrt in _sequences(live, order):
            ours = nth_derivative(out, [leaves[i] for i in wrt]).data
            theirs = torch_derivative(ty, tx, wrt)
            if math.isnan(theirs):
                assert math.isnan(ours), (name, xs, wrt)
            else:
                assert close(ours, theirs), (name, xs, wrt, ours, theirs)


def _sequences(items: list[int], k: int) -> list[list[int]]:
    if k == 0:
        return [[]]
    return [[i, *rest] for i in items for rest in _sequences(items, k - 1)]

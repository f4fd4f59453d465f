"""Each loss against its closed form (numpy as the oracle), values and gradients, and edge cases."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from tracegrad.autograd import Value
from tracegrad.nn import (
    LOSSES,
    bce,
    bce_with_logits,
    cross_entropy,
    get_loss,
    half_sse,
    hinge,
    l2,
    mse,
)

REAL = st.floats(-10, 10, allow_nan=False)
PROB = st.floats(1e-6, 1 - 1e-6)


def _vals(xs: list[float]) -> list[Value]:
    return [Value(x) for x in xs]


@st.composite
def pred_and_target(draw: st.DrawFn, elems: st.SearchStrategy = REAL) -> tuple:
    n = draw(st.integers(1, 5))
    return draw(st.lists(elems, min_size=n, max_size=n)), draw(
        st.lists(REAL, min_size=n, max_size=n)
    )


@given(pred_and_target())
def test_mse_and_its_gradient(pt: tuple) -> None:
    p, t = pt
    ps = _vals(p)
    loss = mse(ps, t)
    pa, ta = np.array(p), np.array(t)
    assert loss.data == pytest.approx(np.mean((pa - ta) ** 2), rel=1e-12, abs=1e-12)
    loss.backward()
    grads = 2 * (pa - ta) / len(p)
    assert [v.grad for v in ps] == pytest.approx(grads, rel=1e-12, abs=1e-12)


@given(pred_and_target())
def test_half_sse_and_its_gradient(pt: tuple) -> None:
    p, t = pt
    ps = _vals(p)
    loss = half_sse(ps, t)
    pa, ta = np.array(p), np.array(t)
    assert loss.data == pytest.approx(np.sum(0.5 * (ta - pa) ** 2), rel=1e-12, abs=1e-12)
    loss.backward()
    assert [v.grad for v in ps] == pytest.approx(pa - ta, rel=1e-12, abs=1e-12)


@given(p=PROB, y=st.sampled_from([0.0, 1.0]) | st.floats(0, 1))
def test_bce_closed_form(p: float, y: float) -> None:
    v = Value(p)
    loss = bce(v, y)
    expected = -(y * np.log(p) + (1 - y) * np.log1p(-p))
    assert loss.data == pytest.approx(expected, rel=1e-9, abs=1e-12)
    loss.backward()
    assert v.grad == pytest.approx((p - y) / (p * (1 - p)), rel=1e-6, abs=1e-9)


@given(z=st.floats(-60, 60), y=st.sampled_from([0.0, 1.0]) | st.floats(0, 1))
def test_bce_with_logits_closed_form(z: float, y: float) -> None:
    v = Value(z)
    loss = bce_with_logits(v, y)
    expected = np.logaddexp(0.0, z) - y * z
    assert loss.data == pytest.approx(expected, rel=1e-9, abs=1e-12)
    loss.backward()
    assert v.grad == pytest.approx(1 / (1 + np.exp(-z)) - y, rel=1e-9, abs=1e-12)


def test_bce_with_logits_equals_bce_of_the_sigmoid() -> None:
    for z in [-3.0, -0.5, 0.0, 0.7, 4.0]:
        for y in [0.0, 1.0, 0.3]:
            assert bce_with_logits(Value(z), y).data == pytest.approx(
                bce(Value(z).sigmoid(), y).data, rel=1e-12
            )


@pytest.mark.parametrize("p", [1e-12, 1 - 1e-12, 1e-300, 0.0, 1.0])
@pytest.mark.parametrize("y", [0.0, 1.0])
def test_bce_stays_finite_near_0_and_1(p: float, y: float) -> None:
    v = Value(p)
    loss = bce(v, y)
    loss.backward()
    assert math.isfinite(loss.data) and math.isfinite(v.grad)
    assert 0.0 <= loss.data <= 100.0 + 1e-9


def test_bce_at_one_in_a_trillion() -> None:
    loss = bce(Value(1e-12), 1.0)
    assert loss.data == pytest.approx(-math.log(1e-12), rel=1e-12)  # 27.63...
    assert bce(Value(1e-12), 0.0).data == pytest.approx(1e-12, rel=1e-3)


@pytest.mark.parametrize("z", [-1000.0, 1000.0, -1e300, 1e300])
def test_bce_with_logits_finite_for_huge_scores(z: float) -> None:
    v = Value(z)
    for y in (0.0, 1.0):
        v.grad = 0.0
        loss = bce_with_logits(v, y)
        loss.backward()
        assert math.isfinite(loss.data) and math.isfinite(v.grad)


@given(z=st.lists(REAL, min_size=2, max_size=6), data=st.data())
def test_cross_entropy_closed_form(z: list[float], data: st.DataObject) -> None:
    t = data.draw(st.integers(0, len(z) - 1))
    zs = _vals(z)
    loss = cross_entropy(zs, t)
    za = np.array(z)
    lse = np.logaddexp.reduce(za)
    assert loss.data == pytest.approx(lse - za[t], rel=1e-9, abs=1e-12)
    loss.backward()
    softmax = np.exp(za - lse)
    onehot = np.eye(len(z))[t]
    assert [v.grad for v in zs] == pytest.approx(softmax - onehot, rel=1e-9, abs=1e-12)
    # a one-hot target vector gives the same loss
    assert cross_entropy(_vals(z), onehot).data == pytest.approx(loss.data, rel=1e-12)


def test_cross_entropy_is_stable_for_huge_logits() -> None:
    zs = _vals([1000.0, -1000.0, 999.0])
    loss = cross_entropy(zs, 2)
    loss.backward()
    assert loss.data == pytest.approx(1.0 + math.log1p(math.exp(-1.0)), rel=1e-12)
    assert all(math.isfinite(v.grad) for v in zs)


@given(s=REAL, y=st.sampled_from([-1, 1, 0]))
def test_binary_hinge_closed_form(s: float, y: int) -> None:
    v = Value(s)
    loss = hinge(v, y)
    sign = 1 if y == 1 else -1
    assert loss.data == pytest.approx(max(0.0, 1 - sign * s), abs=1e-12)
    loss.backward()
    assert v.grad == (-sign if 1 - sign * s > 0 else 0.0)


@given(s=st.lists(REAL, min_size=2, max_size=6), data=st.data())
def test_multiclass_hinge_closed_form(s: list[float], data: st.DataObject) -> None:
    t = data.draw(st.integers(0, len(s) - 1))
    sa = np.array(s)
    margins = np.maximum(0.0, 1 + sa - sa[t])
    margins[t] = 0.0
    assert hinge(_vals(s), t).data == pytest.approx(margins.sum(), rel=1e-12, abs=1e-12)


@given(w=st.lists(REAL, min_size=1, max_size=6), lam=st.floats(0, 1))
def test_l2_closed_form(w: list[float], lam: float) -> None:
    ws = _vals(w)
    loss = l2(ws, lam)
    assert loss.data == pytest.approx(lam * np.sum(np.array(w) ** 2), rel=1e-12, abs=1e-12)
    loss.backward()
    assert [v.grad for v in ws] == pytest.approx(2 * lam * np.array(w), rel=1e-12, abs=1e-12)


def test_losses_by_name_and_bad_input() -> None:
    assert set(LOSSES) == {"mse", "half_sse", "bce", "bce_with_logits", "cross_entropy", "hinge"}
    assert get_loss("mse").fn is mse
    assert get_loss(half_sse).name == "half_sse"
    assert get_loss(lambda p, t: p).threshold is None
    with pytest.raises(ValueError, match="unknown loss 'l1'"):
        get_loss("l1")
    with pytest.raises(ValueError, match="2 output.*target has 1"):
        mse(_vals([1.0, 2.0]), [1.0])
    with pytest.raises(ValueError, match="probabilities in"):
        bce(Value(1.5), 1.0)
    with pytest.raises(ValueError, match="out of range"):
        cross_entropy(_vals([1.0, 2.0]), 2)
    with pytest.raises(ValueError, match="-1 or \\+1"):
        hinge(Value(0.3), 2)
    with pytest.raises(TypeError, match="numbers"):
        mse(Value(1.0), "a")

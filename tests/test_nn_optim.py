"""Optimizers against updates computed by hand for two steps; schedules; bad arguments."""

from __future__ import annotations

import math

import pytest
from tracegrad.autograd import Value
from tracegrad.nn import SGD, Adam, Momentum, exponential_decay, step_decay
from tracegrad.nn.optim import Optimizer

G1, G2 = 0.5, -0.25  # the gradients of the two steps


def _two_steps(opt: Optimizer, w: Value) -> list[float]:
    seen = []
    for g in (G1, G2):
        opt.zero_grad()
        assert w.grad == 0.0
        w.grad = g
        opt.step()
        seen.append(w.data)
    return seen


def test_sgd_two_steps() -> None:
    w = Value(1.0)
    # w1 = 1 - 0.1 * 0.5 = 0.95; w2 = 0.95 - 0.1 * (-0.25) = 0.975
    assert _two_steps(SGD([w], lr=0.1), w) == pytest.approx([0.95, 0.975], rel=1e-15)


def test_momentum_two_steps() -> None:
    w = Value(1.0)
    # v1 = 0.5 -> w1 = 1 - 0.1 * 0.5 = 0.95
    # v2 = 0.9 * 0.5 - 0.25 = 0.2 -> w2 = 0.95 - 0.1 * 0.2 = 0.93
    assert _two_steps(Momentum([w], lr=0.1, momentum=0.9), w) == pytest.approx(
        [0.95, 0.93], rel=1e-15
    )


def test_adam_two_steps() -> None:
    w = Value(1.0)
    # step 1: m = 0.1 * 0.5 = 0.05, v = 0.001 * 0.25 = 0.00025
    #   m_hat = 0.05 / 0.1 = 0.5, v_hat = 0.00025 / 0.001 = 0.25
    #   w1 = 1 - 0.1 * 0.5 / (0.5 + 1e-8)
    w1 = 1 - 0.1 * 0.5 / (0.5 + 1e-8)
    # step 2: m = 0.9 * 0.05 + 0.1 * (-0.25) = 0.02
    #   v = 0.999 * 0.00025 + 0.001 * 0.0625 = 0.00031225
    #   m_hat = 0.02 / (1 - 0.81) , v_hat = 0.00031225 / (1 - 0.998001)
    w2 = w1 - 0.1 * (0.02 / 0.19) / (math.sqrt(0.00031225 / 0.001999) + 1e-8)
    assert _two_steps(Adam([w], lr=0.1), w) == pytest.approx([w1, w2], rel=1e-12)
    assert w2 == pytest.approx(0.8733663, abs=1e-7)  # 0.9 - 0.1 * 0.1052632 / 0.3952253


def test_several_parameters_each_get_their_own_state() -> None:
    a, b = Value(0.0), Value(0.0)
    opt = Momentum([a, b], lr=1.0, momentum=0.5)
    a.grad, b.grad = 1.0, -2.0
    opt.step()
    a.grad, b.grad = 1.0, -2.0
    opt.step()
    # v = 1, then 1.5 (a); -2, then -3 (b)
    assert (a.data, b.data) == (-2.5, 5.0)


def test_step_schedule_hook() -> None:
    w = Value(1.0)
    lrs: list[int] = []

    def schedule(t: int) -> float:
        lrs.append(t)
        return 0.1 / (t + 1)

    opt = SGD([w], lr=schedule)
    # step 0 at lr 0.1, step 1 at lr 0.05
    assert _two_steps(opt, w) == pytest.approx([0.95, 0.95 + 0.05 * 0.25], rel=1e-15)
    assert lrs == [0, 1]
    assert opt.lr == pytest.approx(0.1 / 3)


def test_epoch_schedule_hook() -> None:
    w = Value(1.0)
    opt = SGD([w], lr=step_decay(0.4, factor=0.5, every=2), schedule_by="epoch")
    assert opt.lr == 0.4
    opt.epoch = 2
    assert opt.lr == 0.2
    opt.epoch = 5
    assert opt.lr == 0.1


def test_ready_made_schedules() -> None:
    s = step_decay(1.0, factor=0.1, every=3)
    assert [s(t) for t in range(7)] == pytest.approx([1, 1, 1, 0.1, 0.1, 0.1, 0.01])
    e = exponential_decay(2.0, gamma=0.5)
    assert [e(t) for t in range(3)] == [2.0, 1.0, 0.5]


def test_zero_grad_clears_every_parameter() -> None:
    ps = [Value(1.0), Value(2.0)]
    for p in ps:
        p.grad = 3.0
    Adam(ps).zero_grad()
    assert [p.grad for p in ps] == [0.0, 0.0]


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda: SGD([], lr=0.1), "at least one parameter"),
        (lambda: SGD([1.0], lr=0.1), "not a Value"),  # type: ignore[list-item]
        (lambda: SGD([Value(1)], lr=-0.1), "lr"),
        (lambda: SGD([Value(1)], lr=float("nan")), "finite"),
        (lambda: Momentum([Value(1)], momentum=1.0), "momentum"),
        (lambda: Adam([Value(1)], betas=(0.9,)), "betas"),  # type: ignore[arg-type]
        (lambda: SGD([Value(1)], schedule_by="batch"), "schedule_by"),
    ],
)
def test_bad_arguments_are_clear(make: object, message: str) -> None:
    with pytest.raises((ValueError, TypeError), match=message):
        make()  # type: ignore[operator]


def test_a_schedule_returning_nonsense_is_caught() -> None:
    w = Value(1.0)
    opt = SGD([w], lr=lambda t: float("inf"))
    with pytest.raises(ValueError, match="schedule"):
        opt.step()
    assert w.data == 1.0

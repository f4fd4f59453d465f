"""fit(compiled=True) with the parameters held in one array (nn/flat.py): the same numbers as
the eager engine, the Values and the optimizer's state up to date whenever the user can look."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from tracegrad.autograd import Value
from tracegrad.nn import MLP, SGD, Adam, Momentum, exponential_decay
from tracegrad.nn.data import make_moons
from tracegrad.nn.flat import FlatParams
from tracegrad.nn.optim import Optimizer
from tracegrad.nn.train import fit

from tracegrad import autograd

OPTIMIZERS: dict[str, Any] = {
    "sgd": lambda ps: SGD(ps, lr=0.05),
    "momentum": lambda ps: Momentum(ps, lr=0.05, momentum=0.8),
    "adam": lambda ps: Adam(ps, lr=0.01),
    "sgd-schedule": lambda ps: SGD(ps, lr=exponential_decay(0.1, 0.9)),
}


def numbers(model: MLP) -> tuple[np.ndarray, np.ndarray]:
    ps = model.parameters()
    return np.array([p.data for p in ps]), np.array([p.grad for p in ps])


def diff(a: Any, b: Any) -> float:
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    return float(np.max(np.abs(a - b) / (1.0 + np.abs(b)))) if a.size else 0.0


# ---------------------------------------------------------------- the update on arrays
finite = st.floats(-10, 10, allow_nan=False)


@given(
    name=st.sampled_from(sorted(OPTIMIZERS)),
    start=st.lists(finite, min_size=1, max_size=6),
    grads=st.lists(st.lists(finite, min_size=6, max_size=6), min_size=1, max_size=4),
)
def test_step_array_is_step_bit_for_bit(
    name: str, start: list[float], grads: list[list[float]]
) -> None:
    values = [Value(x) for x in start]
    by_value = OPTIMIZERS[name](values)
    by_array = OPTIMIZERS[name]([Value(x) for x in start])
    data = np.array(start)
    state = by_array.state_arrays()
    for g in grads:
        g = g[: len(start)]
        for v, gi in zip(values, g):
            v.grad = gi
        by_value.step()
        by_array.step_array(data, np.array(g), state)
    assert [v.data for v in values] == data.tolist()  # the same arithmetic, not just close
    by_array.load_state_arrays(state)
    for attr in by_value._state:
        assert getattr(by_value, attr) == getattr(by_array, attr)
    assert by_array.steps == by_value.steps


def test_an_optimizer_that_only_overrides_the_value_update_stays_on_values() -> None:
    class Clipped(SGD):
        def _update(self, lr: float) -> None:
            for p in self.params:
                p.data -= lr * max(-0.01, min(0.01, p.grad))

    w = [Value(1.0)]
    assert SGD(w).updates_arrays and Adam(w).updates_arrays
    assert not Clipped(w).updates_arrays
    X, y = make_moons(40, seed=2)
    a, b = MLP(2, [4, 1], seed=1), MLP(2, [4, 1], seed=1)
    kw: dict[str, Any] = dict(loss="hinge", epochs=3, progress=False)
    fit(a, X, y, optimizer=Clipped(a.parameters(), lr=0.5), **kw)
    fit(b, X, y, optimizer=Clipped(b.parameters(), lr=0.5), compiled=True, **kw)
    assert diff(numbers(b)[0], numbers(a)[0]) <= 1e-12


# ---------------------------------------------------------------- fit against the eager engine
class ValueAdam(Adam):
    """Adam updating the Values one by one: fit(compiled=True) keeps the parameters in them."""

    def _update(self, lr: float) -> None:
        super()._update(lr)


@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
@pytest.mark.parametrize(("batch_size", "shuffle"), [(None, False), (25, True)])
def test_fit_on_arrays_matches_eager(name: str, batch_size: int | None, shuffle: bool) -> None:
    """SGD and Momentum against the eager engine. Adam against the same tapes with its
    per-Value update: its first steps move every weight by about lr whatever the size of
    its gradient, so the last-bit differences between the tape's sums and the eager
    engine's (a gradient of +1e-18 against -1e-18) become differences of lr (measured: 4e-3
    after 5 epochs, with the per-Value update as with this one)."""
    X, y = make_moons(100, seed=4)
    runs = []
    for compiled in (False, True):
        model = MLP(2, [8, 1], seed=7)
        ps = model.parameters()
        opt = ValueAdam(ps, lr=0.01) if name == "adam" and not compiled else OPTIMIZERS[name](ps)
        h = fit(model, X, y, loss="hinge", optimizer=opt, epochs=5, batch_size=batch_size,
                shuffle=shuffle, l2=1e-3, progress=False,
                compiled=compiled or name == "adam")  # fmt: skip
        runs.append((h, numbers(model), opt))
    (h1, (w1, g1), o1), (h2, (w2, g2), o2) = runs
    assert diff(h2.loss, h1.loss) <= 1e-12 and h2.accuracy == h1.accuracy and h2.lr == h1.lr
    assert diff(w2, w1) <= 1e-12
    assert diff(g2, g1) <= 1e-12  # the last batch's gradients are in .grad, as eager leaves them
    assert o2.steps == o1.steps
    for attr in o1._state:
        assert diff(getattr(o2, attr), getattr(o1, attr)) <= 1e-12


def test_a_callback_sees_and_may_change_the_current_weights() -> None:
    X, y = make_moons(60, seed=3)

    def run(compiled: bool) -> tuple[list[list[float]], np.ndarray]:
        model = MLP(2, [4, 1], seed=5)
        seen: list[list[float]] = []

        def callback(epoch: int, loss: float, acc: float | None) -> None:
            seen.append([p.data for p in model.parameters()])
            if epoch == 2:  # a user resetting a weight mid-training
                model.layers[0].neurons[0].b.data = 0.25

        fit(model, X, y, loss="hinge", epochs=4, progress=False, callback=callback,
            optimizer=Momentum(model.parameters(), lr=0.1), compiled=compiled)  # fmt: skip
        return seen, numbers(model)[0]

    (s1, w1), (s2, w2) = run(False), run(True)
    assert len(s2) == 4 and diff(s2, s1) <= 1e-12
    assert diff(w2, w1) <= 1e-12


def test_weights_are_written_back_when_training_diverges() -> None:
    X, y = make_moons(50, seed=1)

    def run(compiled: bool) -> np.ndarray:
        model = MLP(2, [4, 1], seed=2)
        with pytest.raises(FloatingPointError, match="diverged"):
            fit(model, X, y * 1e150, loss="mse", epochs=20, progress=False,
                optimizer=SGD(model.parameters(), lr=1.0), compiled=compiled)  # fmt: skip
        return numbers(model)[0]

    w1, w2 = run(False), run(True)
    assert np.all(np.isfinite(w1)) and diff(w2, w1) <= 1e-12


def test_an_optimizer_over_some_parameters_leaves_the_others_alone() -> None:
    X, y = make_moons(60, seed=6)
    models = []
    for compiled in (False, True):
        model = MLP(2, [4, 1], seed=9)
        last = model.layers[-1].parameters()[::-1]  # a subset, in another order
        fit(model, X, y, loss="hinge", epochs=3, progress=False, l2=1e-2,
            optimizer=Momentum(last, lr=0.1), compiled=compiled)  # fmt: skip
        models.append(model)
    w1, w2 = numbers(models[0])[0], numbers(models[1])[0]
    assert diff(w2, w1) <= 1e-12
    assert w2[:12].tolist() == numbers(MLP(2, [4, 1], seed=9))[0][:12].tolist()


def test_flat_params_refuses_a_parameter_listed_twice() -> None:
    w = Value(1.0)
    assert FlatParams.supports(SGD([w, Value(2.0)]))
    assert not FlatParams.supports(SGD([w, w]))


# ---------------------------------------------------------------- the pieces
def test_leaf_grads_reads_the_leaves_from_an_array() -> None:
    model = MLP(2, [5, 1], seed=1)
    f = autograd.compile(lambda x: (1.0 - model(x)).relu())
    X = np.random.default_rng(0).normal(size=(20, 2))
    f(X)
    new = np.array([v.data for v in f.leaves]) * 1.5
    out, lg = f.leaf_grads(X, leaf_data=new)
    for v, x in zip(f.leaves, new.tolist()):
        v.data = x
        v.grad = 0.0
    out2 = f.backward(X)
    assert out.tolist() == out2.tolist()
    assert lg.tolist() == [v.grad for v in f.leaves]
    with pytest.raises(ValueError, match="leaf_data must have shape"):
        f.leaf_grads(X, leaf_data=new[:-1])


def test_predict_with_params_is_predict_with_those_weights() -> None:
    model = MLP(2, [3, 2], activation="tanh", seed=4)
    X = np.random.default_rng(1).normal(size=(7, 2))
    theta = np.linspace(-1.0, 1.0, len(model.parameters()))
    got = model.predict(X, params=theta)
    for p, x in zip(model.parameters(), theta.tolist()):
        p.data = x
    assert got.tolist() == model.predict(X).tolist()
    with pytest.raises(ValueError, match="params must have shape"):
        model.predict(X, params=theta[:-1])


@pytest.mark.parametrize("act", ["relu", "tanh", "sigmoid", "step", "sin"])
def test_activation_on_arrays_is_the_scalar_function(act: str) -> None:
    from tracegrad.nn.activations import get_activation

    a = get_activation(act)
    z = np.array([-3.0, -0.5, 0.0, 0.25, 2.0, 40.0])
    want = [a(Value(x)).data for x in z.tolist()]
    assert np.allclose(a.numpy(z), want, rtol=1e-15, atol=0.0)


def test_optimizer_state_round_trip() -> None:
    opt: Optimizer = Adam([Value(1.0), Value(2.0)])
    opt.m = [0.5, -0.5]
    state = opt.state_arrays()
    state["m"] *= 2
    opt.load_state_arrays(state)
    assert opt.m == [1.0, -1.0] and opt.v == [0.0, 0.0]

"""fit(): XOR needs a hidden layer, online and mini-batch updates, convergence stop, errors."""

from __future__ import annotations

import math

import numpy as np
import pytest
from tracegrad.autograd import Value
from tracegrad.nn import MLP, SGD, Adam, accuracy, data, fit, get_loss, half_sse, mse


def test_a_single_neuron_cannot_fit_xor() -> None:
    X, y = data.xor()
    neuron = MLP(2, [1], output_activation="sigmoid", seed=0)
    opt = Adam(neuron.parameters(), lr=0.1)
    h = fit(neuron, X, y, loss="mse", optimizer=opt, epochs=300, progress=False)
    # the best a single sigmoid neuron can do on XOR is an MSE of 1/4 (0.5 everywhere)
    assert min(h.loss) > 0.249
    acc = accuracy(neuron.predict(X), y, get_loss("mse"))
    assert acc is not None and acc <= 0.75


def test_one_hidden_layer_fits_xor() -> None:
    X, y = data.xor()
    net = MLP(2, [4, 1], activation="tanh", output_activation="sigmoid", seed=0)
    opt = Adam(net.parameters(), lr=0.1)
    h = fit(net, X, y, loss="mse", optimizer=opt, epochs=300, progress=False)
    assert h.loss[-1] < 0.01
    assert h.accuracy[-1] == 1.0
    pred = net.predict(X)
    assert np.all((pred > 0.5) == (y == 1))


@pytest.mark.parametrize("gate", [data.logical_and, data.logical_or])
def test_a_single_neuron_learns_and_or(gate: object) -> None:
    X, y = gate()  # type: ignore[operator]
    neuron = MLP(2, [1], seed=0)
    fit(
        neuron,
        X,
        y,
        loss="hinge",
        optimizer=Adam(neuron.parameters(), lr=0.1),
        epochs=200,
        progress=False,
    )
    assert accuracy(neuron.predict(X), y, get_loss("hinge")) == 1.0


def test_full_batch_is_one_step_on_the_mean_loss() -> None:
    X, y = data.make_moons(12, seed=1)
    net, twin = MLP(2, [3, 1], activation="tanh", seed=2), MLP(2, [3, 1], activation="tanh", seed=2)
    fit(net, X, y, loss="mse", optimizer=SGD(net.parameters(), lr=0.3), epochs=1, progress=False)
    mean = sum(mse(twin(x), t) for x, t in zip(X.tolist(), y.tolist())) / len(X)
    assert isinstance(mean, Value)
    mean.backward()
    SGD(twin.parameters(), lr=0.3).step()
    np.testing.assert_allclose(_flat(net), _flat(twin), rtol=1e-12)


def _flat(net: MLP) -> np.ndarray:
    return np.array([p.data for p in net.parameters()])


def test_online_updates_follow_the_samples_in_order() -> None:
    X, Y = data.homework()
    net = MLP(2, [2, 2], activation="sigmoid", output_activation="sigmoid", seed=5)
    twin = MLP(2, [2, 2], activation="sigmoid", output_activation="sigmoid", seed=5)
    h = fit(
        net,
        X,
        Y,
        loss="half_sse",
        optimizer=SGD(net.parameters(), lr=1.2),
        epochs=2,
        batch_size=1,
        progress=False,
    )
    opt = SGD(twin.parameters(), lr=1.2)
    losses = []
    for _ in range(2):
        total = 0.0
        for x, t in zip(X.tolist(), Y.tolist()):
            opt.zero_grad()
            E = half_sse(twin(x), t)
            E.backward()
            opt.step()
            total += E.data
        losses.append(total / 3)
    assert _flat(net).tolist() == _flat(twin).tolist()
    assert h.loss == pytest.approx(losses, rel=1e-15)


def test_mini_batches_and_shuffling_are_seeded() -> None:
    X, y = data.make_moons(40, seed=0)

    def run(seed: int) -> list[float]:
        net = MLP(2, [4, 1], activation="tanh", seed=0)
        fit(
            net,
            X,
            y,
            loss="bce_with_logits",
            optimizer=SGD(net.parameters(), lr=0.5),
            epochs=3,
            batch_size=8,
            shuffle=True,
            seed=seed,
            progress=False,
        )
        return _flat(net).tolist()

    assert run(1) == run(1)
    assert run(1) != run(2)


def test_batch_count_per_epoch() -> None:
    X, y = data.make_moons(10, seed=0)
    net = MLP(2, [2, 1], seed=0)
    opt = SGD(net.parameters(), lr=0.01)
    fit(net, X, y, optimizer=opt, epochs=3, batch_size=4, progress=False)
    assert opt.steps == 3 * 3  # batches of 4, 4, 2


@pytest.mark.slow
def test_two_moons_reach_97_percent() -> None:
    X, y = data.make_moons(100, noise=0.1, seed=0)
    net = MLP(2, [8, 8, 1], activation="tanh", seed=0)
    h = fit(
        net,
        X,
        y,
        loss="bce_with_logits",
        optimizer=Adam(net.parameters(), lr=0.05),
        epochs=25,
        batch_size=10,
        shuffle=True,
        progress=False,
    )
    acc = accuracy(net.predict(X), y, get_loss("bce_with_logits"))
    assert acc is not None and acc >= 0.97
    assert h.loss[-1] < h.loss[0]


def test_several_classes_with_cross_entropy() -> None:
    X, y = data.make_blobs(60, centers=3, std=0.4, seed=3)
    net = MLP(2, [3], output_activation="linear", seed=0)
    h = fit(
        net,
        X,
        y,
        loss="cross_entropy",
        optimizer=Adam(net.parameters(), lr=0.1),
        epochs=40,
        progress=False,
    )
    assert h.accuracy[-1] is not None and h.accuracy[-1] >= 0.95
    assert accuracy(net.predict(X), y, get_loss("cross_entropy")) >= 0.95


def test_convergence_stop_after_patience_calm_epochs() -> None:
    X, y = data.xor()
    net = MLP(2, [2, 1], seed=0)
    h = fit(
        net,
        X,
        y,
        optimizer=SGD(net.parameters(), lr=1e-9),
        epochs=100,
        tol=1e-3,
        patience=3,
        progress=False,
    )
    assert h.converged and h.epochs == 4  # 3 changes below tol need 4 epochs
    h = fit(net, X, y, optimizer=SGD(net.parameters(), lr=1e-9), epochs=10, progress=False)
    assert not h.converged and h.epochs == 10


def test_l2_keeps_weights_smaller() -> None:
    X, y = data.make_moons(30, seed=0)

    def norm(l2: float) -> float:
        net = MLP(2, [6, 1], activation="tanh", seed=0)
        fit(
            net,
            X,
            y,
            loss="hinge",
            optimizer=Adam(net.parameters(), lr=0.05),
            epochs=30,
            l2=l2,
            progress=False,
        )
        return float(np.sum(_flat(net) ** 2))

    assert norm(0.05) < norm(0.0)


def test_history_callback_and_lr() -> None:
    X, y = data.xor()
    net = MLP(2, [2, 1], seed=0)
    seen: list[tuple[int, float, float | None]] = []
    opt = SGD(net.parameters(), lr=lambda e: 0.1 / (e + 1), schedule_by="epoch")
    h = fit(
        net,
        X,
        y,
        optimizer=opt,
        epochs=3,
        progress=False,
        callback=lambda e, loss, acc: seen.append((e, loss, acc)),
    )
    assert [s[0] for s in seen] == [1, 2, 3]
    assert [s[1] for s in seen] == h.loss
    assert h.lr == pytest.approx([0.1, 0.05, 0.1 / 3])
    assert all(a is not None and 0 <= a <= 1 for a in h.accuracy)


def test_progress_bar_shows_loss_and_accuracy(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import functools

    import tracegrad.nn.train as train

    # every epoch drawn (tqdm draws at most every 0.1 s: a fast run might show none)
    monkeypatch.setattr(train, "tqdm", functools.partial(train.tqdm, mininterval=0))
    X, y = data.xor()
    fit(MLP(2, [2, 1]), X, y, epochs=2, progress=True)
    err = capsys.readouterr().err
    assert "loss=" in err and "acc=" in err
    assert err.split("\r")[-1].strip() == ""  # cleared when fit returns: History has it all
    fit(MLP(2, [2, 1]), X, y, epochs=2, progress=False)
    assert capsys.readouterr().err == ""


def test_divergence_is_an_error_not_a_silent_nan() -> None:
    X, y = data.xor()
    net = MLP(2, [4, 1], seed=0)
    with pytest.raises(FloatingPointError, match="loss became inf.*diverged"):
        fit(net, X * 1e3, y, optimizer=SGD(net.parameters(), lr=1e6), epochs=50, progress=False)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"X": np.zeros((4, 3))}, "3 columns but the model takes 2"),
        ({"y": np.zeros(3)}, "4 samples but y has 3"),
        ({"batch_size": 0}, "batch_size"),
        ({"epochs": -1}, "epochs"),
        ({"loss": "l1"}, "unknown loss"),
        ({"y": np.array(["a", "b", "c", "d"])}, "numbers"),
        ({"patience": 0}, "patience"),
    ],
)
def test_bad_arguments_are_clear(kwargs: dict, message: str) -> None:
    X, y = data.xor()
    args = {"X": X, "y": y, **kwargs}
    with pytest.raises(ValueError, match=message):
        fit(MLP(2, [1]), args.pop("X"), args.pop("y"), progress=False, **args)


def test_accuracy_rules() -> None:
    spec = get_loss("mse")
    assert accuracy(np.array([0.2, 0.7]), np.array([0, 1]), spec) == 1.0
    assert accuracy(np.array([-0.2, 0.7]), np.array([-1, 1]), spec) == 1.0
    assert accuracy(np.array([0.2, 0.7]), np.array([0.1, 0.9]), spec) is None
    assert accuracy(np.array([[0.1, 0.9], [2.0, 1.0]]), np.array([1, 1]), spec) == 0.5
    assert accuracy(np.array([0.1, -0.3]), np.array([1, 0]), get_loss("hinge")) == 1.0
    assert math.isclose(
        accuracy(np.array([0.6, 0.4, 0.9]), np.array([1, 1, 0]), get_loss("bce")) or 0, 1 / 3
    )


def test_history_reads_as_one_line_at_a_prompt() -> None:
    from tracegrad.nn import History

    assert repr(History()) == "History(no epochs)"
    h = History(loss=[0.5, 0.25, 0.125], accuracy=[None, None, None], lr=[1.2, 1.2, 1.2])
    assert repr(h) == "History(3 epochs: loss 0.5000 -> 0.1250, lr 1.2)"
    h = History(loss=[0.5], accuracy=[0.75], lr=[0.1], converged=True)
    assert str(h) == "History(1 epoch: loss 0.5000 -> 0.5000, accuracy 75.0%, lr 0.1, converged)"
    h = History(loss=[0.5, 0.4], accuracy=[0.5, 1.0], lr=[0.1, 0.05])
    assert repr(h) == "History(2 epochs: loss 0.5000 -> 0.4000, accuracy 100.0%, lr 0.1 -> 0.05)"
    assert h.loss == [0.5, 0.4]  # the lists stay attributes

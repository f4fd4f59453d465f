"""The seed article's 2-2-2 network built with MLP.set_weights reproduces its worked example."""

from __future__ import annotations

import math

import pytest
from tracegrad.nn import MLP, SGD, data, fit, half_sse

from tracegrad import seed
from tracegrad.demo.network import seed_network, seed_weights

# As the issue states it: per layer, per neuron, input weights then the bias.
SEED_W = [[[0.1, -0.2, 0.01], [0.3, 0.55, -0.02]], [[0.37, 0.9, 0.31], [-0.22, -0.12, 0.27]]]
X1, Y1 = [0.5, -0.5], [0.9, 0.1]
ARTICLE = {k: float(v) for k, v in seed.ARTICLE_FIGURES.items()}  # stored as printed
CARRIED = 1.5e-4  # the article rounds each line to 4 decimals and carries that rounding on


def _sig(z: float) -> float:
    return 1 / (1 + math.exp(-z))


def _net() -> MLP:
    net = MLP(2, [2, 2], activation="sigmoid", output_activation="sigmoid")
    net.set_weights(SEED_W)
    return net


def test_the_seed_weights_come_from_the_seed_module() -> None:
    assert seed_weights() == SEED_W
    assert seed_network().weights() == SEED_W


def test_forward_reproduces_the_article() -> None:
    net = _net()
    o1, o2 = net(X1)  # type: ignore[misc]
    # exact values, computed by hand from the weights
    h1 = _sig(0.5 * 0.1 + -0.5 * -0.2 + 0.01)
    h2 = _sig(0.5 * 0.3 + -0.5 * 0.55 - 0.02)
    assert o1.data == pytest.approx(_sig(h1 * 0.37 + h2 * 0.9 + 0.31), rel=1e-15)
    assert o2.data == pytest.approx(_sig(h1 * -0.22 + h2 * -0.12 + 0.27), rel=1e-15)
    # the exact o1 rounds to 0.7165; the article prints 0.7164 from its carried rounding
    assert round(o1.data, 4) == 0.7165
    assert round(o2.data, 4) == 0.5239
    assert abs(o1.data - ARTICLE["o1"]) < CARRIED
    assert abs(o2.data - ARTICLE["o2"]) < CARRIED
    # and the engine's own worked example gives bit-identical outputs
    v = seed.build()
    assert (o1.data, o2.data) == (v["o1"].data, v["o2"].data)


def test_gradients_equal_the_worked_example() -> None:
    net = _net()
    E = half_sse(net(X1), Y1)
    E.backward()
    v = seed.solved()
    assert E.data == v["E"].data
    names = [["w1", "w2", "b1"], ["w3", "w4", "b2"]], [["w5", "w6", "b3"], ["w7", "w8", "b4"]]
    for layer, layer_names in zip(net.layers, names):
        for neuron, (wa, wb, b) in zip(layer.neurons, layer_names):
            assert [neuron.w[0].grad, neuron.w[1].grad, neuron.b.grad] == pytest.approx(
                [v[wa].grad, v[wb].grad, v[b].grad], rel=1e-12
            )
    assert net.layers[1].neurons[0].w[0].grad == pytest.approx(ARTICLE["dE/dw5"], abs=CARRIED)
    assert net.layers[0].neurons[0].w[0].grad == pytest.approx(ARTICLE["dE/dw1"], abs=1e-5)


def test_one_sgd_step_gives_the_articles_updated_weights() -> None:
    net = _net()
    half_sse(net(X1), Y1).backward()
    SGD(net.parameters(), lr=1.2).step()
    w5 = net.layers[1].neurons[0].w[0].data
    w1 = net.layers[0].neurons[0].w[0].data
    assert round(w5, 4) == ARTICLE["w5_new"] == 0.3941
    assert round(w1, 4) == ARTICLE["w1_new"] == 0.1055
    v = seed.solved()
    assert w5 == pytest.approx(0.37 - 1.2 * v["w5"].grad, rel=1e-15)
    assert w1 == pytest.approx(0.1 - 1.2 * v["w1"].grad, rel=1e-15)


def test_fit_on_the_first_sample_is_the_same_step() -> None:
    by_hand = _net()
    half_sse(by_hand(X1), Y1).backward()
    SGD(by_hand.parameters(), lr=1.2).step()
    net = _net()
    X, Y = data.homework()
    opt = SGD(net.parameters(), lr=1.2)
    fit(net, X[:1], Y[:1], loss="half_sse", optimizer=opt, epochs=1, batch_size=1, progress=False)
    assert net.weights() == by_hand.weights()


def test_twenty_five_epochs_online_lower_the_error() -> None:
    net = _net()
    X, Y = data.homework()
    assert X.tolist()[0] == X1 and Y.tolist()[0] == Y1
    opt = SGD(net.parameters(), lr=1.2)
    h = fit(net, X, Y, loss="half_sse", optimizer=opt, epochs=25, batch_size=1, progress=False)
    assert h.epochs == 25 and opt.steps == 75
    assert all(b < a for a, b in zip(h.loss, h.loss[1:]))
    # epoch 1's first term is the worked example's E
    assert h.loss[0] * 3 > seed.solved()["E"].data
    assert h.accuracy == [None] * 25  # target pairs are not class labels

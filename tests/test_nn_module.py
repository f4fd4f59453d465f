"""Neurons, layers and MLPs: forward pass, parameters and their names, weights in and out."""

from __future__ import annotations

import math
import random

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from tracegrad.autograd import Value
from tracegrad.nn import MLP, Layer, Module, Neuron, activation_names, get_activation

SMALL = st.floats(-3, 3, allow_nan=False)


def manual_forward(W: list, x: list[float], acts: list) -> list[float]:
    """An MLP's output from its weights alone, in plain floats."""
    out = list(x)
    for layer, act in zip(W, acts):
        out = [act(sum(w * v for w, v in zip(row[:-1], out)) + row[-1]) for row in layer]
    return out


def _sigmoid(z: float) -> float:
    return 1.0 / (1.0 + math.exp(-z))


@given(seed=st.integers(0, 10_000), x=st.lists(SMALL, min_size=3, max_size=3))
def test_forward_equals_manual_computation(seed: int, x: list[float]) -> None:
    net = MLP(3, [4, 3, 2], activation="tanh", output_activation="sigmoid", seed=seed)
    out = net(x)
    assert isinstance(out, list) and len(out) == 2
    expected = manual_forward(net.weights(), x, [math.tanh, math.tanh, _sigmoid])
    assert [o.data for o in out] == pytest.approx(expected, rel=1e-12, abs=1e-15)
    assert net.predict(np.array([x]))[0] == pytest.approx(expected, rel=1e-12, abs=1e-15)


def test_relu_and_linear_forward() -> None:
    net = MLP(2, [3, 1], seed=4)  # relu hidden, linear output
    x = [0.7, -1.3]
    relu = lambda z: max(z, 0.0)
    (expected,) = manual_forward(net.weights(), x, [relu, lambda z: z])
    out = net(x)
    assert isinstance(out, Value)
    assert out.data == pytest.approx(expected, rel=1e-12)
    assert net.predict([x])[0] == pytest.approx(expected, rel=1e-12)


def test_values_as_inputs_get_gradients() -> None:
    net = MLP(2, [2, 1], activation="tanh", seed=1)
    x = [Value(0.5, label="x0"), Value(-0.25, label="x1")]
    out = net(x)
    assert isinstance(out, Value)
    out.backward()
    assert x[0].grad != 0.0 and x[1].grad != 0.0


@given(nin=st.integers(1, 5), sizes=st.lists(st.integers(1, 5), min_size=1, max_size=4))
def test_parameter_counts(nin: int, sizes: list[int]) -> None:
    net = MLP(nin, sizes)
    dims = [nin, *sizes]
    expected = sum((dims[i] + 1) * dims[i + 1] for i in range(len(sizes)))
    assert len(net.parameters()) == expected == net.num_parameters()
    assert len({id(p) for p in net.parameters()}) == expected
    assert [len(layer.neurons) for layer in net.layers] == sizes
    assert all(len(n.w) == dims[i] for i, layer in enumerate(net.layers) for n in layer.neurons)


def test_parameter_count_of_a_familiar_network() -> None:
    assert MLP(2, [16, 16, 1]).num_parameters() == 2 * 16 + 16 + 16 * 16 + 16 + 16 + 1 == 337
    assert Neuron(3).num_parameters() == 4
    assert Layer(3, 2).num_parameters() == 8


def test_named_parameters_follow_the_structure() -> None:
    net = MLP(2, [3, 2], seed=0)
    named = dict(net.named_parameters())
    assert len(named) == len(net.parameters())
    assert list(named)[:3] == [
        "layers.0.neurons.0.w.0",
        "layers.0.neurons.0.w.1",
        "layers.0.neurons.0.b",
    ]
    assert named["layers.0.neurons.1.w.0"] is net.layers[0].neurons[1].w[0]
    assert named["layers.1.neurons.1.b"] is net.layers[1].neurons[1].b
    assert [p for _, p in net.named_parameters()] == net.parameters()
    # short labels for graphs
    assert net.layers[0].neurons[1].w[0].label == "L0.n1.w0"
    assert net.layers[1].neurons[0].b.label == "L1.n0.b"
    assert [w.label for w in Neuron(2).w] == ["w0", "w1"]
    assert Layer(2, 2).neurons[1].b.label == "n1.b"


def test_zero_grad_on_every_module() -> None:
    net = MLP(2, [2, 1], activation="tanh")
    out = net([1.0, 2.0])
    assert isinstance(out, Value)
    out.backward()
    assert any(p.grad != 0.0 for p in net.parameters())
    net.zero_grad()
    assert all(p.grad == 0.0 for p in net.parameters())
    assert Module().parameters() == []


def test_initialisation_is_seeded() -> None:
    assert MLP(2, [4, 1], seed=3).weights() == MLP(2, [4, 1], seed=3).weights()
    assert MLP(2, [4, 1], seed=3).weights() != MLP(2, [4, 1], seed=4).weights()
    assert MLP(2, [4, 1], rng=random.Random(7)).weights() == MLP(2, [4, 1], seed=7).weights()
    biases = [n.b.data for layer in MLP(3, [5, 2]).layers for n in layer.neurons]
    assert biases == [0.0] * 7
    ws = [w.data for n in MLP(4, [50]).layers[0].neurons for w in n.w]
    assert max(abs(w) for w in ws) <= math.sqrt(3 / 4)


def test_set_weights_and_weights_round_trip() -> None:
    net = MLP(2, [2, 1])
    W = [[[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], [[7.0, 8.0, 9.0]]]
    before = net.parameters()
    net.set_weights(W)
    assert net.weights() == W
    assert net.parameters() == before  # same Value objects, only data changed
    assert net.layers[1].neurons[0].b.data == 9.0
    assert net.layers[0].neurons[1].w[1].data == 5.0


@pytest.mark.parametrize(
    "W, message",
    [
        ([[[1, 2, 3], [4, 5, 6]]], "expected a list of 2 layers, got 1 layers"),
        ([[[1, 2, 3]], [[7, 8, 9]]], "layer 0 has 2 neurons"),
        ([[[1, 2, 3], [4, 5]], [[7, 8, 9]]], "layer 0 neuron 1 needs 3 numbers (2 input"),
        ([[[1, 2, 3], [4, 5, 6]], [[7, 8]]], "layer 1 neuron 0 needs 3 numbers"),
        ([[[1, 2, 3], [4, "x", 6]], [[7, 8, 9]]], "layer 0 neuron 1 entry 1 must be a number"),
        ([[[1, 2, 3], 4], [[7, 8, 9]]], "layer 0 neuron 1 needs 3 numbers"),
        ("weights", "expected a list of 2 layers"),
    ],
)
def test_set_weights_wrong_shape_says_where(W: object, message: str) -> None:
    net = MLP(2, [2, 1], seed=0)
    before = net.weights()
    with pytest.raises(ValueError) as err:
        net.set_weights(W)
    assert message in str(err.value)
    assert net.weights() == before  # nothing changed


def test_wrong_number_of_inputs_is_clear() -> None:
    with pytest.raises(ValueError, match="this MLP takes 2 input"):
        MLP(2, [1])([1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match="use predict"):
        MLP(2, [1])(np.zeros((3, 2)))
    with pytest.raises(ValueError, match=r"shape \(n, 2\)"):
        MLP(2, [1]).predict(np.zeros((3, 3)))


@pytest.mark.parametrize("bad", [0, -1, 2.5, "3"])
def test_bad_sizes_are_refused(bad: object) -> None:
    with pytest.raises(ValueError):
        MLP(2, [bad])  # type: ignore[list-item]
    with pytest.raises(ValueError):
        MLP(bad, [1])  # type: ignore[arg-type]


def test_activation_names_come_from_the_ops_table() -> None:
    names = activation_names()
    for name in ["relu", "tanh", "sigmoid", "linear", "step"]:
        assert name in names
    with pytest.raises(ValueError, match="unknown activation 'swish'.*relu"):
        get_activation("swish")
    with pytest.raises(TypeError):
        get_activation(3)  # type: ignore[arg-type]


@given(z=SMALL)
def test_each_named_activation_matches_its_formula(z: float) -> None:
    formulas = {
        "relu": lambda v: max(v, 0.0),
        "tanh": math.tanh,
        "sigmoid": _sigmoid,
        "linear": lambda v: v,
        "step": lambda v: 1.0 if v > 0 else 0.0,
    }
    for name, f in formulas.items():
        act = get_activation(name)
        assert act(Value(z)).data == pytest.approx(f(z), rel=1e-12, abs=1e-15)
        assert act.numpy(np.array([z]))[0] == pytest.approx(f(z), rel=1e-12, abs=1e-15)


def test_step_activation_passes_no_gradient() -> None:
    n = Neuron(2, "step")
    n.w[0].data, n.w[1].data, n.b.data = 1.0, 1.0, -1.5  # AND gate
    outs = [n([a, b]).data for a, b in [(0, 0), (0, 1), (1, 0), (1, 1)]]
    assert outs == [0.0, 0.0, 0.0, 1.0]
    out = n([1.0, 1.0])
    out.backward()
    assert [p.grad for p in n.parameters()] == [0.0, 0.0, 0.0]


def test_callable_activation() -> None:
    def square(v: Value) -> Value:
        return v * v

    net = MLP(1, [1], output_activation=square, seed=0)
    net.set_weights([[[2.0, 1.0]]])
    out = net([3.0])
    assert isinstance(out, Value) and out.data == 49.0
    assert net.predict([[3.0]])[0] == 49.0
    assert net.architecture()["activations"] == ["callable:square"]
    bad = MLP(1, [1], output_activation=lambda v: 1.0, seed=0)  # type: ignore[arg-type,return-value]
    with pytest.raises(TypeError, match="not a Value"):
        bad([1.0])

"""Saving and loading weights as JSON: exact round trip, clear errors for files that do not fit."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest
from tracegrad.autograd import Value
from tracegrad.nn import MLP, WeightsFileError, load, load_weights, save


def _odd_weights(net: MLP, seed: int) -> None:
    """Weights that exercise float round-tripping (tiny, huge, repeating binary fractions)."""
    r = random.Random(seed)
    pool = [0.1 + 0.2, 1e-300, -5e-324, 1.7976931348623157e308, -0.0, 1 / 3]
    W = [
        [
            [r.choice(pool) if r.random() < 0.3 else r.gauss(0, 1) for _ in range(per)]
            for _ in range(nout)
        ]
        for nout, per in net.weight_shape()
    ]
    net.set_weights(W)


def test_save_then_load_is_exact(tmp_path: Path) -> None:
    net = MLP(3, [5, 4, 2], activation="tanh", output_activation="sigmoid", seed=1)
    _odd_weights(net, 0)
    path = save(net, tmp_path / "w.json")
    back = load(path)
    assert back.weights() == net.weights()
    assert back.architecture() == net.architecture()
    x = [0.3, -0.7, 0.2]
    assert [o.data for o in back(x)] == [o.data for o in net(x)]  # type: ignore[union-attr]
    again = MLP(3, [5, 4, 2], activation="tanh", output_activation="sigmoid", seed=9)
    load_weights(again, path)
    assert again.weights() == net.weights()


def test_the_file_is_plain_readable_json(tmp_path: Path) -> None:
    net = MLP(2, [2, 2], activation="sigmoid", output_activation="sigmoid")
    net.set_weights(
        [[[0.1, -0.2, 0.01], [0.3, 0.55, -0.02]], [[0.37, 0.9, 0.31], [-0.22, -0.12, 0.27]]]
    )
    doc = json.loads(save(net, tmp_path / "seed.json").read_text())
    assert doc["format"] == "tracegrad.nn.weights" and doc["version"] == 1
    assert doc["architecture"] == {"nin": 2, "sizes": [2, 2], "activations": ["sigmoid", "sigmoid"]}
    assert doc["weights"][1][0] == [0.37, 0.9, 0.31]


def test_loading_into_a_different_model_says_what_differs(tmp_path: Path) -> None:
    path = save(MLP(2, [4, 1]), tmp_path / "w.json")
    other = MLP(2, [3, 1])
    before = other.weights()
    with pytest.raises(WeightsFileError) as err:
        load_weights(other, path)
    msg = str(err.value)
    assert "MLP(2, [4, 1])" in msg and "MLP(2, [3, 1])" in msg and "w.json" in msg
    assert other.weights() == before
    with pytest.raises(WeightsFileError, match="activations"):
        load_weights(MLP(2, [4, 1], activation="tanh"), path)


def _write(tmp_path: Path, text: str) -> Path:
    p = tmp_path / "bad.json"
    p.write_text(text)
    return p


GOOD = {
    "format": "tracegrad.nn.weights",
    "version": 1,
    "architecture": {"nin": 1, "sizes": [1], "activations": ["linear"]},
    "weights": [[[2.0, 0.5]]],
}


@pytest.mark.parametrize(
    "text, message",
    [
        ('{"format": "tracegrad.nn.weights", ', "not valid JSON \\(line 1"),
        ("[1, 2]", "not a tracegrad weights file"),
        (json.dumps({**GOOD, "version": 7}), "version 7"),
        (json.dumps({**GOOD, "architecture": {"nin": "1"}}), "architecture"),
        (json.dumps({k: v for k, v in GOOD.items() if k != "weights"}), 'no "weights"'),
        (json.dumps({**GOOD, "weights": [[[2.0]]]}), "layer 0 neuron 0 needs 2 numbers"),
        (json.dumps({**GOOD, "weights": [[[2.0, "x"]]]}), "entry 1 must be a number"),
        (json.dumps(GOOD).replace("0.5", "NaN"), "NaN is not a number JSON allows"),
        (
            json.dumps(
                {**GOOD, "architecture": {**GOOD["architecture"], "activations": ["callable:f"]}}
            ),
            "build the model yourself",
        ),
    ],
)
def test_malformed_files_fail_clearly(tmp_path: Path, text: str, message: str) -> None:
    path = _write(tmp_path, text)
    with pytest.raises(WeightsFileError, match=message):
        load(path)


def test_a_good_hand_written_file_loads(tmp_path: Path) -> None:
    net = load(_write(tmp_path, json.dumps(GOOD)))
    out = net([3.0])
    assert isinstance(out, Value) and out.data == 6.5


def test_saving_nan_weights_is_refused(tmp_path: Path) -> None:
    net = MLP(1, [1])
    net.layers[0].neurons[0].b.data = float("nan")
    with pytest.raises(ValueError, match="NaN or infinite"):
        save(net, tmp_path / "nan.json")
    assert not (tmp_path / "nan.json").exists()

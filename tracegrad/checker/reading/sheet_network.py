"""Reading a network homework's sections: [network], [[samples]] and [training].

Each section and each field is checked by its own function, against the layer sizes, and
every name is a plain name used once (a shared weight or bias excepted).
"""

from __future__ import annotations

from typing import Any

from tracegrad.checker.reading.sheet import Homework, NetworkSpec
from tracegrad.checker.reading.sheet_values import (
    as_names,
    as_number,
    as_positive,
    listed,
    short_repr,
)
from tracegrad.nn.activations import activation_names
from tracegrad.nn.losses import LOSSES

__all__ = ["network_spec"]

_NETWORK_KEYS = {
    "inputs",
    "sizes",
    "neurons",
    "activation",
    "output_activation",
    "weights",
    "biases",
    "weight_names",
    "bias_names",
}


_TRAINING_KEYS = {"loss", "learning_rate", "steps", "frozen"}


def network_spec(hw: Homework, data: dict[str, Any]) -> NetworkSpec:
    """[network], [[samples]] and [training], each section checked by its own function."""
    net = _network_table(hw, data)
    nin, layer_sizes = _sizes(hw, net)
    inputs = _inputs(hw, net, nin)
    neurons = _neuron_names(hw, net, layer_sizes)
    activations = _activations(hw, net, len(layer_sizes))
    dims = [nin, *layer_sizes]
    P = ("network",)
    weights = _shaped(hw, net["weights"], dims, True, "network.weights", (*P, "weights"))
    biases = _shaped(hw, net["biases"], dims, False, "network.biases", (*P, "biases"))
    default_w, default_b = _default_parameter_names(weights, biases)
    weight_names = _flat_names(hw, net, "weight_names", default_w)
    bias_names = _flat_names(hw, net, "bias_names", default_b)
    _check_names(hw, inputs, neurons, weights, biases, weight_names, bias_names)
    samples = _samples(hw, data, nin, layer_sizes[-1])
    training = _training_table(hw, data)
    loss = _loss_name(hw, training.get("loss", "half_sse"))
    refused = LOSSES[loss].target_problem([y for _, y in samples], activations[-1])
    if refused is not None:  # a target outside what the loss allows: nn.losses says which
        raise hw.error(refused[1], line=hw.line_of("samples", str(refused[0])))
    lr, steps = _schedule(hw, training)
    frozen = _frozen(hw, training, weight_names, bias_names)
    return NetworkSpec(
        inputs, neurons, activations, weights, biases, weight_names, bias_names,
        samples, loss, lr, steps, frozen,
    )  # fmt: skip


def _network_table(hw: Homework, data: dict[str, Any]) -> dict[str, Any]:
    net = data["network"]
    if not isinstance(net, dict):
        raise hw.error("network must be a table", "network")
    for key in net:
        if key not in _NETWORK_KEYS:
            raise hw.error(
                f"unknown field network.{key}; expected one of {listed(_NETWORK_KEYS)}",
                "network",
                key,
            )
    for key in ("sizes", "weights", "biases"):
        if key not in net:
            raise hw.error(f"missing network.{key}", "network")
    return net


def _sizes(hw: Homework, net: dict[str, Any]) -> tuple[int, list[int]]:
    sizes = net["sizes"]
    if (
        not isinstance(sizes, list)
        or len(sizes) < 2
        or not all(isinstance(s, int) and not isinstance(s, bool) and s >= 1 for s in sizes)
    ):
        raise hw.error(
            "network.sizes must list the layer sizes, inputs first, e.g. [2, 2, 2]",
            "network",
            "sizes",
        )
    return sizes[0], sizes[1:]


def _inputs(hw: Homework, net: dict[str, Any], nin: int) -> list[str]:
    P = ("network", "inputs")
    inputs = (
        as_names(hw, net["inputs"], "network.inputs", P)
        if "inputs" in net
        else [f"x{i + 1}" for i in range(nin)]
    )
    if len(inputs) != nin:
        raise hw.error(f"network.inputs names {len(inputs)} inputs, sizes says {nin}", *P)
    return inputs


def _neuron_names(hw: Homework, net: dict[str, Any], layer_sizes: list[int]) -> list[list[str]]:
    """network.neurons, or the textbook names: h1, h2 (h1_1, h2_1 with several hidden
    layers) and o1, o2."""
    P = ("network", "neurons")
    if "neurons" not in net:
        hidden = len(layer_sizes) - 1
        return [
            [f"o{j + 1}" for j in range(size)]
            if i == hidden
            else [f"h{j + 1}" if hidden == 1 else f"h{i + 1}_{j + 1}" for j in range(size)]
            for i, size in enumerate(layer_sizes)
        ]
    neurons = net["neurons"]
    if not isinstance(neurons, list) or len(neurons) != len(layer_sizes):
        raise hw.error(
            f"network.neurons must list the names of each of the {len(layer_sizes)} layers", *P
        )
    neurons = [as_names(hw, n, "network.neurons", P) for n in neurons]
    for i, (names, size) in enumerate(zip(neurons, layer_sizes)):
        if len(names) != size:
            raise hw.error(
                f"network.neurons layer {i + 1} names {len(names)} neurons, sizes says {size}", *P
            )
    return neurons


def _activations(hw: Homework, net: dict[str, Any], layers: int) -> list[str]:

    act = net.get("activation", "sigmoid")
    out_act = net.get("output_activation", act)
    for key, a in (("activation", act), ("output_activation", out_act)):
        if not isinstance(a, str) or a not in activation_names():
            names = ", ".join(activation_names())
            raise hw.error(
                f"network.{key} must be one of {names}, got {short_repr(a)}",
                "network",
                key,
            )
    return [act] * (layers - 1) + [out_act]


def _default_parameter_names(
    weights: list[list[list[float]]], biases: list[list[float]]
) -> tuple[list[list[list[str]]], list[list[str]]]:
    """w1, w2, ... per layer, per neuron, per input; b1, b2, ... per layer, per neuron."""
    count = 0
    default_w: list[list[list[str]]] = []
    for layer in weights:
        default_w.append([])
        for row in layer:
            default_w[-1].append([f"w{count + i + 1}" for i in range(len(row))])
            count += len(row)
    default_b: list[list[str]] = []
    count = 0
    for layer_b in biases:
        default_b.append([f"b{count + j + 1}" for j in range(len(layer_b))])
        count += len(layer_b)
    return default_w, default_b


def _shaped(
    hw: Homework, val: Any, dims: list[int], per_input: bool, what: str, path: tuple[str, ...]
) -> Any:
    """Check nested lists against the layer sizes: per layer, per neuron (, per input)."""
    nl = len(dims) - 1
    example = "[[[0.1, -0.2], [0.3, 0.55]], ...]" if per_input else "[[0.01, -0.02], ...]"
    if not isinstance(val, list) or len(val) != nl:
        got = f"{len(val)} layers" if isinstance(val, list) else short_repr(val)
        raise hw.error(f"{what} needs one list per layer ({nl}), e.g. {example}; got {got}", *path)
    out = []
    for i, layer in enumerate(val):
        nout, nin = dims[i + 1], dims[i]
        if not isinstance(layer, list) or len(layer) != nout:
            got = f"{len(layer)} entries" if isinstance(layer, list) else short_repr(layer)
            raise hw.error(
                f"{what}: layer {i + 1} has {nout} neurons, so it needs {nout} entries; got {got}",
                *path,
            )
        rows: list[Any] = []
        for j, row in enumerate(layer):
            if per_input:
                if not isinstance(row, list) or len(row) != nin:
                    got = str(len(row)) if isinstance(row, list) else short_repr(row)
                    raise hw.error(
                        f"{what}: layer {i + 1} neuron {j + 1} reads {nin} inputs, so it "
                        f"needs {nin} weights; got {got}",
                        *path,
                    )
                rows.append([as_number(hw, x, f"{what} entry", path) for x in row])
            else:
                rows.append(as_number(hw, row, f"{what}: layer {i + 1} neuron {j + 1}", path))
        out.append(rows)
    return out


def _flat_names(hw: Homework, net: dict[str, Any], key: str, default: Any) -> Any:
    """Names in the same nested shape as ``default``, given flat in the file."""
    if key not in net:
        return default
    flat_default: list[str] = []

    def walk(x: Any) -> None:
        if isinstance(x, list):
            for y in x:
                walk(y)
        else:
            flat_default.append(x)

    walk(default)
    names = as_names(hw, net[key], f"network.{key}", ("network", key))
    if len(names) != len(flat_default):
        raise hw.error(
            f"network.{key} lists {len(names)} names; the network has {len(flat_default)}",
            "network",
            key,
        )
    it = iter(names)

    def fill(x: Any) -> Any:
        return [fill(y) for y in x] if isinstance(x, list) else next(it)

    return fill(default)


def _flat(nested: Any) -> list[Any]:
    out: list[Any] = []
    todo = [nested]
    while todo:
        x = todo.pop()
        if isinstance(x, list):
            todo.extend(reversed(x))
        else:
            out.append(x)
    return out


def _check_names(
    hw: Homework,
    inputs: list[str],
    neurons: list[list[str]],
    weights: Any,
    biases: Any,
    weight_names: Any,
    bias_names: Any,
) -> None:
    """Every name once, except a parameter shared by several neurons (a tied weight or bias:
    the same name, the same value), which Mazur's network does with its biases. An error
    points at the line of the key that repeats a name."""
    owner: dict[str, str] = {}
    groups = [
        ("inputs", inputs, None),
        ("neurons", _flat(neurons), None),
        ("weight_names", _flat(weight_names), _flat(weights)),
        ("bias_names", _flat(bias_names), _flat(biases)),
    ]
    targets = [f"y{k + 1}" for k in range(len(neurons[-1]))] + ["E"]
    value: dict[str, float] = {}
    for key, names, values in groups:
        for i, n in enumerate(names):
            if n in owner and not (owner[n] == key and values is not None):
                where = "" if owner[n] == key else f" (also in network.{owner[n]})"
                raise hw.error(
                    f"network.{key}: the name {n!r} is used twice{where}", "network", key
                )
            if n in targets:
                raise hw.error(
                    f"network.{key}: {n!r} is a reserved name (targets y1.., the loss E)",
                    "network",
                    key,
                )
            if values is not None:
                if n in value and value[n] != values[i]:
                    raise hw.error(
                        f"network.{key}: {n!r} is shared (one parameter), so it needs one value; "
                        f"got {value[n]:g} and {values[i]:g}",
                        "network",
                        key,
                    )
                value[n] = values[i]
            owner[n] = key


def _samples(hw: Homework, data: dict[str, Any], nin: int, nout: int) -> list[Any]:
    samples = data.get("samples")
    if not isinstance(samples, list) or not samples:
        raise hw.error("missing [[samples]]: at least one with x = [...] and y = [...]", "samples")
    out = []
    for i, s in enumerate(samples):
        line = hw.line_of("samples", str(i))
        if not isinstance(s, dict) or set(s) != {"x", "y"}:
            raise hw.error(f"sample {i + 1} needs exactly x = [...] and y = [...]", line=line)
        x, y = s["x"], s["y"]
        for what, v, n in (("x", x, nin), ("y", y, nout)):
            if not isinstance(v, list) or len(v) != n:
                got = str(len(v)) if isinstance(v, list) else short_repr(v)
                raise hw.error(f"sample {i + 1}: {what} needs {n} numbers; got {got}", line=line)
        xs = [as_number(hw, v, f"sample {i + 1} x", ("samples",)) for v in x]
        ys = [as_number(hw, v, f"sample {i + 1} y", ("samples",)) for v in y]
        out.append((xs, ys))
    return out


def _training_table(hw: Homework, data: dict[str, Any]) -> dict[str, Any]:
    training = data.get("training", {})
    if not isinstance(training, dict):
        raise hw.error("training must be a table", "training")
    for key in training:
        if key not in _TRAINING_KEYS:
            raise hw.error(
                f"unknown field training.{key}; expected one of {listed(_TRAINING_KEYS)}",
                "training",
                key,
            )
    return training


def _loss_name(hw: Homework, name: Any) -> str:
    """A loss of nn.losses whose formula the checker can write (its registry has the text)."""

    known = {s.name: s for s in LOSSES.values() if s.term}
    for spec in known.values():
        if name == spec.name or name in spec.aliases:
            return spec.name
    shown = "; ".join(f"{s.name}: E = {s.formula(['o'], ['y'])}" for s in known.values())
    raise hw.error(
        f"training.loss must be one of {', '.join(known)} ({shown}), got {short_repr(name)}",
        "training",
        "loss",
    )


def _schedule(hw: Homework, training: dict[str, Any]) -> tuple[float, int]:
    """training.learning_rate (0.5 when not given) and training.steps (1 to 1000)."""
    where = ("training", "learning_rate")
    lr = (
        as_positive(hw, training["learning_rate"], "training.learning_rate", where)
        if "learning_rate" in training
        else 0.5
    )
    steps = training.get("steps", 1)
    if not isinstance(steps, int) or isinstance(steps, bool) or not 1 <= steps <= 1000:
        raise hw.error(
            f"training.steps must be a whole number from 1 to 1000, got {short_repr(steps)}",
            "training",
            "steps",
        )
    return lr, steps


def _frozen(
    hw: Homework, training: dict[str, Any], weight_names: Any, bias_names: Any
) -> list[str]:
    """training.frozen: the parameters the update leaves as they are."""
    if "frozen" not in training:
        return []
    names = as_names(hw, training["frozen"], "training.frozen", ("training", "frozen"))
    params = set(_flat(weight_names)) | set(_flat(bias_names))
    for n in names:
        if n not in params:
            raise hw.error(
                f"training.frozen: {n!r} is not a weight or bias of the network",
                "training",
                "frozen",
            )
    return names

"""Reading a network homework's sections: [network], [[samples]] and [training].

Their keys and types are declared in ``sheet_schema.py`` and already read through it; this
module checks what a schema cannot say: the weights, biases, names and samples against the
layer sizes, every name a plain name used once (a shared weight or bias excepted), the frozen
parameters the network's, and the targets within what the loss allows.
"""

from __future__ import annotations

from typing import Any

from tracegrad.checker.reading.sheet import NetworkSpec, SheetFile
from tracegrad.checker.reading.sheet_schema import TRAINING
from tracegrad.nn.losses import LOSSES

__all__ = ["network_spec", "check_targets"]


def network_spec(hw: SheetFile, sheet: dict[str, Any]) -> NetworkSpec:
    """[network], [[samples]] and [training] (read through the declaration) checked against
    each other."""
    net = sheet["network"]
    training = sheet["training"] or TRAINING.read(hw, {}, "training", ("training",))
    nin, layer_sizes = net["sizes"][0], net["sizes"][1:]
    inputs = _inputs(hw, net, nin)
    neurons = _neuron_names(hw, net, layer_sizes)
    act = net["activation"]
    activations = [act] * (len(layer_sizes) - 1) + [net["output_activation"] or act]
    dims = [nin, *layer_sizes]
    P = ("network",)
    weights = _shaped(hw, net["weights"], dims, True, "network.weights", (*P, "weights"))
    biases = _shaped(hw, net["biases"], dims, False, "network.biases", (*P, "biases"))
    default_w, default_b = _default_parameter_names(weights, biases)
    weight_names = _flat_names(hw, net, "weight_names", default_w)
    bias_names = _flat_names(hw, net, "bias_names", default_b)
    _check_names(hw, inputs, neurons, weights, biases, weight_names, bias_names)
    samples = _samples(hw, sheet["samples"], nin, layer_sizes[-1])
    loss, lr, steps = training["loss"], training["learning_rate"], training["steps"]
    check_targets(hw, loss, samples, activations[-1])
    frozen = _frozen(hw, training["frozen"], weight_names, bias_names)
    return NetworkSpec(
        inputs, neurons, activations, weights, biases, weight_names, bias_names,
        samples, loss, lr, steps, frozen,
    )  # fmt: skip


def check_targets(hw: SheetFile, loss: str, samples: list[Any], output_activation: str) -> None:
    """The one place where a loss's own rule for its targets is called (``nn.losses``:
    ``LossSpec.target_problem``, a binary target of 7 for binary cross-entropy, say): its one
    line, at the line of the sample it names."""
    refused = LOSSES[loss].target_problem([ys for _, ys in samples], output_activation)
    if refused is not None:
        index, said = refused
        if index < 0:  # the output, not a target: the line that sets the output's activation
            own = hw.lines.get(("network", "output_activation"))
            raise hw.error(said, line=own or hw.line_of("network", "activation"))
        raise hw.error(said, line=hw.line_of("samples", str(index), "y"))


def _inputs(hw: SheetFile, net: dict[str, Any], nin: int) -> list[str]:
    P = ("network", "inputs")
    inputs = net["inputs"] if net["inputs"] is not None else [f"x{i + 1}" for i in range(nin)]
    if len(inputs) != nin:
        raise hw.error(f"network.inputs names {len(inputs)} inputs, sizes says {nin}", *P)
    return list(inputs)


def _neuron_names(hw: SheetFile, net: dict[str, Any], layer_sizes: list[int]) -> list[list[str]]:
    """network.neurons, or the textbook names: h1, h2 (h1_1, h2_1 with several hidden
    layers) and o1, o2."""
    P = ("network", "neurons")
    neurons = net["neurons"]
    if neurons is None:
        hidden = len(layer_sizes) - 1
        return [
            [f"o{j + 1}" for j in range(size)]
            if i == hidden
            else [f"h{j + 1}" if hidden == 1 else f"h{i + 1}_{j + 1}" for j in range(size)]
            for i, size in enumerate(layer_sizes)
        ]
    if len(neurons) != len(layer_sizes):
        raise hw.error(
            f"network.neurons must list the names of each of the {len(layer_sizes)} layers", *P
        )
    for i, (names, size) in enumerate(zip(neurons, layer_sizes)):
        if len(names) != size:
            raise hw.error(
                f"network.neurons layer {i + 1} names {len(names)} neurons, sizes says {size}", *P
            )
    return [list(n) for n in neurons]


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
    hw: SheetFile, val: Any, dims: list[int], per_input: bool, what: str, path: tuple[str, ...]
) -> Any:
    """Nested lists of numbers (the declaration read them) against the layer sizes: per
    layer, per neuron (, per input)."""
    nl = len(dims) - 1
    example = "[[[0.1, -0.2], [0.3, 0.55]], ...]" if per_input else "[[0.01, -0.02], ...]"
    if len(val) != nl:
        raise hw.error(
            f"{what} needs one list per layer ({nl}), e.g. {example}; got {len(val)} layers", *path
        )
    for i, layer in enumerate(val):
        nout, nin = dims[i + 1], dims[i]
        if len(layer) != nout:
            raise hw.error(
                f"{what}: layer {i + 1} has {nout} neurons, so it needs {nout} entries; "
                f"got {len(layer)} entries",
                *path,
            )
        for j, row in enumerate(layer if per_input else []):
            if len(row) != nin:
                raise hw.error(
                    f"{what}: layer {i + 1} neuron {j + 1} reads {nin} inputs, so it "
                    f"needs {nin} weights; got {len(row)}",
                    *path,
                )
    return val


def _flat_names(hw: SheetFile, net: dict[str, Any], key: str, default: Any) -> Any:
    """Names in the same nested shape as ``default``, given flat in the file."""
    if net[key] is None:
        return default
    flat_default: list[str] = []

    def walk(x: Any) -> None:
        if isinstance(x, list):
            for y in x:
                walk(y)
        else:
            flat_default.append(x)

    walk(default)
    names = net[key]
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
    hw: SheetFile,
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


def _samples(hw: SheetFile, samples: list[dict[str, Any]], nin: int, nout: int) -> list[Any]:
    """Each sample's x and y (lists of numbers, read) against the network's inputs, outputs."""
    out = []
    for i, s in enumerate(samples):
        line = hw.line_of("samples", str(i))
        for what, v, n in (("x", s["x"], nin), ("y", s["y"], nout)):
            if len(v) != n:
                raise hw.error(f"sample {i + 1}: {what} needs {n} numbers; got {len(v)}", line=line)
        out.append((s["x"], s["y"]))
    return out


def _frozen(
    hw: SheetFile, names: list[str] | None, weight_names: Any, bias_names: Any
) -> list[str]:
    """training.frozen: the parameters the update leaves as they are."""
    params = set(_flat(weight_names)) | set(_flat(bias_names))
    for n in names or []:
        if n not in params:
            raise hw.error(
                f"training.frozen: {n!r} is not a weight or bias of the network",
                "training",
                "frozen",
            )
    return list(names or [])

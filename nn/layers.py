"""Neurons, layers and multi-layer perceptrons built from Values.

A neuron computes ``act(w0*x0 + w1*x1 + ... + b)``, written in that order as the seed
article writes it; a layer is a list of neurons reading the same inputs; an MLP is a list of
layers. Every weight and bias is a leaf Value with a short label (``L0.n1.w0``, ``L0.n1.b``)
so graphs and explanations read well, and a dotted name (``layers.0.neurons.1.w.0``) from
``named_parameters()``.
"""

from __future__ import annotations

import math
import numbers
import random
from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING, Any, Union

from tracegrad.autograd.limits import LIMITS
from tracegrad.autograd.value import Value
from tracegrad.nn.activations import Activation, get_activation
from tracegrad.nn.module import Module, is_array
from tracegrad.nn.torch_module import module_to_torch, read_torch_mlp

__all__ = ["Neuron", "Layer", "MLP", "make_rng"]

ActivationSpec = Union[str, Callable[[Value], Value], Activation]
if TYPE_CHECKING:
    import numpy as np

Inputs = Union[Sequence[Union[float, Value]], "np.ndarray"]
Weights = list[list[list[float]]]


def make_rng(seed: int | None = 0, rng: random.Random | None = None) -> random.Random:
    """The random generator to initialise from: ``rng`` when given, else one seeded by seed."""
    if rng is not None:
        if not isinstance(rng, random.Random):
            raise TypeError(f"rng must be a random.Random, got {type(rng).__name__}")
        return rng
    if seed is not None and (not isinstance(seed, int) or isinstance(seed, bool)):
        raise TypeError(f"seed must be an int or None, got {type(seed).__name__}: {seed!r}")
    return random.Random(seed)


def check_model_size(nin: int, sizes: Sequence[int], what: str = "") -> None:
    """Refuse (LimitError, one line) a model with more weights and biases than
    ``TRACEGRAD_MAX_MODEL_PARAMETERS``, before anything is allocated: MLP, Layer and
    ``tracegrad.nn.load`` check the same limit here."""
    dims = [nin, *sizes]
    parameters = sum((a + 1) * b for a, b in zip(dims, dims[1:]))
    LIMITS["model_parameters"].check(parameters, what or f"MLP({nin}, {list(sizes)})")


def _check_count(what: str, n: Any, minimum: int = 1) -> int:
    if not isinstance(n, int) or isinstance(n, bool) or n < minimum:
        raise ValueError(f"{what} must be an int >= {minimum}, got {n!r}")
    return n


def _as_inputs(x: Any, nin: int, who: str) -> list[Any]:
    """The inputs as a list of floats/Values, with a clear error on a wrong length or shape."""
    if is_array(x):
        if x.ndim != 1:
            raise ValueError(
                f"{who} takes one sample (a 1-D list of {nin} numbers), got an array of "
                f"shape {x.shape}; use predict(X) for many samples"
            )
        x = x.tolist()
    elif isinstance(x, (Value, numbers.Real)):
        x = [x]
    elif not isinstance(x, (list, tuple)):
        x = list(x)
    if len(x) != nin:
        raise ValueError(f"{who} takes {nin} input(s), got {len(x)}")
    return list(x)


class _ToTorch(Module):
    """``to_torch()`` for Neuron, Layer and MLP (the bridge lives in tracegrad.nn.torch_module)."""

    def torch_layers(self) -> list[tuple[list[Neuron], Activation]]:
        """The model as (neurons, activation) per layer, as the PyTorch bridge reads it."""
        raise NotImplementedError

    def to_torch(self) -> Any:
        """The same function as a float64 ``torch.nn.Sequential`` of Linear layers and
        activations, with identical weights (needs ``pip install 'tracegrad[oracle]'``).

        Linear layer i's ``weight[j, k]`` is neuron j's ``w[k]`` and ``bias[j]`` its ``b``,
        so the textbook numbering (weights per neuron, then the bias) reads the same on both
        sides. The ``step`` activation and Python functions are refused.
        """
        return module_to_torch(self)  # type: ignore[arg-type]


class Neuron(_ToTorch):
    """One neuron: ``activation(sum_i w[i] * x[i] + b)``.

    Weights start uniform in ±sqrt(3 / nin) (variance 1/nin) from a seeded generator; the
    bias starts at 0.
    """

    def __init__(
        self,
        nin: int,
        activation: ActivationSpec = "relu",
        *,
        seed: int | None = 0,
        rng: random.Random | None = None,
    ) -> None:
        self.nin = _check_count("nin (the number of inputs)", nin)
        check_model_size(self.nin, [1], f"Neuron({nin})")
        self.activation = get_activation(activation)
        r = make_rng(seed, rng)
        limit = math.sqrt(3.0 / nin)
        self.w = [Value(r.uniform(-limit, limit)) for _ in range(nin)]
        self.b = Value(0.0)
        self._relabel("")

    def torch_layers(self) -> list[tuple[list[Neuron], Activation]]:
        return [([self], self.activation)]

    def _relabel(self, prefix: str) -> None:
        for i, w in enumerate(self.w):
            w.label = f"{prefix}w{i}"
        self.b.label = f"{prefix}b"

    def __call__(self, x: Inputs) -> Value:
        x = _as_inputs(x, self.nin, "this neuron")
        return self._forward(x)

    def _forward(self, x: Sequence[Any]) -> Value:
        w = self.w
        net = w[0] * x[0]
        for i in range(1, len(w)):
            net = net + w[i] * x[i]
        return self.activation(net + self.b)

    def named_parameters(self, prefix: str = "") -> Iterator[tuple[str, Value]]:
        for i, w in enumerate(self.w):
            yield f"{prefix}w.{i}", w
        yield f"{prefix}b", self.b

    def __repr__(self) -> str:
        return f"Neuron({self.nin}, activation={self.activation.name!r})"


class Layer(_ToTorch):
    """``nout`` neurons reading the same ``nin`` inputs; calling it returns a list of Values."""

    def __init__(
        self,
        nin: int,
        nout: int,
        activation: ActivationSpec = "relu",
        *,
        seed: int | None = 0,
        rng: random.Random | None = None,
    ) -> None:
        self.nin = _check_count("nin (the number of inputs)", nin)
        self.nout = _check_count("nout (the number of neurons)", nout)
        check_model_size(self.nin, [self.nout], f"Layer({nin}, {nout})")
        self.activation = get_activation(activation)
        r = make_rng(seed, rng)
        self.neurons = [Neuron(nin, self.activation, rng=r) for _ in range(nout)]
        self._relabel("")

    def torch_layers(self) -> list[tuple[list[Neuron], Activation]]:
        return [(self.neurons, self.activation)]

    def _relabel(self, prefix: str) -> None:
        for j, n in enumerate(self.neurons):
            n._relabel(f"{prefix}n{j}.")

    def __call__(self, x: Inputs) -> list[Value]:
        x = _as_inputs(x, self.nin, "this layer")
        return [n._forward(x) for n in self.neurons]

    def named_parameters(self, prefix: str = "") -> Iterator[tuple[str, Value]]:
        for j, n in enumerate(self.neurons):
            yield from n.named_parameters(f"{prefix}neurons.{j}.")

    def __repr__(self) -> str:
        return f"Layer({self.nin}, {self.nout}, activation={self.activation.name!r})"


class MLP(_ToTorch):
    """A multi-layer perceptron: ``MLP(2, [4, 1])`` is 2 inputs, 4 hidden neurons, 1 output.

    Hidden layers use ``activation``, the last layer ``output_activation`` (by name: 'relu',
    'tanh', 'sigmoid', 'linear', 'step'; or any function of a Value). Calling the MLP on
    one sample returns a Value when the last layer has one neuron, else a list of Values.
    Initialisation is reproducible: ``seed`` (default 0) or a ``random.Random`` as ``rng``.

    One step of gradient descent by hand (``tracegrad.nn.fit`` runs this loop over a dataset):

    >>> from tracegrad.nn import MLP, SGD, mse
    >>> net = MLP(2, [4, 1], activation="tanh", seed=0)
    >>> opt = SGD(net.parameters(), lr=0.1)
    >>> loss = mse(net([1.0, -2.0]), 1.0)   # forward pass and loss: a Value with a graph
    >>> net.zero_grad(); loss.backward()    # d(loss)/d(parameter) into every .grad
    >>> opt.step()                          # w <- w - lr * w.grad
    >>> round(loss.data, 4), round(mse(net([1.0, -2.0]), 1.0).data, 4)
    (0.2962, 0.0028)

    Inside: ``net.layers[i].neurons[j].w`` (one weight Value per input) and ``.b``, labelled
    like ``L0.n1.w0`` so graphs and ``tracegrad.autograd.explain`` read well; ``named_parameters()``
    gives dotted names. ``weights()`` / ``set_weights(W)`` read and write every number as
    nested lists (a homework's network in one call), ``predict(X)`` evaluates many samples on
    plain numbers, and ``tracegrad.nn.save`` / ``tracegrad.nn.load`` keep the weights in a JSON
    file.
    """

    def __init__(
        self,
        nin: int,
        sizes: Sequence[int],
        activation: ActivationSpec = "relu",
        output_activation: ActivationSpec = "linear",
        *,
        seed: int | None = 0,
        rng: random.Random | None = None,
    ) -> None:
        self.nin = _check_count("nin (the number of inputs)", nin)
        if isinstance(sizes, int) or not isinstance(sizes, Sequence) or len(sizes) == 0:
            raise ValueError(
                f"sizes must be a non-empty list of layer sizes such as [4, 1], got {sizes!r}"
            )
        self.sizes = [_check_count(f"layer size sizes[{i}]", n) for i, n in enumerate(sizes)]
        check_model_size(self.nin, self.sizes)
        hidden = get_activation(activation)
        last = get_activation(output_activation)
        r = make_rng(seed, rng)
        dims = [nin, *self.sizes]
        self.layers = [
            Layer(dims[i], dims[i + 1], last if i == len(self.sizes) - 1 else hidden, rng=r)
            for i in range(len(self.sizes))
        ]
        for i, layer in enumerate(self.layers):
            layer._relabel(f"L{i}.")

    def torch_layers(self) -> list[tuple[list[Neuron], Activation]]:
        return [(layer.neurons, layer.activation) for layer in self.layers]

    @property
    def nout(self) -> int:
        return self.sizes[-1]

    @classmethod
    def from_torch(cls, module: Any) -> MLP:
        """An MLP with the weights of a ``torch.nn.Sequential`` of Linear layers (with bias)
        and activations ReLU, Tanh, Sigmoid (or none); anything else is refused clearly."""
        read = read_torch_mlp(module)
        net = cls(read.nin, read.sizes, read.hidden, read.output)
        net.set_weights(read.weights)
        return net

    def __call__(self, x: Inputs) -> Value | list[Value]:
        """The output for one sample x (nin numbers or Values), as Values with their graph."""
        out: list[Any] = _as_inputs(x, self.nin, "this MLP")
        for layer in self.layers:
            out = [n._forward(out) for n in layer.neurons]
        return out[0] if len(out) == 1 else out

    def named_parameters(self, prefix: str = "") -> Iterator[tuple[str, Value]]:
        for i, layer in enumerate(self.layers):
            yield from layer.named_parameters(f"{prefix}layers.{i}.")

    # ------------------------------------------------------------ plain numbers
    def predict(self, X: Any, params: np.ndarray | None = None) -> np.ndarray:
        """Outputs for many samples at once on plain numbers (no graph): shape (n, nout),
        or (n,) when the last layer has one neuron. For plots and accuracy, not training.
        ``params``: the parameters' numbers in ``parameters()`` order to use instead of the
        Values' (``fit(compiled=True)`` holds them in an array while training)."""
        import numpy as np  # arrays only: the Value-based network needs no numpy

        A = np.asarray(X, dtype=float)
        if A.ndim == 1:
            A = A.reshape(1, -1)
        if A.ndim != 2 or A.shape[1] != self.nin:
            raise ValueError(
                f"predict takes an array of shape (n, {self.nin}), got shape {A.shape}"
            )
        count = sum(layer.nout * (layer.nin + 1) for layer in self.layers)
        if params is not None and np.shape(params) != (count,):
            raise ValueError(f"predict: params must have shape ({count},), got {np.shape(params)}")
        at = 0
        for layer in self.layers:
            if params is None:
                W = np.array([[w.data for w in n.w] for n in layer.neurons])
                b = np.array([n.b.data for n in layer.neurons])
            else:
                size = layer.nout * (layer.nin + 1)
                Wb = np.asarray(params[at : at + size], dtype=float).reshape(layer.nout, -1)
                W, b = Wb[:, :-1], Wb[:, -1]
                at += size
            A = layer.activation.numpy(A @ W.T + b)
        return A[:, 0] if A.shape[1] == 1 else A

    def weights(self) -> Weights:
        """Per layer, per neuron: the input weights followed by the bias, as plain floats."""
        return [
            [[w.data for w in n.w] + [n.b.data] for n in layer.neurons] for layer in self.layers
        ]

    def set_weights(self, W: Any) -> None:
        """Set every weight and bias from nested lists shaped like ``weights()``.

        ``W[i][j]`` is layer i, neuron j: its input weights then its bias. The seed
        article's 2-2-2 network is ``[[[0.1, -0.2, 0.01], [0.3, 0.55, -0.02]],
        [[0.37, 0.9, 0.31], [-0.22, -0.12, 0.27]]]``. The shape is checked completely before
        anything changes; the parameter Values keep their identity (optimizers still hold them).
        """
        numbers_ = checked_weights(W, self.weight_shape())
        for layer, rows in zip(self.layers, numbers_):
            for n, vals in zip(layer.neurons, rows):
                for w, v in zip(n.w, vals):
                    w.data = v
                n.b.data = vals[-1]

    def weight_shape(self) -> list[tuple[int, int]]:
        """Per layer: (number of neurons, numbers per neuron = inputs + 1 for the bias)."""
        return [(layer.nout, layer.nin + 1) for layer in self.layers]

    def architecture(self) -> dict[str, Any]:
        """What defines the network's shape and functions (saved next to the weights)."""
        return {
            "nin": self.nin,
            "sizes": list(self.sizes),
            "activations": [layer.activation.name for layer in self.layers],
        }

    def __repr__(self) -> str:
        acts = [layer.activation.name for layer in self.layers]
        hidden = acts[0] if len(acts) > 1 else None
        parts = [str(self.nin), str(self.sizes)]
        if hidden is not None:
            parts.append(f"activation={hidden!r}")
        parts.append(f"output_activation={acts[-1]!r}")
        return f"MLP({', '.join(parts)})  # {self.num_parameters()} parameters"


def checked_weights(W: Any, shape: Sequence[tuple[int, int]]) -> list[list[list[float]]]:
    """``W`` as floats after checking it against ``shape`` (per layer: neurons, numbers per
    neuron), as ``MLP.set_weights`` takes it; ValueError naming the first entry that differs.
    Used before a model is built too, so a file's weights are checked before any allocation."""
    if not isinstance(W, (list, tuple)) or len(W) != len(shape):
        got = f"{len(W)} layers" if isinstance(W, (list, tuple)) else type(W).__name__
        raise ValueError(f"set_weights: expected a list of {len(shape)} layers, got {got}")
    numbers_: list[list[list[float]]] = []
    for i, (layer_w, (nout, per)) in enumerate(zip(W, shape)):
        if not isinstance(layer_w, (list, tuple)) or len(layer_w) != nout:
            got = f"{len(layer_w)}" if isinstance(layer_w, (list, tuple)) else repr(layer_w)
            raise ValueError(
                f"set_weights: layer {i} has {nout} neurons, expected a list of {nout} "
                f"lists, got {got}"
            )
        rows = []
        for j, row in enumerate(layer_w):
            what = f"layer {i} neuron {j}"
            expected = f"{per} numbers ({per - 1} input weights then the bias)"
            if not isinstance(row, (list, tuple)) or len(row) != per:
                got = f"{len(row)} numbers" if isinstance(row, (list, tuple)) else repr(row)
                raise ValueError(f"set_weights: {what} needs {expected}, got {got}")
            vals = []
            for k, v in enumerate(row):
                if isinstance(v, Value):
                    v = v.data
                if isinstance(v, bool) or not isinstance(v, numbers.Real):
                    raise ValueError(f"set_weights: {what} entry {k} must be a number, got {v!r}")
                try:
                    vals.append(float(v))
                except OverflowError:  # an int beyond any float, e.g. 10**400
                    raise ValueError(
                        f"set_weights: {what} entry {k} is too large for a float"
                    ) from None
            rows.append(vals)
        numbers_.append(rows)
    return numbers_


Model = Union[MLP, Layer, Neuron]  # what the PyTorch bridge translates

"""tracegrad's networks: neurons, layers and MLPs made of Values, and training them.

>>> from tracegrad.nn import MLP, SGD, losses
>>> net = MLP(2, [2, 2], activation="sigmoid", output_activation="sigmoid")
>>> net.set_weights([[[0.1, -0.2, 0.01], [0.3, 0.55, -0.02]],
...                  [[0.37, 0.9, 0.31], [-0.22, -0.12, 0.27]]])
>>> E = losses.half_sse(net([0.5, -0.5]), [0.9, 0.1])
>>> E.backward()
>>> SGD(net.parameters(), lr=1.2).step()
>>> round(net.layers[1].neurons[0].w[0].data, 4), round(net.layers[0].neurons[0].w[0].data, 4)
(0.3941, 0.1055)

Every name is imported on first use (PEP 562: ``_LAZY`` says which module defines it), so
that ``import tracegrad`` does not pay for numpy (docs/architecture.md, "Imports on first
use").
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from tracegrad.autograd import lazy_attribute

if TYPE_CHECKING:  # the names of _LAZY, for type checkers
    from tracegrad.nn import data, losses
    from tracegrad.nn.activations import Activation, activation_names, get_activation
    from tracegrad.nn.io import WeightsFileError, load, load_weights, save
    from tracegrad.nn.layers import MLP, Layer, Neuron
    from tracegrad.nn.losses import (
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
    from tracegrad.nn.module import Module
    from tracegrad.nn.optim import SGD, Adam, Momentum, Optimizer, exponential_decay, step_decay
    from tracegrad.nn.to_torch import compare_with_torch, optimizer_to_torch, torch_loss
    from tracegrad.nn.train import BatchResult, History, accuracy, fit, make_eager_step

# name -> the module that defines it (a sub-module: itself), imported when first used
_LAZY: dict[str, str] = {
    "data": "tracegrad.nn.data",
    "losses": "tracegrad.nn.losses",
    "LOSSES": "tracegrad.nn.losses",
    "bce": "tracegrad.nn.losses",
    "bce_with_logits": "tracegrad.nn.losses",
    "cross_entropy": "tracegrad.nn.losses",
    "get_loss": "tracegrad.nn.losses",
    "half_sse": "tracegrad.nn.losses",
    "hinge": "tracegrad.nn.losses",
    "l2": "tracegrad.nn.losses",
    "mse": "tracegrad.nn.losses",
    "Activation": "tracegrad.nn.activations",
    "activation_names": "tracegrad.nn.activations",
    "get_activation": "tracegrad.nn.activations",
    "WeightsFileError": "tracegrad.nn.io",
    "load": "tracegrad.nn.io",
    "load_weights": "tracegrad.nn.io",
    "save": "tracegrad.nn.io",
    "MLP": "tracegrad.nn.layers",
    "Layer": "tracegrad.nn.layers",
    "Neuron": "tracegrad.nn.layers",
    "Module": "tracegrad.nn.module",
    "SGD": "tracegrad.nn.optim",
    "Adam": "tracegrad.nn.optim",
    "Momentum": "tracegrad.nn.optim",
    "Optimizer": "tracegrad.nn.optim",
    "exponential_decay": "tracegrad.nn.optim",
    "step_decay": "tracegrad.nn.optim",
    "compare_with_torch": "tracegrad.nn.to_torch",
    "optimizer_to_torch": "tracegrad.nn.to_torch",
    "torch_loss": "tracegrad.nn.to_torch",
    "BatchResult": "tracegrad.nn.train",
    "History": "tracegrad.nn.train",
    "accuracy": "tracegrad.nn.train",
    "fit": "tracegrad.nn.train",
    "make_eager_step": "tracegrad.nn.train",
}


def __getattr__(name: str) -> object:
    return lazy_attribute(__name__, _LAZY, name)


def __dir__() -> list[str]:
    return sorted({*globals(), *_LAZY})


__all__ = [
    "Module",
    "Neuron",
    "Layer",
    "MLP",
    "Activation",
    "get_activation",
    "activation_names",
    "losses",
    "LOSSES",
    "get_loss",
    "mse",
    "half_sse",
    "bce",
    "bce_with_logits",
    "cross_entropy",
    "hinge",
    "l2",
    "Optimizer",
    "SGD",
    "Momentum",
    "Adam",
    "step_decay",
    "exponential_decay",
    "data",
    "fit",
    "History",
    "BatchResult",
    "make_eager_step",
    "accuracy",
    "save",
    "load",
    "load_weights",
    "WeightsFileError",
    "compare_with_torch",
    "optimizer_to_torch",
    "torch_loss",
]

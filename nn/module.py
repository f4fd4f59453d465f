"""``Module``: anything with trainable parameters (a neuron, a layer, a network)."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from typing import Any

from tracegrad.autograd.value import Value

__all__ = ["Module", "is_array"]


def is_array(x: Any) -> bool:
    """x is a numpy array: asked without importing numpy (nothing is an array before numpy
    is loaded), so the Value-based networks, losses and optimizers never load it."""
    np = sys.modules.get("numpy")
    return np is not None and isinstance(x, np.ndarray)


class Module:
    """Base class: subclasses list their parameters with names in ``named_parameters``.

    Names are dotted paths such as ``layers.0.neurons.1.w.0`` (PyTorch's style), so a
    parameter can be found again in a saved file, a graph or an explanation.
    """

    def named_parameters(self, prefix: str = "") -> Iterator[tuple[str, Value]]:
        """(name, Value) for every trainable parameter, in a fixed order."""
        return iter(())

    def parameters(self) -> list[Value]:
        """Every trainable parameter (the leaves an optimizer updates), in a fixed order."""
        return [p for _, p in self.named_parameters()]

    def zero_grad(self) -> None:
        """Set every parameter's grad to 0 (gradients accumulate across backward passes)."""
        for p in self.parameters():
            p.grad = 0.0

    def num_parameters(self) -> int:
        """How many numbers this module learns."""
        return len(self.parameters())

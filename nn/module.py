"""``Module``: anything with trainable parameters (a neuron, a layer, a network)."""

from __future__ import annotations

from collections.abc import Iterator

from tracegrad.autograd.value import Value

__all__ = ["Module"]


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

"""Activation functions by name: each unary op of the ops table that has a Value method.

``relu``, ``tanh``, ``sigmoid`` and ``step`` (the first article's threshold, whose derivative
is zero everywhere it exists, so nothing is learned through it) come from the table, as does
any unary function added to it later; ``linear`` is the identity. A callable taking and
returning a Value works too. Nothing here knows an individual operation: names are read from
``tracegrad.autograd.ops``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from tracegrad.autograd.ops import Op, methods
from tracegrad.autograd.value import Value, apply

if TYPE_CHECKING:
    import numpy as np

__all__ = ["Activation", "get_activation", "activation_names", "LINEAR"]

LINEAR = "linear"


@dataclass(frozen=True)
class Activation:
    """A neuron's activation: ``act(value)`` on Values, ``act.numpy(array)`` on floats.

    ``name`` is what is saved with the weights; a user callable is named ``callable:<name>``.
    """

    name: str
    op: Op | None = None  # the table entry, None for linear or a user callable
    fn: Callable[[Value], Value] | None = None  # a user callable

    def __call__(self, v: Value) -> Value:
        if self.op is not None:
            return apply(self.op, v)
        if self.fn is not None:
            out = self.fn(v)
            if not isinstance(out, Value):
                raise TypeError(
                    f"activation {self.name} returned {type(out).__name__}, not a Value"
                )
            return out
        return v

    def numpy(self, z: np.ndarray) -> np.ndarray:
        """The same function on an array of plain numbers (used by fast prediction): the
        table's array form where the op is defined everywhere, else element by element (so
        a value outside the domain raises the op's own error)."""
        import numpy as np  # arrays only: the Value-based network needs no numpy

        if self.op is not None:
            if self.op.array is not None and not self.op.domain:
                with np.errstate(all="ignore"):
                    return np.asarray(self.op.array(np, np.asarray(z, dtype=float)), dtype=float)
            return np.vectorize(self.op.forward, otypes=[float])(z)
        if self.fn is not None:
            fn = self.fn
            return np.vectorize(lambda x: fn(Value(float(x))).data, otypes=[float])(z)
        return z


def _table_activations() -> dict[str, Op]:
    return {name: op for name, op in methods().items() if op.arity == 1}


def activation_names() -> list[str]:
    """Every activation name accepted: 'linear' and the table's unary functions."""
    return [LINEAR, *_table_activations()]


def get_activation(spec: str | Callable[[Value], Value] | Activation) -> Activation:
    """The Activation for a name ('relu', 'tanh', 'sigmoid', 'linear', 'step', ...) or callable."""
    if isinstance(spec, Activation):
        return spec
    if isinstance(spec, str):
        if spec in (LINEAR, "identity", "none"):
            return Activation(LINEAR)
        table = _table_activations()
        if spec in table:
            return Activation(spec, op=table[spec])
        raise ValueError(
            f"unknown activation {spec!r}; use one of {', '.join(activation_names())} "
            "or a function from Value to Value"
        )
    if callable(spec):
        name = getattr(spec, "__name__", type(spec).__name__)
        return Activation(f"callable:{name}", fn=spec)
    raise TypeError(f"activation must be a name or a callable, got {type(spec).__name__}: {spec!r}")

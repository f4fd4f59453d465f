"""``ArrayMath``: the ops table's math namespace on numpy arrays (the compiled tape's).

The primitives of ``tracegrad.autograd.ops.Math`` on arrays; the special cases
(``pow_less_one``, ``log_or_nan``) come from ``Math``, written once, so each row's partials
evaluate on a whole batch at once with the same formula as on floats.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from tracegrad.autograd.ops import Math

__all__ = ["ArrayMath"]


class ArrayMath(Math):
    """Math namespace for partials on numpy arrays (``Math``'s primitives, elementwise)."""

    exp = staticmethod(np.exp)
    log = staticmethod(np.log)
    sqrt = staticmethod(np.sqrt)
    sin = staticmethod(np.sin)
    cos = staticmethod(np.cos)
    where = staticmethod(np.where)

    @staticmethod
    def div(x: Any, y: Any) -> Any:
        """x / y with IEEE semantics at y == 0 (±inf, or nan for 0/0), as FloatMath.div."""
        return np.divide(x, y)

    @staticmethod
    def pow(x: Any, y: Any) -> Any:
        return np.power(x, y)

    @staticmethod
    def step(x: Any) -> Any:
        """1.0 where x > 0, 0.0 where x <= 0, NaN for NaN (as FloatMath.step)."""
        return np.heaviside(x, 0.0)

    @staticmethod
    def const(x: Any) -> Any:
        return x

    @staticmethod
    def mul(g: Any, d: Any) -> Any:
        return g * d

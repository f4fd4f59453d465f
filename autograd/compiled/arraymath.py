"""``ArrayMath``: the ops table's math namespace on numpy arrays (the compiled tape's).

The twin of ``tracegrad.autograd.ops.FloatMath``, function for function, so each row's
partials evaluate on a whole batch at once with the same formula as on floats.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

__all__ = ["ArrayMath"]


class ArrayMath:
    """Math namespace for partials on numpy arrays (mirrors
    ``tracegrad.autograd.ops.FloatMath``)."""

    exp = staticmethod(np.exp)
    log = staticmethod(np.log)
    sqrt = staticmethod(np.sqrt)
    sin = staticmethod(np.sin)
    cos = staticmethod(np.cos)

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
    def pow_less_one(a: Any, b: Any, out: Any) -> Any:
        """a ** (b - 1), as out / a where b - 1 rounds (as FloatMath.pow_less_one)."""
        c = b - 1.0
        exact = np.power(a, c)
        rounds = (b - c != 1.0) & (a != 0) & (np.abs(out) > 0) & (np.abs(out) < math.inf)
        if not np.any(rounds):
            return exact
        return np.where(rounds, out / np.where(a != 0, a, 1.0), exact)

    @staticmethod
    def const(x: Any) -> Any:
        return x

    @staticmethod
    def log_or_nan(a: Any) -> Any:
        """log(a) for a > 0, 0 at a == 0, NaN for a < 0 (as FloatMath.log_or_nan)."""
        safe = np.where(a > 0, a, 1.0)
        return np.where(a > 0, np.log(safe), np.where(a == 0, 0.0, math.nan))

"""How numbers are written for people: one rule for repr, graphs, explanations and the checker
(public: `from tracegrad.autograd.formatting import fmt`)."""

from __future__ import annotations

import math


def fmt(x: float, digits: int = 4) -> str:
    """Fixed ``digits`` decimals for ordinary magnitudes, scientific for tiny or huge ones."""
    if x != x:
        return "nan"
    if math.isinf(x):
        return "inf" if x > 0 else "-inf"
    ax = abs(x)
    if ax != 0 and (ax < 10.0**-digits or ax >= 1e6):
        return f"{x:.{digits}e}"
    s = f"{x:.{digits}f}"
    return "0." + "0" * digits if s == "-0." + "0" * digits else s

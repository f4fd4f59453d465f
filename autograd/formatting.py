"""How numbers and formulas are written for people: one rule for repr, graphs, explanations,
tables and the checker (public: ``from tracegrad.autograd.formatting import fmt, tidy``)."""

from __future__ import annotations

import ast
import math

__all__ = ["fmt", "fixed", "tidy"]

# Past this magnitude a number is written in scientific notation, whatever the decimals asked
# for: 1e300 with 4 decimals would otherwise be 305 characters.
WIDE = 1e15


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


def fixed(x: float, decimals: int) -> str:
    """``decimals`` fixed decimals (a student's own precision), scientific past ``WIDE``."""
    if math.isfinite(x) and abs(x) >= WIDE:
        return f"{x:.{decimals}e}"
    return f"{x:.{decimals}f}"


def tidy(text: str) -> str:
    """A formula with minimal parentheses (Python's precedence) when it is a Python expression."""
    if "(" not in text and "**" not in text:
        return text  # nothing to tidy (and most formulas are like this: 'b', '1', 'a + b')
    try:
        return ast.unparse(ast.parse(text, mode="eval"))
    except (SyntaxError, ValueError, RecursionError):
        return text

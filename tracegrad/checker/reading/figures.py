"""How precise a written figure is: what its digits say, read once where the sheet is read.

A student's figure stands for the interval its written digits allow: ``0.0370`` has four
decimals, so it stands for 0.03695 to 0.03705; a whole number claims to be exact. The judging
(``judging/precision.py``) decides what a figure is checked to from these readings.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

__all__ = [
    "written_exponent",
    "written_tolerance",
    "written_decimals",
    "half_unit",
    "significant_figures",
]


def written_exponent(text: str) -> int:
    """The power of ten of the last digit written: '0.0370' -> -4, '1e-3' -> -3."""
    try:
        exp = Decimal(text.replace("_", "")).as_tuple().exponent
    except InvalidOperation:  # pragma: no cover - texts are checked as numbers first
        return 0
    return exp if isinstance(exp, int) else 0


def half_unit(text: str) -> float:
    """Half a unit in the last place written: '0.5399' -> 5e-05, '0.5' -> 0.05, '3' -> 0.5."""
    return 0.5 * 10.0 ** written_exponent(text)


def written_tolerance(text: str) -> float:
    """Half a unit in the last place written: '0.5399' -> 5e-05, '0.5' -> 0.05, '1e-3' -> 5e-04.

    A whole number written without a decimal point claims to be exact: '28' -> 0.
    """
    if text.replace("_", "").lstrip("+-").isdigit():
        return 0.0
    return half_unit(text)


def written_decimals(text: str) -> int:
    """The decimal places a figure is written to: '0.0370' -> 4, '28' -> 0, '1.5e-3' -> 4."""
    return max(0, -written_exponent(text))


def significant_figures(text: str) -> int:
    """Significant figures written: '0.0370' -> 3, '-0.2' -> 1, '1.50e-3' -> 3."""
    mantissa = text.replace("_", "").lstrip("+-").lower().split("e")[0]
    digits = mantissa.replace(".", "").lstrip("0")
    return max(1, len(digits)) if "." in mantissa else max(1, len(digits.rstrip("0")))

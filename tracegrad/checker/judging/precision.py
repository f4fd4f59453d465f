"""How precise a written number is, and what it is checked to.

A student's figure stands for the interval its written digits allow: ``0.0370`` has four
decimals, so it is checked to half a unit in its last place; a whole number claims to be exact.
These rules are shared by the loader (an answer's tolerance) and the marking (truncated,
rounded, too few significant figures).
"""

from __future__ import annotations

import math
from decimal import ROUND_DOWN, ROUND_HALF_EVEN, Decimal, InvalidOperation, localcontext
from typing import TYPE_CHECKING

from tracegrad.autograd.formatting import fixed
from tracegrad.checker.solving.formulas import sig

if TYPE_CHECKING:
    from tracegrad.checker.reading.sheet import Answer

__all__ = [
    "written_exponent",
    "written_tolerance",
    "significant_figures",
    "close",
    "round_to",
    "truncates",
    "is_whole",
    "show_like",
]


def written_exponent(text: str) -> int:
    """The power of ten of the last digit written: '0.0370' -> -4, '1e-3' -> -3."""
    try:
        exp = Decimal(text.replace("_", "")).as_tuple().exponent
    except InvalidOperation:  # pragma: no cover - texts are checked as numbers first
        return 0
    return exp if isinstance(exp, int) else 0


def written_tolerance(text: str) -> float:
    """Half a unit in the last place written: '0.5399' -> 5e-05, '0.5' -> 0.05, '1e-3' -> 5e-04.

    A whole number written without a decimal point claims to be exact: '28' -> 0.
    """
    if text.replace("_", "").lstrip("+-").isdigit():
        return 0.0
    return 0.5 * 10.0 ** written_exponent(text)


def significant_figures(text: str) -> int:
    """Significant figures written: '0.0370' -> 3, '-0.2' -> 1, '1.50e-3' -> 3."""
    mantissa = text.replace("_", "").lstrip("+-").lower().split("e")[0]
    digits = mantissa.replace(".", "").lstrip("0")
    return max(1, len(digits)) if "." in mantissa else max(1, len(digits.rstrip("0")))


def close(student: float, value: float, tolerance: float) -> bool:
    """|student - value| <= tolerance, allowing for binary floating point noise."""
    if not math.isfinite(value):
        return False
    return abs(student - value) <= tolerance * (1 + 1e-9) + 1e-12 * max(1.0, abs(value))


def round_to(value: float, decimals: int, mode: str = ROUND_HALF_EVEN) -> Decimal:
    """value rounded (or cut, with ROUND_DOWN) to ``decimals`` places, as a Decimal (with the
    digits that takes: 1e300 to 4 places has 305)."""
    with localcontext() as ctx:
        ctx.prec = max(ctx.prec, 400 + decimals)
        return Decimal(repr(value)).quantize(Decimal(1).scaleb(-decimals), rounding=mode)


def truncates(answer: Answer, value: float | None) -> bool:
    """The answer is ``value`` cut (not rounded) at the decimals written, to >= 3 digits."""
    d = answer.decimals
    if value is None or d is None or not math.isfinite(value):
        return False
    written = Decimal(answer.text.replace("_", ""))
    if len(written.as_tuple().digits) < 3:
        return False
    return round_to(value, d, ROUND_DOWN) == written and round_to(value, d) != written


def is_whole(a: Answer) -> bool:
    """Written as a whole number (no decimal point, no exponent): it claims to be exact."""
    t = a.text.replace("_", "").lstrip("+-")
    return not a.explicit and t.isdigit()


def show_like(answer: Answer, value: float) -> str:
    """value written to the answer's own precision (one more digit when that hides it)."""
    d = answer.decimals
    if d is None or d == 0 and not answer.explicit:
        return sig(value, 6)
    return fixed(value, d + 1) if d < 12 else repr(value)

"""What a written figure is checked to: close to a number, cut or rounded, shown alike.

How precise a figure is as written (its decimals, its significant figures, the tolerance its
digits set) is read with the sheet (``reading/figures.py``); these are the judging's uses of it:
close to the engine's number, truncated rather than rounded, a whole number, a number shown to
the answer's own precision or to a number of significant figures.
"""

from __future__ import annotations

import math
from decimal import ROUND_DOWN, ROUND_HALF_EVEN, Decimal, localcontext

from tracegrad.autograd.formatting import fixed
from tracegrad.checker.reading.figures import (
    significant_figures,
    written_exponent,
    written_tolerance,
)
from tracegrad.checker.reading.sheet import Answer
from tracegrad.checker.solving.formulas import sig

__all__ = [
    "written_exponent",
    "written_tolerance",
    "significant_figures",
    "close",
    "round_to",
    "truncates",
    "is_whole",
    "show_like",
    "to_sig_figs",
]


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


def to_sig_figs(value: float, n: int) -> str:
    """value written with exactly ``n`` significant figures, zeros kept: 0.0062124, 3 ->
    '0.00621'; 0.39415, 3 -> '0.394'; 0.5, 2 -> '0.50'."""
    if value == 0 or not math.isfinite(value):
        return fixed(value, max(0, n - 1)) if value == 0 else repr(value)
    decimals = n - 1 - math.floor(math.log10(abs(value)))
    rounded = round(value, decimals)
    if rounded and math.floor(math.log10(abs(rounded))) > math.floor(math.log10(abs(value))):
        decimals -= 1  # rounding carried into a new digit: 9.996 to 3 is 10.0
        rounded = round(value, decimals)
    return f"{rounded:.{max(0, decimals)}f}"

"""A template's ranges: a given written as ``{ between = [low, high], digits = d }`` becomes a
``Range``, checked when the template is loaded (finite, wide enough, within the digit limit) and
drawn on the grid of ``digits`` decimals."""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from tracegrad.autograd.limits import LIMITS, count_digits

__all__ = ["MAX_DIGITS", "Range", "expand_shapes", "given_ranges", "is_range"]

_GIVEN_SECTIONS = ("variables", "network", "samples", "training")
_RANGE_KEYS = {"between", "digits"}
MAX_DIGITS = 6


@dataclass(frozen=True)
class Range:
    """One given drawn from ``low``..``high`` on the grid of ``digits`` decimals."""

    path: tuple[str | int, ...]  # where it sits in the sheet: ('network', 'weights', 0, 1, 0)
    name: str  # how a person names it: 'w3', 'x', 'samples[1].x[2]'
    low: int  # in units of 10**-digits
    high: int
    digits: int

    def text(self, pick: int) -> str:
        """The ``pick``-th number of the grid, as written in the sheet ('-1.5', '0.30')."""
        n = self.low + pick % (self.high - self.low + 1)
        sign = "-" if n < 0 else ""
        whole, frac = divmod(abs(n), 10**self.digits)
        return f"{sign}{whole}.{frac:0{self.digits}d}" if self.digits else f"{sign}{whole}"


def is_range(val: Any) -> bool:
    return isinstance(val, dict) and "between" in val


def expand_shapes(t: Any, body: dict[str, Any]) -> None:
    """One range for all of a network's weights, biases or a sample's x or y: the shape
    comes from ``sizes``."""
    net = body.get("network")
    if not isinstance(net, dict):
        return
    sizes = _sizes(net.get("sizes"))
    if sizes is None:
        return  # the loader's own check names the problem
    pairs = list(zip(sizes, sizes[1:]))
    if is_range(net.get("weights")):
        net["weights"] = [
            [[dict(net["weights"]) for _ in range(n_in)] for _ in range(n)] for n_in, n in pairs
        ]
    if is_range(net.get("biases")):
        net["biases"] = [[dict(net["biases"]) for _ in range(n)] for _, n in pairs]
    for s in body.get("samples") or []:
        for key, n in (("x", sizes[0]), ("y", sizes[-1])):
            if isinstance(s, dict) and is_range(s.get(key)):
                s[key] = [dict(s[key]) for _ in range(n)]


def _sizes(sizes: Any) -> list[int] | None:
    ok = isinstance(sizes, list) and len(sizes) >= 2
    if ok and all(isinstance(s, int) and not isinstance(s, bool) and 1 <= s <= 64 for s in sizes):
        return list(sizes)
    return None


def given_ranges(t: Any, val: Any, path: tuple[str | int, ...]) -> Any:
    """``val`` with every range dict replaced by its checked Range (recorded in t.ranges)."""
    if is_range(val):
        if not path or path[0] not in _GIVEN_SECTIONS:
            raise t.error("a range may stand only for a given number", *path)
        r = _range(t, val, path)
        t.ranges.append(r)
        return r
    if isinstance(val, dict):
        return {k: given_ranges(t, v, (*path, k)) for k, v in val.items()}
    if isinstance(val, list):
        return [given_ranges(t, v, (*path, i)) for i, v in enumerate(val)]
    return val


def _range(t: Any, spec: dict[str, Any], path: tuple[str | int, ...]) -> Range:
    name = _given_name(path)
    keyed = [p for p in path if isinstance(p, str)]
    extra = set(spec) - _RANGE_KEYS
    if extra:
        raise t.error(f"given {name}: a range takes between and digits, got "
                      f"{sorted(extra)[0]!r}", *keyed)  # fmt: skip
    between = spec["between"]
    ok = isinstance(between, list) and len(between) == 2
    if not ok or not all(isinstance(b, (int, float)) and not isinstance(b, bool) for b in between):
        raise t.error(f"given {name}: between must be two numbers [low, high]", *keyed)
    digits = spec.get("digits", 2)
    if isinstance(digits, bool) or not isinstance(digits, int) or not 0 <= digits <= MAX_DIGITS:
        raise t.error(f"given {name}: digits must be a whole number from 0 to {MAX_DIGITS}",
                      *keyed)  # fmt: skip
    if not all(math.isfinite(b) for b in between):
        raise t.error(f"given {name}: between must be two finite numbers, got "
                      f"[{between[0]}, {between[1]}]", *keyed)  # fmt: skip
    scale = Decimal(10) ** digits
    low = int((Decimal(str(between[0])) * scale).to_integral_value(rounding="ROUND_CEILING"))
    high = int((Decimal(str(between[1])) * scale).to_integral_value(rounding="ROUND_FLOOR"))
    if high - low < 1:
        raise t.error(f"given {name}: between {between[0]} and {between[1]} leaves fewer than "
                      f"two numbers of {digits} decimals to draw", *keyed)  # fmt: skip
    r = Range(path, name, low, high, digits)
    longest = max(count_digits(r.text(0)), count_digits(r.text(high - low)))
    limit = LIMITS["digits"]
    if longest > limit.value:  # a drawn given the checker would refuse, even in the key
        raise t.error(f"given {name}: between {between[0]} and {between[1]} at {digits} "
                      f"decimals draws numbers of {limit.message(longest)}", *keyed)  # fmt: skip
    return r


def _given_name(path: tuple[str | int, ...]) -> str:
    """The name a person would use for the given at ``path``."""
    if path[:1] == ("variables",) and len(path) == 2:
        return str(path[1])
    return str(path[0]) + "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in path[1:])

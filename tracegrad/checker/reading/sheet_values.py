"""Checking one value of a homework file: a number, a list of plain names; the message helpers.

Each check raises the homework's :class:`HomeworkError` at the line of the key it reads.
"""

from __future__ import annotations

import math
import re
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tracegrad.checker.reading.sheet import Homework

__all__ = ["NAME", "NAME_TEXT", "as_number", "as_names", "listed", "short_repr"]

NAME_TEXT = "^[A-Za-z_][A-Za-z0-9_]*$"  # as JSON Schema writes it (no newline before the end)
NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")


def as_number(hw: Homework, val: Any, what: str, path: tuple[str, ...]) -> float:
    """A finite int or float (not a bool) as a float."""
    if isinstance(val, bool) or not isinstance(val, (int, float)):
        raise hw.error(f"{what} must be a number, got {short_repr(val)}", *path)
    x = float(val)
    if not math.isfinite(x):
        raise hw.error(f"{what} must be a finite number, got {val}", *path)
    return x


def as_names(hw: Homework, val: Any, what: str, path: tuple[str, ...]) -> list[str]:
    """A list of plain names (letters, digits, underscores; not starting with a digit)."""
    if not isinstance(val, list) or not all(isinstance(v, str) for v in val):
        raise hw.error(f"{what} must be a list of names", *path)
    for v in val:
        if not NAME.match(v):
            raise hw.error(f"{what}: {v!r} is not a plain name", *path)
    return list(val)


def listed(names: Any) -> str:
    """Names sorted and joined, for 'expected one of ...' messages."""
    return ", ".join(sorted(names))


def short_repr(val: Any) -> str:
    """A value as the file had it, cut to 40 characters for a one-line message."""
    text = repr(val)
    return text if len(text) <= 40 else text[:37] + "..."

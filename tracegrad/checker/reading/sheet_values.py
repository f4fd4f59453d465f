"""The types of a homework file's values, each with its JSON Schema and the check that reads
it: a number, a whole number in a range, a string, one of a list of names, plain names, nested
lists, an answer; and the message helpers.

Each check raises the homework's :class:`HomeworkError` at the line of the key it reads.
``sheet_schema.py`` declares which key has which type.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from tracegrad.checker.reading.sheet import SheetFile

__all__ = [
    "NAME",
    "NAME_TEXT",
    "NUMBER",
    "NUMBER_TEXT",
    "STEP_TABLE",
    "KeyPath",
    "Type",
    "Number",
    "Whole",
    "Text",
    "Choice",
    "Names",
    "Nested",
    "Free",
    "RawAnswer",
    "AnswerValue",
    "Answers",
    "as_number",
    "as_names",
    "listed",
    "short_repr",
]

KeyPath = tuple[str, ...]

NAME_TEXT = "^[A-Za-z_][A-Za-z0-9_]*$"  # as JSON Schema writes it (no newline before the end)
NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")


def as_number(hw: SheetFile, val: Any, what: str, path: tuple[str, ...]) -> float:
    """A finite int or float (not a bool) as a float."""
    if isinstance(val, bool) or not isinstance(val, (int, float)):
        raise hw.error(f"{what} must be a number, got {short_repr(val)}", *path)
    x = float(val)
    if not math.isfinite(x):
        raise hw.error(f"{what} must be a finite number, got {val}", *path)
    return x


def as_names(hw: SheetFile, val: Any, what: str, path: tuple[str, ...]) -> list[str]:
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


# A number written as text ("0.0370"): ASCII digits only, as TOML writes them
_DIGITS = r"[+-]?(?:[0-9][0-9_]*)(?:\.[0-9][0-9_]*)?(?:[eE][+-]?[0-9][0-9_]*)?"
NUMBER_TEXT = r"^\s*" + _DIGITS + r"\s*$"  # JSON Schema's: the loader strips the spaces
NUMBER = re.compile(_DIGITS + r"\Z")
STEP_TABLE = r"^step_?[0-9]+$"


class Type(Protocol):
    """A value's type: its JSON Schema, and the check that reads it (or raises one line)."""

    def json(self) -> dict[str, Any]: ...

    def read(self, hw: SheetFile, val: Any, what: str, path: KeyPath) -> Any: ...


# ---------------------------------------------------------------- value types
@dataclass(frozen=True)
class Number:
    """A finite int or float (not a bool); ``positive``: > 0."""

    positive: bool = False

    def json(self) -> dict[str, Any]:
        return {"$ref": "#/definitions/" + ("positive" if self.positive else "number")}

    def read(self, hw: SheetFile, val: Any, what: str, path: KeyPath) -> float:
        x = as_number(hw, val, what, path)
        if self.positive and x <= 0:
            raise hw.error(f"{what} must be > 0, got {val}", *path)
        return x


@dataclass(frozen=True)
class Whole:
    """A whole number from ``low`` to ``high`` (no upper bound when None)."""

    low: int
    high: int | None = None

    def json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"type": "integer", "minimum": self.low}
        if self.high is not None:
            out["maximum"] = self.high
        return out

    def read(self, hw: SheetFile, val: Any, what: str, path: KeyPath) -> int:
        ok = isinstance(val, int) and not isinstance(val, bool) and self.low <= val
        if not ok or (self.high is not None and val > self.high):
            span = f"from {self.low} to {self.high}" if self.high else f"of at least {self.low}"
            raise hw.error(f"{what} must be a whole number {span}, got {short_repr(val)}", *path)
        return int(val)


@dataclass(frozen=True)
class Text:
    """A string; ``example`` shows one in the message."""

    example: str = ""
    min_length: int = 0

    def json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"type": "string"}
        if self.min_length:
            out["minLength"] = self.min_length
        return out

    def read(self, hw: SheetFile, val: Any, what: str, path: KeyPath) -> str:
        if not isinstance(val, str):
            such = f" such as {self.example}" if self.example else ""
            raise hw.error(f"{what} must be a string{such}", *path)
        return val


@dataclass(frozen=True)
class Choice:
    """One of a set of names: ``options()`` maps each accepted name (aliases too) to its
    canonical one; ``shown()`` lists them for the message. Called on use, so a registry's
    later entries count."""

    options: Callable[[], Mapping[str, str]]
    shown: Callable[[], str]

    def json(self) -> dict[str, Any]:
        return {"type": "string", "enum": sorted(self.options())}

    def read(self, hw: SheetFile, val: Any, what: str, path: KeyPath) -> str:
        options = self.options()
        if not isinstance(val, str) or val not in options:
            raise hw.error(f"{what} must be one of {self.shown()}, got {short_repr(val)}", *path)
        return options[val]


@dataclass(frozen=True)
class Names:
    """A list of plain names (letters, digits, underscores; not starting with a digit)."""

    def json(self) -> dict[str, Any]:
        return {"type": "array", "items": {"$ref": "#/definitions/name"}}

    def read(self, hw: SheetFile, val: Any, what: str, path: KeyPath) -> list[str]:
        return as_names(hw, val, what, path)


@dataclass(frozen=True)
class Nested:
    """Lists nested ``depth`` deep around ``item`` values (``shape`` says how, for people)."""

    item: Type
    depth: int
    shape: str
    min_items: int = 0

    def json(self) -> dict[str, Any]:
        out = self.item.json()
        for level in range(self.depth):
            out = {"type": "array", "items": out}
            if level == self.depth - 1 and self.min_items:
                out["minItems"] = self.min_items
        return out

    def read(self, hw: SheetFile, val: Any, what: str, path: KeyPath) -> list[Any]:
        if not isinstance(val, list) or len(val) < self.min_items:
            raise hw.error(f"{what} must be {self.shape}; got {short_repr(val)}", *path)
        return self._read(hw, val, self.depth, what, path)

    def _read(self, hw: SheetFile, val: Any, depth: int, what: str, path: KeyPath) -> Any:
        if depth == 0:
            return self.item.read(hw, val, f"{what} entry", path)
        if not isinstance(val, list):
            raise hw.error(f"{what} must be {self.shape}; got {short_repr(val)} inside", *path)
        return [self._read(hw, v, depth - 1, what, path) for v in val]


@dataclass(frozen=True)
class Free:
    """A table whose content this loader does not read (``[variant]``, written by assign)."""

    def json(self) -> dict[str, Any]:
        return {"type": "object"}

    def read(self, hw: SheetFile, val: Any, what: str, path: KeyPath) -> dict[str, Any]:
        if not isinstance(val, dict):
            raise hw.error(f"{what} must be a table", *path)
        return val


@dataclass(frozen=True)
class RawAnswer:
    """One answer as the walk finds it; ``homework.py`` makes it an Answer (its tolerance)."""

    key: str
    step: int
    value: float
    text: str | None  # the number when written as a string ("0.0370"), else None
    given: Any  # the value as parsed (28 stays an int: a whole number claims to be exact)
    tolerance: float | None  # from an inline table, else None
    path: KeyPath


@dataclass(frozen=True)
class AnswerValue:
    """A number, a number written as a string, or { value = ..., tolerance = ... }."""

    def json(self) -> dict[str, Any]:
        return {"$ref": "#/definitions/answer"}

    def read(self, hw: SheetFile, val: Any, key: str, path: KeyPath) -> tuple[Any, ...]:
        tol = None
        if isinstance(val, dict):
            extra = set(val) - {"value", "tolerance"}
            if extra or "value" not in val:
                raise hw.error(
                    f"answer {key!r}: an inline table takes value and tolerance, got "
                    f"{listed(val) or 'nothing'}",
                    *path,
                )
            if "tolerance" in val:
                what = f"tolerance of {key!r}"
                tol = Number(positive=True).read(hw, val["tolerance"], what, path)
            val = val["value"]
        text = None
        if isinstance(val, str):
            text = val.strip()
            if not NUMBER.match(text):
                raise hw.error(f"answer {key!r} must be a number, got {short_repr(val)}", *path)
            value = float(text.replace("_", ""))
        else:
            value = as_number(hw, val, f"answer {key!r}", path)
        if not math.isfinite(value):
            raise hw.error(f"answer {key!r} must be a finite number", *path)
        return value, text, tol


@dataclass(frozen=True)
class Answers:
    """[answers]: name = number, and in a network sheet [answers.stepK] tables for step K."""

    def json(self) -> dict[str, Any]:
        steps = {"type": "object", "additionalProperties": AnswerValue().json()}
        return {
            "type": "object",
            "patternProperties": {STEP_TABLE: {"anyOf": [AnswerValue().json(), steps]}},
            "additionalProperties": AnswerValue().json(),
        }

    def read(self, hw: SheetFile, val: Any, what: str, path: KeyPath) -> list[RawAnswer]:
        if not isinstance(val, dict):
            raise hw.error(f"{what} must be a table of name = number", *path)
        out = []
        for key, v in val.items():
            step = _step_of(key)
            if step is not None and isinstance(v, dict) and "value" not in v:
                if hw.kind != "network":
                    raise hw.error(f"[answers.{key}]: steps exist only in a network homework")
                out += [self._one(hw, k2, v2, step, (*path, key, k2)) for k2, v2 in v.items()]
            else:
                out.append(self._one(hw, key, v, 1, (*path, key)))
        return out

    @staticmethod
    def _one(hw: SheetFile, key: str, val: Any, step: int, path: KeyPath) -> RawAnswer:
        value, text, tol = AnswerValue().read(hw, val, key, path)
        given = val["value"] if isinstance(val, dict) else val
        return RawAnswer(key, step, value, text, given, tol, path)


def _step_of(key: str) -> int | None:
    m = re.fullmatch(r"step_?([0-9]+)", key)
    return int(m.group(1)) if m else None

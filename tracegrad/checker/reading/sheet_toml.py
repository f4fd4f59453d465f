"""Malformed TOML in one line, with the likeliest cause of the common slips.

tomllib says where it stopped ("Expected '=' after a key in a key/value pair"), not why. Three
slips cause most of these in a homework sheet, and the line says which it likely was and how
to write it: a derivative name left unquoted (``df/dy = -2``: ``"df/dy" = -2``), a string
without its closing quote, a decimal comma (``x = 0,5``: ``x = 0.5``).
"""

from __future__ import annotations

import re

from tracegrad.checker.reading.sheet import HomeworkError, located_error

__all__ = ["toml_error", "likely_slip"]

_WHERE = re.compile(r"\s*\(at line (\d+), column (\d+)\)")
_BARE_KEY = re.compile(r"[A-Za-z0-9_.\-\s]*")
_QUOTED = r"\"(?:[^\"\\]|\\.)*\"|'[^']*'"
_KEY_VALUE = re.compile(r"^\s*(" + _QUOTED + r"|[^\s\"'=#\[][^=\"']*?)\s*=\s*(.*)$")
_COMMA_DECIMAL = re.compile(r"^([+-]?\d+),(\d+)\s*(?:#.*)?$")
_SHOWN = 60  # characters of the file's text a hint quotes


def toml_error(path: str, text: str, exc: Exception) -> HomeworkError:
    """The one-line HomeworkError for tomllib's ``exc``: where, what, and the likeliest slip."""
    msg = str(exc)
    m = _WHERE.search(msg)
    line = int(m.group(1)) if m else None
    msg = _WHERE.sub("", msg)
    if m:
        msg += f" (column {m.group(2)})"
    slip, slip_line = likely_slip(text, line)
    if slip:
        msg += f"; likely {slip}"
    return located_error(path, f"malformed TOML: {msg}", line or slip_line)


def likely_slip(text: str, line: int | None) -> tuple[str, int | None]:
    """The likeliest common slip at ``line`` (or, when tomllib reached the end of the file,
    the first line that shows one), and that line; ('', None) when none fits."""
    lines = text.splitlines()
    candidates = [line] if line is not None else range(1, len(lines) + 1)
    for no in candidates:
        if 1 <= no <= len(lines):
            slip = _slip(lines[no - 1])
            if slip:
                return slip, no
    return "", None


def _slip(raw: str) -> str:
    if _open_quote(raw):
        return f"a missing closing quote in {_cut(raw.strip())}: a string ends on its own line"
    m = _KEY_VALUE.match(raw)
    if not m:
        return ""
    key, value = m.group(1), m.group(2).split("#")[0].strip()
    if key[:1] not in "\"'" and not _BARE_KEY.fullmatch(key):
        shown = _cut(key)
        return f'an unquoted name: quote it, "{shown}" = {_cut(value)}'
    comma = _COMMA_DECIMAL.match(value)
    if comma:
        return (
            f"a decimal comma: write the decimal point as a dot, "
            f"{_cut(key)} = {comma.group(1)}.{comma.group(2)}"
        )
    return ""


def _open_quote(raw: str) -> bool:
    """A string opened on this line and not closed on it (comments and escapes allowed for)."""
    quote, i = "", 0
    while i < len(raw):
        ch = raw[i]
        if quote:
            if ch == "\\" and quote == '"':
                i += 1
            elif ch == quote:
                quote = ""
        elif ch in "\"'":
            if raw.startswith(ch * 3, i):
                return False  # a multi-line string: not this slip
            quote = ch
        elif ch == "#":
            break
        i += 1
    return bool(quote)


def _cut(text: str) -> str:
    return text if len(text) <= _SHOWN else text[: _SHOWN - 3] + "..."

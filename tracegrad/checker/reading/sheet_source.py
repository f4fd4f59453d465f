"""The homework file's text as written: the line of every key and the digits of every number.

tomllib keeps neither, but the answers' precision needs the digits and error messages need
the line; this light line scanner runs beside it.
"""

from __future__ import annotations

import re

__all__ = ["scan_source"]

_KEY_PART = r"""(?:"(?:[^"\\]|\\.)*"|'[^']*'|[A-Za-z0-9_\-]+)"""


_HEADER = re.compile(
    r"^\s*(\[\[?)\s*(" + _KEY_PART + r"(?:\s*\.\s*" + _KEY_PART + r")*)\s*\]\]?\s*(?:#.*)?$"
)


_KEYVAL = re.compile(r"^\s*(" + _KEY_PART + r"(?:\s*\.\s*" + _KEY_PART + r")*)\s*=\s*(.*)$")


_LITERAL = re.compile(r"^([+-]?(?:\d[\d_]*)(?:\.\d[\d_]*)?(?:[eE][+-]?\d[\d_]*)?)\s*(?:#.*)?$")


_INLINE_VALUE = re.compile(
    r"\bvalue\s*=\s*([+-]?(?:\d[\d_]*)(?:\.\d[\d_]*)?(?:[eE][+-]?\d[\d_]*)?)"
)


def _split_key(text: str) -> tuple[str, ...]:
    parts = re.findall(_KEY_PART, text)
    return tuple(p[1:-1] if p[:1] in "\"'" else p for p in parts)


def _bracket_balance(text: str) -> int:
    """'[' minus ']' outside strings and comments: > 0 while an array value is still open."""
    depth, quote = 0, ""
    for ch in text:
        if quote:
            if ch == quote:
                quote = ""
        elif ch in "\"'":
            quote = ch
        elif ch == "#":
            break
        elif ch == "[":
            depth += 1
        elif ch == "]":
            depth -= 1
    return depth


def scan_source(source: str) -> tuple[dict[tuple[str, ...], int], dict[tuple[str, ...], str]]:
    """Line number of every key and table, and the literal text of every number value.

    A light line scanner beside tomllib (which keeps neither): enough for the answers'
    precision and for pointing error messages at a line. Keys are full dotted paths.
    """
    lines: dict[tuple[str, ...], int] = {}
    texts: dict[tuple[str, ...], str] = {}
    table: tuple[str, ...] = ()
    arrays: dict[tuple[str, ...], int] = {}
    depth = 0  # open brackets of a multi-line array value
    for no, raw in enumerate(source.splitlines(), start=1):
        if depth > 0:
            depth += _bracket_balance(raw)
            continue
        h = _HEADER.match(raw)
        if h:
            table = _split_key(h.group(2))
            lines.setdefault(table, no)
            if h.group(1) == "[[":  # the keys of [[samples]] number k are samples.k.key
                arrays[table] = arrays.get(table, -1) + 1
                table = (*table, str(arrays[table]))
                lines.setdefault(table, no)
            continue
        m = _KEYVAL.match(raw)
        if not m:
            continue
        path = table + _split_key(m.group(1))
        lines.setdefault(path, no)
        rest = m.group(2).strip()
        depth = max(0, _bracket_balance(rest))
        lit = _LITERAL.match(rest)
        if lit:
            texts.setdefault(path, lit.group(1))
        elif rest.startswith("{"):
            iv = _INLINE_VALUE.search(rest)
            if iv:
                texts.setdefault(path, iv.group(1))
    return lines, texts

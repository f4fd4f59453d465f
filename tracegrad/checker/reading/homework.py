"""Loading a homework file (TOML) into a checked, typed description.

A homework is either an *expression* homework (``[variables]`` and ``[expressions]``) or a
*network* homework (``[network]``, ``[[samples]]``, ``[training]``); both have ``[answers]``.
The numbers a student wrote are kept as the text they wrote (``0.0370`` has four decimals),
because the precision of an answer sets the tolerance it is checked to. Every problem with the
file is a :class:`HomeworkError` whose one-line message names the file's line where possible.

Every section and key is declared once, in ``sheet_schema.py``: the loader reads the parsed
file through that declaration, then makes the checks a schema cannot (this module: the
formulas and the answers; ``sheet_network.py``: the network against its sizes). The types are
in ``sheet.py``, the line scanner in ``sheet_source.py``, the TOML slips' hints in
``sheet_toml.py``, the precision rules in ``precision.py``.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

from tracegrad.autograd.limits import LIMITS, UnreadableFile, count_digits, read_limited
from tracegrad.autograd.parse import ExpressionError, parse_expression
from tracegrad.checker.limits import HomeworkLimitError, check_homework
from tracegrad.checker.reading.figures import written_tolerance
from tracegrad.checker.reading.sheet import (
    Answer,
    ExpressionSpec,
    Homework,
    HomeworkError,
    NetworkSpec,
    SheetFile,
    located_error,
)
from tracegrad.checker.reading.sheet_network import network_spec
from tracegrad.checker.reading.sheet_schema import read_sheet
from tracegrad.checker.reading.sheet_source import scan_source
from tracegrad.checker.reading.sheet_toml import toml_error
from tracegrad.checker.reading.sheet_values import NUMBER, RawAnswer, listed

__all__ = [
    "HomeworkError",
    "Answer",
    "ExpressionSpec",
    "NetworkSpec",
    "Homework",
    "load",
    "located_error",
    "read_homework",
    "toml_refusal",
    "within_limits",
    "written_tolerance",
    "scan_source",
    "tomllib",
]


_NOTE = re.compile(r"^(.*?\S)\s+\((.*)\)\s*$")


# ---------------------------------------------------------------- loading
def load(source: str | Path | Mapping[str, Any], *, answers: bool = True) -> Homework:
    """Read a homework from a TOML file path or an already-parsed dict; raises HomeworkError.

    ``answers=False`` (for ``solve``) accepts a file without ``[answers]``.
    """
    if isinstance(source, Mapping):
        within_limits("<dict>", source, {}, {})
        return _build("<dict>", dict(source), {}, {}, answers)
    path = str(source)
    text = read_homework(path)
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise toml_error(path, text, exc) from None
    except (RecursionError, ValueError) as exc:  # nested too deep; an int of > 4300 digits
        raise toml_refusal(path, text, exc) from None
    lines, texts = scan_source(text)
    within_limits(path, data, texts, lines)
    return _build(path, data, lines, texts, answers)


def _build(
    path: str,
    data: dict[str, Any],
    lines: dict[tuple[str, ...], int],
    texts: dict[tuple[str, ...], str],
    need_answers: bool = True,
) -> Homework:
    """The Homework of a parsed sheet, built once: read through the declaration
    (``sheet_schema``), then the checks a schema cannot make (shapes, names, formulas,
    answers)."""
    where = SheetFile(path, lines)
    if "template" in data:  # tracegrad.kit.template reads these
        raise where.error("a template, not a sheet: make sheets from it with `tracegrad assign`")
    where, sheet = read_sheet(where, data)
    spec = network_spec(where, sheet) if where.kind == "network" else _expressions(where, sheet)
    answers = []
    if sheet["answers"] is not None:
        answers = [_answer(where, raw, texts, sheet["tolerance"]) for raw in sheet["answers"]]
        if not answers and need_answers:
            raise where.error("[answers] is empty: nothing to check", "answers")
    elif need_answers:
        raise where.error("missing [answers]: the numbers to check")
    return Homework(
        path,
        sheet["title"] or "",
        where.kind,
        spec,
        answers,
        lines,
        min_sig_figs=sheet["min_sig_figs"],
        min_decimals=sheet["min_decimals"],
    )


def _answer(
    hw: SheetFile,
    raw: RawAnswer,
    texts: Mapping[tuple[str, ...], str],
    default_tol: float | None,
) -> Answer:
    """An answer with its note, its digits as written and the tolerance they set."""
    m = _NOTE.match(raw.key)
    name, note = (m.group(1).strip(), m.group(2).strip()) if m else (raw.key.strip(), "")
    text = raw.text
    if text is None:
        text = texts.get(raw.path) or repr(raw.given)
        if "inf" in text or "nan" in text or not NUMBER.match(text):
            text = repr(raw.value)
    tol, explicit = raw.tolerance, raw.tolerance is not None
    if tol is None:
        tol, explicit = default_tol, default_tol is not None
    if tol is None:
        tol = written_tolerance(text)
    line = hw.line_of(*raw.path)
    return Answer(raw.key, name, note, raw.step, raw.value, text, tol, explicit, line)


# ---------------------------------------------------------------- the file within its limits
def read_homework(path: str) -> str:
    """The text of a homework file, read within its size limit (HomeworkError otherwise)."""
    try:
        return read_limited(path, LIMITS["homework_bytes"], "homework file")
    except UnreadableFile as exc:
        raise HomeworkError(str(exc)) from None


def within_limits(
    path: str,
    data: Mapping[str, Any],
    texts: Mapping[tuple[str, ...], str],
    lines: Mapping[tuple[str, ...], int],
) -> None:
    """The loader's HomeworkError, naming the line, for the first limit a parsed file breaks."""
    try:
        check_homework(data, texts)
    except HomeworkLimitError as exc:
        raise located_error(path, str(exc), lines.get(exc.key)) from None


def toml_refusal(path: str, text: str, exc: Exception) -> Exception:
    """The HomeworkError for a file the TOML parser gave up on with a RecursionError (arrays
    nested thousands deep) or a ValueError (an integer of more than 4300 digits)."""
    if isinstance(exc, RecursionError):
        nesting = LIMITS["nesting"]
        return located_error(path, f"more than {nesting.message(nesting.value)}")
    longest = min(LIMITS["digits"].value, len(text))  # a huge limit: no longer than the file
    m = re.search(r"\d[\d_]{" + str(longest) + ",}", text)
    if m is None:
        return located_error(path, f"malformed TOML: {exc}")
    line = text.count("\n", 0, m.start()) + 1
    return located_error(path, LIMITS["digits"].message(count_digits(m.group(0))), line)


# ---------------------------------------------------------------- expression homework
def _expressions(hw: SheetFile, sheet: dict[str, Any]) -> ExpressionSpec:
    """The formulas parsed, each using only the variables and the expressions before it."""
    spec = ExpressionSpec(dict(sheet["variables"] or {}), {})
    exprs = sheet["expressions"]
    for name, src in exprs.items():
        where = ("expressions", name)
        if name in spec.variables:
            raise hw.error(f"{name!r} is both a variable and an expression", *where)
        try:
            expr = parse_expression(src)
        except ExpressionError as exc:
            raise hw.error(f"expression {name!r}: {exc}", *where) from None
        for n in expr.names:
            if n == name:
                raise hw.error(f"expression {name!r} uses itself", *where)
            if n not in spec.variables and n not in spec.expressions:
                later = " (expressions may only use earlier ones)" if n in exprs else ""
                known = listed([*spec.variables, *spec.expressions]) or "none"
                raise hw.error(
                    f"expression {name!r} uses unknown name {n!r}{later}; known: {known}", *where
                )
        spec.expressions[name] = expr
    return spec

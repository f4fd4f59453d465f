"""Loading a homework file (TOML) into a checked, typed description.

A homework is either an *expression* homework (``[variables]`` and ``[expressions]``) or a
*network* homework (``[network]``, ``[[samples]]``, ``[training]``); both have ``[answers]``.
The numbers a student wrote are kept as the text they wrote (``0.0370`` has four decimals),
because the precision of an answer sets the tolerance it is checked to. Every problem with the
file is a :class:`HomeworkError` whose one-line message names the file's line where possible.

This module reads the file, the top level, the answers and the expression sections; the types
are in ``sheet.py``, the network sections in ``sheet_network.py``, single values in
``sheet_values.py``, the line scanner in ``sheet_source.py``, the precision rules in
``precision.py``.
"""

from __future__ import annotations

import math
import re
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

from tracegrad.autograd.parse import ExpressionError, parse_expression
from tracegrad.checker.judging.precision import written_tolerance
from tracegrad.checker.limits import read_homework, toml_refusal, within_limits
from tracegrad.checker.reading.sheet import (
    Answer,
    ExpressionSpec,
    Homework,
    HomeworkError,
    NetworkSpec,
    located_error,
)
from tracegrad.checker.reading.sheet_network import network_spec
from tracegrad.checker.reading.sheet_source import scan_source
from tracegrad.checker.reading.sheet_values import NAME, as_number, as_positive, listed, short_repr

__all__ = [
    "HomeworkError",
    "Answer",
    "ExpressionSpec",
    "NetworkSpec",
    "Homework",
    "load",
    "written_tolerance",
    "scan_source",
    "tomllib",
]


_TOP_KEYS = {
    "title",
    "description",
    "tolerance",
    "min_sig_figs",
    "variables",
    "expressions",
    "network",
    "samples",
    "training",
    "answers",
    "variant",  # written by `tracegrad assign` (template, student, find, points); not checked here
}


# ASCII digits only: "０.５" (full-width), Arabic-Indic or bold digits are refused, as "−1" is
_NUMBER = re.compile(r"^[+-]?(?:\d[\d_]*)(?:\.\d[\d_]*)?(?:[eE][+-]?\d[\d_]*)?$", re.ASCII)


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
        msg = str(exc)
        m = re.search(r"\(at line (\d+), column (\d+)\)", msg)
        line = int(m.group(1)) if m else None
        msg = re.sub(r"\s*\(at line \d+, column \d+\)", "", msg)
        if m:
            msg += f" (column {m.group(2)})"
        raise located_error(path, f"malformed TOML: {msg}", line) from None
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
    hw = Homework(path=path, title="", kind="", spec=ExpressionSpec({}, {}), lines=lines)
    _not_a_template(hw, data)
    for key in data:
        if key not in _TOP_KEYS:
            raise hw.error(f"unknown field {key!r}; expected one of {listed(_TOP_KEYS)}", key)
    title = data.get("title", "")
    if not isinstance(title, str):
        raise hw.error("title must be a string", "title")
    hw.title = title
    has_expr = "expressions" in data or "variables" in data
    has_net = "network" in data
    if has_expr and has_net:
        raise hw.error("a homework is either [expressions] or [network], not both", "network")
    if not has_expr and not has_net:
        raise hw.error("nothing to check: give [variables] and [expressions], or [network]")
    if has_net:
        hw.kind = "network"
        hw.spec = network_spec(hw, data)
    else:
        hw.kind = "expression"
        for key in ("samples", "training"):
            if key in data:
                raise hw.error(f"[{key}] belongs to a network homework, not an expression one", key)
        hw.spec = _expressions(hw, data)
    default_tol = data.get("tolerance")
    if default_tol is not None:
        default_tol = as_positive(hw, default_tol, "tolerance", ("tolerance",))
    hw.min_sig_figs = _min_sig_figs(hw, data.get("min_sig_figs"))
    if "answers" not in data:
        if not need_answers:
            return hw
        raise hw.error("missing [answers]: the numbers to check")
    answers = data["answers"]
    if not isinstance(answers, dict):
        raise hw.error("answers must be a table of name = number", "answers")
    for key, val in answers.items():
        step = _step_table(key)
        if step is not None and isinstance(val, dict) and "value" not in val:
            if hw.kind != "network":
                raise hw.error(f"[answers.{key}]: steps exist only in a network homework")
            for k2, v2 in val.items():
                hw.answers.append(
                    _answer(hw, k2, v2, step, ("answers", key, k2), texts, default_tol)
                )
        else:
            hw.answers.append(_answer(hw, key, val, 1, ("answers", key), texts, default_tol))
    if not hw.answers and need_answers:
        raise hw.error("[answers] is empty: nothing to check", "answers")
    return hw


def _not_a_template(hw: Homework, data: dict[str, Any]) -> None:
    if "template" in data:  # tracegrad.kit.template reads these
        raise hw.error("a template, not a sheet: make sheets from it with `tracegrad assign`")


def _min_sig_figs(hw: Homework, val: Any) -> int | None:
    if val is None:
        return None
    if isinstance(val, bool) or not isinstance(val, int) or not 1 <= val <= 15:
        raise hw.error(
            f"min_sig_figs must be a whole number from 1 to 15, got {short_repr(val)}",
            "min_sig_figs",
        )
    return val


def _step_table(key: str) -> int | None:
    m = re.fullmatch(r"step_?(\d+)", key)
    return int(m.group(1)) if m else None


def _answer(
    hw: Homework,
    key: str,
    val: Any,
    step: int,
    path: tuple[str, ...],
    texts: Mapping[tuple[str, ...], str],
    default_tol: float | None,
) -> Answer:
    m = _NOTE.match(key)
    name, note = (m.group(1).strip(), m.group(2).strip()) if m else (key.strip(), "")
    tol: float | None = default_tol
    explicit = default_tol is not None
    if isinstance(val, dict):
        extra = set(val) - {"value", "tolerance"}
        if extra or "value" not in val:
            raise hw.error(
                f"answer {key!r}: an inline table takes value and tolerance, got "
                f"{listed(val) or 'nothing'}",
                *path,
            )
        if "tolerance" in val:
            tol, explicit = as_positive(hw, val["tolerance"], f"tolerance of {key!r}", path), True
        val = val["value"]
    if isinstance(val, str):
        text = val.strip()
        if not _NUMBER.match(text):
            raise hw.error(f"answer {key!r} must be a number, got {short_repr(val)}", *path)
        value = float(text.replace("_", ""))
    else:
        value = as_number(hw, val, f"answer {key!r}", path)
        text = texts.get(path) or repr(val)
        if "inf" in text or "nan" in text or not _NUMBER.match(text):
            text = repr(value)
    if not math.isfinite(value):
        raise hw.error(f"answer {key!r} must be a finite number", *path)
    if tol is None:
        tol = written_tolerance(text)
    return Answer(key, name, note, step, value, text, tol, explicit, hw.line_of(*path))


# ---------------------------------------------------------------- expression homework
def _expressions(hw: Homework, data: dict[str, Any]) -> ExpressionSpec:
    variables = data.get("variables", {})
    if not isinstance(variables, dict):
        raise hw.error("variables must be a table of name = number", "variables")
    spec = ExpressionSpec({}, {})
    for name, val in variables.items():
        if not NAME.match(name):
            raise hw.error(f"variable name {name!r} is not a plain name", "variables", name)
        spec.variables[name] = as_number(hw, val, f"variable {name!r}", ("variables", name))
    exprs = data.get("expressions")
    if not isinstance(exprs, dict) or not exprs:
        raise hw.error('missing [expressions]: at least one name = "formula"', "expressions")
    for name, src in exprs.items():
        where = ("expressions", name)
        if not NAME.match(name):
            raise hw.error(f"expression name {name!r} is not a plain name", *where)
        if name in spec.variables:
            raise hw.error(f"{name!r} is both a variable and an expression", *where)
        if not isinstance(src, str):
            raise hw.error(f'expression {name!r} must be a string such as "x * y"', *where)
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

"""The sheet declaration (``sheet_schema.py``) published as JSON Schema, for editors.

``tracegrad schema`` prints it; ``examples/homework.schema.json`` ships it (a test keeps the
file equal to what the declaration makes). A sheet names it in its first line,
``#:schema ./homework.schema.json``, and taplo or the Even Better TOML extension check the
sheet as it is written. What the schema cannot say (shapes against sizes, names used once,
an expression's grammar) only the loader checks.
"""

from __future__ import annotations

import json
from typing import Any

from tracegrad.checker.reading.sheet_schema import (
    KINDS,
    SHEET,
    a_or_an,
    loss_names,
    target_ranges,
)
from tracegrad.checker.reading.sheet_values import NAME_TEXT, NUMBER_TEXT, STEP_TABLE

__all__ = ["SCHEMA_FILE", "json_schema", "schema_text"]

SCHEMA_FILE = "homework.schema.json"
_FINITE = 1.7976931348623157e308  # the largest float: inf is beyond it


def _definitions() -> dict[str, Any]:
    number = {"$ref": "#/definitions/number"}
    written = {"type": "string", "pattern": NUMBER_TEXT, "description": "a number as text"}
    return {
        "number": {"type": "number", "minimum": -_FINITE, "maximum": _FINITE},
        "positive": {"allOf": [number], "exclusiveMinimum": 0},
        "name": {"type": "string", "pattern": NAME_TEXT},
        "answer": {
            "anyOf": [
                number,
                written,
                {
                    "type": "object",
                    "properties": {
                        "value": {"anyOf": [number, written]},
                        "tolerance": {"$ref": "#/definitions/positive"},
                    },
                    "required": ["value"],
                    "additionalProperties": False,
                },
            ]
        },
    }


def _kind(name: str) -> dict[str, Any]:
    """One sheet kind: its required sections, the other kind's sections refused."""
    kind = next(k for k in KINDS if k.name == name)
    others = [k.name for k in SHEET.keys if k.kind and k.kind != name]
    out: dict[str, Any] = {
        "title": f"{a_or_an(name)} sheet",
        "required": kind.required,
        "not": {"anyOf": [{"required": [k]} for k in others]},
    }
    if name != "network":  # [answers.stepK] tables belong to a network's training
        step_table = {"type": "object", "not": {"required": ["value"]}}
        answers = {"patternProperties": {STEP_TABLE: {"not": step_table}}}
        out["properties"] = {"answers": answers}
    return out


def _target_rules() -> list[dict[str, Any]]:
    """Each accepted loss with bounded targets (bce, cross-entropy): with that loss, every
    sample's y within its range (cross-entropy's sum of 1 is beyond JSON Schema: the loader
    checks it)."""
    out = []
    names = loss_names()
    for loss, (low, high) in target_ranges().items():
        spelled = sorted(n for n, canonical in names.items() if canonical == loss)
        training = {"properties": {"loss": {"enum": spelled}}, "required": ["loss"]}
        y = {"properties": {"y": {"items": {"minimum": low, "maximum": high}}}}
        out.append({
            "if": {"properties": {"training": training}, "required": ["training"]},
            "then": {"properties": {"samples": {"items": y}}},
            "description": f"{loss}: each target from {low:g} to {high:g}",
        })  # fmt: skip
    return out


def json_schema() -> dict[str, Any]:
    """The JSON Schema (draft-07) of a homework sheet, made from the declaration."""
    schema: dict[str, Any] = {
        "$schema": "http://json-schema.org/draft-07/schema#",
        "title": "tracegrad homework sheet",
    }
    schema.update(SHEET.json())
    schema["oneOf"] = [_kind(k.name) for k in KINDS]
    rules = _target_rules()
    if rules:
        schema["allOf"] = rules
    schema["definitions"] = _definitions()
    return schema


def schema_text() -> str:
    """The schema as the shipped file has it: indented JSON ending in a newline."""
    return json.dumps(json_schema(), indent=2, ensure_ascii=False) + "\n"

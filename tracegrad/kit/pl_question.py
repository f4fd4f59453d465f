"""What a PrairieLearn question's ``server.py`` runs (written by ``tracegrad export
prairielearn``): ``generate(data, template)`` and ``grade(data, template)``.

- ``generate`` draws the variant from the template and ``data["variant_seed"]`` (the seed
  PrairieLearn gives each variant), and sets ``data["params"]`` (the problem in words, the
  givens) and ``data["correct_answers"]`` (the engine's answers, keyed by their fields).
- ``grade`` draws the same variant again, reads the digits the student typed
  (``raw_submitted_answers``; the parsed number where there is none), marks them with
  tracegrad's checker, and sets ``data["partial_scores"][field]`` to the answer's share of
  its points, its points as ``weight`` and the checker's reason as ``feedback``: an answer
  carried forward from the student's own earlier slip earns its credit. ``data["score"]`` is
  the share of all points.

An answer's field (its ``answers-name``) is its name by one rule (``answer_field``):
``df/dq`` -> ``df_dq``. It imports the template and the checker, not the drawing or the export
code (what the checker itself imports is the checker's business).
"""

from __future__ import annotations

import functools
import hashlib
import re
from typing import Any

from tracegrad.autograd.limits import LIMITS
from tracegrad.checker import HomeworkError, check
from tracegrad.checker.reading.sheet_values import NUMBER
from tracegrad.kit.grade import _tests
from tracegrad.kit.template import Template, Variant, _plain, givens, load_template, statement

__all__ = ["answer_field", "answer_fields", "variant_for", "generate", "grade"]

_NOT_FIELD = re.compile(r"[^A-Za-z0-9_]")
_MAX_TYPED = 64  # characters of one typed answer that are read


def answer_field(name: str) -> str:
    """The field of an answer: every character that is not an ASCII letter, digit or
    underscore becomes ``_``, and ``a_`` goes in front when the first is not a letter:
    ``df/dq`` -> ``df_dq``, ``dE/dw5`` -> ``dE_dw5``, ``w5_new`` stays."""
    field = _NOT_FIELD.sub("_", name)
    return field if field[:1].isascii() and field[:1].isalpha() else f"a_{field}"


def answer_fields(names: list[str]) -> dict[str, str]:
    """answer name -> field; ValueError (one line) when two answers would share a field."""
    fields: dict[str, str] = {}
    for name in names:
        field = answer_field(name)
        other = next((n for n, f in fields.items() if f == field), None)
        if other is not None:
            raise ValueError(f"answers {other!r} and {name!r} would both be the field "
                             f"{field!r}: rename one in [template] find")  # fmt: skip
        fields[name] = field
    return fields


@functools.lru_cache(maxsize=4)
def _template(path: str) -> Template:
    return load_template(path)


def variant_for(template: Template, variant_seed: object) -> Variant:
    """The variant PrairieLearn's ``variant_seed`` stands for: the same seed, the same one."""
    seed = hashlib.sha256(f"prairielearn\x00{variant_seed}".encode()).digest()
    return template.variant(seed)


def generate(data: dict[str, Any], template_path: str) -> None:
    """Set ``data["params"]`` and ``data["correct_answers"]`` for ``data["variant_seed"]``."""
    t = _template(template_path)
    v = variant_for(t, data["variant_seed"])
    data["params"]["statement"] = statement(v)
    data["params"]["givens"] = [{"name": n, "value": x} for n, x in givens(v)]
    fields = answer_fields(t.find)
    for name in t.find:
        data["correct_answers"][fields[name]] = float(v.answers[name])


def _typed(data: dict[str, Any], field: str) -> str | None:
    """The answer as typed (its digits), else as parsed; None when not answered."""
    raw = (data.get("raw_submitted_answers") or {}).get(field)
    if raw is None:
        raw = (data.get("submitted_answers") or {}).get(field)
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None
    if isinstance(raw, bool) or not isinstance(raw, (str, int, float)):
        return ""
    text = str(raw).strip()
    return text if len(text) <= _MAX_TYPED else text[:_MAX_TYPED] + "..."


def grade(data: dict[str, Any], template_path: str) -> None:
    """Mark the submitted answers: ``partial_scores`` per field and ``score`` (see above)."""
    t = _template(template_path)
    v = variant_for(t, data["variant_seed"])
    fields = answer_fields(t.find)
    answers: dict[str, str] = {}
    unreadable: dict[str, str] = {}
    for name in t.find:
        typed = _typed(data, fields[name])
        if typed is None:
            continue
        if not NUMBER.match(typed):
            unreadable[name] = f"{typed!r} is not a number"
        elif sum(c.isdigit() for c in typed) > LIMITS["digits"].value:
            unreadable[name] = f"more than {LIMITS['digits'].value} digits"
        else:
            answers[name] = typed
    try:
        marks = check({**_plain(v.data), "answers": answers}).marks if answers else []
    except HomeworkError as exc:  # cannot happen for a variant; said rather than raised
        marks, unreadable = [], {n: str(exc) for n in t.find}
    points = {"default": t.points_of("default"), **t.points}
    tests = _tests(marks, t.find, points, points["default"], t.imprecise)
    total = got = 0.0
    for name, test in zip(t.find, tests):
        worth = test["max_score"]
        feedback = unreadable.get(name, test["output"])
        share = test["score"] / worth if worth else 1.0
        data["partial_scores"][fields[name]] = {
            "score": share, "weight": worth, "feedback": feedback}  # fmt: skip
        total, got = total + worth, got + test["score"]
    data["score"] = got / total if total else 1.0

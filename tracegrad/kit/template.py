"""A homework template: an ordinary sheet whose givens are ranges, and the variants it draws.

A template is a sheet of one of the usual kinds (``[variables]`` and ``[expressions]``, or
``[network]``, ``[[samples]]`` and ``[training]``) in which any given number may be a range,
``x = { between = [-3, 3], digits = 1 }``, plus a ``[template]`` table naming the quantities to
find (``find``), the decimals they are written with (``digits``), the share of the points a
"too imprecise" answer earns (``imprecise``) and an optional ``[points]`` table. A network's
``weights``, ``biases`` and a sample's ``x`` and ``y`` may each be one range for every number.

A variant is drawn deterministically from a seed (``variant_seed``: HMAC-SHA256 of the course
secret over the template's content hash and the student's ID) and is an ordinary sheet: the
normal loader and solver handle it. Every variant is checked (``Template.variant``): the
problem must be workable (no log of a negative, no division by zero) and no answer may round
to zero at the digits asked (a saturated sigmoid or tanh); a variant that fails is redrawn, a
bounded number of times. ``load_template`` probes the template the same way before any
student's variant is drawn and refuses, naming the given and why, one it cannot guarantee.
"""

from __future__ import annotations

import copy
import hashlib
import hmac
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tracegrad.autograd.limits import LIMITS, LimitError
from tracegrad.checker import solve
from tracegrad.checker.reading.figures import significant_figures
from tracegrad.checker.reading.homework import (
    HomeworkError,
    load,
    located_error,
    read_homework,
    scan_source,
    toml_refusal,
    tomllib,
)
from tracegrad.checker.reading.sheet_toml import toml_error
from tracegrad.kit.ranges import MAX_DIGITS, Range, expand_shapes, given_ranges

__all__ = [
    "TemplateError",
    "Range",
    "Template",
    "Variant",
    "load_template",
    "variant_seed",
    "PROBES",
    "givens",
    "statement",
]

PROBES = 24  # draws tried when a template is loaded (the load-time guarantee)
_TEMPLATE_KEYS = {"find", "digits", "imprecise", "redraws"}


class TemplateError(HomeworkError):
    """A template that cannot make sheets; the message is one line (``file:line: what``)."""


class Num(str):
    """A number already written as text (a drawn given, a key's answer): emitted bare."""


@dataclass
class Variant:
    """One drawn sheet: its data (numbers as ``Num`` text) and the engine's answers."""

    data: dict[str, Any]
    draw: int
    answers: dict[str, Num]


@dataclass
class Template:
    """A loaded template (see the module docstring)."""

    path: str
    name: str
    sha256: str
    title: str
    data: dict[str, Any]  # the sheet with every range replaced by its Range
    ranges: list[Range]
    find: list[str]
    digits: int = 4
    imprecise: float = 0.0
    redraws: int = 20
    points: dict[str, float] = field(default_factory=dict)  # 'default' and per answer
    lines: dict[tuple[str, ...], int] = field(default_factory=dict)
    solve_size: int = 1  # the quantities of one solve: a unit of the probe's work

    @property
    def kind(self) -> str:
        return "network" if "network" in self.data else "expression"

    def error(self, message: str, *path: str | int) -> TemplateError:
        line = self.lines.get(tuple(str(p) for p in path))
        return TemplateError(str(located_error(self.path, message, line)))

    @property
    def precision(self) -> str:
        """What each answer is asked to be written to, as the question says it: the precision
        the template declares (``min_decimals``, ``min_sig_figs``: enforced when checked),
        else the decimals the key is written with."""
        asked = [
            f"at least {self.data[key]} {what}"
            for key, what in (("min_decimals", "decimals"), ("min_sig_figs", "significant figures"))
            if isinstance(self.data.get(key), int)
        ]
        if not asked:
            return f"{self.digits} decimals"
        return " and ".join(asked) + " (fewer is marked too imprecise)"

    def points_of(self, name: str) -> float:
        return float(self.points.get(name, self.points.get("default", 1.0)))

    def max_score(self) -> float:
        return sum(self.points_of(n) for n in self.find)

    # ------------------------------------------------------------ drawing
    def draw(self, seed: bytes, attempt: int) -> dict[str, Any]:
        """The sheet of draw ``attempt`` under ``seed``: every Range replaced by a number."""
        picks = {
            r.path: _pick(seed, attempt, i, r.high - r.low + 1) for i, r in enumerate(self.ranges)
        }
        return _fill(self.data, (), picks, {r.path: r for r in self.ranges})

    def variant(self, seed: bytes) -> Variant:
        """The first well-posed draw under ``seed``; TemplateError naming the given and why
        when ``redraws`` draws in a row are not."""
        why = ""
        for attempt in range(self.redraws):
            data = self.draw(seed, attempt)
            answers, why = self.work(data)
            if answers is not None:
                return Variant(data, attempt, answers)
        given = self._culprit(seed, self.redraws - 1)
        raise self.error(f"{given}: {why} in {self.redraws} draws in a row; narrow its range")

    def work(self, data: dict[str, Any]) -> tuple[dict[str, Num] | None, str]:
        """The answers of a drawn sheet at the digits asked, or None and why it is ill-posed."""

        try:
            solution = solve(_plain(data))
        except HomeworkError as exc:
            return None, str(exc).split(": ", 1)[-1].replace("cannot work the problem: ", "")
        problem = solution.problem
        answers: dict[str, Num] = {}
        for name in self.find:
            try:
                q = problem.resolve(name, 1)
            except LimitError as exc:  # a higher derivative's work: no redraw changes it
                raise self.error(f"find {name!r}: {exc}", "template", "find") from None
            if q is None:
                raise self.error(f"find: the problem has no quantity {name!r}", "template", "find")
            text = _key_text(q.value, self.digits, self.data.get("min_sig_figs"))
            if not text.strip("-0."):  # 0.0000 checks nothing (a saturated sigmoid, tanh)
                return None, _vanishing(problem, name, q.value, self.digits)
            answers[name] = Num(text)
        return answers, ""

    def _culprit(self, seed: bytes, attempt: int) -> str:
        """The given whose redraw alone makes draw ``attempt`` well-posed ('given x')."""
        base = self.draw(seed, attempt)
        budget = LIMITS["probe_work"].value // max(self.solve_size, 1)  # trial solves left
        for i, r in enumerate(self.ranges):
            for k in range(8):
                budget -= 1
                if budget < 0:  # bounded like the probe: no given named alone
                    return "the givens together"
                data = self.draw(seed, attempt)
                pick = _pick(seed + b"culprit", k, i, r.high - r.low + 1)
                _set(data, r.path, Num(r.text(pick)))
                if self.work(data)[0] is not None:
                    return f"given {r.name} (drawn as {_get(base, r.path)})"
        return "the givens together"

    def _ends(self, r: Range) -> list[int]:
        """The numbers a given is probed at: its range's ends, and zero inside it."""
        return sorted({r.low, r.high, *([0] if r.low <= 0 <= r.high else [])})

    def _within_probe_work(self, seed: bytes) -> None:
        """The probe's work counted before it starts (trial solves x the quantities of one):
        beyond TRACEGRAD_MAX_PROBE_WORK, one line instead of minutes without output."""
        try:
            self.solve_size = len(solve(_plain(self.draw(seed, 0))).problem.quantities)
        except HomeworkError:
            return  # the probe's first draw says why
        ends = sum(len(self._ends(r)) for r in self.ranges)
        planned = (PROBES + ends) * self.solve_size
        what = (f"{PROBES} trial draws and {ends} range ends of {len(self.ranges)} ranged "
                f"givens, {self.solve_size} quantities each")  # fmt: skip
        try:
            LIMITS["probe_work"].check(planned, f"probing the template ({what})")
        except LimitError as exc:
            raise self.error(f"{exc}; fewer ranged givens or a smaller problem") from None

    def probe(self) -> None:
        """The load-time guarantee: PROBES draws from a fixed seed, and each given at the ends
        of its range and at zero; a draw the problem cannot be worked for (a log of a
        negative, a division by zero) refuses the template, and so do answers that round to
        zero (a saturated sigmoid) in more than a quarter of the PROBES draws."""
        seed = hashlib.sha256(b"probe" + self.sha256.encode()).digest()
        self._within_probe_work(seed)
        vanishing = 0
        why = ""
        for attempt in range(PROBES):
            answers, reason = self.work(self.draw(seed, attempt))
            if answers is not None:
                continue
            if "rounds to 0" not in reason:
                raise self.error(
                    f"{self._culprit(seed, attempt)}: {reason}; every variant must be well "
                    "defined: narrow the range"
                )
            vanishing, why = vanishing + 1, reason
        base = self.draw(seed, 0)
        for r in self.ranges:  # each given at its ends and at zero, the others as drawn
            for n in self._ends(r):
                data = copy.deepcopy(base)
                _set(data, r.path, Num(r.text(n - r.low)))
                answers, reason = self.work(data)
                if answers is None and "rounds to 0" not in reason:
                    raise self.error(f"given {r.name} = {r.text(n - r.low)}: {reason}; every "
                                     "variant must be well defined: narrow the range")  # fmt: skip
        if vanishing * 4 > PROBES:
            raise self.error(
                f"{self._culprit(seed, PROBES - 1)}: {why} in {vanishing} of {PROBES} trial "
                "draws; narrow the ranges or ask for more digits"
            )


def _key_text(value: float, digits: int, min_sig_figs: Any) -> str:
    """The key's figure: ``digits`` decimals, more when the template asks for more
    significant figures than those decimals show (0.0062 to 3 significant figures: 0.00621)."""
    text = f"{value:.{digits}f}"
    while isinstance(min_sig_figs, int) and significant_figures(text) < min_sig_figs < 16:
        digits += 1
        text = f"{value:.{digits}f}"
        if digits >= 17:
            break
    return text


def variant_seed(secret: str, template: Template, student: str) -> bytes:
    """HMAC-SHA256(course secret, template content hash + student ID): reproducible by staff
    who hold the secret, not guessable by students who do not."""
    message = f"{template.sha256}\x00{student}".encode()
    return hmac.new(secret.encode(), message, hashlib.sha256).digest()


def _pick(seed: bytes, attempt: int, index: int, size: int) -> int:
    digest = hmac.new(seed, f"{attempt}:{index}".encode(), hashlib.sha256).digest()
    return int.from_bytes(digest, "big") % size


def _vanishing(problem: Any, name: str, value: float, digits: int) -> str:
    why = f"{name} = {value:.2g} rounds to 0 at {digits} decimals"
    if abs(value) < 0.5 * 10**-digits and any(
        q.name.startswith("d") and abs(q.value) < 0.5 * 10**-digits and q.kind == "local"
        for q in problem.quantities
    ):
        return f"{why} (a local derivative vanishes: a saturated sigmoid or tanh)"
    for q in problem.quantities:
        if re.fullmatch(r"d(\w+)/dnet_\1", q.name) and abs(q.value) < 0.5 * 10**-digits:
            return f"{why} (the activation of {q.name[1:].split('/')[0]} is saturated)"
    return why


# ---------------------------------------------------------------- loading
def load_template(path: str | Path) -> Template:
    """Read, validate and probe a template file; TemplateError (one line) when it is bad."""
    where = str(path)
    text = read_homework(where)
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise TemplateError(str(toml_error(where, text, exc))) from None
    except (RecursionError, ValueError) as exc:
        raise TemplateError(str(toml_refusal(where, text, exc))) from None
    lines, _ = scan_source(text)
    t = Template(
        path=where,
        name=Path(where).stem,
        sha256=hashlib.sha256(text.encode()).hexdigest(),
        title=data.get("title", "") if isinstance(data.get("title"), str) else "",
        data={},
        ranges=[],
        find=[],
        lines=lines,
    )
    _settings(t, data)
    for key in ("answers", "variant"):
        if key in data:
            raise t.error(f"a template has no [{key}]: [template] find lists what to find", key)
    body = {k: v for k, v in data.items() if k not in ("template", "points")}
    expand_shapes(t, body)
    t.data = given_ranges(t, body, ())
    if not t.ranges:
        raise t.error("a template needs at least one given written as a range "
                      "(x = { between = [-3, 3], digits = 1 })")  # fmt: skip
    _check_sheet(t)
    t.probe()
    return t


def _settings(t: Template, data: dict[str, Any]) -> None:
    """The [template] table (what to find, digits, redraws, the imprecise share) and the
    [points] table, checked and kept on ``t``."""
    table = data.get("template")
    if not isinstance(table, dict):
        raise t.error("a template needs a [template] table with find = [the answers to find]")
    extra = set(table) - _TEMPLATE_KEYS
    if extra:
        raise t.error(f"[template]: unknown field {sorted(extra)[0]!r}; expected one of "
                      f"{', '.join(sorted(_TEMPLATE_KEYS))}", "template")  # fmt: skip
    t.find = _find(t, table.get("find"))
    t.digits = _whole(t, table.get("digits", 4), "digits", 1, MAX_DIGITS)
    t.redraws = _whole(t, table.get("redraws", 20), "redraws", 1, 100)
    share = table.get("imprecise", 0.0)
    if isinstance(share, bool) or not isinstance(share, (int, float)) or not 0 <= share <= 1:
        raise t.error("[template] imprecise must be a share from 0 to 1", "template", "imprecise")
    t.imprecise = float(share)
    _precision_asked(t, data, table)
    t.points = _points(t, data.get("points", {}))


def _find(t: Template, find: Any) -> list[str]:
    """[template] find: the answers to find, each named once."""
    if not isinstance(find, list) or not find or not all(isinstance(f, str) and f for f in find):
        raise t.error("[template] find must be a list of the answers to find", "template", "find")
    if len(set(find)) != len(find):
        raise t.error("[template] find names an answer twice", "template", "find")
    return list(find)


def _points(t: Template, points: Any) -> dict[str, float]:
    """[points]: answer = points (0 to 1000), for answers [template] find lists (or default)."""
    if not isinstance(points, dict):
        raise t.error("[points] must be a table of answer = points", "points")
    for name, val in points.items():
        if isinstance(val, bool) or not isinstance(val, (int, float)) or not 0 <= val <= 1000:
            raise t.error(
                f"[points] {name}: points must be a number from 0 to 1000", "points", name
            )
        if name != "default" and name not in t.find:
            raise t.error(f"[points] {name}: not an answer [template] find lists", "points", name)
    return {k: float(v) for k, v in points.items()}


def _precision_asked(t: Template, data: dict[str, Any], table: dict[str, Any]) -> None:
    """``imprecise`` points need a precision to enforce (``min_decimals``, ``min_sig_figs``
    at the template's top), and the key must be written to the decimals asked."""
    asked = [k for k in ("min_decimals", "min_sig_figs") if k in data]
    if "imprecise" in table and not asked:
        raise t.error("[template] imprecise is the share of the points an answer too imprecise "
                      "earns, but the template asks for no precision: set min_decimals or "
                      "min_sig_figs at its top", "template", "imprecise")  # fmt: skip
    decimals = data.get("min_decimals")
    if isinstance(decimals, int) and not isinstance(decimals, bool) and decimals > t.digits:
        raise t.error(f"min_decimals = {decimals} asks for more decimals than the key is written "
                      f"with ([template] digits = {t.digits})", "min_decimals")  # fmt: skip


def _whole(t: Template, val: Any, what: str, low: int, high: int) -> int:
    if isinstance(val, bool) or not isinstance(val, int) or not low <= val <= high:
        raise t.error(f"[template] {what} must be a whole number from {low} to {high}",
                      "template", what)  # fmt: skip
    return val


def _check_sheet(t: Template) -> None:
    """The template drawn once, through the normal loader: its sections are a valid sheet."""
    data = t.draw(b"shape", 0)
    try:
        load(_plain(data), answers=False)
    except HomeworkError as exc:
        raise t.error(str(exc).replace("<dict>: ", "", 1)) from None


# ---------------------------------------------------------------- trees of values
def _fill(val: Any, path: tuple[Any, ...], picks: dict[Any, int], ranges: dict[Any, Range]) -> Any:
    if isinstance(val, Range):
        return Num(val.text(picks[val.path]))
    if isinstance(val, dict):
        return {k: _fill(v, (*path, k), picks, ranges) for k, v in val.items()}
    if isinstance(val, list):
        return [_fill(v, (*path, i), picks, ranges) for i, v in enumerate(val)]
    return val


def _plain(val: Any) -> Any:
    """A drawn sheet as the loader takes it: Num text as floats."""
    if isinstance(val, Num):
        return float(val)
    if isinstance(val, dict):
        return {k: _plain(v) for k, v in val.items()}
    if isinstance(val, list):
        return [_plain(v) for v in val]
    return val


def _get(data: Any, path: tuple[Any, ...]) -> Any:
    for p in path:
        data = data[p]
    return data


def _set(data: Any, path: tuple[Any, ...], value: Any) -> None:
    _get(data, path[:-1])[path[-1]] = value


# ---------------------------------------------------------------- a variant in words
def givens(v: Variant) -> list[tuple[str, str]]:
    """(name, number) of every given a student must use, as the sheet writes them."""
    data = v.data
    if "variables" in data:
        return [(k, str(x)) for k, x in data["variables"].items()]

    hw = load(_plain(data), answers=False)
    spec: Any = hw.spec
    out = []
    weights = zip(_flat(spec.weight_names), _flat(spec.weights))
    biases = zip(_flat(spec.bias_names), _flat(spec.biases))
    out += [(n, f"{x:g}") for n, x in [*weights, *biases]]
    for k, (x, y) in enumerate(spec.samples, start=1):
        tag = "" if len(spec.samples) == 1 else f" (sample {k})"
        out += [(f"{spec.inputs[i]}{tag}", f"{xi:g}") for i, xi in enumerate(x)]
        out += [(f"{spec.targets[i]}{tag}", f"{yi:g}") for i, yi in enumerate(y)]
    out.append(("learning rate", f"{spec.learning_rate:g}"))
    return out


def _flat(nested: Any) -> list[Any]:
    if not isinstance(nested, list):
        return [nested]
    return [x for item in nested for x in _flat(item)]


def statement(v: Variant) -> list[str]:
    """The problem in words: the expressions, or the network and its training."""

    lines = solve(_plain(v.data)).problem.describe
    return [line for line in lines if not line.startswith("variables ")]

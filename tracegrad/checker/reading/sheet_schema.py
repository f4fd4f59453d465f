"""The homework sheet format, declared once: every section and key, its type, range, default
and a one-line description.

The loader reads a sheet through this declaration (:func:`read_sheet`: each key's type checks
its value and raises the one-line :class:`HomeworkError` at the key's line), and
``sheet_jsonschema.py`` publishes the same declaration as JSON Schema (``homework.schema.json``,
``tracegrad schema``) for editors. What a schema cannot say (a network's weights against its
sizes, an expression's grammar, names used once, answers naming a quantity) is checked after
the walk, by ``sheet_network.py`` and ``homework.py``.

The value types (a number, a whole number in a range, ...) are in ``sheet_values.py``. Plain
dataclasses rather than a validation library: ``import tracegrad`` stays fast, the core gains
no dependency, and every message stays ours (one line, naming the key and its line).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from tracegrad.checker.reading.sheet_values import (
    NAME,
    Answers,
    Choice,
    Free,
    KeyPath,
    Names,
    Nested,
    Number,
    Text,
    Type,
    Whole,
    listed,
)
from tracegrad.nn.activations import activation_names
from tracegrad.nn.losses import LOSSES

if TYPE_CHECKING:
    from tracegrad.checker.reading.sheet import SheetFile

__all__ = [
    "Key",
    "Table",
    "TableArray",
    "Kind",
    "SHEET",
    "KINDS",
    "read_sheet",
    "NETWORK",
    "SAMPLE",
    "TRAINING",
    "loss_names",
    "a_or_an",
    "target_ranges",
]


# ---------------------------------------------------------------- tables
@dataclass(frozen=True)
class Key:
    """One key of a table: its type, a one-line description, its default (None: none, or
    worked out from other keys), and the message when a required key is missing."""

    name: str
    type: Type
    about: str
    default: Any = None
    required: str = ""  # the message when missing ('' = optional); {what} is the key's name
    kind: str = ""  # the sheet kind the key belongs to ('' = both)


@dataclass(frozen=True)
class Table:
    """A table of declared ``keys``, or of free ``entries`` (name = value) of one type."""

    about: str
    keys: tuple[Key, ...] = ()
    entries: Type | None = None
    entry: str = ""  # what an entry is called: 'variable'
    min_entries: int = 0
    shape: str = "a table"
    join: str = "."  # how the table's name and a key's make a key's name: network.sizes

    def json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"type": "object", "description": self.about}
        if self.entries is not None:
            out["propertyNames"] = {"$ref": "#/definitions/name"}
            out["additionalProperties"] = self.entries.json()
            if self.min_entries:
                out["minProperties"] = self.min_entries
            return out
        out["properties"] = {k.name: _key_json(k) for k in self.keys}
        out["additionalProperties"] = False
        required = [k.name for k in self.keys if k.required and not k.kind]
        if required:
            out["required"] = required
        return out

    def named(self, what: str, key: str) -> str:
        return f"{what}{self.join}{key}" if what else key

    def read(self, hw: SheetFile, val: Any, what: str, path: KeyPath) -> dict[str, Any]:
        if not isinstance(val, dict):
            raise hw.error(f"{what} must be {self.shape}", *path)
        if self.entries is not None:
            return self._entries(hw, val, path)
        self.known_keys(hw, val, what, path)
        out: dict[str, Any] = {}
        for k in self.keys:
            if k.name in val:
                out[k.name] = k.type.read(hw, val[k.name], self.named(what, k.name),
                                          (*path, k.name))  # fmt: skip
            elif k.required and (not k.kind or k.kind == hw.kind):
                raise hw.error(k.required.format(what=self.named(what, k.name)), *path)
            else:
                out[k.name] = k.default
        return out

    def known_keys(self, hw: SheetFile, val: Mapping[str, Any], what: str, path: KeyPath) -> None:
        """Every key of ``val`` one the table declares; else one line naming the first not."""
        names = {k.name for k in self.keys}
        for key in val:
            if key not in names:
                shown = self.named(what, key) if what else repr(key)
                raise hw.error(
                    f"unknown field {shown}; expected one of {listed(names)}", *path, key
                )

    def _entries(self, hw: SheetFile, val: dict[str, Any], path: KeyPath) -> dict[str, Any]:
        assert self.entries is not None
        out = {}
        for name, v in val.items():
            if not NAME.match(name):
                raise hw.error(f"{self.entry} name {name!r} is not a plain name", *path, name)
            out[name] = self.entries.read(hw, v, f"{self.entry} {name!r}", (*path, name))
        return out


@dataclass(frozen=True)
class TableArray:
    """[[name]]: one or more tables of one declaration (the samples)."""

    table: Table
    item: str  # how one is called in a message: 'sample'
    missing: str  # the message when there are none

    def json(self) -> dict[str, Any]:
        return {"type": "array", "items": self.table.json(), "minItems": 1}

    def read(self, hw: SheetFile, val: Any, what: str, path: KeyPath) -> list[dict[str, Any]]:
        if not isinstance(val, list) or not val:
            raise hw.error(self.missing, *path)
        return [
            self.table.read(hw, v, f"{self.item} {i + 1}", (*path, str(i)))
            for i, v in enumerate(val)
        ]


def _key_json(key: Key) -> dict[str, Any]:
    out = key.type.json()
    if "$ref" in out:  # draft-07 ignores a $ref's siblings: wrap it
        out = {"allOf": [out]}
    out["description"] = key.about
    if key.default is not None:
        out["default"] = key.default
    return out


# ---------------------------------------------------------------- the declaration
def loss_names() -> dict[str, str]:
    """Every loss name a network sheet accepts (aliases too) -> its name in nn.losses: the
    losses whose formula the checker can write (their registry entry has a ``term``)."""
    out: dict[str, str] = {}
    for spec in LOSSES.values():
        if spec.term:
            out[spec.name] = spec.name
            out.update((alias, spec.name) for alias in spec.aliases)
    return out


# What a loss's ``targets`` (its registry entry) allow each target, as far as a range says it
# (a distribution's sum of 1 is beyond a range: the loss's own target_problem checks it).
_TARGET_RANGES = {"probability": (0.0, 1.0), "distribution": (0.0, 1.0)}


def target_ranges() -> dict[str, tuple[float, float]]:
    """Each loss a network sheet accepts whose targets are bounded -> (low, high)."""
    out = {}
    for spec in LOSSES.values():
        kind = spec.targets  # LossSpec.targets: which targets the loss allows
        if spec.term and kind in _TARGET_RANGES:
            out[spec.name] = _TARGET_RANGES[kind]
    return out


def _losses_shown() -> str:
    known = [s for s in LOSSES.values() if s.term]
    shown = "; ".join(f"{s.name}: E = {s.formula(['o'], ['y'])}" for s in known)
    return f"{', '.join(s.name for s in known)} ({shown})"


def _activations() -> dict[str, str]:
    return {name: name for name in activation_names()}


_ACTIVATION = Choice(_activations, lambda: ", ".join(activation_names()))
_NUMBERS = Nested(Number(), 1, "a list of numbers")

NETWORK = Table(
    "A fully connected network: its sizes, activations, weights and biases.",
    (
        Key("sizes", Nested(Whole(1), 1, "a list of the layer sizes, inputs first, e.g. [2, 2, 2]",
                            min_items=2),
            "The layer sizes, inputs first: [2, 2, 2] is 2 inputs, 2 hidden, 2 outputs.",
            required="missing {what}"),
        Key("inputs", Names(), "The inputs' names (x1, x2, ... when not given)."),
        Key("neurons", Nested(Names(), 1, "a list of the names of each layer"),
            "Each layer's neuron names (h1, h2, ... and o1, o2, ... when not given)."),
        Key("activation", _ACTIVATION, "The hidden layers' activation.", default="sigmoid"),
        Key("output_activation", _ACTIVATION,
            "The output layer's activation (the same as activation when not given)."),
        Key("weights", Nested(Number(), 3, "a list per layer, of a list per neuron, of a number "
                              "per input, e.g. [[[0.1, -0.2], [0.3, 0.55]], ...]"),
            "Per layer, per neuron, one weight per input.", required="missing {what}"),
        Key("biases", Nested(Number(), 2, "a list per layer, of a number per neuron, e.g. "
                             "[[0.01, -0.02], ...]"),
            "Per layer, one bias per neuron.", required="missing {what}"),
        Key("weight_names", Names(),
            "The weights' names, flat in the order of weights (w1, w2, ... when not given); "
            "a name written twice is one shared weight."),
        Key("bias_names", Names(),
            "The biases' names, flat in the order of biases (b1, b2, ... when not given); "
            "a name written twice is one shared bias."),
    ),
)  # fmt: skip

SAMPLE = Table(
    "One training sample: the inputs x and the targets y.",
    (
        Key("x", _NUMBERS, "The inputs, one number per network input.",
            required="{what}: needs exactly x = [...] and y = [...]"),
        Key("y", _NUMBERS, "The targets, one number per network output.",
            required="{what}: needs exactly x = [...] and y = [...]"),
    ),
    join=": ",
)  # fmt: skip

TRAINING = Table(
    "How the network learns: the loss, the learning rate, the steps, the frozen parameters.",
    (
        Key("loss", Choice(loss_names, _losses_shown), "The loss E.", default="half_sse"),
        Key("learning_rate", Number(positive=True), "The learning rate of gradient descent.",
            default=0.5),
        Key("steps", Whole(1, 1000), "How many training steps the answers cover.", default=1),
        Key("frozen", Names(), "Parameters the update leaves as they are."),
    ),
)  # fmt: skip

SHEET = Table(
    "A tracegrad homework sheet: an expression sheet ([variables], [expressions]) or a "
    "network sheet ([network], [[samples]], [training]), and the [answers] to check.",
    (
        Key("title", Text(), "The sheet's title."),
        Key("description", Text(), "What the sheet is about."),
        Key("tolerance", Number(positive=True),
            "One tolerance for every answer (else each answer's written precision sets it)."),
        Key("min_sig_figs", Whole(1, 15),
            "Answers with fewer significant figures are marked too imprecise."),
        Key("min_decimals", Whole(0, 15),
            "Answers with fewer decimals are marked too imprecise."),
        Key("variant", Free(), "Written by `tracegrad assign`: the template and student."),
        Key("variables", Table("The given numbers: name = number.", entries=Number(),
                               entry="variable", shape="a table of name = number"),
            "The given numbers: name = number.", kind="expression"),
        Key("expressions", Table('The formulas: name = "formula"; each may use the variables '
                                 "and earlier expressions.", entries=Text('"x * y"', 1),
                                 entry="expression", min_entries=1,
                                 shape='a table of name = "formula"'),
            'The formulas: name = "formula".', kind="expression",
            required='missing [expressions]: at least one name = "formula"'),
        Key("network", NETWORK, NETWORK.about, kind="network", required="missing [network]"),
        Key("samples", TableArray(SAMPLE, "sample", "missing [[samples]]: at least one with "
                                  "x = [...] and y = [...]"),
            "The training samples, one [[samples]] table each.", kind="network",
            required="missing [[samples]]: at least one with x = [...] and y = [...]"),
        Key("training", TRAINING, TRAINING.about, kind="network"),
        Key("answers", Answers(),
            'The numbers to check: name = number ("dE/dw5" = 0.0822); a note in brackets may '
            'follow the name; { value = ..., tolerance = ... } sets a tolerance; '
            "[answers.stepK] tables hold step K of a network's training."),
    ),
)  # fmt: skip


@dataclass(frozen=True)
class Kind:
    """A sheet kind and the sections that mark it (any of them present: this kind); the keys
    it must have are the sheet's keys of that kind with a ``required`` message."""

    name: str
    marks: tuple[str, ...]

    @property
    def required(self) -> list[str]:
        return [k.name for k in SHEET.keys if k.kind == self.name and k.required]


KINDS = (Kind("expression", ("variables", "expressions")), Kind("network", ("network",)))


def a_or_an(word: str) -> str:
    return f"an {word}" if word[0] in "aeiou" else f"a {word}"


def sheet_kind(hw: SheetFile, data: Mapping[str, Any]) -> str:
    """'expression' or 'network', from the sections present; one line when neither or both."""
    present = [k.name for k in KINDS if any(m in data for m in k.marks)]
    if len(present) > 1:
        raise hw.error("a homework is either [expressions] or [network], not both", "network")
    if not present:
        raise hw.error("nothing to check: give [variables] and [expressions], or [network]")
    kind = present[0]
    for key in SHEET.keys:
        if key.kind not in ("", kind) and key.name in data:
            raise hw.error(
                f"[{key.name}] belongs to {a_or_an(key.kind)} homework, not {a_or_an(kind)} one",
                key.name,
            )
    return kind


def read_sheet(hw: SheetFile, data: Mapping[str, Any]) -> tuple[SheetFile, dict[str, Any]]:
    """Every key of a parsed sheet read through the declaration (defaults filled in), and the
    file with its kind known. The first value that does not fit raises its one-line
    HomeworkError."""
    SHEET.known_keys(hw, data, "", ())
    hw = replace(hw, kind=sheet_kind(hw, data))
    return hw, SHEET.read(hw, dict(data), "", ())

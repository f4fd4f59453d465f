"""Loading a homework file (TOML) into a checked, typed description.

A homework is either an *expression* homework (``[variables]`` and ``[expressions]``) or a
*network* homework (``[network]``, ``[[samples]]``, ``[training]``); both have ``[answers]``.
The numbers a student wrote are kept as the text they wrote (``0.0370`` has four decimals),
because the precision of an answer sets the tolerance it is checked to. Every problem with the
file is a :class:`HomeworkError` whose one-line message names the file's line where possible.
"""

from __future__ import annotations

import math
import re
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

from tracegrad.autograd.parse import Expression, ExpressionError, parse_expression
from tracegrad.checker.limits import read_homework, toml_refusal, within_limits

__all__ = [
    "HomeworkError",
    "Answer",
    "ExpressionSpec",
    "NetworkSpec",
    "Homework",
    "load",
    "written_tolerance",
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
}
_NETWORK_KEYS = {
    "inputs",
    "sizes",
    "neurons",
    "activation",
    "output_activation",
    "weights",
    "biases",
    "weight_names",
    "bias_names",
}
_TRAINING_KEYS = {"loss", "learning_rate", "steps", "frozen"}
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_NUMBER = re.compile(r"^[+-]?(?:\d[\d_]*)(?:\.\d[\d_]*)?(?:[eE][+-]?\d[\d_]*)?$")
_NOTE = re.compile(r"^(.*?\S)\s+\((.*)\)\s*$")


class HomeworkError(ValueError):
    """A homework file that cannot be checked; the message is one line (``file:line: what``)."""


@dataclass(frozen=True)
class Answer:
    """One number the student wrote: ``key`` as written, the quantity ``name`` it answers."""

    key: str  # the key exactly as in the file, e.g. 'dE/dw1 (update rule)'
    name: str  # without the note: 'dE/dw1'
    note: str  # the parenthesised note, '' when none
    step: int  # 1 for [answers], k for [answers.stepk]
    value: float
    text: str  # the number as written: '-0.0370'
    tolerance: float
    explicit: bool  # tolerance given in the file rather than read from the precision
    line: int | None

    @property
    def decimals(self) -> int | None:
        """Decimals written (4 for '0.5399'), None for an explicit tolerance or exponent form."""
        if self.explicit or "e" in self.text.lower():
            return None
        return max(0, -_exponent(self.text))

    @property
    def label(self) -> str:
        """How the report names it: the key, prefixed with the step when there are steps."""
        return self.key if self.step == 1 else f"step {self.step}: {self.key}"


@dataclass
class ExpressionSpec:
    """Variables with values and named expressions (each may use earlier ones)."""

    variables: dict[str, float]
    expressions: dict[str, Expression]


@dataclass
class NetworkSpec:
    """A fully connected network as the student's sheet has it, plus its training."""

    inputs: list[str]
    neurons: list[list[str]]  # per layer (hidden..., output)
    activations: list[str]  # per layer
    weights: list[list[list[float]]]  # per layer, per neuron, per input
    biases: list[list[float]]  # per layer, per neuron
    weight_names: list[list[list[str]]]
    bias_names: list[list[str]]
    samples: list[tuple[list[float], list[float]]]
    loss: str
    learning_rate: float
    steps: int
    frozen: list[str] = field(default_factory=list)  # parameters the update leaves alone

    @property
    def outputs(self) -> list[str]:
        return self.neurons[-1]

    @property
    def targets(self) -> list[str]:
        return [f"y{k + 1}" for k in range(len(self.outputs))]


@dataclass
class Homework:
    """A loaded homework: what to compute (``spec``) and what the student answered."""

    path: str
    title: str
    kind: str  # 'expression' or 'network'
    spec: ExpressionSpec | NetworkSpec
    answers: list[Answer] = field(default_factory=list)
    lines: dict[tuple[str, ...], int] = field(default_factory=dict)
    min_sig_figs: int | None = None  # answers with fewer significant figures: too imprecise

    def line_of(self, *path: str) -> int | None:
        return self.lines.get(tuple(path))

    def error(self, message: str, *path: str, line: int | None = None) -> HomeworkError:
        """A HomeworkError located at the line of the key ``path`` (or ``line``)."""
        return _error(self.path, message, line if line is not None else self.line_of(*path))


def _error(path: str, message: str, line: int | None = None) -> HomeworkError:
    where = f"{path}:{line}" if line else path
    return HomeworkError(f"{where}: {message}")


def _exponent(text: str) -> int:
    try:
        exp = Decimal(text.replace("_", "")).as_tuple().exponent
    except InvalidOperation:  # pragma: no cover - texts are checked against _NUMBER first
        return 0
    return exp if isinstance(exp, int) else 0


def written_tolerance(text: str) -> float:
    """Half a unit in the last place written: '0.5399' -> 5e-05, '0.5' -> 0.05, '1e-3' -> 5e-04.

    A whole number written without a decimal point claims to be exact: '28' -> 0.
    """
    if text.replace("_", "").lstrip("+-").isdigit():
        return 0.0
    return 0.5 * 10.0 ** _exponent(text)


# ---------------------------------------------------------------- the source text
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
            if h.group(1) == "[[":
                arrays[table] = arrays.get(table, -1) + 1
                lines.setdefault((*table, str(arrays[table])), no)
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
        raise _error(path, f"malformed TOML: {msg}", line) from None
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
    for key in data:
        if key not in _TOP_KEYS:
            raise hw.error(f"unknown field {key!r}; expected one of {_list(_TOP_KEYS)}", key)
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
        hw.spec = _network(hw, data)
    else:
        hw.kind = "expression"
        for key in ("samples", "training"):
            if key in data:
                raise hw.error(f"[{key}] belongs to a network homework, not an expression one", key)
        hw.spec = _expressions(hw, data)
    default_tol = data.get("tolerance")
    if default_tol is not None:
        default_tol = _positive(hw, default_tol, "tolerance", ("tolerance",))
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


def _min_sig_figs(hw: Homework, val: Any) -> int | None:
    if val is None:
        return None
    if isinstance(val, bool) or not isinstance(val, int) or not 1 <= val <= 15:
        raise hw.error(
            f"min_sig_figs must be a whole number from 1 to 15, got {_show(val)}", "min_sig_figs"
        )
    return val


def _list(names: Any) -> str:
    return ", ".join(sorted(names))


def _step_table(key: str) -> int | None:
    m = re.fullmatch(r"step_?(\d+)", key)
    return int(m.group(1)) if m else None


def _number(hw: Homework, val: Any, what: str, path: tuple[str, ...]) -> float:
    if isinstance(val, bool) or not isinstance(val, (int, float)):
        raise hw.error(f"{what} must be a number, got {_show(val)}", *path)
    x = float(val)
    if not math.isfinite(x):
        raise hw.error(f"{what} must be a finite number, got {val}", *path)
    return x


def _positive(hw: Homework, val: Any, what: str, path: tuple[str, ...]) -> float:
    x = _number(hw, val, what, path)
    if x <= 0:
        raise hw.error(f"{what} must be > 0, got {val}", *path)
    return x


def _show(val: Any) -> str:
    text = repr(val)
    return text if len(text) <= 40 else text[:37] + "..."


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
                f"{_list(val) or 'nothing'}",
                *path,
            )
        if "tolerance" in val:
            tol, explicit = _positive(hw, val["tolerance"], f"tolerance of {key!r}", path), True
        val = val["value"]
    if isinstance(val, str):
        text = val.strip()
        if not _NUMBER.match(text):
            raise hw.error(f"answer {key!r} must be a number, got {_show(val)}", *path)
        value = float(text.replace("_", ""))
    else:
        value = _number(hw, val, f"answer {key!r}", path)
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
        if not _NAME.match(name):
            raise hw.error(f"variable name {name!r} is not a plain name", "variables", name)
        spec.variables[name] = _number(hw, val, f"variable {name!r}", ("variables", name))
    exprs = data.get("expressions")
    if not isinstance(exprs, dict) or not exprs:
        raise hw.error('missing [expressions]: at least one name = "formula"', "expressions")
    for name, src in exprs.items():
        where = ("expressions", name)
        if not _NAME.match(name):
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
                known = _list([*spec.variables, *spec.expressions]) or "none"
                raise hw.error(
                    f"expression {name!r} uses unknown name {n!r}{later}; known: {known}", *where
                )
        spec.expressions[name] = expr
    return spec


# ---------------------------------------------------------------- network homework
def _names_list(hw: Homework, val: Any, what: str, path: tuple[str, ...]) -> list[str]:
    if not isinstance(val, list) or not all(isinstance(v, str) for v in val):
        raise hw.error(f"{what} must be a list of names", *path)
    for v in val:
        if not _NAME.match(v):
            raise hw.error(f"{what}: {v!r} is not a plain name", *path)
    return list(val)


def _network(hw: Homework, data: dict[str, Any]) -> NetworkSpec:
    """[network], [[samples]] and [training], each section checked by its own function."""
    net = _network_table(hw, data)
    nin, layer_sizes = _sizes(hw, net)
    inputs = _inputs(hw, net, nin)
    neurons = _neuron_names(hw, net, layer_sizes)
    activations = _activations(hw, net, len(layer_sizes))
    dims = [nin, *layer_sizes]
    P = ("network",)
    weights = _shaped(hw, net["weights"], dims, True, "network.weights", (*P, "weights"))
    biases = _shaped(hw, net["biases"], dims, False, "network.biases", (*P, "biases"))
    default_w, default_b = _default_parameter_names(weights, biases)
    weight_names = _flat_names(hw, net, "weight_names", default_w)
    bias_names = _flat_names(hw, net, "bias_names", default_b)
    _check_names(hw, inputs, neurons, weights, biases, weight_names, bias_names)
    samples = _samples(hw, data, nin, layer_sizes[-1])
    training = _training_table(hw, data)
    loss = _loss_name(hw, training.get("loss", "half_sse"))
    lr, steps = _schedule(hw, training)
    frozen = _frozen(hw, training, weight_names, bias_names)
    return NetworkSpec(
        inputs, neurons, activations, weights, biases, weight_names, bias_names,
        samples, loss, lr, steps, frozen,
    )  # fmt: skip


def _network_table(hw: Homework, data: dict[str, Any]) -> dict[str, Any]:
    net = data["network"]
    if not isinstance(net, dict):
        raise hw.error("network must be a table", "network")
    for key in net:
        if key not in _NETWORK_KEYS:
            raise hw.error(
                f"unknown field network.{key}; expected one of {_list(_NETWORK_KEYS)}",
                "network",
                key,
            )
    for key in ("sizes", "weights", "biases"):
        if key not in net:
            raise hw.error(f"missing network.{key}", "network")
    return net


def _sizes(hw: Homework, net: dict[str, Any]) -> tuple[int, list[int]]:
    sizes = net["sizes"]
    if (
        not isinstance(sizes, list)
        or len(sizes) < 2
        or not all(isinstance(s, int) and not isinstance(s, bool) and s >= 1 for s in sizes)
    ):
        raise hw.error(
            "network.sizes must list the layer sizes, inputs first, e.g. [2, 2, 2]",
            "network",
            "sizes",
        )
    return sizes[0], sizes[1:]


def _inputs(hw: Homework, net: dict[str, Any], nin: int) -> list[str]:
    P = ("network", "inputs")
    inputs = (
        _names_list(hw, net["inputs"], "network.inputs", P)
        if "inputs" in net
        else [f"x{i + 1}" for i in range(nin)]
    )
    if len(inputs) != nin:
        raise hw.error(f"network.inputs names {len(inputs)} inputs, sizes says {nin}", *P)
    return inputs


def _neuron_names(hw: Homework, net: dict[str, Any], layer_sizes: list[int]) -> list[list[str]]:
    """network.neurons, or the textbook names: h1, h2 (h1_1, h2_1 with several hidden
    layers) and o1, o2."""
    P = ("network", "neurons")
    if "neurons" not in net:
        hidden = len(layer_sizes) - 1
        return [
            [f"o{j + 1}" for j in range(size)]
            if i == hidden
            else [f"h{j + 1}" if hidden == 1 else f"h{i + 1}_{j + 1}" for j in range(size)]
            for i, size in enumerate(layer_sizes)
        ]
    neurons = net["neurons"]
    if not isinstance(neurons, list) or len(neurons) != len(layer_sizes):
        raise hw.error(
            f"network.neurons must list the names of each of the {len(layer_sizes)} layers", *P
        )
    neurons = [_names_list(hw, n, "network.neurons", P) for n in neurons]
    for i, (names, size) in enumerate(zip(neurons, layer_sizes)):
        if len(names) != size:
            raise hw.error(
                f"network.neurons layer {i + 1} names {len(names)} neurons, sizes says {size}", *P
            )
    return neurons


def _activations(hw: Homework, net: dict[str, Any], layers: int) -> list[str]:
    from tracegrad.nn.activations import activation_names

    act = net.get("activation", "sigmoid")
    out_act = net.get("output_activation", act)
    for key, a in (("activation", act), ("output_activation", out_act)):
        if not isinstance(a, str) or a not in activation_names():
            raise hw.error(
                f"network.{key} must be one of {', '.join(activation_names())}, got {_show(a)}",
                "network",
                key,
            )
    return [act] * (layers - 1) + [out_act]


def _default_parameter_names(
    weights: list[list[list[float]]], biases: list[list[float]]
) -> tuple[list[list[list[str]]], list[list[str]]]:
    """w1, w2, ... per layer, per neuron, per input; b1, b2, ... per layer, per neuron."""
    count = 0
    default_w: list[list[list[str]]] = []
    for layer in weights:
        default_w.append([])
        for row in layer:
            default_w[-1].append([f"w{count + i + 1}" for i in range(len(row))])
            count += len(row)
    default_b: list[list[str]] = []
    count = 0
    for layer_b in biases:
        default_b.append([f"b{count + j + 1}" for j in range(len(layer_b))])
        count += len(layer_b)
    return default_w, default_b


def _training_table(hw: Homework, data: dict[str, Any]) -> dict[str, Any]:
    training = data.get("training", {})
    if not isinstance(training, dict):
        raise hw.error("training must be a table", "training")
    for key in training:
        if key not in _TRAINING_KEYS:
            raise hw.error(
                f"unknown field training.{key}; expected one of {_list(_TRAINING_KEYS)}",
                "training",
                key,
            )
    return training


def _schedule(hw: Homework, training: dict[str, Any]) -> tuple[float, int]:
    """training.learning_rate (0.5 when not given) and training.steps (1 to 1000)."""
    where = ("training", "learning_rate")
    lr = (
        _positive(hw, training["learning_rate"], "training.learning_rate", where)
        if "learning_rate" in training
        else 0.5
    )
    steps = training.get("steps", 1)
    if not isinstance(steps, int) or isinstance(steps, bool) or not 1 <= steps <= 1000:
        raise hw.error(
            f"training.steps must be a whole number from 1 to 1000, got {_show(steps)}",
            "training",
            "steps",
        )
    return lr, steps


def _flat(nested: Any) -> list[Any]:
    out: list[Any] = []
    todo = [nested]
    while todo:
        x = todo.pop()
        if isinstance(x, list):
            todo.extend(reversed(x))
        else:
            out.append(x)
    return out


def _check_names(
    hw: Homework,
    inputs: list[str],
    neurons: list[list[str]],
    weights: Any,
    biases: Any,
    weight_names: Any,
    bias_names: Any,
) -> None:
    """Every name once, except a parameter shared by several neurons (a tied weight or bias:
    the same name, the same value), which Mazur's network does with its biases. An error
    points at the line of the key that repeats a name."""
    owner: dict[str, str] = {}
    groups = [
        ("inputs", inputs, None),
        ("neurons", _flat(neurons), None),
        ("weight_names", _flat(weight_names), _flat(weights)),
        ("bias_names", _flat(bias_names), _flat(biases)),
    ]
    targets = [f"y{k + 1}" for k in range(len(neurons[-1]))] + ["E"]
    value: dict[str, float] = {}
    for key, names, values in groups:
        for i, n in enumerate(names):
            if n in owner and not (owner[n] == key and values is not None):
                where = "" if owner[n] == key else f" (also in network.{owner[n]})"
                raise hw.error(
                    f"network.{key}: the name {n!r} is used twice{where}", "network", key
                )
            if n in targets:
                raise hw.error(
                    f"network.{key}: {n!r} is a reserved name (targets y1.., the loss E)",
                    "network",
                    key,
                )
            if values is not None:
                if n in value and value[n] != values[i]:
                    raise hw.error(
                        f"network.{key}: {n!r} is shared (one parameter), so it needs one value; "
                        f"got {value[n]:g} and {values[i]:g}",
                        "network",
                        key,
                    )
                value[n] = values[i]
            owner[n] = key


def _loss_name(hw: Homework, name: Any) -> str:
    """A loss of nn.losses whose formula the checker can write (its registry has the text)."""
    from tracegrad.nn.losses import LOSSES

    known = {s.name: s for s in LOSSES.values() if s.term}
    for spec in known.values():
        if name == spec.name or name in spec.aliases:
            return spec.name
    shown = "; ".join(f"{s.name}: E = {s.formula(['o'], ['y'])}" for s in known.values())
    raise hw.error(
        f"training.loss must be one of {', '.join(known)} ({shown}), got {_show(name)}",
        "training",
        "loss",
    )


def _frozen(
    hw: Homework, training: dict[str, Any], weight_names: Any, bias_names: Any
) -> list[str]:
    """training.frozen: the parameters the update leaves as they are."""
    if "frozen" not in training:
        return []
    names = _names_list(hw, training["frozen"], "training.frozen", ("training", "frozen"))
    params = set(_flat(weight_names)) | set(_flat(bias_names))
    for n in names:
        if n not in params:
            raise hw.error(
                f"training.frozen: {n!r} is not a weight or bias of the network",
                "training",
                "frozen",
            )
    return names


def _shaped(
    hw: Homework, val: Any, dims: list[int], per_input: bool, what: str, path: tuple[str, ...]
) -> Any:
    """Check nested lists against the layer sizes: per layer, per neuron (, per input)."""
    nl = len(dims) - 1
    example = "[[[0.1, -0.2], [0.3, 0.55]], ...]" if per_input else "[[0.01, -0.02], ...]"
    if not isinstance(val, list) or len(val) != nl:
        got = f"{len(val)} layers" if isinstance(val, list) else _show(val)
        raise hw.error(f"{what} needs one list per layer ({nl}), e.g. {example}; got {got}", *path)
    out = []
    for i, layer in enumerate(val):
        nout, nin = dims[i + 1], dims[i]
        if not isinstance(layer, list) or len(layer) != nout:
            got = f"{len(layer)} entries" if isinstance(layer, list) else _show(layer)
            raise hw.error(
                f"{what}: layer {i + 1} has {nout} neurons, so it needs {nout} entries; got {got}",
                *path,
            )
        rows: list[Any] = []
        for j, row in enumerate(layer):
            if per_input:
                if not isinstance(row, list) or len(row) != nin:
                    got = str(len(row)) if isinstance(row, list) else _show(row)
                    raise hw.error(
                        f"{what}: layer {i + 1} neuron {j + 1} reads {nin} inputs, so it "
                        f"needs {nin} weights; got {got}",
                        *path,
                    )
                rows.append([_number(hw, x, f"{what} entry", path) for x in row])
            else:
                rows.append(_number(hw, row, f"{what}: layer {i + 1} neuron {j + 1}", path))
        out.append(rows)
    return out


def _flat_names(hw: Homework, net: dict[str, Any], key: str, default: Any) -> Any:
    """Names in the same nested shape as ``default``, given flat in the file."""
    if key not in net:
        return default
    flat_default: list[str] = []

    def walk(x: Any) -> None:
        if isinstance(x, list):
            for y in x:
                walk(y)
        else:
            flat_default.append(x)

    walk(default)
    names = _names_list(hw, net[key], f"network.{key}", ("network", key))
    if len(names) != len(flat_default):
        raise hw.error(
            f"network.{key} lists {len(names)} names; the network has {len(flat_default)}",
            "network",
            key,
        )
    it = iter(names)

    def fill(x: Any) -> Any:
        return [fill(y) for y in x] if isinstance(x, list) else next(it)

    return fill(default)


def _samples(hw: Homework, data: dict[str, Any], nin: int, nout: int) -> list[Any]:
    samples = data.get("samples")
    if not isinstance(samples, list) or not samples:
        raise hw.error("missing [[samples]]: at least one with x = [...] and y = [...]", "samples")
    out = []
    for i, s in enumerate(samples):
        line = hw.line_of("samples", str(i))
        if not isinstance(s, dict) or set(s) != {"x", "y"}:
            raise hw.error(f"sample {i + 1} needs exactly x = [...] and y = [...]", line=line)
        x, y = s["x"], s["y"]
        for what, v, n in (("x", x, nin), ("y", y, nout)):
            if not isinstance(v, list) or len(v) != n:
                got = str(len(v)) if isinstance(v, list) else _show(v)
                raise hw.error(f"sample {i + 1}: {what} needs {n} numbers; got {got}", line=line)
        xs = [_number(hw, v, f"sample {i + 1} x", ("samples",)) for v in x]
        ys = [_number(hw, v, f"sample {i + 1} y", ("samples",)) for v in y]
        out.append((xs, ys))
    return out

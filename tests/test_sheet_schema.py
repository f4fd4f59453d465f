"""The sheet format declared once: the loader reads through it, the JSON Schema is made from it,
and the two agree on every shipped sheet and on sheets changed key by key from them."""

from __future__ import annotations

import copy
import dataclasses
import json
import math
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import tomllib
from hypothesis import given
from hypothesis import strategies as st
from tracegrad.nn.losses import LOSSES

from tracegrad import examples
from tracegrad.checker import HomeworkError, load
from tracegrad.checker.reading.sheet_jsonschema import SCHEMA_FILE, json_schema, schema_text
from tracegrad.checker.reading.sheet_schema import SHEET, Key, Table, TableArray, loss_names
from tracegrad.checker.reading.sheet_values import Choice, Number, Text, Whole
from tracegrad.cli import main
from tracegrad.kit.template import _plain, load_template

ROOT = Path(__file__).resolve().parent.parent
SHEETS = sorted(
    p
    for p in [*(ROOT / "examples").glob("*.toml"), *(ROOT / "tests" / "sheets").glob("*.toml")]
    if not p.stem.endswith("_template")
)
TEMPLATES = sorted((ROOT / "examples").glob("*_template.toml"))
VALIDATOR = jsonschema.Draft7Validator(json_schema())


def _valid(data: Any) -> bool:
    return VALIDATOR.is_valid(data)


def _refusal(data: dict[str, Any]) -> str:
    """The loader's one located line for the parsed sheet, '' when it takes it."""
    try:
        load(data, answers=False)
    except HomeworkError as exc:
        msg = str(exc)
        assert "\n" not in msg and msg.startswith("<dict>"), msg
        return msg
    return ""


def _accepted(data: dict[str, Any]) -> bool:
    return not _refusal(data)


# ---------------------------------------------------------------- the published schema
def test_the_shipped_schema_is_what_the_declaration_makes() -> None:
    shipped = ROOT / "examples" / SCHEMA_FILE
    assert shipped.read_text(encoding="utf-8") == schema_text(), (
        "examples/homework.schema.json is stale: run `tracegrad schema -o "
        "examples/homework.schema.json`"
    )
    assert shipped == examples.FOLDER / examples.SCHEMA  # the package's copy (package data)
    jsonschema.Draft7Validator.check_schema(json.loads(shipped.read_text(encoding="utf-8")))


def test_pyproject_ships_the_schema_as_package_data() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    data = project["tool"]["setuptools"]["package-data"]["tracegrad.examples"]
    assert SCHEMA_FILE in data


def test_every_declared_key_is_described_in_the_schema() -> None:
    props = json_schema()["properties"]
    for key in SHEET.keys:
        assert props[key.name]["description"] == key.about
    network = props["network"]["properties"]
    assert network["activation"]["default"] == "sigmoid"
    assert props["training"]["properties"]["steps"] == {
        "type": "integer",
        "minimum": 1,
        "maximum": 1000,
        "description": "How many training steps the answers cover.",
        "default": 1,
    }


def test_the_schema_takes_its_losses_from_the_registry() -> None:
    enum = json_schema()["properties"]["training"]["properties"]["loss"]["enum"]
    with_term = [s for s in LOSSES.values() if s.term]
    assert enum == sorted(loss_names())
    for spec in with_term:
        assert spec.name in enum and all(a in enum for a in spec.aliases)
    assert not [s.name for s in LOSSES.values() if not s.term and s.name in enum]


def test_tracegrad_schema_prints_it(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    assert main(["schema"]) == 0
    assert capsys.readouterr().out == schema_text()
    out = tmp_path / "sheet.schema.json"
    assert main(["schema", "-o", str(out)]) == 0
    assert out.read_text(encoding="utf-8") == schema_text()
    assert capsys.readouterr().out.startswith("wrote ")
    assert main(["schema", "-o", str(tmp_path / "no" / "such" / "x.json")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("tracegrad schema: error: -o ") and err.count("\n") == 1


# ---------------------------------------------------------------- shipped sheets
@pytest.mark.parametrize("path", SHEETS, ids=lambda p: p.name)
def test_every_shipped_sheet_is_valid_and_names_the_schema(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    data = tomllib.loads(text)
    errors = [e.message for e in VALIDATOR.iter_errors(data)]
    assert not errors, errors
    load(path)  # the loader takes it, the directive line included
    first = text.splitlines()[0]
    assert first.startswith("#:schema ")
    target = (path.parent / first.split(maxsplit=1)[1]).resolve()
    assert target == (ROOT / "examples" / SCHEMA_FILE).resolve()


@pytest.mark.parametrize("path", TEMPLATES, ids=lambda p: p.name)
def test_a_templates_draws_are_valid_sheets(path: Path) -> None:
    template = load_template(path)
    for attempt in range(3):
        sheet = _plain(template.draw(b"schema", attempt))
        errors = [e.message for e in VALIDATOR.iter_errors(sheet)]
        assert not errors, errors


def test_the_schema_refuses_what_the_loader_refuses_by_kind() -> None:
    sheet = tomllib.loads((ROOT / "examples" / "seed_article.toml").read_text(encoding="utf-8"))
    both = {**sheet, "variables": {"x": 1}, "expressions": {"f": "x"}}
    assert not _valid(both) and not _accepted(both)
    neither = {"title": "t", "answers": {"f": 1}}
    assert not _valid(neither) and not _accepted(neither)
    template = {**sheet, "template": {"find": ["h1"]}}
    assert not _valid(template) and not _accepted(template)
    expr = tomllib.loads((ROOT / "examples" / "expression.toml").read_text(encoding="utf-8"))
    steps = {**expr, "answers": {"step2": {"f": 1.0}}}
    assert not _valid(steps) and not _accepted(steps)
    assert _valid({**expr, "answers": {"step2": 1.0}}) and _accepted(
        {**expr, "answers": {"step2": 1.0}}
    )


def _changed(base: str, path: tuple[Any, ...], value: Any) -> dict[str, Any]:
    sheet = copy.deepcopy(BASES[base])
    assert _set(sheet, path, value)
    return sheet


# Bad sheets, each refused by the loader in one line: what a schema can say of them (their keys,
# types and ranges) and what only the loader can (shapes against sizes, names, formulas).
BAD_SHEETS = {
    "unknown top field": (("network", ("foo",), 1), True),
    "misspelt network field": (("network", ("network", "actvation"), "tanh"), True),
    "missing weights": (("network", ("network", "weights"), None), True),
    "sizes of one layer": (("network", ("network", "sizes"), [2]), True),
    "unknown activation": (("network", ("network", "activation"), "softplus"), True),
    "unknown loss": (("network", ("training", "loss"), "hinge2"), True),
    "steps of 0": (("network", ("training", "steps"), 0), True),
    "answer not a number": (("network", ("answers", "h1"), "abc"), True),
    "negative tolerance": (("network", ("answers", "h1"), {"value": 0.5, "tolerance": -1}), True),
    "step tables in an expression sheet": (("expression", ("answers", "step2"), {"f": 1}), True),
    "a variable that is no plain name": (("expression", ("variables", "x y"), 1), True),
    "weights of the wrong shape": (("network", ("network", "weights"), [[[0.1]]]), False),
    "a name used twice": (("network", ("network", "inputs"), ["h1", "x2"]), False),
    "an expression outside the grammar": (("expression", ("expressions", "f"), "x.real"), False),
    "an expression using a later one": (("expression", ("expressions", "f"), "x + zz"), False),
    "a sample of the wrong length": (("network", ("samples", 0, "y"), [0.5]), False),
    "frozen names no parameter": (("network", ("training", "frozen"), ["w99"]), False),
}  # fmt: skip


@pytest.mark.parametrize("case", list(BAD_SHEETS))
def test_the_schema_says_what_a_schema_can(case: str) -> None:
    (base, path, value), schema_catches = BAD_SHEETS[case]
    sheet = _changed(base, path, value)
    assert not _accepted(sheet)
    assert _valid(sheet) is not schema_catches


# ---------------------------------------------------------------- sheets made from the declaration
def _declared(table: Table, path: tuple[Any, ...]) -> list[tuple[tuple[Any, ...], Key]]:
    """Every declared key's path, samples as the first [[samples]] table."""
    out = []
    for key in table.keys:
        here = (*path, key.name)
        out.append((here, key))
        if isinstance(key.type, Table) and key.type.keys:
            out += _declared(key.type, here)
        elif isinstance(key.type, TableArray):
            out += _declared(key.type.table, (*here, 0))
    return out


DECLARED = _declared(SHEET, ())
BASES = {
    kind: tomllib.loads((ROOT / "examples" / f"{name}.toml").read_text(encoding="utf-8"))
    for kind, name in (("expression", "expression"), ("network", "seed_article"))
}
BASES["network_mazur"] = tomllib.loads((ROOT / "examples/mazur.toml").read_text("utf-8"))

scalars = st.one_of(
    st.booleans(),
    st.integers(-5, 2000),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=6),
    st.sampled_from(["sigmoid", "tanh", "mse", "bce", "half_sse", "0.25", "x1", "w5", "h 1"]),
)
values = st.one_of(
    scalars,
    st.lists(scalars, max_size=3),
    st.lists(st.lists(st.floats(-2, 2), max_size=3), max_size=3),
    st.dictionaries(st.sampled_from(["value", "tolerance", "x", "y", "between"]), scalars,
                    max_size=2),
)  # fmt: skip


def _set(data: Any, path: tuple[Any, ...], value: Any) -> bool:
    """Put ``value`` at ``path`` (None: remove it); False when the path is not in ``data``."""
    for p in path[:-1]:
        if isinstance(data, dict) and p in data or isinstance(data, list) and p < len(data):
            data = data[p]
        else:
            return False
    if not isinstance(data, dict):
        return False
    if value is None:
        data.pop(path[-1], None)
    else:
        data[path[-1]] = value
    return True


@given(
    base=st.sampled_from(sorted(BASES)),
    target=st.sampled_from(DECLARED),
    value=st.one_of(st.none(), values),
    unknown=st.booleans(),
)
def test_a_sheet_the_schema_refuses_the_loader_refuses(
    base: str, target: tuple[tuple[Any, ...], Key], value: Any, unknown: bool
) -> None:
    """Any declared key removed, or set to any value, or an unknown key beside it: when the
    schema refuses the sheet, the loader refuses it too, in one line naming where."""
    sheet = copy.deepcopy(BASES[base])
    path, _ = target
    if not _set(sheet, path, value):
        return
    if unknown:
        _set(sheet, (*path[:-1], "not_a_key"), 1)
    if _accepted(sheet):
        assert _valid(sheet), [e.message for e in VALIDATOR.iter_errors(sheet)]


EXACT = [(p, k) for p, k in DECLARED if isinstance(k.type, (Number, Whole, Text, Choice))]


@given(base=st.sampled_from(sorted(BASES)), target=st.sampled_from(EXACT), value=scalars)
def test_for_a_single_value_the_schema_and_the_loader_agree(
    base: str, target: tuple[tuple[Any, ...], Key], value: Any
) -> None:
    """A key the schema can say all about (a number, a whole number in a range, a string, one
    of a list): the loader takes exactly the values the schema allows. Beyond what JSON Schema
    can say: nan (it compares with nothing), 3.0 as a whole number (JSON has one number) and
    the limits, which an environment variable may raise."""
    sheet = copy.deepcopy(BASES[base])
    path, key = target
    if not _set(sheet, path, value):
        return
    if isinstance(value, float) and math.isnan(value):
        return
    if isinstance(key.type, Whole) and isinstance(value, float) and value.is_integer():
        return
    refusal = _refusal(sheet)
    if refusal and "(set TRACEGRAD_MAX_" in refusal:
        return  # a limit (steps x samples x parameters): the environment's, not the format's
    assert (refusal == "") == _valid(sheet), (path, value, refusal)


# ---------------------------------------------------------------- a loss's rule for the targets
@dataclasses.dataclass(frozen=True)
class _Bounded:
    """A loss as the registry writes one that a network sheet accepts (a term) with a rule for
    its targets (``targets``, ``target_problem``)."""

    name: str
    targets: str
    term: str = "L({y}, {o})"

    @property
    def aliases(self) -> tuple[str, ...]:
        return (f"{self.name}_loss",)

    def formula(self, outputs: list[str], targets: list[str]) -> str:
        return " + ".join(f"L({t}, {o})" for o, t in zip(outputs, targets))

    def target_problem(self, targets: list[list[float]], act: str) -> tuple[int, str] | None:
        for i, ys in enumerate(targets):
            if any(not 0 <= y <= 1 for y in ys):
                return i, f"sample {i + 1}: {self.name} wants 0 to 1 ({act} outputs)"
        return None


def _network(loss: str, ys: list[float]) -> dict[str, Any]:
    sheet = copy.deepcopy(BASES["network"])
    sheet["training"]["loss"] = loss
    sheet["samples"][0]["y"] = ys
    return sheet


def test_the_loader_calls_the_losss_own_rule_for_its_targets(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(LOSSES, "bce", _Bounded("bce", "probability"))
    for spelled in ("bce", "bce_loss"):
        with pytest.raises(HomeworkError) as exc:
            load(_network(spelled, [7, 0]), answers=False)
        assert str(exc.value) == "<dict>: sample 1: bce wants 0 to 1 (sigmoid outputs)"
        assert load(_network(spelled, [1, 0.25]), answers=False).spec.loss == "bce"  # type: ignore[union-attr]
    text = (ROOT / "examples" / "seed_article.toml").read_text(encoding="utf-8")
    text = text.replace('loss = "half_sse"', 'loss = "bce"').replace(
        "y = [0.9, 0.1]", "y = [0.9, 2]"
    )
    path = tmp_path / "bce.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(HomeworkError) as exc:
        load(path)
    line = text.splitlines().index("y = [0.9, 2]") + 1  # the targets of the sample it names
    assert str(exc.value) == f"{path}:{line}: sample 1: bce wants 0 to 1 (sigmoid outputs)"


@pytest.mark.parametrize("targets", ["probability", "distribution"])
def test_the_schema_bounds_the_targets_of_such_a_loss(
    monkeypatch: pytest.MonkeyPatch, targets: str
) -> None:
    monkeypatch.setitem(LOSSES, "cross_entropy", _Bounded("cross_entropy", targets))
    validator = jsonschema.Draft7Validator(json_schema())
    for spelled in ("cross_entropy", "cross_entropy_loss"):
        assert not validator.is_valid(_network(spelled, [1.5, -0.5]))
        assert validator.is_valid(_network(spelled, [0.0, 1.0]))
        assert validator.is_valid(_network("mse", [1.5, -0.5]))  # another loss: any target


def test_copied_sheets_still_find_their_schema(tmp_path: Path) -> None:
    assert main(["examples", "--copy", str(tmp_path)]) == 0
    assert (tmp_path / SCHEMA_FILE).read_text(encoding="utf-8") == schema_text()
    for name in examples.names():
        if examples.is_template(name):  # in templates/, and with no #:schema line
            continue
        first = (tmp_path / f"{name}.toml").read_text(encoding="utf-8").splitlines()[0]
        assert first == f"#:schema ./{SCHEMA_FILE}"


def test_a_key_in_the_second_sample_is_named_at_its_own_line(tmp_path: Path) -> None:
    text = (ROOT / "examples" / "seed_article.toml").read_text(encoding="utf-8")
    text = text.replace("[training]", '[[samples]]\nx = [0.1, 0.2]\ny = [0.5, "a"]\n\n[training]')
    path = tmp_path / "two.toml"
    path.write_text(text, encoding="utf-8")
    line = text.splitlines().index('y = [0.5, "a"]') + 1
    with pytest.raises(HomeworkError) as exc:
        load(path)
    assert str(exc.value) == f"{path}:{line}: sample 2: y entry must be a number, got 'a'"

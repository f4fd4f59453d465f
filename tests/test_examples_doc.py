"""examples/README.md, where `tracegrad examples` and the README point: the network-sheet
format written as prose (every key the loader knows, what happens when it is left out), its
example sheet checked, and Mazur's sheet with shared and frozen parameters shipped."""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import Any

import pytest
from mdblocks import fenced_blocks

from tracegrad import examples
from tracegrad.checker import HomeworkError, check, load, solve
from tracegrad.checker.reading.sheet_schema import NETWORK, TRAINING

_NETWORK_KEYS = {k.name for k in NETWORK.keys}  # the declared format (sheet_schema.py)
_TRAINING_KEYS = {k.name for k in TRAINING.keys}

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

DOC = (Path(examples.__file__).parent / "README.md").read_text(encoding="utf-8")
NETWORK = DOC[DOC.index("## Network homework") : DOC.index("## Expression homework")]


def _rows(section: str) -> dict[str, str]:
    """key -> its 'If left out' cell, from the table under **`[section]`**."""
    part = NETWORK[NETWORK.index(f"**`[{section}]`**") :]
    table = part[: part.index("\n\n", part.index("| Key"))]
    return {
        m.group(1): row.rsplit("|", 2)[-2].strip()
        for row in table.splitlines()
        if (m := re.match(r"\| `(\w+)` \|", row))
    }


def _sheet() -> dict[str, Any]:
    (block,) = [b for b in fenced_blocks(NETWORK) if b.lang == "toml"]
    return tomllib.loads(block.text)


def test_every_key_the_loader_knows_is_described() -> None:
    assert set(_rows("network")) == _NETWORK_KEYS
    assert set(_rows("training")) == _TRAINING_KEYS


def test_the_format_is_prose_not_commented_out_options() -> None:
    for block in fenced_blocks(NETWORK):
        assert not re.search(r"^\s*#\s*\w+\s*=", block.text, re.M), block.text


def test_the_example_sheet_is_checked_right() -> None:
    report = check(_sheet())
    assert report.ok and {m.label for m in report.marks} == {"h1", "dE/dw5", "w5_new"}


@pytest.mark.parametrize(("section", "key"), [
    *(("network", k) for k in sorted(_NETWORK_KEYS)),
    *(("training", k) for k in sorted(_TRAINING_KEYS)),
])  # fmt: skip
def test_what_the_doc_says_when_a_key_is_left_out(section: str, key: str) -> None:
    data = _sheet()
    data[section].pop(key, None)
    said = _rows(section)[key]
    if said == "required":
        with pytest.raises(HomeworkError):
            load(data)
        return
    left_out = solve(data).text()
    word, number = re.fullmatch(r"`(\w+)`", said), re.fullmatch(r"[\d.]+", said)
    default = word.group(1) if word else tomllib.loads(f"v = {said}")["v"] if number else None
    if default is not None:  # the default the doc names is the one the loader takes
        data[section][key] = default
        assert solve(data).text() == left_out


def test_mazur_ships_with_shared_and_frozen_parameters() -> None:
    path = examples.path("mazur")
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    names = data["network"]["bias_names"]
    assert len(set(names)) < len(names)  # shared
    assert set(data["training"]["frozen"]) == set(names)  # frozen
    assert check(path).ok
    assert "[mazur.toml](mazur.toml)" in NETWORK
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    assert "examples/mazur.toml" in readme and "tests/sheets/mazur.toml" not in readme

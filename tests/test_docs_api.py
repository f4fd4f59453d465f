"""The reference has an entry for every public name and every command.

An entry is a mkdocstrings directive (``::: tracegrad.autograd.Value``) on a page of
docs/reference/; the site's strict build renders it from the docstring and fails when its target
does not exist. A public name is one in the ``__all__`` of ``tracegrad``, ``tracegrad.autograd``
or ``tracegrad.nn``: it has an entry of its own, or it is the very object another entry
documents (``tracegrad.Value`` is ``tracegrad.autograd.Value``), and then the page of
``tracegrad`` lists it. A command is one of ``tracegrad``'s subcommands: docs/reference/cli.md
has a section ``## tracegrad NAME`` with the marker ``<!-- tracegrad:cli NAME -->``, which the
site's hook (docs/hooks.py) replaces with the command's ``--help``.
"""

from __future__ import annotations

import importlib
import importlib.util
import re
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
REFERENCE = ROOT / "docs" / "reference"
PUBLIC = ["tracegrad", "tracegrad.autograd", "tracegrad.nn"]


def _docs_module(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"docs_{name}", ROOT / "docs" / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


HOOKS = _docs_module("hooks")


def entries() -> list[str]:
    """Every ``::: dotted.name`` of the reference pages."""
    text = "\n".join(p.read_text(encoding="utf-8") for p in sorted(REFERENCE.glob("*.md")))
    return re.findall(r"^::: ([\w.]+)", text, flags=re.M)


def resolve(dotted: str) -> Any:
    """The object a dotted name means, as the reference reads it: an attribute of the module
    where there is one (``tracegrad.autograd.gradcheck`` is the function, not the submodule of
    that name), else the submodule."""
    first, *rest = dotted.split(".")
    obj: Any = importlib.import_module(first)
    path = first
    for part in rest:
        path = f"{path}.{part}"
        obj = getattr(obj, part) if hasattr(obj, part) else importlib.import_module(path)
    return obj


def missing_entries(documented: list[str], modules: list[str]) -> list[str]:
    """The public names of ``modules`` that none of the ``documented`` entries covers."""
    objects = [resolve(d) for d in documented]
    missing = []
    for module_name in modules:
        module = importlib.import_module(module_name)
        for name in module.__all__:
            dotted = f"{module_name}.{name}"
            obj = getattr(module, name)
            if dotted not in documented and not any(o is obj for o in objects):
                missing.append(dotted)
    return missing


def test_every_entry_names_an_object() -> None:
    assert len(entries()) > 60
    for dotted in entries():
        resolve(dotted)  # raises for a name that does not exist


def test_every_public_name_has_a_reference_entry() -> None:
    missing = missing_entries(entries(), PUBLIC)
    assert not missing, f"add `::: NAME` entries in docs/reference/ for {missing}"


def test_a_missing_entry_is_found() -> None:
    left_out = ("tracegrad.nn.hinge", "tracegrad.autograd.OPS")
    documented = [d for d in entries() if d not in left_out]
    assert missing_entries(documented, PUBLIC) == ["tracegrad.autograd.OPS", "tracegrad.nn.hinge"]
    # tracegrad.Value is covered by tracegrad.autograd.Value, the same object
    assert "tracegrad.Value" not in missing_entries(entries(), ["tracegrad"])
    without = [d for d in entries() if d != "tracegrad.autograd.Value"]
    assert missing_entries(without, ["tracegrad"]) == ["tracegrad.Value"]


def test_the_top_level_page_lists_every_name() -> None:
    import tracegrad

    page = (REFERENCE / "tracegrad.md").read_text(encoding="utf-8")
    unlisted = [n for n in tracegrad.__all__ if f"`tracegrad.{n}`" not in page]
    assert not unlisted, f"docs/reference/tracegrad.md's table should list {unlisted}"


# ---------------------------------------------------------------- the command line
def _cli_page() -> str:
    return (REFERENCE / "cli.md").read_text(encoding="utf-8")


def test_every_command_has_a_reference_entry() -> None:
    commands = list(HOOKS.subcommands())
    assert len(commands) >= 9
    sections = re.findall(r"^## tracegrad ([\w-]+)\n(.*?)(?=^## |\Z)", _cli_page(), re.M | re.S)
    marked = {name: f"<!-- tracegrad:cli {name} -->" in body for name, body in sections}
    missing = [c for c in commands if not marked.get(c)]
    assert not missing, (
        f"docs/reference/cli.md needs `## tracegrad NAME` and `<!-- tracegrad:cli NAME -->` "
        f"for {missing}"
    )
    assert sorted(marked) == sorted(commands), "a section of cli.md names no command"


def test_the_marker_becomes_the_commands_help() -> None:
    parser = HOOKS.subcommands()["draw"]
    page = HOOKS.expand("## tracegrad draw\n\n<!-- tracegrad:cli draw -->\n")
    assert "<!--" not in page
    assert "usage: tracegrad draw" in page
    for action in parser._actions:
        for option in action.option_strings:
            assert option in page
    with pytest.raises(LookupError, match="no such command"):
        HOOKS.expand("<!-- tracegrad:cli no-such-command -->")


def test_the_ops_table_is_the_table() -> None:
    from tracegrad.autograd import OPS

    table = HOOKS.ops_table().splitlines()
    assert len(table) == 2 + len(OPS)
    for op, row in zip(OPS.values(), table[2:]):
        assert row.startswith(f"| `{op.name}` `{op.symbol}` | `{op.template}` |")
        cells = row.split(" | ")
        for i in range(op.arity):
            assert cells[2 + i] == f"`{op.partial_text(i, ('a', 'b'))}`"
        if op.method:
            assert f"`Value.{op.method}`" in row
    assert "<!-- tracegrad:ops -->" in (REFERENCE / "ops.md").read_text(encoding="utf-8")


def test_docstring_sessions_render_as_code() -> None:
    """A docstring's >>> session becomes a fenced block (Markdown would quote it three deep)."""
    fence = _docs_module("doctest_fences").fence_sessions
    doc = "A Value.\n\n>>> a = Value(2.0)\n>>> a.data\n2.0\n\nThe number."
    assert (
        fence(doc)
        == "A Value.\n\n```pycon\n>>> a = Value(2.0)\n>>> a.data\n2.0\n```\n\nThe number."
    )
    assert fence("    >>> 1\n    1") == "    ```pycon\n    >>> 1\n    1\n    ```"
    assert fence("no session") == "no session"

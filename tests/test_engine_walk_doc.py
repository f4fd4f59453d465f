"""docs/engine-walk.md quotes the plain walk (``reverse_walk`` and its ``step``): the quotes must
be the code as it stands."""

from __future__ import annotations

import inspect
from pathlib import Path

from mdblocks import fenced_blocks
from tracegrad.autograd import graph

PAGE = Path(__file__).resolve().parents[1] / "docs" / "engine-walk.md"


def test_the_page_quotes_reverse_walk_as_it_stands() -> None:
    text = PAGE.read_text(encoding="utf-8")
    blocks = [b for b in fenced_blocks(text) if b.lang == "python"]
    assert blocks, "docs/engine-walk.md has no python block"
    assert blocks[0].text.strip() == inspect.getsource(graph.reverse_walk).strip()
    assert blocks[1].text.strip() == inspect.getsource(graph.step).strip()


def test_the_line_it_quotes_from_backward_is_in_backward() -> None:
    text = PAGE.read_text(encoding="utf-8")
    quoted = "for _ in reverse_walk(prepare(root, grad, constants=False), GradSlots()): pass"
    assert quoted in text.replace("\n", " ")
    source = " ".join(inspect.getsource(graph.backward).split())
    assert quoted in source


def _calls(fn: object) -> set[str]:
    """The dotted names ``fn``'s body calls (``graph.backward``, ``reverse_walk``...)."""
    import ast

    tree = ast.parse(inspect.getsource(fn).strip())  # type: ignore[arg-type]
    return {ast.unparse(n.func) for n in ast.walk(tree) if isinstance(n, ast.Call)}


def test_value_backward_reaches_the_chain_rule_in_two_hops() -> None:
    """Value.backward -> graph.backward -> reverse_walk (or its accelerator), as the page says."""
    from tracegrad.autograd import Value

    assert "graph.backward" in _calls(Value.backward)
    hop = _calls(graph.backward)
    assert {"reverse_walk", "_accelerated"} <= hop
    assert "step" in _calls(graph.reverse_walk)
    text = PAGE.read_text(encoding="utf-8")
    assert "`Value.backward()` calls `graph.backward`" in text

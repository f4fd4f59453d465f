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

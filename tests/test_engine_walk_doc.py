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


ARCHITECTURE = PAGE.parent / "architecture.md"


def test_the_architecture_page_says_what_the_walk_does() -> None:
    """Each claim of "The backward pass and its accelerator" checked against the code:
    one hop, written once (the accelerator calls graph.step), the same bits (g * -1.0, never
    -g), source in linecache, the switch at run time, the batched versions tested."""
    import linecache
    import re

    from tracegrad.autograd import Value, fastwalk

    text = " ".join(ARCHITECTURE.read_text(encoding="utf-8").split())
    section = text[text.index("## The backward pass and its accelerator") :]
    section = section[: section.index("The math namespace")]
    # one hop
    assert "`Value.backward` calls `graph.backward`" in section
    assert "graph.backward" in _calls(Value.backward)
    # written once: the accelerator's generic branch is graph.step itself
    assert "takes `graph.step` itself" in section
    assert "_step(node, g, _slots)" in fastwalk.BACKWARD_SOURCE
    assert graph._accelerated.__globals__["_step"] is graph.step
    # the same bits: no negation of g in the generated loop
    assert "the loop writes `g * -1.0`, never `-g`" in section
    assert not re.search(r"\+= -g\b", fastwalk.BACKWARD_SOURCE)
    # source a debugger can show
    assert "`linecache`" in section and "`fastwalk.GENERATED_FILE`" in section
    assert linecache.getlines(fastwalk.GENERATED_FILE) == fastwalk.BACKWARD_SOURCE.splitlines(
        keepends=True
    )
    # the switch, at import and at run time
    assert "`graph.set_plain(True)`" in section and callable(graph.set_plain)
    # the batched versions, and where they are checked
    for name in (
        "`_backward`",
        "`Schedule.run`",
        "`tests/test_tape.py`",
        "`tests/test_fastwalk.py`",
    ):
        assert name in section
    assert "no slot of its own" in section and "_mark" not in Value.__slots__

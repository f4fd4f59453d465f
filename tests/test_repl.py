"""At a REPL: what a learner sees after each call says what happened, and nothing else.

``backward_steps(y)`` says what it is and that iterating it runs the pass; ``step_through(y)``
leaves no stray value behind; tab completion on ``tracegrad.`` offers the public names, not the
helpers the package imports; the first drawing says, once and only on a terminal, that the
embedded Graphviz is being compiled.
"""

from __future__ import annotations

import io
from typing import Any

import pytest
from tracegrad.autograd import Value, backward_steps, step_through
from tracegrad.autograd.drawing import module_cache

import tracegrad


def _y() -> Value:
    a, b = Value(2.0, label="a"), Value(-3.0, label="b")
    y = (a * b).tanh()
    y.label = "y"
    return y


def test_backward_steps_says_what_it_is_and_that_iterating_runs_the_pass() -> None:
    y = _y()
    steps = backward_steps(y)
    text = repr(steps)
    assert "generator" not in text
    assert text.startswith("<the backward pass of y, 2 steps, none run yet.")
    assert "Iterating it runs the pass" in text and "y.backward()" in text
    next(steps)
    assert "1 run, the grads are part-way" in repr(steps)
    list(steps)
    assert "run to the end" in repr(steps)
    assert y.parents[0].grad != 0.0  # iterating ran the real pass


def test_step_through_leaves_no_value_at_the_prompt() -> None:
    out = io.StringIO()
    assert step_through(_y(), read=lambda prompt: "", file=out) is None
    assert "done: every grad is final" in out.getvalue()


def test_tab_completion_offers_the_public_names_only() -> None:
    names = dir(tracegrad)
    for helper in ("os", "importlib", "TYPE_CHECKING", "annotations"):
        assert helper not in names
    assert set(tracegrad.__all__) <= set(names)
    assert "__version__" in names and "Value" in names and "practice" in names


class _Terminal(io.StringIO):
    def __init__(self, tty: bool) -> None:
        super().__init__()
        self.tty = tty

    def isatty(self) -> bool:
        return self.tty


@pytest.mark.parametrize("tty", [True, False])
def test_compiling_graphviz_is_said_once_on_a_terminal(
    tty: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    import wasmtime  # the plot extra, which make test installs

    err = _Terminal(tty)
    monkeypatch.setattr("sys.stderr", err)
    monkeypatch.setattr(module_cache, "_said", False)
    compiled: list[Any] = []
    monkeypatch.setattr(wasmtime, "Module", lambda engine, wasm: compiled.append(wasm) or wasm)
    module_cache._compile(None, b"one")
    module_cache._compile(None, b"two")
    assert compiled == [b"one", b"two"]
    lines = err.getvalue().splitlines()
    if tty:
        assert lines == [
            "tracegrad: compiling the embedded Graphviz for the first drawing (a few seconds, once)"
        ]
    else:
        assert lines == []

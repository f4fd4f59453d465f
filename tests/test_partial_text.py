"""Each row's derivative text is the derivative the engine computes (see tests/textproof.py).

A learner reads ``partial_text`` in ``explain``, ``backward_steps``, ``help()`` and the
checker's derivations; a wrong text (``cos``'s written as ``sin(a)``) fails here.
"""

from __future__ import annotations

import dataclasses

import pytest
from textproof import prove_text
from tracegrad.autograd.ops import OPS


@pytest.mark.parametrize("name", list(OPS))
def test_the_text_of_every_row_is_its_computed_partial(name: str) -> None:
    assert prove_text(OPS[name]) == []


@pytest.mark.parametrize(
    ("name", "texts"),
    [("cos", ("sin(a)",)), ("sqrt", ("1/sqrt(a)",)), ("div", ("1 / b", "-a / b"))],
)
def test_a_wrong_text_is_caught(name: str, texts: tuple[str, ...]) -> None:
    wrong = dataclasses.replace(OPS[name], partials_text=texts)
    assert prove_text(wrong)

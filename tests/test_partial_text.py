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


def test_every_row_reads_alone_with_named_fields() -> None:
    """A row of ``_TABLE`` names each field (no positional argument), its partials written
    beside their text, and pow's rule b * a**(b - 1) stated in its row."""
    import ast
    import inspect

    from tracegrad.autograd import ops

    source = inspect.getsource(ops)
    table = source[source.index("_TABLE: list[Op] = [") : source.index("]  # fmt: skip")]
    rows = [n for n in ast.walk(ast.parse(table + "]")) if isinstance(n, ast.Call)]
    rows = [r for r in rows if isinstance(r.func, ast.Name) and r.func.id == "Op"]
    assert len(rows) == len(ops.OPS)
    for row in rows:
        assert not row.args, f"line {row.lineno}: give every field of a row by name"
        names = [k.arg for k in row.keywords]
        assert names[:6] == ["name", "symbol", "template", "arity", "forward", "partials"]
        assert names[6] == "partials_text"  # the text right beside the code it describes
    pow_row = table[table.index('Op(name="pow"') : table.index('Op(name="powc"')]
    assert "b * a**(b - 1)" in pow_row.split("partials=")[0]  # the rule, said before the code

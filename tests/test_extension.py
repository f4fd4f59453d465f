"""Adding an op is one table row plus a Value method: a new row, ``atan``, is picked up everywhere.

The row is added to the one table (``tracegrad.autograd.OPS``) for the length of a test and
removed after it; ``Value.atan`` is the one method a contributor writes. Nothing else changes,
and arithmetic, parsing, drawing, explain, the backward table and steps, the compiled tape,
higher-order derivatives and ``nn`` activations all pick it up. CONTRIBUTING.md's checklist for
an op rests on this test.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Iterator

import numpy as np
import pytest
from tracegrad.autograd import (
    OPS,
    Value,
    backward_steps,
    backward_table,
    compile,
    draw,
    evaluate,
    explain,
    grad,
    nth_derivative,
)
from tracegrad.autograd.ops import Op
from tracegrad.autograd.parse import ExpressionError, functions
from tracegrad.autograd.value import apply
from tracegrad.nn import Neuron

# The one row: written against the math namespace `m` with arithmetic and m.div only, so the
# same partial runs on floats, on Values (higher order) and on numpy arrays (the tape).
ATAN = Op(
    name="atan", symbol="atan", template="atan(a)", arity=1,
    forward=math.atan,
    partials=lambda m, out, a: (m.div(1.0, 1.0 + a * a),),
    partials_text=("1 / (1 + a**2)",),
    method="atan",
    array=lambda np, a: np.arctan(a),
)  # fmt: skip


def _atan(self: Value) -> Value:
    """The Value method a contributor adds next to the others in value.py."""
    return apply(OPS["atan"], self)


@pytest.fixture
def atan(monkeypatch: pytest.MonkeyPatch) -> Iterator[Op]:
    monkeypatch.setitem(OPS, "atan", ATAN)
    monkeypatch.setattr(Value, "atan", _atan, raising=False)
    yield ATAN


def datan(x: float) -> float:
    return 1.0 / (1.0 + x * x)


def test_the_row_is_not_there_without_the_fixture() -> None:
    """The fixture's op must not be a real one: once atan is added for real, give this file's
    example row another name (CONTRIBUTING.md, "Adding an operation")."""
    assert "atan" not in OPS and not hasattr(Value, "atan"), (
        "atan is a real op now: tests/test_extension.py needs another made-up op for its row"
    )
    with pytest.raises(ExpressionError, match="call to 'atan' is not allowed"):
        evaluate("atan(x)", {"x": 1.0})


def test_arithmetic_and_backward(atan: Op) -> None:
    x, w = Value(0.5, label="x"), Value(-2.0, label="w")
    y = (x * w).atan() + x
    assert y.data == math.atan(-1.0) + 0.5
    y.backward()
    assert x.grad == pytest.approx(-2.0 * datan(-1.0) + 1.0, rel=1e-15)
    assert w.grad == pytest.approx(0.5 * datan(-1.0), rel=1e-15)


def test_parsing(atan: Op) -> None:
    assert functions()["atan"] is atan
    y = evaluate("atan(x * w) + x", {"x": 0.5, "w": -2.0})
    assert y.op == "add" and y.parents[0].op == "atan"
    assert y.data == math.atan(-1.0) + 0.5
    with pytest.raises(ExpressionError, match="allowed: .*atan"):
        evaluate("atan2(x)", {"x": 1.0})


def test_drawing(atan: Op) -> None:
    x = Value(0.5, label="x")
    y = x.atan()
    y.label = "y"
    drawing = draw(y)
    assert "label=atan" in drawing.source.replace(" ", "")
    svg = drawing.svg()  # the embedded Graphviz draws the op node with the row's symbol
    assert ">atan</text>" in svg


def test_explain_table_and_steps(atan: Op) -> None:
    x = Value(0.5, label="x")
    y = (x * 3.0).atan()
    y.label = "y"
    d = explain(y, wrt=x, expand=True)
    assert d.value == pytest.approx(3.0 * datan(1.5), rel=1e-15)
    assert "dy/dv1 = 1 / (1 + v1 ** 2) = " in str(d)
    row = backward_table(y).rows[0]
    assert row.op == "atan" and row.expression == "atan(v1)"
    assert row.partials[0][:2] == ("v1", "1 / (1 + v1 ** 2)")
    (first, _) = list(backward_steps(y))
    assert str(first).startswith("y = atan(v1)   dy/dv1 += dy/dy · (1 / (1 + v1 ** 2)) = ")


def test_compiled_tape(atan: Op) -> None:
    w = Value(2.0, label="w")
    f = compile(lambda a: (a * w).atan())
    xs = np.array([-1.0, 0.0, 0.25, 3.0])
    res = f.grad(xs)
    assert np.allclose(res.out, np.arctan(2.0 * xs), rtol=1e-15)
    assert np.allclose(res.input_grads[0], 2.0 / (1.0 + (2.0 * xs) ** 2), rtol=1e-15)
    assert res.leaf_grads[0] == pytest.approx(float(np.sum(xs / (1.0 + (2.0 * xs) ** 2))))


def test_higher_order(atan: Op) -> None:
    f = lambda x: x.atan()  # noqa: E731
    for x in (-1.5, 0.0, 0.7):
        assert grad(f)(x) == pytest.approx(datan(x), rel=1e-14)
        assert grad(grad(f))(x) == pytest.approx(-2 * x / (1 + x * x) ** 2, rel=1e-12, abs=1e-15)
        v = Value(x, label="x")
        third = nth_derivative(v.atan(), [v, v, v])
        assert third.data == pytest.approx((6 * x * x - 2) / (1 + x * x) ** 3, rel=1e-12)


def test_nn_activation(atan: Op) -> None:
    n = Neuron(2, activation="atan")
    n.w[0].data, n.w[1].data, n.b.data = 0.5, -1.0, 0.25
    out = n([1.0, 2.0])
    assert out.op == "atan" and out.data == pytest.approx(math.atan(0.5 - 2.0 + 0.25))


def test_the_rows_derivative_text_is_proven(atan: Op) -> None:
    from textproof import prove_text

    assert prove_text(atan) == []
    wrong = dataclasses.replace(atan, partials_text=("1 / (1 - a**2)",), array=None)
    assert prove_text(wrong)

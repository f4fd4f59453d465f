"""The public Value contract: data/grad/label/op/parents, operators, numpy, errors."""

from __future__ import annotations

import copy
import math
import pickle
import re
from fractions import Fraction

import numpy as np
import pytest
from tracegrad.autograd import OPS, Value, topo_order


def test_leaf_attributes() -> None:
    a = Value(2, label="a")
    assert type(a.data) is float and a.data == 2.0
    assert type(a.grad) is float and a.grad == 0.0
    assert a.label == "a" and a.op == "" and a.parents == ()


@pytest.mark.parametrize("raw", [3, np.float64(3.5), np.int64(4), np.float32(0.25), Fraction(1, 4)])
def test_data_is_normalised_to_python_float(raw: object) -> None:
    v = Value(raw)
    assert type(v.data) is float and v.data == float(raw)  # type: ignore[arg-type]


def test_result_records_op_and_parents_in_order() -> None:
    a, b = Value(2.0), Value(-3.0)
    c = a * b
    assert c.op == "mul" and c.parents == (a, b) and c.data == -6.0
    d = b - a
    assert d.op == "sub" and d.parents == (b, a)


@pytest.mark.parametrize(
    ("expr", "expected"),
    [
        (lambda a: a + 1, 3.0),
        (lambda a: 1 + a, 3.0),
        (lambda a: a - 5, -3.0),
        (lambda a: 5 - a, 3.0),
        (lambda a: a * 4, 8.0),
        (lambda a: 4 * a, 8.0),
        (lambda a: a / 4, 0.5),
        (lambda a: 4 / a, 2.0),
        (lambda a: a**3, 8.0),
        (lambda a: 3**a, 9.0),
        (lambda a: a ** Value(3.0), 8.0),
        (lambda a: -a, -2.0),
        (lambda a: +a, 2.0),
    ],
)
def test_operators_with_numbers_on_either_side(expr, expected: float) -> None:  # type: ignore[no-untyped-def]
    out = expr(Value(2.0))
    assert isinstance(out, Value) and out.data == expected and type(out.data) is float


@pytest.mark.parametrize("scalar", [np.float64(2.0), np.float32(2.0), np.int64(2)])
def test_numpy_scalars_on_either_side_give_a_value(scalar: object) -> None:
    a = Value(3.0)
    for out in (scalar * a, a * scalar, scalar + a, a - scalar, scalar - a, scalar / a, a**scalar):  # type: ignore[operator]
        assert type(out) is Value, type(out)
        assert type(out.data) is float
    out = scalar * a  # type: ignore[operator]
    out.backward()
    assert a.grad == 2.0 and type(a.grad) is float


def test_sum_of_values() -> None:
    xs = [Value(float(i)) for i in range(10)]
    s = sum(xs)
    assert isinstance(s, Value) and s.data == 45.0
    s.backward()
    assert all(x.grad == 1.0 for x in xs)


def test_every_unary_function_in_the_table_is_a_value_method() -> None:
    for op in OPS.values():
        if op.method:
            assert callable(getattr(Value, op.method)), op.name
            out = getattr(Value(0.5), op.method)()
            assert out.op == op.name and out.data == pytest.approx(op.forward(0.5))


def test_repr_is_readable() -> None:
    o1 = Value(0.71651, label="o1").sigmoid()
    o1.label = "o1"
    assert repr(Value(2.0, label="a")) == "Value(data=2.0000, grad=0.0000, label='a')"
    assert repr(o1).startswith("Value(data=0.6718, grad=0.0000, op='sigmoid', label='o1')")


def test_comparisons_use_data() -> None:
    a, b = Value(1.0), Value(2.0)
    assert a < b and b > a and a <= 1 and b >= 2.0
    assert max([a, b]) is b
    assert float(b) == 2.0


def test_values_hash_by_identity() -> None:
    a, b = Value(1.0), Value(1.0)
    assert len({a, b}) == 2


def test_nan_is_allowed_as_data() -> None:
    n = Value(math.nan)
    out = (n * 2).tanh()
    assert math.isnan(out.data)
    assert math.isnan(n.log().data)  # NaN passes through log's domain check


# ----------------------------------------------------------------------------- errors
@pytest.mark.parametrize("bad", ["abc", None, [1.0], {"a": 1}, 1 + 2j, np.array([1.0, 2.0])])
def test_value_of_a_non_number_is_a_type_error(bad: object) -> None:
    with pytest.raises(TypeError, match="real number"):
        Value(bad)


def test_value_of_a_value_is_a_type_error() -> None:
    with pytest.raises(TypeError, match="not a Value"):
        Value(Value(1.0))


def test_label_must_be_a_string() -> None:
    with pytest.raises(TypeError, match="label"):
        Value(1.0, label=3)  # type: ignore[arg-type]


def test_operand_of_wrong_type_is_a_type_error() -> None:
    with pytest.raises(TypeError, match="str"):
        Value(1.0) + "x"  # type: ignore[operator]
    with pytest.raises(TypeError, match="str"):
        "x" * Value(1.0)  # type: ignore[operator]


@pytest.mark.parametrize("x", [0.0, -1.0])
def test_log_outside_its_domain(x: float) -> None:
    with pytest.raises(ValueError, match=r"log\(x\) is undefined for x = " + re.escape(repr(x))):
        Value(x).log()


def test_sqrt_of_a_negative_number() -> None:
    with pytest.raises(ValueError, match=r"sqrt\(x\) is undefined for x = -4.0"):
        Value(-4).sqrt()


def test_zero_to_a_negative_power() -> None:
    with pytest.raises(ValueError, match=r"a \*\* b is undefined for a = 0.0, b = -1.0"):
        Value(0.0) ** -1
    with pytest.raises(ValueError, match="0 to a negative power"):
        Value(0.0) ** Value(-2.0)


def test_negative_base_to_a_non_integer_power() -> None:
    with pytest.raises(ValueError, match="not a real number"):
        Value(-8.0) ** (1 / 3)
    with pytest.raises(ValueError, match="not a real number"):
        (-2.0) ** Value(0.5)
    assert (Value(-2.0) ** 3).data == -8.0  # integer powers of negatives are fine


@pytest.mark.parametrize(
    "divide",
    [lambda: Value(1.0) / 0, lambda: 1.0 / Value(0), lambda: Value(3.0) / Value(0.0)],
)
def test_division_by_zero(divide) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ZeroDivisionError, match="division by zero"):
        divide()


def test_overflow_gives_inf_not_an_exception() -> None:
    assert Value(1000.0).exp().data == math.inf
    assert (Value(10.0) ** 400).data == math.inf
    assert Value(-1000.0).sigmoid().data == 0.0
    assert Value(1000.0).sigmoid().data == 1.0


# ---------------------------------------------------------------- hostile input (issue 14)
def test_huge_constant_exponent_keeps_the_sign_of_the_derivative() -> None:
    # 1e16 - 1 == 1e16 in floating point: a ** (b - 1) would give (-1) ** 1e16 = +1
    x = Value(-1.0)
    y = x**1e16
    y.backward()
    assert y.data == 1.0
    assert x.grad == -1e16
    z = Value(-1.0)
    (z ** Value(1e16)).backward()
    assert z.grad == -1e16


def test_power_derivative_at_zero_and_ordinary_bases() -> None:
    for base, exp, want in [(0.0, 2.0, 0.0), (0.0, 1.0, 1.0), (2.0, 3.0, 12.0), (-2.0, 3.0, 12.0)]:
        x = Value(base)
        (x**exp).backward()
        assert x.grad == want, (base, exp)
    x = Value(1e200)  # a ** b overflows, a ** (b - 1) does not: the derivative is finite
    (x**2).backward()
    assert x.grad == 2e200


def test_relu_of_nan_is_nan_with_a_nan_gradient() -> None:
    x = Value(math.nan)
    y = x.relu()
    assert math.isnan(y.data)
    y.backward()
    assert math.isnan(x.grad)
    z = Value(0.0)
    z.relu().backward()
    assert z.grad == 0.0


def test_truth_value_is_the_numbers() -> None:
    assert not Value(0.0) and not Value(-0.0)
    assert Value(2.0) and Value(-1e-300) and Value(math.nan)
    assert bool(Value(1.0) - 1.0) is False


def test_an_int_too_large_for_a_float_is_a_clear_overflow_error() -> None:
    with pytest.raises(OverflowError, match=r"too large for a float") as info:
        Value(10**400)
    assert "401 digits" in str(info.value)
    with pytest.raises(OverflowError, match="too large"):
        Value(1.0) * 10**400


def test_a_computed_value_pickles_by_op_name() -> None:
    x = Value(2.0, label="x")
    y = ((x * 3 + 1).tanh() * x - 0.5 / x) ** 2
    y.label = "y"
    y.backward()
    z = pickle.loads(pickle.dumps(y))
    assert (z.data, z.grad, z.label, z.op) == (y.data, y.grad, "y", "powc")
    leaves = [v for v in topo_order(z) if v.label == "x"]
    assert len(leaves) == 1 and leaves[0].grad == x.grad
    x2 = leaves[0]
    x2.grad = 0.0
    z.backward()
    assert x2.grad == pytest.approx(x.grad, rel=1e-15)


def test_deepcopy_of_a_long_chain_has_no_recursion_error() -> None:
    x = Value(0.5, label="x")
    y = x
    for _ in range(100_000):
        y = y * 1.0001 + 0.0001
    z = copy.deepcopy(y)
    assert z.data == y.data and z is not y
    z.backward()
    (copied,) = [v for v in topo_order(z, constants=False) if v.label == "x"]
    assert copied is not x and copied.grad == pytest.approx(1.0001**100_000, rel=1e-9)
    assert pickle.loads(pickle.dumps(y)).data == y.data


def test_copies_share_leaves_copied_together() -> None:
    w = Value(3.0, label="w")
    loss = w * w + 1.0
    w2, loss2 = copy.deepcopy([w, loss])
    loss2.backward()
    assert w2.grad == 6.0 and w.grad == 0.0


# ---------------------------------------------------------------- constants
def test_a_number_operand_is_a_constant_shown_as_a_leaf() -> None:
    x = Value(2.0, label="x")
    y = x * 1.5 + 1.0
    assert type(y._b) is float  # stored as a number: no Value made per constant
    assert len(topo_order(y, constants=False)) == 3
    y.backward()
    assert x.grad == 1.5
    (mul, one) = y.parents
    assert one.op == "" and one.data == 1.0 and one.grad == 1.0  # as a leaf would have had
    assert y.parents[1] is one  # made once, then kept
    assert type(y._b) is float  # beside the node: showing its parents does not change it
    (xx, c) = mul.parents
    assert xx is x and c.data == 1.5 and c.grad == 2.0
    assert [v.data for v in topo_order(y)] == [2.0, 1.5, 3.0, 1.0, 4.0]
    y.backward(grad=3.0)  # the constant shows what the last pass gave it
    assert y.parents[1] is one and one.grad == 3.0 and x.grad == 1.5 + 4.5
    assert type(y._b) is float and type(mul._b) is float


def test_constants_on_the_left_and_numpy_scalars_become_floats() -> None:
    x = Value(4.0)
    for y, want in [(1.0 - x, -1.0), (2 * x, 2.0), (np.float64(8.0) / x, -0.5), (3 + x, 1.0)]:
        assert type(y._a) is float
        x.grad = 0.0
        y.backward()
        assert x.grad == want


def test_method_docstrings_come_from_the_table() -> None:
    """help(Value.tanh) shows the table's derivative: the formula is written once, in ops.py."""
    from tracegrad.autograd.ops import OPS, methods

    for name, op in methods().items():
        doc = getattr(Value, name).__doc__
        assert op.formula(0) in doc and op.describe() in doc, name
        assert name in Value.__doc__.rsplit("Methods from the ops table:", 1)[1]
    assert "defined for a > 0" in Value.log.__doc__ and OPS["log"].domain == "a > 0"


def test_pow_and_powc_are_chosen_in_one_place() -> None:
    from tracegrad.autograd import evaluate
    from tracegrad.autograd.ops import power

    x = Value(2.0, label="x")
    assert (x**3).op == power(True).name == "powc"
    assert (x ** Value(3.0)).op == (3**x).op == power(False).name == "pow"
    assert evaluate("x ** 3", {"x": x}).op == "powc" and evaluate("x ** x", {"x": x}).op == "pow"

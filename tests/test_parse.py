"""The safe expression parser: allow-list, errors, and agreement with direct Value arithmetic."""

from __future__ import annotations

import math
import operator

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st
from tracegrad.autograd import Value
from tracegrad.autograd.graph import topo_order
from tracegrad.autograd.ops import OPS
from tracegrad.autograd.parse import ExpressionError, evaluate, functions, parse_expression


def test_micrograd_example_values_and_grads() -> None:
    expr = parse_expression("tanh(a*b + c)")
    assert expr.names == ("a", "b", "c")
    out = expr.evaluate({"a": 2, "b": -3, "c": 10})
    out.backward()
    a, b, c = (n for n in topo_order(out) if n.label)
    t = math.tanh(2 * -3 + 10)
    assert out.data == t
    assert (a.label, b.label, c.label) == ("a", "b", "c")
    assert c.grad == pytest.approx(1 - t * t)
    assert a.grad == pytest.approx((1 - t * t) * -3)
    assert b.grad == pytest.approx((1 - t * t) * 2)


def test_names_in_first_appearance_order_and_shared_leaf() -> None:
    expr = parse_expression("y * x + exp(x) - y / z")
    assert expr.names == ("y", "x", "z")
    out = expr.evaluate({"x": 1.5, "y": 2.0, "z": 4.0})
    leaves = [n for n in topo_order(out) if n.label]
    assert sorted(n.label for n in leaves) == ["x", "y", "z"]  # one leaf per name
    out.backward()
    x = next(n for n in leaves if n.label == "x")
    assert x.grad == pytest.approx(2.0 + math.exp(1.5))


def test_values_in_env_are_used_as_is() -> None:
    w = Value(0.5, label="w")
    out = evaluate("w * w + 1", {"w": w})
    out.backward()
    assert w.grad == pytest.approx(1.0)


@pytest.mark.parametrize(
    ("source", "op"),
    [("a ** 2", "powc"), ("a ** -2.5", "powc"), ("a ** +3", "powc"), ("a ** b", "pow"),
     ("2 ** a", "pow"), ("a ** (b * 2)", "pow"), ("-a", "neg"), ("a - b", "sub"),
     ("a / b", "div")],
)  # fmt: skip
def test_operator_maps_to_table_op_like_value_arithmetic(source: str, op: str) -> None:
    assert evaluate(source, {"a": 3.0, "b": 2.0}).op == op


def test_unary_plus_is_identity() -> None:
    a = Value(3.0)
    assert evaluate("+a", {"a": a}) is a


def test_every_table_function_is_callable_by_its_method_name() -> None:
    funcs = functions()
    assert set(funcs) == {op.method for op in OPS.values() if op.method}
    for name, op in funcs.items():
        out = evaluate(f"{name}(x)", {"x": 0.7})
        assert out.op == op.name
        assert out.data == op.forward(0.7)


def test_numbers_become_constant_leaves() -> None:
    out = evaluate("2 * -3", {})
    assert out.data == -6.0
    assert [(n.op, n.data) for n in topo_order(out)] == [("", 2.0), ("", -3.0), ("mul", -6.0)]
    assert [n.op for n in topo_order(evaluate("-(3)", {}))] == [""]
    assert [n.op for n in topo_order(evaluate("--3", {}))] == ["", "neg"]


@pytest.mark.parametrize(
    ("source", "fragment"),
    [
        ("__import__('os')", "call to '__import__'"),
        ("a.__class__", "attribute access"),
        ("open('x')", "call to 'open'"),
        ("print(a)", "call to 'print'"),
        ("exp.__call__(a)", "call to 'exp.__call__' (only plain function names)"),
        ("a[0]", "indexing"),
        ("lambda: 1", "lambda"),
        ("a < b", "comparison"),
        ("a and b", "'and'/'or'"),
        ("'text'", "str constant"),
        ("b'x'", "bytes constant"),
        ("None", "None constant"),
        ("True + a", "bool constant"),
        ("1j * a", "complex constant"),
        ("exp(x=a)", "keyword argument"),
        ("exp(*a)", "starred argument"),
        ("a // b", "operator '//'"),
        ("a % b", "operator '%'"),
        ("a @ b", "operator '@'"),
        ("~a", "operator '~'"),
        ("not a", "operator 'not'"),
        ("a if b else c", "conditional expression"),
        ("(a := 1)", "assignment"),
        ("[a, b]", "list"),
        ("(a, b)", "tuple"),
        ("{'a': 1}", "dict"),
        ("[x for x in a]", "comprehension"),
        ("f'{a}'", "f-string"),
        ("__builtins__", "name '__builtins__'"),
        ("exp(a, b)", "takes 1 argument(s), got 2"),
        ("exp()", "takes 1 argument(s), got 0"),
        ("a +", "syntax error"),
        ("import os", "syntax error"),
        ("a = 1", "syntax error"),
        ("a; b", "syntax error"),
        ("", "empty expression"),
        ("   ", "empty expression"),
        ("a" + "+a" * 12000, "too long"),
    ],
)
def test_refused_with_a_one_line_message(source: str, fragment: str) -> None:
    with pytest.raises(ExpressionError) as info:
        parse_expression(source)
    msg = str(info.value)
    assert fragment in msg
    assert "\n" not in msg
    assert len(msg) < 400


def test_refusal_names_the_column_in_characters() -> None:
    with pytest.raises(ExpressionError, match="attribute access is not allowed \\(column 9\\)"):
        parse_expression("é + ñ * ü.x")
    with pytest.raises(ExpressionError, match="line 3, column 2"):
        parse_expression("(a\n+\n b[0])")


def test_deep_nesting_is_a_clear_error_not_a_crash() -> None:
    with pytest.raises(ExpressionError, match="too deeply nested|syntax error"):
        parse_expression("(" * 1000 + "a" + ")" * 1000)


def test_unknown_name_at_evaluation() -> None:
    expr = parse_expression("a * q")
    with pytest.raises(ExpressionError, match="unknown name 'q' at column 5"):
        expr.evaluate({"a": 1.0})


def test_non_number_value_in_env() -> None:
    with pytest.raises(ExpressionError, match="value for 'a'"):
        evaluate("a + 1", {"a": "2"})  # type: ignore[dict-item]


def test_domain_errors_are_the_tables() -> None:
    with pytest.raises(ValueError, match="log needs x > 0") as info:
        evaluate("log(a)", {"a": -1.0})
    assert not isinstance(info.value, ExpressionError)
    with pytest.raises(ZeroDivisionError):
        evaluate("1 / (a - a)", {"a": 2.0})


def test_non_string_source() -> None:
    with pytest.raises(ExpressionError, match="must be a str"):
        parse_expression(42)  # type: ignore[arg-type]


# ------------------------------------------------------------ round trip against Value code
_BIN = {"+": operator.add, "-": operator.sub, "*": operator.mul, "/": operator.truediv}
_FUNCS = ["exp", "tanh", "sigmoid", "relu", "sin", "cos"]  # defined everywhere
_VARS = ["a", "b", "c"]

leaf = st.one_of(
    st.sampled_from(_VARS).map(lambda n: ("var", n)),
    st.floats(-3, 3, allow_nan=False).map(lambda x: ("num", round(x, 3))),
)


def _extend(children: st.SearchStrategy) -> st.SearchStrategy:
    return st.one_of(
        st.tuples(st.just("bin"), st.sampled_from(sorted(_BIN)), children, children),
        st.tuples(st.just("fn"), st.sampled_from(_FUNCS), children),
        st.tuples(st.just("neg"), children),
        st.tuples(st.just("sq"), children),
    )


trees = st.recursive(leaf, _extend, max_leaves=12)


def _source(t: tuple) -> str:
    """Print a tree as Python source, fully parenthesised."""
    kind = t[0]
    if kind == "var":
        return t[1]
    if kind == "num":
        return f"({t[1]!r})"
    if kind == "bin":
        return f"({_source(t[2])} {t[1]} {_source(t[3])})"
    if kind == "fn":
        return f"{t[1]}({_source(t[2])})"
    if kind == "neg":
        return f"(-{_source(t[1])})"
    return f"({_source(t[1])} ** 2)"


def _direct(t: tuple, env: dict[str, Value]) -> Value:
    """The same tree computed with Python operators on Values (the oracle)."""
    kind = t[0]
    if kind == "var":
        return env[t[1]]
    if kind == "num":
        return Value(t[1])
    if kind == "bin":
        return _BIN[t[1]](_direct(t[2], env), _direct(t[3], env))
    if kind == "fn":
        return getattr(_direct(t[2], env), t[1])()
    if kind == "neg":
        if t[1][0] == "num" and math.copysign(1.0, t[1][1]) > 0:
            # Python (and the parser) read -(2.5) as the number -2.5, but -(-2.5) as a negation
            return Value(-t[1][1])
        return -_direct(t[1], env)
    return _direct(t[1], env) ** 2


@given(trees, st.lists(st.floats(-2, 2, allow_nan=False), min_size=3, max_size=3))
def test_round_trip_equals_direct_value_arithmetic(tree: tuple, xs: list[float]) -> None:
    direct_env = {n: Value(x, label=n) for n, x in zip(_VARS, xs)}
    try:
        expected = _direct(tree, direct_env)
    except ZeroDivisionError:
        with pytest.raises(ZeroDivisionError):
            evaluate(_source(tree), dict(zip(_VARS, xs)))
        return
    assume(math.isfinite(expected.data))
    expected.backward()
    got = evaluate(_source(tree), dict(zip(_VARS, xs)))
    got.backward()
    assert got.data == expected.data
    assert [n.op for n in topo_order(got)] == [n.op for n in topo_order(expected)]
    got_leaves = {n.label: n.grad for n in topo_order(got) if n.label}
    for name, v in direct_env.items():
        if name in got_leaves:
            g = got_leaves[name]
            assert g == v.grad or (math.isnan(g) and math.isnan(v.grad))

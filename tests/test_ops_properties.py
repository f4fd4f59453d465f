"""Every op in the table, differentiated inside random expressions, against two oracles:
sympy's exact symbolic derivatives and central finite differences."""

from __future__ import annotations

import math
from typing import Any

import sympy as sp
from hypothesis import assume, given, settings
from strategies import (
    BUILDERS,
    KINKED,
    N_INPUTS,
    VALUE_BACKEND,
    evaluate,
    ops_in,
    points,
    trees,
)
from tracegrad.autograd import OPS, Value, gradcheck, topo_order

SYMBOLS = sp.symbols(f"x0:{N_INPUTS}", real=True)

# Each op written independently in sympy. An op missing here fails test_every_op_has_an_oracle.
SYMPY: dict[str, Any] = {
    "const": lambda c: sp.Rational(str(c)),
    "add": lambda a, b: a + b,
    "sub": lambda a, b: a - b,
    "mul": lambda a, b: a * b,
    "div": lambda a, b: a / b,
    "pow": lambda a, b: a**b,
    "powc": lambda a, n: a ** sp.Rational(str(n)),
    "neg": lambda a: -a,
    "exp": sp.exp,
    "log": sp.log,
    "tanh": sp.tanh,
    "sigmoid": lambda a: 1 / (1 + sp.exp(-a)),
    "relu": lambda a: sp.Piecewise((a, a > 0), (0, True)),
    "sqrt": sp.sqrt,
    "sin": sp.sin,
    "cos": sp.cos,
    "step": lambda a: sp.Piecewise((1, a > 0), (0, True)),
}


def test_every_op_has_an_oracle_and_a_tree_form() -> None:
    """Adding an op to the table without its derivative tests fails here."""
    assert set(OPS) <= set(SYMPY), set(OPS) - set(SYMPY)
    assert set(OPS) - {"powc"} <= set(BUILDERS), set(OPS) - set(BUILDERS)


def engine_grads(tree: Any, xs: list[float]) -> tuple[float, list[float], Value]:
    inputs = [Value(x, label=f"x{i}") for i, x in enumerate(xs)]
    out = evaluate(tree, inputs, VALUE_BACKEND)
    if not isinstance(out, Value):  # a tree with no inputs in it
        out = Value(out) + 0 * inputs[0]
    out.backward()
    return out.data, [v.grad for v in inputs], out


def away_from_kinks(out: Value) -> bool:
    return all(abs(n.parents[0].data) > 1e-4 for n in topo_order(out) if n.op in KINKED)


def close(a: float, b: float, scale: float, tol: float) -> bool:
    return math.isclose(a, b, rel_tol=tol, abs_tol=tol * (1.0 + scale))


@given(tree=trees, xs=points)
def test_gradients_match_sympy(tree: Any, xs: list[float]) -> None:
    value, grads, out = engine_grads(tree, xs)
    # At a kink (relu, step) a float rounding of the input, e.g. x*x underflowing to 0 at
    # x = 4e-232, legitimately takes the other branch than exact arithmetic.
    assume(away_from_kinks(out))
    expr = evaluate(tree, list(SYMBOLS), SYMPY)
    subs = {s: sp.Float(x, 30) for s, x in zip(SYMBOLS, xs)}
    exact_value = float(sp.sympify(expr).evalf(30, subs=subs))
    assume(math.isfinite(exact_value) and abs(exact_value) < 1e8)
    assert close(value, exact_value, abs(exact_value), 1e-9)
    for s, g in zip(SYMBOLS, grads):
        exact = float(sp.diff(expr, s).evalf(30, subs=subs))
        assert close(g, exact, abs(exact), 1e-8), (s, g, exact)


@given(tree=trees, xs=points)
def test_gradients_match_finite_differences(tree: Any, xs: list[float]) -> None:
    value, _, out = engine_grads(tree, xs)
    assume(math.isfinite(value) and abs(value) < 1e6 and away_from_kinks(out))

    def f(*inputs: Value) -> Value:
        y = evaluate(tree, list(inputs), VALUE_BACKEND)
        return y if isinstance(y, Value) else Value(y) + 0 * inputs[0]

    result = gradcheck(f, xs, eps=1e-6, rtol=1e-4, atol=1e-4 * (1 + abs(value)))
    assert result, str(result)


def test_each_op_in_the_table_individually_against_sympy() -> None:
    """A direct check per op at a few points, so a wrong partial names its op."""
    a, b = sp.symbols("a b", real=True)
    for op in OPS.values():
        for xa, xb in [(0.7, 1.3), (1.9, -0.6), (0.25, 2.0)]:
            if op.arity == 1:
                v = Value(xa)
                out = VALUE_BACKEND[op.name](v)
                out.backward()
                expr = SYMPY[op.name](a)
                exact = float(sp.diff(expr, a).evalf(30, subs={a: xa}))
                assert math.isclose(v.grad, exact, rel_tol=1e-12, abs_tol=1e-12), op.name
            elif op.name == "powc":
                v = Value(xa)
                out = v**xb
                out.backward()
                exact = float(sp.diff(SYMPY["powc"](a, xb), a).evalf(30, subs={a: xa}))
                assert math.isclose(v.grad, exact, rel_tol=1e-12), op.name
            else:
                va, vb = Value(xa), Value(xb)
                out = VALUE_BACKEND[op.name](va, vb)
                out.backward()
                expr = SYMPY[op.name](a, b)
                for var, got in ((a, va.grad), (b, vb.grad)):
                    exact = float(sp.diff(expr, var).evalf(30, subs={a: xa, b: xb}))
                    assert math.isclose(got, exact, rel_tol=1e-12, abs_tol=1e-12), (op.name, var)


def test_random_trees_cover_every_op() -> None:
    """The strategy really produces every op (so the properties above exercise them all)."""
    from hypothesis import find

    for name in OPS:
        find(trees, lambda t, n=name: n in ops_in(t), settings=settings(max_examples=5000))

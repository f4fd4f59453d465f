"""The functional API: grad, value_and_grad, hessian, jacobian, partial derivatives by name.

Oracles: closed forms from calculus and central finite differences of the engine's own
first derivative (plain floats), on hand-picked and random functions.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest
from hypothesis import assume, given
from strategies import KINKED, N_INPUTS, VALUE_BACKEND, evaluate, points, trees
from tracegrad.autograd import (
    Value,
    grad,
    hessian,
    jacobian,
    parse_expression,
    topo_order,
    value_and_grad,
)
from tracegrad.autograd.functional import parse_partial, partial_derivative


def f2(x: Any, y: Any) -> Any:
    return x**2 * y + (x * y).sin()


def f2_hessian(x: float, y: float) -> list[list[float]]:
    s, c = math.sin(x * y), math.cos(x * y)
    fxy = 2 * x + c - x * y * s
    return [[2 * y - y * y * s, fxy], [fxy, -x * x * s]]


# ---------------------------------------------------------------- numbers in, floats out
def test_grad_and_value_and_grad_on_numbers() -> None:
    x, y = 0.7, -1.2
    fx = 2 * x * y + y * math.cos(x * y)
    fy = x**2 + x * math.cos(x * y)
    assert math.isclose(grad(f2)(x, y), fx, rel_tol=1e-14)
    assert math.isclose(grad(f2, argnums=1)(x, y), fy, rel_tol=1e-14)
    assert math.isclose(grad(f2, argnums=-1)(x, y), fy, rel_tol=1e-14)
    gx, gy = grad(f2, argnums=(0, 1))(x, y)
    assert math.isclose(gx, fx, rel_tol=1e-14) and math.isclose(gy, fy, rel_tol=1e-14)
    value, g = value_and_grad(f2)(x, y)
    assert type(value) is float and math.isclose(value, x * x * y + math.sin(x * y))
    assert type(g) is float and math.isclose(g, fx, rel_tol=1e-14)
    value, gs = value_and_grad(f2, (1, 0))(x, y)
    assert isinstance(gs, tuple) and math.isclose(gs[0], fy) and math.isclose(gs[1], fx)


def test_ints_and_numpy_scalars_are_numbers() -> None:
    assert grad(lambda x: x**3)(2) == 12.0
    assert grad(lambda x: x**3)(np.float64(2.0)) == 12.0


def test_hessian_on_numbers_is_a_list_of_lists_of_floats() -> None:
    for x, y in [(0.7, -1.2), (1.5, 0.3), (-2.0, 2.0)]:
        h = hessian(f2)(x, y)
        assert isinstance(h, list) and all(isinstance(r, list) for r in h)
        assert all(type(v) is float for r in h for v in r)
        for got_row, want_row in zip(h, f2_hessian(x, y)):
            for got, want in zip(got_row, want_row):
                assert math.isclose(got, want, rel_tol=1e-12, abs_tol=1e-12)
    assert math.isclose(hessian(f2, argnums=0)(0.7, -1.2), f2_hessian(0.7, -1.2)[0][0])
    assert hessian(f2, argnums=(1,))(0.7, -1.2) == [[hessian(f2)(0.7, -1.2)[1][1]]]


def test_jacobian_of_several_outputs() -> None:
    def f(x: Any, y: Any) -> list[Any]:
        return [x * y, x + y, x.exp(), 3.0]

    j = jacobian(f)(1.0, 2.0)
    assert j == [[2.0, 1.0], [1.0, 1.0], [math.e, 0.0], [0.0, 0.0]]
    assert jacobian(f, argnums=1)(1.0, 2.0) == [1.0, 1.0, 0.0, 0.0]
    assert jacobian(f2)(0.7, -1.2) == list(grad(f2, (0, 1))(0.7, -1.2))


def test_leaves_are_labelled_with_parameter_names_and_constant_functions() -> None:
    seen: list[Value] = []

    def f(alpha: Value, beta: Value) -> Value:
        seen.extend([alpha, beta])
        return alpha * beta

    grad(f, (0, 1))(2.0, 3.0)
    assert [v.label for v in seen] == ["alpha", "beta"]
    assert grad(lambda x: 3.0)(1.0) == 0.0
    assert hessian(lambda x, y: x + y)(1.0, 2.0) == [[0.0, 0.0], [0.0, 0.0]]


# ---------------------------------------------------------------- nth derivatives
def test_grad_of_grad_gives_nth_derivatives() -> None:
    f: Any = lambda x: x.sin()  # noqa: E731
    want = [math.cos, lambda t: -math.sin(t), lambda t: -math.cos(t), math.sin]
    for k in range(4):
        f = grad(f)
        assert math.isclose(f(0.9), want[k](0.9), rel_tol=1e-14)
    p: Any = lambda x: 3 * x**5 - 2 * x**4 + x**2 - 7  # noqa: E731
    for _ in range(5):
        p = grad(p)
    assert p(1.3) == 360.0 and p(-4.0) == 360.0
    assert grad(p)(1.3) == 0.0


def test_grad_on_values_returns_a_differentiable_value_and_touches_no_grad() -> None:
    x = Value(0.5, label="x")
    y = Value(2.0, label="y")
    g = grad(f2)(x, y)
    assert isinstance(g, Value)
    assert all(n.grad == 0.0 for n in topo_order(g))
    assert math.isclose(g.data, grad(f2)(0.5, 2.0), rel_tol=1e-14)
    gx, gy = grad(lambda a, b: a * b)(x, y), grad(f2, 1)(x, 2.0)  # mixed Value/number
    assert isinstance(gx, Value) and gx.data == 2.0 and isinstance(gy, Value)
    h = hessian(f2)(x, y)
    assert all(isinstance(v, Value) for r in h for v in r)
    # a Hessian entry built from Values is differentiable once more: a third derivative
    d3 = grad(lambda a, b: hessian(f2, 0)(a, b))(0.5, 2.0)
    s, c = math.sin(1.0), math.cos(1.0)
    assert math.isclose(d3, -(2.0**3) * c, rel_tol=1e-13)
    assert math.isclose(h[0][0].data, 2 * 2.0 - 4.0 * s, rel_tol=1e-13)


def test_grad_on_an_intermediate_value() -> None:
    a = Value(1.5)
    b = a * a  # not a leaf: the derivative is by b itself
    assert grad(lambda t: t.log())(b).data == 1 / 2.25


def _tree_fn(tree: Any) -> Any:
    return lambda *vs: evaluate(tree, list(vs), VALUE_BACKEND)


@given(tree=trees, xs=points)
def test_grad_of_grad_matches_finite_differences_and_hessian(tree: Any, xs: list[float]) -> None:
    f = _tree_fn(tree)
    leaves = [Value(x) for x in xs]
    out = f(*leaves)
    assume(isinstance(out, Value) and math.isfinite(out.data) and abs(out.data) < 1e6)
    assume(all(abs(n.parents[0].data) > 1e-3 for n in topo_order(out) if n.op in KINKED))
    h = hessian(f)(*xs)
    assume(all(math.isfinite(v) and abs(v) < 1e6 for r in h for v in r))
    eps = 1e-5
    for i in range(N_INPUTS):
        gi = grad(f, i)
        for j in range(N_INPUTS):
            assert math.isclose(grad(gi, j)(*xs), h[i][j], rel_tol=1e-12, abs_tol=1e-12)
            up, down = list(xs), list(xs)
            up[j] += eps
            down[j] -= eps
            numeric = (gi(*up) - gi(*down)) / (2 * eps)
            assert abs(h[i][j] - numeric) <= 1e-4 * (1 + abs(numeric)), (tree, xs, i, j)


# ---------------------------------------------------------------- for the homework checker
def test_partial_derivative_of_a_parsed_expression() -> None:
    expr = parse_expression("x**2 * y + sin(x * y)")
    at = {"x": 0.7, "y": -1.2}
    want = f2_hessian(0.7, -1.2)
    assert math.isclose(partial_derivative(expr.evaluate, at, ("x", "x")), want[0][0])
    assert math.isclose(partial_derivative(expr.evaluate, at, ("x", "y")), want[0][1])
    assert math.isclose(partial_derivative(expr.evaluate, at, ("y", "y")), want[1][1])
    assert partial_derivative(expr.evaluate, at, ()) == f2(Value(0.7), Value(-1.2)).data
    wrt = parse_partial("d2f/dxdy", expr.names)
    assert partial_derivative(expr.evaluate, at, wrt) == partial_derivative(
        expr.evaluate, at, ("x", "y")
    )


@pytest.mark.parametrize(
    ("text", "names", "want"),
    [
        ("df/dx", ["x", "y"], ("x",)),
        ("d2f/dx2", ["x", "y"], ("x", "x")),
        ("d²f/dx²", ["x"], ("x", "x")),
        ("d^2f/dx^2", ["x"], ("x", "x")),
        ("d2f/dxdy", ["x", "y"], ("x", "y")),
        ("∂2f/∂y∂x", ["x", "y"], ("y", "x")),
        ("d2f / dx dy", ["x", "y"], ("x", "y")),
        ("d2E/dw1dw2", ["w1", "w2", "w"], ("w1", "w2")),
        ("d2f/dx2", ["x", "x2"], ("x", "x")),
        ("d3f/dx2dy", ["x", "y"], ("x", "x", "y")),
        ("d2/dx2", ["x"], ("x", "x")),
    ],
)
def test_parse_partial(text: str, names: list[str], want: tuple[str, ...]) -> None:
    assert parse_partial(text, names) == want


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ("d2f/dxdz", "cannot read the denominator"),
        ("d3f/dxdy", "as 3 derivative"),
        ("f/dx", "cannot read"),
        ("d2f", "cannot read"),
        ("d2f/xy", "cannot read the denominator"),
    ],
)
def test_parse_partial_errors(text: str, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        parse_partial(text, ["x", "y"])


def test_partial_derivative_errors() -> None:
    expr = parse_expression("x * y")
    with pytest.raises(ValueError, match="'z'"):
        partial_derivative(expr.evaluate, {"x": 1.0, "y": 2.0}, ("z",))
    with pytest.raises(TypeError, match="'x'"):
        partial_derivative(expr.evaluate, {"x": "1", "y": 2.0}, ("x",))  # type: ignore[dict-item]


# ---------------------------------------------------------------- bad input
def test_clear_errors() -> None:
    with pytest.raises(TypeError, match="needs a function"):
        grad(3.0)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="out of range"):
        grad(f2, 2)(1.0, 2.0)
    with pytest.raises(TypeError, match="argnums"):
        grad(f2, "x")(1.0, 2.0)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="argnums"):
        hessian(f2, True)(1.0, 2.0)
    with pytest.raises(ValueError, match="empty"):
        grad(f2, ())(1.0, 2.0)
    with pytest.raises(TypeError, match=r"argument 1 \(y\)"):
        grad(f2)(1.0, "2")
    with pytest.raises(TypeError, match=r"argument 0 \(x\)"):
        grad(f2)(True, 2.0)
    with pytest.raises(TypeError, match="no arguments"):
        grad(lambda: Value(1.0))()
    with pytest.raises(TypeError, match="use jacobian"):
        grad(grad(f2, (0, 1)))(1.0, 2.0)
    with pytest.raises(TypeError, match="single Value or number, got str"):
        grad(lambda x: "x")(1.0)
    with pytest.raises(ValueError, match="empty sequence"):
        jacobian(lambda x: [])(1.0)
    with pytest.raises(ValueError, match="log"):
        grad(lambda x: x.log())(-1.0)  # the table's own domain error

"""Higher-order derivatives: gradients built as Values from the ops table (create_graph).

Oracles: central finite differences of the engine's analytic *first* derivative (plain
backward on floats), closed forms from calculus, and symmetry of mixed partials.
"""

from __future__ import annotations

import itertools
import math
from typing import Any

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st
from strategies import KINKED, N_INPUTS, POWC_EXPONENTS, VALUE_BACKEND, evaluate, points, trees
from tracegrad.autograd import OPS, Value, backward, topo_order
from tracegrad.autograd.higher import ValueMath, backward_create_graph, grad_values, nth_derivative
from tracegrad.autograd.ops import FloatMath
from tracegrad.autograd.value import apply

H = 1e-5


def close(a: float, b: float, tol: float = 1e-5) -> bool:
    return abs(a - b) <= tol * (1.0 + abs(b))


def first_grads(build: Any, xs: list[float]) -> list[float]:
    """The engine's plain first-order gradient (floats) of build(*leaves) at xs."""
    leaves = [Value(x) for x in xs]
    out = build(*leaves)
    if isinstance(out, Value):
        out.backward()
    return [v.grad for v in leaves]


def fd_of(fn: Any, xs: list[float], j: int, h: float = H) -> Any:
    """Central difference of fn (returning a list of floats) along input j."""
    up, down = list(xs), list(xs)
    up[j] += h
    down[j] -= h
    return [(a - b) / (2 * h) for a, b in zip(fn(up), fn(down))]


# ---------------------------------------------------------------- the namespace
def test_value_math_mirrors_float_math() -> None:
    """Every function the table may call on FloatMath exists on ValueMath too."""
    names = {n for n in vars(FloatMath) if not n.startswith("_")}
    missing = {n for n in names if not callable(getattr(ValueMath, n, None))}
    assert not missing, f"ValueMath lacks {missing}"


def test_value_math_records_table_ops_and_passes_floats_through() -> None:
    x = Value(0.8)
    for name in ("exp", "log", "sqrt", "sin", "cos"):
        v = getattr(ValueMath, name)(x)
        assert isinstance(v, Value) and v.op == name and v.parents == (x,)
        assert getattr(ValueMath, name)(0.8) == getattr(FloatMath, name)(0.8)
    assert ValueMath.div(x, 2.0).op == "div"
    assert ValueMath.pow(x, 2.0).op == "powc"
    assert ValueMath.pow(x, Value(2.0)).op == "pow"
    assert ValueMath.step(x) == 1.0 and ValueMath.step(-x) == 0.0
    assert ValueMath.const(x) == 0.8 and type(ValueMath.const(x)) is float
    assert ValueMath.log_or_nan(x).op == "log"
    assert math.isnan(ValueMath.log_or_nan(Value(-1.0)))


def test_value_math_at_the_edge_of_a_domain_gives_the_float_constant() -> None:
    """Infinite slopes stay constants: the same inf/nan the first-order engine gives."""
    zero = Value(0.0)
    assert ValueMath.div(1.0, zero) == math.inf
    assert ValueMath.pow(zero, -0.5) == math.inf
    assert ValueMath.pow(zero, Value(-0.5)) == math.inf


# ---------------------------------------------------------------- every op of the table
def _op_inputs(op: Any, a: float, b: float, n: float) -> list[float]:
    if op.arity == 1:
        return [a]
    return [a, n if not op.differentiable[1] else b]


def _in_domain_around(op: Any, xs: list[float], reach: float) -> bool:
    """op's check passes and its value is finite on the grid xs + {-reach, 0, reach}^n."""
    for shift in itertools.product((-reach, 0.0, reach), repeat=len(xs)):
        ys = [x + s for x, s in zip(xs, shift)]
        if op.check is not None:
            try:
                op.check(*ys)
            except ValueError:
                return False
        if not math.isfinite(op.forward(*ys)):
            return False
    return True


away_from_zero = st.floats(0.25, 2.0).flatmap(lambda m: st.sampled_from([m, -m]))


@pytest.mark.parametrize("name", list(OPS))
@given(a=away_from_zero, b=away_from_zero, n=st.sampled_from(POWC_EXPONENTS))
def test_every_op_second_and_third_derivatives(name: str, a: float, b: float, n: float) -> None:
    """For each op in the table (a new op joins automatically): the create_graph second
    derivative matches finite differences of the first, and the third those of the second."""
    op = OPS[name]
    xs = _op_inputs(op, a, b, n)
    assume(_in_domain_around(op, xs, 4 * H))
    live = [i for i in range(op.arity) if op.differentiable[i]]

    def build(*vs: Value) -> Value:
        return apply(op, *vs)

    def second(ys: list[float], i: int) -> list[float]:
        leaves = [Value(y) for y in ys]
        out = build(*leaves)
        return [nth_derivative(out, [leaves[i], leaves[j]]).data for j in range(op.arity)]

    leaves = [Value(x) for x in xs]
    out = build(*leaves)
    first_values = grad_values(out, leaves)
    plain = first_grads(build, xs)
    for i in live:  # the Value gradient is the same number the float engine computes
        assert math.isclose(first_values[i].data, plain[i], rel_tol=1e-12, abs_tol=1e-300)
    for i in live:
        for j in live:
            analytic = nth_derivative(out, [leaves[i], leaves[j]]).data
            numeric = fd_of(lambda ys: first_grads(build, ys), xs, j)[i]
            assert close(analytic, numeric), (name, xs, i, j, analytic, numeric)
            for k in live:
                third = nth_derivative(out, [leaves[i], leaves[j], leaves[k]]).data
                numeric3 = fd_of(lambda ys, i=i: second(ys, i), xs, k)[j]
                assert close(third, numeric3, 1e-4), (name, xs, i, j, k, third, numeric3)


# ---------------------------------------------------------------- random expressions
def _hessian_values(tree: Any, xs: list[float]) -> tuple[Value, list[Value], list[list[float]]]:
    leaves = [Value(x) for x in xs]
    out = evaluate(tree, leaves, VALUE_BACKEND)
    if not isinstance(out, Value):
        out = Value(out) + 0 * leaves[0]
    first = grad_values(out, leaves)
    rows = [grad_values(g, leaves, create_graph=False) for g in first]
    return out, first, rows


def _tree_grads(tree: Any) -> Any:
    def fn(ys: list[float]) -> list[float]:
        return first_grads(lambda *vs: evaluate(tree, list(vs), VALUE_BACKEND), ys)

    return fn


@given(tree=trees, xs=points)
def test_random_expressions_second_derivatives(tree: Any, xs: list[float]) -> None:
    """Hessians of random expressions over every op: finite differences of the analytic
    first derivative, symmetric mixed partials, and first derivatives equal to backward()."""
    out, first, hess = _hessian_values(tree, xs)
    assume(math.isfinite(out.data) and abs(out.data) < 1e6)
    # Right at a kink (relu at 0) the one-sided second derivatives differ: stay away from it.
    assume(all(abs(n.parents[0].data) > 1e-3 for n in topo_order(out) if n.op in KINKED))
    assume(all(math.isfinite(v) and abs(v) < 1e6 for row in hess for v in row))
    plain = _tree_grads(tree)(xs)
    for g, p in zip(first, plain):
        assert math.isclose(g.data, p, rel_tol=1e-12, abs_tol=1e-12)
    for j in range(N_INPUTS):
        numeric = fd_of(_tree_grads(tree), xs, j)
        finer = fd_of(_tree_grads(tree), xs, j, H / 4)
        # Where the two step sizes disagree the function is not smooth here (relu's kink).
        assume(all(close(a, b, 1e-6) for a, b in zip(numeric, finer)))
        for i in range(N_INPUTS):
            assert close(hess[i][j], finer[i], 1e-4), (tree, xs, i, j, hess[i][j], finer[i])
    for i in range(N_INPUTS):
        for j in range(i):
            assert math.isclose(hess[i][j], hess[j][i], rel_tol=1e-9, abs_tol=1e-9)


@given(tree=trees, xs=points)
def test_gradient_graphs_are_made_of_table_ops(tree: Any, xs: list[float]) -> None:
    """Every node of a gradient graph is an ordinary Value from the table (drawable)."""
    _, first, _ = _hessian_values(tree, xs)
    table = set(map(id, OPS.values()))
    for g in first:
        for node in topo_order(g):
            assert node._op is None or id(node._op) in table
            assert type(node.data) is float and type(node.grad) is float


# ---------------------------------------------------------------- closed forms
def d2(f: Any, x: float) -> float:
    v = Value(x)
    return nth_derivative(f(v), [v, v]).data


@pytest.mark.parametrize("x", [-2.0, -0.7, 0.0, 0.3, 1.9])
def test_closed_forms(x: float) -> None:
    t = math.tanh(x)
    assert math.isclose(d2(lambda v: v.tanh(), x), -2 * t * (1 - t * t), abs_tol=1e-15)
    s = 1 / (1 + math.exp(-x))
    assert math.isclose(d2(lambda v: v.sigmoid(), x), s * (1 - s) * (1 - 2 * s), abs_tol=1e-15)
    assert math.isclose(d2(lambda v: v.exp(), x), math.exp(x), rel_tol=1e-15)
    assert math.isclose(d2(lambda v: v.sin(), x), -math.sin(x), abs_tol=1e-15)
    assert math.isclose(d2(lambda v: v.cos(), x), -math.cos(x), abs_tol=1e-15)
    assert d2(lambda v: v.relu(), x) == 0.0


@pytest.mark.parametrize("x", [0.1, 0.5, 1.0, 3.7])
def test_closed_forms_positive_domain(x: float) -> None:
    assert math.isclose(d2(lambda v: v.log(), x), -1 / x**2, rel_tol=1e-14)
    assert math.isclose(d2(lambda v: v.sqrt(), x), -0.25 * x**-1.5, rel_tol=1e-14)
    for n in (-2.0, -0.5, 0.5, 1.0, 2.0, 3.0, 2.5):
        expected = n * (n - 1) * x ** (n - 2)
        assert math.isclose(d2(lambda v, n=n: v**n, x), expected, rel_tol=1e-14, abs_tol=1e-14)
    v, y = Value(x), Value(1.7)  # x ** y with both Values: all second partials
    out = v**y
    assert math.isclose(nth_derivative(out, [y, y]).data, x**1.7 * math.log(x) ** 2, abs_tol=1e-14)
    mixed = x**0.7 * (1 + 1.7 * math.log(x))
    assert math.isclose(nth_derivative(out, [v, y]).data, mixed, rel_tol=1e-13)
    assert math.isclose(nth_derivative(out, [y, v]).data, mixed, rel_tol=1e-13)


def test_fifth_derivative_of_a_polynomial() -> None:
    """p = 3x^5 - 2x^4 + x^2 - 7: p''''' = 360 everywhere, the 6th derivative 0."""
    for x0 in (-1.3, 0.0, 2.0):
        x = Value(x0, label="x")
        p = 3 * x**5 - 2 * x**4 + x**2 - 7
        derivs = [nth_derivative(p, [x] * k).data for k in range(7)]
        expected = [
            3 * x0**5 - 2 * x0**4 + x0**2 - 7,
            15 * x0**4 - 8 * x0**3 + 2 * x0,
            60 * x0**3 - 24 * x0**2 + 2,
            180 * x0**2 - 48 * x0,
            360 * x0 - 48,
            360.0,
            0.0,
        ]
        for got, want in zip(derivs, expected):
            assert math.isclose(got, want, rel_tol=1e-12, abs_tol=1e-12)


def test_nth_derivative_of_exp_and_sin_cycle() -> None:
    x = Value(0.4)
    for k in range(1, 7):
        assert math.isclose(nth_derivative(x.exp(), [x] * k).data, math.exp(0.4))
        want = [math.sin, math.cos, lambda t: -math.sin(t), lambda t: -math.cos(t)][k % 4](0.4)
        assert math.isclose(nth_derivative(x.sin(), [x] * k).data, want, rel_tol=1e-14)


# ---------------------------------------------------------------- backward(create_graph=True)
def _example() -> tuple[Value, Value, Value]:
    x, y = Value(0.6, label="x"), Value(-1.4, label="y")
    return x, y, (x * y).tanh() + x**3 / y.exp() + (x * x + 1).log()


def test_backward_create_graph_fills_grad_like_backward() -> None:
    x, y, out = _example()
    out.backward()
    plain = {id(n): n.grad for n in topo_order(out)}
    x2, y2, out2 = _example()
    grads = backward(out2, create_graph=True)
    assert grads is not None
    values = topo_order(out2, constants=False)  # the graph's Values (constants stay numbers)
    for n, m in zip(topo_order(out, constants=False), values):
        assert type(m.grad) is float
        assert math.isclose(m.grad, plain[id(n)], rel_tol=1e-12, abs_tol=1e-300)
        assert grads[m].data == m.grad
    assert set(map(id, grads)) == set(map(id, values))


def test_backward_create_graph_accumulates_on_leaves_like_backward() -> None:
    x, y, out = _example()
    out.backward(create_graph=True)
    once = x.grad
    g = out.backward(create_graph=True)
    assert x.grad == 2 * once and g is not None and g[x].data == once


def test_backward_create_graph_gradients_differentiate_again() -> None:
    x, y, out = _example()
    grads = out.backward(create_graph=True)
    gx = grads[x]
    x.grad = y.grad = 0.0
    gx.backward()  # an ordinary backward on the gradient graph: d2out/dx2 and d2out/dxdy
    assert math.isclose(x.grad, nth_derivative(out, [x, x]).data, rel_tol=1e-12)
    assert math.isclose(y.grad, nth_derivative(out, [x, y]).data, rel_tol=1e-12)


def test_default_backward_returns_none_and_leaf_root() -> None:
    x, _, out = _example()
    assert out.backward() is None
    leaf = Value(3.0)
    grads = backward_create_graph(leaf)
    assert grads[leaf].data == 1.0 and leaf.grad == 1.0


def test_grad_values_touches_no_grad_and_handles_unrelated_inputs() -> None:
    x, y, out = _example()
    z = Value(5.0)
    gx, gz = grad_values(out, [x, z])
    assert gz.data == 0.0 and gx.data != 0.0
    assert all(n.grad == 0.0 for n in topo_order(out)) and z.grad == 0.0
    assert grad_values(out, [x, z], create_graph=False) == [gx.data, 0.0]


def test_relu_and_step_second_derivatives_are_zero_and_sqrt_at_zero_is_inf() -> None:
    x = Value(0.8)
    assert nth_derivative(x.relu() * x.relu(), [x, x]).data == 2.0
    zero = Value(0.0)
    (g,) = grad_values(zero.sqrt(), [zero])
    assert g.data == math.inf
    zero.sqrt().backward()
    assert zero.grad == math.inf  # the same number the float engine gives


def test_bad_input_errors() -> None:
    with pytest.raises(TypeError, match="Value"):
        grad_values(3.0, [Value(1.0)])  # type: ignore[call-overload]
    with pytest.raises(TypeError, match=r"wrt\[0\]"):
        grad_values(Value(1.0), [1.0])  # type: ignore[list-item]
    with pytest.raises(TypeError, match="backward"):
        backward_create_graph("x")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="nth_derivative"):
        nth_derivative(2.0, [])  # type: ignore[arg-type]


def test_gradient_graphs_are_drawn_and_explained_like_any_graph() -> None:
    """A second derivative is an ordinary graph: render draws it, explain derives it."""
    from tracegrad.autograd import draw, explain

    x, y, out = _example()
    (gx,) = grad_values(out, [x])
    source = draw(gx).source
    assert "tanh" in source and "x" in source
    derivation = explain(gx, x)
    assert math.isclose(derivation.value, nth_derivative(out, [x, x]).data, rel_tol=1e-12)

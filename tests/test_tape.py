"""autograd.compile: a traced tape replayed with numpy gives the eager engine's numbers.

The oracle is the eager engine run sample by sample (its own forward functions and FloatMath
partials; the tape uses the table's array forwards and ArrayMath), on random graphs drawn by
hypothesis and on nn MLPs; plus control-flow detection and clear errors.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st
from tracegrad.autograd import OPS, ControlFlowError, Value, graph
from tracegrad.autograd.compiled.tape import ArrayMath
from tracegrad.autograd.value import apply
from tracegrad.nn.layers import MLP
from tracegrad.nn.losses import hinge

from tracegrad import autograd

OP_NAMES = sorted(OPS)


# ---------------------------------------------------------------- random graphs
def build(steps: list[tuple[str, int, int, float]], xs: list[Value], ps: list[Value]) -> Value:
    """A graph from a recipe: each step applies a table op to earlier nodes. Operands of ops
    with a restricted domain are made positive (x*x + 0.5); a constant operand (an input
    the op does not differentiate) is passed as the plain number c."""
    nodes: list[Value] = [*xs, *ps]
    for name, i, j, c in steps:
        op = OPS[name]
        ins: list[Any] = [nodes[i % len(nodes)], nodes[j % len(nodes)]][: op.arity]
        if op.domain:
            ins = [x * x + 0.5 for x in ins]
        ins = [x if live else c for x, live in zip(ins, op.differentiable)]
        nodes.append(apply(op, *ins).tanh() if op.domain else apply(op, *ins))
    out = nodes[-1]
    for v in nodes[len(xs) + len(ps) :: 3]:  # use more of the graph than the last chain
        out = out + v
    return out


recipes = st.lists(
    st.tuples(
        st.sampled_from(OP_NAMES),
        st.integers(0, 50),
        st.integers(0, 50),
        st.floats(-2.0, 2.0, allow_nan=False).filter(lambda c: abs(c) > 0.1),
    ),
    min_size=1,
    max_size=12,
)


def eager_batch(recipe: Any, X: np.ndarray, ps: list[Value]) -> tuple[list[float], Any, Any]:
    """Per sample: output, input grads; and param grads summed over samples (eager)."""
    for p in ps:
        p.grad = 0.0
    outs, gx = [], []
    for row in X.tolist():
        xs = [Value(v) for v in row]
        out = build(recipe, xs, ps)
        out.backward()
        outs.append(out.data)
        gx.append([x.grad for x in xs])
    return outs, np.array(gx), np.array([p.grad for p in ps])


def close(a: Any, b: Any, rel: float) -> bool:
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    return bool(np.all(np.abs(a - b) <= rel * np.maximum(1.0, np.abs(b))))


def batches(max_size: int) -> Any:
    """Batches of 1 to max_size samples of two inputs."""
    row = st.lists(st.floats(-1.5, 1.5, allow_nan=False), min_size=2, max_size=2)
    return st.lists(row, min_size=1, max_size=max_size)


two_params = st.lists(st.floats(-1.5, 1.5, allow_nan=False), min_size=2, max_size=2)


@given(recipe=recipes, X=batches(5), pdata=two_params)
def test_random_graphs_match_eager(recipe: Any, X: list[list[float]], pdata: list[float]) -> None:
    Xa = np.array(X)
    ps = [Value(v) for v in pdata]
    outs, gx, gp = eager_batch(recipe, Xa, ps)
    assume(np.all(np.isfinite(outs)) and np.all(np.isfinite(gx)) and np.all(np.isfinite(gp)))
    f = autograd.compile(lambda x: build(recipe, x, ps), check=1)
    res = f.grad(Xa)
    assert close(res.out, outs, 1e-12)
    assert close(res.input_grads[0], gx, 1e-10)
    leaf = {id(v): k for k, v in enumerate(f.leaves)}
    mine = [res.leaf_grads[leaf[id(p)]] if id(p) in leaf else 0.0 for p in ps]
    assert close(mine, gp, 1e-10)


@pytest.mark.parametrize("name", OP_NAMES)
def test_every_op_has_an_array_forward_that_matches(name: str) -> None:
    op = OPS[name]
    assert op.array is not None, f"{name} has no array forward for the compiled tape"
    rng = np.random.default_rng(3)
    pts = rng.uniform(0.2, 2.0, size=(50, op.arity))  # inside every op's domain
    pts[::5] *= -1.0 if not op.domain else 1.0
    got = op.array(np, *pts.T)
    want = [op.forward(*row) for row in pts.tolist()]
    assert close(got, want, 1e-14)


def test_array_math_mirrors_float_math() -> None:
    from tracegrad.autograd.ops import FloatMath

    names = {n for n in vars(FloatMath) if not n.startswith("_")}
    for n in names:
        assert hasattr(ArrayMath, n), f"ArrayMath lacks {n}"
    xs = np.array([-2.0, -0.5, 0.0, 0.5, 3.0])
    with np.errstate(all="ignore"):
        assert np.array_equal(ArrayMath.step(xs), [FloatMath.step(x) for x in xs])
        got = ArrayMath.log_or_nan(xs)
        want = [FloatMath.log_or_nan(x) for x in xs]
        assert np.allclose(got, want, equal_nan=True)
        assert np.array_equal(ArrayMath.div(1.0, np.array([0.0, -0.0])), [math.inf, -math.inf])


# ---------------------------------------------------------------- MLPs
@pytest.mark.parametrize("act", ["relu", "tanh", "sigmoid"])
def test_mlp_gradients_equal_eager(act: str) -> None:
    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, 3))
    T = rng.normal(size=40)
    model = MLP(3, [8, 6, 1], activation=act, seed=4)
    params = model.parameters()
    for p in params:
        p.grad = 0.0
    outs = []
    per_sample = []
    for x, t in zip(X.tolist(), T.tolist()):
        before = np.array([p.grad for p in params])
        loss = (model(x) - t) ** 2
        loss.backward()
        outs.append(loss.data)
        per_sample.append(np.array([p.grad for p in params]) - before)
    eager = np.array([p.grad for p in params])

    f = autograd.compile(lambda x, t: (model(x) - t) ** 2)
    res = f.grad(X, T)
    order = [next(k for k, v in enumerate(f.leaves) if v is p) for p in params]
    assert close(res.out, outs, 1e-12)
    assert close(res.leaf_grads[order], eager, 1e-12)
    each = f.grad(X, T, per_sample=True).leaf_grads[:, order]
    assert each.shape == (40, len(params))
    assert close(each, np.array(per_sample), 1e-12)


def test_backward_accumulates_into_grad_and_sees_updated_parameters() -> None:
    model = MLP(2, [4, 1], seed=1)
    params = model.parameters()
    X = np.array([[0.5, -1.0], [1.5, 0.3], [-0.2, 0.8]])
    f = autograd.compile(lambda x: model(x) * model(x))
    model.zero_grad()
    f.backward(X, scale=0.5)
    once = [p.grad for p in params]
    f.backward(X, scale=0.5)
    assert close([p.grad for p in params], [2 * g for g in once], 1e-15)
    for p in params:  # an optimizer step: the tape reads parameters afresh
        p.data -= 0.1 * p.grad
    eager = [(model(x) * model(x)).data for x in X.tolist()]
    assert close(f(X), eager, 1e-12)


def test_hinge_labels_traced_as_constants_per_label() -> None:
    """nn's hinge reads its label as a number: one tape per label value is fine."""
    model = MLP(2, [5, 1], seed=2)
    X = np.random.default_rng(1).normal(size=(10, 2))
    f = autograd.compile(lambda x: hinge(model(x), -1.0))
    assert close(f(X), [hinge(model(x), -1.0).data for x in X.tolist()], 1e-12)


# ---------------------------------------------------------------- control flow
def test_relu_kink_is_not_control_flow() -> None:
    f = autograd.compile(lambda x: (x * 2.0 - 1.0).relu())
    X = np.array([-1.0, 0.0, 0.5, 1.0, 3.0])
    res = f.grad(X)
    assert np.array_equal(res.out, [0.0, 0.0, 0.0, 1.0, 5.0])
    assert np.array_equal(res.input_grads[0], [0.0, 0.0, 0.0, 2.0, 2.0])


def test_branch_on_data_is_detected_at_compile() -> None:
    def f(x: Value) -> Value:
        return x * 2.0 if x.data > 0 else x * 3.0

    with pytest.raises(ControlFlowError, match="different graph for sample"):
        autograd.compile(f)(np.array([1.0, 2.0, -1.0]))


def test_data_baked_into_a_constant_is_detected() -> None:
    with pytest.raises(ControlFlowError, match="constant"):
        autograd.compile(lambda x: x * x.data)(np.array([1.0, 2.0, 3.0]))


def test_comparison_guard_checked_on_every_replay() -> None:
    def f(x: Value) -> Value:
        return x * 2.0 if x > 0 else x * 3.0

    g = autograd.compile(f)
    assert np.array_equal(g(np.array([1.0, 2.0, 4.0])), [2.0, 4.0, 8.0])
    with pytest.raises(ControlFlowError, match="sample 2 takes another branch"):
        g(np.array([1.0, 2.0, -4.0, 5.0]))
    h = autograd.compile(lambda x, y: x if max(x, y) is x else y * 2.0)
    with pytest.raises(ControlFlowError):
        h(np.array([3.0, 1.0]), np.array([1.0, 2.0]))


def test_undetected_branch_is_documented() -> None:
    """A .data branch all traced samples take alike is not seen: documented, not hidden."""
    doc = autograd.compiled.tape.__doc__ or ""
    assert "Not detected" in doc and ".data" in doc


# ---------------------------------------------------------------- errors
def test_domain_error_names_the_sample() -> None:
    f = autograd.compile(lambda x: x.log())
    assert close(f(np.array([1.0, math.e])), [0.0, 1.0], 1e-15)
    with pytest.raises(ValueError, match="sample 1: log"):
        f(np.array([1.0, -2.0]))
    d = autograd.compile(lambda x, y: x / y)
    assert np.array_equal(d(np.array([1.0, 3.0]), np.array([2.0, 4.0])), [0.5, 0.75])
    with pytest.raises(ZeroDivisionError, match="sample 1: division by zero"):
        d(np.array([1.0, 1.0]), np.array([1.0, 0.0]))


def test_bad_calls_give_clear_errors() -> None:
    f = autograd.compile(lambda x: x * 2.0)
    with pytest.raises(ValueError, match="batch size"):
        autograd.compile(lambda x, y: x * y)(np.ones(3), np.ones(4))
    with pytest.raises(ValueError, match="shape"):
        f(np.ones((2, 2, 2)))
    with pytest.raises(TypeError, match="array of numbers"):
        f(["a", "b"])
    with pytest.raises(TypeError, match="one Value"):
        autograd.compile(lambda x: [x, x])(np.ones(2))
    with pytest.raises(TypeError, match="needs a function"):
        autograd.compile(3)  # type: ignore[arg-type]
    f(np.ones(3))
    with pytest.raises(ValueError, match="traced with"):
        f(np.ones((3, 2)))
    assert "nodes" in repr(f) and len(f) > 0


# ---------------------------------------------------------------- nn.fit(compiled=True)
@pytest.mark.parametrize(
    ("loss", "out_act"), [("hinge", "linear"), ("mse", "linear"), ("bce", "sigmoid")]
)
def test_fit_compiled_trains_like_eager(loss: str, out_act: str) -> None:
    from tracegrad.nn.data import make_moons
    from tracegrad.nn.train import fit

    X, y = make_moons(120, seed=5)
    eager = MLP(2, [6, 1], output_activation=out_act, seed=3)
    comp = MLP(2, [6, 1], output_activation=out_act, seed=3)
    kw: dict[str, Any] = dict(loss=loss, epochs=4, batch_size=40, progress=False, l2=1e-3)
    h1 = fit(eager, X, y, **kw)
    h2 = fit(comp, X, y, compiled=True, **kw)
    assert close(h2.loss, h1.loss, 1e-12)
    assert h2.accuracy == h1.accuracy
    w1 = np.concatenate([np.ravel(layer) for layer in eager.weights()])
    w2 = np.concatenate([np.ravel(layer) for layer in comp.weights()])
    assert close(w2, w1, 1e-12)


def test_fit_compiled_reports_a_loss_that_branches_on_data() -> None:
    from tracegrad.nn.data import make_moons
    from tracegrad.nn.train import fit

    def clipped(pred: Value, target: float) -> Value:  # compares a Value: a guard
        return (pred - target) ** 2 if pred < 1.0 else pred * 0.0

    X, y = make_moons(60, seed=5)
    model = MLP(2, [4, 1], seed=1)
    model.layers[-1].neurons[0].b.data = 1.2  # outputs 0.05 to 1.13: both branches
    with pytest.raises(ControlFlowError, match="takes another branch"):
        fit(model, X, y, loss=clipped, epochs=1, progress=False, compiled=True)


# ---------------------------------------------------------------- the grouped replay (vectape)
def per_node(f: Any, *args: Any) -> Any:
    """The per-node replay (one numpy call per node), as the reference for the grouped one."""
    r = f.grad(*args, per_sample=True)
    return r.out, r.input_grads, r.leaf_grads.sum(0)


@given(recipe=recipes, X=batches(7), pdata=two_params, chunk=st.integers(1, 4))
def test_grouped_replay_matches_eager_in_chunks(
    recipe: Any, X: list[list[float]], pdata: list[float], chunk: int
) -> None:
    from unittest import mock

    Xa = np.array(X)
    ps = [Value(v) for v in pdata]
    outs, gx, gp = eager_batch(recipe, Xa, ps)
    assume(np.all(np.isfinite(outs)) and np.all(np.isfinite(gx)) and np.all(np.isfinite(gp)))
    f = autograd.compile(lambda x: build(recipe, x, ps), check=1)
    with mock.patch("tracegrad.autograd.compiled.tape.CHUNK", chunk):
        res = f.grad(Xa)
    assert f._schedule is not None
    assert close(res.out, outs, 1e-12)
    assert close(res.input_grads[0], gx, 1e-12)
    out0, ig0, lg0 = per_node(f, Xa)
    assert close(res.out, out0, 1e-12) and close(res.input_grads[0], ig0[0], 1e-12)
    assert close(res.leaf_grads, lg0, 1e-12)
    leaf = {id(v): k for k, v in enumerate(f.leaves)}
    mine = [res.leaf_grads[leaf[id(p)]] if id(p) in leaf else 0.0 for p in ps]
    assert close(mine, gp, 1e-12)


def test_an_mlp_replays_a_layer_per_numpy_call() -> None:
    model = MLP(2, [16, 16, 1], seed=3)
    X = np.random.default_rng(1).normal(size=(300, 2))
    T = np.where(X[:, 0] > 0, 1.0, -1.0)
    f = autograd.compile(lambda x, t: (1.0 - t * model(x)).relu())
    res = f.grad(X, T)
    kinds = [g.op.name if g.op else ("matmul" if g.shared else "dot") for g in f._schedule.groups]
    assert kinds == ["matmul", "relu", "matmul", "relu", "matmul", "mul", "sub", "relu"]
    assert len(f) > 900 and f.numpy_calls < 100  # vs one call per node before
    out0, ig0, lg0 = per_node(f, X, T)
    assert close(res.out, out0, 1e-12) and close(res.leaf_grads, lg0, 1e-12)
    assert close(res.input_grads[0], ig0[0], 1e-12)
    model.zero_grad()
    calls = f.numpy_calls
    assert close(f.backward(X, T), res.out, 0.0)  # backward skips the inputs' gradients
    assert f.numpy_calls < calls
    got = [v.grad for v in f.leaves if v in set(model.parameters())]
    want = [g for v, g in zip(f.leaves, res.leaf_grads) if v in set(model.parameters())]
    assert close(got, want, 1e-15)


def test_chunks_number_samples_from_the_whole_batch() -> None:
    from unittest import mock

    f = autograd.compile(lambda x: (x * 2.0).log())
    g = autograd.compile(lambda x: x * 2.0 if x > 0 else x * 3.0)
    with mock.patch("tracegrad.autograd.compiled.tape.CHUNK", 2):
        with pytest.raises(ValueError, match="sample 3: log"):  # traced on samples 0, 2, 4
            f(np.array([1.0, 2.0, 3.0, -4.0, 5.0]))
        with pytest.raises(ControlFlowError, match="sample 3 takes another branch"):
            g(np.array([1.0, 2.0, 3.0, -4.0, 5.0]))
        assert np.array_equal(g(np.arange(1.0, 6.0)), 2.0 * np.arange(1.0, 6.0))


# ---------------------------------------------------------------- the same rule, batched
@given(recipe=recipes, X=batches(4), pdata=two_params)
def test_both_batched_passes_agree_with_reverse_walk(
    recipe: Any, X: list[list[float]], pdata: list[float]
) -> None:
    """tape.py's ``_backward`` (per sample) and vectape's ``Schedule.run`` (grouped) are the
    batched versions of the chain rule ``graph.reverse_walk`` applies node by node."""

    Xa = np.array(X)
    ps = [Value(v) for v in pdata]
    previous = graph.set_plain(True)  # the plain walk itself, whatever TRACEGRAD_PLAIN says
    try:
        outs, gx, gp = eager_batch(recipe, Xa, ps)
    finally:
        graph.set_plain(previous)
    assume(np.all(np.isfinite(outs)) and np.all(np.isfinite(gx)) and np.all(np.isfinite(gp)))
    f = autograd.compile(lambda x: build(recipe, x, ps), check=1)
    grouped = f.grad(Xa)  # the schedule when the tape has one (vectape), else tape._backward
    per_sample = f.grad(Xa, per_sample=True)  # tape._backward, one node per call
    leaf = {id(v): k for k, v in enumerate(f.leaves)}
    for res in (grouped, per_sample):
        assert close(res.input_grads[0], gx, 1e-10)
        sums = res.leaf_grads if res is grouped else res.leaf_grads.sum(0)
        assert close([sums[leaf[id(p)]] if id(p) in leaf else 0.0 for p in ps], gp, 1e-10)


def test_an_mlp_takes_the_grouped_pass_and_agrees_with_reverse_walk() -> None:

    model = MLP(2, [4, 1], activation="tanh", seed=1)
    X = np.array([[0.5, -1.0], [1.5, 0.25], [-0.75, 2.0]])
    f = autograd.compile(lambda x: model(x) * model(x))
    res = f.grad(X)
    assert f._schedule is not None  # vectape's Schedule ran
    previous = graph.set_plain(True)
    try:
        for p in model.parameters():
            p.grad = 0.0
        for row in X.tolist():
            out = model([Value(v) for v in row])
            (out * out).backward()
    finally:
        graph.set_plain(previous)
    by_leaf = dict(zip(map(id, f.leaves), res.leaf_grads.tolist()))
    assert close([by_leaf[id(p)] for p in model.parameters()],
                 [p.grad for p in model.parameters()], 1e-12)  # fmt: skip

"""The accelerator (``autograd/fastwalk.py``) against the plain walk (``graph.reverse_walk``).

Both are run in this process on the same random graphs: trees over every op with constants on
either side of an operator, DAGs with shared subexpressions, each pass run twice (leaves
accumulate, intermediates are recomputed). Every gradient, leaf and intermediate, must be
bit-identical: compared as the eight bytes of each float (``struct.pack``), so a NaN's sign
bit counts and -0.0 differs from 0.0. The switch between the two runs in one process
(``graph.set_plain``), and the generated loop has source (``linecache``) a debugger can show.
"""

from __future__ import annotations

import dataclasses
import inspect
import linecache
import math
import struct
import traceback

import pytest
from hypothesis import given
from hypothesis import strategies as st
from strategies import VALUE_BACKEND, build_dag, dags, evaluate, points, trees
from tracegrad.autograd import Value, fastwalk, graph
from tracegrad.autograd.ops import OPS
from tracegrad.autograd.value import apply


def _bits(x: float) -> bytes:
    return struct.pack("<d", x)


def _plain(root: Value, grad: float) -> None:
    for _ in graph.reverse_walk(graph.prepare(root, grad, constants=False), graph.GradSlots()):
        pass


def _fast(root: Value, grad: float) -> None:
    if root._op is None:
        root.grad += grad
    else:
        graph._accelerated(root, grad)


def _grads_after(build, run, passes: int = 2) -> list[bytes]:  # type: ignore[no-untyped-def]
    root = build()
    if not isinstance(root, Value):
        return []
    for k in range(passes):
        run(root, 1.0 if k == 0 else 0.75)
    return [_bits(n.grad) for n in graph.topo_order(root, constants=False)]


@given(trees, points)
def test_trees_give_bit_identical_gradients(tree, xs) -> None:  # type: ignore[no-untyped-def]
    def build() -> Value:
        inputs = [Value(x, label=f"x{i}") for i, x in enumerate(xs)]
        out = evaluate(tree, inputs, VALUE_BACKEND)
        return out * 1.5 if isinstance(out, Value) else out  # a constant on the right too

    assert _grads_after(build, _plain) == _grads_after(build, _fast)


@given(dags())
def test_dags_with_shared_nodes_give_bit_identical_gradients(recipe) -> None:  # type: ignore[no-untyped-def]
    def build() -> Value:
        root = build_dag(recipe)[-1]
        return 2.0 - root  # a reflected operator: the constant is the first input

    assert _grads_after(build, _plain, passes=3) == _grads_after(build, _fast, passes=3)


def test_the_bit_comparison_sees_a_nans_sign_and_a_negative_zero() -> None:
    assert _bits(math.nan) != _bits(-math.nan)
    assert _bits(0.0) != _bits(-0.0)
    assert _bits(math.inf) == _bits(math.inf)


# Numbers where a careless accelerator and the walk part: NaN of either sign, the infinities,
# both zeros, and ordinary numbers. Each is a leaf's data or a constant operand.
SPECIAL = st.sampled_from([math.nan, -math.nan, math.inf, -math.inf, 0.0, -0.0, 1.0, -2.5, 3e300])
SPECIAL_OPS = ["add", "sub", "mul", "neg", "tanh", "sigmoid", "relu", "sin", "cos", "step", "exp"]


@st.composite
def special_graphs(draw):  # type: ignore[no-untyped-def]
    """(leaves' data, [(op, i, j or a constant)]): graphs over NaN, ±inf and ±0.0."""
    leaves = draw(st.lists(SPECIAL, min_size=1, max_size=3))
    steps = []
    for k in range(draw(st.integers(1, 8))):
        n = len(leaves) + k
        other = draw(st.one_of(st.integers(0, n - 1), SPECIAL.map(lambda c: ("c", c))))
        steps.append((draw(st.sampled_from(SPECIAL_OPS)), draw(st.integers(0, n - 1)), other))
    return leaves, steps, draw(SPECIAL)


def _build_special(recipe) -> Value:  # type: ignore[no-untyped-def]
    leaves, steps, _ = recipe
    nodes = [Value(x) for x in leaves]
    for name, i, j in steps:
        op = OPS[name]
        other = j[1] if isinstance(j, tuple) else nodes[j]
        try:
            if op.arity == 1:
                nodes.append(apply(op, nodes[i]))
            else:  # a constant on the left, then on the right
                nodes.append(apply(op, other, nodes[i]) if i % 2 else apply(op, nodes[i], other))
        except ValueError:  # sin(inf) has no value: a copy of its input stands in for it
            nodes.append(nodes[i] * 1.0)
    return nodes[-1]


@given(special_graphs())
def test_nan_inf_and_negative_zero_give_the_same_bits_both_ways(recipe) -> None:  # type: ignore[no-untyped-def]
    seed = recipe[2]  # the root's gradient: NaN, ±inf, ±0.0 too

    def plain(root: Value, grad: float) -> None:
        _plain(root, seed if grad == 1.0 else grad)

    def fast(root: Value, grad: float) -> None:
        _fast(root, seed if grad == 1.0 else grad)

    build = lambda: _build_special(recipe)  # noqa: E731
    assert _grads_after(build, plain) == _grads_after(build, fast)


def test_the_issues_example_keeps_the_nans_sign_both_ways() -> None:
    signs = []
    for plain in (False, True):
        previous = graph.set_plain(plain)
        try:
            a = Value(2.0)
            ((-a) * Value(math.nan)).backward()
            signs.append(_bits(a.grad))
        finally:
            graph.set_plain(previous)
    assert signs[0] == signs[1]


def test_the_plain_walk_switches_on_and_off_in_one_process(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    walked = []
    real = graph.reverse_walk

    def spy(*args, **kwargs):  # type: ignore[no-untyped-def]
        walked.append(True)
        return real(*args, **kwargs)

    monkeypatch.setattr(graph, "reverse_walk", spy)
    previous = graph.set_plain(False)
    try:
        runs = []
        for plain in (False, True, False):
            graph.set_plain(plain)
            walked.clear()
            x = Value(3.0)
            (x * x).tanh().backward()
            runs.append((bool(walked), x.grad))
    finally:
        graph.set_plain(previous)
    assert [w for w, _ in runs] == [False, True, False]  # the accelerator, the walk, again
    assert len({g for _, g in runs}) == 1
    assert previous == graph.PLAIN


def test_the_generated_loop_has_source_a_debugger_can_show() -> None:
    source = inspect.getsource(graph._accelerated)
    assert source == fastwalk.BACKWARD_SOURCE
    assert "graph.reverse_walk" in source.split("for node in reversed(order)")[0]  # its docstring
    assert linecache.getline(fastwalk.GENERATED_FILE, 1).startswith("def backward(root, grad):")
    assert "generated" in fastwalk.GENERATED_FILE


def test_a_traceback_through_the_generated_loop_shows_its_line() -> None:
    def failing(m, out, a):  # type: ignore[no-untyped-def]
        raise RuntimeError("a partial failed")

    row = dataclasses.replace(OPS["neg"], name="failing", partials=failing)
    y = apply(row, Value(1.0)) * 2.0
    with pytest.raises(RuntimeError) as info:
        graph._accelerated(y, 1.0)
    frames = [f for f in traceback.extract_tb(info.value.__traceback__)]
    mine = [f for f in frames if f.filename == fastwalk.GENERATED_FILE]
    assert mine and mine[0].line == "_step(node, g, _slots)"
    assert any(f.name == "step" and f.filename.endswith("graph.py") for f in frames)


def test_the_generic_branch_is_the_walks_own_step() -> None:
    assert "_step(node, g, _slots)" in fastwalk.BACKWARD_SOURCE
    assert not hasattr(fastwalk, "_generic_step")  # no hand copy of the step


def test_generated_backward_has_a_traced_branch_per_row() -> None:
    for name in OPS:  # every row has its branch, traced from the row (no generic fallback)
        assert f"# {name}\n" in fastwalk.BACKWARD_SOURCE
    assert "_op2.partials" not in fastwalk.BACKWARD_SOURCE


def test_the_order_writes_nothing_on_a_node_but_its_grad() -> None:
    assert set(Value.__slots__) == {"data", "grad", "_label", "_op", "_a", "_b", "__weakref__"}
    x = Value(2.0)
    y = (x * x + 1.0).exp()
    order = fastwalk.op_order(y)  # a walk whose propagation never ran
    assert order == graph.topo_order(y, constants=False)[1:]  # the same order, leaves left out
    # a walk stopped half-way (an input that is not a Value) leaves every grad a float 0.0
    z = (x * 2.0).tanh()
    deep = (z + 1.0) * z
    broken = (deep * 3.0).exp()
    deep._b = object()  # type: ignore[assignment]
    with pytest.raises(AttributeError):
        fastwalk.op_order(broken)
    assert [type(n.grad) for n in (broken, broken._a, deep, z)] == [float] * 4
    assert [n.grad for n in order] == [0.0, 0.0, 0.0]
    assert all(type(n.grad) is float and type(n.data) is float for n in order)
    y.backward()
    assert x.grad == 4.0 * math.exp(5.0)


def test_a_row_that_does_not_trace_falls_back_to_its_partials() -> None:
    def branchy(m, out, a):  # type: ignore[no-untyped-def]
        return (2.0 if a > 0 else -2.0,)  # a Python `if` on an input: cannot be traced

    row = dataclasses.replace(OPS["neg"], partials=branchy)
    assert fastwalk.trace_partials(row, ("out", "ad")) is None
    assert fastwalk.trace_partials(OPS["tanh"], ("out", "ad")) == ("(1.0 - (out * out))",)
    lines = fastwalk._body(row, 6, (False,))
    assert "parts = _op6.partials(_FloatMath, out, ad)" in lines
    assert lines[-1] == "a.grad += g * parts[0]"


def test_an_op_added_after_import_takes_the_plain_step() -> None:
    row = dataclasses.replace(OPS["neg"], name="negtwice", partials=lambda m, out, a: (-2.0,))
    x = Value(3.0)
    y = apply(row, x) * 1.0
    y.backward()
    assert x.grad == -2.0

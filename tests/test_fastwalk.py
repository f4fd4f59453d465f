"""The accelerator (``autograd/fastwalk.py``) against the plain walk (``graph.reverse_walk``).

Both are run in this process on the same random graphs: trees over every op with constants on
either side of an operator, DAGs with shared subexpressions, each pass run twice (leaves
accumulate, intermediates are recomputed). Every gradient, leaf and intermediate, must be
bit-identical (NaN equals NaN; -0.0 differs from 0.0).
"""

from __future__ import annotations

import dataclasses
import math
import struct

from hypothesis import given
from strategies import VALUE_BACKEND, build_dag, dags, evaluate, points, trees
from tracegrad.autograd import Value, fastwalk, graph
from tracegrad.autograd.ops import OPS
from tracegrad.autograd.value import apply


def _bits(x: float) -> int | str:
    return "nan" if math.isnan(x) else struct.unpack("<q", struct.pack("<d", x))[0]


def _plain(root: Value, grad: float) -> None:
    for _ in graph.reverse_walk(graph.prepare(root, grad, constants=False), graph.GradSlots()):
        pass


def _fast(root: Value, grad: float) -> None:
    if root._op is None:
        root.grad += grad
    else:
        fastwalk.backward(root, grad)


def _grads_after(build, run, passes: int = 2) -> list[int | str]:  # type: ignore[no-untyped-def]
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


def test_the_switch_is_read_from_the_environment() -> None:
    import os

    assert (os.environ.get("TRACEGRAD_PLAIN") == "1") == graph.PLAIN


def test_generated_backward_has_a_traced_branch_per_row() -> None:
    for name in OPS:  # every row has its branch, traced from the row (no generic fallback)
        assert f"# {name}\n" in fastwalk.BACKWARD_SOURCE
    assert "_op2.partials" not in fastwalk.BACKWARD_SOURCE


def test_marks_live_in_their_own_slot_and_a_stopped_pass_leaves_none_behind() -> None:
    x = Value(2.0)
    y = (x * x + 1.0).exp()
    order = fastwalk.op_order(y)  # a walk whose propagation never ran
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

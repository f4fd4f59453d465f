"""backward(): order, shared subexpressions, deep graphs, the accumulation policy."""

from __future__ import annotations

import math
import sys
from typing import Any

import pytest
from tracegrad.autograd import Value, backward, topo_order, zero_grad


def test_micrograd_lecture_example() -> None:
    a, b = Value(2.0, label="a"), Value(-3.0, label="b")
    c = Value(10.0, label="c")
    e = a * b
    d = e + c
    f = Value(-2.0, label="f")
    L = d * f
    L.backward()
    assert (L.grad, d.grad, f.grad, e.grad, c.grad) == (1.0, -2.0, 4.0, -2.0, -2.0)
    assert (a.grad, b.grad) == (6.0, -4.0)


def test_same_value_twice_in_one_op() -> None:
    a = Value(3.0)
    (a * a).backward()
    assert a.grad == 6.0
    b = Value(3.0)
    (b + b).backward()
    assert b.grad == 2.0


def test_shared_subexpression_visits_each_node_once() -> None:
    a = Value(1.0)
    b = a + a
    c = b + b
    order = topo_order(c)
    assert len(order) == 3 and len({id(n) for n in order}) == 3
    c.backward()
    assert a.grad == 4.0 and b.grad == 2.0


def test_diamond_graph() -> None:
    x = Value(0.5)
    y = x.tanh()
    z = y * y + y.exp()
    z.backward()
    t = math.tanh(0.5)
    assert x.grad == pytest.approx((2 * t + math.exp(t)) * (1 - t * t), rel=1e-15)


def test_topological_order_is_deterministic_and_inputs_come_first() -> None:
    def build() -> Value:
        xs = [Value(float(i), label=f"x{i}") for i in range(6)]
        return ((xs[0] * xs[1] + xs[2]).tanh() * (xs[3] - xs[4]) + xs[5] * xs[0]).exp()

    orders = [[(n.label, n.op, n.data) for n in topo_order(build())] for _ in range(3)]
    assert orders[0] == orders[1] == orders[2]
    order = topo_order(build())
    position = {id(n): i for i, n in enumerate(order)}
    for node in order:
        for p in node.parents:
            assert position[id(p)] < position[id(node)]


@pytest.mark.slow
def test_a_chain_of_a_million_operations() -> None:
    n = 1_000_000
    x = Value(1.0, label="x")
    c = Value(1.000001, label="c")
    y = x
    for _ in range(n):
        y = y * c
    assert sys.getrecursionlimit() < n  # no recursion: the default limit stays
    y.backward()
    assert x.grad == pytest.approx(1.000001**n, rel=1e-9)
    assert c.grad == pytest.approx(n * 1.000001 ** (n - 1), rel=1e-9)


def test_second_backward_doubles_leaf_grads_exactly() -> None:
    a, b = Value(0.3), Value(-1.7)
    h = (a * b).tanh()
    L = h * h + a.exp() / b
    L.backward()
    first = (a.grad, b.grad, h.grad)
    L.backward()
    assert a.grad == 2 * first[0] and b.grad == 2 * first[1]
    assert h.grad == first[2]  # intermediates are recomputed, not compounded
    assert L.grad == 1.0


def test_zero_grad_then_backward_gives_first_pass_again() -> None:
    a, b = Value(0.3), Value(-1.7)
    L = (a * b + b.sigmoid()).relu() + (a - b) ** 2
    L.backward()
    first = (a.grad, b.grad)
    zero_grad(L)
    assert a.grad == b.grad == L.grad == 0.0
    L.backward()
    assert (a.grad, b.grad) == first
    L.zero_grad()
    assert a.grad == 0.0


def test_backward_on_a_leaf_accumulates_one() -> None:
    a = Value(5.0)
    a.backward()
    a.backward()
    assert a.grad == 2.0


def test_backward_with_an_upstream_grad() -> None:
    a = Value(2.0)
    y = a * 3
    backward(y, grad=0.5)
    assert y.grad == 0.5 and a.grad == 1.5


def test_backward_needs_a_value() -> None:
    with pytest.raises(TypeError, match="needs a Value"):
        backward(3.0)  # type: ignore[arg-type]


def test_graph_is_freed_by_reference_counting_alone() -> None:
    """Values hold only their inputs (no closures, no back references): no cycles to collect."""
    import gc

    gc.collect()
    gc.disable()
    try:
        before = len(gc.get_objects())
        x = Value(1.0)
        z = x
        for _ in range(1000):
            z = (z * 1.0 + 0.0).relu()
        z.backward()
        during = len(gc.get_objects())
        assert during > before + 3000  # the graph's Values are tracked objects...
        del z
        after = len(gc.get_objects())
        assert after < before + 10  # ...and reference counting alone freed all of them
    finally:
        gc.enable()


def test_four_threads_on_one_graph_add_four_passes() -> None:
    import threading

    x = Value(0.5, label="x")
    y = x
    for _ in range(20_000):
        y = (y * 1.00001).tanh() + 0.001 * x
    y.backward()
    one = x.grad
    x.grad = 0.0
    start = threading.Barrier(4)

    def run() -> None:
        start.wait()
        y.backward()

    threads = [threading.Thread(target=run) for _ in range(4)]
    old = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # switch threads as often as possible: interleave the passes
    try:
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    finally:
        sys.setswitchinterval(old)
    assert x.grad == pytest.approx(4 * one, rel=1e-12)


def _made_cyclic() -> tuple[Value, Value]:
    """b = a * 3, c = b + 1, then b's input replaced by c: b depends on c depends on b."""
    a = Value(2.0, label="a")
    b = a * 3
    c = b + 1
    d = c * c + a  # a node above the cycle, reached twice
    b._a = c
    return c, d


@pytest.mark.parametrize(
    "walk",
    [
        lambda v: v.backward(),
        lambda v: topo_order(v),
        lambda v: v.backward(create_graph=True),
        lambda v: __import__("pickle").dumps(v),
        lambda v: __import__("copy").deepcopy(v),
        lambda v: zero_grad(v),
    ],
    ids=["backward", "topo_order", "create_graph", "pickle", "deepcopy", "zero_grad"],
)
def test_a_graph_made_cyclic_is_refused_in_one_line(walk: Any) -> None:
    from tracegrad.autograd.limits import GraphCycleError

    for root in _made_cyclic():
        with pytest.raises(GraphCycleError) as info:
            walk(root)
        message = str(info.value)
        assert "\n" not in message and "cycle" in message and "op='+'" in message


def test_shared_nodes_are_not_a_cycle() -> None:
    """A diamond (a node used by two others, and twice by one) is no cycle: every walk
    agrees with the gradient worked by hand."""
    import copy
    import pickle

    x = Value(1.5)
    s = x * x
    t = s + s * 2.0
    u = t * s + s
    u.backward()
    assert x.grad == pytest.approx(12 * 1.5**3 + 2 * 1.5)
    assert copy.deepcopy(u).data == pickle.loads(pickle.dumps(u)).data == u.data

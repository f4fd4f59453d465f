"""trace(): which nodes and edges a drawing shows, in a stable order; parts of a graph."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from tracegrad.autograd import GraphTooLargeError, Value, draw, gradient_path, trace
from tracegrad.autograd.graph import topo_order

from tracegrad import seed


def _reachable(root: Value) -> set[int]:
    """Oracle: ids of everything reachable through parents (plain recursion-free walk)."""
    seen, todo = set(), [root]
    while todo:
        v = todo.pop()
        if id(v) not in seen:
            seen.add(id(v))
            todo.extend(v.parents)
    return seen


@st.composite
def dags(draw_: st.DrawFn) -> Value:
    """Random graphs with shared sub-expressions (a Value used by several later ones)."""
    pool = [
        Value(x, label=f"x{i}")
        for i, x in enumerate(
            draw_(st.lists(st.floats(-2, 2, allow_nan=False), min_size=1, max_size=4))
        )
    ]
    for _ in range(draw_(st.integers(0, 25))):
        kind = draw_(st.sampled_from(["+", "*", "tanh", "-"]))
        a = draw_(st.sampled_from(pool))
        b = draw_(st.sampled_from(pool))
        pool.append({"+": a + b, "*": a * b, "tanh": a.tanh(), "-": -a}[kind])
    return pool[-1]


@given(dags())
def test_trace_is_every_reachable_value_inputs_first(root: Value) -> None:
    nodes, edges, cut = trace(root)
    assert {id(v) for v in nodes} == _reachable(root)
    assert len(nodes) == len({id(v) for v in nodes})
    pos = {id(v): i for i, v in enumerate(nodes)}
    assert all(pos[id(p)] < pos[id(c)] for p, c in edges)
    assert len(edges) == sum(len(v.parents) for v in nodes)  # a * a has two edges
    assert cut == []


def test_order_and_picture_are_stable_run_to_run() -> None:
    first = draw(seed.solved()["E"]).source
    for _ in range(3):
        assert draw(seed.solved()["E"]).source == first


def test_micrograd_style_unpacking() -> None:
    a, b = Value(2.0, label="a"), Value(-3.0, label="b")
    out = a * b
    nodes, edges, _ = trace(out)
    assert nodes == [a, b, out]
    assert edges == [(a, out), (b, out)]


def _chain(n: int) -> tuple[Value, list[Value]]:
    x = Value(0.1, label="x")
    vals = [x]
    for _ in range(n):
        vals.append(vals[-1].tanh())
    return vals[-1], vals


def test_depth_keeps_the_last_operations_and_marks_the_cut() -> None:
    root, vals = _chain(10)
    for k in range(4):
        nodes, edges, cut = trace(root, depth=k)
        assert nodes == vals[-(k + 1) :]
        assert len(edges) == k
        assert cut == [vals[-(k + 1)]]
    assert trace(root, depth=10).cut == []


def test_depth_counts_the_shortest_way_back() -> None:
    x = Value(1.0, label="x")
    far = x.exp().exp().exp()
    root = far + x  # x is 1 step back on one side, 4 on the other
    nodes, _, cut = trace(root, depth=1)
    assert {v.label for v in nodes if v.label} == {"x"}
    assert len(nodes) == 3 and cut == [far]


def test_around_is_the_neighbourhood_either_way() -> None:
    a, b, c = Value(2.0, label="a"), Value(3.0, label="b"), Value(4.0, label="c")
    ab = a * b
    abc = ab + c
    root = abc.tanh()
    nodes, edges, cut = trace(root, around=ab, depth=1)
    assert nodes == [a, b, ab, abc]
    assert (c, abc) not in edges and cut == [abc]
    assert trace(root, around=ab).nodes == topo_order(root)
    with pytest.raises(ValueError, match="not part of the graph"):
        trace(root, around=Value(1.0, label="stranger"))


def test_gradient_path_against_ancestry() -> None:
    v = seed.solved()
    loss = v["E"]
    for name in ["w1", "w5", "b4", "x2"]:
        on_path = {id(n) for n in gradient_path(loss, v[name])}
        for n in topo_order(loss):  # on the path iff it depends on the parameter
            assert (id(n) in on_path) == (id(v[name]) in _reachable(n)), (name, n)
    assert v["o2"] not in gradient_path(loss, v["w5"])
    with pytest.raises(ValueError, match="not part of the graph"):
        gradient_path(loss, Value(0.0, label="outsider"))


def test_size_limit_refuses_with_a_way_out() -> None:
    root = sum(Value(float(i)) for i in range(3000))
    with pytest.raises(GraphTooLargeError, match="more than 2000 values.*depth=") as info:
        draw(root)
    assert "\n" not in str(info.value)
    assert len(trace(root, depth=5, max_nodes=2000).nodes) == 11
    assert (
        len(trace(root, max_nodes=10_000).nodes) == 6001
    )  # 3000 + the 0 sum starts at + 3000 adds


@pytest.mark.slow
def test_huge_chain_is_refused_without_recursion() -> None:
    root, _ = _chain(200_000)
    with pytest.raises(GraphTooLargeError):
        draw(root)
    assert len(draw(root, depth=3).source.splitlines()) > 5


def test_bad_arguments() -> None:
    with pytest.raises(TypeError, match="needs a Value"):
        trace(3.0)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="depth"):
        trace(Value(1.0), depth=-1)

"""backward_steps(): the backward pass one node at a time, and the text of each step."""

from __future__ import annotations

import io
import re
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from strategies import Recipe, build_dag, dags
from tracegrad.autograd import OPS, Step, Value, backward_steps, step_through, topo_order
from tracegrad.autograd.explaining.steps import NodeNames
from tracegrad.autograd.formatting import fmt
from tracegrad.autograd.ops import FloatMath
from tracegrad.autograd.parse import parse_expression
from tracegrad.nn import MLP, losses

from tracegrad.seed import build, solved


def grads(nodes: list[Value]) -> list[float]:
    return [n.grad for n in nodes]


# ---------------------------------------------------------------- properties
@given(dags(), st.floats(-3, 3, allow_nan=False))
def test_consuming_every_step_is_backward(recipe: Recipe, leaf_grad: float) -> None:
    full, stepped = build_dag(recipe), build_dag(recipe)
    for nodes in (full, stepped):  # leaves accumulate: start them from the same grad
        for n in nodes:
            if n.is_leaf:
                n.grad = leaf_grad
    full[-1].backward()
    steps = list(backward_steps(stepped[-1]))
    assert grads(stepped) == grads(full)
    assert len(steps) == len([n for n in topo_order(stepped[-1]) if not n.is_leaf])


@given(dags(), st.data())
def test_stopping_half_way_is_the_full_pass_at_that_point(recipe: Recipe, data: Any) -> None:
    full_nodes, part_nodes = build_dag(recipe), build_dag(recipe)
    full_nodes[-1].backward()
    # Same recipe, same deterministic order: position i is the same node in both graphs.
    full, part = topo_order(full_nodes[-1]), topo_order(part_nodes[-1])
    final = [n.grad for n in full]
    index = {id(n): i for i, n in enumerate(part)}
    total = len([n for n in part if not n.is_leaf])
    k = data.draw(st.integers(0, total))
    it = backward_steps(part[-1])
    done = [next(it) for _ in range(k)]
    processed = {index[id(s.node)] for s in done}

    # Expected grad of every node: the contributions of the nodes already processed,
    # computed here from the final grads and the ops table's local partials.
    expected = [0.0] * len(part)
    if k > 0:
        expected[-1] = 1.0
    for i in processed:
        node = part[i]
        ds = node._op.partials(FloatMath, node.data, *[p.data for p in node.parents])
        for p, d in zip(node.parents, ds):
            expected[index[id(p)]] += final[i] * d
    for i, n in enumerate(part):
        if i in processed:
            assert n.grad == final[i]  # received everything from above: final
            # ... because every node that uses it was processed before it
            users = [j for j, u in enumerate(part) if any(p is n for p in u.parents)]
            assert all(j in processed for j in users)
        else:
            assert n.grad == pytest.approx(expected[i], rel=1e-12, abs=1e-12)


@given(dags())
def test_each_step_reports_what_it_added(recipe: Recipe) -> None:
    nodes = build_dag(recipe)
    ref = build_dag(recipe)
    ref[-1].backward()
    final = {id(a): b.grad for a, b in zip(nodes, ref)}
    for step in backward_steps(nodes[-1]):
        assert step.upstream == final[id(step.node)]
        assert step.contributions == tuple(step.upstream * d for d in step.partials)
        assert len(step.formulas) == len(step.parents) == step.op.arity
        assert str(step)  # every step has text


# ---------------------------------------------------------------- text and fields
def micrograd_example() -> tuple[Value, Value, Value, Value]:
    a, b, d = Value(2.0, label="a"), Value(-3.0, label="b"), Value(10.0, label="d")
    c = a * b
    c.label = "c"
    L = c + d
    L.label = "L"
    return a, b, c, L


def test_step_reads_like_a_textbook_line() -> None:
    a, b, c, L = micrograd_example()
    steps = list(backward_steps(L))
    assert [s.name for s in steps] == ["L", "c"]
    mul = steps[1]
    assert mul.lines()[0] == "c = a * b   dL/da += dL/dc · b = 1.0000 · -3.0000 = -3.0000"
    assert mul.lines()[1] == "            dL/db += dL/dc · a = 1.0000 · 2.0000 = 2.0000"
    assert mul.op is OPS["mul"] and mul.expression == "a * b"
    assert (mul.upstream, mul.partials, mul.contributions) == (1.0, (-3.0, 2.0), (-3.0, 2.0))
    assert mul.formulas == ("b", "a")
    assert mul.formula(0) == "d(a * b)/da = b"
    assert (a.grad, b.grad) == (-3.0, 2.0)


def test_leaves_yield_no_step_and_constants_get_no_line() -> None:
    x = Value(3.0, label="x")
    y = 0.5 * x**2
    steps = list(backward_steps(y))
    assert len(steps) == 2  # mul and powc; leaves x, 0.5 and 2 yield nothing
    assert all(isinstance(s, Step) and not s.node.is_leaf for s in steps)
    text = str(steps[1])  # v1 = x ** 2: the exponent 2 is a constant
    assert text.startswith("v1 = x ** 2   dL/dx += dL/dv1 · (2 * x) = ")  # 2 * x**(2 - 1) worked
    assert "dL/d2" not in text and "dL/d0.5" not in str(steps[0])
    assert x.grad == 3.0


def test_unlabelled_nodes_get_generated_names() -> None:
    a, b = Value(2.0), Value(-3.0, label="b")
    out = (a * b).tanh()
    names = [s.name for s in backward_steps(out)]
    assert names == ["L", "v1"]


def test_backward_steps_starts_lazily() -> None:
    a, b, c, L = micrograd_example()
    it = backward_steps(L)
    assert a.grad == 0.0 and L.grad == 0.0  # nothing happens before the first step
    first = next(it)
    assert first.node is L and c.grad == 1.0 and a.grad == 0.0
    list(it)
    assert a.grad == -3.0


def test_value_backward_has_no_steps_flag_and_points_at_backward_steps() -> None:
    import inspect

    a, b, c, L = micrograd_example()
    with pytest.raises(TypeError, match="steps"):
        L.backward(steps=True)  # type: ignore[call-arg]
    assert a.grad == 0.0  # refused before any work
    params = inspect.signature(Value.backward).parameters
    assert list(params) == ["self", "grad", "create_graph"]
    assert "backward_steps" in (Value.backward.__doc__ or "")


def test_bad_root() -> None:
    with pytest.raises(TypeError, match="needs a Value"):
        backward_steps(3.0)  # type: ignore[arg-type]


def test_seed_steps_match_backward_and_repr() -> None:
    v = build()
    text = [str(s) for s in backward_steps(v["E"])]
    ref = solved()
    for name, value in v.items():
        assert value.grad == ref[name].grad
    assert any(line.startswith("o1 = sigmoid(net_o1)   dE/dnet_o1 += dE/do1 · ") for line in text)
    o1 = v["o1"]
    assert repr(o1) == f"Value(data={fmt(o1.data)}, grad={fmt(o1.grad)}, op='sigmoid', label='o1')"
    assert re.fullmatch(
        r"Value\(data=0\.716\d, grad=-0\.1835, op='sigmoid', label='o1'\)", repr(o1)
    )


def _networks() -> list[Value]:
    net = MLP(2, [2, 2], activation="sigmoid", output_activation="sigmoid", seed=1)
    E = losses.half_sse(net([0.5, -0.5]), [0.9, 0.1])
    E.label = "E"  # the hand-built network: its inner Values have no names
    return [build()["E"], E]


@pytest.mark.parametrize("which", [0, 1])
def test_every_generated_name_is_introduced_where_first_used(which: int) -> None:
    """`E = v12 + v18` says at once what v12 and v18 stand for, and what it says is what
    the engine computed: each definition, evaluated on the graph's numbers, is the Value."""
    root = _networks()[which]
    names = NodeNames(topo_order(root), root)
    data = {names(n): n.data for n in topo_order(root)}
    said = {n.label for n in topo_order(root) if n.label}
    introduced = 0
    for step in backward_steps(root):
        here = {step.name} | {d.split(" = ")[0] for d in step.introduces}
        used = set(re.findall(r"\bv\d+\b", str(step)))
        assert used <= said | here, (str(step), used - said - here)
        said |= here
        for definition in step.introduces:
            name, formula = definition.split(" = ", 1)
            assert f"where {definition}" in str(step) or f"      {definition}" in str(step)
            idents = {k.replace(".", "_"): v for k, v in data.items()}
            expr = parse_expression(re.sub(r"(?<=[A-Za-z0-9])\.(?=[a-z])", "_", formula))
            got = expr.evaluate({n: idents[n] for n in expr.names}).data
            assert got == pytest.approx(data[name], rel=1e-12, abs=1e-15), definition
            introduced += 1
    assert introduced >= 8


def test_step_through_opens_with_the_names_it_uses() -> None:
    out = io.StringIO()
    step_through(build()["E"], read=lambda _: "q", file=out)
    first = out.getvalue().split("\n\n")[1].splitlines()
    assert first[0].startswith("[1/27] E = v12 + v18   dE/dv12 += ")
    assert [line.strip() for line in first[2:4]] == [
        "where v12 = 0.5 * (y1 - o1) ** 2",
        "v18 = 0.5 * (y2 - o2) ** 2",
    ]

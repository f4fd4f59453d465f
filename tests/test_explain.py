"""explain(): the chain rule written as a hand derivation; backward_table()."""

from __future__ import annotations

import io
import re
from collections import defaultdict
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from rich.console import Console
from strategies import Recipe, build_dag, dags
from tracegrad.autograd import Value, backward_table, explain, topo_order
from tracegrad.autograd.explaining.derivation import Factor, Sum
from tracegrad.autograd.formatting import fmt
from tracegrad.autograd.ops import FloatMath

from tracegrad.seed import ARTICLE_FIGURES, BIASES, WEIGHTS, build, solved


# ---------------------------------------------------------------- the seed article
def test_seed_w5_three_factors_as_the_article() -> None:
    v, ref = build(), solved()
    d = explain(v["E"], wrt=v["w5"])
    assert d.mode == "chain" and d.path_count == 1
    assert [f.symbol for f in d.chain.items] == ["dE/do1", "do1/dnet_o1", "dnet_o1/dw5"]
    o1, h1 = ref["o1"].data, ref["h1"].data
    assert d.factor("E", "o1").value == pytest.approx(ref["o1"].grad, rel=1e-12)
    assert d.factor("o1", "net_o1").value == pytest.approx(o1 * (1 - o1), rel=1e-12)
    assert d.factor("net_o1", "w5").value == pytest.approx(h1, rel=1e-12)
    assert d.value == ref["w5"].grad
    first = d.lines()[0]
    assert first == (
        "dE/dw5 = dE/do1 · do1/dnet_o1 · dnet_o1/dw5 = "
        f"{fmt(ref['o1'].grad)} · {fmt(o1 * (1 - o1))} · {fmt(h1)} = {fmt(ref['w5'].grad)}"
    )
    assert first.endswith("= -0.1835 · 0.2031 · 0.5399 = -0.0201")
    # The article prints -0.1836 for dE/do1, carried from its rounded o1 = 0.7164.
    assert ARTICLE_FIGURES["dE/do1"] == "-0.1836" and fmt(d.factor("E", "o1").value) == "-0.1835"
    # Folded factor: E's unlabelled intermediates; its formula and definition read as text.
    e_o1 = d.factor("E", "o1")
    assert len(e_o1.folded) == 3 and e_o1.definition.startswith("E = 0.5 * (y1 - o1) ** 2")
    assert d.factor("net_o1", "w5").formula == "h1"
    assert d.factor("o1", "net_o1").formula == "sigmoid(net_o1) * (1 - sigmoid(net_o1))"


def test_seed_w1_sums_over_both_output_neurons() -> None:
    v, ref = build(), solved()
    d = explain(v["E"], wrt="w1")
    dh1, sig, lin = d.chain.items
    assert isinstance(dh1, Sum) and dh1.symbol == "dE/dh1"
    assert [[i.symbol for i in t.items] for t in dh1.terms] == [
        ["dE/do1", "do1/dnet_o1", "dnet_o1/dh1"],
        ["dE/do2", "do2/dnet_o2", "dnet_o2/dh1"],
    ]
    assert dh1.value == pytest.approx(ref["h1"].grad, rel=1e-12)
    h1 = ref["h1"].data
    assert (sig.symbol, lin.symbol) == ("dh1/dnet_h1", "dnet_h1/dw1")
    assert sig.value == pytest.approx(h1 * (1 - h1), rel=1e-12) and lin.value == 0.5
    assert (fmt(dh1.value), fmt(sig.value), fmt(lin.value)) == ("-0.0371", "0.2484", "0.5000")
    assert ARTICLE_FIGURES["dE/dh1"] == "-0.0370"  # the article's, from rounded figures
    assert d.lines()[0] == (
        "dE/dw1 = dE/dh1 · dh1/dnet_h1 · dnet_h1/dw1 = -0.0371 · 0.2484 · 0.5000 = "
        f"{fmt(ref['w1'].grad)}"
    )
    text = str(d)
    assert (
        "  dE/dh1 = dE/do1 · do1/dnet_o1 · dnet_o1/dh1 + dE/do2 · do2/dnet_o2 · dnet_o2/dh1" in text
    )
    assert len(d.paths()) == 2 and d.path_count == 2


@pytest.mark.parametrize("name", [*WEIGHTS, *BIASES])
def test_every_seed_parameter_is_explained(name: str) -> None:
    v, ref = build(), solved()
    d = explain(v["E"], wrt=v[name])
    assert d.value == ref[name].grad
    assert d.chain is not None and d.chain.value == pytest.approx(ref[name].grad, rel=1e-9)
    total = sum(_product(p) for p in d.paths())
    assert total == pytest.approx(ref[name].grad, rel=1e-9)


def test_explain_leaves_grads_alone() -> None:
    v = solved()
    before = {k: x.grad for k, x in v.items()}
    explain(v["E"], wrt="w1")
    explain(v["E"], wrt="w1", expand=True)
    backward_table(v["E"])
    assert {k: x.grad for k, x in v.items()} == before


# ---------------------------------------------------------------- an independent oracle
def _product(path: tuple[Factor, ...]) -> float:
    out = 1.0
    for f in path:
        out *= f.value
    return out


def _all_paths(x: Value, root: Value) -> list[tuple[list[Value], float]]:
    """Every path from x up to root in the raw graph, with its product of local partials."""
    users: dict[int, list[tuple[Value, float]]] = defaultdict(list)
    for node in topo_order(root):
        if node._op is None:
            continue
        ds = node._op.partials(FloatMath, node.data, *[p.data for p in node.parents])
        for p, d in zip(node.parents, ds):
            users[id(p)].append((node, d))
    out = []
    stack: list[tuple[list[Value], float]] = [([x], 1.0)]
    while stack:
        path, prod = stack.pop()
        if path[-1] is root:
            out.append((path, prod))
            continue
        for u, d in users[id(path[-1])]:
            stack.append((path + [u], prod * d))
    return out


def _count_paths(x: Value, root: Value) -> int:
    count: dict[int, int] = {id(x): 1}
    for node in topo_order(root):
        if node is not x:
            count[id(node)] = sum(count.get(id(p), 0) for p in node.parents)
    return count[id(root)]


@given(dags(max_ops=14), st.data())
def test_factors_group_the_raw_paths(recipe: Recipe, data: Any) -> None:
    nodes = build_dag(recipe)
    root = nodes[-1]
    order = topo_order(root)
    for k, n in enumerate(nodes[len(recipe[0]) :]):  # label some interior nodes
        if n is not root and data.draw(st.booleans()):
            n.label = f"n{k}"
    expand = data.draw(st.booleans())
    x = data.draw(st.sampled_from([n for n in nodes if any(n is m for m in order)]))
    ref = build_dag(recipe)
    ref[-1].backward()
    n_raw = _count_paths(x, root)
    d = explain(root, wrt=x, expand=expand)
    assert d.value == ref[nodes.index(x)].grad
    if n_raw > 200:  # the raw paths are not enumerated here either
        return
    assert d.mode == "chain"

    # Group the raw paths by the boundary Values they visit: one factor path per group.
    def boundary(n: Value) -> bool:
        return expand or bool(n.label) or n is root or n is x

    groups: dict[tuple[int, ...], float] = defaultdict(float)
    for path, prod in _all_paths(x, root):
        groups[tuple(id(n) for n in reversed(path) if boundary(n))] += prod
    if x is root:
        assert d.value == 1.0 and d.paths() == [()]
        return
    mine: dict[tuple[int, ...], float] = {}
    for fpath in d.paths():
        key = tuple(id(f.top_node) for f in fpath) + (id(fpath[-1].bottom_node),)
        assert key not in mine
        mine[key] = _product(fpath)
    assert set(mine) == set(groups)
    for key, value in groups.items():
        assert mine[key] == pytest.approx(value, rel=1e-9, abs=1e-12)
    assert d.chain.value == pytest.approx(d.value, rel=1e-9, abs=1e-12)
    for s in d.sums:
        assert s.value == pytest.approx(sum(t.value for t in s.terms), rel=1e-12, abs=1e-15)


@given(dags(max_ops=10), st.data())
def test_delta_form_is_the_per_node_gradient(recipe: Recipe, data: Any) -> None:
    nodes = build_dag(recipe)
    root = nodes[-1]
    order = topo_order(root)
    x = data.draw(st.sampled_from([n for n in nodes if any(n is m for m in order)]))
    if x is root:
        return
    ref = build_dag(recipe)
    ref[-1].backward()
    grad_of = {id(a): b.grad for a, b in zip(nodes, ref)}
    d = explain(root, wrt=x, expand=True, max_paths=1)
    if d.path_count <= 1:  # one path is always written out
        assert d.mode == "chain"
        return
    assert d.mode == "delta" and "delta form" in d.note
    assert d.deltas[-1].name == d.wrt and d.deltas[-1].value == grad_of[id(x)]
    for delta in d.deltas:  # each line: the sum of (gradient above) x (factor)
        total = sum(g * f.value for _, g, f in delta.terms)
        assert total == pytest.approx(delta.value, rel=1e-9, abs=1e-12)
    with pytest.raises(ValueError, match="too many"):
        d.paths()


# ---------------------------------------------------------------- path explosion
def diamond(layers: int) -> tuple[Value, Value]:
    """x feeds two branches that meet again, `layers` times: 2**layers paths."""
    x = Value(0.3, label="x")
    n = x
    for _ in range(layers):
        n = n.tanh() + n * 0.9
    return x, n


def test_sixty_layer_diamond_switches_to_the_delta_form() -> None:
    x, root = diamond(60)
    d = explain(root, wrt=x, expand=True)
    assert d.mode == "delta" and d.path_count == 2**60
    assert str(2**60) in d.note and "delta form" in str(d)
    assert len(d.deltas) == 3 * 60  # every node but the root
    root.backward()
    assert d.value == x.grad and d.deltas[-1].value == x.grad


def test_diamond_folded_is_one_factor_summed_without_enumeration() -> None:
    x, root = diamond(60)
    d = explain(root, wrt=x)  # nothing labelled between x and the root
    assert d.mode == "chain" and d.path_count == 1
    (f,) = d.factors
    assert f.paths == 2**60 and "sum over" in f.formula
    root.backward()
    assert f.value == pytest.approx(x.grad, rel=1e-9)


def test_small_diamond_is_grouped_not_listed() -> None:
    x, root = diamond(3)
    d = explain(root, wrt=x, expand=True)
    assert d.mode == "chain" and d.path_count == 8
    assert len(d.sums) == 3  # one sum per layer: shared segments are written once
    assert len(d.paths()) == 8


# ---------------------------------------------------------------- small cases and errors
def test_direct_term_uses_partial_notation() -> None:
    a, b = Value(2.0, label="a"), Value(-3.0, label="b")
    L = a * b + a
    d = explain(L, a, expand=True)
    assert str(d).splitlines()[0] == (
        "dL/da = dL/dv1 · dv1/da + ∂L/∂a = 1.0000 · -3.0000 + 1.0000 = -2.0000"
    )
    folded = explain(L, a)
    assert folded.lines()[0] == "dL/da = b + 1 = -2.0000" or folded.lines()[0] == (
        "dL/da = 1 + b = -2.0000"
    )


def test_same_input_twice_is_one_factor() -> None:
    a = Value(3.0, label="a")
    d = explain(a * a, a)
    assert d.lines()[0] == "dL/da = a + a = 6.0000"


def test_wrt_the_root_itself() -> None:
    a = Value(3.0, label="a")
    y = a.tanh()
    y.label = "y"
    d = explain(y, y)
    assert d.value == 1.0 and d.paths() == [()]


def test_wrt_errors() -> None:
    a, b = Value(1.0, label="a"), Value(2.0, label="b")
    y = a * 2.0
    with pytest.raises(ValueError, match="labelled 'b' is not part of the graph"):
        explain(y, b)
    with pytest.raises(ValueError, match="no Value labelled 'zz'.*labels: a"):
        explain(y, "zz")
    c = Value(1.0, label="a")
    with pytest.raises(ValueError, match="2 Values are labelled 'a'"):
        explain(a + c, "a")
    with pytest.raises(TypeError, match="wrt must be a Value or a label"):
        explain(y, 3)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="needs a Value as root"):
        explain(1.0, a)  # type: ignore[arg-type]
    with pytest.raises(KeyError, match="no factor dE/dq"):
        explain(y, a).factor("E", "q")


# ---------------------------------------------------------------- the table
def test_backward_table_rows_are_the_backward_pass() -> None:
    v, ref = build(), solved()
    table = backward_table(v["E"])
    order = topo_order(v["E"])
    constants = [n for n in order if n._op is None and not n.label]  # 0.5 and 2, twice each
    assert len(constants) == 4 and len(table.rows) == len(order) - len(constants)
    assert table.rows[0].name == "E" and table.rows[0].grad == 1.0
    by_name = {r.name: r for r in table.rows}
    for name in ["o1", "h1", "net_h1", "w1", "w5"]:
        assert by_name[name].grad == ref[name].grad
        assert by_name[name].data == ref[name].data
    o1 = by_name["o1"]
    assert o1.op == "sigmoid" and o1.expression == "sigmoid(net_o1)"
    ((inp, formula, value),) = o1.partials
    assert inp == "net_o1" and formula == "sigmoid(net_o1) * (1 - sigmoid(net_o1))"
    assert value == pytest.approx(o1.data * (1 - o1.data), rel=1e-12)
    text = str(table)
    lines = text.splitlines()
    assert lines[1].split()[:2] == ["value", "op"] and len(lines) == len(table.rows) + 4
    assert any(line.split()[:2] == ["w5", "leaf"] and fmt(ref["w5"].grad) in line for line in lines)


def test_backward_table_plain_off_a_terminal_and_rich_on_one() -> None:
    a, b = Value(2.0, label="a"), Value(-3.0, label="b")
    table = backward_table((a * b).tanh())
    buf = io.StringIO()
    table.show(buf)  # not a terminal: the plain text
    assert buf.getvalue() == str(table) + "\n"
    console = Console(record=True, width=160, force_terminal=True)
    console.print(table)
    out = console.export_text()
    assert "backward pass from L" in out and "1 - tanh(v1)**2" not in out
    assert "1 - tanh(v1) ** 2" in out and "a * b" in out


def test_three_way_split_is_one_sum_of_three_terms() -> None:
    x = Value(0.4, label="x")
    t, s, q = x.tanh(), x.sin(), x * 3.0
    t.label, s.label, q.label = "t", "s", "q"
    y = t + s + q
    y.label = "y"
    d = explain(y, x)
    (total,) = d.chain.items
    assert isinstance(total, Sum) and len(total.terms) == 3
    y.backward()
    assert total.value == pytest.approx(x.grad, rel=1e-12) and d.value == x.grad
    assert d.lines()[0] == "dy/dx = dy/dt · dt/dx + dy/ds · ds/dx + dy/dq · dq/dx"


@pytest.mark.parametrize("bad", [0, -1, -200])
def test_max_paths_below_one_is_refused(bad: int) -> None:
    a = Value(2.0, label="a")
    with pytest.raises(ValueError, match=f"max_paths must be 1 or more.*got {bad}"):
        explain(a * a, a, max_paths=bad)


@pytest.mark.parametrize("bad", [2.5, "10", True])
def test_max_paths_must_be_a_whole_number(bad: Any) -> None:
    a = Value(2.0, label="a")
    with pytest.raises(TypeError, match="max_paths must be a whole number"):
        explain(a * a, a, max_paths=bad)


# ---------------------------------------------------------------- at the prompt
def test_reprs_at_the_prompt_are_the_text() -> None:
    """In a REPL `>>> d` and `>>> table` show what print() shows: no addresses, no fields."""
    v = solved()
    d = explain(v["E"], wrt="w5")
    table = backward_table(v["E"])
    for obj in (d, table, explain(v["E"], wrt="w1", max_paths=1)):
        text = repr(obj)
        assert text == str(obj)
        assert " at 0x" not in text and "Derivation(" not in text and "TableRow(" not in text
    assert repr(d).splitlines()[0].startswith("dE/dw5 = dE/do1 · do1/dnet_o1 · dnet_o1/dw5 = ")
    assert repr(table).splitlines()[1].split()[:2] == ["value", "op"]


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.mark.parametrize("columns", [20, 40, 70, 200])
def test_table_on_a_narrow_terminal_keeps_every_number(
    columns: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`tracegrad explain --table` at COLUMNS=20 printed every number as '…'."""
    monkeypatch.setenv("COLUMNS", str(columns))
    monkeypatch.delenv("NO_COLOR", raising=False)
    a, b = Value(2.0, label="a"), Value(-3.0, label="b")
    table = backward_table((a * b).tanh())
    out = _Terminal()
    table.show(out)
    text = re.sub(r"\x1b\[[0-9;]*m", "", out.getvalue())  # colours off
    assert "…" not in text
    for row in table.rows:
        assert fmt(row.data) in text and fmt(row.grad) in text
    assert max(len(line) for line in text.splitlines()) <= columns


def test_the_table_shows_constants_as_constants_and_introduces_generated_names() -> None:
    """The 0.5 and the 2 of 1/2 (y - o)**2 are numbers in the formulas: no row, no gradient,
    no d/d2; every generated name a row uses has its own row further down, said above."""
    v = build()
    table = backward_table(v["E"])
    text = str(table)
    lines = text.splitlines()
    assert table.constants == ("2", "0.5")
    assert lines[-1] == "constants: 2, 0.5 (numbers in the formulas: no row, no gradient)"
    assert not any(r.name in ("0.5", "2") for r in table.rows)
    assert "d/d2 " not in text and "d/d0.5 " not in text
    v18 = next(r for r in table.rows if r.name == "v18")
    assert [n for n, _, _ in v18.partials] == ["v17"]
    assert lines[0].startswith("v1 to v18: values without a label, named by tracegrad")
    rows = [r.name for r in table.rows]
    for i, row in enumerate(table.rows):
        used = re.findall(r"\bv\d+\b", row.expression)
        assert all(name in rows[i + 1 :] for name in used), (row.name, used)
    # a graph whose every Value has a label needs no note
    a, b = Value(2.0, label="a"), Value(3.0, label="b")
    c = a * b
    c.label = "c"
    assert str(backward_table(c)).splitlines()[0].split()[:2] == ["value", "op"]


def test_derivation_parts_read_as_their_lines_at_a_prompt() -> None:
    """`d.factors`, `d.paths()`, `d.sums`, `d.chain` and `d.deltas` print as the lines of the
    derivation (numbers as the engine has them), not as dataclass dumps."""
    v = solved()
    d = explain(v["E"], wrt="w5")
    f = d.factor("net_o1", "w5")
    assert repr(f) == str(f) == "dnet_o1/dw5 = h1 = 0.5399   (through 2 unlabelled values)"
    assert f.value == v["h1"].data
    assert all(str(x) in str(d) for x in d.factors)  # the derivation's own "where" lines
    text = repr(d.paths())
    assert "Factor(" not in text and "folded=" not in text and "dE/do1 = " in text
    d1 = explain(v["E"], wrt="w1")
    (s,) = d1.sums
    assert repr(s) == f"dE/dh1 = {' + '.join(_syms(t) for t in s.terms)} = {fmt(v['h1'].grad)}"
    assert repr(d1.chain).endswith(f"= {fmt(v['w1'].grad)}") and "Chain(" not in repr(d1.chain)
    deltas = explain(v["E"], wrt="w1", max_paths=1).deltas
    assert "Delta(" not in repr(deltas) and repr(deltas[0]).startswith("d·/do")


def _syms(chain: object) -> str:
    return " · ".join(i.symbol for i in chain.items)  # type: ignore[attr-defined]


@pytest.mark.parametrize("kw", [{}, {"max_paths": 1}, {"expand": True}])
def test_every_generated_name_of_a_seed_derivation_is_defined(kw: dict[str, Any]) -> None:
    """`E = v12 + v18` in a derivation of dE/dw5: v18 is off the path, and still said."""
    v = solved()
    for wrt in ["w1", "w5", "b3", "h1", "x2", "o2"]:
        text = str(explain(v["E"], wrt=wrt, **kw))
        used = set(re.findall(r"\bv\d+\b", text))
        defined = set(re.findall(r"^\s*(?:with )?(v\d+) = ", text, re.M))
        assert used <= defined, (wrt, kw, used - defined, text)
    text = str(explain(v["E"], wrt="w5", expand=True))
    off_path = "\n      with v18 = 0.5 * (y2 - o2) ** 2\n"  # below E's factor, not between
    assert "\n  E = v12 + v18\n      dE/dv12 = 1 = 1.0000" + off_path in text

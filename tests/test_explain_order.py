"""A derivation reads in order: every factor sits directly under the definition it
differentiates, and a definition used off the paths comes below the factors (``with``), never
between a definition and its factor. A property over random expressions (shared Values,
labelled and unlabelled), folded and expanded; and the texts a learner reads for ``**``."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st
from strategies import Recipe, build_dag, dags
from tracegrad.autograd import Value, explain, topo_order
from tracegrad.autograd.explaining.derivation import Derivation


def _check_order(d: Derivation) -> int:
    """Every factor line under its own top's definition; returns the factor lines seen."""
    lines = d.lines()
    if "where" not in lines:
        return 0
    body = lines[lines.index("where") + 1 :]
    factors = {str(f): f for f in d.factors}
    factors.update({str(f).replace("∂", "d"): f for f in d.factors})
    current = None  # the top whose definition the lines below belong to
    under = False  # no 'with' line yet since that definition
    seen = 0
    for line in body:
        if line.startswith("      with "):
            assert current is not None, lines
            under = True
            continue
        if line.startswith("      "):
            f = factors[line.strip()]
            assert not under, f"a 'with' line between {current}'s definition and {f.symbol}"
            top_is_leaf = f.definition == ""
            where = "\n".join(lines)
            assert top_is_leaf or current == f.top, f"{f.symbol} not under {f.top}:\n{where}"
            seen += 1
            continue
        assert line.startswith("  ") and " = " in line, line
        current = line.strip().split(" = ")[0]
        under = False
    return seen


@given(dags(), st.data())
def test_every_factor_sits_under_its_definition(recipe: Recipe, data: st.DataObject) -> None:
    nodes = build_dag(recipe)
    root = nodes[-1]
    n_leaves = len(recipe[0])
    for k, node in enumerate(nodes[n_leaves:-1]):  # some intermediates labelled, some not
        if data.draw(st.booleans(), label=f"label v{k}"):
            node.label = f"h{k}"
    in_graph = {id(n) for n in topo_order(root)}
    for leaf in [n for n in nodes[:n_leaves] if id(n) in in_graph]:
        for expand in (False, True):
            d = explain(root, wrt=leaf, expand=expand)
            _check_order(d)


def test_the_issue_example_reads_in_order() -> None:
    a, b, c = Value(2.0, label="a"), Value(-3.0, label="b"), Value(10.0, label="c")
    d = explain((a * b + c).tanh(), wrt=c, expand=True)
    lines = d.lines()
    at = lines.index("  v2 = v1 + c")
    assert lines[at + 1].strip() == "dv2/dc = 1 = 1.0000"  # directly under its definition
    assert lines[at + 2].strip() == "with v1 = a * b"  # off the path: below the factor
    assert _check_order(d) == 2


def test_a_check_that_can_fail() -> None:
    """The old order (the off-path definition between v2's definition and its factor)."""
    a, b, c = Value(2.0, label="a"), Value(-3.0, label="b"), Value(10.0, label="c")
    d = explain((a * b + c).tanh(), wrt=c, expand=True)

    class Old(Derivation):
        def lines(self) -> list[str]:
            out = Derivation.lines(self)
            at = out.index("  v2 = v1 + c")
            return out[: at + 1] + ["  v1 = a * b"] + out[at + 1 :]

    old = Old(**{f: getattr(d, f) for f in d.__dataclass_fields__})
    try:
        _check_order(old)
    except AssertionError:
        return
    raise AssertionError("the check passed the old order")


def test_the_power_rule_reads_as_a_person_writes_it() -> None:
    o1, y1 = Value(0.7, label="o1"), Value(0.9, label="y1")
    e = 0.5 * (y1 - o1) ** 2
    e.label = "E"
    d = explain(e, wrt=o1)
    text = str(d)
    assert "2 * (y1 - o1)" in text and "(2 - 1)" not in text and "** 1" not in text


def test_a_values_repr_shows_the_op_as_written() -> None:
    assert "op='**'" in repr(Value(2.0) ** 0.5)
    assert "op='powc'" not in repr(Value(2.0) ** 0.5)
    assert "op='+'" in repr(Value(1.0) + 2.0) and "op='tanh'" in repr(Value(1.0).tanh())

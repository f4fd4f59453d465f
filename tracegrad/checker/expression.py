"""Expression homework: values and partial derivatives of named expressions.

Expressions are read by the one safe parser (``tracegrad.autograd.parse``) and may use earlier
ones, as worked examples do (``q = "x + y"``, ``f = "q * z"``). The engine's numbers come from one
graph of Values and ``backward()``; higher derivatives (``d2f/dx2``, ``d2f/dxdy``) from
``tracegrad.autograd.functional.partial_derivative``. Each first derivative also carries the
chain-rule recipe ``df/dx = ∂f/∂q · dq/dx + ...`` so a student's own intermediate figures can be
carried forward.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence

from tracegrad.autograd.functional import parse_partial, partial_derivative
from tracegrad.autograd.graph import zero_grad
from tracegrad.autograd.parse import Expression
from tracegrad.autograd.value import Value
from tracegrad.checker.homework import ExpressionSpec, Homework
from tracegrad.checker.problem import Key, Problem, Quantity

__all__ = ["build_expression"]

_DERIVATIVE = re.compile(r"^[d∂]\^?([0-9²³]*)([A-Za-z_]\w*)/(.+)$")


def _upstream(spec: ExpressionSpec, name: str) -> list[str]:
    """Every variable and expression ``name`` depends on, in definition order."""
    need: set[str] = set()
    todo = [name]
    while todo:
        n = todo.pop()
        expr = spec.expressions.get(n)
        if expr is None:
            continue
        for m in expr.names:
            if m not in need:
                need.add(m)
                todo.append(m)
    order = [*spec.variables, *spec.expressions]
    return [n for n in order if n in need]


def _evaluate_all(spec: ExpressionSpec, leaves: Mapping[str, Value | float]) -> dict[str, Value]:
    values: dict[str, Value | float] = dict(leaves)
    out: dict[str, Value] = {}
    for name, expr in spec.expressions.items():
        node = expr.evaluate(values)
        values[name] = node
        out[name] = node
    return out


def _local_gradients(expr: Expression, numbers: Sequence[float]) -> list[float]:
    """∂expr/∂(each of its names) with every name a separate leaf at the given numbers."""
    leaves = {n: Value(x, label=n) for n, x in zip(expr.names, numbers)}
    out = expr.evaluate(leaves)
    out.backward()
    return [leaves[n].grad for n in expr.names]


def _value_recipe(expr: Expression) -> Callable[[Sequence[float]], float]:
    """The expression on plain numbers for its names, in order."""

    def recipe(v: Sequence[float]) -> float:
        return expr.evaluate(dict(zip(expr.names, v))).data

    return recipe


def build_expression(hw: Homework) -> Problem:
    """Values of every expression, then each one's derivatives by everything upstream."""
    spec = hw.spec
    assert isinstance(spec, ExpressionSpec)
    qs: list[Quantity] = []

    def K(name: str) -> Key:
        return (1, name)

    leaves = {n: Value(v, label=n) for n, v in spec.variables.items()}
    nodes: dict[Key, Value] = {K(n): v for n, v in leaves.items()}
    for n, v in spec.variables.items():
        qs.append(Quantity(n, 1, "given", v))
    values: dict[str, Value] = dict(leaves)
    for name, expr in spec.expressions.items():
        node = expr.evaluate(values)
        if node.label in values:  # 'f = "x"' is x itself: give f its own node
            node = node + 0.0
        node.label = name
        values[name] = node
        nodes[K(name)] = node
        qs.append(
            Quantity(
                name,
                1,
                "values",
                node.data,
                deps=tuple(K(n) for n in expr.names),
                compute=_value_recipe(expr),
                formula=expr.source.strip(),
            )
        )
    for name, expr in spec.expressions.items():
        root = values[name]
        zero_grad(root)
        root.backward()
        up = _upstream(spec, name)
        for wrt in reversed(up):  # backprop order: the nearest input first
            direct = list(expr.names)
            via = [
                u
                for u in direct
                if u != wrt and u in spec.expressions and wrt in _upstream(spec, u)
            ]
            deps = tuple(K(n) for n in direct) + tuple(K(f"d{u}/d{wrt}") for u in via)
            terms = [
                f"∂{name}/∂{u}" if u == wrt else f"∂{name}/∂{u} * d{u}/d{wrt}"
                for u in [*([wrt] if wrt in direct else []), *via]
            ]

            def recipe(
                v: Sequence[float], e: Expression = expr, wrt: str = wrt, via: list[str] = via
            ) -> float:
                local = _local_gradients(e, v[: len(e.names)])
                chain = dict(zip(via, v[len(e.names) :]))
                total = 0.0
                for u, g in zip(e.names, local):
                    if u == wrt:
                        total += g
                    elif u in chain:
                        total += g * chain[u]
                return total

            qs.append(
                Quantity(
                    f"d{name}/d{wrt}",
                    1,
                    "derivatives",
                    values[wrt].grad,
                    deps=deps,
                    compute=recipe,
                    formula=" + ".join(terms),
                )
            )
        for var in spec.variables:
            if var not in up:
                qs.append(Quantity(f"d{name}/d{var}", 1, "zero derivatives", 0.0, formula="0"))

    problem = Problem(
        kind="expression",
        title=hw.title,
        quantities=qs,
        roots={1: values[list(spec.expressions)[-1]]},
        describe=[
            "variables " + ", ".join(f"{n} = {v:g}" for n, v in spec.variables.items()),
            *(f"{n} = {e.source.strip()}" for n, e in spec.expressions.items()),
        ],
        nodes=nodes,
    )
    problem.on_demand = lambda text, step: _higher(spec, problem, text)
    return problem


def _nested(name: str, wrt: Sequence[str]) -> str:
    """'d/dy (df/dx)' for wrt = (x, y): the order the derivatives are taken in."""
    text = f"d{name}/d{wrt[0]}"
    for w in wrt[1:]:
        text = f"d/d{w} ({text})"
    return text


def _higher(spec: ExpressionSpec, problem: Problem, text: str) -> Quantity | None:
    """A second (or higher) derivative such as 'd2f/dx2' or 'd2f/dxdy', made when asked for."""
    compact = text.replace(" ", "")
    m = _DERIVATIVE.match(compact)
    if not m or m.group(2) not in spec.expressions:
        return None
    name = m.group(2)
    variables = [n for n in _upstream(spec, name) if n in spec.variables] or list(spec.variables)
    try:
        wrt = parse_partial(compact, variables)
    except ValueError:
        return None
    if len(wrt) < 2:
        return None

    def build(leaves: Mapping[str, Value]) -> Value:
        return _evaluate_all(spec, leaves)[name]

    value = partial_derivative(build, spec.variables, wrt)
    q = Quantity(compact, 1, "higher derivatives", value, formula=_nested(name, wrt))
    problem.add(q)
    return q

"""Expression homework: values and partial derivatives of named expressions.

Expressions are read by the one safe parser (``tracegrad.autograd.parse``) and may use earlier
ones, as worked examples do (``q = "x + y"``, ``f = "q * z"``). The engine's numbers come from one
graph of Values and ``backward()``; higher derivatives (``d2f/dx2``, ``d2f/dxdy``) from
``tracegrad.autograd.functional.partial_derivative``.

Each derivative carries the recipe a student follows in the backward pass, in reverse order:
``df/dx = df/dq · dq/dx`` (upstream × local), summed over every expression that uses ``x``.
A local derivative is worked from the student's own figures, the expression's output included
(``do/dn = 1 - o²`` with their ``o``), so one slip is marked once and what follows from it is
carried forward. Derivatives are made when an answer (or ``solve``) asks for them, so checking
costs grow with the sheet, not with the square of it.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Mapping, Sequence

from tracegrad.autograd.functional import parse_partial, partial_derivative
from tracegrad.autograd.graph import topo_order, zero_grad
from tracegrad.autograd.higher import grad_values, nth_derivative
from tracegrad.autograd.limits import LIMITS, LimitError
from tracegrad.autograd.ops import Op
from tracegrad.autograd.parse import Expression
from tracegrad.autograd.value import Value
from tracegrad.checker.limits import HomeworkLimitError, charge
from tracegrad.checker.reading.homework import ExpressionSpec, Homework
from tracegrad.checker.solving.formulas import derivative_text, second_derivative_text
from tracegrad.checker.solving.problem import (
    DERIVATIVES,
    GIVEN,
    HIGHER_DERIVATIVES,
    VALUES,
    ZERO_DERIVATIVES,
    Key,
    Problem,
    Quantity,
)
from tracegrad.nn.activations import activation_names

__all__ = ["build_expression", "ExpressionProblem"]

# the first derivatives a higher derivative may also be carried through (d2t/dx2 from the
# student's dt/dx), nearest to the derivative's expression first
FIRST_DERIVATIVE_ROUTES = 6
# the most named expressions a higher derivative is carried through (the student's figures of
# each put in): carrying works the derivative twice per figure, so a longer chain is judged
# against the engine's number alone
PINNED_MAX = 24
_DERIVATIVE = re.compile(r"^[d∂]\^?([0-9²³]*)([A-Za-z_]\w*)/(.+)$")
_FIRST = re.compile(r"^[d∂]([A-Za-z_]\w*)/[d∂]([A-Za-z_]\w*)$")


def K(name: str) -> Key:
    return (1, name)


def local_partials(expr: Expression, numbers: Sequence[float], out: float | None) -> list[float]:
    """∂expr/∂(each of its names) at the given numbers, each name a separate leaf.

    ``out`` is the expression's own value as the student has it: the outermost operation's
    derivative is taken at it (tanh' = 1 - o², sigmoid' = f(1 - f), (1/x)' = -out/x).
    """
    leaves = {n: Value(x, label=n) for n, x in zip(expr.names, numbers)}
    root = expr.evaluate(leaves)
    if out is not None and root.parents:
        root.data = out
    root.backward()
    return [leaves[n].grad for n in expr.names]


def _value_recipe(expr: Expression) -> Callable[[Sequence[float]], float]:
    """The expression on plain numbers for its names, in order."""

    def recipe(v: Sequence[float]) -> float:
        return expr.evaluate(dict(zip(expr.names, v))).data

    return recipe


def _local_recipe(expr: Expression, wrt: str) -> Callable[[Sequence[float]], float]:
    """∂expr/∂wrt from (expr's names..., expr's value)."""
    i = expr.names.index(wrt)
    k = len(expr.names)

    def recipe(v: Sequence[float]) -> float:
        return local_partials(expr, v[:k], v[k])[i]

    return recipe


class ExpressionProblem(Problem):
    """The worked problem of an expression sheet; derivatives are added when asked for."""

    spec: ExpressionSpec
    values: dict[str, Value]
    consumers: dict[str, list[str]]
    _up: dict[str, set[str]]
    _down: dict[str, set[str]]
    _position: dict[str, int]
    _grads: dict[str, dict[str, float]]

    def setup(self, spec: ExpressionSpec, values: dict[str, Value]) -> None:
        self.spec = spec
        self.values = values
        self.consumers = {n: [] for n in (*spec.variables, *spec.expressions)}
        for name, expr in spec.expressions.items():
            for n in expr.names:
                self.consumers[n].append(name)
        self._up = {}
        self._down = {}
        self.higher_work = 0  # charged by the higher derivatives made so far
        self._position = {n: i for i, n in enumerate((*spec.variables, *spec.expressions))}
        self._grads = {}
        self.on_demand = self._make

    def upstream(self, name: str) -> set[str]:
        """Every variable and expression ``name`` is computed from (memoised)."""
        got = self._up.get(name)
        if got is not None:
            return got
        need: set[str] = set()
        todo = [name]
        while todo:
            expr = self.spec.expressions.get(todo.pop())
            if expr is None:
                continue
            for m in expr.names:
                if m not in need:
                    need.add(m)
                    todo.append(m)
        self._up[name] = need
        return need

    def grads(self, root: str) -> dict[str, float]:
        """d root/d (every name), from one backward() on the engine's graph."""
        got = self._grads.get(root)
        if got is None:
            node = self.values[root]
            zero_grad(node)
            node.backward()
            up = self.upstream(root)
            got = {n: self.values[n].grad for n in up}
            self._grads[root] = got
        return got

    def work_backward(self) -> None:
        """Every first derivative of each output, nearest to the output first (what a
        worked solution lists; a check makes only the ones the answers name)."""
        order = [*self.spec.variables, *self.spec.expressions]
        for r in self.outputs():
            up = self.upstream(r)
            for n in reversed(order):
                if n in up:
                    self.derivative(r, n)

    def outputs(self) -> list[str]:
        """The expressions no later expression uses: the roots a worked solution starts from."""
        return [n for n in self.spec.expressions if not self.consumers[n]]

    def downstream(self, name: str) -> set[str]:
        """Every expression computed from ``name`` (memoised)."""
        got = self._down.get(name)
        if got is not None:
            return got
        found: set[str] = set()
        todo = [name]
        while todo:
            for c in self.consumers[todo.pop()]:
                if c not in found:
                    found.add(c)
                    todo.append(c)
        self._down[name] = found
        return found

    def _pure(self, c: str, v: str) -> bool:
        """``v`` reaches ``c`` only directly, so dc/dv is the local derivative ∂c/∂v."""
        at = self._position[v]
        return not any(
            u != v and self._position[u] > at and v in self.upstream(u)  # u after v only
            for u in self.spec.expressions[c].names
        )

    def _make(self, text: str, step: int) -> Quantity | None:
        m = _FIRST.match(text.replace(" ", "").replace("∂", "d"))
        if m and m.group(1) in self.spec.expressions:
            root, wrt = m.group(1), m.group(2)
            if wrt in self.consumers and wrt != root:
                return self.derivative(root, wrt)
        return _higher(self.spec, self, text)

    def derivative(self, r: str, v: str) -> Quantity:
        """The quantity d r/d v with its backward-pass recipe, made with every d r/d n it
        needs first (the expressions between v and r, nearest to r first; no recursion)."""
        key = K(f"d{r}/d{v}")
        if key in self.index:
            return self.index[key]
        if v in self.spec.expressions[r].names and self._pure(r, v):
            return self._one(r, v)  # a local derivative: nothing between v and r
        if v not in self.upstream(r):
            what = "variable" if v in self.spec.variables else "expression"
            q = Quantity(
                key[1], 1, ZERO_DERIVATIVES, 0.0, formula=f"0 ({r} does not use the {what} {v})"
            )
            self.add(q)
            return q
        up_r = self.upstream(r)
        between = [n for n in self.downstream(v) if n in up_r]
        for n in sorted(between, key=lambda n: -self._position[n]):
            self._one(r, n)
        return self._one(r, v)

    def _one(self, r: str, v: str) -> Quantity:
        key = K(f"d{r}/d{v}")
        if key in self.index:
            return self.index[key]
        if v in self.spec.expressions[r].names and self._pure(r, v):
            q = self._local(r, v)
        else:
            q = self._chain(r, v)
        self.add(q)
        return q

    def _local(self, c: str, v: str) -> Quantity:
        """∂c/∂v, worked from c's inputs and c's own value (the student's figures)."""
        expr = self.spec.expressions[c]
        recipe = _local_recipe(expr, v)
        exact = [self.values[n].data for n in (*expr.names, c)]
        op = activation_of(expr)
        return Quantity(
            f"d{c}/d{v}",
            1,
            DERIVATIVES,
            recipe(exact),  # the engine's backward() through c's operations alone
            deps=(*(K(n) for n in expr.names), K(c)),
            compute=recipe,
            formula=local_formula(expr, v, c),
            kind="local",
            activation=op.name if op is not None else "",
        )

    def _chain(self, r: str, v: str) -> Quantity:
        """d r/d v = Σ over the expressions c that use v: d r/d c · ∂c/∂v."""
        up_r = self.upstream(r)
        deps: list[Key] = []
        parts: list[tuple[int | None, int, Expression | None, str]] = []
        terms: list[str] = []
        paths: list[tuple[Key, ...]] = []
        for c in self.consumers[v]:
            if c != r and c not in up_r:
                continue
            up_i: int | None = None
            if c != r:
                up_i = len(deps)
                deps.append(K(f"d{r}/d{c}"))
            if self._pure(c, v):
                self._one(c, v)
                parts.append((up_i, len(deps), None, ""))
                deps.append(K(f"d{c}/d{v}"))
                local_text = f"d{c}/d{v}"
                paths.append(tuple(deps[i] for i in (up_i, len(deps) - 1) if i is not None))
            else:
                expr = self.spec.expressions[c]
                parts.append((up_i, len(deps), expr, v))
                deps.extend((*(K(n) for n in expr.names), K(c)))
                local_text = f"({local_formula(expr, v, c)})"  # ∂c/∂v, no named quantity
                paths.append(())  # a local derivative that is no named quantity
            terms.append(local_text if c == r else f"d{r}/d{c} * {local_text}")

        def recipe(args: Sequence[float]) -> float:
            total = 0.0
            for up_i, at, expr, wrt in parts:
                upstream = 1.0 if up_i is None else args[up_i]
                if expr is None:
                    local = args[at]
                else:
                    k = len(expr.names)
                    local = local_partials(expr, args[at : at + k], args[at + k])[
                        expr.names.index(wrt)
                    ]
                total += upstream * local
            return total

        return Quantity(
            f"d{r}/d{v}",
            1,
            DERIVATIVES,
            self.grads(r)[v],
            deps=tuple(deps),
            compute=recipe,
            formula=" + ".join(terms),
            kind="chain",
            paths=tuple(paths) if all(paths) else (),
        )


def activation_of(expr: Expression) -> Op | None:
    """The activation an expression applies to one name (``relu(n)``, ``sigmoid(z)``), else
    None: worked on the student's own figure, a 0 it gives shows the method."""
    if len(expr.program) != 2 or expr.program[0][0] != "var":
        return None
    op = expr.program[1][1]
    if isinstance(op, Op) and op.arity == 1 and op.name in activation_names():
        return op
    return None


def local_formula(expr: Expression, wrt: str, name: str) -> str:
    """The local derivative as a formula in the expression's names (from the ops table)."""

    return derivative_text(expr, wrt, name)


def build_expression(hw: Homework) -> Problem:
    """Values of every expression (derivatives are made when an answer names them)."""
    spec = hw.spec
    assert isinstance(spec, ExpressionSpec)
    qs: list[Quantity] = []
    leaves = {n: Value(v, label=n) for n, v in spec.variables.items()}
    nodes: dict[Key, Value] = {K(n): v for n, v in leaves.items()}
    for n, v in spec.variables.items():
        qs.append(Quantity(n, 1, GIVEN, v, exact=True))
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
                VALUES,
                node.data,
                deps=tuple(K(n) for n in expr.names),
                compute=_value_recipe(expr),
                formula=expr.source.strip(),
                activation=getattr(activation_of(expr), "name", ""),
            )
        )
    problem = ExpressionProblem(
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
    problem.setup(spec, values)
    return problem


def _evaluate_all(
    spec: ExpressionSpec,
    leaves: Mapping[str, Value | float],
    pinned: Mapping[str, float] | None = None,
) -> dict[str, Value]:
    """Every expression on ``leaves``; a ``pinned`` expression takes the given number as its
    value (what later expressions and every derivative through it then use)."""
    values: dict[str, Value | float] = dict(leaves)
    out: dict[str, Value] = {}
    for name, expr in spec.expressions.items():
        node = expr.evaluate(values)
        if pinned and name in pinned:
            if not node.parents:  # 'f = "x"': pin a node of its own, never the leaf
                node = node + 0.0
            node.data = pinned[name]
        values[name] = node
        out[name] = node
    return out


def _nested(name: str, wrt: Sequence[str]) -> str:
    """'d/dy (df/dx)' for wrt = (x, y): the order the derivatives are taken in."""
    text = f"d{name}/d{wrt[0]}"
    for w in wrt[1:]:
        text = f"d/d{w} ({text})"
    return text


def _higher_work(problem: ExpressionProblem, name: str, text: str, order: int) -> int:
    """The work of the derivative ``text`` of ``name`` (``order`` in a row), counted before
    it is made: the operations of name's graph times 3^order (each differentiation makes a
    graph 2.5 to 2.8 times the one before). The sheet's sum is bounded like its diagnosis:
    beyond TRACEGRAD_MAX_DERIVATIVE_WORK, one line naming the answer."""
    work = len(topo_order(problem.values[name], constants=False)) * 3**order
    problem.higher_work += work
    try:
        LIMITS["derivative_work"].check(problem.higher_work, f"answer {text!r}")
    except LimitError as exc:
        raise HomeworkLimitError(str(exc), ("answers",)) from None
    return work


def _higher(spec: ExpressionSpec, problem: ExpressionProblem, text: str) -> Quantity | None:
    """A second (or higher) derivative such as 'd2f/dx2' or 'd2f/dxdy', made when asked for."""
    compact = text.replace(" ", "")
    m = _DERIVATIVE.match(compact)
    if not m or m.group(2) not in spec.expressions:
        return None
    name = m.group(2)
    variables = [n for n in spec.variables if n in problem.upstream(name)] or list(spec.variables)
    try:
        wrt = parse_partial(compact, variables)
    except ValueError:
        return None
    if len(wrt) < 2:
        return None
    key = K(compact)
    if key in problem.index:
        return problem.index[key]

    def build(leaves: Mapping[str, Value]) -> Value:
        return _evaluate_all(spec, leaves)[name]

    work = _higher_work(problem, name, compact, len(wrt))
    value = partial_derivative(build, spec.variables, wrt)
    up = problem.upstream(name)
    named = [e for e in spec.expressions if e in up] + [name]
    if len(named) > PINNED_MAX:  # each carry works the derivative once per figure: bounded
        named = []

    def recipe(v: Sequence[float]) -> float:
        """The derivative worked on the student's figures: their variables, and every named
        expression's value where the working uses it (their sigma in sigma * (1 - sigma))."""
        charge(work)  # carrying is diagnosis: it draws on the sheet's diagnosis budget
        at = {**spec.variables, **dict(zip(variables, v))}
        pinned = dict(zip(named, v[len(variables) :]))
        return partial_derivative(lambda leaves: _evaluate_all(spec, leaves, pinned)[name], at, wrt)

    formula = second_derivative_text(spec, name, wrt) or _nested(name, wrt)
    deps = tuple(K(v) for v in (*variables, *named))
    routes = []  # the same derivative through a first derivative the student may write
    for n in [name, *reversed(named[:-1])][:FIRST_DERIVATIVE_ROUTES]:
        if wrt[-1] in problem.upstream(n):
            first = problem.derivative(n, wrt[-1])
            through = functools.partial(_through_first, spec, name, wrt, variables, named, n)
            routes.append(
                Quantity(compact, 1, HIGHER_DERIVATIVES, value, deps=(*deps, first.key),
                         compute=through, formula=f"{formula}, with your {first.name}")
            )  # fmt: skip
    q = Quantity(
        compact,
        1,
        HIGHER_DERIVATIVES,
        value,
        # the variables its formula is written in, then the figures its working uses
        deps=deps,
        compute=recipe,
        formula=formula,
        shortcuts=tuple(routes),
    )
    problem.add(q)
    return q


def _through_first(
    spec: ExpressionSpec,
    name: str,
    wrt: Sequence[str],
    variables: Sequence[str],
    named: Sequence[str],
    n: str,
    v: Sequence[float],
) -> float:
    """The derivative worked on the student's figures with their own first derivative
    dn/d(last variable) where the working uses it: d2t/dx2 = -4 t · dt/dx with their dt/dx.

    The last differentiation of g = d name/d wrt[:-1] splits at n: the part that does not go
    through n, plus dg/dn times dn/d(last), the factor the student's figure stands for."""
    at = {**spec.variables, **dict(zip(variables, v))}
    pinned = dict(zip(named, v[len(variables) : len(variables) + len(named)]))
    figure = v[-1]
    leaves = {k: Value(x, label=k) for k, x in at.items()}
    nodes = _evaluate_all(spec, leaves, pinned)
    g = nth_derivative(nodes[name], [leaves[w] for w in wrt[:-1]])
    last, node = leaves[wrt[-1]], nodes[n]
    total, through_n = grad_values(g, [last, node], create_graph=False)
    (own,) = grad_values(node, [last], create_graph=False)
    return total + through_n * (figure - own)

"""Shared hypothesis strategies and the backends that build what they draw (one module).

- Random expression trees over every op in the table, with domains valid by construction.
- Random DAGs with shared nodes (``dags``/``build_dag``), for the backward pass and explain.
- The backends: the engine's public surface (``VALUE_BACKEND``) and PyTorch (``torch_ops``).

How many examples each property runs is the hypothesis profile's business (tests/conftest.py).

A tree is ('x', i) for input i, ('c', number) for a constant, or (op_name, *children).
`evaluate` builds it with any backend (Values through the public operators and methods,
sympy, torch), so the same random tree is computed by the engine and by each oracle.
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from typing import Any

from hypothesis import strategies as st
from tracegrad.autograd import OPS
from tracegrad.autograd.value import Value, apply, as_value

Tree = tuple[Any, ...]
N_INPUTS = 3
POWC_EXPONENTS = [2.0, 3.0, -1.0, 0.5, 1.5, -1.5, -2.0]


def positive(t: Tree) -> Tree:
    """t*t + 0.5: strictly positive whatever t is (for log, sqrt, division, real powers)."""
    return ("add", ("mul", t, t), ("c", 0.5))


# How to put each op into a tree so its inputs are always in its domain. A new op in the
# table without an entry here makes test_every_op_has_a_tree_form fail.
BUILDERS: dict[str, Callable[..., Tree]] = {
    "add": lambda a, b: ("add", a, b),
    "sub": lambda a, b: ("sub", a, b),
    "mul": lambda a, b: ("mul", a, b),
    "div": lambda a, b: ("div", a, positive(b)),
    "pow": lambda a, b: ("pow", positive(a), ("sin", b)),
    "neg": lambda a: ("neg", a),
    "exp": lambda a: ("exp", ("sin", a)),
    "log": lambda a: ("log", positive(a)),
    "tanh": lambda a: ("tanh", a),
    "sigmoid": lambda a: ("sigmoid", a),
    "relu": lambda a: ("relu", a),
    "sqrt": lambda a: ("sqrt", positive(a)),
    "sin": lambda a: ("sin", a),
    "cos": lambda a: ("cos", a),
    "step": lambda a: ("step", a),
}


def _powc(base: Tree, n: float) -> Tree:
    return ("powc", base if float(n).is_integer() and n > 0 else positive(base), ("c", n))


# Ops whose derivative jumps at 0: finite differences are meaningless right at the kink.
KINKED = {"relu", "step"}

leaves = st.one_of(
    st.integers(0, N_INPUTS - 1).map(lambda i: ("x", i)),
    st.floats(-2, 2, allow_nan=False).map(lambda c: ("c", round(c, 3))),
)


def _extend(children: st.SearchStrategy[Tree]) -> st.SearchStrategy[Tree]:
    options = []
    for name, op in OPS.items():
        if name == "powc":
            options.append(st.builds(_powc, children, st.sampled_from(POWC_EXPONENTS)))
        elif name in BUILDERS:
            options.append(
                st.tuples(*[children] * op.arity).map(lambda cs, n=name: BUILDERS[n](*cs))
            )
    return st.one_of(options)


trees = st.recursive(leaves, _extend, max_leaves=8)
points = st.lists(st.floats(-2, 2, allow_nan=False), min_size=N_INPUTS, max_size=N_INPUTS)


def ops_in(tree: Tree) -> set[str]:
    if tree[0] in ("x", "c"):
        return set()
    out = {tree[0]}
    for child in tree[1:]:
        out |= ops_in(child)
    return out


def evaluate(tree: Tree, inputs: list[Any], backend: dict[str, Callable[..., Any]]) -> Any:
    """Build the tree with a backend: {'const': c -> x, op_name: (*children) -> x}."""
    kind = tree[0]
    if kind == "x":
        return inputs[tree[1]]
    if kind == "c":
        return backend["const"](tree[1])
    if kind == "powc":  # the exponent stays a plain number: that is what makes it powc
        return backend["powc"](evaluate(tree[1], inputs, backend), tree[2][1])
    return backend[kind](*(evaluate(c, inputs, backend) for c in tree[1:]))


def _method(name: str) -> Callable[[Any], Any]:
    return lambda a: getattr(as_value(a), name)()


# The engine through its public surface: Python operators and Value methods.
VALUE_BACKEND: dict[str, Callable[..., Any]] = {
    "const": lambda c: c,  # plain numbers: exercises the reflected operators too
    "add": operator.add,
    "sub": operator.sub,
    "mul": operator.mul,
    "div": operator.truediv,
    "pow": operator.pow,
    "powc": operator.pow,
    "neg": operator.neg,
    **{op.name: _method(op.method) for op in OPS.values() if op.method},
}


# ---------------------------------------------------------------- random DAGs (shared nodes)
# Ops defined everywhere, so any recipe builds; 'powc' squares (constant exponent 2).
DAG_OPS = ["add", "sub", "mul", "tanh", "sigmoid", "sin", "cos", "neg", "powc"]

Recipe = tuple[list[float], list[tuple[str, int, int]]]


@st.composite
def dags(draw: Any, max_ops: int = 12) -> Recipe:
    """Leaves' data and a list of (op, i, j): node k+len(leaves) = op(node i, node j)."""
    leaves = draw(
        st.lists(st.floats(-2, 2, allow_nan=False).map(lambda x: round(x, 3)), min_size=1,
                 max_size=4)
    )  # fmt: skip
    n_ops = draw(st.integers(1, max_ops))
    ops = []
    for k in range(n_ops):
        n = len(leaves) + k
        name = draw(st.sampled_from(DAG_OPS))
        # Prefer recent nodes so graphs are deep, with some reuse (shared subexpressions).
        i = draw(st.integers(max(0, n - 4), n - 1))
        j = draw(st.integers(0, n - 1))
        ops.append((name, i, j))
    return leaves, ops


def build_dag(recipe: Recipe) -> list[Value]:
    """Every node of the recipe, leaves first; the last one is the root."""
    leaves, ops = recipe
    nodes = [Value(x, label=f"x{i}") for i, x in enumerate(leaves)]
    for name, i, j in ops:
        op = OPS[name]
        args = {1: (nodes[i],), 2: (nodes[i], nodes[j])}[op.arity]
        nodes.append(apply(op, nodes[i], 2.0) if name == "powc" else apply(op, *args))
    return nodes


# ---------------------------------------------------------------- PyTorch, the oracle backend
def _const(c: float) -> Any:
    import torch

    return torch.tensor(c, dtype=torch.float64)


def torch_ops() -> dict[str, Any]:
    """Each op built with torch (float64); needs the oracle extra."""
    import torch

    return {
        "const": _const,
        "add": lambda a, b: a + b,
        "sub": lambda a, b: a - b,
        "mul": lambda a, b: a * b,
        "div": lambda a, b: a / b,
        "pow": torch.pow,
        "powc": lambda a, n: a**n,
        "neg": lambda a: -a,
        "exp": torch.exp,
        "log": torch.log,
        "tanh": torch.tanh,
        "sigmoid": torch.sigmoid,
        "relu": torch.relu,
        "sqrt": torch.sqrt,
        "sin": torch.sin,
        "cos": torch.cos,
        "step": lambda a: (a > 0).to(torch.float64),  # constant: derivative 0
    }


# ---------------------------------------------------------------- fixed graphs
def big_graph() -> Value:
    """About 1,950 Values (the cap is 2,000): a 4-8-8-1 tanh MLP's squared error over 7 points."""
    from tracegrad.nn import MLP

    net = MLP(4, [8, 8, 1], activation="tanh")
    net.set_weights(
        [
            [[0.1 * ((i + j) % 5 - 2) for j in range(4)] + [0.01 * i] for i in range(8)],
            [[0.05 * ((i * j) % 7 - 3) for j in range(8)] + [0.0] for i in range(8)],
            [[0.2 * (j % 3 - 1) for j in range(8)] + [0.1]],
        ]
    )
    pts = [[(k + j) % 3 - 1.0 for j in range(4)] for k in range(7)]
    loss = sum((net(p) - 1.0) ** 2 for p in pts)
    assert isinstance(loss, Value)
    loss.label = "loss"
    return loss

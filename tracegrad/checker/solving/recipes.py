"""The textbook recipes of a network sheet's quantities, on plain numbers.

Each quantity of ``network.py`` carries one of these as its ``compute``: the formula a student
follows (x1*w1 + x2*w2 + b1, the loss's slope, w - η · dE/dw), fed with the student's own
earlier figures to recognise an error carried forward; and the common slips of a recipe (an
update that adds the step, bce's slope taken as o - y) as its ``alternatives``.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from typing import Any

from tracegrad.autograd.ops import FloatMath
from tracegrad.autograd.value import Value

__all__ = [
    "Recipe",
    "product",
    "identity",
    "net_recipe",
    "forward_recipe",
    "loss_term",
    "loss_slope",
    "slope_slips",
    "dot",
    "sum_of_products",
    "step_rule",
    "update_slips",
    "slope_vanishes",
]

Recipe = Callable[[Sequence[float]], float]


def product(v: Sequence[float]) -> float:
    out = 1.0
    for x in v:
        out *= x
    return out


def identity(v: Sequence[float]) -> float:
    return v[0]


def update_slips(frozen: bool) -> tuple[tuple[str, Recipe], ...]:
    """An update's common slips, on (the weight, its gradient, the learning rate)."""
    if frozen:
        return (("updated a frozen parameter (the sheet keeps it fixed)", step_rule),)
    return (
        ("added the step instead of subtracting it", lambda v: v[0] + v[2] * v[1]),
        ("left out the learning rate", lambda v: v[0] - v[1]),
    )


def net_recipe(k: int, v: Sequence[float]) -> float:
    """x1*w1 + ... + xk*wk + b from (inputs..., weights..., bias)."""
    acc = v[k] * v[0]
    for i in range(1, k):
        acc = acc + v[k + i] * v[i]
    return acc + v[2 * k]


def forward_recipe(f: Callable[[float], float], v: Sequence[float]) -> float:
    return f(v[0])


def loss_term(
    loss: Any, scale: float, ys: list[float], k: int, joint: bool, v: Sequence[float]
) -> float:
    """Output k's term of the loss (nn.losses); a joint loss: every output, target k alone."""
    if not joint:
        return float(loss([v[0]], [ys[k]]).data) * scale
    if ys[k] == 0:
        return 0.0
    return float(loss(list(v), [y if i == k else 0.0 for i, y in enumerate(ys)]).data) * scale


def loss_slope(
    loss: Any, scale: float, ys: list[float], k: int, joint: bool, v: Sequence[float]
) -> float:
    """dE/do for output k from the loss itself (nn.losses), at the student's output(s)."""
    outs = [Value(x) for x in v]
    loss(outs, ys if joint else [ys[k]]).backward()
    return outs[k if joint else 0].grad * scale


def slope_slips(loss: str, yk: float, k: int, scale: float) -> tuple[tuple[str, Recipe], ...]:
    """dE/do's common slip with bce (the squared error's o - y) and softmax cross-entropy
    (the score o for its probability)."""
    return {
        "bce": (("o - y is the slope of the squared error; bce's is (o - y) / (o (1 - o))",
                 lambda v: (v[0] - yk) * scale),),
        "cross_entropy": (("used the score o, not its softmax probability exp(o) / (exp(o1) + ...)",
                           lambda v: v[k] - yk),),
    }.get(loss, ())  # fmt: skip


def dot(m: int, v: Sequence[float]) -> float:
    return sum(v[i] * v[m + i] for i in range(m))


def sum_of_products(width: int, count: int, v: Sequence[float]) -> float:
    return sum(product(v[i * width : (i + 1) * width]) for i in range(count))


def step_rule(v: Sequence[float]) -> float:
    """w - η · dE/dw from (w, dE/dw, η)."""
    return v[0] - v[2] * v[1]


# net inputs a hand-worked sheet meets: an activation whose slope is 0 at none of them has a
# slope that is never 0 (sigmoid, tanh); relu's is 0 for every negative one
_SLOPE_PROBES = tuple(k / 4 for k in range(-16, 17))


@functools.cache
def slope_vanishes(act: Any) -> bool:
    """The activation's slope is exactly 0 at some ordinary net input."""
    for z in _SLOPE_PROBES:
        try:
            if act.partials(FloatMath, act.forward(z), z)[0] == 0:
                return True
        except (ArithmeticError, ValueError):
            continue
    return False

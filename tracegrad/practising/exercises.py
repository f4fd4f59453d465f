"""Generated practice exercises: ``random_exercise(level, seed)`` -> (root, what it is).

Level 1 is a few operations on three numbers, level 2 a neuron with an activation, level 3 a
small network (two inputs, two hidden neurons, one output) with a squared-error loss. The same
seed gives the same exercise. Every exercise is well posed (``well_posed``): every number and
gradient finite, no log of a number <= 0, no division by zero, and no gradient that reads
0.0000 at the digits asked (no saturated activation, no relu switched off).
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable

from tracegrad.autograd.explaining.page_practice import practice_questions
from tracegrad.autograd.formatting import fmt
from tracegrad.autograd.graph import topo_order
from tracegrad.autograd.value import Value

__all__ = ["LEVELS", "random_exercise", "well_posed", "given_order"]

LEVELS = {
    1: "a few operations",
    2: "a neuron with an activation",
    3: "a small network with a loss",
}
_TRIES = 200


def random_exercise(level: int, seed: int, *, digits: int = 4) -> tuple[Value, str]:
    """A well-posed exercise of ``level`` (1, 2 or 3) drawn from ``seed``: (root, description)."""
    if level not in LEVELS:
        raise ValueError(f"level {level}: the levels are 1, 2 and 3")
    rng = random.Random(f"tracegrad practice {level} {seed}")
    make = _MAKERS[level]
    for _ in range(_TRIES):
        try:
            root, what = make(rng)
        except (ArithmeticError, ValueError):
            continue
        if well_posed(root, digits):
            return root, what
    raise RuntimeError(f"no well-posed level {level} exercise in {_TRIES} draws")  # not reached


def well_posed(root: Value, digits: int = 4) -> bool:
    """Finite numbers, logs of positive numbers, no division by zero, and every gradient a
    learner is asked for shows at least one nonzero digit at ``digits`` decimals."""
    for v in topo_order(root):
        if not math.isfinite(v.data):
            return False
        if v._op is not None and v._op.name == "log" and v.parents[0].data <= 0:
            return False
        if v._op is not None and v._op.name == "div" and v.parents[1].data == 0:
            return False
    questions = practice_questions(root)
    if not questions:
        return False
    zero = fmt(0.0, digits)
    return all(math.isfinite(q.value) and fmt(abs(q.value), digits) != zero for q in questions)


def given_order(root: Value) -> list[str]:
    """An exercise's inputs as a sheet lists them: the x's, then each layer's weights and
    bias (the names ``_neuron`` gives: w1, w2, b1 for the first neuron), then the target y;
    a level 1 exercise's a, b, c in that order."""
    names = [v.label for v in topo_order(root) if v._op is None and v.label]
    network = any(name.startswith("w") for name in names)

    def key(name: str) -> tuple[int, int, str]:
        if network and name.startswith("x"):
            return (0, 0, name)
        if network and name == "y":
            return (9, 0, name)
        return (1 + _LAYER.get(name, 0), int(network and name.startswith("b")), name)

    return sorted(names, key=key)


# level 3: w1..w4 and b1, b2 are the hidden layer's, w5, w6 and b3 the output neuron's
_LAYER = {"w5": 1, "w6": 1, "b3": 1}


def _number(rng: random.Random, low: float, high: float, step: float = 0.5) -> float:
    """A nonzero multiple of ``step`` in [low, high]: numbers a person multiplies by hand."""
    choices = [k * step for k in range(math.ceil(low / step), math.floor(high / step) + 1) if k]
    return rng.choice(choices)


def _level1(rng: random.Random) -> tuple[Value, str]:
    a, b, c = (Value(_number(rng, -4, 4), label=n) for n in "abc")
    ops: list[Callable[[Value, Value], Value]] = [
        lambda p, q: p + q,
        lambda p, q: p - q,
        lambda p, q: p * q,
        lambda p, q: p * q,
    ]
    first = rng.choice(ops)(*rng.sample([a, b, c], 2))
    inner = rng.choice([first, first * first, first * 2.0]) if rng.random() < 0.3 else first
    rest = [v for v in (a, b, c) if not any(v is p for p in first.parents)]
    f = rng.choice(ops)(inner, rest[0]) if rest else rng.choice(ops)(inner, c)
    if rng.random() < 0.5:
        f = rng.choice(ops)(f, rng.choice([a, b, c]))
    f.label = "f"
    return f, "level 1: " + LEVELS[1]


def _neuron(
    rng: random.Random, inputs: list[Value], prefix: str, k: int, act: str, out: str
) -> tuple[Value, Value]:
    """act(sum of inputs * weights + bias), weights named w<k>..., bias b<prefix>."""
    n: Value | None = None
    for j, x in enumerate(inputs):
        w = Value(_number(rng, -1.5, 1.5, 0.1), label=f"w{k + j}")
        n = x * w if n is None else n + x * w
    assert n is not None
    n = n + Value(_number(rng, -1.0, 1.0, 0.1), label=f"b{prefix}")
    n.label = f"n{prefix}"
    o = getattr(n, act)()
    o.label = out
    return n, o


def _level2(rng: random.Random) -> tuple[Value, str]:
    act = rng.choice(["tanh", "sigmoid", "relu"])
    xs = [Value(_number(rng, -2, 2), label=f"x{j + 1}") for j in range(rng.choice([2, 3]))]
    n, o = _neuron(rng, xs, "", 1, act, "o")
    if act == "relu" and n.data <= 0.05 or act != "relu" and abs(n.data) > 2.0:
        raise ValueError("saturated or switched off")
    return o, f"level 2: {LEVELS[2]} ({act})"


def _level3(rng: random.Random) -> tuple[Value, str]:
    act = rng.choice(["tanh", "sigmoid"])
    xs = [Value(_number(rng, -1, 1), label=f"x{j + 1}") for j in range(2)]
    n1, h1 = _neuron(rng, xs, "1", 1, act, "h1")
    n2, h2 = _neuron(rng, xs, "2", 3, act, "h2")
    n3, o = _neuron(rng, [h1, h2], "3", 5, "sigmoid", "o")
    if any(abs(n.data) > 2.0 for n in (n1, n2, n3)):
        raise ValueError("a saturated activation")
    y = Value(rng.choice([0.0, 1.0]), label="y")
    loss = (o - y) ** 2
    loss.label = "L"
    return loss, f"level 3: {LEVELS[3]} ({act} hidden, sigmoid output, squared error)"


_MAKERS = {1: _level1, 2: _level2, 3: _level3}

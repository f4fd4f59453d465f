"""The derivative text a learner reads, checked against the partials the engine computes.

``prove_text(op)`` evaluates each of the row's ``partial_text(i, ("a", "b"))`` (a Python
expression such as ``1 - tanh(a)**2``) at many points of the row's domain, with the float
math's functions and each row's forward under its method name (``tanh``, ``sigmoid``, ...),
and compares it with ``op.partials(FloatMath, out, a[, b])``. Used for every row of the table
(tests/test_partial_text.py) and for rows a test adds (tests/test_extension.py).
"""

from __future__ import annotations

import math
import random
from typing import Any

from tracegrad.autograd.ops import OPS, FloatMath, Op

SAMPLES = 200


def text_namespace() -> dict[str, Any]:
    """The names a derivative text may use: the float math's functions, then every row's
    forward under its method name (a row added later is included)."""
    ns: dict[str, Any] = {
        n: getattr(FloatMath, n) for n in vars(FloatMath) if not n.startswith("_")
    }
    ns.update({op.method: op.forward for op in OPS.values() if op.method})
    return ns


def _points(op: Op, rng: random.Random) -> list[tuple[float, ...]]:
    """Points inside op's domain (op.check passes), integers and near-integers included."""
    out: list[tuple[float, ...]] = []
    while len(out) < SAMPLES:
        xs = []
        for _ in range(op.arity):
            kind = rng.random()
            if kind < 0.2:
                xs.append(float(rng.randint(-4, 4)))
            elif kind < 0.3:
                xs.append(rng.choice([0.5, 1.5, -0.5, 2.5]))
            else:
                xs.append(rng.uniform(-5.0, 5.0))
        if xs[0] == 0.0:  # derivatives at 0 are conventions (the row's note), not formulas
            continue
        try:
            if op.check is not None:
                op.check(*xs)
            op.forward(*xs)
        except (ValueError, ZeroDivisionError, OverflowError):
            continue
        out.append(tuple(xs))
    return out


def _close(got: float, want: float) -> bool:
    if math.isnan(want):
        return math.isnan(got)
    return math.isclose(got, want, rel_tol=1e-9, abs_tol=1e-12)


def prove_text(op: Op, seed: int = 0) -> list[str]:
    """Every point where a text of op disagrees with its computed partial (empty: proven)."""
    rng = random.Random(seed)
    ns = text_namespace()
    wrong: list[str] = []
    for xs in _points(op, rng):
        out = op.forward(*xs)
        partials = op.partials(FloatMath, out, *xs)
        env = dict(ns, **dict(zip("ab", xs)))
        for i in range(op.arity):
            text = op.partial_text(i, ("a", "b"))
            try:
                got = float(eval(text, {"__builtins__": {}}, env))  # noqa: S307 - the table's own text
            except ValueError:  # log of a negative number: undefined, the partial says NaN
                got = math.nan
            except ZeroDivisionError:  # never inside a correct text's domain
                got = math.inf
            if not _close(got, float(partials[i])):
                wrong.append(f"{op.name} at {xs}: d/d{'ab'[i]} text {text!r} gives {got!r}, "
                             f"the engine computes {partials[i]!r}")  # fmt: skip
    return wrong

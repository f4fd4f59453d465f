"""Compare backward() with central finite differences, input by input."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Union

from tracegrad.autograd.formatting import fmt
from tracegrad.autograd.graph import backward
from tracegrad.autograd.value import Value

__all__ = ["gradcheck", "GradcheckResult", "InputCheck", "Number"]

Number = Union[int, float]


@dataclass(frozen=True)
class InputCheck:
    """One input's analytic (backward) and numeric (finite-difference) derivative."""

    index: int
    name: str
    value: float
    analytic: float
    numeric: float
    ok: bool

    @property
    def abs_error(self) -> float:
        return abs(self.analytic - self.numeric)


@dataclass(frozen=True)
class GradcheckResult:
    """Per-input comparison; truthy when every input agrees."""

    checks: list[InputCheck] = field(default_factory=list)
    eps: float = 1e-6
    rtol: float = 1e-4
    atol: float = 1e-6

    @property
    def ok(self) -> bool:
        return all(c.ok for c in self.checks)

    @property
    def failures(self) -> list[InputCheck]:
        return [c for c in self.checks if not c.ok]

    def __bool__(self) -> bool:
        return self.ok

    def __str__(self) -> str:
        head = (
            "gradcheck passed" if self.ok else f"gradcheck FAILED for {len(self.failures)} input(s)"
        )
        lines = [f"{head} (eps={self.eps:g}, rtol={self.rtol:g}, atol={self.atol:g})"]
        for c in self.checks:
            mark = "ok " if c.ok else "BAD"
            lines.append(
                f"  {mark} {c.name} = {fmt(c.value, 6)}: backward {fmt(c.analytic, 8)}"
                f"  finite difference {fmt(c.numeric, 8)}  |diff| {c.abs_error:.2e}"
            )
        return "\n".join(lines)


def gradcheck(
    f: Callable[..., Any],
    inputs: Sequence[Any],
    eps: float = 1e-6,
    rtol: float = 1e-4,
    atol: float = 1e-6,
) -> GradcheckResult:
    """Check f's gradients: backward() against central differences (f(x+eps)-f(x-eps))/2eps.

    ``f`` takes one Value per input and returns a Value; ``inputs`` are numbers or Values
    (their data is used, their labels name the inputs in the report).
    """
    xs = [float(x.data) if isinstance(x, Value) else float(x) for x in inputs]
    names = [
        (x.label if isinstance(x, Value) and x.label else f"x{i}") for i, x in enumerate(inputs)
    ]
    leaves = [Value(x, label=n) for x, n in zip(xs, names)]
    out = f(*leaves)
    if not isinstance(out, Value):
        raise TypeError(f"gradcheck: f must return a Value, got {type(out).__name__}")
    backward(out)

    def at(i: int, x: float) -> float:
        args = [Value(v) for v in xs]
        args[i] = Value(x)
        return f(*args).data

    checks = []
    for i, x in enumerate(xs):
        numeric = (at(i, x + eps) - at(i, x - eps)) / (2 * eps)
        analytic = leaves[i].grad
        ok = math.isclose(analytic, numeric, rel_tol=rtol, abs_tol=atol)
        checks.append(InputCheck(i, names[i], x, analytic, numeric, ok))
    return GradcheckResult(checks, eps, rtol, atol)

"""One math: every backend of the table's math namespace ``m`` is ``ops.Math`` with its own
primitives, the special cases written once in ``Math``, and the same numbers as ``FloatMath``.

Fails when a backend lacks a primitive, redefines a special case (``pow_less_one`` written a
second time), or differs from FloatMath on any function at any sample point, so the partials
mean the same thing on floats, Values (higher order), numpy arrays (the tape) and tensors.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from tracegrad.autograd.compiled.arraymath import ArrayMath
from tracegrad.autograd.higher import ValueMath
from tracegrad.autograd.ops import FloatMath, Math
from tracegrad.autograd.value import Value

# Each function with its sample arguments (plain floats); results compared with FloatMath's.
POINTS: dict[str, list[tuple[float, ...]]] = {
    "exp": [(-2.0,), (0.0,), (1.5,)],
    "log": [(0.5,), (1.0,), (3.0,)],
    "sqrt": [(0.0,), (0.25,), (2.0,)],
    "sin": [(-1.0,), (0.0,), (2.0,)],
    "cos": [(-1.0,), (0.0,), (2.0,)],
    "div": [(1.0, 2.0), (-3.0, 0.5), (1.0, 0.0), (-1.0, 0.0), (0.0, 0.0)],
    "pow": [(2.0, 3.0), (0.5, -1.5), (-2.0, 2.0)],
    "step": [(-1.0,), (0.0,), (0.5,)],
    "const": [(1.5,), (-2.0,)],
    "where": [(1.0, 2.0, 3.0), (0.0, 2.0, 3.0)],
    "mul": [(2.0, 3.0), (-1.5, 0.5)],
    "pow_less_one": [(2.0, 3.0, 8.0), (-1.0, 1e16, 1.0), (0.0, 0.5, 0.0), (1.5, -2.0, 1.5**-2)],
    "log_or_nan": [(2.0,), (0.0,), (-1.0,)],
    "accumulate": [(1.0, 2.0), (-0.5, 0.25)],
}
FUNCTIONS = (*Math.PRIMITIVES, *Math.SPECIAL)


def _same(got: float, want: float) -> bool:
    return (math.isnan(got) and math.isnan(want)) or got == want


def _on_values(fn: Callable[..., Any], args: tuple[float, ...]) -> float:
    # the condition of `where` stays a plain bool; other arguments are Values
    vals = [bool(args[0])] + [Value(x) for x in args[1:]] if fn is ValueMath.where else [
        Value(x) for x in args]  # fmt: skip
    r = fn(*vals)
    return float(r.data if isinstance(r, Value) else r)


def _on_arrays(fn: Callable[..., Any], args: tuple[float, ...]) -> float:
    arrays = [np.array([x, x]) for x in args]
    if fn is ArrayMath.where:
        arrays[0] = arrays[0] != 0
    with np.errstate(all="ignore"):
        r = np.asarray(fn(*arrays))
    assert r.shape == (2,)
    return float(r[0])


BACKENDS: dict[str, tuple[type[Math], Callable[[Callable[..., Any], tuple[float, ...]], float]]] = {
    "ValueMath": (ValueMath, _on_values),
    "ArrayMath": (ArrayMath, _on_arrays),
}


def test_every_function_has_sample_points() -> None:
    assert set(POINTS) == set(FUNCTIONS)


@pytest.mark.parametrize("backend", [FloatMath, ValueMath, ArrayMath])
def test_a_backend_defines_each_primitive_and_no_special_case(backend: type[Math]) -> None:
    assert issubclass(backend, Math)
    lacking = [n for n in Math.PRIMITIVES if n not in vars(backend)]
    assert not lacking, f"{backend.__name__} lacks {lacking}"
    again = [n for n in Math.SPECIAL if n in vars(backend)]
    assert not again, f"{backend.__name__} writes {again} a second time (Math has them)"
    own = {n for n in vars(backend) if not n.startswith("_")}
    alone = sorted(own - set(Math.PRIMITIVES))
    assert not alone, f"{backend.__name__} alone has {alone}: add them to Math.PRIMITIVES"


@pytest.mark.parametrize("name", FUNCTIONS)
@pytest.mark.parametrize("backend", list(BACKENDS))
def test_a_backend_computes_what_float_math_computes(backend: str, name: str) -> None:
    cls, run = BACKENDS[backend]
    for args in POINTS[name]:
        want = float(getattr(FloatMath, name)(*args))
        got = run(getattr(cls, name), args)
        assert _same(got, want), f"{backend}.{name}{args} = {got!r}, FloatMath gives {want!r}"


@pytest.mark.oracle
@pytest.mark.parametrize("name", FUNCTIONS)
def test_torch_math_computes_what_float_math_computes(name: str) -> None:
    import torch
    from tracegrad.autograd.compiled.to_torch import TorchMath

    lacking = [n for n in Math.PRIMITIVES if n not in vars(TorchMath)]
    assert not lacking and not [n for n in Math.SPECIAL if n in vars(TorchMath)]
    extras = {n for n in vars(TorchMath) if not n.startswith("_")} - set(Math.PRIMITIVES)
    assert extras == {"divide", "power", "tanh", "abs"}  # numpy's names, for array forwards
    for args in POINTS[name]:
        tensors = [torch.tensor(x, dtype=torch.float64) for x in args]
        if name == "where":
            tensors[0] = tensors[0] != 0
        r = getattr(TorchMath, name)(*tensors)
        got = float(r)
        want = float(getattr(FloatMath, name)(*args))
        assert _same(got, want), f"TorchMath.{name}{args} = {got!r}, FloatMath gives {want!r}"

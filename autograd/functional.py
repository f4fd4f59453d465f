"""A functional API in the spirit of JAX: ``grad``, ``value_and_grad``, ``hessian``, ``jacobian``.

Each takes a Python function of several scalar arguments, built from Value operations, and
returns a new function. One rule for what comes back:

- called with plain numbers, the result is plain floats (``grad(f)(1.0, 2.0)`` -> a float,
  ``hessian(f)(1.0, 2.0)`` -> a list of lists of floats);
- called with any Value among the arguments, the result is Values built with
  ``create_graph`` (see ``tracegrad.autograd.higher``): differentiable again, so ``grad(grad(f))``
  is the second derivative and ``grad(grad(grad(f)))`` the third.

Plain-number arguments become fresh leaf Values labelled with the function's parameter
names, so any graph drawn from them reads ``x``, ``y``. Nothing here changes a ``.grad``.

For the homework checker: ``partial_derivative(build, at, wrt)`` gives d2f/dxdy and friends of
an expression as a float, and ``parse_partial("d2f/dxdy", names)`` reads that notation.
"""

from __future__ import annotations

import inspect
import numbers
import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Union

from tracegrad.autograd.higher import grad_values, nth_derivative
from tracegrad.autograd.limits import LIMITS
from tracegrad.autograd.value import Value, as_value

__all__ = [
    "grad",
    "value_and_grad",
    "hessian",
    "jacobian",
    "partial_derivative",
    "parse_partial",
]

Argnums = Union[int, Sequence[int], None]


# ---------------------------------------------------------------- argument handling
def _check_callable(f: Any, api: str) -> None:
    if not callable(f):
        raise TypeError(f"{api}() needs a function, got {type(f).__name__}: {f!r}")


def _arg_names(f: Callable[..., Any], n: int) -> list[str]:
    """Labels for n positional arguments: f's parameter names where known, else x0, x1..."""
    try:
        params = [
            p.name
            for p in inspect.signature(f).parameters.values()
            if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)
        ]
    except (TypeError, ValueError):
        params = []
    return [params[i] if i < len(params) else f"x{i}" for i in range(n)]


def _normalise_argnums(argnums: Argnums, nargs: int, api: str) -> tuple[tuple[int, ...], bool]:
    """(positions, single): the argument positions to differentiate by, and whether the
    caller asked for one position (an int) rather than a tuple."""
    if nargs == 0:
        raise TypeError(f"{api}: the function was called with no arguments to differentiate")
    if argnums is None:
        return tuple(range(nargs)), False
    single = isinstance(argnums, numbers.Integral) and not isinstance(argnums, bool)
    items = [argnums] if single else argnums
    try:
        positions = tuple(items)  # type: ignore[arg-type]
    except TypeError:
        raise TypeError(
            f"{api}: argnums must be an int or a tuple of ints, got {argnums!r}"
        ) from None
    if not positions:
        raise ValueError(f"{api}: argnums is empty; give at least one argument position")
    out = []
    for i in positions:
        if not isinstance(i, numbers.Integral) or isinstance(i, bool):
            raise TypeError(f"{api}: argnums must hold ints, got {i!r}")
        j = int(i) + nargs if i < 0 else int(i)
        if not 0 <= j < nargs:
            raise ValueError(
                f"{api}: argnums {i} is out of range for a call with {nargs} argument(s)"
            )
        out.append(j)
    return tuple(out), single


def _prepare(
    f: Callable[..., Any], args: tuple[Any, ...], positions: tuple[int, ...], api: str
) -> tuple[list[Value], bool]:
    """The Values to call f with, and whether the call is in Value mode (a Value was given)."""
    value_mode = any(isinstance(a, Value) for a in args)
    names = _arg_names(f, len(args))
    inputs: list[Value] = []
    for i, a in enumerate(args):
        if isinstance(a, Value):
            inputs.append(a)
        elif isinstance(a, numbers.Real) and not isinstance(a, bool):
            # A fresh leaf: differentiating by a number means by this argument alone.
            inputs.append(Value(a, label=names[i]) if i in positions else as_value(a))
        else:
            raise TypeError(
                f"{api}: argument {i} ({names[i]}) must be a number or a Value, "
                f"got {type(a).__name__}: {a!r}"
            )
    return inputs, value_mode


def _scalar_output(out: Any, api: str) -> Value:
    if isinstance(out, Value):
        return out
    if isinstance(out, numbers.Real) and not isinstance(out, bool):
        return as_value(out)  # a constant function: every derivative is 0
    hint = (
        " (grad with a tuple of argnums returns a tuple: use jacobian)"
        if isinstance(out, (tuple, list))
        else ""
    )
    raise TypeError(
        f"{api}: the function must return a single Value or number, got {type(out).__name__}{hint}"
    )


def _derivatives(out: Value, wrt: list[Value], value_mode: bool) -> list[Any]:
    return list(grad_values(out, wrt, create_graph=value_mode))


# ---------------------------------------------------------------- the API
def value_and_grad(
    f: Callable[..., Any], argnums: int | Sequence[int] = 0
) -> Callable[..., tuple[Any, Any]]:
    """A function returning ``(f(*args), gradient)``; the gradient as in :func:`grad`."""
    _check_callable(f, "value_and_grad")

    def vg(*args: Any) -> tuple[Any, Any]:
        positions, single = _normalise_argnums(argnums, len(args), "value_and_grad")
        inputs, value_mode = _prepare(f, args, positions, "value_and_grad")
        out = _scalar_output(f(*inputs), "value_and_grad")
        grads = _derivatives(out, [inputs[i] for i in positions], value_mode)
        value: Any = out if value_mode else out.data
        return value, grads[0] if single else tuple(grads)

    return vg


def grad(f: Callable[..., Any], argnums: int | Sequence[int] = 0) -> Callable[..., Any]:
    """df/d(argument ``argnums``): a float (a tuple for a tuple of argnums) from numbers,
    a differentiable Value from Values, so ``grad(grad(f))`` is the second derivative."""
    _check_callable(f, "grad")
    vg = value_and_grad(f, argnums)

    def g(*args: Any) -> Any:
        return vg(*args)[1]

    g.__name__ = f"grad({getattr(f, '__name__', 'f')})"
    return g


def hessian(f: Callable[..., Any], argnums: Argnums = None) -> Callable[..., Any]:
    """The matrix of second derivatives d2f/(d arg_i d arg_j), by default over every argument:
    ``hessian(f)(1.0, 2.0)`` -> ``[[fxx, fxy], [fyx, fyy]]``; a single float for an int argnums."""
    _check_callable(f, "hessian")

    def h(*args: Any) -> Any:
        positions, single = _normalise_argnums(argnums, len(args), "hessian")
        inputs, value_mode = _prepare(f, args, positions, "hessian")
        out = _scalar_output(f(*inputs), "hessian")
        wrt = [inputs[i] for i in positions]
        first = grad_values(out, wrt, create_graph=True)
        rows = [_derivatives(g, wrt, value_mode) for g in first]
        return rows[0][0] if single else rows

    return h


def jacobian(f: Callable[..., Any], argnums: Argnums = None) -> Callable[..., Any]:
    """Derivatives of each output by each argument (default: all of them).

    For f returning a list or tuple of Values, ``[[d out_0/d x_0, ...], ...]`` (one row per
    output); for f returning one Value, its gradient as a list, as JAX's shapes go.
    """
    _check_callable(f, "jacobian")

    def j(*args: Any) -> Any:
        positions, single = _normalise_argnums(argnums, len(args), "jacobian")
        inputs, value_mode = _prepare(f, args, positions, "jacobian")
        result = f(*inputs)
        wrt = [inputs[i] for i in positions]
        if isinstance(result, (list, tuple)):
            if not result:
                raise ValueError("jacobian: the function returned an empty sequence")
            outs = [_scalar_output(r, "jacobian") for r in result]
            rows = [_derivatives(o, wrt, value_mode) for o in outs]
            return [r[0] for r in rows] if single else rows
        row = _derivatives(_scalar_output(result, "jacobian"), wrt, value_mode)
        return row[0] if single else row

    return j


# ---------------------------------------------------------------- for the homework checker
def partial_derivative(
    build: Callable[[Mapping[str, Value]], Any], at: Mapping[str, float], wrt: Sequence[str]
) -> float:
    """The partial derivative of ``build(leaves)`` by the names in ``wrt``, in order, at ``at``.

    ``build`` receives ``{name: leaf Value}`` (e.g. ``parse_expression(src).evaluate``);
    ``wrt=("x", "x")`` is d2f/dx2, ``("x", "y")`` is d/dy(df/dx); ``wrt=()`` is f itself.
    """
    unknown = [n for n in wrt if n not in at]
    if unknown:
        known = ", ".join(sorted(at)) or "none"
        raise ValueError(f"cannot differentiate by {unknown[0]!r}: no value given (have {known})")
    leaves: dict[str, Value] = {}
    for name, x in at.items():
        if isinstance(x, bool) or not isinstance(x, numbers.Real):
            raise TypeError(f"value for {name!r} must be a number, got {type(x).__name__}")
        leaves[name] = Value(x, label=name)
    root = _scalar_output(build(leaves), "partial_derivative")
    return nth_derivative(root, [leaves[n] for n in wrt]).data


_SUPERSCRIPTS = str.maketrans("⁰¹²³⁴⁵⁶⁷⁸⁹", "0123456789")
_NUMERATOR = re.compile(r"^[d∂]\^?(\d*)([A-Za-z_]\w*)?$")


def parse_partial(notation: str, variables: Sequence[str]) -> tuple[str, ...]:
    """Read Leibniz notation into the variables to differentiate by, in written order.

    ``"df/dx"`` -> ``("x",)``, ``"d2f/dx2"``/``"d²f/dx²"``/``"d^2f/dx^2"`` -> ``("x", "x")``,
    ``"d2f/dxdy"``/``"∂2f/∂x∂y"`` -> ``("x", "y")``. ``variables`` are the names the
    expression uses (longest match first, so ``x1`` is not read as ``x`` then ``1``).
    Raises ValueError naming what did not parse.
    """
    if not isinstance(notation, str):
        raise TypeError(f"derivative notation must be a str, got {type(notation).__name__}")
    text = notation.translate(_SUPERSCRIPTS).replace(" ", "")
    num, sep, den = text.partition("/")
    match = _NUMERATOR.match(num)
    if not sep or not match or not den:
        raise ValueError(f"cannot read {notation!r} as a derivative like 'd2f/dxdy'")
    digits = match.group(1) or "1"
    order = int(digits) if len(digits) <= 9 else 10**9
    LIMITS["derivative_order"].check(order, notation if len(notation) <= 30 else "a derivative")
    readings = [r for r in _read_denominator(den, tuple(variables), order) if len(r) == order]
    if not readings:
        known = ", ".join(variables) or "none"
        raise ValueError(
            f"in {notation!r}: cannot read the denominator {den!r} as {order} derivative(s) "
            f"by the variables {known}"
        )
    return readings[0]


def _read_denominator(den: str, variables: tuple[str, ...], order: int) -> list[tuple[str, ...]]:
    """Every way to read den as 'd<var>[^][power]' repeated (longest variable names first),
    taking at most ``order`` derivatives in all."""
    if not den:
        return [()]
    if den[0] not in "d∂" or order < 1:
        return []
    found: list[tuple[str, ...]] = []
    for name in sorted(variables, key=len, reverse=True):
        if not den.startswith(name, 1):
            continue
        rest = den[1 + len(name) :]
        power = re.match(r"\^?(\d{1,9})(?!\d)", rest)
        options = [(1, rest)]
        if power and int(power.group(1)) <= order:
            options.insert(0, (int(power.group(1)), rest[len(power.group(0)) :]))
        for count, tail in options:
            for more in _read_denominator(tail, variables, order - count):
                found.append((name,) * count + more)
    return found

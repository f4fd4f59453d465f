"""The ops table's partial derivatives turned into Python source, once, at import.

Each row of the table writes its partials once, against a math namespace ``m``. Calling
them with *symbols* instead of numbers (``Sym``: arithmetic builds the text of the
expression, ``SymMath`` turns ``m.div(x, y)`` into the text ``div(x, y)``) gives the same
formulas as source code, which ``graph.backward`` compiles into one specialised loop: no
tuple per node, no call to a lambda, no namespace lookup. The table stays the only place
that knows an op: nothing here names one.

A row whose partials cannot be traced this way (a Python ``if`` on an input, say) makes
``trace_partials`` return None; the caller then calls ``op.partials`` as before.
"""

from __future__ import annotations

from typing import Any

from tracegrad.autograd.ops import FloatMath, Op

__all__ = ["Sym", "SymMath", "trace_partials", "MATH_NAMES"]


class Sym:
    """A symbolic float: arithmetic on it builds the source text of the expression."""

    __slots__ = ("src",)

    def __init__(self, src: str) -> None:
        self.src = src

    def __repr__(self) -> str:
        return f"Sym({self.src!r})"

    def __bool__(self) -> bool:
        raise TypeError("a traced partial cannot branch on its inputs")

    def _bin(self, sym: str, other: Any, flip: bool = False) -> Sym:
        o = source(other)
        return Sym(f"({o} {sym} {self.src})" if flip else f"({self.src} {sym} {o})")

    def __add__(self, o: Any) -> Sym:
        return self._bin("+", o)

    def __radd__(self, o: Any) -> Sym:
        return self._bin("+", o, True)

    def __sub__(self, o: Any) -> Sym:
        return self._bin("-", o)

    def __rsub__(self, o: Any) -> Sym:
        return self._bin("-", o, True)

    def __mul__(self, o: Any) -> Sym:
        return self._bin("*", o)

    def __rmul__(self, o: Any) -> Sym:
        return self._bin("*", o, True)

    def __truediv__(self, o: Any) -> Sym:
        return self._bin("/", o)

    def __rtruediv__(self, o: Any) -> Sym:
        return self._bin("/", o, True)

    def __neg__(self) -> Sym:
        return Sym(f"(-{self.src})")


def source(x: Any) -> str:
    """The source text of a symbol or a plain number."""
    if isinstance(x, Sym):
        return x.src
    if type(x) is float or type(x) is int:
        return repr(float(x))
    raise TypeError(f"cannot trace {type(x).__name__} in a partial")


# The FloatMath functions a traced partial may call; the generated code binds each name.
MATH_NAMES: dict[str, Any] = {
    f"_m_{name}": getattr(FloatMath, name)
    for name in dir(FloatMath)
    if not name.startswith("_") and callable(getattr(FloatMath, name))
}


class _SymMath:
    """``m`` for tracing: ``m.name(x, ...)`` becomes the text ``_m_name(x, ...)``."""

    def const(self, x: Any) -> Any:
        return x  # a constant is the number itself (FloatMath.const is the identity)

    def __getattr__(self, name: str) -> Any:
        if f"_m_{name}" not in MATH_NAMES:
            raise AttributeError(name)

        def call(*args: Any) -> Sym:
            return Sym(f"_m_{name}({', '.join(source(a) for a in args)})")

        return call


SymMath = _SymMath()


def trace_partials(op: Op, names: tuple[str, ...]) -> tuple[str, ...] | None:
    """op's partials as source over the variables ``names`` = (out, a[, b]); None when the
    row's formula does not trace (the caller falls back to calling ``op.partials``)."""
    try:
        parts = op.partials(SymMath, *(Sym(n) for n in names))
        return tuple(source(p) for p in parts)
    except (TypeError, AttributeError):
        return None

"""The single table of differentiable operations.

Every operation the engine knows is one ``Op`` entry in ``OPS``: its name, how a person
writes it, how to compute it, its local partial derivatives (as code and as text) and its
domain. Value arithmetic, backward, rendering, explanations and the compiled tape all read
this table; nothing else in the project branches on an operation's name.

Partial derivatives are written once, generically, against a small math namespace ``m``
(``FloatMath`` here; the higher-order and compiled engines pass their own). Arguments are
``(m, out, a)`` for unary ops and ``(m, out, a, b)`` for binary ones, where ``out`` is the
op's result; each returns one partial per input. Written with arithmetic operators and
``m.*`` functions only, the same formula works on floats, on Values (so derivatives can be
differentiated again) and on numpy arrays (a whole batch at once).

Conventions where a derivative is undefined but the value exists (stated, as PyTorch does):

- ``relu`` at exactly 0: the partial is 0.
- ``a ** b`` (both Values): d/db = out * log(a) for a > 0; 0 at a == 0; NaN for a < 0
  (log of a negative number is not real).
- ``sqrt`` at 0 and ``a ** n`` with n < 1 at a == 0: the partial is +inf (IEEE-style).
- ``a ** n`` with a constant exponent ``n``: the exponent is a constant, its partial is 0.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

__all__ = ["Op", "OPS", "Math", "FloatMath", "methods", "operators", "power"]


# ---------------------------------------------------------------- forward functions
def _exp(x: float) -> float:
    try:
        return math.exp(x)
    except OverflowError:
        return math.inf


def _pow(a: float, b: float) -> float:
    try:
        r = a**b
    except OverflowError:
        return math.inf if a > 0 or float(b).is_integer() and b % 2 == 0 else -math.inf
    except ZeroDivisionError:
        return math.inf
    if isinstance(r, complex):  # pragma: no cover - excluded by the domain check
        return math.nan
    return r


def _sigmoid(x: float) -> float:
    if x >= 0:
        return 1.0 / (1.0 + math.exp(-x))
    e = _exp(x)
    return e / (1.0 + e)


def _relu(x: float) -> float:
    return 0.0 if x <= 0 else x  # NaN stays NaN (it is not <= 0)


def _sigmoid_array(np: Any, x: Any) -> Any:
    """sigmoid over a numpy array with _sigmoid's two formulas (exp never overflows)."""
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def _div(a: float, b: float) -> float:
    if b == 0:
        raise ZeroDivisionError(f"division by zero: a / b with a = {a!r}, b = {b!r}")
    return a / b


class Math:
    """The one definition of the math namespace ``m`` the table's partials are written against.

    Each backend (``FloatMath`` here; ``ValueMath`` in ``higher``, ``ArrayMath`` in
    ``arraymath``, ``TorchMath`` in ``to_torch``) subclasses it and provides the ``PRIMITIVES``
    for its kind of number; the special cases below are written once, here, in terms of them
    (``where`` selects, ``const`` gives the plain number behind x), so every backend computes
    them the same way. ``tests/test_math_conformance.py`` fails when a backend lacks a
    primitive, redefines a special case, or differs from ``FloatMath`` on any function.
    """

    PRIMITIVES = (
        "exp", "log", "sqrt", "sin", "cos",  # the functions partials call
        "div",  # x / y with IEEE semantics at y == 0 (±inf, or nan for 0/0)
        "pow",  # x ** y
        "step",  # 1 where x > 0, 0 where x <= 0, NaN for NaN: a constant (not differentiated)
        "const",  # the plain number behind x: constants are not differentiated
        "where",  # where(cond, x, y): x where cond holds, else y (elementwise on arrays)
        "mul",  # the chain rule's product: upstream gradient times a local partial
    )  # fmt: skip
    SPECIAL = ("pow_less_one", "log_or_nan", "accumulate")

    @classmethod
    def pow_less_one(m: Any, a: Any, b: Any, out: Any) -> Any:
        """a ** (b - 1) where out = a ** b. When b - 1 rounds (b = 1e16: 1e16 - 1 == 1e16)
        it is out / a, which keeps the sign: (-1) ** (1e16 - 1) is -1, not +1."""
        av, bv, ov = m.const(a), m.const(b), m.const(out)
        rounds = (bv - (bv - 1.0) != 1.0) & (av != 0) & (abs(ov) > 0) & (abs(ov) < math.inf)
        return m.where(rounds, m.div(out, m.where(rounds, a, 1.0)), m.pow(a, b - 1.0))

    @classmethod
    def log_or_nan(m: Any, a: Any) -> Any:
        """log(a) for a > 0, 0 at a == 0 (pow's d/db there), NaN for a < 0 (not real)."""
        av = m.const(a)
        positive = av > 0
        return m.where(positive, m.log(m.where(positive, a, 1.0)), m.where(av == 0, 0.0, math.nan))

    @classmethod
    def accumulate(m: Any, total: Any, c: Any) -> Any:
        """The chain rule's sum: a contribution c added to the gradient so far (None: c)."""
        return c if total is None else total + c


class FloatMath(Math):
    """Math namespace for partials on Python floats (the eager first-order engine)."""

    exp = staticmethod(_exp)
    log = staticmethod(math.log)
    sqrt = staticmethod(math.sqrt)
    sin = staticmethod(math.sin)
    cos = staticmethod(math.cos)

    @staticmethod
    def div(x: float, y: float) -> float:
        """x / y with IEEE semantics at y == 0 (±inf, or nan for 0/0)."""
        if y == 0.0:
            if x == 0.0 or x != x:
                return math.nan
            return math.copysign(math.inf, x) * math.copysign(1.0, y)
        return x / y

    @staticmethod
    def pow(x: float, y: float) -> float:
        return _pow(x, y)

    @staticmethod
    def step(x: Any) -> float:
        """1.0 where x > 0, 0.0 where x <= 0, NaN for NaN: a constant (not differentiated)."""
        return 1.0 if x > 0 else 0.0 if x <= 0 else math.nan

    @staticmethod
    def const(x: Any) -> float:
        """The plain number behind x (constants are not differentiated)."""
        return x

    @staticmethod
    def where(cond: Any, x: Any, y: Any) -> Any:
        return x if cond else y

    @staticmethod
    def mul(g: float, d: float) -> float:
        return g * d


# ---------------------------------------------------------------- domain checks
def _check_log(a: float) -> None:
    if a <= 0:
        raise ValueError(f"log(x) is undefined for x = {a!r}: log needs x > 0")


def _check_sqrt(a: float) -> None:
    if a < 0:
        raise ValueError(f"sqrt(x) is undefined for x = {a!r}: sqrt needs x >= 0")


def _check_pow(a: float, b: float) -> None:
    if a == 0 and b < 0:
        raise ValueError(
            f"a ** b is undefined for a = {a!r}, b = {b!r}: 0 to a negative power "
            "is a division by zero"
        )
    if a < 0 and not float(b).is_integer():
        raise ValueError(
            f"a ** b is undefined for a = {a!r}, b = {b!r}: a negative base to a "
            "non-integer power is not a real number"
        )


# ---------------------------------------------------------------- the table
@dataclass(frozen=True, slots=True, kw_only=True)
class Op:
    """One differentiable operation (see the module docstring for the conventions).

    Every field is given by name, so a row of ``_TABLE`` reads alone: its name, its forward,
    its partials beside their text, its domain.
    """

    name: str  # stable identifier, also Value.op
    symbol: str  # what a graph node shows: '+', '*', 'tanh'
    template: str  # how a person writes it, with inputs a, b: 'a * b', 'tanh(a)'
    arity: int
    forward: Callable[..., float]  # on floats
    partials: Callable[..., tuple[Any, ...]]  # (m, out, *inputs) -> one per input
    partials_text: tuple[str, ...]  # d(template)/da, d(template)/db as text
    domain: str = ""  # human-readable domain, '' when defined everywhere
    check: Callable[..., None] | None = None  # raises ValueError outside the domain
    method: str = ""  # Value method name for unary functions ('exp'); '' for operators
    differentiable: tuple[bool, ...] = ()  # per input; constants get partial 0
    note: str = ""  # convention where the derivative is undefined
    # forward on numpy arrays, elementwise over a batch, given the numpy module:
    # (np, *inputs) -> array. Used by the compiled tape (autograd.tape); no domain check.
    array: Callable[..., Any] | None = None
    # 'sum' (a + b) or 'product' (a * b) where the op is one: the vectorised tape fuses trees
    # of sums of products into dot products (autograd.vectape); '' for every other op.
    algebra: str = ""
    # which local derivative each input's partial is, in words (practice mode's hints name the
    # rule, never its value): 'the derivative of a sum with respect to one of its terms'
    rules: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not self.differentiable:  # every input is differentiable unless the row says so
            object.__setattr__(self, "differentiable", (True,) * self.arity)

    def formula(self, i: int, names: tuple[str, ...] = ("a", "b")) -> str:
        """The text 'd(a * b)/da = b' for input i, with optional input names."""
        expr = _subst(self.template, names)
        part = _subst(self.partials_text[i], names)
        return f"d({expr})/d{names[i]} = {part}"

    def expression(self, names: tuple[str, ...]) -> str:
        """The op written with the given input names: ('x', 'y') -> 'x * y'."""
        return _subst(self.template, names)

    def partial_text(self, i: int, names: tuple[str, ...]) -> str:
        return _subst(self.partials_text[i], names)

    def rule(self, i: int) -> str:
        """Input i's local derivative named in words, not as a formula (practice's hints)."""
        if self.rules:
            return self.rules[min(i, len(self.rules) - 1)]
        which = f" with respect to its {'first' if i == 0 else 'second'} input" * (self.arity > 1)
        return f"the derivative of {self.method or self.symbol}{which}"

    @property
    def shown(self) -> str:
        """The op as a learner reads it in a repr: '+', '**', 'tanh' (never 'powc')."""
        return self.method or self.symbol

    def describe(self) -> str:
        """The row as text for a docstring: each partial's formula, the domain, the convention."""
        lines = [f"Ops table row {self.name!r}: {self.template}"]
        lines += [f"    {self.formula(i)}" for i in range(self.arity)]
        if self.domain:
            lines.append(f"    defined for {self.domain}")
        if self.note:
            lines.append(f"    {self.note}")
        return "\n".join(lines)


def _subst(text: str, names: tuple[str, ...]) -> str:
    """Replace the placeholder inputs a, b (whole words only) with names."""
    out = []
    i = 0
    while i < len(text):
        ch = text[i]
        prev_ok = i == 0 or not (text[i - 1].isalnum() or text[i - 1] == "_")
        next_ok = i + 1 >= len(text) or not (text[i + 1].isalnum() or text[i + 1] == "_")
        if ch in "ab" and prev_ok and next_ok:
            out.append(names["ab".index(ch)] if "ab".index(ch) < len(names) else ch)
        else:
            out.append(ch)
        i += 1
    return "".join(out)


_TABLE: list[Op] = [
    Op(name="add", symbol="+", template="a + b", arity=2,
       forward=operator.add,
       partials=lambda m, out, a, b: (1.0, 1.0),
       partials_text=("1", "1"),
       array=lambda np, a, b: a + b,
       algebra="sum",
       rules=("the derivative of a sum with respect to one of its terms",)),
    Op(name="sub", symbol="-", template="a - b", arity=2,
       forward=operator.sub,
       partials=lambda m, out, a, b: (1.0, -1.0),
       partials_text=("1", "-1"),
       array=lambda np, a, b: a - b,
       rules=(
           "the derivative of a difference with respect to the number it starts from",
           "the derivative of a difference with respect to the number taken away",
       )),
    Op(name="mul", symbol="*", template="a * b", arity=2,
       forward=operator.mul,
       partials=lambda m, out, a, b: (b, a),
       partials_text=("b", "a"),
       array=lambda np, a, b: a * b,
       algebra="product",
       rules=(
           "the derivative of a product with respect to one of its factors (the other factor)",
       )),
    Op(name="div", symbol="/", template="a / b", arity=2,
       forward=_div,
       partials=lambda m, out, a, b: (m.div(1.0, b), -m.div(out, b)),
       partials_text=("1 / b", "-a / b**2"),
       domain="b != 0",
       array=lambda np, a, b: np.divide(a, b),
       rules=(
           "the derivative of a quotient with respect to its numerator",
           "the derivative of a quotient with respect to its denominator",
       )),
    Op(name="pow", symbol="**", template="a ** b", arity=2,
       forward=_pow,
       # d/da = b * a**(b - 1), where m.pow_less_one(a, b, out) is a**(b - 1) (out / a
       # when b - 1 rounds back to b); d/db = a**b * log(a) (log_or_nan: 0 at a == 0)
       partials=lambda m, out, a, b: (b * m.pow_less_one(a, b, out), out * m.log_or_nan(a)),
       partials_text=("b * a**(b - 1)", "a**b * log(a)"),
       domain="a > 0, or a == 0 with b >= 0, or a < 0 with integer b",
       check=_check_pow,
       note="d/db is 0 at a == 0 and NaN for a < 0 (log(a) is not real)",
       array=lambda np, a, b: np.power(a, b),
       rules=(
           "the power rule: the derivative of a power with respect to its base",
           "the derivative of a power with respect to its exponent (through the log of the base)",
       )),
    Op(name="powc", symbol="**", template="a ** b", arity=2,
       forward=_pow,
       # d/da = b * a**(b - 1) with b a plain number (m.const): it gets no gradient
       partials=lambda m, out, a, b: (m.const(b) * m.pow_less_one(a, m.const(b), out), 0.0),
       partials_text=("b * a**(b - 1)", "0"),
       domain="a > 0, or a == 0 with b >= 0, or a < 0 with integer b",
       check=_check_pow,
       differentiable=(True, False),
       note="the exponent b is a constant number; at a == 0 with b < 1 d/da is +inf",
       array=lambda np, a, b: np.power(a, b),
       rules=(
           "the power rule: the derivative of a power with respect to its base",
           "the derivative of a power with respect to its constant exponent",
       )),
    Op(name="neg", symbol="-", template="-a", arity=1,
       forward=operator.neg,
       partials=lambda m, out, a: (-1.0,),
       partials_text=("-1",),
       array=lambda np, a: -a,
       rules=("the derivative of a negation",)),
    Op(name="exp", symbol="exp", template="exp(a)", arity=1,
       forward=_exp,
       partials=lambda m, out, a: (out,),
       partials_text=("exp(a)",),
       method="exp",
       array=lambda np, a: np.exp(a),
       rules=("the derivative of exp (exp itself, its output)",)),
    Op(name="log", symbol="log", template="log(a)", arity=1,
       forward=math.log,
       partials=lambda m, out, a: (m.div(1.0, a),),
       partials_text=("1 / a",),
       domain="a > 0",
       check=_check_log,
       method="log",
       array=lambda np, a: np.log(a),
       rules=("the derivative of log (the reciprocal of its input)",)),
    Op(name="tanh", symbol="tanh", template="tanh(a)", arity=1,
       forward=math.tanh,
       partials=lambda m, out, a: (1.0 - out * out,),
       partials_text=("1 - tanh(a)**2",),
       method="tanh",
       array=lambda np, a: np.tanh(a),
       rules=("the derivative of tanh, written with its output (one minus the output squared)",)),
    Op(name="sigmoid", symbol="σ", template="sigmoid(a)", arity=1,
       forward=_sigmoid,
       partials=lambda m, out, a: (out * (1.0 - out),),
       partials_text=("sigmoid(a) * (1 - sigmoid(a))",),
       method="sigmoid",
       array=_sigmoid_array,
       rules=(
           "the derivative of the sigmoid, written with its output (the output times one minus it)",
       )),
    Op(name="relu", symbol="ReLU", template="relu(a)", arity=1,
       forward=_relu,
       partials=lambda m, out, a: (m.step(a),),
       partials_text=("1 if a > 0 else 0",),
       method="relu",
       note="the partial at exactly a == 0 is 0, as in PyTorch",
       array=lambda np, a: np.maximum(a, 0.0),
       rules=("the derivative of relu (whether its input is positive)",)),
    Op(name="step", symbol="step", template="step(a)", arity=1,
       forward=lambda a: 1.0 if a > 0 else 0.0,
       partials=lambda m, out, a: (0.0,),
       partials_text=("0",),
       method="step",
       note="the threshold function: its derivative is 0 everywhere it exists "
       "(undefined at a == 0), so no gradient flows through it",
       array=lambda np, a: np.where(a > 0, 1.0, 0.0),
       rules=("the derivative of the step function (flat wherever it exists)",)),
    Op(name="sqrt", symbol="√", template="sqrt(a)", arity=1,
       forward=math.sqrt,
       partials=lambda m, out, a: (m.div(0.5, out),),
       partials_text=("1 / (2 * sqrt(a))",),
       domain="a >= 0",
       check=_check_sqrt,
       method="sqrt",
       note="the partial at a == 0 is +inf",
       array=lambda np, a: np.sqrt(a),
       rules=("the derivative of a square root (the reciprocal of twice its output)",)),
    Op(name="sin", symbol="sin", template="sin(a)", arity=1,
       forward=math.sin,
       partials=lambda m, out, a: (m.cos(a),),
       partials_text=("cos(a)",),
       method="sin",
       array=lambda np, a: np.sin(a),
       rules=("the derivative of sin (the cos of its input)",)),
    Op(name="cos", symbol="cos", template="cos(a)", arity=1,
       forward=math.cos,
       partials=lambda m, out, a: (-m.sin(a),),
       partials_text=("-sin(a)",),
       method="cos",
       array=lambda np, a: np.cos(a),
       rules=("the derivative of cos (minus the sin of its input)",)),
]  # fmt: skip

OPS: dict[str, Op] = {op.name: op for op in _TABLE}


def methods() -> dict[str, Op]:
    """Each op that is a Value method (and an expression function): its name -> the Op."""
    return {op.method: op for op in OPS.values() if op.method}


def operators() -> dict[tuple[str, int], Op]:
    """Each Python operator the table defines: (symbol, arity) -> Op, ('+', 2) -> add.

    ``**`` maps to ``pow``; ``power()`` picks ``powc`` when the exponent is a plain number.
    """
    return {
        (op.symbol, op.arity): op for op in OPS.values() if not op.method and all(op.differentiable)
    }


def power(constant_exponent: bool) -> Op:
    """The op behind ``**``: ``powc`` when the exponent is a plain number (a constant, never
    differentiated), else ``pow``. Value, the parser and higher-order gradients all ask here."""
    return OPS["powc"] if constant_exponent else OPS["pow"]

"""Derivative formulas as text, read from the ops table: what ``solve`` writes on each line.

``derivative_text(parse_expression("tanh(n)"), "n")`` is ``1 - tanh(n)**2``: the table's
partial of each operation, chained through the expression (forward mode on text), with the
trivial factors 1 and terms 0 left out. No op is known here; every formula comes from
``tracegrad.autograd.ops``.
"""

from __future__ import annotations

import ast
import math
import re
from collections.abc import Sequence

from tracegrad.autograd.formatting import tidy
from tracegrad.autograd.ops import Op
from tracegrad.autograd.parse import Expression, ExpressionError, parse_expression

__all__ = ["derivative_text", "second_derivative_text", "sig", "pretty"]


def _num(x: float) -> str:
    return str(int(x)) if float(x).is_integer() and abs(x) < 1e15 else repr(x)


def _wrap(text: str) -> str:
    simple = text.replace("_", "").replace(".", "").isalnum() or text.lstrip("-").isdigit()
    return text if simple else f"({text})"


def _times(a: str, b: str) -> str:
    if a == "0" or b == "0":
        return "0"
    if a == "1":
        return b
    if b == "1":
        return a
    if a == "-1":
        return f"-{_wrap(b)}"
    if b == "-1":
        return f"-{_wrap(a)}"
    return f"{_wrap(a)} * {_wrap(b)}"


def _plus(terms: Sequence[str]) -> str:
    kept = [t for t in terms if t != "0"]
    if not kept:
        return "0"
    out = kept[0]
    for t in kept[1:]:
        out += f" - {t[1:]}" if t.startswith("-") and " " not in t else f" + {t}"
    return out


def derivative_text(expr: Expression, wrt: str, name: str = "") -> str:
    """d(expr)/d(wrt) as a formula in the expression's own names (``name`` is unused text)."""
    stack: list[tuple[str, str]] = []  # (expression text, its derivative's text)
    for kind, arg in expr.program:
        if kind == "num":
            stack.append((_num(float(arg)), "0"))  # type: ignore[arg-type]
        elif kind == "var":
            stack.append((str(arg), "1" if arg == wrt else "0"))
        else:
            op: Op = arg  # type: ignore[assignment]
            args = stack[len(stack) - op.arity :]
            del stack[len(stack) - op.arity :]
            names = tuple(_wrap(t) for t, _ in args)
            terms = [
                _times(op.partial_text(i, names), d)
                for i, (_, d) in enumerate(args)
                if d != "0" and op.differentiable[i]
            ]
            stack.append((op.expression(names), _plus(terms)))
    return pretty(simplify(stack[-1][1])) if stack else "0"


def _const(node: ast.AST) -> float | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)):
        return float(node.value)
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        inner = _const(node.operand)
        return None if inner is None else -inner
    return None


def _number(x: float) -> ast.AST:
    value: float = int(x) if x.is_integer() else x
    if value < 0:
        return ast.UnaryOp(ast.USub(), ast.Constant(-value))
    return ast.Constant(value)


class _Simplify(ast.NodeTransformer):
    """Fold what the table's templates leave behind: (2 - 1) -> 1, x ** 1 -> x, 1 * x -> x."""

    def visit_BinOp(self, node: ast.BinOp) -> ast.AST:
        self.generic_visit(node)
        a, b = _const(node.left), _const(node.right)
        folds = {ast.Add: float.__add__, ast.Sub: float.__sub__, ast.Mult: float.__mul__}
        if a is not None and b is not None and type(node.op) in folds:
            return _number(folds[type(node.op)](a, b))
        if isinstance(node.op, ast.Pow) and b == 1:
            return node.left
        if isinstance(node.op, ast.Mult) and a == 1:
            return node.right
        if isinstance(node.op, (ast.Mult, ast.Div)) and b == 1:
            return node.left
        return node


def simplify(text: str) -> str:
    """The formula with its trivial arithmetic folded, minimal parentheses (as ``tidy``)."""
    try:
        tree = ast.parse(text, mode="eval")
    except SyntaxError:
        return tidy(text)
    return tidy(ast.unparse(ast.fix_missing_locations(_Simplify().visit(tree))))


_POWER = re.compile(r"\s*\*\*\s*([23])(?![\d.])")


def pretty(text: str) -> str:
    """Squares and cubes as a person writes them: 'tanh(n) ** 2' -> 'tanh(n)²'."""
    return _POWER.sub(lambda m: "²" if m.group(1) == "2" else "³", text)


def second_derivative_text(spec: object, name: str, wrt: Sequence[str]) -> str | None:
    """d²name/d wrt[0] d wrt[1] as a formula, when ``name`` uses both variables directly."""
    expressions = getattr(spec, "expressions", {})
    expr = expressions.get(name)
    if expr is None or any(w not in expr.names for w in wrt):
        return None
    text = expr.source
    for w in wrt:
        try:
            plain = text.replace("²", "**2").replace("³", "**3")
            text = derivative_text(parse_expression(plain), w)
        except ExpressionError:
            return None
    return text


def sig(x: float, digits: int = 4) -> str:
    """x to ``digits`` significant figures, trailing zeros dropped: 0.000438568 -> 0.0004386.

    A worked solution shows every figure with the same number of significant figures, so
    small gradients keep their digits (fixed decimals would print 0.0004).
    """
    if x != x or x in (float("inf"), float("-inf")):
        return str(x)
    if x == 0:
        return "0"
    exp = math.floor(math.log10(abs(x)))
    if exp < -6 or exp >= 6:
        return f"{x:.{digits - 1}e}"
    decimals = max(0, digits - 1 - exp)
    text = f"{x:.{decimals}f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text

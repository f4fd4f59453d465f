"""How numbers and formulas are written for people: one rule for repr, graphs, explanations,
tables and the checker (public: ``from tracegrad.autograd.formatting import fmt, tidy``)."""

from __future__ import annotations

import ast
import math

__all__ = ["fmt", "fixed", "tidy"]

# Past this magnitude a number is written in scientific notation, whatever the decimals asked
# for: 1e300 with 4 decimals would otherwise be 305 characters.
WIDE = 1e15


def fmt(x: float, digits: int = 4) -> str:
    """Fixed ``digits`` decimals for ordinary magnitudes, scientific for tiny or huge ones."""
    if x != x:
        return "nan"
    if math.isinf(x):
        return "inf" if x > 0 else "-inf"
    ax = abs(x)
    if ax != 0 and (ax < 10.0**-digits or ax >= 1e6):
        return f"{x:.{digits}e}"
    s = f"{x:.{digits}f}"
    return "0." + "0" * digits if s == "-0." + "0" * digits else s


def fixed(x: float, decimals: int) -> str:
    """``decimals`` fixed decimals (a student's own precision), scientific past ``WIDE``."""
    if math.isfinite(x) and abs(x) >= WIDE:
        return f"{x:.{decimals}e}"
    return f"{x:.{decimals}f}"


def tidy(text: str) -> str:
    """A formula with minimal parentheses (Python's precedence) when it is a Python expression,
    with whole-number arithmetic done as a person does it: ``2 * (y1 - o1) ** (2 - 1)`` is
    written ``2 * (y1 - o1)`` (an exponent of 1 and a factor of 1 left out)."""
    if "(" not in text and "**" not in text:
        return text  # nothing to tidy (and most formulas are like this: 'b', '1', 'a + b')
    try:
        tree = _Simplify().visit(ast.parse(text, mode="eval"))
        return ast.unparse(tree)
    except (SyntaxError, ValueError, RecursionError):
        return text


def _whole(node: ast.AST) -> int | None:
    """A node's value when it is a whole-number literal (not a bool)."""
    if isinstance(node, ast.Constant) and type(node.value) is int:
        return node.value
    return None


class _Simplify(ast.NodeTransformer):
    """Whole-number sums and differences done (``2 - 1`` -> ``1``), then ``x ** 1`` -> ``x``
    and ``1 * x``, ``x * 1`` -> ``x``. Only whole numbers: nothing is rounded."""

    def visit_BinOp(self, node: ast.BinOp) -> ast.AST:
        self.generic_visit(node)
        left, right = _whole(node.left), _whole(node.right)
        if left is not None and right is not None and isinstance(node.op, (ast.Add, ast.Sub)):
            value = left + right if isinstance(node.op, ast.Add) else left - right
            if value >= 0:  # a negative literal would change how the text around it reads
                return ast.copy_location(ast.Constant(value), node)
        if isinstance(node.op, ast.Pow) and right == 1:
            return node.left
        if isinstance(node.op, ast.Mult) and right == 1:
            return node.left
        if isinstance(node.op, ast.Mult) and left == 1:
            return node.right
        return node

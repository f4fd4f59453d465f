"""The one safe expression parser: text such as ``"tanh(a*b + c)"`` to a graph of Values.

Used by the CLI (``tracegrad draw``/``explain``) and the homework checker. It never calls
``eval``: the text is parsed with :mod:`ast` and every node is checked against an allow-list:

- numbers (int or float literals; no strings, booleans, complex numbers or None),
- variable names (any identifier not starting with ``__``),
- the operators ``+ - * / **`` and unary ``-``/``+``,
- calls ``f(x)`` where ``f`` is the ``method`` of an operation in the ops table
  (:func:`functions`; an op added to the table works here too).

Anything else (attribute access, indexing, other calls, keyword arguments, lambdas,
comparisons, ...) raises :class:`ExpressionError` naming what was refused and its column.

Evaluation mirrors Python arithmetic on Values: numbers (``-2`` included) become constant
leaf Values, each
variable is one Value however often it appears, and ``x ** 2`` (a number literal as exponent)
uses the constant-exponent op ``powc`` exactly as ``Value.__pow__`` does. Every operation goes
through :func:`autograd.value.apply`, so domain errors are the table's own ValueErrors.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, TypeGuard, Union

from tracegrad.autograd.limits import LIMITS, count_digits
from tracegrad.autograd.ops import Op, methods, operators, power
from tracegrad.autograd.value import Value, apply, as_value

__all__ = ["Expression", "ExpressionError", "parse_expression", "evaluate", "functions"]

# Limits (tracegrad.autograd.limits): length, digits of a number, nesting depth. Checked before
# Python's parser sees the text, which would otherwise fail with its own errors (or none).
_NUMBER_TOKEN = re.compile(r"(?<![\w.])\.?\d[\w.]*")

# Python's operator syntax -> its symbol; the ops table says which op (if any) that symbol is.
_BINARY: dict[type[ast.operator], str] = {
    ast.Add: "+",
    ast.Sub: "-",
    ast.Mult: "*",
    ast.Div: "/",
    ast.Pow: "**",
}
_UNARY: dict[type[ast.unaryop], str] = {ast.USub: "-"}

# For refusal messages only.
_SYMBOLS = {
    ast.FloorDiv: "//", ast.Mod: "%", ast.MatMult: "@", ast.LShift: "<<", ast.RShift: ">>",
    ast.BitOr: "|", ast.BitXor: "^", ast.BitAnd: "&", ast.Invert: "~", ast.Not: "not",
}  # fmt: skip
_REFUSED = {
    ast.Attribute: "attribute access",
    ast.Subscript: "indexing",
    ast.Slice: "slicing",
    ast.Compare: "comparison",
    ast.BoolOp: "'and'/'or'",
    ast.Lambda: "lambda",
    ast.IfExp: "conditional expression",
    ast.NamedExpr: "assignment (:=)",
    ast.Starred: "starred argument",
    ast.JoinedStr: "f-string",
    ast.List: "list",
    ast.Tuple: "tuple",
    ast.Set: "set",
    ast.Dict: "dict",
    ast.ListComp: "comprehension",
    ast.SetComp: "comprehension",
    ast.DictComp: "comprehension",
    ast.GeneratorExp: "generator expression",
    ast.Await: "await",
    ast.Yield: "yield",
    ast.YieldFrom: "yield",
}

Number = Union[int, float]
# One step of the compiled program (postfix order): ("num", 2.0), ("var", "a"), ("op", Op)
_Step = Union[tuple[str, float], tuple[str, str], tuple[str, Op]]


class ExpressionError(ValueError):
    """An expression that is not allowed or cannot be evaluated; the message is one line."""


def functions() -> dict[str, Op]:
    """The functions an expression may call: each table op's ``method`` name -> its Op."""
    return methods()


@dataclass(frozen=True)
class Expression:
    """A checked expression: its ``source``, free variable ``names`` and a postfix program."""

    source: str
    names: tuple[str, ...]  # free variables, in order of first appearance
    program: tuple[_Step, ...]
    columns: Mapping[str, int]  # name -> column (1-based) of its first appearance

    def evaluate(self, env: Mapping[str, Value | Number]) -> Value:
        """The expression's Value, with each name taken from ``env``.

        A plain number in ``env`` becomes a leaf Value labelled with its name (one leaf per
        name, shared by every use); a Value is used as it is.
        """
        missing = [n for n in self.names if n not in env]
        if missing:
            n = missing[0]
            known = ", ".join(sorted(env)) or "none given"
            raise ExpressionError(
                f"unknown name {n!r} at column {self.columns[n]} of {_short(self.source)} "
                f"(values given: {known})"
            )
        leaves: dict[str, Value] = {}
        for n in self.names:
            x = env[n]
            if isinstance(x, Value):
                leaves[n] = x
            else:
                try:
                    leaves[n] = Value(x, label=n)
                except TypeError as exc:
                    raise ExpressionError(f"value for {n!r}: {exc}") from None
        stack: list[Value] = []
        for kind, arg in self.program:
            if kind == "num":
                stack.append(as_value(arg))
            elif kind == "var":
                stack.append(leaves[arg])  # type: ignore[index]
            else:
                op: Op = arg  # type: ignore[assignment]
                args = stack[len(stack) - op.arity :]
                del stack[len(stack) - op.arity :]
                stack.append(apply(op, *args))
        (result,) = stack
        return result


def evaluate(source: str, env: Mapping[str, Value | Number]) -> Value:
    """Parse ``source`` and evaluate it with ``env`` in one step."""
    return parse_expression(source).evaluate(env)


def parse_expression(source: str) -> Expression:
    """Check ``source`` against the allow-list and compile it; raises ExpressionError."""
    if not isinstance(source, str):
        raise ExpressionError(f"an expression must be a str, got {type(source).__name__}")
    chars = LIMITS["expression_chars"]
    if len(source) > chars.value:
        raise ExpressionError(f"expression too long: {chars.message(len(source))}")
    try:
        source.encode("utf-8")
    except UnicodeEncodeError as exc:  # a lone surrogate: a command-line byte that is not UTF-8
        raise ExpressionError(
            f"character {source[exc.start]!r} at column {exc.start + 1} is not text "
            "(the expression has a byte that is not UTF-8)"
        ) from None
    digits = LIMITS["digits"]
    for m in _NUMBER_TOKEN.finditer(source):
        if count_digits(m.group(0)) > digits.value or len(m.group(0)) > 2 * digits.value:
            raise ExpressionError(
                f"number {_short(m.group(0), 20)} at column {m.start() + 1}: "
                + digits.message(max(count_digits(m.group(0)), len(m.group(0)) - 2))
            )
    if not source.strip():
        raise ExpressionError("empty expression")
    for char, what, fix in _REFUSED_CHARS:
        if char in source:
            raise ExpressionError(
                f"{what} at column {source.index(char) + 1} of {_short(source)}: {fix}"
            )
    try:
        tree = ast.parse(source.strip(), mode="eval")
    except SyntaxError as exc:
        where = f" at column {exc.offset}" if exc.offset else ""
        if exc.offset and exc.lineno and exc.lineno > 1:
            where = f" at line {exc.lineno}, column {exc.offset}"
        msg = exc.msg.split(" - ")[0]  # Python's long hints stay out of a one-line error
        raise ExpressionError(f"syntax error{where} in {_short(source)}: {msg}") from None
    except (RecursionError, MemoryError):
        raise ExpressionError(_too_deep(source)) from None
    return _compile(source, source.strip(), tree.body)


# Python would read these as a comment or a line break; refused, never echoed into derivations.
_REFUSED_CHARS = (
    ("#", "'#' (a comment)", "comments are not allowed in an expression; remove it"),
    ("\r", "a carriage return", "an expression is one line; remove it"),
)
_TOKEN = re.compile(r"\s*(?:(\*\*)|([-+*/(),])|([\w.]+))")


def _too_deep(source: str) -> str:
    """Python's parser gave up on a deep expression: how deep it really is (counted by a
    small precedence parser without recursion) and which limit stands in the way."""
    depth = LIMITS["expression_depth"]
    nested = nesting_of(source)
    if nested is not None and nested > depth.value:
        return f"expression {_short(source)}: {depth.message(nested)}"
    what = f"{nested} operations nested" if nested is not None else "operations nested too deeply"
    return (
        f"expression {_short(source)}: {what}, more than Python's parser reads "
        "(TRACEGRAD_MAX_EXPRESSION_DEPTH cannot raise that); split it into smaller expressions"
    )


_PRECEDENCE = {"+": 1, "-": 1, "*": 2, "/": 2, "**": 4}


def nesting_of(source: str) -> int | None:
    """How deeply operations nest in ``source`` as Python parses it (``a + b + c`` is 2), by
    a shunting-yard pass without recursion; None for text it does not know (other syntax)."""
    text = source.strip()
    walk = _Nesting()
    pos = 0
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if m is None or m.end() == pos:
            return None
        pos = m.end()
        power, sym, word = m.groups()
        if word is not None and text[pos : pos + 1] == "(":
            walk.ops.append(("f(", 1))  # a call: its arguments are fenced
            pos += 1
        elif word is not None:
            walk.out.append(0)
            walk.expect_operand = False
        elif sym == "(":
            walk.ops.append(("(", 0))
        elif sym in (")", ","):
            if not walk.close(sym):
                return None
        else:
            walk.operator(power or sym)
    return walk.finish()


class _Nesting:
    """The stacks of :func:`nesting_of`: operand depths, and pending operators with arity."""

    def __init__(self) -> None:
        self.out: list[int] = []
        self.ops: list[tuple[str, int]] = []  # '(' and 'f(' are fences
        self.expect_operand = True

    def reduce(self) -> None:
        _, arity = self.ops.pop()
        args = [self.out.pop() for _ in range(arity)]
        self.out.append(max(args, default=0) + 1)

    def _unfenced(self) -> bool:
        return bool(self.ops) and self.ops[-1][0] not in ("(", "f(")

    def close(self, sym: str) -> bool:
        """')' or ',': reduce back to the fence; False when there is none."""
        while self._unfenced():
            self.reduce()
        if not self.ops or len(self.out) == 0:
            return False
        if sym == ",":
            self.ops[-1] = (self.ops[-1][0], self.ops[-1][1] + 1)
        elif self.ops[-1][0] == "f(":
            self.reduce()  # the call itself is one operation
        else:
            self.ops.pop()
        self.expect_operand = sym == ","
        return True

    def operator(self, op: str) -> None:
        if self.expect_operand:  # unary minus or plus: binds below '**', above '*'
            self.ops.append(("u", 1))
            return
        mine = _PRECEDENCE[op]
        while self._unfenced():
            top = self.ops[-1][0]
            prec = 3 if top == "u" else _PRECEDENCE[top]
            if prec < mine or (prec == mine and op == "**"):
                break
            self.reduce()
        self.ops.append((op, 2))
        self.expect_operand = True

    def finish(self) -> int | None:
        while self.ops:
            if not self._unfenced():
                return None
            self.reduce()
        return self.out[0] if len(self.out) == 1 else None


def _short(source: str, limit: int = 60) -> str:
    """The source quoted for a message, cut short when long."""
    return repr(source) if len(source) <= limit else repr(source[: limit - 3] + "...")


def _column(text: str, node: ast.AST) -> str:
    """'column C' (1-based, in characters) or 'line L, column C' for a node of text."""
    lineno = getattr(node, "lineno", 1)
    offset = getattr(node, "col_offset", 0)
    line = text.splitlines()[lineno - 1] if text else ""
    col = len(line.encode("utf-8")[:offset].decode("utf-8", errors="replace")) + 1
    return f"column {col}" if lineno == 1 else f"line {lineno}, column {col}"


def _number_literal(node: ast.AST) -> bool:
    """A number literal, optionally signed: the exponent that makes ``**`` use ``powc``."""
    while isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        node = node.operand
    return isinstance(node, ast.Constant) and _is_number(node.value)


def _is_number(x: object) -> TypeGuard[int | float]:
    return isinstance(x, (int, float)) and not isinstance(x, bool)


def _compile(source: str, text: str, body: ast.AST) -> Expression:
    """Walk the tree iteratively (no recursion limit), refusing anything not allowed."""
    return _Compiler(text).run(source, body)


class _Compiler:
    """The tree to a postfix program: one method per kind of node allowed, anything else refused."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.funcs = functions()
        self.operators = operators()
        self.allowed = (
            "allowed: numbers, names, "
            + " ".join(_allowed_operators())
            + ", "
            + ", ".join(self.funcs)
        )
        self.program: list[_Step] = []
        self.names: list[str] = []
        self.columns: dict[str, int] = {}
        self.stack: list[tuple[ast.AST, Op | None]] = []

    def refuse(self, what: str, node: ast.AST) -> ExpressionError:
        return ExpressionError(
            f"{what} is not allowed ({_column(self.text, node)}); {self.allowed}"
        )

    def run(self, source: str, body: ast.AST) -> Expression:
        handlers: dict[type[ast.AST], Callable[[Any], None]] = {
            ast.Constant: self._constant,
            ast.Name: self._name,
            ast.UnaryOp: self._unary,
            ast.BinOp: self._binary,
            ast.Call: self._call,
        }
        max_depth = LIMITS["expression_depth"]
        # The depth of each node still to visit. Every operation counts (a + b + c is 2 deep),
        # as for Python's recursive tree walkers: whatever reads the tree later stays in bounds.
        depths: dict[int, int] = {id(body): 1}
        self.stack.append((body, None))
        while self.stack:
            node, pending = self.stack.pop()
            if pending is not None:  # children done: emit the operation
                self.program.append(("op", pending))
                continue
            depth = depths.pop(id(node), 1)  # operations from the top, this one included
            if depth > max_depth.value and not isinstance(node, (ast.Name, ast.Constant)):
                nested = nesting_of(source)  # the whole nesting, not where the walk stopped
                deepest = nested if nested is not None and nested > depth else depth
                raise ExpressionError(f"expression {_short(source)}: {max_depth.message(deepest)}")
            for child in ast.iter_child_nodes(node):
                depths[id(child)] = depth + 1
            handler = handlers.get(type(node))
            if handler is None:
                raise self.refuse(_REFUSED.get(type(node), f"{type(node).__name__} syntax"), node)
            handler(node)
        return Expression(source, tuple(self.names), tuple(self.program), self.columns)

    def _operation(self, node: ast.AST, op: Op, *children: ast.AST) -> None:
        """Emit op after its children (pushed so the first child is compiled first)."""
        self.stack.append((node, op))
        self.stack.extend((c, None) for c in reversed(children))

    def _constant(self, node: ast.Constant) -> None:
        if not _is_number(node.value):
            kind = type(node.value).__name__ if node.value is not None else "None"
            raise self.refuse(f"{kind} constant {node.value!r}", node)
        try:
            self.program.append(("num", float(node.value)))
        except OverflowError:  # str() of the number could overflow too: not in the message
            raise self.refuse("a number too large for a float", node) from None

    def _name(self, node: ast.Name) -> None:
        if node.id.startswith("__"):
            raise self.refuse(f"name {node.id!r} (names starting with '__')", node)
        if node.id not in self.columns:
            self.names.append(node.id)
            self.columns[node.id] = int(_column(self.text, node).rsplit(" ", 1)[1])
        self.program.append(("var", node.id))

    def _unary(self, node: ast.UnaryOp) -> None:
        operand = node.operand
        if isinstance(node.op, ast.UAdd):  # +x is x, as Value.__pos__
            self.stack.append((operand, None))
        elif (
            isinstance(node.op, ast.USub)
            and isinstance(operand, ast.Constant)
            and _is_number(operand.value)
        ):  # -2 is the number -2, as in Python
            self.program.append(("num", -float(operand.value)))
        else:
            op = self.operators.get((_UNARY.get(type(node.op), "?"), 1))
            if op is None:
                raise self.refuse(f"operator {_SYMBOLS.get(type(node.op), '?')!r}", node)
            self._operation(node, op, operand)

    def _binary(self, node: ast.BinOp) -> None:
        symbol = _BINARY.get(type(node.op))
        op = self.operators.get((symbol or "?", 2))
        if op is None:
            sym = _SYMBOLS.get(type(node.op), type(node.op).__name__)
            raise self.refuse(f"operator {sym!r}", node)
        if symbol == "**":  # a number literal exponent is a constant, as in Value.__pow__
            op = power(_number_literal(node.right))
        self._operation(node, op, node.left, node.right)

    def _call(self, node: ast.Call) -> None:
        func = node.func
        if not isinstance(func, ast.Name):
            called = ast.get_source_segment(self.text, func) or "?"
            raise self.refuse(f"call to {_short(called, 40)} (only plain function names)", node)
        op = self.funcs.get(func.id)
        if op is None:
            raise self.refuse(f"call to {func.id!r}", node)
        if node.keywords:
            raise self.refuse(f"keyword argument in {func.id}()", node)
        if any(isinstance(a, ast.Starred) for a in node.args):
            raise self.refuse(f"starred argument in {func.id}()", node)
        if len(node.args) != op.arity:
            raise ExpressionError(
                f"{func.id}() takes {op.arity} argument(s), got {len(node.args)} "
                f"({_column(self.text, node)})"
            )
        self._operation(node, op, *node.args)


def _allowed_operators() -> list[str]:
    """The operator symbols the table defines, for messages: '+', '-', '*', '/', '**'."""
    table = operators()
    return [sym for sym in _BINARY.values() if (sym, 2) in table]

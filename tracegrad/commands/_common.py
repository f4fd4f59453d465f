"""What several subcommands share: the one-line UsageError (``_line``'s), reading --set
NAME=NUMBER, evaluating an expression, ``--example NAME`` (a sheet that ships with tracegrad)
wherever a sheet is read."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tracegrad import examples
from tracegrad.autograd import Value
from tracegrad.autograd.parse import ExpressionError, parse_expression
from tracegrad.commands._line import UsageError, split_set_items

__all__ = [
    "UsageError",
    "split_set_items",
    "add_expression_arguments",
    "add_example_argument",
    "example_path",
    "sheet_or_example",
    "assignments",
    "evaluate_expression",
]


def add_expression_arguments(p: Any, *, optional: bool = False) -> None:
    """The positional expression (``optional``: it may be left out) and its --set values."""
    p.add_argument(
        "expression", nargs="?" if optional else None, help="for example 'tanh(a*b + c)'"
    )
    p.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="NAME=NUMBER",
        help="values of the expression's names, e.g. --set a=2 b=-3 c=10 (before or after the "
        "expression)",
    )


def add_example_argument(p: Any, what: str = "sheet") -> None:
    """``--example NAME``: every command that reads a sheet takes one that ships by name."""
    p.add_argument(
        "--example",
        metavar="NAME",
        help=f"a {what} that ships with tracegrad, by name (see `tracegrad examples`; "
        "the start of a name will do: seed)",
    )


def add_secret_arguments(p: Any) -> None:
    """``--secret S`` and ``--secret-file FILE``: the course secret (``tracegrad.kit.trust``
    reads it, from the TRACEGRAD_COURSE_SECRET environment variable when neither is given)."""
    p.add_argument(
        "--secret-file",
        metavar="FILE",
        help="read the course secret from FILE (one trailing newline dropped); unlike --secret "
        "it shows in neither `ps` nor the shell's history",
    )
    p.add_argument(
        "--secret",
        metavar="S",
        help="the course secret (at least 128 bits: 22 random url-safe characters; default: "
        "the TRACEGRAD_COURSE_SECRET environment variable)",
    )


def example_path(name: str) -> Path:
    """The shipped sheet ``--example NAME``, or a one-line error listing the examples."""
    try:
        return examples.path(name)
    except KeyError as exc:
        raise UsageError(f"--example {name}: {exc.args[0]}") from None


def sheet_or_example(file: str | None, example: str | None, what: str) -> str | Path:
    """A command's one sheet: the FILE given, or the shipped ``--example NAME`` (not both)."""
    if example is not None and file is None:
        return example_path(example)
    if file is None or example is not None:
        raise UsageError(f"give {what} or --example NAME (see `tracegrad examples`)")
    return file


def assignments(items: list[str]) -> dict[str, float]:
    """NAME=NUMBER strings to a dict, with a one-line error for anything else."""
    env: dict[str, float] = {}
    for item in items:
        name, sep, text = item.partition("=")
        name = name.strip()
        if not sep or not name.isidentifier():
            raise UsageError(f"--set {item!r}: expected NAME=NUMBER, e.g. a=2")
        if name in env:
            raise UsageError(f"--set: {name!r} is given twice")
        try:
            env[name] = float(text)
        except ValueError:
            raise UsageError(f"--set {item!r}: {text!r} is not a number") from None
    return env


def evaluate_expression(source: str, items: list[str]) -> tuple[Value, dict[str, float]]:
    """Parse source safely and evaluate it at the --set values: (root, {name: value})."""
    try:
        expr = parse_expression(source)
    except ExpressionError as exc:
        raise UsageError(str(exc)) from None
    env = assignments(items)
    unused = [n for n in env if n not in expr.names]
    if unused:
        raise UsageError(
            f"--set {unused[0]}: the expression has no name {unused[0]!r} "
            f"(its names: {', '.join(expr.names) or 'none'})"
        )
    try:
        root = expr.evaluate(env)
    except ExpressionError as exc:
        raise UsageError(f"{exc}; give it with --set NAME=NUMBER") from None
    except (ValueError, ZeroDivisionError) as exc:
        raise UsageError(f"cannot evaluate {source!r}: {exc}") from None
    return root, {n: env[n] for n in expr.names}

"""`tracegrad practice "x * y" --set x=2 y=-3`: work the backward pass yourself, one gradient
at a time, judged by the homework checker's rules.

The graph is an expression (with --set), a shipped sheet (``--example seed``) or a generated
exercise (``--random --level 1|2|3 [--seed S]``, the same exercise for the same seed). Answers
come from the terminal or a pipe (``printf '%s\\n' -3 ? | tracegrad practice ...``); the end of
the input stops with the score.
"""

from __future__ import annotations

import argparse
import secrets
from typing import Any

from tracegrad.autograd.value import Value
from tracegrad.checker import load
from tracegrad.checker.reading.sheet import ExpressionSpec
from tracegrad.commands import SUMMARIES
from tracegrad.commands._common import (
    UsageError,
    add_example_argument,
    add_expression_arguments,
    evaluate_expression,
    example_path,
)
from tracegrad.commands.step import _sheet_root
from tracegrad.practising.exercises import given_order, random_exercise
from tracegrad.practising.loop import practice


def register(sub: Any) -> None:
    p = sub.add_parser(
        "practice",
        help=SUMMARIES["practice"],
        description="Asks for each gradient of the backward pass in the engine's order "
        "(dL/dx = ? ) and judges every answer with the homework checker's rules: right to the "
        "digits you write, carried forward from your own earlier answers, or what is wrong "
        "(a flipped sign, a missing chain-rule factor) and the same question again. ? shows "
        "the value, q or the end of the input stops; the last line is the score.",
    )
    add_expression_arguments(p, optional=True)
    add_example_argument(p)
    p.add_argument("--random", action="store_true", help="a generated exercise (see --level)")
    p.add_argument(
        "--level",
        type=int,
        choices=(1, 2, 3),
        help="with --random: 1 a few operations, 2 a neuron, 3 a small network with a loss",
    )
    p.add_argument("--seed", type=int, help="with --random: the same seed, the same exercise")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:

    root, title = _root(args)
    given, targets = _sheet_order(args, root)
    try:
        practice(root, title=title, given=given, targets=targets)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    return 0


def _sheet_order(
    args: argparse.Namespace, root: Value
) -> tuple[list[str], list[tuple[str, float]]]:
    """The givens as a student's sheet lists them: inputs, then weights and biases layer by
    layer, then the targets by name (step 1's sample); an expression's names as set."""
    if args.expression is not None:
        return [name for name, _ in (s.split("=", 1) for s in args.set or [])], []
    if args.random:
        return given_order(root), []
    spec = load(example_path(args.example), answers=False).spec
    if isinstance(spec, ExpressionSpec):
        return list(spec.variables), []
    order = list(spec.inputs)
    for weights, biases in zip(spec.weight_names, spec.bias_names):
        order += [w for neuron in weights for w in neuron] + list(biases)
    return order, list(zip(spec.targets, spec.samples[0][1]))


def _root(args: argparse.Namespace) -> tuple[Value, str]:
    """The Value to practise on, and how the first line names it."""

    given = [args.expression is not None, args.example is not None, args.random]
    if sum(given) != 1:
        raise UsageError(
            "give one of: an expression (with --set NAME=NUMBER), --example NAME or --random"
        )
    if not args.random and (args.level is not None or args.seed is not None):
        raise UsageError("--level and --seed go with --random")
    if args.set and args.expression is None:
        raise UsageError("--set goes with an expression, not with --example or --random")
    if args.expression is not None:
        root, _ = evaluate_expression(args.expression, args.set)
        return root, f"{root.label or 'L'} = {args.expression}"
    if args.example is not None:
        return _sheet_root(example_path(args.example), 1)

    if args.level is None:
        raise UsageError("--random needs --level 1, 2 or 3")
    seed = args.seed if args.seed is not None else secrets.randbelow(10**6)
    if not 0 <= seed < 2**63:
        raise UsageError(f"--seed {seed}: must be from 0 to {2**63 - 1}")
    root, what = random_exercise(args.level, seed)
    return root, f"{root.label} ({what}, --seed {seed})"

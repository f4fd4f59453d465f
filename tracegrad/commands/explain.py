"""`tracegrad explain "tanh(a*b + c)" --set a=2 b=-3 c=10 --wrt a`: the chain rule, written out.

The expression is read by the project's safe parser (``tracegrad.autograd.parse``); each ``--set``
name becomes a labelled leaf Value. For each ``--wrt`` name it prints the derivation of
``tracegrad.autograd.explain``; ``--steps`` adds the backward pass step by step, ``--table`` the
whole pass as a table (a rich table on a terminal).
"""

from __future__ import annotations

import argparse
from typing import Any

from tracegrad.autograd.explaining.explain import MAX_PATHS, backward_table, explain
from tracegrad.autograd.explaining.steps import backward_steps, constant_text
from tracegrad.autograd.formatting import fmt
from tracegrad.commands import SUMMARIES
from tracegrad.commands._common import UsageError, add_expression_arguments, evaluate_expression


def register(sub: Any) -> None:
    p = sub.add_parser(
        "explain",
        help=SUMMARIES["explain"],
        description="Evaluate an expression such as 'tanh(a*b + c)' and write d(result)/d(name) "
        "the way a hand derivation does: the factors along each path, with numbers, summed "
        "over paths. Allowed: numbers, names, + - * / ** and the functions of the ops table.",
    )
    add_expression_arguments(p)
    p.add_argument(
        "--wrt",
        nargs="+",
        metavar="NAME",
        help="the names to differentiate with respect to (default: every name)",
    )
    p.add_argument(
        "--fold",
        action="store_true",
        help="one factor per path instead of one per operation (the compact formula)",
    )
    p.add_argument("--steps", action="store_true", help="also print the backward pass steps")
    p.add_argument("--table", action="store_true", help="also print the backward pass as a table")
    p.add_argument(
        "--max-paths",
        type=int,
        default=MAX_PATHS,
        help=f"above this many paths, write per node instead (default {MAX_PATHS})",
    )
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    if args.max_paths < 1:
        raise UsageError(f"--max-paths {args.max_paths}: must be 1 or more")
    root, env = evaluate_expression(args.expression, args.set)
    wrt = args.wrt if args.wrt else list(env)
    for name in wrt:
        if name not in env:
            raise UsageError(
                f"--wrt {name}: the expression has no name {name!r} "
                f"(its names: {', '.join(env) or 'none'})"
            )
    given = ", ".join(f"{n} = {constant_text(x)}" for n, x in env.items())
    head = f"{root.label or 'L'} = {args.expression} = {fmt(root.data)}"
    print(f"{head}   ({given})" if given else head)
    for name in wrt:
        print()
        print(explain(root, wrt=name, expand=not args.fold, max_paths=args.max_paths))
    if args.steps:
        print()
        print("backward pass, one node at a time:")
        for step in backward_steps(root):
            print(step)
    if args.table:
        print()
        backward_table(root).show()
    return 0

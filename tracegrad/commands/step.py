"""`tracegrad step --example seed -o seed.html`: a page that steps through the backward pass.

The graph is an expression (``tracegrad step "tanh(a*b + c)" --set a=2 b=-3 c=10``, read by the
project's safe parser), a shipped homework sheet (``--example NAME``) or a sheet of your own
(``--sheet FILE``: its network, or its last expression). The page is one self-contained HTML
file built by ``tracegrad.autograd.explaining.page``: open it in any browser, no network
needed. With ``--practice`` it opens in practice mode: the learner types each gradient
before its step.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from tracegrad.autograd.drawing.render import (
    HARD_MAX_NODES,
    RANKDIRS,
    GraphTooLargeError,
    RenderError,
)
from tracegrad.autograd.drawing.tracing import DEFAULT_MAX_NODES
from tracegrad.autograd.explaining.page import backward_page
from tracegrad.autograd.safety import OutputError, check_output, printable, write_atomic
from tracegrad.autograd.value import Value
from tracegrad.checker import HomeworkError, solve
from tracegrad.commands import SUMMARIES
from tracegrad.commands._common import (
    UsageError,
    add_example_argument,
    add_expression_arguments,
    evaluate_expression,
    example_path,
)


def register(sub: Any) -> None:
    p = sub.add_parser(
        "step",
        help=SUMMARIES["step"],
        description="Write one self-contained HTML page (no network needed) that steps through "
        "the forward and backward pass of an expression, a shipped example (--example seed) or "
        "a homework sheet's network (--sheet FILE): keys or buttons for next, previous, play, "
        "first and last; click a Value to see how its gradient is obtained.",
    )
    add_expression_arguments(p, optional=True)
    add_example_argument(p)
    p.add_argument("--sheet", metavar="FILE", help="a homework sheet (TOML): its network's pass")
    p.add_argument(
        "--step",
        type=int,
        default=1,
        dest="training_step",
        metavar="N",
        help="which training step of the sheet (default 1)",
    )
    p.add_argument(
        "-o", "--output", default="backward.html", help="the page (default backward.html)"
    )
    p.add_argument("--no-forward", action="store_true", help="start at the backward pass")
    p.add_argument(
        "--practice",
        action="store_true",
        help="open the page in practice mode: type each gradient before its step is shown",
    )
    p.add_argument(
        "--rankdir",
        choices=("auto", *RANKDIRS),
        default="auto",
        help="direction (default auto: left to right for a short expression, else top down)",
    )
    p.add_argument("--digits", type=int, default=4, help="decimals shown (default 4)")
    p.add_argument(
        "--max-nodes",
        type=int,
        default=DEFAULT_MAX_NODES,
        help=f"refuse graphs with more Values than this (default {DEFAULT_MAX_NODES})",
    )
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:

    out = Path(args.output)
    if not out.suffix and out.name.lower() in (".html", ".htm"):
        raise UsageError(
            f"-o {args.output}: is only a suffix; give a file name such as backward{out.name}"
        )
    if out.suffix.lower() not in (".html", ".htm"):
        raise UsageError(f"-o {args.output}: the file name must end in .html")
    try:  # before any work: a missing folder, a link or the sheet itself fail at once
        check_output(out, inputs=[args.sheet] if args.sheet else [])
    except OutputError as exc:
        raise UsageError(f"-o {exc}") from None
    if not 0 <= args.digits <= 17:
        raise UsageError(f"--digits {args.digits}: must be from 0 to 17")
    if not 1 <= args.max_nodes <= HARD_MAX_NODES:
        raise UsageError(f"--max-nodes {args.max_nodes}: must be from 1 to {HARD_MAX_NODES}")
    root, what = _root(args)
    try:
        page = backward_page(
            root,
            forward=not args.no_forward,
            rankdir=args.rankdir,
            digits=args.digits,
            title=f"The backward pass of {what}",
            max_nodes=args.max_nodes,
            practice=args.practice,
        )
    except GraphTooLargeError as exc:
        raise UsageError(
            f"{str(exc).split(';')[0]}"
            + ("; raise --max-nodes to try anyway" if args.max_nodes < HARD_MAX_NODES else "")
        ) from None
    except RenderError as exc:
        raise UsageError(str(exc)) from None
    try:
        write_atomic(out, page.html, inputs=[args.sheet] if args.sheet else [])
    except OutputError as exc:
        raise UsageError(f"-o {exc}") from None
    except OSError as exc:
        raise UsageError(f"cannot write {args.output}: {exc.strerror or exc}") from None
    kb = len(page.html.encode("utf-8")) / 1024
    print(
        f"wrote {printable(out, line=True)} ({kb:.0f} KB): {page.values} Values, "
        f"{page.steps} backward steps; "
        "open it in a browser (keys: → next, ← previous, Space play)"
    )
    return 0


def _root(args: argparse.Namespace) -> tuple[Value, str]:
    """The Value to step through, and how the page's title names it."""

    given = [x for x in (args.expression, args.example, args.sheet) if x is not None]
    if len(given) != 1:
        raise UsageError(
            "give one of: an expression (with --set NAME=NUMBER), --example NAME or --sheet FILE"
        )
    if args.expression is not None:
        root, _ = evaluate_expression(args.expression, args.set)
        return root, args.expression
    if args.set:
        raise UsageError("--set goes with an expression, not with --example or --sheet")
    source = args.sheet if args.example is None else example_path(args.example)
    return _sheet_root(source, args.training_step)


def _sheet_root(source: str | Path, step: int) -> tuple[Value, str]:

    try:
        problem = solve(source).problem
    except HomeworkError as exc:
        raise UsageError(str(exc)) from None
    root = problem.roots.get(step)
    if root is None:
        raise UsageError(f"--step {step}: the sheet has steps 1 to {problem.steps}")
    name = Path(source).name
    return root, f"{root.label or 'L'} ({name}, step {step})" if problem.steps > 1 else (
        f"{root.label or 'L'} ({name})"
    )

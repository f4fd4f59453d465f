"""`tracegrad solve FILE`: the full worked solution of a homework file, in textbook order."""

from __future__ import annotations

import argparse
from typing import Any

from tracegrad.autograd.safety import OutputError, check_output, printable
from tracegrad.checker import HomeworkError, solve
from tracegrad.commands import SUMMARIES
from tracegrad.commands._common import UsageError, add_example_argument, sheet_or_example
from tracegrad.kit.latex import solution_latex


def register(sub: Any) -> None:
    p = sub.add_parser(
        "solve",
        help=SUMMARIES["solve"],
        description="The full worked solution of a homework file, in the order a textbook "
        "presents it: for each step the forward pass, the loss, the backward factors, the "
        "gradients and the updated weights (for expressions: values, then derivatives).",
    )
    p.add_argument("file", nargs="?", help="the homework file (TOML); its answers are ignored")
    add_example_argument(p)
    p.add_argument(
        "--format",
        choices=["text", "markdown", "latex"],
        default="text",
        help="output format (markdown and latex: the worked solution as a TA hands it out)",
    )
    p.add_argument("--graph", metavar="OUT.svg", help="also draw the computation graph")
    p.add_argument(
        "--step", type=int, default=1, help="which training step --graph draws (default 1)"
    )
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:

    source = sheet_or_example(args.file, args.example, "a homework file")
    if args.graph:  # checked before the sheet is worked: a folder, a link, the sheet itself
        try:
            check_output(args.graph, inputs=[source])
        except OutputError as exc:
            raise UsageError(f"--graph {exc}") from None
    try:
        solution = solve(source)
    except HomeworkError as exc:
        raise UsageError(str(exc)) from None
    path = None
    if args.graph:  # drawn first, so a bad --graph or --step fails before anything is printed
        try:
            path = solution.save_graph(args.graph, step=args.step)
        except OutputError as exc:
            raise UsageError(f"--graph {exc}") from None
        except (ValueError, OSError) as exc:
            shown = printable(args.graph, line=True)
            raise UsageError(f"--graph {shown}: {getattr(exc, 'strerror', None) or exc}") from None
    if args.format == "latex":
        print(solution_latex(solution), end="")
    else:
        print(solution.markdown() if args.format == "markdown" else solution.text())
    if path is not None:
        print(f"\ngraph written to {printable(path, line=True)}")
    return 0

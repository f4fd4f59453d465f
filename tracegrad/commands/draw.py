"""`tracegrad draw "tanh(a*b + c)" --set a=2 b=-3 c=10 -o graph.svg`: picture an expression.

The expression is read by the project's safe parser (``tracegrad.autograd.parse``: numbers, names,
the ops table's operators and functions, nothing else), evaluated, differentiated with backward()
and drawn with ``tracegrad.autograd.drawing.render``.
"""

from __future__ import annotations

import argparse
import math
from pathlib import Path
from typing import Any

from tracegrad.autograd.drawing.convert import DEFAULT_DPI
from tracegrad.autograd.drawing.render import (
    FORMATS,
    HARD_MAX_NODES,
    RANKDIRS,
    GraphTooLargeError,
    RenderError,
    save_graph,
)
from tracegrad.autograd.drawing.tracing import DEFAULT_MAX_NODES, gradient_path
from tracegrad.autograd.formatting import fmt
from tracegrad.autograd.graph import topo_order
from tracegrad.autograd.safety import OutputError, check_output, printable
from tracegrad.commands import SUMMARIES
from tracegrad.commands._common import UsageError, add_expression_arguments, evaluate_expression


def register(sub: Any) -> None:
    p = sub.add_parser(
        "draw",
        help=SUMMARIES["draw"],
        description="Evaluate an expression such as 'tanh(a*b + c)', run backward() and draw "
        "its computation graph. Allowed: numbers, names, + - * / ** and the functions of the "
        "ops table (exp, log, tanh, sigmoid, relu, sqrt, sin, cos, ...).",
    )
    add_expression_arguments(p)
    p.add_argument("-o", "--output", default="graph.svg", help="picture file (.svg, .png, .pdf)")
    p.add_argument(
        "--dpi",
        type=float,
        default=DEFAULT_DPI,
        help=f"resolution of a .png (default {DEFAULT_DPI:g}; 192 for a sharp slide)",
    )
    p.add_argument(
        "--rankdir",
        choices=("auto", *RANKDIRS),
        default="auto",
        help="direction: auto (default: LR for a short expression, TB for a deep one), "
        "LR, TB, RL, BT",
    )
    p.add_argument("--digits", type=int, default=4, help="decimals shown (default 4)")
    p.add_argument("--no-grad", action="store_true", help="do not show gradients")
    p.add_argument("--color-by-grad", action="store_true", help="colour Values by their grad")
    p.add_argument(
        "--full-constants",
        action="store_true",
        help="draw numbers typed into the expression as full records (default: small, value only)",
    )
    p.add_argument("--highlight", metavar="NAME", help="highlight the path from NAME to the result")
    p.add_argument("--depth", type=int, help="draw only the last DEPTH operations")
    p.add_argument(
        "--around", metavar="NAME", help="draw only the Values within --depth steps of NAME"
    )
    p.add_argument(
        "--max-nodes",
        type=int,
        default=DEFAULT_MAX_NODES,
        help=f"refuse to draw more Values than this (1 to {HARD_MAX_NODES}, "
        f"default {DEFAULT_MAX_NODES})",
    )
    p.add_argument(
        "--renderer",
        choices=("auto", "dot", "wasm"),
        default="auto",
        help="'dot' (system Graphviz), 'wasm' (embedded) or 'auto' (dot if installed)",
    )
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    root, env = evaluate_expression(args.expression, args.set)
    out = _output(args)  # checked before any work: a bad -o fails at once, not after a render
    root.backward()
    leaves = _leaves(root, args, env)
    _save(root, out, args, leaves)
    print(f"{printable(args.expression, line=True)} = {fmt(root.data, args.digits)}")
    for name in list(env):
        g = leaves[name].grad
        print(f"  d/d{name} = {fmt(g, args.digits)}" + ("" if math.isfinite(g) else "  (!)"))
    print(f"wrote {printable(out, line=True)}")
    return 0


def _output(args: argparse.Namespace) -> Path:
    """The picture file, with every option checked: one UsageError line for the first bad one."""

    out = Path(args.output)
    kind = out.suffix.lstrip(".").lower()
    if not out.suffix and out.name.startswith(".") and out.name[1:].lower() in FORMATS:
        raise UsageError(
            f"-o {args.output}: is only a suffix; give a file name such as graph{out.name}"
        )
    if kind not in FORMATS:
        raise UsageError(f"-o {args.output}: the file name must end in .svg, .png or .pdf")
    for bad, message in (
        (
            not 1 <= args.max_nodes <= HARD_MAX_NODES,
            f"--max-nodes {args.max_nodes}: must be from 1 to {HARD_MAX_NODES}",
        ),
        (not 1 <= args.dpi <= 2400, f"--dpi {args.dpi:g}: must be from 1 to 2400"),
        (not 0 <= args.digits <= 17, f"--digits {args.digits}: must be from 0 to 17"),
        (args.depth is not None and args.depth < 0, f"--depth {args.depth}: must be 0 or more"),
    ):
        if bad:
            raise UsageError(message)
    try:
        return check_output(out)
    except OutputError as exc:
        raise UsageError(f"-o {exc}") from None


def _leaves(root: Any, args: argparse.Namespace, env: dict[str, float]) -> dict[str, Any]:
    """The named leaves of the graph; --highlight and --around must name one of them."""

    leaves = {v.label: v for v in topo_order(root) if v.is_leaf and v.label}
    for option in ("highlight", "around"):
        name = getattr(args, option)
        if name is not None and name not in leaves:
            raise UsageError(
                f"--{option} {name}: not a name in the expression "
                f"(its names: {', '.join(list(env)) or 'none'})"
            )
    return leaves


def _save(root: Any, out: Path, args: argparse.Namespace, leaves: dict[str, Any]) -> None:
    """Render and write the picture (safety.write_atomic via save_graph); errors in one line."""

    highlight = gradient_path(root, leaves[args.highlight]) if args.highlight else []
    try:
        save_graph(
            root,
            out,
            renderer=args.renderer,
            rankdir=args.rankdir,
            digits=args.digits,
            show_grad=not args.no_grad,
            color_by_grad=args.color_by_grad,
            highlight=highlight,
            depth=args.depth,
            around=leaves[args.around] if args.around else None,
            max_nodes=args.max_nodes,
            plain_constants=not args.full_constants,
            dpi=args.dpi,
        )
    except GraphTooLargeError as exc:
        raise UsageError(
            f"{str(exc).split(';')[0]}; draw part of it with --depth N (the last N operations) "
            "or --around NAME --depth N (the neighbourhood of one name)"
            + (" or raise --max-nodes" if args.max_nodes < HARD_MAX_NODES else "")
        ) from None
    except RenderError as exc:
        raise UsageError(str(exc)) from None
    except OutputError as exc:
        raise UsageError(f"-o {exc}") from None
    except OSError as exc:
        raise UsageError(f"cannot write {args.output}: {exc.strerror or exc}") from None

"""`make demo`: the tour of tracegrad, starting with the seed article's worked example."""

from __future__ import annotations

import argparse
import os
import shutil
import sys
from pathlib import Path

from tracegrad.autograd.drawing.render import gradient_path, renderers, save_graph
from tracegrad.autograd.formatting import fmt
from tracegrad.demo import homework, network, seed


def seed_example(out_dir: Path) -> None:
    """Forward values, gradients and one SGD step of the article's 2-2-2 network."""
    v = seed.solved()
    print("The seed article's worked example: a 2-2-2 sigmoid network")
    print(f"  the seed article: {seed.ARTICLE}")
    print("  x = (0.5, -0.5), targets (0.9, 0.1), E = sum 1/2 (y - o)^2, learning rate 1.2\n")
    print("Forward pass")
    for name in ["net_h1", "h1", "net_h2", "h2", "net_o1", "o1", "net_o2", "o2", "E"]:
        print(f"  {name:<7} = {fmt(v[name].data)}")
    print("\nGradients dE/d(parameter) after E.backward()")
    params = list(seed.WEIGHTS) + list(seed.BIASES)
    for name in params:
        print(f"  dE/d{name:<3} = {fmt(v[name].grad):>8}")
    print(f"\nOne gradient-descent step, w <- w - {seed.LEARNING_RATE} * dE/dw")
    for name in params:
        new = v[name].data - seed.LEARNING_RATE * v[name].grad
        print(f"  {name:<3} {fmt(v[name].data):>8} -> {fmt(new)}")
    print("  (the article: w5 0.37 -> 0.3941, w1 0.1 -> 0.1055)")


def seed_graph(out_dir: Path) -> None:
    """The worked example's computation graph as SVG (system dot, or the embedded renderer)."""
    v = seed.solved()
    plain = save_graph(v["E"], out_dir / "seed_graph.svg")
    lit = save_graph(
        v["E"], out_dir / "seed_graph_w1.svg", highlight=gradient_path(v["E"], v["w1"]),
        color_by_grad=True,
    )  # fmt: skip
    how = "Graphviz dot" if renderers()[0] == "dot" else "the embedded Graphviz (WebAssembly)"
    print(f"The seed example's graph, drawn with {how}:")
    print(f"  {plain}  (every value with its data and grad)")
    print(f"  {lit}  (the path from w1 to E highlighted, coloured by grad)")


def command_hint() -> str:
    """How to run the ``tracegrad`` command from here: by name when this Python's script is
    the one on PATH, else ``source .venv/bin/activate`` or the script's own path."""
    folder = Path(sys.executable).parent  # where pip put the `tracegrad` script
    script = folder / ("tracegrad.exe" if os.name == "nt" else "tracegrad")
    found = shutil.which("tracegrad")
    if found and script.exists() and Path(found).resolve() == script.resolve():
        return "tracegrad"
    if not script.exists():
        return f"{Path(sys.executable).name} -m tracegrad"
    try:
        shown = script.absolute().relative_to(Path.cwd())
    except ValueError:
        shown = script
    activate = shown.parent / "activate"
    print(f"To run the tracegrad command, first: source {activate}")
    print(f"  (once per shell; or call {shown} by its path, e.g. {shown} examples)")
    return "tracegrad"


def next_steps(out_dir: Path) -> None:
    """The demo's last lines: how to run the CLI from here, and what to try first."""
    command = command_hint()
    print("Next:")
    print(f"  {command} examples                       the homework sheets that ship")
    print(f"  {command} check --example student_wrong  a sheet with mistakes, checked")
    print(f"  {command} solve --example seed           the seed article's worked solution")
    print(f'  {command} draw "tanh(a*b + c)" --set a=2 b=-3 c=10 -o graph.svg')


SECTIONS = [seed_example, seed_graph]
SECTIONS += network.SECTIONS  # nn: the seed homework trained, two moons
SECTIONS += homework.SECTIONS  # the homework checker on the article's figures
SECTIONS += [next_steps]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tracegrad.demo")
    parser.add_argument("--out", default="out", help="folder for pictures (default: out)")
    args = parser.parse_args(argv)
    out_dir = Path(args.out)
    out_dir.mkdir(parents=True, exist_ok=True)
    for section in SECTIONS:
        section(out_dir)
        print()
    return 0

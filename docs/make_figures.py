"""Regenerate the pictures under docs/ (the README shows them): ``python docs/make_figures.py``.

tests/test_readme.py calls ``figures()`` and compares each result with the committed file
structurally (the same nodes, edges and texts), so a picture cannot drift from the code.
"""

from __future__ import annotations

from pathlib import Path

from tracegrad.autograd import gradient_path, render_svg

from tracegrad import seed

DOCS = Path(__file__).resolve().parent


def seed_graph_svg() -> str:
    """The seed article's network after E.backward(), the path from w5 to E highlighted."""
    v = seed.solved()
    return render_svg(v["E"], rankdir="TB", highlight=gradient_path(v["E"], v["w5"]))


def figures() -> dict[str, str]:
    """File name under docs/ -> its SVG text."""
    return {"seed_graph.svg": seed_graph_svg()}


def main() -> None:
    for name, svg in figures().items():
        path = DOCS / name
        path.write_text(svg, encoding="utf-8")
        print(f"wrote {path}")


if __name__ == "__main__":
    main()

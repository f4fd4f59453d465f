"""Regenerate the pictures under docs/ (the README shows them): ``python docs/make_figures.py``.

tests/test_readme.py calls ``figures()`` and compares each result with the committed SVG
structurally (the same nodes, edges, texts and colours), so a picture cannot drift from the
code. ``main()`` also writes each as PNG at 96 dpi (``seed_graph.png``), the picture a slide
or a chat message takes; ``seed_graph_before.png`` is the same graph as drawn before issue 15
(cramped Times cells, red highlight, full records for constants), kept for comparison.
"""

from __future__ import annotations

from pathlib import Path

from tracegrad.autograd import gradient_path, render_svg
from tracegrad.autograd.drawing.convert import svg_to_png

from tracegrad import seed

DOCS = Path(__file__).resolve().parent


def seed_graph_svg() -> str:
    """The seed article's network after E.backward(), the path from w5 to E highlighted."""
    v = seed.solved()
    return render_svg(v["E"], highlight=gradient_path(v["E"], v["w5"]))


def seed_graph_by_grad_svg() -> str:
    """The same network, each Value filled by the sign and size of its gradient."""
    return render_svg(seed.solved()["E"], color_by_grad=True)


def figures() -> dict[str, str]:
    """File name under docs/ -> its SVG text."""
    return {"seed_graph.svg": seed_graph_svg(), "seed_graph_by_grad.svg": seed_graph_by_grad_svg()}


def main() -> None:
    for name, svg in figures().items():
        for path, data in [
            (DOCS / name, svg.encode("utf-8")),
            ((DOCS / name).with_suffix(".png"), svg_to_png(svg)),
        ]:
            path.write_bytes(data)
            print(f"wrote {path}")


if __name__ == "__main__":
    main()

"""The seed article's worked example, built from raw Values: ``tracegrad.demo.seed``.

``from tracegrad import seed`` and ``from tracegrad.seed import build`` keep working; the code
lives with the tour that shows it (``tracegrad/demo/``).
"""

from tracegrad.demo.seed import (
    ARTICLE,
    ARTICLE_FIGURES,
    BIASES,
    INPUTS,
    LEARNING_RATE,
    TARGETS,
    WEIGHTS,
    build,
    solved,
)

__all__ = [
    "ARTICLE",
    "ARTICLE_FIGURES",
    "BIASES",
    "INPUTS",
    "LEARNING_RATE",
    "TARGETS",
    "WEIGHTS",
    "build",
    "solved",
]

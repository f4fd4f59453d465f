"""Toy datasets, generated on the spot (no downloads), as numpy arrays ``(X, y)``.

X has shape (n, features) of float64; y has shape (n,) of int64 class labels 0, 1, ...
(except ``homework``, whose targets are the seed article's output pairs). Every generator
with randomness takes ``seed`` and returns the same data for the same seed.
"""

from __future__ import annotations

import numpy as np

__all__ = [
    "xor",
    "logical_and",
    "logical_or",
    "homework",
    "make_moons",
    "make_circles",
    "make_blobs",
    "make_spirals",
]

_CORNERS = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])


def xor() -> tuple[np.ndarray, np.ndarray]:
    """The XOR truth table: 4 points, label 1 where exactly one input is 1."""
    return _CORNERS.copy(), np.array([0, 1, 1, 0], dtype=np.int64)


def logical_and() -> tuple[np.ndarray, np.ndarray]:
    """The AND truth table (linearly separable: one neuron can learn it)."""
    return _CORNERS.copy(), np.array([0, 0, 0, 1], dtype=np.int64)


def logical_or() -> tuple[np.ndarray, np.ndarray]:
    """The OR truth table (linearly separable)."""
    return _CORNERS.copy(), np.array([0, 1, 1, 1], dtype=np.int64)


def homework() -> tuple[np.ndarray, np.ndarray]:
    """The first seed article's three samples and their two target outputs each."""
    X = np.array([[0.5, -0.5], [0.3, 0.4], [0.7, 0.9]])
    Y = np.array([[0.9, 0.1], [0.9, 0.9], [0.1, 0.1]])
    return X, Y


def _check(n: int, noise: float) -> None:
    if not isinstance(n, int) or isinstance(n, bool) or n < 2:
        raise ValueError(f"n (the number of samples) must be an int >= 2, got {n!r}")
    if not noise >= 0:
        raise ValueError(f"noise must be >= 0, got {noise!r}")


def _split(n: int, k: int) -> list[int]:
    """n samples over k classes as evenly as possible."""
    return [n // k + (1 if i < n % k else 0) for i in range(k)]


def make_moons(n: int = 100, noise: float = 0.1, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Two interleaving half circles (class 0 on top, class 1 below), plus Gaussian noise."""
    _check(n, noise)
    rng = np.random.default_rng(seed)
    n0, n1 = _split(n, 2)
    t0 = np.linspace(0.0, np.pi, n0)
    t1 = np.linspace(0.0, np.pi, n1)
    top = np.column_stack([np.cos(t0), np.sin(t0)])
    bottom = np.column_stack([1.0 - np.cos(t1), 0.5 - np.sin(t1)])
    X = np.vstack([top, bottom]) + rng.normal(0.0, noise, size=(n, 2))
    y = np.concatenate([np.zeros(n0, np.int64), np.ones(n1, np.int64)])
    return _shuffle(X, y, rng)


def make_circles(
    n: int = 100, noise: float = 0.05, factor: float = 0.5, seed: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """A small circle (class 1, radius ``factor``) inside a large one (class 0, radius 1)."""
    _check(n, noise)
    if not 0 < factor < 1:
        raise ValueError(f"factor (inner radius) must be between 0 and 1, got {factor!r}")
    rng = np.random.default_rng(seed)
    n0, n1 = _split(n, 2)
    t0 = np.linspace(0.0, 2 * np.pi, n0, endpoint=False)
    t1 = np.linspace(0.0, 2 * np.pi, n1, endpoint=False)
    outer = np.column_stack([np.cos(t0), np.sin(t0)])
    inner = factor * np.column_stack([np.cos(t1), np.sin(t1)])
    X = np.vstack([outer, inner]) + rng.normal(0.0, noise, size=(n, 2))
    y = np.concatenate([np.zeros(n0, np.int64), np.ones(n1, np.int64)])
    return _shuffle(X, y, rng)


def make_blobs(
    n: int = 100, centers: int = 3, std: float = 0.5, box: float = 5.0, seed: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """``centers`` Gaussian clusters in 2-D, centres uniform in [-box, box]²."""
    _check(n, std)
    if not isinstance(centers, int) or centers < 1:
        raise ValueError(f"centers must be an int >= 1, got {centers!r}")
    rng = np.random.default_rng(seed)
    mid = rng.uniform(-box, box, size=(centers, 2))
    counts = _split(n, centers)
    X = np.vstack([rng.normal(mid[k], std, size=(c, 2)) for k, c in enumerate(counts)])
    y = np.concatenate([np.full(c, k, np.int64) for k, c in enumerate(counts)])
    return _shuffle(X, y, rng)


def make_spirals(
    n: int = 100, classes: int = 2, noise: float = 0.2, turns: float = 1.0, seed: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """``classes`` interleaved spiral arms from the origin (the classic CS231n toy set)."""
    _check(n, noise)
    if not isinstance(classes, int) or classes < 2:
        raise ValueError(f"classes must be an int >= 2, got {classes!r}")
    rng = np.random.default_rng(seed)
    parts = []
    for k, c in enumerate(_split(n, classes)):
        r = np.linspace(0.0, 1.0, c)
        t = 2 * np.pi * (k / classes + turns * r) + rng.normal(0.0, noise, c) * r
        parts.append(np.column_stack([r * np.sin(t), r * np.cos(t)]))
    X = np.vstack(parts)
    y = np.concatenate([np.full(c, k, np.int64) for k, c in enumerate(_split(n, classes))])
    return _shuffle(X, y, rng)


def _shuffle(
    X: np.ndarray, y: np.ndarray, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    order = rng.permutation(len(y))
    return X[order], y[order]

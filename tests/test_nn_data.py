"""Toy datasets: shapes, labels, reproducible from a seed, and the geometry each promises."""

from __future__ import annotations

import numpy as np
import pytest
from tracegrad.nn import data

GENERATED = [data.make_moons, data.make_circles, data.make_blobs, data.make_spirals]


def test_truth_tables() -> None:
    for make, labels in [
        (data.xor, [0, 1, 1, 0]),
        (data.logical_and, [0, 0, 0, 1]),
        (data.logical_or, [0, 1, 1, 1]),
    ]:
        X, y = make()
        assert X.tolist() == [[0, 0], [0, 1], [1, 0], [1, 1]]
        assert y.tolist() == labels and y.dtype == np.int64
        # the truth table is the gate applied to the inputs
        a, b = X[:, 0].astype(bool), X[:, 1].astype(bool)
        gate = {data.xor: a ^ b, data.logical_and: a & b, data.logical_or: a | b}[make]
        assert (gate.astype(int) == y).all()


def test_homework_is_the_articles_three_samples() -> None:
    X, Y = data.homework()
    assert X.tolist() == [[0.5, -0.5], [0.3, 0.4], [0.7, 0.9]]
    assert Y.tolist() == [[0.9, 0.1], [0.9, 0.9], [0.1, 0.1]]


@pytest.mark.parametrize("make", GENERATED)
def test_generated_sets_are_seeded_shaped_and_balanced(make: object) -> None:
    X, y = make(n=101, seed=4)  # type: ignore[operator]
    X2, y2 = make(n=101, seed=4)  # type: ignore[operator]
    X3, _ = make(n=101, seed=5)  # type: ignore[operator]
    assert X.shape == (101, 2) and y.shape == (101,)
    assert X.dtype == np.float64 and y.dtype == np.int64
    assert np.array_equal(X, X2) and np.array_equal(y, y2)
    assert not np.array_equal(X, X3)
    counts = np.bincount(y)
    assert counts.max() - counts.min() <= 1
    assert len(set(y[:20].tolist())) > 1  # shuffled, not sorted by class


def test_circles_radii() -> None:
    X, y = data.make_circles(200, noise=0.0, factor=0.3)
    r = np.hypot(X[:, 0], X[:, 1])
    assert np.allclose(r[y == 0], 1.0) and np.allclose(r[y == 1], 0.3)


def test_moons_without_noise_lie_on_two_half_circles() -> None:
    X, y = data.make_moons(50, noise=0.0)
    top, bottom = X[y == 0], X[y == 1]
    assert np.allclose(np.hypot(top[:, 0], top[:, 1]), 1.0)
    assert np.allclose(np.hypot(bottom[:, 0] - 1.0, bottom[:, 1] - 0.5), 1.0)


def test_blobs_and_spirals_class_counts() -> None:
    _, y = data.make_blobs(30, centers=4)
    assert sorted(set(y.tolist())) == [0, 1, 2, 3]
    _, y = data.make_spirals(30, classes=3)
    assert sorted(set(y.tolist())) == [0, 1, 2]


@pytest.mark.parametrize(
    "call",
    [
        lambda: data.make_moons(1),
        lambda: data.make_moons(10, noise=-1),
        lambda: data.make_circles(10, factor=1.5),
        lambda: data.make_blobs(10, centers=0),
        lambda: data.make_spirals(10, classes=1),
    ],
)
def test_bad_arguments(call: object) -> None:
    with pytest.raises(ValueError):
        call()  # type: ignore[operator]

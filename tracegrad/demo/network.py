"""`make demo` sections for networks: the seed article's homework trained, and two moons.

The seed's 2-2-2 network is built with ``MLP.set_weights`` from the numbers in
``tracegrad.seed`` and trained for the article's suggested 25 epochs on its 3 samples with
per-sample SGD at η = 1.2. Then an MLP learns the two-moons toy set and its decision
boundary is saved as a PNG next to the seed example's graph.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np

from tracegrad.autograd.formatting import fmt
from tracegrad.demo import seed
from tracegrad.nn import MLP, SGD, Adam, accuracy, data, fit, get_loss

SEED_LAYERS = [[("w1", "w2", "b1"), ("w3", "w4", "b2")], [("w5", "w6", "b3"), ("w7", "w8", "b4")]]


def seed_weights() -> list[list[list[float]]]:
    """The seed network's weights as ``MLP.set_weights`` takes them (per neuron: w..., b)."""
    values = {
        **{k: v[0] for k, v in seed.WEIGHTS.items()},
        **{k: v[0] for k, v in seed.BIASES.items()},
    }
    return [[[values[name] for name in neuron] for neuron in layer] for layer in SEED_LAYERS]


def seed_network() -> MLP:
    """The seed article's 2-2-2 sigmoid network with its given weights and biases."""
    net = MLP(2, [2, 2], activation="sigmoid", output_activation="sigmoid")
    net.set_weights(seed_weights())
    return net


def seed_training(out_dir: Path) -> None:
    """Train the seed network 25 epochs on the article's 3 samples, one update per sample."""
    net = seed_network()
    X, Y = data.homework()
    epochs = 25
    print("The seed article's homework: its 2-2-2 network trained on its 3 samples")
    print(f"  MLP(2, [2, 2], sigmoid) with set_weights({net.weights()})")
    print(f"  loss E = sum 1/2 (y - o)^2, SGD at lr {seed.LEARNING_RATE}, one update per sample")
    print("  (the mean of E over the epoch's samples, each measured before its own update)\n")
    before = net.predict(X)
    history = fit(
        net,
        X,
        Y,
        loss="half_sse",
        optimizer=SGD(net.parameters(), lr=seed.LEARNING_RATE),
        epochs=epochs,
        batch_size=1,
        progress=False,
    )
    for epoch, loss in enumerate(history.loss, start=1):
        print(f"  epoch {epoch:>2}  loss {fmt(loss)}")
    after = net.predict(X)
    print(f"\n  {'sample':<13}{'target':<13}{'output before':<19}output after {epochs} epochs")
    for x, y, b, a in zip(X, Y, before, after):
        cols = [f"({fmt(x[0], 1)}, {fmt(x[1], 1)})", f"({fmt(y[0], 1)}, {fmt(y[1], 1)})"]
        cols += [f"({fmt(b[0])}, {fmt(b[1])})", f"({fmt(a[0])}, {fmt(a[1])})"]
        print(f"  {cols[0]:<13}{cols[1]:<13}{cols[2]:<19}{cols[3]}")


def moons(out_dir: Path) -> None:
    """Train an MLP on two moons to >= 97% training accuracy; save its decision boundary."""
    X, y = data.make_moons(200, noise=0.1, seed=0)
    net = MLP(2, [8, 8, 1], activation="tanh", seed=0)
    loss = "bce_with_logits"
    print(f"Two moons: {len(X)} points, {net}")
    print("  loss bce_with_logits, Adam lr 0.05, mini-batches of 10, 40 epochs\n")
    start = time.perf_counter()
    history = fit(
        net,
        X,
        y,
        loss=loss,
        optimizer=Adam(net.parameters(), lr=0.05),
        epochs=40,
        batch_size=10,
        shuffle=True,
        seed=0,
        progress=sys.stderr.isatty(),  # a bar while it runs, cleared before the epoch lines;
    )  # none in a log, where each redraw would be one more line repeating them
    seconds = time.perf_counter() - start
    acc = accuracy(net.predict(X), y, get_loss(loss))
    assert acc is not None
    for epoch in [1, 2, 5, 10, 20, history.epochs]:
        if epoch <= history.epochs:
            print(f"  epoch {epoch:>2}  loss {fmt(history.loss[epoch - 1])}")
    print(f"  training accuracy {acc:.1%} after {history.epochs} epochs ({seconds:.1f} s)")
    path = plot_decision_boundary(net, X, y, out_dir / "moons_decision_boundary.png", acc)
    if path is not None:
        print(f"  decision boundary: {path}")


def plot_decision_boundary(
    net: MLP, X: np.ndarray, y: np.ndarray, path: Path, acc: float
) -> Path | None:
    """Save the model's score over the plane (sign = class) with the points on top, as PNG."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("  (no plot: matplotlib is missing; pip install 'tracegrad[plot]')")
        return None
    pad = 0.5
    xs = np.linspace(X[:, 0].min() - pad, X[:, 0].max() + pad, 150)
    ys = np.linspace(X[:, 1].min() - pad, X[:, 1].max() + pad, 150)
    gx, gy = np.meshgrid(xs, ys)
    scores = net.predict(np.column_stack([gx.ravel(), gy.ravel()])).reshape(gx.shape)
    fig, ax = plt.subplots(figsize=(6, 4.5), dpi=100)
    ax.contourf(gx, gy, scores > 0, levels=[-0.5, 0.5, 1.5], colors=["#f4c7c3", "#c6dbef"])
    ax.contour(gx, gy, scores, levels=[0.0], colors="k", linewidths=1)
    for label, colour in [(0, "#d62728"), (1, "#1f77b4")]:
        pts = X[y == label]
        ax.scatter(pts[:, 0], pts[:, 1], s=14, c=colour, edgecolors="k", linewidths=0.3,
                   label=f"class {label}")  # fmt: skip
    ax.set_title(f"two moons: MLP(2, {net.sizes}), training accuracy {acc:.1%}")
    ax.legend(loc="upper right", fontsize=8)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path)
    plt.close(fig)
    return path


SECTIONS = [seed_training, moons]

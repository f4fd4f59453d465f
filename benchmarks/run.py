"""tracegrad against micrograd, side by side in one process: ``python -m benchmarks.run``.

Each workload runs on both engines (and on plain floats) in the same process, interleaved
round by round, with Python's garbage collector on as users have it. Reported: medians and
ratios ours / micrograd (below 1 means tracegrad is faster). Results go to
``benchmarks/results/`` as JSON. ``--quick`` runs tiny sizes once: a correctness smoke test
(the test suite runs it), not a measurement.

Workloads (the issue's definitions):

- ``mlp_step``: 100 two-moons points, MLP 2-16-16-1 (ReLU, linear out), mean hinge loss plus
  1e-4 · L2, forward + backward + SGD step. Both nets start from the same weights.
- ``chain``: x -> x * 1.0001 + 0.0001 repeated N times, forward + backward. micrograd's
  recursive topological sort needs the recursion limit raised to about 2N; we raise it.
- ``wide``: the sum of 10^5 products, forward + backward.
- ``plain``: the same forward arithmetic on Python floats (no graph, no gradients): the floor.
- ``memory``: tracemalloc's peak bytes over one mlp_step's forward + backward, per graph node.
- ``epoch``: one full-batch epoch on 1,000 two-moons points: micrograd eager, tracegrad eager,
  tracegrad compiled (``autograd.compile``) and a hand-written numpy matrix MLP (the floor).
- ``first_picture``: ``tracegrad draw`` to SVG and ``import tracegrad`` in new processes,
  against ``python -c "import numpy"`` (``benchmarks/first_picture.py``).
- ``cli_start``: ``tracegrad --help`` and ``tracegrad check`` on shipped sheets in new
  processes, against ``python -c "import numpy"`` (``benchmarks/cli_start.py``).

Between timed runs ``gc.collect()`` clears the previous run's garbage outside the timing;
that favours micrograd, whose graphs are reference cycles only the collector frees.
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import gc
import json
import os
import platform
import random
import statistics
import sys
import time
import tracemalloc
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from tracegrad.autograd import Value
from tracegrad.autograd.graph import topo_order
from tracegrad.nn.data import make_moons
from tracegrad.nn.flat import FlatParams
from tracegrad.nn.layers import MLP
from tracegrad.nn.losses import hinge, l2
from tracegrad.nn.optim import SGD
from tracegrad.nn.train import fit

from tracegrad import autograd

try:
    from micrograd.engine import Value as MValue
    from micrograd.nn import MLP as MMLP
except ImportError:  # pragma: no cover - reported by main()
    MValue = MMLP = None

RESULTS = Path(__file__).resolve().parent / "results"
WORKLOADS = ["mlp_step", "backward", "chain", "wide", "tanh_expr", "memory", "gc", "epoch", "scale",
             "grading", "first_picture", "cli_start"]  # fmt: skip
SIZES = [16, 16, 1]
ALPHA = 1e-4  # L2 strength
LR = 0.05


# ---------------------------------------------------------------- timing
HARNESSES = ("plain", "frozen")
CPU: dict[str, list[float]] = {}  # CPU seconds of the last interleaved() call, per key


def interleaved(fns: dict[str, Callable[[], Any]], repeats: int) -> dict[str, list[float]]:
    """Wall seconds per call of each function under each harness, run round-robin (the
    order rotates every round). Keys: ``name`` (the plain harness) and ``name@frozen``.

    - plain: ``gc.collect()`` before each call (the previous run's garbage is not this run's
      cost), collector on as users have it.
    - frozen: ``gc.collect()`` then ``gc.freeze()`` before each call, so the models, data and
      everything made earlier sit outside the collector's walk (``gc.unfreeze()`` after).

    The CPU seconds of the same calls (less disturbed by other processes on a shared
    machine) are left in ``CPU``."""
    names = [f"{n}@{h}" if h != "plain" else n for n in fns for h in HARNESSES]
    times: dict[str, list[float]] = {n: [] for n in names}
    CPU.clear()
    CPU.update({n: [] for n in names})
    for r in range(repeats):
        k = r % len(names)
        for key in names[k:] + names[:k]:
            name, _, harness = key.partition("@")
            gc.collect()
            if harness == "frozen":
                gc.freeze()
            try:
                c0 = time.process_time()
                t0 = time.perf_counter()
                fns[name]()
                times[key].append(time.perf_counter() - t0)
                CPU[key].append(time.process_time() - c0)
            finally:
                if harness == "frozen":
                    gc.unfreeze()
    return times


def cpu_ratio(ours: str = "ours", theirs: str = "micrograd", harness: str = "plain") -> float:
    """ours / theirs in median CPU seconds, from the last interleaved() call."""
    at = "" if harness == "plain" else f"@{harness}"
    return med(CPU[ours + at]) / med(CPU[theirs + at])


def speedups(
    secs: dict[str, float], ours: str = "ours", theirs: str = "micrograd"
) -> dict[str, float]:
    """theirs / ours (above 1: ours is faster) per harness, in wall and in CPU seconds:
    ``{'plain': x, 'frozen': x, 'cpu_plain': x, 'cpu_frozen': x}``."""
    out: dict[str, float] = {}
    for h in HARNESSES:
        at = "" if h == "plain" else f"@{h}"
        out[h] = secs[theirs + at] / secs[ours + at]
        out[f"cpu_{h}"] = 1.0 / cpu_ratio(ours, theirs, h)
    return out


@contextlib.contextmanager
def deep_recursion(limit: int) -> Iterator[None]:
    """micrograd's backward sorts its graph recursively, one Python call per level: without
    a higher recursion limit it fails on graphs deeper than about 1,000 (a chain, or sum()
    of 1,000 Values). Python 3.11 keeps Python-to-Python calls off the C stack, so a limit in
    the millions is safe for it."""
    old = sys.getrecursionlimit()
    sys.setrecursionlimit(max(old, limit))
    try:
        yield
    finally:
        sys.setrecursionlimit(old)


def med(ts: Sequence[float]) -> float:
    return statistics.median(ts)


# ---------------------------------------------------------------- data and models
def moons(n: int, seed: int = 0) -> tuple[list[list[float]], list[float]]:
    """Two-moons points as Python lists, labels -1 / +1 (for hinge)."""
    X, y = make_moons(n, noise=0.1, seed=seed)
    return X.tolist(), [1.0 if t > 0 else -1.0 for t in y.tolist()]


def twin_models(seed: int = 1337) -> tuple[Any, MLP]:
    """micrograd's MLP and ours with the same weights (micrograd's random init copied)."""
    random.seed(seed)
    theirs = MMLP(2, SIZES)
    ours = MLP(2, SIZES)
    ours.set_weights(
        [[[w.data for w in n.w] + [n.b.data] for n in layer.neurons] for layer in theirs.layers]
    )
    return theirs, ours


def micrograd_step(model: Any, X: list[list[float]], Y: list[float]) -> tuple[Any, float]:
    """karpathy's demo step: mean hinge + L2, backward, SGD. Returns (loss node, loss)."""
    scores = [model(x) for x in X]
    losses = [(1 + -y * s).relu() for y, s in zip(Y, scores)]
    data_loss = sum(losses) * (1.0 / len(losses))
    reg_loss = ALPHA * sum(p * p for p in model.parameters())
    total = data_loss + reg_loss
    model.zero_grad()
    total.backward()
    for p in model.parameters():
        p.data -= LR * p.grad
    return total, total.data


def ours_step(model: MLP, X: list[list[float]], Y: list[float]) -> tuple[Value, float]:
    """The same step with nn's MLP, hinge and l2."""
    params = model.parameters()
    data_loss = sum(hinge(model(x), y) for x, y in zip(X, Y)) * (1.0 / len(X))
    total = data_loss + l2(params, ALPHA)
    model.zero_grad()
    total.backward()
    for p in params:
        p.data -= LR * p.grad
    return total, total.data


def plain_forward(W: list[list[list[float]]], X: list[list[float]], Y: list[float]) -> float:
    """The step's forward arithmetic on floats: W[layer][neuron] = weights then bias."""
    total = 0.0
    last = len(W) - 1
    for x, y in zip(X, Y):
        a = x
        for i, layer in enumerate(W):
            out = []
            for row in layer:
                act = row[-1]
                for w, xi in zip(row, a):
                    act += w * xi
                out.append(act if i == last or act > 0 else 0.0)
            a = out
        m = 1.0 - y * a[0]
        total += m if m > 0 else 0.0
    reg = sum(w * w for layer in W for row in layer for w in row)
    return total / len(X) + ALPHA * reg


def micrograd_nodes(root: Any) -> int:
    seen = {id(root)}
    stack = [root]
    while stack:
        for c in stack.pop()._prev:
            if id(c) not in seen:
                seen.add(id(c))
                stack.append(c)
    return len(seen)


# ---------------------------------------------------------------- workloads
def bench_mlp_step(n: int, repeats: int, block: int) -> dict[str, Any]:
    X, Y = moons(n)
    theirs, ours = twin_models()
    t_root, t_loss = micrograd_step(theirs, X, Y)
    o_root, o_loss = ours_step(ours, X, Y)
    nodes = {"micrograd": micrograd_nodes(t_root), "ours": len(topo_order(o_root))}
    del t_root, o_root
    W = ours.weights()

    def steps(fn: Callable[..., Any], *args: Any) -> Callable[[], None]:
        def go() -> None:
            for _ in range(block):
                fn(*args)

        return go

    times = interleaved(
        {
            "micrograd": steps(micrograd_step, theirs, X, Y),
            "ours": steps(ours_step, ours, X, Y),
            "plain": steps(plain_forward, W, X, Y),
        },
        repeats,
    )
    per_step = {k: med(v) / block for k, v in times.items()}
    return {
        "points": n,
        "nodes": nodes,
        "seconds_per_step": per_step,
        "us_per_node": {k: 1e6 * per_step[k] / nodes[k] for k in nodes},
        "speedup": speedups(per_step),
        "ratio_vs_plain": per_step["ours"] / per_step["plain"],
        "check_first_loss_equal": abs(o_loss - t_loss) <= 1e-9 * max(1.0, abs(t_loss)),
        "first_loss": {
            "micrograd": t_loss,
            "ours": o_loss,
            "plain_check": plain_forward(twin_models()[1].weights(), X, Y),
        },
    }


def _chain(V: Any, n: int) -> float:
    x = V(0.5)
    y = x
    for _ in range(n):
        y = y * 1.0001 + 0.0001
    y.backward()
    return float(x.grad)


def _plain_chain(n: int) -> float:
    y = 0.5
    for _ in range(n):
        y = y * 1.0001 + 0.0001
    return y


def bench_chain(sizes: Sequence[int], repeats: int) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for n in sizes:
        grads = {"ours": _chain(Value, n), "micrograd": _chain(MValue, n)}
        # small sizes are quick and noisy: more rounds; a million ops: fewer
        reps = 3 * repeats if n <= 10_000 else repeats if n <= 100_000 else max(1, repeats // 2)
        times = interleaved(
            {
                "micrograd": functools.partial(_chain, MValue, n),
                "ours": functools.partial(_chain, Value, n),
                "plain": functools.partial(_plain_chain, n),
            },
            reps,
        )
        secs = {k: med(v) for k, v in times.items()}
        want = 1.0001**n
        out[str(n)] = {
            "seconds": secs,
            "us_per_op": {k: 1e6 * s / (2 * n) for k, s in secs.items()},
            "speedup": speedups(secs),
            "ratio_vs_plain": secs["ours"] / secs["plain"],
            "check_grad": all(abs(g - want) <= 1e-9 * want for g in grads.values()),
        }
    return out


def _wide(V: Any, n: int) -> float:
    xs = [V(i * 1e-5) for i in range(n)]
    ws = [V(1.0 - i * 1e-6) for i in range(n)]
    s = sum(x * w for x, w in zip(xs, ws))
    s.backward()
    return float(xs[-1].grad)


def _plain_wide(n: int) -> float:
    xs = [i * 1e-5 for i in range(n)]
    ws = [1.0 - i * 1e-6 for i in range(n)]
    return sum(x * w for x, w in zip(xs, ws))


def bench_wide(n: int, repeats: int) -> dict[str, Any]:
    grads = {"ours": _wide(Value, n), "micrograd": _wide(MValue, n)}
    times = interleaved(
        {
            "micrograd": lambda: _wide(MValue, n),
            "ours": lambda: _wide(Value, n),
            "plain": lambda: _plain_wide(n),
        },
        repeats,
    )
    secs = {k: med(v) for k, v in times.items()}
    want = 1.0 - (n - 1) * 1e-6
    return {
        "products": n,
        "seconds": secs,
        "speedup": speedups(secs),
        "ratio_vs_plain": secs["ours"] / secs["plain"],
        "check_grad": all(abs(g - want) <= 1e-12 for g in grads.values()),
    }


def bench_backward(n: int, repeats: int) -> dict[str, Any]:
    """backward alone (zero_grad included) on mlp_step's graph, built once per engine: the
    same graph is walked again each round (our intermediate grads are recomputed, micrograd's
    accumulate; neither changes the work)."""
    X, Y = moons(n)
    theirs, ours = twin_models()

    def graph_mg() -> Any:
        scores = [theirs(x) for x in X]
        losses = [(1 + -y * s).relu() for y, s in zip(Y, scores)]
        return sum(losses) * (1.0 / len(losses)) + ALPHA * sum(p * p for p in theirs.parameters())

    def graph_ours() -> Value:
        data_loss = sum(hinge(ours(x), y) for x, y in zip(X, Y)) * (1.0 / len(X))
        return data_loss + l2(ours.parameters(), ALPHA)

    t_root, o_root = graph_mg(), graph_ours()

    def mg() -> None:
        theirs.zero_grad()
        t_root.backward()

    def tg() -> None:
        ours.zero_grad()
        o_root.backward()

    times = interleaved({"micrograd": mg, "ours": tg}, repeats)
    secs = {k: med(v) for k, v in times.items()}
    t_root, o_root = graph_mg(), graph_ours()  # fresh graphs: micrograd's inner grads compound
    mg()
    tg()
    g_t = [p.grad for p in theirs.parameters()]
    g_o = [p.grad for p in ours.parameters()]
    return {
        "points": n,
        "seconds": secs,
        "speedup": speedups(secs),
        "check_grads_equal": all(abs(a - b) <= 1e-9 * max(1.0, abs(a)) for a, b in zip(g_t, g_o)),
    }


def _tanh_expr(V: Any, n: int) -> float:
    """n small expressions, forward + backward each: the lecture's neuron tanh(x1 w1 + x2 w2
    + b), with tanh written as the rational n (27 + n^2) / (27 + 9 n^2) (micrograd 0.1.0 has
    no tanh or exp; both engines compute the same expression with their own ops)."""
    total = 0.0
    for i in range(n):
        x1, x2 = V(2.0), V(0.0)
        w1, w2 = V(-3.0), V(1.0)
        b = V(6.8813735870195432 + i * 1e-6)
        z = x1 * w1 + x2 * w2 + b
        o = z * (27.0 + z * z) / (27.0 + 9.0 * z * z)
        o.backward()
        total += w1.grad
    return total


def bench_tanh_expr(n: int, repeats: int) -> dict[str, Any]:
    grads = {"ours": _tanh_expr(Value, 10), "micrograd": _tanh_expr(MValue, 10)}
    times = interleaved(
        {
            "micrograd": functools.partial(_tanh_expr, MValue, n),
            "ours": functools.partial(_tanh_expr, Value, n),
        },
        repeats,
    )
    secs = {k: med(v) for k, v in times.items()}
    return {
        "expressions": n,
        "us_per_expression": {k: 1e6 * v / n for k, v in secs.items()},
        "speedup": speedups(secs),
        "check_grad": abs(grads["ours"] - grads["micrograd"]) <= 1e-12 * abs(grads["ours"]),
    }


def _peak(fn: Callable[[], Any]) -> int:
    gc.collect()
    tracemalloc.start()
    try:
        base = tracemalloc.get_traced_memory()[0]
        keep = fn()
        peak = tracemalloc.get_traced_memory()[1] - base
    finally:
        tracemalloc.stop()
    del keep
    return peak


def _tracked_per_node(V: Any, steps: int = 1000) -> float:
    """Objects the cyclic garbage collector tracks, per graph node, in a chain's forward."""
    gc.collect()
    gc.disable()
    try:
        before = len(gc.get_objects())
        x = V(0.5)
        y = x
        for _ in range(steps):
            y = y * 1.0001 + 0.0001
        return (len(gc.get_objects()) - before) / (4 * steps)  # 2 ops + 2 constants a step
    finally:
        del x, y
        gc.enable()


def _collections(fn: Callable[[], Any]) -> dict[str, Any]:
    """What the garbage collector does during fn(): collections and seconds per generation."""
    count = [0, 0, 0]
    secs = [0.0, 0.0, 0.0]
    start = [0.0]

    def watch(phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            start[0] = time.perf_counter()
        else:
            count[info["generation"]] += 1
            secs[info["generation"]] += time.perf_counter() - start[0]

    gc.collect()
    gc.callbacks.append(watch)
    try:
        t0 = time.perf_counter()
        fn()
        total = time.perf_counter() - t0
    finally:
        gc.callbacks.remove(watch)
    return {
        "collections": count,
        "gc_seconds": secs,
        "seconds": total,
        "gc_share": sum(secs) / total,
    }


def bench_gc(n: int) -> dict[str, Any]:
    """Where the time goes: tracked objects per node, and the collector during mlp_step."""
    X, Y = moons(n)
    theirs, ours = twin_models()
    return {
        "tracked_objects_per_node": {
            "micrograd": _tracked_per_node(MValue),
            "ours": _tracked_per_node(Value),
        },
        "mlp_step": {
            "micrograd": _collections(lambda: micrograd_step(theirs, X, Y)),
            "ours": _collections(lambda: ours_step(ours, X, Y)),
        },
    }


def bench_memory(n: int) -> dict[str, Any]:
    """Peak bytes over one mlp_step (forward + backward + update), per graph node."""
    X, Y = moons(n)
    theirs, ours = twin_models()
    nodes = {
        "micrograd": micrograd_nodes(micrograd_step(theirs, X, Y)[0]),
        "ours": len(topo_order(ours_step(ours, X, Y)[0])),
    }
    peak = {
        "micrograd": _peak(lambda: micrograd_step(theirs, X, Y)),
        "ours": _peak(lambda: ours_step(ours, X, Y)),
    }
    per_node = {k: peak[k] / nodes[k] for k in peak}
    return {
        "points": n,
        "nodes": nodes,
        "peak_bytes": peak,
        "bytes_per_node": per_node,
        "ratio_vs_micrograd_per_node": per_node["ours"] / per_node["micrograd"],
        "ratio_vs_micrograd_total": peak["ours"] / peak["micrograd"],
    }


# ---------------------------------------------------------------- the epoch
class ValuesStep:
    """One full-batch step of the same loss on ``autograd.compile`` with the parameters in
    their Values (the previous compiled step): one tape, the label an input (hinge written
    out as relu(1 - y s), the formula nn's hinge uses), the tape's gradients written into
    each p.grad, L2 as a graph of Values, SGD per Value."""

    def __init__(self, model: MLP, X: list[list[float]], Y: list[float]) -> None:
        self.model = model
        self.params = model.parameters()
        self.X, self.Y = np.array(X), np.array(Y)
        self.tape = autograd.compile(lambda x, t: (1.0 - t * model(x)).relu())
        self.n = len(X)

    def grads(self) -> float:
        """Fill p.grad with d(loss)/dp; return the loss."""
        self.model.zero_grad()
        total = float(self.tape.backward(self.X, self.Y, scale=1.0 / self.n).sum())
        reg = l2(self.params, ALPHA)
        reg.backward()
        return total / self.n + reg.data

    def __call__(self) -> float:
        loss = self.grads()
        for p in self.params:
            p.data -= LR * p.grad
        return loss


FLAT_CALLS = 9  # numpy calls FlatParams adds to the tape's per step (see ArrayStep)


class ArrayStep:
    """The same step with the parameters in one array (``nn.flat.FlatParams``, what
    ``fit(compiled=True)`` uses): the tape reads them from it and returns its gradients as
    one, L2 and SGD are array operations. Its numpy calls besides the tape's: zero_grad 1,
    gather the leaves 1, scale and scatter the gradients 2, L2 3, SGD 2 (``FLAT_CALLS``)."""

    def __init__(self, model: MLP, X: list[list[float]], Y: list[float]) -> None:
        params = model.parameters()
        self.flat = FlatParams(params, SGD(params, lr=LR), ALPHA)
        self.X, self.Y = np.array(X), np.array(Y)
        self.tape = autograd.compile(lambda x, t: (1.0 - t * model(x)).relu())
        self.n = len(X)

    def grads(self) -> float:
        """Fill flat.grad with d(loss)/dp; return the loss."""
        flat = self.flat
        flat.zero_grad()
        total = float(flat.backward(self.tape, self.X, self.Y, scale=1.0 / self.n).sum())
        return total / self.n + flat.add_l2()

    def __call__(self) -> float:
        loss = self.grads()
        self.flat.step()
        return loss

    def grad_vector(self) -> np.ndarray:
        return self.flat.grad[: self.flat.m].copy()


class FitEpochs:
    """``fit(compiled=True)`` as a user calls it, ``epochs`` full-batch epochs per call (two
    tapes, one per label, plus the outputs and accuracy fit reports each epoch)."""

    def __init__(self, model: MLP, X: list[list[float]], Y: list[float], epochs: int) -> None:
        self.model, self.epochs = model, epochs
        self.X, self.Y = np.array(X), np.array(Y)

    def __call__(self) -> None:
        opt = SGD(self.model.parameters(), lr=LR)
        fit(self.model, self.X, self.Y, loss="hinge", optimizer=opt, epochs=self.epochs,
            l2=ALPHA, progress=False, compiled=True)  # fmt: skip


class NumpyMLP:
    """The same MLP, loss and step as matrices: the floor for a batched approach."""

    def __init__(self, model: MLP, X: list[list[float]], Y: list[float]) -> None:
        W = model.weights()
        self.Ws = [np.array([row[:-1] for row in layer]) for layer in W]
        self.bs = [np.array([row[-1] for row in layer]) for layer in W]
        self.X, self.Y = np.array(X), np.array(Y)

    def grads(self) -> tuple[float, list[np.ndarray], list[np.ndarray]]:
        acts = [self.X]
        for i, (W, b) in enumerate(zip(self.Ws, self.bs)):
            z = acts[-1] @ W.T + b
            acts.append(z if i == len(self.Ws) - 1 else np.maximum(z, 0.0))
        s = acts[-1][:, 0]
        margin = 1.0 - self.Y * s
        n = len(self.Y)
        reg = sum(float((W * W).sum() + (b * b).sum()) for W, b in zip(self.Ws, self.bs))
        loss = float(np.maximum(margin, 0.0).sum()) / n + ALPHA * reg
        dz = (np.where(margin > 0, -self.Y, 0.0) / n)[:, None]
        gW: list[np.ndarray] = []
        gb: list[np.ndarray] = []
        for i in range(len(self.Ws) - 1, -1, -1):
            gW.insert(0, dz.T @ acts[i] + 2 * ALPHA * self.Ws[i])
            gb.insert(0, dz.sum(0) + 2 * ALPHA * self.bs[i])
            if i:
                dz = (dz @ self.Ws[i]) * (acts[i] > 0)
        return loss, gW, gb

    def __call__(self) -> float:
        loss, gW, gb = self.grads()
        for W, b, dW, db in zip(self.Ws, self.bs, gW, gb):
            W -= LR * dW
            b -= LR * db
        return loss


def _flat(model: MLP) -> np.ndarray:
    return np.array([p.grad for p in model.parameters()])


def bench_epoch(n: int, repeats: int) -> dict[str, Any]:
    X, Y = moons(n, seed=1)
    theirs, eager = twin_models()
    models = [twin_models()[1] for _ in range(4)]
    # gradients at the same weights, four ways
    eager.zero_grad()
    root, eager_loss = _eager_grads(eager, X, Y)
    del root
    g_eager = _flat(eager)
    before = ValuesStep(models[0], X, Y)
    before_loss = before.grads()
    g_before = _flat(models[0])
    comp = ArrayStep(models[1], X, Y)
    comp_loss = comp.grads()
    g_comp = comp.grad_vector()
    npm = NumpyMLP(models[2], X, Y)
    np_loss, gW, gb = npm.grads()
    g_np = np.concatenate(
        [np.concatenate([np.column_stack([W, b]).ravel()]) for W, b in zip(gW, gb)]
    )
    scale = max(1.0, float(np.max(np.abs(g_eager))))
    comp_err = float(np.max(np.abs(g_comp - g_eager))) / scale
    before_err = float(np.max(np.abs(g_before - g_eager))) / scale
    np_err = float(np.max(np.abs(g_np - g_eager))) / scale
    before()  # one untimed step each: a tape is traced and scheduled at its first call
    comp()
    npm()
    fit_epochs = 10
    by_fit = FitEpochs(models[3], X, Y, fit_epochs)
    by_fit()
    times = interleaved(
        {
            "micrograd": lambda: micrograd_step(theirs, X, Y) and None,
            "ours_eager": lambda: ours_step(eager, X, Y) and None,
            "ours_compiled_values": before,
            "ours_compiled": comp,
            "ours_fit": by_fit,
            "numpy": npm,
        },
        repeats,
    )
    secs = {k: med(v) for k, v in times.items()}
    for k in ("ours_fit", "ours_fit@frozen"):  # per epoch, wall and CPU
        secs[k] /= fit_epochs
        CPU[k] = [t / fit_epochs for t in CPU[k]]

    def vs_numpy(key: str) -> dict[str, float]:
        return {h: 1.0 / v for h, v in speedups(secs, key, "numpy").items()}

    return {
        "points": n,
        "tape_nodes": len(comp.tape),
        "numpy_calls_per_epoch": getattr(comp.tape, "numpy_calls", -1) + FLAT_CALLS,
        "seconds_per_epoch": secs,
        "speedup_compiled_vs_micrograd": speedups(secs, "ours_compiled"),
        "speedup_eager_vs_micrograd": speedups(secs, "ours_eager"),
        "ratio_compiled_vs_numpy": vs_numpy("ours_compiled"),
        "ratio_compiled_values_vs_numpy": vs_numpy("ours_compiled_values"),
        "ratio_fit_vs_numpy": vs_numpy("ours_fit"),
        "compiled_vs_eager_max_rel_grad_diff": comp_err,
        "compiled_values_vs_eager_max_rel_grad_diff": before_err,
        "numpy_vs_eager_max_rel_grad_diff": np_err,
        "check_compiled_grads": comp_err <= 1e-12 and before_err <= 1e-12,
        "check_losses_agree": all(
            abs(x - eager_loss) <= 1e-12 * max(1.0, abs(eager_loss))
            for x in (comp_loss, before_loss)
        )
        and abs(np_loss - eager_loss) <= 1e-9 * max(1.0, abs(eager_loss)),
    }


def _eager_grads(model: MLP, X: list[list[float]], Y: list[float]) -> tuple[Value, float]:
    data_loss = sum(hinge(model(x), y) for x, y in zip(X, Y)) * (1.0 / len(X))
    total = data_loss + l2(model.parameters(), ALPHA)
    total.backward()
    return total, total.data


def bench_scale(sizes: Sequence[tuple[int, list[int]]], repeats: int) -> dict[str, Any]:
    """The compiled epoch against the numpy floor on big batches and wide layers (no
    micrograd or eager run: minutes per epoch), with the peak memory of one step each."""
    out: dict[str, Any] = {}
    for n, layers in sizes:
        X, Y = moons(n, seed=2)
        model = MLP(2, layers, seed=5)
        twin = MLP(2, layers, seed=5)
        comp = ArrayStep(model, X, Y)
        npm = NumpyMLP(twin, X, Y)
        g_comp = (comp.grads(), comp.grad_vector())[1]
        _, gW, gb = npm.grads()
        g_np = np.concatenate([np.column_stack([W, b]).ravel() for W, b in zip(gW, gb)])
        peak = {"ours_compiled": _peak(comp), "numpy": _peak(npm)}
        times = interleaved({"ours_compiled": comp, "numpy": npm}, repeats)
        secs = {k: med(v) for k, v in times.items()}
        err = float(np.max(np.abs(g_comp - g_np))) / max(1.0, float(np.max(np.abs(g_np))))
        out[f"{n} pts, 2-{'-'.join(map(str, layers))}"] = {
            "tape_nodes": len(comp.tape),
            "numpy_calls_per_epoch": getattr(comp.tape, "numpy_calls", -1) + FLAT_CALLS,
            "seconds_per_epoch": secs,
            "peak_mb": {k: v / 1e6 for k, v in peak.items()},
            "ratio_compiled_vs_numpy": {
                h: 1.0 / v for h, v in speedups(secs, "ours_compiled", "numpy").items()
            },
            "check_grads_match_numpy": err <= 1e-9,
        }
    return out


# ---------------------------------------------------------------- report
def machine() -> dict[str, Any]:
    return {
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
        "platform": platform.platform(),
        "processor": platform.processor() or platform.machine(),
        "cpus": os.cpu_count(),
        "numpy": np.__version__,
        "gc_enabled": gc.isenabled(),
        "gc_thresholds": list(gc.get_threshold()),
    }


def _sp(sp: dict[str, float]) -> str:
    """'8.1x (frozen 6.0x; cpu 8.3x / 6.2x)': speedups over micrograd, both harnesses."""
    return (
        f"{sp['plain']:.1f}x (frozen {sp['frozen']:.1f}x; "
        f"cpu {sp['cpu_plain']:.1f}x / {sp['cpu_frozen']:.1f}x)"
    )


def _rt(r: dict[str, float]) -> str:
    """A ratio ours / floor for both harnesses: '1.3x (frozen 1.2x)'."""
    return f"{r['plain']:.2f}x (frozen {r['frozen']:.2f}x; cpu {r['cpu_plain']:.2f}x)"


def report(res: dict[str, Any]) -> str:
    lines = [
        f"tracegrad vs micrograd 0.1.0 — Python {res['machine']['python']}, "
        f"{res['machine']['cpus']} cpus, gc on, medians of interleaved runs;",
        "speedup = micrograd's time / ours: plain harness (gc.collect() before each run), "
        "then frozen (gc.collect() + gc.freeze()), then the same in CPU time",
        "",
    ]
    m = res.get("mlp_step")
    if m:
        s = m["seconds_per_step"]
        lines.append(
            f"mlp_step ({m['points']} pts)  micrograd {1e3 * s['micrograd']:7.1f} ms  "
            f"ours {1e3 * s['ours']:6.1f} ms  speedup {_sp(m['speedup'])}  "
            f"plain floats {1e3 * s['plain']:.2f} ms"
        )
        u = m["us_per_node"]
        lines.append(
            f"   per node: micrograd {u['micrograd']:.2f} µs ({m['nodes']['micrograd']} nodes), "
            f"ours {u['ours']:.2f} µs ({m['nodes']['ours']} nodes)"
        )
    bw = res.get("backward")
    if bw:
        s = bw["seconds"]
        lines.append(
            f"backward alone (mlp_step graph, zero_grad incl.)  micrograd "
            f"{1e3 * s['micrograd']:.1f} ms  ours {1e3 * s['ours']:.1f} ms  "
            f"speedup {_sp(bw['speedup'])}"
        )
    for n, c in res.get("chain", {}).items():
        s = c["seconds"]
        lines.append(
            f"chain N={int(n):>9,}  micrograd {s['micrograd']:8.3f} s  ours {s['ours']:7.3f} s  "
            f"speedup {_sp(c['speedup'])}  ours/plain {c['ratio_vs_plain']:.0f}"
        )
    w = res.get("wide")
    if w:
        s = w["seconds"]
        lines.append(
            f"wide  N={w['products']:>9,}  micrograd {s['micrograd']:8.3f} s  "
            f"ours {s['ours']:7.3f} s  speedup {_sp(w['speedup'])}"
        )
    t = res.get("tanh_expr")
    if t:
        u = t["us_per_expression"]
        lines.append(
            f"tanh_expr  micrograd {u['micrograd']:.1f} µs  ours {u['ours']:.1f} µs per "
            f"expression  speedup {_sp(t['speedup'])}"
        )
    g = res.get("gc")
    if g:
        t = g["tracked_objects_per_node"]
        lines.append(
            f"gc: tracked objects per node  micrograd {t['micrograd']:.1f}  ours {t['ours']:.1f}"
        )
        for who in ("micrograd", "ours"):
            c = g["mlp_step"][who]
            lines.append(
                f"   mlp_step {who:9}: collections gen0/1/2 "
                f"{'/'.join(map(str, c['collections']))}, {100 * c['gc_share']:.0f} % of its time"
            )
    mem = res.get("memory")
    if mem:
        b = mem["bytes_per_node"]
        lines.append(
            f"memory peak/node  micrograd {b['micrograd']:6.0f} B  ours {b['ours']:6.0f} B  "
            f"(ours/micrograd {100 * mem['ratio_vs_micrograd_per_node']:.0f} % per node, "
            f"{100 * mem['ratio_vs_micrograd_total']:.0f} % total)"
        )
    e = res.get("epoch")
    if e:
        s = e["seconds_per_epoch"]
        lines.append(
            f"epoch ({e['points']} pts, full batch)  micrograd {s['micrograd']:.3f} s  "
            f"ours eager {s['ours_eager']:.3f} s  numpy {1e3 * s['numpy']:.3f} ms"
        )
        lines.append(
            f"   compiled, parameters in an array {1e3 * s['ours_compiled']:.3f} ms: / numpy "
            f"{_rt(e['ratio_compiled_vs_numpy'])}; {e['numpy_calls_per_epoch']} numpy calls "
            f"per epoch for {e['tape_nodes']} tape nodes"
        )
        lines.append(
            f"   compiled, parameters in Values {1e3 * s['ours_compiled_values']:.3f} ms: / numpy "
            f"{_rt(e['ratio_compiled_values_vs_numpy'])}; fit(compiled=True) per epoch "
            f"{1e3 * s['ours_fit']:.3f} ms: / numpy {_rt(e['ratio_fit_vs_numpy'])}"
        )
        lines.append(
            f"   eager vs micrograd {_sp(e['speedup_eager_vs_micrograd'])}; compiled vs eager "
            f"grads: max rel diff {e['compiled_vs_eager_max_rel_grad_diff']:.1e}"
        )
    if "grading" in res:
        from benchmarks.grading import report_lines

        lines += report_lines(res["grading"])
    if "first_picture" in res:
        from benchmarks.first_picture import report_lines as first_picture_lines

        lines += first_picture_lines(res["first_picture"])
    if "cli_start" in res:
        from benchmarks.cli_start import report_lines as cli_start_lines

        lines += cli_start_lines(res["cli_start"])
    for name, sc in res.get("scale", {}).items():
        s = sc["seconds_per_epoch"]
        pk = sc["peak_mb"]
        lines.append(
            f"scale {name}: compiled {1e3 * s['ours_compiled']:.1f} ms  numpy "
            f"{1e3 * s['numpy']:.1f} ms  ({_rt(sc['ratio_compiled_vs_numpy'])}); "
            f"peak {pk['ours_compiled']:.0f} MB vs {pk['numpy']:.0f} MB; "
            f"{sc['numpy_calls_per_epoch']} numpy calls"
        )
    failed = failed_checks(res)
    lines.append("")
    lines.append(
        "correctness checks: " + ("all passed" if not failed else "FAILED " + ", ".join(failed))
    )
    return "\n".join(lines)


def failed_checks(res: Any, path: str = "") -> list[str]:
    """Names of every check_* entry that is False."""
    out: list[str] = []
    if isinstance(res, dict):
        for k, v in res.items():
            here = f"{path}.{k}" if path else k
            if k.startswith("check_") and v is not True:
                out.append(here)
            else:
                out.extend(failed_checks(v, here))
    return out


def run(quick: bool = False, only: Sequence[str] | None = None) -> dict[str, Any]:
    """Every workload (or those named in ``only``); quick: tiny sizes, one round each."""
    with deep_recursion(5_000_000):  # for micrograd, see deep_recursion
        return _run(quick, only)


def _run(quick: bool, only: Sequence[str] | None) -> dict[str, Any]:
    want = set(only) if only else set(WORKLOADS)
    res: dict[str, Any] = {
        "quick": quick,
        "machine": machine(),
        "when": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
    work: dict[str, Callable[[], Any]] = {
        "mlp_step": lambda: bench_mlp_step(
            10 if quick else 100, 1 if quick else 9, 1 if quick else 3
        ),
        "chain": lambda: bench_chain(
            [1_000] if quick else [1_000, 10_000, 100_000, 1_000_000], 1 if quick else 5
        ),
        "backward": lambda: bench_backward(10 if quick else 100, 1 if quick else 9),
        "wide": lambda: bench_wide(1_000 if quick else 100_000, 1 if quick else 5),
        "tanh_expr": lambda: bench_tanh_expr(20 if quick else 2_000, 1 if quick else 9),
        "memory": lambda: bench_memory(10 if quick else 100),
        "gc": lambda: bench_gc(10 if quick else 100),
        "epoch": lambda: bench_epoch(30 if quick else 1_000, 1 if quick else 5),
        "scale": lambda: bench_scale(
            [(50, [8, 1])]
            if quick
            else [(1_000, [16, 16, 1]), (100_000, [16, 16, 1]), (100_000, [64, 64, 1])],
            1 if quick else 5,
        ),
        "grading": lambda: _grading(30 if quick else 1_000),
        "first_picture": lambda: _first_picture(1 if quick else 9),
        "cli_start": lambda: _cli_start(1 if quick else 9),
    }
    for name, fn in work.items():
        if name in want:
            if not quick:
                print(f"running {name} ...", file=sys.stderr, flush=True)
            res[name] = fn()
    return res


def _grading(n: int) -> dict[str, Any]:
    from benchmarks.grading import bench_grading

    return bench_grading(n)


def _first_picture(rounds: int) -> dict[str, Any]:
    from benchmarks.first_picture import bench_first_picture

    return bench_first_picture(rounds)


def _cli_start(rounds: int) -> dict[str, Any]:
    from benchmarks.cli_start import bench_cli_start

    return bench_cli_start(rounds)


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        prog="python -m benchmarks.run", description=__doc__.split("\n")[0]
    )
    ap.add_argument("--quick", action="store_true", help="tiny sizes, one round: a smoke test")
    ap.add_argument("--only", nargs="+", choices=WORKLOADS)
    ap.add_argument("--out", type=Path, default=RESULTS, help="folder for the JSON results")
    args = ap.parse_args(argv)
    if MValue is None:
        print(
            "benchmarks need micrograd==0.1.0: pip install 'tracegrad[bench]' (make bench "
            "installs it)",
            file=sys.stderr,
        )
        return 2
    if not gc.isenabled():
        gc.enable()
    res = run(args.quick, args.only)
    args.out.mkdir(parents=True, exist_ok=True)
    name = "quick.json" if args.quick else time.strftime("bench-%Y%m%d-%H%M%S.json", time.gmtime())
    path = args.out / name
    path.write_text(json.dumps(res, indent=2) + "\n")
    print(report(res))
    print(f"\nwritten: {path}")
    return 1 if failed_checks(res) else 0


if __name__ == "__main__":
    sys.exit(main())

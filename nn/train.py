"""``fit``: the training loop of the seed articles — forward, loss, backward, update, repeat.

One epoch is one pass over the samples in batches. ``batch_size=1`` updates after every
sample (online learning, as the first article does with its three samples); a larger batch
averages the per-sample loss over the batch before one update (mini-batch); ``None`` uses
all samples at once. Training stops after ``epochs``, or earlier when the loss has changed
by less than ``tol`` for ``patience`` epochs in a row (the second article's convergence).

The work of one batch — forward, loss, gradients into every parameter's ``.grad`` — is one
function made by ``make_eager_step``; another engine can supply its own with the same
signature (``BatchStep``) and ``fit`` is unchanged.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

with warnings.catch_warnings():  # in Jupyter without ipywidgets: a text bar, not a warning
    warnings.simplefilter("ignore")
    from tqdm.auto import tqdm

from tracegrad.autograd.formatting import fmt
from tracegrad.autograd.value import Value
from tracegrad.nn.flat import MAX_COMPILED_TARGETS, BatchResult, FlatParams, TargetTapes
from tracegrad.nn.layers import MLP
from tracegrad.nn.losses import LossSpec, get_loss
from tracegrad.nn.losses import l2 as l2_penalty
from tracegrad.nn.module import Module
from tracegrad.nn.optim import SGD, Optimizer

__all__ = [
    "fit",
    "History",
    "BatchResult",
    "BatchStep",
    "make_eager_step",
    "make_compiled_step",
    "make_array_step",
    "accuracy",
    "MAX_COMPILED_TARGETS",
]


# (X_batch of shape (b, nin), y_batch) -> BatchResult, leaving d(loss)/d(param) in each .grad
BatchStep = Callable[[np.ndarray, np.ndarray], BatchResult]


@dataclass
class History:
    """Per epoch: the mean loss and accuracy over the epoch's samples (each measured just
    before its own update) and the learning rate used at the epoch's end."""

    loss: list[float] = field(default_factory=list)
    accuracy: list[float | None] = field(default_factory=list)
    lr: list[float] = field(default_factory=list)
    converged: bool = False  # stopped early because the loss stopped changing

    @property
    def epochs(self) -> int:
        return len(self.loss)

    def __repr__(self) -> str:
        """'History(25 epochs: loss 0.1067 -> 0.0103, lr 1.2)': the run at a glance (the
        lists stay attributes: ``h.loss``, ``h.accuracy``, ``h.lr``)."""
        if not self.loss:
            return "History(no epochs)"
        parts = [f"loss {fmt(self.loss[0])} -> {fmt(self.loss[-1])}"]
        if self.accuracy and self.accuracy[-1] is not None:
            parts.append(f"accuracy {self.accuracy[-1]:.1%}")
        if self.lr:
            first, last = f"{self.lr[0]:g}", f"{self.lr[-1]:g}"
            parts.append(f"lr {first}" if first == last else f"lr {first} -> {last}")
        if self.converged:
            parts.append("converged")
        s = "s" if self.epochs != 1 else ""
        return f"History({self.epochs} epoch{s}: {', '.join(parts)})"


def make_eager_step(model: Module, loss: LossSpec, l2: float = 0.0) -> BatchStep:
    """The batch step on the eager Value engine: one graph for the batch's mean loss (plus
    ``l2`` · Σ w² when l2 > 0), then one backward() from it."""
    fn = loss.fn
    params = model.parameters()

    def step(Xb: np.ndarray, yb: np.ndarray) -> BatchResult:
        rows = Xb.tolist()
        targets = yb.tolist()
        total: Value | None = None
        outputs = []
        for x, t in zip(rows, targets):
            out = model(x)  # type: ignore[operator]
            outputs.append([out.data] if isinstance(out, Value) else [o.data for o in out])
            sample_loss = fn(out, t)
            total = sample_loss if total is None else total + sample_loss
        assert total is not None  # fit never passes an empty batch
        if len(rows) > 1:
            total = total / len(rows)
        if l2:
            total = total + l2_penalty(params, l2)
        total.backward()
        return BatchResult(total.data, np.array(outputs, dtype=float))

    return step


def make_compiled_step(model: Module, loss: LossSpec, l2: float = 0.0) -> BatchStep:
    """The batch step on ``tracegrad.autograd.compile``: the same loss and gradients as
    ``make_eager_step``, each batch replayed with numpy instead of built node by node.

    Losses read their target as a number, so a tape is traced per distinct target (a class
    label, or a row of targets) and kept for later batches; targets that take many values
    (regression) are for the eager step. Outputs come from ``model.predict`` when it has one.
    A loss whose graph depends on the data (bce_with_logits and cross_entropy branch on
    ``.data``) raises ControlFlowError when detected; see ``tracegrad.autograd.compiled.tape``
    for what is.
    """
    params = model.parameters()
    tapes = TargetTapes(model, loss.fn)

    def step(Xb: np.ndarray, yb: np.ndarray) -> BatchResult:
        n = len(Xb)
        total = 0.0
        for tape, X_t in tapes.split(Xb, yb):
            total += float(tape.backward(X_t, scale=1.0 / n).sum())
        total /= n
        if l2:
            penalty = l2_penalty(params, l2)
            penalty.backward()
            total += penalty.data
        return BatchResult(total, _outputs(model, Xb))

    return step


def make_array_step(model: Module, loss: LossSpec, flat: FlatParams) -> BatchStep:
    """``make_compiled_step`` with the parameters held in ``flat`` (a ``FlatParams`` over
    ``model.parameters()``): the gradients (and flat.l2's term) go into ``flat.grad``, not
    into the Values; ``flat.step()`` then updates ``flat.data``. Same numbers as the eager
    step within rounding."""
    tapes = TargetTapes(model, loss.fn)
    mlp_predict = model.predict if isinstance(model, MLP) else None

    def step(Xb: np.ndarray, yb: np.ndarray) -> BatchResult:
        n = len(Xb)
        flat.zero_grad()
        total = 0.0
        for tape, X_t in tapes.split(Xb, yb):
            total += float(flat.backward(tape, X_t, scale=1.0 / n).sum())
        total /= n
        if flat.l2:
            total += flat.add_l2()
        if mlp_predict is not None:
            outputs = np.asarray(mlp_predict(Xb, flat.data[: flat.m])).reshape(n, -1)
        else:  # the model reads its Values: bring them up to date first
            flat.write_back()
            outputs = _outputs(model, Xb)
        return BatchResult(total, outputs)

    return step


def _outputs(model: Module, Xb: np.ndarray) -> np.ndarray:
    """The model's outputs for a batch, shape (batch, nout), from its Values' numbers."""
    predict = getattr(model, "predict", None)
    if predict is not None:
        return np.asarray(predict(Xb), dtype=float).reshape(len(Xb), -1)
    outs = [model(x) for x in Xb.tolist()]  # type: ignore[operator]
    return np.array([[o.data] if isinstance(o, Value) else [v.data for v in o] for o in outs])


def accuracy(outputs: np.ndarray, y: np.ndarray, loss: LossSpec) -> float | None:
    """The fraction of samples whose predicted class equals y, or None when y is not class
    labels (e.g. the seed article's target pairs).

    One output: the larger label above the loss's threshold (0.5 for probabilities, 0 for
    scores; halfway between the two labels for mse). Several outputs: the arg-max.
    """
    y = np.asarray(y)
    if y.ndim == 2 and y.shape[1] == 1:
        y = y[:, 0]
    if y.ndim != 1 or y.size == 0 or not np.all(np.isfinite(y)) or not np.all(y == np.round(y)):
        return None
    outputs = np.asarray(outputs, dtype=float).reshape(len(y), -1)
    if outputs.shape[1] == 1:
        labels = np.unique(y)
        if len(labels) > 2:
            return None
        lo, hi = (float(labels[0]), float(labels[-1])) if len(labels) == 2 else _pair(labels[0])
        threshold = loss.threshold if loss.threshold is not None else (lo + hi) / 2
        pred = np.where(outputs[:, 0] > threshold, hi, lo)
    else:
        pred = np.argmax(outputs, axis=1)
    return float(np.mean(pred == y))


def _pair(label: float) -> tuple[float, float]:
    """The two classes when only one label occurs: {0, 1}, or {-1, 1}."""
    return (-1.0, 1.0) if label < 0 else (0.0, 1.0) if label <= 1 else (0.0, float(label))


def _check_data(model: Module, X: Any, y: Any) -> tuple[np.ndarray, np.ndarray]:
    try:
        Xa = np.asarray(X, dtype=float)
    except (TypeError, ValueError) as e:
        raise ValueError(f"fit: X must be a table of numbers ({e})") from None
    if Xa.ndim == 1:
        Xa = Xa.reshape(-1, 1)
    if Xa.ndim != 2 or Xa.shape[0] == 0:
        raise ValueError(f"fit: X must have shape (samples, inputs), got {Xa.shape}")
    nin = getattr(model, "nin", None)
    if nin is not None and Xa.shape[1] != nin:
        raise ValueError(f"fit: X has {Xa.shape[1]} columns but the model takes {nin} inputs")
    ya = np.asarray(y)
    if ya.dtype == object or not np.issubdtype(ya.dtype, np.number):
        raise ValueError(f"fit: y must hold numbers, got dtype {ya.dtype}")
    if len(ya) != len(Xa):
        raise ValueError(f"fit: X has {len(Xa)} samples but y has {len(ya)}")
    return Xa, ya


def _check_options(
    epochs: Any, batch_size: Any, tol: float | None, patience: Any, l2: float
) -> int:
    """fit's numeric options checked, one clear error each; returns the batch size."""
    if not isinstance(epochs, int) or isinstance(epochs, bool) or epochs < 0:
        raise ValueError(f"fit: epochs must be an int >= 0, got {epochs!r}")
    if not isinstance(batch_size, int) or isinstance(batch_size, bool) or batch_size < 1:
        raise ValueError(f"fit: batch_size must be an int >= 1 or None, got {batch_size!r}")
    if tol is not None and not tol >= 0:
        raise ValueError(f"fit: tol must be >= 0, got {tol!r}")
    if not isinstance(patience, int) or patience < 1:
        raise ValueError(f"fit: patience must be an int >= 1, got {patience!r}")
    if not l2 >= 0:
        raise ValueError(f"fit: l2 must be >= 0, got {l2!r}")
    return batch_size


def _stepper(
    model: Module, spec: LossSpec, opt: Optimizer, l2: float, compiled: bool
) -> tuple[FlatParams | None, BatchStep, Callable[[], None], Callable[[], None]]:
    """fit's step and how it zeroes and updates: on the Values, or (compiled, with an optimizer
    FlatParams supports) on the parameters held in one array, which is returned too."""
    if compiled and FlatParams.supports(opt):
        flat = FlatParams(model.parameters(), opt, l2)
        return flat, make_array_step(model, spec, flat), flat.zero_grad, flat.step
    step = (make_compiled_step if compiled else make_eager_step)(model, spec, l2)
    return None, step, opt.zero_grad, opt.step


def _epoch(
    batches: list[np.ndarray],
    X: np.ndarray,
    y: np.ndarray,
    step: BatchStep,
    zero_grad: Callable[[], None],
    update: Callable[[], None],
    epoch: int,
) -> tuple[float, np.ndarray]:
    """One pass over the batches: the mean loss and the outputs, in the batches' order."""
    total = 0.0
    outputs = []
    for idx in batches:
        zero_grad()
        result = step(X[idx], y[idx])
        if not math.isfinite(result.loss):
            raise FloatingPointError(
                f"fit: the loss became {result.loss} in epoch {epoch + 1}: the weights "
                "diverged; try a smaller learning rate"
            )
        update()
        total += result.loss * len(idx)
        outputs.append(result.outputs)
    return total / sum(len(idx) for idx in batches), np.concatenate(outputs)


def fit(
    model: Module,
    X: Any,
    y: Any,
    *,
    loss: str | Callable[[Any, Any], Value] | LossSpec = "mse",
    optimizer: Optimizer | None = None,
    epochs: int = 100,
    batch_size: int | None = None,
    shuffle: bool = False,
    seed: int = 0,
    l2: float = 0.0,
    tol: float | None = None,
    patience: int = 5,
    progress: bool = True,
    callback: Callable[[int, float, float | None], None] | None = None,
    compiled: bool = False,
) -> History:
    """Train ``model`` on samples X (shape (n, inputs)) with targets y; return the History.

    loss: a name from ``tracegrad.nn.losses.LOSSES`` or a function (prediction, target) -> Value.
    optimizer: defaults to ``SGD(model.parameters(), lr=0.1)``.
    batch_size: 1 for online updates, k for mini-batches, None for the whole set.
    shuffle: visit the samples in a new seeded order each epoch (default: in order).
    tol, patience: stop once |loss change| < tol for ``patience`` epochs in a row.
    progress: show a tqdm bar with the loss and accuracy while training; it is cleared when
    ``fit`` returns (the History keeps every epoch's numbers). callback(epoch, loss, accuracy)
    runs after every epoch (epochs count from 1).
    compiled: run each batch on ``tracegrad.autograd.compile`` (numpy over the whole batch, same
    gradients; see ``make_compiled_step``) instead of one graph of Values per batch. With
    SGD, Momentum or Adam the parameters are then held in one array while training
    (``tracegrad.nn.flat``) and written back into the Values before each callback and when
    ``fit`` returns or raises.
    """
    Xa, ya = _check_data(model, X, y)
    spec = get_loss(loss)
    n = len(Xa)
    batch_size = _check_options(epochs, n if batch_size is None else batch_size, tol, patience, l2)
    opt = optimizer if optimizer is not None else SGD(model.parameters(), lr=0.1)
    flat, step, zero_grad, update = _stepper(model, spec, opt, l2, compiled)
    rng = np.random.default_rng(seed)
    history = History()
    calm = 0  # epochs in a row with |loss change| < tol
    bar = tqdm(range(epochs), desc="training", unit="epoch", disable=not progress, leave=False)
    try:
        for epoch in bar:
            opt.epoch = epoch
            order = rng.permutation(n) if shuffle else np.arange(n)
            batches = [order[i : i + batch_size] for i in range(0, n, batch_size)]
            mean_loss, outputs = _epoch(batches, Xa, ya, step, zero_grad, update, epoch)
            acc = accuracy(outputs, ya[order], spec)
            history.loss.append(mean_loss)
            history.accuracy.append(acc)
            history.lr.append(opt.lr)
            if progress:
                post = {"loss": fmt(mean_loss)}
                if acc is not None:
                    post["acc"] = f"{acc:.1%}"
                bar.set_postfix(post, refresh=False)
            if callback is not None:
                if flat is not None:
                    flat.write_back()  # the callback may look at the model, or change it
                callback(epoch + 1, mean_loss, acc)
                if flat is not None:
                    flat.read_values()
            if tol is not None and len(history.loss) > 1:
                calm = calm + 1 if abs(history.loss[-1] - history.loss[-2]) < tol else 0
                if calm >= patience:
                    history.converged = True
                    break
    finally:
        if flat is not None:
            flat.write_back()
    bar.close()
    return history

"""Loss functions on Values: one sample's prediction against its target, giving a Value.

- ``mse``: mean over the outputs of (y - ŷ)².
- ``half_sse``: the seed article's E = Σ ½ (y - ŷ)² (the ½ cancels the 2 of the derivative).
- ``bce``: binary cross-entropy of probabilities, -[y log p + (1 - y) log(1 - p)]. Each log is
  floored at -100 as PyTorch does, so p = 0 or 1 gives a large finite loss, not an error.
- ``bce_with_logits``: the same from a raw score z (p = sigmoid(z)), computed stably as
  max(z, 0) - y z + log(1 + exp(-|z|)); its gradient is exactly sigmoid(z) - y.
- ``cross_entropy``: softmax cross-entropy over several classes, log-sum-exp with the
  largest score subtracted first so exp never overflows.
- ``hinge``: the max-margin loss max(0, 1 - y s) for labels ±1 (0 is read as -1), or the
  multi-class max(0, 1 + s_j - s_target) summed over the other classes.
- ``l2``: strength · Σ w², the L2 regularisation added to a loss.

``fit`` averages the per-sample loss over a batch. ``get_loss(name)`` looks a loss up by name.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Union

from tracegrad.autograd.value import Value, as_value
from tracegrad.nn.module import is_array

__all__ = [
    "mse",
    "half_sse",
    "bce",
    "bce_with_logits",
    "cross_entropy",
    "hinge",
    "l2",
    "LossSpec",
    "LOSSES",
    "get_loss",
]

Pred = Union[Value, float, Sequence[Union[Value, float]]]
LOG_FLOOR = -100.0  # the smallest value a log term takes in bce (PyTorch's BCELoss clamp)
_TINY = math.exp(LOG_FLOOR)


def _values(pred: Any) -> list[Value]:
    if isinstance(pred, (Value, numbers.Real)):
        return [as_value(pred)]
    if is_array(pred):
        pred = pred.tolist()
    return [as_value(p) for p in pred]


def _targets(target: Any, n: int, who: str) -> list[float]:
    if isinstance(target, Value):
        target = target.data
    if is_array(target):
        target = target.tolist()
    ts = [target] if isinstance(target, numbers.Real) else list(target)
    if len(ts) != n:
        raise ValueError(f"{who}: the prediction has {n} output(s) but the target has {len(ts)}")
    out = []
    for t in ts:
        if isinstance(t, Value):
            t = t.data
        if isinstance(t, bool) or not isinstance(t, numbers.Real):
            raise TypeError(f"{who}: targets must be numbers, got {t!r}")
        out.append(float(t))
    return out


def _total(terms: Iterable[Value]) -> Value:
    """t0 + t1 + ... without the extra '0 +' node that sum() would add."""
    it = iter(terms)
    try:
        acc = next(it)
    except StopIteration:
        raise ValueError("a loss needs at least one output with a nonzero target") from None
    for t in it:
        acc = acc + t
    return acc


def mse(pred: Pred, target: Any) -> Value:
    """Mean squared error over the outputs: (1/n) Σ (ŷ - y)²."""
    ps = _values(pred)
    ts = _targets(target, len(ps), "mse")
    total = _total((p - t) ** 2 for p, t in zip(ps, ts))
    return total if len(ps) == 1 else total / len(ps)


def half_sse(pred: Pred, target: Any) -> Value:
    """The seed article's error E = Σ ½ (y - ŷ)²; dE/dŷ = ŷ - y."""
    ps = _values(pred)
    ts = _targets(target, len(ps), "half_sse")
    return _total(0.5 * (t - p) ** 2 for p, t in zip(ps, ts))


def _log_floored(v: Value) -> Value:
    """log(v), or the constant LOG_FLOOR (no gradient) where v <= exp(LOG_FLOOR)."""
    if v.data > _TINY:
        return v.log()
    return Value(LOG_FLOOR)


def bce(pred: Pred, target: Any) -> Value:
    """Binary cross-entropy of probabilities p in [0, 1] against y in [0, 1], mean over outputs.

    Terms with a zero coefficient are left out, so y = 1 costs -log p and y = 0 costs
    -log(1 - p); each log is floored at -100 (finite even at p = 0 or 1).
    """
    ps = _values(pred)
    ts = _targets(target, len(ps), "bce")
    terms = []
    for p, y in zip(ps, ts):
        if not 0.0 <= p.data <= 1.0:
            raise ValueError(
                f"bce needs probabilities in [0, 1], got {p.data!r}; use a sigmoid output "
                "or bce_with_logits on the raw score"
            )
        if not 0.0 <= y <= 1.0:
            raise ValueError(f"bce needs targets in [0, 1], got {y!r}")
        parts = []
        if y != 0.0:
            parts.append(y * _log_floored(p))
        if y != 1.0:
            parts.append((1.0 - y) * _log_floored(1.0 - p))
        terms.append(-_total(parts))
    total = _total(terms)
    return total if len(ps) == 1 else total / len(ps)


def bce_with_logits(pred: Pred, target: Any) -> Value:
    """Binary cross-entropy of sigmoid(z) computed from the score z, stable for any z.

    max(z, 0) - y z + log(1 + exp(-|z|)), written per sign of z so exp's argument is <= 0.
    """
    zs = _values(pred)
    ts = _targets(target, len(zs), "bce_with_logits")
    terms = []
    for z, y in zip(zs, ts):
        if z.data > 0:  # (1 - y) z + log(1 + exp(-z))
            terms.append((1.0 - y) * z + (1.0 + (-z).exp()).log())
        else:  # -y z + log(1 + exp(z))
            terms.append(-y * z + (1.0 + z.exp()).log())
    total = _total(terms)
    return total if len(zs) == 1 else total / len(zs)


def _class_index(target: Any, k: int, who: str) -> int | None:
    """target as a class index in range(k), or None when it is a vector of k numbers."""
    if is_array(target) and target.ndim == 0:
        target = target.item()
    if isinstance(target, numbers.Integral) and not isinstance(target, bool):
        t = int(target)
        if not 0 <= t < k:
            raise ValueError(f"{who}: class {t} is out of range for {k} scores (0..{k - 1})")
        return t
    if isinstance(target, numbers.Real):
        f = float(target)
        if f.is_integer() and 0 <= f < k:
            return int(f)
        raise ValueError(f"{who}: the target must be a class index 0..{k - 1}, got {target!r}")
    return None


def cross_entropy(pred: Sequence[Value | float], target: Any) -> Value:
    """Softmax cross-entropy: log Σ exp(z) - z[target] (target: a class index or a
    probability vector). The largest score is subtracted inside the exp for stability."""
    zs = _values(pred)
    k = len(zs)
    m = max(z.data for z in zs)
    lse = m + _total((z - m).exp() for z in zs).log()
    t = _class_index(target, k, "cross_entropy")
    if t is not None:
        return lse - zs[t]
    ts = _targets(target, k, "cross_entropy")
    return _total(lse * y - z * y for z, y in zip(zs, ts) if y != 0.0)


def hinge(pred: Pred, target: Any) -> Value:
    """Max-margin loss. One score s with label y = ±1 (0 means -1): max(0, 1 - y s).
    Several scores with a class index t: Σ_(j != t) max(0, 1 + s_j - s_t)."""
    ss = _values(pred)
    if len(ss) == 1:
        (y,) = _targets(target, 1, "hinge")
        if y not in (-1.0, 0.0, 1.0):
            raise ValueError(f"hinge needs a label of -1 or +1 (or 0 for -1), got {y!r}")
        y = 1.0 if y > 0 else -1.0
        return (1.0 - y * ss[0]).relu()
    t = _class_index(target, len(ss), "hinge")
    if t is None:
        raise ValueError("hinge with several scores needs the target as a class index")
    return _total((1.0 + s - ss[t]).relu() for j, s in enumerate(ss) if j != t)


def l2(params: Iterable[Value], strength: float) -> Value:
    """L2 regularisation: strength · Σ w² over the given parameters."""
    return strength * _total(p * p for p in params)


@dataclass(frozen=True)
class LossSpec:
    """A loss by name, with how its model output becomes a class label for accuracy, and
    its formula as text (what the homework checker and ``solve`` write).

    ``threshold``: for one output, the score above which the label is the larger class
    (0.5 for probabilities, 0 for raw scores); None means halfway between the two labels.
    ``term`` is one output's part of the loss and ``slope`` its derivative dE/do, with
    ``{y}`` the target, ``{o}`` the output, ``{n}`` the number of outputs and ``{s}`` the
    softmax's denominator (exp(o1) + exp(o2) + ...); ``reduce`` says how the terms combine
    ('sum' or 'mean'); ``joint``: each term uses every output (softmax), not only its own;
    ``targets`` says which targets the loss allows; ``aliases`` are other names a file may use.
    """

    name: str
    fn: Callable[[Any, Any], Value]
    threshold: float | None = None
    term: str = ""
    slope: str = ""
    reduce: str = "mean"
    aliases: tuple[str, ...] = ()
    joint: bool = False
    targets: str = ""

    def target_problem(
        self, targets: Sequence[Sequence[float]], output_activation: str
    ) -> tuple[int, str] | None:
        """What makes this loss impossible on a network's targets, as (sample index, one
        line), or None; the index is -1 when the network's output is what the loss cannot
        take. bce takes targets in [0, 1] and a sigmoid output (probabilities); softmax
        cross-entropy takes targets in [0, 1] that add up to 1 (a class as one-hot,
        or a distribution over the classes)."""
        if self.name == "bce" and output_activation != "sigmoid":
            return -1, f"{self.name} needs probabilities: a sigmoid output, not {output_activation}"
        for i, ys in enumerate(targets):
            bad = [y for y in ys if not 0.0 <= y <= 1.0] if self.targets else []
            if bad:
                return i, f"sample {i + 1}: {self.name} needs targets from 0 to 1, got {bad[0]:g}"
            if self.targets == "distribution" and abs(sum(ys) - 1.0) > 1e-9:
                return i, (
                    f"sample {i + 1}: {self.name} needs targets that add up to 1 (one class "
                    f"as 1, the others 0), got {sum(ys):g}"
                )
        return None

    def term_text(self, y: str, o: str, n: int, outputs: Sequence[str] = ()) -> str:
        """One output's term as a textbook writes it: no '/ 1' for one output."""
        return _written(self.term, y, o, n, outputs or [o])

    def slope_text(self, y: str, o: str, n: int, outputs: Sequence[str] = ()) -> str:
        """dE/do for one output, written the same way."""
        return _written(self.slope, y, o, n, outputs or [o])

    def formula(self, outputs: Sequence[str], targets: Sequence[str]) -> str:
        """E written out for named outputs and targets: '1/2 (y1 - o1)**2 + ...'."""
        n = len(outputs)
        text = " + ".join(self.term_text(t, o, n, outputs) for o, t in zip(outputs, targets))
        return text.replace(" + -", " - ")


def _written(template: str, y: str, o: str, n: int, outputs: Sequence[str]) -> str:
    s = " + ".join(f"exp({k})" for k in outputs)
    text = template.format(y=y, o=o, n=n, s=s)
    for said, meant in (  # a target of 0 or 1 leaves one log of the cross-entropy
        (f"-(1 log({o}) + (1 - 1) log(1 - {o}))", f"-log({o})"),
        (f"-(0 log({o}) + (1 - 0) log(1 - {o}))", f"-log(1 - {o})"),
        ("-1 log(", "-log("),
    ):
        text = text.replace(said, meant)
    if text.startswith("-0 log("):
        text = "0"
    return text.replace(" / 1", "") if n == 1 else text


LOSSES: dict[str, LossSpec] = {
    s.name: s
    for s in [
        LossSpec(
            "mse",
            mse,
            term="({y} - {o})**2 / {n}",
            slope="-2 ({y} - {o}) / {n}",
            aliases=("mean_squared_error",),
        ),
        LossSpec(
            "half_sse",
            half_sse,
            term="1/2 ({y} - {o})**2",
            slope="-({y} - {o})",
            reduce="sum",
            aliases=("half_sum_squares", "half-sse"),
        ),
        LossSpec(
            "bce",
            bce,
            0.5,
            term="-({y} log({o}) + (1 - {y}) log(1 - {o})) / {n}",
            slope="({o} - {y}) / ({o} (1 - {o})) / {n}",
            aliases=("binary_cross_entropy",),
            targets="probability",
        ),
        LossSpec("bce_with_logits", bce_with_logits, 0.0),
        LossSpec(
            "cross_entropy",
            cross_entropy,
            term="-{y} log(exp({o}) / ({s}))",
            slope="exp({o}) / ({s}) - {y}",
            reduce="sum",
            aliases=("softmax_cross_entropy",),
            joint=True,
            targets="distribution",
        ),
        LossSpec("hinge", hinge, 0.0),
    ]
}


def get_loss(loss: str | Callable[[Any, Any], Value] | LossSpec) -> LossSpec:
    """The LossSpec for a name in LOSSES or a callable (pred, target) -> Value."""
    if isinstance(loss, LossSpec):
        return loss
    if isinstance(loss, str):
        if loss in LOSSES:
            return LOSSES[loss]
        for spec in LOSSES.values():
            if loss in spec.aliases:
                return spec
        raise ValueError(f"unknown loss {loss!r}; use one of {', '.join(LOSSES)} or a function")
    if callable(loss):
        for spec in LOSSES.values():
            if spec.fn is loss:
                return spec
        return LossSpec(getattr(loss, "__name__", "loss"), loss)
    raise TypeError(f"loss must be a name or a callable, got {type(loss).__name__}")

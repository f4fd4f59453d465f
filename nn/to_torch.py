"""Graduate to PyTorch: the same network, loss and optimizer in torch, number for number.

- ``module_to_torch(model)`` (``MLP.to_torch()``, ``Layer.to_torch()``, ``Neuron.to_torch()``):
  a float64 ``torch.nn.Sequential`` of ``Linear`` layers and activations (``ReLU``, ``Tanh``,
  ``Sigmoid``; ``linear`` adds no module) with identical weights. Linear layer i's
  ``weight[j, k]`` is neuron j's ``w[k]`` and ``bias[j]`` its ``b``: flattened row by row, layer
  by layer, the weights read w1, w2, ... in the textbook numbering (weights per neuron, then the
  bias), so the seed article's ``w5`` is ``model[2].weight[0, 0]``.
- ``mlp_from_torch(module)`` (``MLP.from_torch``): the other way, refusing clearly what an MLP
  cannot represent.
- ``torch_loss(name)``: each loss of ``tracegrad.nn.losses`` as PyTorch writes it
  (``TORCH_LOSSES``).
- ``optimizer_to_torch(opt, model, torch_model)``: SGD, Momentum and Adam as ``torch.optim``
  with the same hyper-parameters and the state they have built up so far.
- ``compare_with_torch(model, X, y, loss=...)``: one forward and backward pass on both engines,
  every parameter's gradient side by side and the largest difference.

torch is optional (``pip install 'tracegrad[oracle]'``) and imported only when called.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from tracegrad.autograd.hooks import require_torch
from tracegrad.autograd.value import Value
from tracegrad.nn.layers import MLP, Model
from tracegrad.nn.losses import LOSSES, LossSpec, get_loss
from tracegrad.nn.optim import SGD, Adam, Momentum, Optimizer
from tracegrad.nn.torch_module import TORCH_ACTIVATIONS, model_layers, module_to_torch
from tracegrad.nn.train import make_eager_step

__all__ = [
    "TORCH_ACTIVATIONS",
    "TORCH_LOSSES",
    "TorchLoss",
    "ParamPair",
    "TorchComparison",
    "module_to_torch",
    "mlp_from_torch",
    "parameter_pairs",
    "torch_loss",
    "optimizer_to_torch",
    "compare_with_torch",
]


@dataclass(frozen=True)
class ParamPair:
    """One parameter on both sides: the Value and the element of a torch tensor."""

    textbook: str  # w5, b3: weights numbered per neuron across the network, then biases
    name: str  # tracegrad's dotted name: layers.1.neurons.0.w.0
    torch_name: str  # 2.weight[0, 0]
    value: Value
    tensor: Any  # the torch Parameter holding it
    index: tuple[int, ...]


def mlp_from_torch(module: Any) -> MLP:
    """``MLP.from_torch(module)``: an MLP with the weights of a torch module."""
    return MLP.from_torch(module)


def parameter_pairs(model: Model, torch_model: Any) -> list[ParamPair]:
    """Each tracegrad parameter with its torch counterpart, in ``model.parameters()`` order.

    ``torch_model`` must be laid out as ``module_to_torch`` makes it: its Linear layers in
    order, shaped like the model's layers.
    """
    torch = require_torch()
    layers = model_layers(model)
    linears = [(name, m) for name, m in torch_model.named_modules() if type(m) is torch.nn.Linear]
    shapes = [(len(ns), len(ns[0].w)) for ns, _ in layers]
    got = [tuple(m.weight.shape) for _, m in linears]
    if got != shapes:
        raise ValueError(
            f"the torch model's Linear weights have shapes {got}, the model's layers {shapes}"
        )
    names = dict(model.named_parameters())
    by_id = {id(v): n for n, v in names.items()}
    weights: list[ParamPair] = []
    biases: list[ParamPair] = []
    for (neurons, _), (prefix, lin) in zip(layers, linears):
        p = f"{prefix}." if prefix else ""
        for j, n in enumerate(neurons):
            for k, w in enumerate(n.w):
                t = f"w{len(weights) + 1}"
                weights.append(
                    ParamPair(t, by_id[id(w)], f"{p}weight[{j}, {k}]", w, lin.weight, (j, k))
                )
            t = f"b{len(biases) + 1}"
            biases.append(ParamPair(t, by_id[id(n.b)], f"{p}bias[{j}]", n.b, lin.bias, (j,)))
    order = {id(v): i for i, v in enumerate(names.values())}
    return sorted(weights + biases, key=lambda pp: order[id(pp.value)])


# ---------------------------------------------------------------- losses
@dataclass(frozen=True)
class TorchLoss:
    """A tracegrad loss as PyTorch computes it: ``fn(torch, out, y)`` with the outputs
    shaped (n, nout) and the targets as tracegrad's ``fit`` takes them."""

    name: str
    code: str  # what a PyTorch user writes
    fn: Callable[[Any, Any, Any], Any]


def _float_targets(torch: Any, y: Any, out: Any) -> Any:
    return torch.as_tensor(np.asarray(y, dtype=float), dtype=torch.float64).reshape(out.shape)


def _class_targets(torch: Any, y: Any, out: Any) -> Any | None:
    """Class indices as a long tensor when y holds one index per sample, else None."""
    a = np.asarray(y, dtype=float)
    if out.shape[1] > 1 and a.size == out.shape[0]:
        return torch.as_tensor(a.reshape(-1).astype(np.int64))
    return None


def _cross_entropy(torch: Any, out: Any, y: Any) -> Any:
    t = _class_targets(torch, y, out)
    return torch.nn.CrossEntropyLoss()(out, t if t is not None else _float_targets(torch, y, out))


def _hinge(torch: Any, out: Any, y: Any) -> Any:
    if out.shape[1] == 1:
        t = _float_targets(torch, y, out)
        sign = torch.where(t > 0, 1.0, -1.0).to(torch.float64)
        return torch.relu(1.0 - sign * out).mean()
    t = _class_targets(torch, y, out)
    if t is None:
        raise ValueError("hinge with several scores needs the target as a class index")
    return torch.nn.MultiMarginLoss()(out, t) * out.shape[1]


TORCH_LOSSES: dict[str, TorchLoss] = {
    t.name: t
    for t in [
        TorchLoss(
            "mse",
            "nn.MSELoss()(out, y)",
            lambda torch, out, y: torch.nn.MSELoss()(out, _float_targets(torch, y, out)),
        ),
        TorchLoss(
            "half_sse",
            "0.5 * ((y - out) ** 2).sum() / len(out)",
            lambda torch, out, y: (
                0.5 * ((_float_targets(torch, y, out) - out) ** 2).sum() / out.shape[0]
            ),
        ),
        TorchLoss(
            "bce",
            "nn.BCELoss()(out, y)",
            lambda torch, out, y: torch.nn.BCELoss()(out, _float_targets(torch, y, out)),
        ),
        TorchLoss(
            "bce_with_logits",
            "nn.BCEWithLogitsLoss()(out, y)",
            lambda torch, out, y: torch.nn.BCEWithLogitsLoss()(out, _float_targets(torch, y, out)),
        ),
        TorchLoss(
            "cross_entropy",
            "nn.CrossEntropyLoss()(out, y)  (y: class indices or probabilities)",
            _cross_entropy,
        ),
        TorchLoss(
            "hinge",
            "torch.relu(1 - y * out).mean()  (y = ±1);  "
            "nn.MultiMarginLoss()(out, y) * out.shape[1]  (several scores)",
            _hinge,
        ),
    ]
}


def torch_loss(loss: str | LossSpec | Callable[..., Value]) -> TorchLoss:
    """The PyTorch form of a loss of ``tracegrad.nn.losses`` (by name, spec or function)."""
    spec = get_loss(loss)
    found = TORCH_LOSSES.get(spec.name)
    if found is None or spec.name not in LOSSES or LOSSES[spec.name].fn is not spec.fn:
        raise ValueError(
            f"loss {spec.name!r} has no PyTorch form here; use one of {', '.join(TORCH_LOSSES)}"
        )
    return found


# ---------------------------------------------------------------- optimizers
def optimizer_to_torch(optimizer: Optimizer, model: Model, torch_model: Any) -> Any:
    """The optimizer as ``torch.optim`` over ``torch_model``'s parameters, with the same
    hyper-parameters and the state built up so far (momentum buffers, Adam's moments).

    SGD -> ``torch.optim.SGD(lr)``; Momentum -> ``torch.optim.SGD(lr, momentum, dampening=0,
    nesterov=False)``; Adam -> ``torch.optim.Adam(lr, betas, eps)`` (no weight decay, no
    amsgrad). The optimizer must hold exactly the model's parameters.

    The update rules are the same; their arithmetic differs only in rounding: torch moves
    Adam's m by ``lerp`` (m + (1 - β1)(g - m), not β1 m + (1 - β1) g), divides √v by
    √(1 - β2^t) instead of taking √(v / (1 - β2^t)), and applies lr / (1 - β1^t) as one
    factor; ε is added outside the square root on both sides. torch's first momentum step
    copies g into the buffer, the same number as tracegrad's μ·0 + g. Not translated:
    schedules (refused), and what tracegrad has no counterpart for (nesterov, amsgrad,
    weight_decay: fit's ``l2=s`` adds s·Σw² to the loss, torch's SGD ``weight_decay=2s``).
    """
    torch = require_torch()
    if optimizer.schedule is not None:
        raise ValueError(
            "optimizer_to_torch: a learning-rate schedule is not translated; give torch's "
            "optimizer a torch.optim.lr_scheduler.LambdaLR with the same function yourself"
        )
    pairs = parameter_pairs(model, torch_model)
    where = {id(pp.value): pp for pp in pairs}
    if sorted(map(id, optimizer.params)) != sorted(where):
        raise ValueError(
            "optimizer_to_torch: the optimizer must hold exactly model.parameters() "
            f"({len(where)} parameters; it holds {len(optimizer.params)})"
        )
    params = [m for m in torch_model.parameters()]
    lr = optimizer.base_lr

    def state_tensors(values: Sequence[float]) -> Iterator[tuple[Any, Any]]:
        """(param tensor, tensor of values laid out like it) for each torch parameter."""
        per = {id(t): torch.zeros_like(t, dtype=torch.float64) for t in params}
        for p, x in zip(optimizer.params, values):
            pp = where[id(p)]
            per[id(pp.tensor)][pp.index] = x
        for t in params:
            yield t, per[id(t)]

    if isinstance(optimizer, Adam):
        opt = torch.optim.Adam(
            params, lr=lr, betas=(optimizer.beta1, optimizer.beta2), eps=optimizer.eps
        )
        if optimizer.steps:
            vs = dict(state_tensors(optimizer.v))
            for t, m in state_tensors(optimizer.m):
                opt.state[t] = {
                    "step": torch.tensor(float(optimizer.steps), dtype=torch.float32),
                    "exp_avg": m,
                    "exp_avg_sq": vs[t],
                }
        return opt
    if isinstance(optimizer, Momentum):
        opt = torch.optim.SGD(
            params, lr=lr, momentum=optimizer.momentum, dampening=0.0, nesterov=False
        )
        if optimizer.steps:
            for t, buf in state_tensors(optimizer.velocity):
                opt.state[t] = {"momentum_buffer": buf}
        return opt
    if type(optimizer) is SGD:
        return torch.optim.SGD(params, lr=lr)
    raise ValueError(
        f"optimizer_to_torch: {type(optimizer).__name__} has no torch.optim form here "
        "(SGD, Momentum and Adam do)"
    )


# ---------------------------------------------------------------- side by side
@dataclass
class TorchComparison:
    """One forward and backward pass on both engines: the losses and every gradient."""

    loss_name: str
    torch_code: str
    loss: float
    torch_loss: float
    pairs: list[ParamPair]
    grads: list[float]
    torch_grads: list[float]
    max_rows: int | None = field(default=None, repr=False)

    @property
    def differences(self) -> list[float]:
        return [abs(a - b) for a, b in zip(self.grads, self.torch_grads)]

    @property
    def max_difference(self) -> float:
        """The largest |tracegrad grad - torch grad| over every parameter."""
        return max(self.differences)

    @property
    def worst(self) -> ParamPair:
        diffs = self.differences
        return self.pairs[diffs.index(max(diffs))]

    def table(self, max_rows: int | None = None) -> str:
        """The side-by-side table (the first max_rows parameters when given)."""
        head = ("param", "tracegrad name", "torch name", "tracegrad grad", "torch grad", "|diff|")
        rows = [
            (pp.textbook, pp.name, pp.torch_name, f"{a:.12g}", f"{b:.12g}", f"{abs(a - b):.1e}")
            for pp, a, b in zip(self.pairs, self.grads, self.torch_grads)
        ]
        shown = rows if max_rows is None else rows[:max_rows]
        widths = [max(len(r[i]) for r in [head, *shown]) for i in range(len(head))]
        right = (False, False, False, True, True, True)

        def line(r: Sequence[str]) -> str:
            cells = [c.rjust(w) if rj else c.ljust(w) for c, w, rj in zip(r, widths, right)]
            return "  ".join(cells).rstrip()

        out = [
            f"loss {self.loss_name}: tracegrad {self.loss:.12g}, torch {self.torch_loss:.12g}",
            f"  (in torch: {self.torch_code})",
            "",
            line(head),
            line(["-" * w for w in widths]),
            *(line(r) for r in shown),
        ]
        if len(shown) < len(rows):
            out.append(f"... {len(rows) - len(shown)} more parameters")
        w = self.worst
        out.append("")
        out.append(
            f"largest |difference| over {len(rows)} gradients: {self.max_difference:.1e} "
            f"at {w.textbook} ({w.name} = {w.torch_name})"
        )
        return "\n".join(out)

    def __str__(self) -> str:
        return self.table(self.max_rows)

    def __repr__(self) -> str:
        return (
            f"TorchComparison({len(self.pairs)} parameters, loss {self.loss_name}, "
            f"largest |difference| {self.max_difference:.1e} at {self.worst.textbook})"
        )


def _batch(X: Any, y: Any, nin: int) -> tuple[np.ndarray, np.ndarray]:
    """X as (n, nin) and y with one target (a number or a row) per sample."""
    A = np.asarray(X, dtype=float)
    Y = np.asarray(y, dtype=float)
    if A.ndim == 1:  # one sample: y is its target (a number, a row or a class index)
        A = A.reshape(1, -1)
        Y = Y.reshape(1, -1) if Y.size > 1 else Y.reshape(1)
    if A.ndim != 2 or A.shape[1] != nin:
        raise ValueError(f"X must have shape (n, {nin}) (or be one sample), got {A.shape}")
    if Y.ndim == 0 or len(Y) != len(A):
        raise ValueError(f"X has {len(A)} samples but y has shape {Y.shape}")
    return A, Y


def compare_with_torch(
    model: Model,
    X: Any,
    y: Any,
    loss: str | LossSpec | Callable[..., Value] = "mse",
    *,
    show: bool = True,
    max_rows: int | None = None,
) -> TorchComparison:
    """One forward and backward pass on tracegrad and on PyTorch, from the same weights.

    The loss is the mean over the samples of ``loss`` (as ``fit`` computes it). Prints the
    table of every parameter's gradient on both sides (``show=False`` to only return it);
    the gradients are left in each parameter's ``.grad``, as after ``loss.backward()``.
    """
    torch = require_torch()
    spec = get_loss(loss)
    tl = torch_loss(spec)
    nin = len(model_layers(model)[0][0][0].w)
    A, Y = _batch(X, y, nin)
    torch_model = module_to_torch(model)
    pairs = parameter_pairs(model, torch_model)
    model.zero_grad()
    ours = make_eager_step(model, spec)(A, Y)
    out = torch_model(torch.as_tensor(A, dtype=torch.float64))
    theirs = tl.fn(torch, out, Y)
    theirs.backward()
    result = TorchComparison(
        spec.name,
        tl.code,
        ours.loss,
        float(theirs.item()),
        pairs,
        [pp.value.grad for pp in pairs],
        [float(pp.tensor.grad[pp.index].item()) for pp in pairs],
        max_rows,
    )
    if show:
        print(result)
    return result

"""Optimizers: how each parameter moves once backward() has filled its grad.

- ``SGD``: the seed article's rule w ← w − η · dE/dw.
- ``Momentum``: v ← μ v + dE/dw; w ← w − η v (PyTorch's form; v starts at 0).
- ``Adam``: running means of the gradient and its square, bias-corrected:
  m ← β1 m + (1 − β1) g; v ← β2 v + (1 − β2) g²; w ← w − η m̂ / (√v̂ + ε).

The learning rate is a number or a schedule: a callable from the step count (0 for the
first step) — or the epoch, with ``schedule_by="epoch"`` (``fit`` tells the optimizer the
epoch) — to the learning rate. ``step_decay`` and ``exponential_decay`` build common ones.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Union

from tracegrad.autograd.value import Value

if TYPE_CHECKING:
    import numpy as np

__all__ = ["Optimizer", "SGD", "Momentum", "Adam", "step_decay", "exponential_decay"]

LearningRate = Union[float, Callable[[int], float]]


def _check_rate(name: str, x: object, low: float = 0.0, high: float = math.inf) -> float:
    if isinstance(x, bool) or not isinstance(x, numbers.Real) or not math.isfinite(x):
        raise ValueError(f"{name} must be a finite number, got {x!r}")
    if not low <= float(x) < high:
        raise ValueError(f"{name} must be in [{low}, {high}), got {x!r}")
    return float(x)


class Optimizer:
    """Holds the parameters and the learning rate; subclasses define ``_update`` (on the
    Values) and may define ``_update_array`` (the same arithmetic on arrays, for training
    loops that hold the parameters in one array: ``fit(compiled=True)``)."""

    _state: tuple[str, ...] = ()  # names of the per-parameter state lists (velocity, m, v)

    def __init__(
        self, params: Iterable[Value], lr: LearningRate = 0.01, *, schedule_by: str = "step"
    ) -> None:
        self.params = list(params)
        if not self.params:
            raise ValueError("an optimizer needs at least one parameter (got an empty list)")
        for i, p in enumerate(self.params):
            if not isinstance(p, Value):
                raise TypeError(
                    f"parameter {i} is a {type(p).__name__}, not a Value; pass model.parameters()"
                )
        if callable(lr):
            self.schedule: Callable[[int], float] | None = lr
            self.base_lr = math.nan
        else:
            self.schedule = None
            self.base_lr = _check_rate("lr (the learning rate)", lr, 0.0)
        if schedule_by not in ("step", "epoch"):
            raise ValueError(f"schedule_by must be 'step' or 'epoch', got {schedule_by!r}")
        self.schedule_by = schedule_by
        self.steps = 0  # step() calls so far
        self.epoch = 0  # set by fit() at the start of each epoch

    @property
    def lr(self) -> float:
        """The learning rate the next step() uses."""
        if self.schedule is None:
            return self.base_lr
        t = self.steps if self.schedule_by == "step" else self.epoch
        return _check_rate(f"the learning-rate schedule's value at {self.schedule_by} {t}",
                           self.schedule(t))  # fmt: skip

    def zero_grad(self) -> None:
        """Set every parameter's grad to 0 before the next backward pass."""
        for p in self.params:
            p.grad = 0.0

    def step(self) -> None:
        """Move every parameter once using its current grad."""
        self._update(self.lr)
        self.steps += 1

    def _update(self, lr: float) -> None:  # pragma: no cover - abstract
        raise NotImplementedError

    def _update_array(
        self, lr: float, data: np.ndarray, grad: np.ndarray, state: dict[str, np.ndarray]
    ) -> None:  # pragma: no cover - abstract
        raise NotImplementedError

    @property
    def updates_arrays(self) -> bool:
        """True when this optimizer's update also exists on arrays: the class that defines
        ``_update`` defines ``_update_array`` too (a subclass overriding only ``_update`` is
        stepped on its Values)."""
        cls = type(self)
        owner = next(c for c in cls.__mro__ if "_update" in vars(c))
        return "_update_array" in vars(owner) and owner is not Optimizer

    def state_arrays(self) -> dict[str, np.ndarray]:
        """The per-parameter state (params order) as arrays, for ``step_array``."""
        import numpy as np  # arrays only: stepping Values needs no numpy

        return {name: np.array(getattr(self, name), dtype=float) for name in self._state}

    def load_state_arrays(self, state: dict[str, np.ndarray]) -> None:
        """Store arrays from ``state_arrays``/``step_array`` back as this optimizer's state."""
        for name in self._state:
            setattr(self, name, state[name].tolist())

    def step_array(self, data: np.ndarray, grad: np.ndarray, state: dict[str, np.ndarray]) -> None:
        """``step()`` on parameters held in an array: ``data[i]`` is ``params[i]``'s number
        and ``grad[i]`` its gradient; ``data`` and ``state`` change in place, the Values not.
        The same arithmetic as ``step()``, element by element."""
        self._update_array(self.lr, data, grad, state)
        self.steps += 1

    def __repr__(self) -> str:
        lr = "schedule" if self.schedule is not None else repr(self.base_lr)
        return f"{type(self).__name__}({len(self.params)} parameters, lr={lr})"


class SGD(Optimizer):
    """Plain gradient descent: w ← w − lr · dE/dw (the seed article's update)."""

    def _update(self, lr: float) -> None:
        for p in self.params:
            p.data -= lr * p.grad

    def _update_array(
        self, lr: float, data: np.ndarray, grad: np.ndarray, state: dict[str, np.ndarray]
    ) -> None:
        data -= lr * grad


class Momentum(Optimizer):
    """SGD with momentum: v ← momentum · v + dE/dw; w ← w − lr · v."""

    def __init__(
        self,
        params: Iterable[Value],
        lr: LearningRate = 0.01,
        momentum: float = 0.9,
        *,
        schedule_by: str = "step",
    ) -> None:
        super().__init__(params, lr, schedule_by=schedule_by)
        self.momentum = _check_rate("momentum", momentum, 0.0, 1.0)
        self.velocity = [0.0] * len(self.params)

    _state = ("velocity",)

    def _update(self, lr: float) -> None:
        mu = self.momentum
        vel = self.velocity
        for i, p in enumerate(self.params):
            vel[i] = mu * vel[i] + p.grad
            p.data -= lr * vel[i]

    def _update_array(
        self, lr: float, data: np.ndarray, grad: np.ndarray, state: dict[str, np.ndarray]
    ) -> None:
        vel = state["velocity"]
        vel *= self.momentum
        vel += grad
        data -= lr * vel


class Adam(Optimizer):
    """Adam (Kingma & Ba): per-parameter steps scaled by running gradient statistics."""

    def __init__(
        self,
        params: Iterable[Value],
        lr: LearningRate = 0.001,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        *,
        schedule_by: str = "step",
    ) -> None:
        super().__init__(params, lr, schedule_by=schedule_by)
        if not isinstance(betas, (tuple, list)) or len(betas) != 2:
            raise ValueError(f"betas must be a pair (beta1, beta2), got {betas!r}")
        self.beta1 = _check_rate("beta1", betas[0], 0.0, 1.0)
        self.beta2 = _check_rate("beta2", betas[1], 0.0, 1.0)
        self.eps = _check_rate("eps", eps, 0.0)
        self.m = [0.0] * len(self.params)
        self.v = [0.0] * len(self.params)

    _state = ("m", "v")

    def _update(self, lr: float) -> None:
        b1, b2, eps = self.beta1, self.beta2, self.eps
        t = self.steps + 1
        c1 = 1.0 - b1**t
        c2 = 1.0 - b2**t
        m, v = self.m, self.v
        for i, p in enumerate(self.params):
            g = p.grad
            m[i] = b1 * m[i] + (1.0 - b1) * g
            v[i] = b2 * v[i] + (1.0 - b2) * g * g
            p.data -= lr * (m[i] / c1) / (math.sqrt(v[i] / c2) + eps)

    def _update_array(
        self, lr: float, data: np.ndarray, grad: np.ndarray, state: dict[str, np.ndarray]
    ) -> None:
        import numpy as np  # arrays only: stepping Values needs no numpy

        b1, b2, eps = self.beta1, self.beta2, self.eps
        t = self.steps + 1
        c1 = 1.0 - b1**t
        c2 = 1.0 - b2**t
        m, v = state["m"], state["v"]
        m *= b1
        m += (1.0 - b1) * grad
        v *= b2
        v += (1.0 - b2) * grad * grad
        data -= lr * (m / c1) / (np.sqrt(v / c2) + eps)


def step_decay(lr: float, factor: float = 0.5, every: int = 10) -> Callable[[int], float]:
    """A schedule: lr, multiplied by factor every ``every`` steps (or epochs)."""
    lr = _check_rate("lr", lr)
    if not isinstance(every, int) or every < 1:
        raise ValueError(f"every must be an int >= 1, got {every!r}")
    return lambda t: lr * factor ** (t // every)


def exponential_decay(lr: float, gamma: float = 0.99) -> Callable[[int], float]:
    """A schedule: lr · gamma**t."""
    lr = _check_rate("lr", lr)
    return lambda t: lr * gamma**t

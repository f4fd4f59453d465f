"""Training on a compiled tape with the parameters held in one numpy array.

``fit(compiled=True)`` replays the loss with numpy over the whole batch (``autograd.compile``);
what was left in Python was one loop over the parameters per step: zero every ``.grad``, write
every leaf gradient into its Value, the L2 term as a graph of Values, the optimizer's update
per Value. ``FlatParams`` keeps the numbers in arrays while training instead -- the tape reads
the leaves from the array and gives its gradients back as one, the L2 term and the update
(``Optimizer.step_array``: the same arithmetic as ``step()``) are array operations -- and
``write_back()`` puts data, grads and the optimizer's state into the Values and lists when the
user can look (a callback, the end of ``fit``, an error).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from tracegrad.autograd.compiled.tape import Compiled
from tracegrad.autograd.compiled.tape import compile as compile_tape
from tracegrad.autograd.value import Value
from tracegrad.nn.optim import Optimizer

__all__ = ["BatchResult", "FlatParams", "TargetTapes", "MAX_COMPILED_TARGETS"]

MAX_COMPILED_TARGETS = 64  # tapes a TargetTapes keeps, one per distinct target


@dataclass
class BatchResult:
    """What one batch step reports: the batch's mean loss and the model's outputs
    (shape (batch, nout)), measured before the update."""

    loss: float
    outputs: np.ndarray


class TargetTapes:
    """One tape of ``loss(model(x), target)`` per distinct target, traced when first met.

    Losses read their target as a number (hinge checks it is ±1), so the target is part of
    the traced graph, not an input: a class label or a row of targets gets its own tape."""

    def __init__(self, model: Any, loss: Callable[[Any, Any], Value]) -> None:
        self.model = model
        self.loss = loss
        self.tapes: dict[tuple[float, ...], Compiled] = {}

    def _tape(self, key: tuple[float, ...]) -> Compiled:
        if key not in self.tapes:
            if len(self.tapes) >= MAX_COMPILED_TARGETS:
                raise ValueError(
                    f"fit(compiled=True) traces one tape per distinct target and the data has "
                    f"more than {MAX_COMPILED_TARGETS}; use compiled=False for this data"
                )
            target: Any = key[0] if len(key) == 1 else list(key)
            model, fn = self.model, self.loss
            self.tapes[key] = compile_tape(lambda x: fn(model(x), target))
        return self.tapes[key]

    def split(self, Xb: np.ndarray, yb: np.ndarray) -> Iterator[tuple[Compiled, np.ndarray]]:
        """(tape, the batch's samples with its target) for each distinct target, in the order
        the targets first occur in the batch."""
        rows = np.asarray(yb, dtype=float).reshape(len(Xb), -1)
        if rows.shape[1] != 1:  # rows of targets: few and rare, compared as tuples
            keys = [tuple(r) for r in rows.tolist()]
            for key in dict.fromkeys(keys):
                yield self._tape(key), Xb[np.array([k == key for k in keys])]
            return
        labels, first, inverse = np.unique(rows[:, 0], return_index=True, return_inverse=True)
        if len(labels) == 1:
            yield self._tape((float(labels[0]),)), Xb
            return
        for k in np.argsort(first, kind="stable").tolist():
            yield self._tape((float(labels[k]),)), Xb[inverse.reshape(-1) == k]


class FlatParams:
    """The parameters' numbers and gradients as arrays while training (see the module doc).

    ``data`` holds the model's parameters (``params`` order), then any other parameters of
    the optimizer, then the constants the tapes use; ``grad`` is laid out alike. Constants are
    read once, when a tape is first used."""

    def __init__(self, params: Sequence[Value], optimizer: Optimizer, l2: float = 0.0) -> None:
        self.m = len(params)
        known = set(params)
        self.values: list[Value] = list(params) + [p for p in optimizer.params if p not in known]
        self.index = {v: i for i, v in enumerate(self.values)}
        self.n_params = len(self.values)
        self.data = np.array([v.data for v in self.values], dtype=float)
        self.grad = np.zeros_like(self.data)
        self.l2 = l2
        self.optimizer = optimizer
        self.state = optimizer.state_arrays()
        where = [self.index[p] for p in optimizer.params]
        self._opt: slice | np.ndarray = (
            slice(0, len(where)) if where == list(range(len(where))) else np.array(where)
        )
        self._take: dict[int, np.ndarray] = {}  # id(tape) -> its leaves' positions in data

    @staticmethod
    def supports(optimizer: Optimizer) -> bool:
        """Whether training can hold this optimizer's parameters in an array: its update
        exists on arrays and it lists no parameter twice."""
        return optimizer.updates_arrays and len(set(optimizer.params)) == len(optimizer.params)

    def _positions(self, tape: Compiled, args: Sequence[Any]) -> np.ndarray:
        """Where the tape's leaves sit in ``data`` (its constants added when first seen)."""
        take = self._take.get(id(tape))
        if take is None:
            self.write_back()  # a tape traced now compares (guards) the current numbers
            pos = []
            extra: list[float] = []
            for v in tape.leaves_for(*args):
                if v not in self.index:
                    self.index[v] = len(self.data) + len(extra)
                    extra.append(v.data)
                pos.append(self.index[v])
            if extra:
                self.data = np.concatenate([self.data, extra])
                self.grad = np.concatenate([self.grad, np.zeros(len(extra))])
            take = self._take[id(tape)] = np.array(pos, dtype=np.intp)
        return take

    def zero_grad(self) -> None:
        self.grad.fill(0.0)

    def backward(self, tape: Compiled, *args: Any, scale: float = 1.0) -> np.ndarray:
        """Replay ``tape`` on the batch ``args`` with the leaves' numbers from ``data``; add
        ``scale`` · Σ_batch d out / d leaf into ``grad``. Returns the outputs per sample."""
        take = self._positions(tape, args)
        out, lg = tape.leaf_grads(*args, leaf_data=self.data[take])
        self.grad[take] += scale * lg  # a tape lists each leaf once: no repeated index
        return out

    def add_l2(self) -> float:
        """Add the gradient of l2 · Σ w² over the model's parameters; return the term."""
        w = self.data[: self.m]
        self.grad[: self.m] += (2.0 * self.l2) * w
        return self.l2 * float(w @ w)

    def step(self) -> None:
        """One optimizer step on the array (the Values do not move until write_back)."""
        sel = self._opt
        if isinstance(sel, slice):
            self.optimizer.step_array(self.data[sel], self.grad[sel], self.state)
        else:
            d = self.data[sel]
            self.optimizer.step_array(d, self.grad[sel], self.state)
            self.data[sel] = d

    def write_back(self) -> None:
        """Every parameter's number and gradient into its Value, the optimizer's state into
        its lists: what the user sees is what training has reached."""
        n = self.n_params
        for v, x, g in zip(self.values, self.data[:n].tolist(), self.grad[:n].tolist()):
            v.data = x
            v.grad = g
        self.optimizer.load_state_arrays(self.state)

    def read_values(self) -> None:
        """Take the parameters' numbers and the optimizer's state from the Values and lists
        again (after user code that may have changed them)."""
        self.data[: self.n_params] = [v.data for v in self.values]
        self.state = self.optimizer.state_arrays()

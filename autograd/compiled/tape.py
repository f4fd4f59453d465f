"""``compile``: trace a scalar function once, then run it on a whole batch with numpy.

The eager engine builds one graph per sample, node by node in Python. For training on a
data set that is the same graph again and again with other numbers in it. ``compile(f)``
calls ``f`` once on scalar Values, flattens the graph it built into a *tape* -- the nodes in
topological order, each an op from the table plus the indices of its inputs -- and from then
on replays that tape with numpy, one array operation per node over every sample at once:

    loss = autograd.compile(lambda x, y: (1.0 - y * model(x)).relu())
    out = loss.backward(X, Y)     # X: (batch, 2), Y: (batch,); grads summed into p.grad

Forward uses each op's ``array`` function and backward its ``partials`` with ``ArrayMath``
(the numpy twin of ``FloatMath``): the same formula as the eager engine, from the same table.
Leaf Values that are not inputs (the model's parameters, constants) are read afresh on every
call, so an optimizer changing ``p.data`` between calls is seen.

What is detected about data-dependent control flow (a tape replays one path only):

- Comparisons of Values (``v > 0``, ``min``/``max``/``sorted`` of Values) made while tracing
  are recorded as *guards* and checked for every sample on every call: a sample that takes
  another branch raises ``ControlFlowError`` naming the sample and the comparison.
- ``f`` is traced on several samples of the first batch (first, middle, last: ``check``);
  graphs that differ -- a Python ``if`` on ``.data``, or a number read from ``.data`` baked in
  as a constant -- raise ``ControlFlowError`` at that first call.
- Not detected: a ``.data`` branch that all the traced samples take the same way. Keep
  ``.data`` out of functions you compile, or use the eager engine for them.

relu and step are ops, not control flow: their kink is evaluated per sample.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from tracegrad.autograd.compiled.arraymath import ArrayMath
from tracegrad.autograd.compiled.vectape import (  # the node kinds: the schedule reads them
    _INPUT,
    _LEAF,
    CHUNK,
    Schedule,
    check_domain,
    schedule,
)
from tracegrad.autograd.graph import topo_order
from tracegrad.autograd.hooks import watching_comparisons
from tracegrad.autograd.limits import refuse_in_browser
from tracegrad.autograd.ops import Op
from tracegrad.autograd.value import Value

__all__ = ["compile", "Compiled", "TapeResult", "ArrayMath", "ControlFlowError"]


class ControlFlowError(RuntimeError):
    """The compiled function's graph depends on the data: one tape cannot replay it."""


@dataclass
class TapeResult:
    """What one replay gives: outputs per sample and the gradients of the output.

    ``out``: shape (batch,). ``input_grads``: one array per argument, shaped like it
    (d out[s] / d input[s]). ``leaf_grads``: d out / d leaf for ``Compiled.leaves``, shape
    (n_leaves,) summed over the batch, or (batch, n_leaves) with ``per_sample=True``.
    """

    out: np.ndarray
    input_grads: list[np.ndarray]
    leaf_grads: np.ndarray


@dataclass
class _Guard:
    """A comparison made while tracing: ``nodes[a] <cmp> nodes[b]`` was ``expected``."""

    a: int
    cmp: str
    b: int
    expected: bool


@dataclass
class _Tape:
    """A traced graph, flattened: node i is an op over earlier nodes, an input or a leaf."""

    ops: list[Op]  # the distinct ops used; code[i] >= 0 indexes this list
    code: list[int]  # per node: op index, _INPUT or _LEAF
    args: list[tuple[int, ...]]  # per node: input node indices (op), (arg, item) (input), (k,)
    leaves: list[Value]  # captured leaf Values, read afresh on each call
    out: int  # index of the output node
    guards: list[_Guard]

    def signature(self) -> tuple[Any, ...]:
        """What must agree between traces on different samples for one tape to serve all."""
        leaf_data = tuple(v.data for v in self.leaves)
        ops = tuple(op.name for op in self.ops)
        guards = tuple((g.a, g.cmp, g.b) for g in self.guards)
        return ops, tuple(self.code), tuple(self.args), leaf_data, self.out, guards


_COMPARE: dict[str, Callable[[Any, Any], Any]] = {
    "<": np.less,
    "<=": np.less_equal,
    ">": np.greater,
    ">=": np.greater_equal,
}


def _trace(fn: Callable[..., Any], sample: list[Any]) -> _Tape:
    """Call fn on Values made from one sample and flatten the graph it builds."""
    inputs: list[Value] = []
    where: dict[Value, tuple[int, int]] = {}
    call_args: list[Any] = []
    for k, x in enumerate(sample):
        if isinstance(x, np.ndarray):
            vs = [Value(float(t), label=f"x{k}[{j}]") for j, t in enumerate(x)]
            for j, v in enumerate(vs):
                where[v] = (k, j)
            inputs.extend(vs)
            call_args.append(vs)
        else:
            v = Value(float(x), label=f"x{k}")
            where[v] = (k, -1)
            inputs.append(v)
            call_args.append(v)
    seen: list[tuple[Value, str, Any, bool]] = []

    def record(a: Value, cmp: str, b: Any, result: bool) -> None:
        seen.append((a, cmp, b, result))

    with watching_comparisons(record):
        out = fn(*call_args)
    if not isinstance(out, Value):
        raise TypeError(
            f"compile: the function must return one Value (a scalar), got {type(out).__name__}"
        )
    compared = [Value(float(b)) if not isinstance(b, Value) else b for _, _, b, _ in seen]
    order = topo_order([out, *(a for a, _, _, _ in seen), *compared])
    index = {v: i for i, v in enumerate(order)}
    ops: list[Op] = []
    op_code: dict[Op, int] = {}
    code: list[int] = []
    args: list[tuple[int, ...]] = []
    leaves: list[Value] = []
    for v in order:
        op = v._op
        if op is not None:
            if op not in op_code:
                op_code[op] = len(ops)
                ops.append(op)
            code.append(op_code[op])
            args.append(tuple(index[p] for p in v.parents))
        elif v in where:
            code.append(_INPUT)
            args.append(where[v])
        else:
            code.append(_LEAF)
            args.append((len(leaves),))
            leaves.append(v)
    guards = [
        _Guard(index[a], cmp, index[b], result) for (a, cmp, _, result), b in zip(seen, compared)
    ]
    return _Tape(ops, code, args, leaves, index[out], guards)


def _batch_args(args: Sequence[Any]) -> tuple[list[np.ndarray], int]:
    """The arguments as float arrays of shape (batch,) or (batch, k), and the batch size."""
    if not args:
        raise TypeError("compile: call the compiled function with at least one batched input")
    arrays = []
    for k, a in enumerate(args):
        try:
            arr = np.asarray(a, dtype=float)
        except (TypeError, ValueError):
            raise TypeError(
                f"compile: argument {k} must be an array of numbers, got {type(a).__name__}"
            ) from None
        if arr.ndim not in (1, 2):
            raise ValueError(
                f"compile: argument {k} must have shape (batch,) or (batch, k), "
                f"got shape {arr.shape}"
            )
        arrays.append(arr)
    sizes = {arr.shape[0] for arr in arrays}
    if len(sizes) != 1:
        shapes = ", ".join(str(arr.shape) for arr in arrays)
        raise ValueError(f"compile: the arguments disagree on the batch size: {shapes}")
    (n,) = sizes
    if n == 0:
        raise ValueError("compile: the batch is empty")
    return arrays, n


class Compiled:
    """A function traced once and replayed with numpy over batches (see ``compile``)."""

    def __init__(self, fn: Callable[..., Any], check: int = 3) -> None:
        refuse_in_browser("the compiled tape (compile)", "it replays graphs with numpy batches")
        if not callable(fn):
            raise TypeError(f"compile needs a function, got {type(fn).__name__}")
        if not isinstance(check, int) or check < 1:
            raise ValueError(f"compile: check must be an int >= 1, got {check!r}")
        self.fn = fn
        self.check = check
        self._tape: _Tape | None = None
        self._layout: tuple[tuple[int, ...], ...] | None = None
        self._schedule: Schedule | None = None
        self.numpy_calls = 0  # numpy operations issued by the last call (vectorised replay)

    # ------------------------------------------------------------ tracing
    @property
    def leaves(self) -> list[Value]:
        """The leaf Values the function used besides its inputs (parameters, constants)."""
        return self._require().leaves

    def leaves_for(self, *args: Any) -> list[Value]:
        """The leaves, tracing the function on this batch first if it was not traced yet."""
        arrays, n = _batch_args(args)
        return self._ensure_traced(arrays, n).leaves

    def __len__(self) -> int:
        """Nodes on the tape (0 before the first call traces the function)."""
        return 0 if self._tape is None else len(self._tape.code)

    def __repr__(self) -> str:
        name = getattr(self.fn, "__name__", "function")
        if self._tape is None:
            return f"Compiled({name}, not traced yet)"
        t = self._tape
        return f"Compiled({name}, {len(t.code)} nodes, {len(t.leaves)} leaves)"

    def _require(self) -> _Tape:
        if self._tape is None:
            raise RuntimeError("compile: call the compiled function once to trace it")
        return self._tape

    def _ensure_traced(self, arrays: list[np.ndarray], n: int) -> _Tape:
        layout = tuple(arr.shape[1:] for arr in arrays)
        if self._tape is not None:
            if layout != self._layout:
                raise ValueError(
                    f"compile: traced with per-sample input shapes {self._layout}, "
                    f"called with {layout}"
                )
            return self._tape
        picks = sorted({0, n - 1, n // 2})[: self.check]
        if self.check > 3:
            picks = sorted(set(np.linspace(0, n - 1, min(self.check, n)).astype(int).tolist()))
        tape = _trace(self.fn, [arr[picks[0]] for arr in arrays])
        first = tape.signature()
        for s in picks[1:]:
            other = _trace(self.fn, [arr[s] for arr in arrays])
            if other.signature() != first:
                raise ControlFlowError(
                    f"compile: the function builds a different graph for sample {s} than for "
                    f"sample {picks[0]} ({_difference(tape, other)}): it branches on .data or "
                    "bakes .data into a constant. A tape replays one graph; use the eager "
                    "engine for this function."
                )
        self._tape = tape
        self._layout = layout
        if tape.code[tape.out] >= 0:  # an op at the output: replay by groups (vectape)
            keep = {g.a for g in tape.guards} | {g.b for g in tape.guards}
            widths = [arr.shape[1] if arr.ndim == 2 else 1 for arr in arrays]
            self._schedule = schedule(
                tape.code, tape.args, tape.ops, tape.out, len(tape.leaves), widths, keep
            )
        return tape

    def _replay(
        self,
        tape: _Tape,
        arrays: list[np.ndarray],
        n: int,
        want_grads: bool,
        want_inputs: bool = True,
        leaf_data: np.ndarray | None = None,
    ) -> tuple[np.ndarray, list[np.ndarray], np.ndarray]:
        """Outputs, input grads and leaf grads (summed) with the grouped replay, by chunks;
        the leaves' numbers from ``leaf_data`` when given, else from their Values."""
        sched = self._schedule
        assert sched is not None
        sched.calls = 0
        leaves = _leaf_numbers(tape, leaf_data)
        out = np.empty(n)
        input_grads = [np.zeros_like(arr) for arr in arrays]
        leaf_grads = np.zeros(len(tape.leaves))
        _, ob, orow = sched.out
        for start in range(0, n, CHUNK):
            stop = min(n, start + CHUNK)
            chunk = [arr[start:stop] for arr in arrays]
            vals, grads, lg = sched.run(chunk, leaves, want_grads, start, want_inputs)
            value = functools.partial(_node_value, sched, vals, leaves)
            self._check_guards(tape, chunk, value, start)
            out[start:stop] = vals[ob][orow]
            if grads is None or lg is None:
                continue
            leaf_grads += lg
            for k, b in enumerate(sched.input_blocks):
                g = grads[b]
                if g is not None:
                    g = np.broadcast_to(g, (g.shape[0], stop - start))
                    input_grads[k][start:stop] = g[0] if arrays[k].ndim == 1 else g.T
        self.numpy_calls = sched.calls
        return out, input_grads, leaf_grads

    # ------------------------------------------------------------ replay
    def _forward(
        self, tape: _Tape, arrays: list[np.ndarray], leaf_data: np.ndarray | None = None
    ) -> list[Any]:
        vals: list[Any] = [None] * len(tape.code)
        leaves = _leaf_numbers(tape, leaf_data).tolist()
        ops = tape.ops
        for i, (c, a) in enumerate(zip(tape.code, tape.args)):
            if c >= 0:
                op = ops[c]
                ins = [vals[j] for j in a]
                r = op.array(np, *ins)  # type: ignore[misc]
                if op.domain:
                    check_domain(op, r, ins)
                vals[i] = r
            elif c == _INPUT:
                k, j = a
                vals[i] = arrays[k] if j < 0 else arrays[k][:, j]
            else:
                vals[i] = leaves[a[0]]
        self._check_guards(tape, arrays, vals.__getitem__)
        return vals

    @staticmethod
    def _check_guards(
        tape: _Tape, arrays: list[np.ndarray], value: Callable[[int], Any], offset: int = 0
    ) -> None:
        """Raise ControlFlowError for the first sample whose comparisons differ from the trace."""
        for g in tape.guards:
            ok = _COMPARE[g.cmp](value(g.a), value(g.b)) == g.expected
            if not np.all(ok):
                s = offset + int(np.argmin(np.broadcast_to(ok, (arrays[0].shape[0],))))
                raise ControlFlowError(
                    f"compile: sample {s} takes another branch: the function compared "
                    f"({_describe(tape, g.a)}) {g.cmp} ({_describe(tape, g.b)}), which was "
                    f"{g.expected} when traced and is "
                    f"{not g.expected} for sample {s}. A tape replays one branch; use the "
                    "eager engine for this function."
                )

    def __call__(self, *args: Any) -> np.ndarray:
        """The function's output for every sample, shape (batch,). No gradients."""
        arrays, n = _batch_args(args)
        tape = self._ensure_traced(arrays, n)
        with np.errstate(all="ignore"):
            if self._schedule is not None:
                return self._replay(tape, arrays, n, want_grads=False)[0]
            vals = self._forward(tape, arrays)
        return np.broadcast_to(np.asarray(vals[tape.out], dtype=float), (n,)).copy()

    def grad(self, *args: Any, per_sample: bool = False) -> TapeResult:
        """Outputs and gradients for a batch (``.grad`` of nothing is touched)."""
        arrays, n = _batch_args(args)
        tape = self._ensure_traced(arrays, n)
        with np.errstate(all="ignore"):
            if self._schedule is not None and not per_sample:
                return TapeResult(*self._replay(tape, arrays, n, want_grads=True))
            out, input_grads, leaf_grads = self._per_node(tape, arrays, n)
        return TapeResult(out, input_grads, leaf_grads if per_sample else leaf_grads.sum(0))

    def _per_node(
        self, tape: _Tape, arrays: list[np.ndarray], n: int, leaf_data: np.ndarray | None = None
    ) -> tuple[np.ndarray, list[np.ndarray], np.ndarray]:
        """Outputs, input grads and per-sample leaf grads, replaying one node per call."""
        vals = self._forward(tape, arrays, leaf_data)
        grads = _backward(tape, vals, n)
        out = np.broadcast_to(np.asarray(vals[tape.out], dtype=float), (n,)).copy()
        input_grads = [np.zeros_like(arr) for arr in arrays]
        leaf_grads = np.zeros((n, len(tape.leaves)))
        for i, (c, a) in enumerate(zip(tape.code, tape.args)):
            g = grads[i]
            if c >= 0 or g is None:
                continue
            if c == _INPUT:
                k, j = a
                if j < 0:
                    input_grads[k] += g
                else:
                    input_grads[k][:, j] += g
            else:
                leaf_grads[:, a[0]] += g
        return out, input_grads, leaf_grads

    def leaf_grads(
        self, *args: Any, leaf_data: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """Outputs and Σ_batch d out / d leaf (in ``leaves`` order), touching no ``.grad``.

        ``leaf_data`` (shape (len(leaves),)) replaces the leaves' ``.data`` for this call:
        a training loop that holds its parameters in an array passes them here."""
        arrays, n = _batch_args(args)
        tape = self._ensure_traced(arrays, n)
        want = (len(tape.leaves),)
        if leaf_data is not None and np.shape(leaf_data) != want:
            raise ValueError(
                f"compile: leaf_data must have shape {want}, got {np.shape(leaf_data)}"
            )
        with np.errstate(all="ignore"):
            if self._schedule is not None:  # the inputs' gradients are not wanted here
                out, _, grads = self._replay(tape, arrays, n, True, False, leaf_data)
                return out, grads
            out, _, per_sample = self._per_node(tape, arrays, n, leaf_data)
        return out, per_sample.sum(0)

    def backward(self, *args: Any, scale: float = 1.0) -> np.ndarray:
        """Replay forward and backward; add ``scale`` · Σ_batch d out / d leaf into each
        leaf's ``.grad`` (as eager ``backward()`` on every sample would). Returns the outputs."""
        out, leaf_grads = self.leaf_grads(*args)
        for v, g in zip(self._require().leaves, leaf_grads.tolist()):
            v.grad += scale * g
        return out


def _leaf_numbers(tape: _Tape, leaf_data: np.ndarray | None) -> np.ndarray:
    """The leaves' numbers for one replay: ``leaf_data``, or read afresh from the Values."""
    if leaf_data is not None:
        return np.asarray(leaf_data, dtype=float)
    return np.array([v.data for v in tape.leaves], dtype=float)


def _node_value(sched: Schedule, vals: list[Any], leaves: np.ndarray, i: int) -> Any:
    """Node i's value (per sample, or one number) in a grouped replay."""
    ref = sched.node_ref[i]
    assert ref is not None  # guards' operands are kept out of fused dots
    kind, b, row = ref
    return leaves[b] if kind == "L" else vals[b][row]


def _describe(tape: _Tape, i: int) -> str:
    c = tape.code[i]
    if c >= 0:
        return f"op {tape.ops[c].name}"
    if c == _INPUT:
        return "an input"
    return f"constant {tape.leaves[tape.args[i][0]].data!r}"


def _difference(t1: _Tape, t2: _Tape) -> str:
    """Where two traces first disagree, in words."""
    for i in range(min(len(t1.code), len(t2.code))):
        d1, d2 = _describe(t1, i), _describe(t2, i)
        if d1 != d2 or t1.args[i] != t2.args[i]:
            return f"node {i}: {d1} vs {d2}"
    if len(t1.code) != len(t2.code):
        return f"{len(t1.code)} vs {len(t2.code)} nodes"
    return "other comparisons"


def _backward(tape: _Tape, vals: list[Any], n: int) -> list[Any]:
    """Reverse pass over the tape: grads[i] = d out / d node i, per sample (None: unused)."""
    grads: list[Any] = [None] * len(tape.code)
    grads[tape.out] = np.ones(n)
    ops = tape.ops
    m = ArrayMath
    for i in range(tape.out, -1, -1):
        g = grads[i]
        c = tape.code[i]
        if g is None or c < 0:
            continue
        op = ops[c]
        a = tape.args[i]
        partials = op.partials(m, vals[i], *[vals[j] for j in a])
        for j, d, live in zip(a, partials, op.differentiable):
            if not live:
                continue
            contrib = g if type(d) is float and d == 1.0 else g * d
            prev = grads[j]
            grads[j] = contrib if prev is None else prev + contrib
    return grads


def compile(fn: Callable[..., Any], *, check: int = 3) -> Compiled:
    """Trace ``fn`` on scalar Values at its first call, then replay it with numpy on batches.

    Call the result with one array per argument of ``fn``: shape (batch,) passes a Value,
    shape (batch, k) a list of k Values. ``check`` is how many samples of the first batch
    are traced to detect a graph that depends on the data (see the module docstring).
    """
    return Compiled(fn, check)

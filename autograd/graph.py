"""The backward pass: a topological order, then the chain rule from the root back.

This is what ``Value.backward()`` means, in two functions a reader can hold in one screen:

- ``topo_order(root)``: every Value root depends on, inputs before the Values made from them
  (iterative, so a chain of a million ops needs no recursion; deterministic).
- ``reverse_walk(order, grads)``: for each node from the last back to the first, ``step``:
  its table row's partials ``op.partials(math, out, *inputs)`` times the node's upstream
  gradient, added into each input's gradient. That is the chain rule, written once, here:
  ``backward``, ``backward_steps`` and higher-order gradients (with ``ValueMath``, so the
  gradients are Values) all call it.

``backward`` runs the same pass through ``tracegrad.autograd.fastwalk``, its accelerator: a
loop generated from the table, each row's partials inlined, ``step`` itself for a row it has
no branch for; its source is in ``linecache``, so a debugger steps through it. Gradients are
bit-identical (NaN's sign, ±inf, -0.0: a property test compares the bytes).
``TRACEGRAD_PLAIN=1`` at import, or ``set_plain(True)`` at any time, runs the plain walk.
The compiled tapes (``compiled/tape.py``, ``compiled/vectape.py``) apply the same rule to
numpy batches: the batched versions of ``step``, tested against ``reverse_walk``.

The accumulation policy is PyTorch's: leaves *accumulate* gradients across backward()
calls (a second call on the same graph exactly doubles every leaf's grad; zero them with
``zero_grad``), while intermediate Values get their grad recomputed from scratch on each
pass (never compounded, unlike micrograd).
"""

from __future__ import annotations

import numbers
import os
import threading
from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
from typing import TYPE_CHECKING, Any

from tracegrad.autograd import fastwalk
from tracegrad.autograd.limits import cycle_error
from tracegrad.autograd.ops import FloatMath

if TYPE_CHECKING:
    from tracegrad.autograd.value import Value

__all__ = [
    "topo_order",
    "reverse_walk",
    "GradSlots",
    "prepare",
    "backward",
    "zero_grad",
    "PLAIN",
    "set_plain",
    "step",
]

PLAIN = os.environ.get("TRACEGRAD_PLAIN", "") == "1"  # the default, read at import; set_plain
_LOCK = threading.Lock()  # one backward() at a time: grads (and the accelerator's marks) are shared


def topo_order(root: Value | Iterable[Value], *, constants: bool = True) -> list[Value]:
    """Every Value reachable from root(s), inputs before the Values made from them.

    A depth-first walk with an explicit stack: a node is pushed once on the way down and
    emitted on the way back up, after its inputs. The order depends only on the graph, never
    on hashing or memory addresses. An input still open (on the path down to the node) is a
    cycle: ``GraphCycleError`` in one line. Constant operands (the 1.0001 of ``x * 1.0001``) are
    included as leaf Values; with ``constants=False`` they stay plain numbers in their nodes.
    """
    roots: list[Any] = [root] if hasattr(root, "_op") else list(root)
    order: list[Value] = []
    done: dict[Value, bool] = {}  # False while a node's inputs are walked, True once emitted
    stack = roots[::-1]
    while stack:
        node = stack.pop()
        state = done.get(node)
        if state is None:  # first visit: walk its inputs (a first), then come back to it
            done[node] = False
            stack.append(node)
            for x in reversed(node.parents if constants else inputs(node)):
                if type(x) is not float:
                    seen = done.get(x)  # type: ignore[arg-type]
                    if seen is None:
                        stack.append(x)
                    elif not seen:  # still open: x is on the path down to node
                        raise cycle_error(x)
        elif not state:  # back again: its inputs are all in order
            done[node] = True
            order.append(node)
    return order


def inputs(node: Value) -> tuple[Value | float, ...]:
    """node's inputs as stored: Values, and plain floats for constant operands."""
    a, b = node._a, node._b
    return () if a is None else (a,) if b is None else (a, b)


def _data(x: Value | float) -> float:
    return x if type(x) is float else x.data  # type: ignore[union-attr]


def reverse_walk(
    order: Sequence[Value],
    grads: Any,
    math: Any = FloatMath,
    *,
    read: Callable[[Any], Any] = _data,
    only: Collection[Value] | None = None,
) -> Iterator[tuple[Value, Any, tuple[Any, ...]]]:
    """The chain rule over ``order`` (inputs first), from its last node back to its first.

    ``grads`` maps a node to d(root)/d(node) so far (``.get`` and ``[]=``); seed the root's
    before walking. Each op node's step evaluates its row's partials with ``math`` on
    ``read(node)`` and ``read(input)`` (the numbers, or the Values themselves), multiplies each
    by the node's upstream gradient and adds that into the input's entry, then yields
    ``(node, upstream, partials)``. Constants (plain floats) and inputs outside ``only`` (when
    given) get no gradient. A lazy generator: the pass runs as it is consumed.
    """
    for node in reversed(order):
        upstream = grads.get(node)
        if node._op is None or upstream is None:
            continue
        yield node, upstream, step(node, upstream, grads, math, read=read, only=only)


def step(
    node: Value,
    upstream: Any,
    grads: Any,
    math: Any = FloatMath,
    *,
    read: Callable[[Any], Any] = _data,
    only: Collection[Value] | None = None,
) -> tuple[Any, ...]:
    """One node's chain rule: its row's partials times ``upstream``, added into its inputs.

    ``reverse_walk`` calls it for every op node; the accelerator's loop calls it for a row it
    has no branch for. Returns the partials.
    """
    op: Any = node._op
    xs = inputs(node)
    partials = op.partials(math, read(node), *[read(x) for x in xs])
    for x, partial, live in zip(xs, partials, op.differentiable):
        if live and type(x) is not float and (only is None or x in only):
            grads[x] = math.accumulate(grads.get(x), math.mul(upstream, partial))
    return partials


class GradSlots:
    """The ``grads`` map of a first-order pass: each Value's own ``.grad`` (a float)."""

    @staticmethod
    def get(node: Value) -> float:
        return node.grad

    def __setitem__(self, node: Value, grad: float) -> None:
        node.grad = grad


def prepare(root: Value, grad: float = 1.0, *, constants: bool = True) -> list[Value]:
    """Start a backward pass: the topological order, intermediate grads zeroed, root seeded.

    After this, ``reverse_walk(order, GradSlots())`` is the whole pass; stopping early leaves
    every grad exactly as a full pass would have it at that point.
    """
    if not hasattr(root, "_op"):
        raise TypeError(f"backward() needs a Value, got {type(root).__name__}")
    order = topo_order(root, constants=constants)
    for node in order:
        if node._op is not None:
            node.grad = 0.0
    if root._op is None:
        root.grad += grad
    else:
        root.grad = grad
    return order


def set_plain(plain: bool) -> bool:
    """Run ``backward`` through the plain walk (True) or its accelerator (False) from now on, in
    this process; returns the previous setting. ``TRACEGRAD_PLAIN=1`` at import sets True."""
    global PLAIN
    previous, PLAIN = PLAIN, bool(plain)
    return previous


_accelerated = fastwalk.accelerate(step, GradSlots())  # its rows' branches, else `step`


def backward(root: Value, *, grad: float = 1.0) -> None:
    """Apply the chain rule from root back to every Value it depends on.

    Sets root.grad to ``grad`` (1.0: dL/dL), recomputes every intermediate grad for this
    pass and adds d(root)/d(leaf) into each leaf's grad: the plain walk below, or its
    accelerator (the same numbers; see the module docstring). Threads calling backward() at
    once take turns (each pass is whole), so four passes add 4x into leaves.
    """
    if not hasattr(root, "_op"):
        raise TypeError(f"backward() needs a Value, got {type(root).__name__}")
    if type(grad) is not float:
        grad = float(grad)
    _LOCK.acquire()  # not `with _LOCK:`, which costs twice as much, felt on small graphs
    try:
        if PLAIN or root._op is None:
            for _ in reverse_walk(prepare(root, grad, constants=False), GradSlots()):
                pass
        else:
            _accelerated(root, grad)
    except TypeError:
        _check_grads(root)  # a .grad set to something else than a number: say which
        raise
    finally:
        _LOCK.release()


def _check_grads(root: Any) -> None:
    """Raise a TypeError naming the first Value under ``root`` whose ``.grad`` is not a real
    number (``a.grad = 'x'``). Run only when a backward pass failed: the hot path never pays."""
    seen: set[int] = set()
    todo = [root]
    while todo:
        v = todo.pop()
        if id(v) in seen:
            continue
        seen.add(id(v))
        if not isinstance(v.grad, numbers.Real) or isinstance(v.grad, bool):
            name = repr(v.label) if v.label else f"with data {v.data!r}"
            raise TypeError(
                f"the Value {name} has grad = {v.grad!r} ({type(v.grad).__name__}): a grad must "
                "be a float; set it with v.grad = 0.0 or v.zero_grad()"
            )
        todo.extend(p for p in (v._a, v._b) if hasattr(p, "_op"))


def zero_grad(root: Value | Iterable[Value]) -> None:
    """Set grad to 0.0 on root(s) and every Value they depend on."""
    for node in topo_order(root, constants=False):
        node.grad = 0.0

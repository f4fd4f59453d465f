"""The backward pass one node at a time: ``backward_steps(root)`` yields a readable Step each.

It is the ordinary backward pass (``tracegrad.autograd.graph.prepare`` then ``reverse_walk``,
the walk ``backward()`` means), paused after every node so a learner can watch the chain rule:

>>> from tracegrad.autograd import Value, backward_steps
>>> a, b, d = Value(2.0, label="a"), Value(-3.0, label="b"), Value(10.0, label="d")
>>> c = a * b; c.label = "c"
>>> L = c + d; L.label = "L"
>>> for step in backward_steps(L):
...     print(step)
L = c + d   dL/dc += dL/dL · 1 = 1.0000 · 1.0000 = 1.0000
            dL/dd += dL/dL · 1 = 1.0000 · 1.0000 = 1.0000
c = a * b   dL/da += dL/dc · b = 1.0000 · -3.0000 = -3.0000
            dL/db += dL/dc · a = 1.0000 · 2.0000 = 2.0000

Leaves yield no step: they have nothing to pass on. Stopping half way leaves every grad
exactly as a full ``backward()`` has it at that point, since it is the same pass.
"""

from __future__ import annotations

import math
import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import TextIO

from tracegrad.autograd.formatting import fmt, tidy
from tracegrad.autograd.graph import GradSlots, prepare, reverse_walk, topo_order
from tracegrad.autograd.ops import Op
from tracegrad.autograd.value import Value

__all__ = [
    "Step",
    "NodeNames",
    "FormulaWriter",
    "Introductions",
    "backward_steps",
    "BackwardSteps",
    "step_through",
    "constant_text",
]

_INLINE_CHARS = 60  # an unlabelled node is written out inline when its text is this short
_INLINE_DEPTH = 8  # ... and at most this many operations deep


def constant_text(x: float) -> str:
    """How a constant (an unlabelled leaf) is written inside a formula: 2, 0.5, -3."""
    if math.isfinite(x) and x.is_integer() and abs(x) < 1e15:
        return str(int(x))
    return repr(x)


class NodeNames:
    """The name each Value of a graph goes by in steps, explanations and tables.

    A label if it has one; a constant (an unlabelled leaf) is written as its number; the
    root without a label is ``L``; any other unlabelled Value gets ``v1``, ``v2``, ... in
    topological order (skipping names a label already uses). Deterministic for a graph.
    """

    def __init__(self, order: Sequence[Value], root: Value) -> None:
        labels = {n.label for n in order if n.label}
        self._names: dict[int, str] = {}
        k = 0
        for node in order:
            if node.label:
                name = node.label
            elif node._op is None:
                name = constant_text(node.data)
            elif node is root and "L" not in labels:
                name = "L"
            else:
                k += 1
                while f"v{k}" in labels:
                    k += 1
                name = f"v{k}"
            self._names[id(node)] = name

    def __call__(self, node: Value) -> str:
        """The name of node (KeyError if it is not in the graph these names were made for)."""
        return self._names[id(node)]

    def is_constant(self, node: Value) -> bool:
        """True for an unlabelled leaf: a plain number written into the graph."""
        return node._op is None and not node.label

    def is_generated(self, node: Value) -> bool:
        """True for a name the graph does not hold: an unlabelled result (v1, v2, ..., L)."""
        return node._op is not None and not node.label


def wrap(text: str) -> str:
    """Parenthesise a formula that has operators in it, so it reads as one factor."""
    if " " in text.strip() and not (text.startswith("(") and text.endswith(")")):
        return f"({text})"
    return text


class FormulaWriter:
    """Formulas and definitions with unlabelled Values written inline when short."""

    def __init__(self, names: NodeNames, boundary: set[int], expand: bool) -> None:
        self.names = names
        self.boundary = boundary
        self.expand = expand
        self._inline: dict[int, str] = {}

    def name(self, node: Value) -> str:
        """How a node appears inside a formula: its name, or its short expression."""
        if not self._inlinable(node):
            return self.names(node)
        if id(node) not in self._inline:
            self._fill(node)
        return self._inline[id(node)]

    def _inlinable(self, node: Value) -> bool:
        return not (self.expand or node._op is None or node.label or id(node) in self.boundary)

    def _fill(self, node: Value) -> None:
        """Write node and the unlabelled Values below it inline (iterative, post-order).

        Only ``_INLINE_DEPTH`` levels deep: anything deeper would not fit in a short text,
        so the Values at that depth keep their generated names.
        """
        stack: list[tuple[Value, bool, int]] = [(node, False, 0)]
        while stack:
            n, ready, depth = stack.pop()
            if id(n) in self._inline:
                continue
            if depth >= _INLINE_DEPTH:
                self._inline[id(n)] = self.names(n)
                continue
            if ready:
                text = self._expression(n)
                self._inline[id(n)] = text if len(text) <= _INLINE_CHARS else self.names(n)
                continue
            stack.append((n, True, depth))
            stack.extend((q, False, depth + 1) for q in n.parents if self._inlinable(q))

    def expression(self, node: Value) -> str:
        """An operation written with its inputs' names or short inline texts: 'x * w + b'."""
        return self._expression(node)

    def _expression(self, node: Value) -> str:
        op = node._op
        assert op is not None
        return tidy(op.expression(tuple(wrap(self.name(q)) for q in node.parents)))

    def definition(self, node: Value) -> str:
        """'top = expression' for a factor's top Value ('' for a leaf)."""
        if node._op is None:
            return ""
        return f"{self.names(node)} = {self._expression(node)}"

    def named_inputs(self, node: Value) -> list[Value]:
        """The Values that node's expression names (those not written inline), in order."""
        out: list[Value] = []
        pending = list(reversed(node.parents))
        while pending:
            q = pending.pop()
            if self._inlinable(q) and self.name(q) != self.names(q):
                pending.extend(reversed(q.parents))
            elif all(q is not seen for seen in out):
                out.append(q)
        return out

    def partial(self, node: Value, i: int) -> str:
        """d(node)/d(input i) as the table's formula with the inputs' names."""
        op = node._op
        assert op is not None
        return tidy(op.partial_text(i, tuple(wrap(self.name(q)) for q in node.parents)))


class Introductions:
    """Generated names said once, where a text first uses them: 'v12 = 0.5 * (y1 - o1) ** 2'.

    ``first_uses(nodes)`` gives the definition of every generated name among ``nodes`` that
    has not been introduced yet, short unlabelled parts written inline; a generated name still
    used inside a definition is introduced right after it, so every name is said before or
    where it is used. ``said(node)`` marks a name its own text defines (a step's head).
    """

    def __init__(self, names: NodeNames) -> None:
        self.names = names
        self.writer = FormulaWriter(names, set(), expand=False)
        self._done: set[int] = set()

    def said(self, node: Value) -> None:
        self._done.add(id(node))

    def first_uses(self, nodes: Iterable[Value]) -> list[str]:
        out: list[str] = []
        pending = list(nodes)
        while pending:
            node = pending.pop(0)
            if id(node) in self._done or not self.names.is_generated(node):
                continue
            self._done.add(id(node))
            out.append(self.writer.definition(node))
            pending.extend(self.writer.named_inputs(node))
        return out


@dataclass(frozen=True, eq=False, repr=False)
class Step:
    """One node's chain-rule step: what it received from above and passed to each input.

    ``upstream`` is d(root)/d(node) (final when the step runs); for input i, ``partials[i]``
    is the local derivative d(node)/d(input i), ``formulas[i]`` its formula from the ops table
    written with the inputs' names, and ``contributions[i] = upstream * partials[i]`` the
    amount added to that input's grad. ``index`` counts steps from 0. At a prompt a Step
    shows as its textbook line (``repr`` is ``str``); the fields stay attributes.
    """

    index: int
    node: Value
    op: Op
    name: str
    root_name: str
    expression: str  # the node written with its inputs' names: 'a * b'
    upstream: float
    parents: tuple[Value, ...]
    parent_names: tuple[str, ...]
    partials: tuple[float, ...]
    formulas: tuple[str, ...]
    contributions: tuple[float, ...]
    constants: tuple[bool, ...]  # per input: an unlabelled leaf (a plain number)
    introduces: tuple[str, ...] = ()  # generated names this step uses first: 'v17 = ...'

    def formula(self, i: int) -> str:
        """The table's full formula for input i: 'd(a * b)/da = b'."""
        return self.op.formula(i, self.parent_names)

    def lines(self) -> list[str]:
        """One textbook line per input (constants such as the 2 in x**2 are left out)."""
        head = f"{self.name} = {self.expression}   "
        r = self.root_name
        out: list[str] = []
        for i, pname in enumerate(self.parent_names):
            if self.constants[i]:
                continue
            prefix = head if not out else " " * len(head)
            out.append(
                f"{prefix}d{r}/d{pname} += d{r}/d{self.name} · {wrap(self.formulas[i])} = "
                f"{fmt(self.upstream)} · {fmt(self.partials[i])} = {fmt(self.contributions[i])}"
            )
        if not out:  # every input is a constant: still say what happened
            out.append(f"{head}(inputs are constants: nothing to pass on)")
        for k, definition in enumerate(self.introduces):
            out.append(f"{' ' * len(head)}{'where ' if k == 0 else '      '}{definition}")
        return out

    def __str__(self) -> str:
        return "\n".join(self.lines())

    __repr__ = __str__  # `next(steps)` at a prompt reads as the line, not the dataclass


def backward_steps(root: Value, *, grad: float = 1.0) -> BackwardSteps:
    """Run root's backward pass one node at a time, yielding a Step after each node.

    Consuming every step has exactly the effect of ``root.backward(grad=grad)``; the pass
    starts at the first ``next()``. Leaves yield no step. What it returns says so at a prompt
    (:class:`BackwardSteps`).
    """
    if not isinstance(root, Value):
        raise TypeError(f"backward_steps() needs a Value, got {type(root).__name__}")
    return BackwardSteps(root, grad)


class BackwardSteps(Iterator[Step]):
    """The backward pass of a Value, one Step per ``next()``: iterating it *runs* the pass.

    At a prompt it says what it is and how far the pass has run, so a later ``backward()``
    (which would add the gradients a second time) is not a surprise.
    """

    def __init__(self, root: Value, grad: float) -> None:
        self._root = root
        self._steps = _steps(root, grad)
        self._done = 0
        self._finished = False

    def __iter__(self) -> BackwardSteps:
        return self

    def __next__(self) -> Step:
        try:
            step = next(self._steps)
        except StopIteration:
            self._finished = True
            raise
        self._done += 1
        return step

    def __repr__(self) -> str:
        name = _root_name(self._root)
        total = sum(1 for n in topo_order(self._root) if n._op is not None)
        if self._finished or (total and self._done == total):
            state = f"run to the end: every grad is final (as after {name}.backward())"
        elif self._done:
            state = f"{self._done} run, the grads are part-way"
        else:
            state = "none run yet"
        return (
            f"<the backward pass of {name}, {total} step{'s' if total != 1 else ''}, {state}. "
            f"Iterating it runs the pass: each step adds into the grads, as {name}.backward() "
            f"does, so do not call {name}.backward() as well (zero_grad() first to run it "
            "again)>"
        )


def _steps(root: Value, grad: float) -> Iterator[Step]:
    order = prepare(root, grad)
    names = NodeNames(order, root)
    root_name = names(root)
    introductions = Introductions(names)
    for index, (node, upstream, raw) in enumerate(reverse_walk(order, GradSlots())):
        op = node._op
        assert op is not None
        introductions.said(node)  # the step's head defines it
        introduces = tuple(introductions.first_uses(node.parents))
        partials = tuple(float(d) for d in raw)
        pnames = tuple(names(p) for p in node.parents)
        yield Step(
            index=index,
            node=node,
            op=op,
            name=names(node),
            root_name=root_name,
            expression=op.expression(pnames),
            upstream=upstream,
            parents=node.parents,
            parent_names=pnames,
            partials=partials,
            formulas=tuple(tidy(op.partial_text(i, pnames)) for i in range(op.arity)),
            contributions=tuple(upstream * d for d in partials),
            constants=tuple(names.is_constant(p) for p in node.parents),
            introduces=introduces,
        )


def step_through(
    root: Value,
    *,
    grad: float = 1.0,
    read: Callable[[str], str] = input,
    file: TextIO | None = None,
) -> None:
    """Walk root's backward pass at a terminal prompt: one step per Enter, 'q' to stop.

    The pass is ``backward_steps`` (the real one: walking it to the end is ``root.backward()``,
    stopping early leaves the grads as the pass has them then). The text says how many steps
    were shown; nothing is returned, so a prompt shows nothing after it.
    """
    _walk(root, grad, read, out=file if file is not None else sys.stdout)


def _walk(root: Value, grad: float, read: Callable[[str], str], out: TextIO) -> int:
    """step_through's walk; returns the steps shown."""
    if not isinstance(root, Value):
        raise TypeError(f"step_through() needs a Value, got {type(root).__name__}")
    total = sum(1 for n in topo_order(root) if n._op is not None)
    steps = backward_steps(root, grad=grad)
    first = next(steps, None)  # starts the pass: the root's grad is now set
    if first is None:
        print(f"{_root_name(root)} is a leaf: its grad is {fmt(root.grad)}, nothing to pass on.",
              file=out)  # fmt: skip
        return 0
    r = first.root_name
    print(
        f"The backward pass of {r}: {total} steps, from d{r}/d{r} = {fmt(grad)} back to the "
        "inputs. Enter: next step, q then Enter: stop.",
        file=out,
    )
    shown = 0
    step: Step | None = first
    while step is not None:
        head = f"[{step.index + 1}/{total}] "
        body = ("\n" + " " * len(head)).join(step.lines())
        print(f"\n{head}{body}", file=out, flush=True)
        shown += 1
        if step.index + 1 == total:
            break
        try:
            answer = read("")
        except (EOFError, KeyboardInterrupt):
            answer = "q"
        if answer.strip().lower() in ("q", "quit", "stop"):
            print(f"stopped after {shown} of {total} steps.", file=out)
            return shown
        step = next(steps, None)
    next(steps, None)  # finish the generator (nothing is left to run)
    print(f"\ndone: every grad is final (the same as {r}.backward()).", file=out)
    return shown


def _root_name(root: Value) -> str:
    return root.label or "L"

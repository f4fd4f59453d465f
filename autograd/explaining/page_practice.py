"""Practice mode's questions: which gradients a learner is asked for, in the engine's order.

A learner is asked for ``d root/d v`` for every Value ``v`` that is not a plain number, at the
backward step that completes its grad (the step of its last consumer in the engine's walk,
``backward_steps``). Each question keeps its chain rule as data: one term per Value ``c`` that
uses ``v``, ``d root/d c · ∂c/∂v``, where ``d root/d c`` is an earlier question (the upstream
gradient) and ``∂c/∂v`` the local partial the engine used. The page's script judges an answer
from these terms (``page_practice.js``) and the terminal (``tracegrad.practising.judge``) works
the same problem with the homework checker; a test keeps the two in step.

>>> from tracegrad.autograd import Value
>>> x, y = Value(2.0, label="x"), Value(-3.0, label="y")
>>> f = x * y; f.label = "f"
>>> [(q.quantity, q.value) for q in practice_questions(f)]
[('df/dx', -3.0), ('df/dy', 2.0)]
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from tracegrad.autograd.explaining.steps import NodeNames, backward_steps, wrap
from tracegrad.autograd.formatting import fmt
from tracegrad.autograd.graph import topo_order
from tracegrad.autograd.value import Value

__all__ = ["Term", "Question", "practice_questions", "practice_data"]


@dataclass(frozen=True)
class Term:
    """One path into a question: ``d root/d consumer · ∂consumer/∂v``.

    ``upstream`` is the index of the question ``d root/d consumer`` (-1: the consumer is the
    root, whose gradient is 1); ``local`` the engine's partial (summed when the consumer uses
    v twice, as in ``x * x``); ``pure``: no other input of the consumer is computed from v, so
    ``∂consumer/∂v`` is a factor of its own (the checker's named local derivative).
    """

    upstream: int
    consumer: str
    local: float
    pure: bool
    text: str  # the local partial as the ops table writes it: 'y', '1 - o**2'


@dataclass(frozen=True)
class Question:
    """``d root/d name`` = ``value`` (the engine's), completed by backward step ``step``."""

    node: Value
    name: str
    quantity: str
    value: float
    step: int
    terms: tuple[Term, ...]

    def formula(self, root_name: str) -> str:
        """The chain rule the question follows: 'dL/dv1 · dv1/dx + ∂L/∂x' (a local
        partial of the root itself is written as the ops table writes it: 'y')."""
        if len(self.terms) == 1 and self.terms[0].upstream < 0:
            return self.terms[0].text
        parts = []
        for t in self.terms:
            local = f"d{t.consumer}/d{self.name}" if t.pure else f"∂{t.consumer}/∂{self.name}"
            parts.append(local if t.upstream < 0 else f"d{root_name}/d{t.consumer} · {local}")
        return " + ".join(parts)


def practice_questions(root: Value) -> list[Question]:
    """Every gradient a learner works out in root's backward pass, in the engine's order.

    Plain numbers (unlabelled leaves) are not asked for, nor the root (its gradient is 1).
    A question's terms come in the order of their consumers in the graph (the checker's).
    Every ``.grad`` is left as it was.
    """
    if not isinstance(root, Value):
        raise TypeError(f"practice_questions() needs a Value, got {type(root).__name__}")
    order = topo_order(root)
    saved = [n.grad for n in order]
    try:
        for n in order:
            n.grad = 0.0
        return _questions(root, order)
    finally:
        for n, g in zip(order, saved):
            n.grad = g


def _questions(root: Value, order: list[Value]) -> list[Question]:
    """``practice_questions``' walk: each Value is asked once the last of its uses has passed
    its gradient back, with one term per use in the order of its consumers."""
    names = NodeNames(order, root)
    pos = {id(n): i for i, n in enumerate(order)}
    waiting = _uses(order, pos)  # parent slots still to pass a gradient back
    above = _ancestors(order, pos)
    asked: dict[int, int] = {}  # Value position -> question index
    terms: dict[int, list[tuple[int, Term]]] = {}
    out: list[Question] = []
    for step in backward_steps(root):
        c = pos[id(step.node)]
        for i, term in _step_terms(step, pos, above, asked.get(c, -1)).items():
            terms.setdefault(i, []).append((c, term))
        for p in step.parents:
            i = pos[id(p)]
            waiting[i] -= 1
            if waiting[i] == 0 and not names.is_constant(p):
                asked[i] = len(out)
                quantity = f"d{step.root_name}/d{names(p)}"
                ts = tuple(t for _, t in sorted(terms[i], key=lambda ct: ct[0]))
                out.append(Question(p, names(p), quantity, p.grad, step.index, ts))
    return out


def _uses(order: list[Value], pos: dict[int, int]) -> list[int]:
    """Per Value, how many input slots of other Values hold it (its uses in the graph)."""
    uses = [0] * len(order)
    for n in order:
        for p in n.parents:
            uses[pos[id(p)]] += 1
    return uses


def _step_terms(step: Any, pos: dict[int, int], above: list[int], up: int) -> dict[int, Term]:
    """One backward step's term for each of its inputs (by position): the local partial
    (summed when the input is used twice), ``pure`` when no other input of the step is
    computed from it, and ``up`` the question the step's own gradient answers (-1: none)."""
    local: dict[int, tuple[float, list[str]]] = {}
    for p, d, text in zip(step.parents, step.partials, step.formulas):
        total, texts = local.get(pos[id(p)], (0.0, []))
        local[pos[id(p)]] = (total + d, [*texts, text])
    out = {}
    for i, (d, texts) in local.items():
        others = [pos[id(u)] for u in step.parents if pos[id(u)] != i]
        pure = not any(above[u] >> i & 1 for u in others)
        text = texts[0] if len(texts) == 1 else " + ".join(map(wrap, texts))
        out[i] = Term(up, step.name, d, pure, text)
    return out


def _ancestors(order: list[Value], pos: dict[int, int]) -> list[int]:
    """Per Value, a bit set of every Value it is computed from (bit i: order[i])."""
    bits = [0] * len(order)
    for i, n in enumerate(order):
        b = 0
        for p in n.parents:
            j = pos[id(p)]
            b |= bits[j] | (1 << j)
        bits[i] = b
    return bits


def practice_data(root: Value, index: dict[int, int], digits: int) -> dict[str, Any]:
    """What the page's script needs to ask and judge: per question its Value (page index),
    the quantity, the engine's value, the backward step that completes it and its terms."""

    questions = practice_questions(root)
    numbers = [x for q in questions for x in (q.value, *(t.local for t in q.terms))]
    if not all(math.isfinite(x) for x in numbers):
        return {"digits": digits, "questions": [], "why": "a gradient here is not a finite number"}
    root_name = NodeNames(topo_order(root), root)(root)
    return {
        "digits": digits,
        "questions": [
            {
                "n": index[id(q.node)],
                "q": q.quantity,
                "name": q.name,
                "v": q.value,
                "shown": fmt(q.value, digits),
                "step": q.step,
                "formula": q.formula(root_name),
                "t": [[t.upstream, t.consumer, t.local, t.pure] for t in q.terms],
            }
            for q in questions
        ],
    }

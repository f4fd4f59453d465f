"""Practice mode's questions: the gradients a student writes, in the engine's order.

A student's hand derivation names the labelled Values (``dE/do1``, ``dE/dnet_o1``, ``dE/dw5``)
and folds the unlabelled steps between them into one local derivative, as ``explain`` does
(``--fold``): the fold here is ``grouping.CondensedGraph`` over the whole graph. A generated
name (``v12``) is asked about only where its definition would not fit inline (the fold keeps
it, as ``explain`` introduces it). A learner is asked for ``d root/d v`` for every kept Value
``v`` that is not a plain number, at the backward step that completes its grad (the step of
its last consumer in the engine's walk, ``backward_steps``). Each question keeps its chain
rule as data: one term per kept Value ``c`` that uses ``v``, ``d root/d c · dc/dv``, where
``d root/d c`` is an earlier question (the upstream gradient) and ``dc/dv`` the folded local
derivative. The page's script judges an answer from these terms (``page_practice.js``) and
the terminal (``tracegrad.practising.judge``) works the same problem with the homework checker;
a test keeps the two in step.

A hint names the rule, never the result: which local derivative, in words from the ops table
(``Op.rule``), and which earlier question's answer it multiplies (``Question.hint``).

>>> from tracegrad.autograd import Value
>>> x, y = Value(2.0, label="x"), Value(-3.0, label="y")
>>> f = x * y; f.label = "f"
>>> [(q.quantity, q.value) for q in practice_questions(f)]
[('df/dx', -3.0), ('df/dy', 2.0)]
>>> print(practice_questions(f)[0].hint("other"))
wrong: df/dx is the derivative of a product with respect to one of its factors (the other factor)
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from tracegrad.autograd.explaining.derivation import Factor
from tracegrad.autograd.explaining.grouping import CondensedGraph
from tracegrad.autograd.explaining.record import RecordedPass, record_pass
from tracegrad.autograd.formatting import fmt
from tracegrad.autograd.value import Value

__all__ = ["Term", "Question", "Folded", "practice_questions", "practice_data"]


@dataclass(frozen=True)
class Term:
    """One path into a question: ``d root/d consumer · d consumer/d v``.

    ``upstream`` is the index of the question ``d root/d consumer`` (-1: the consumer is the
    root, whose gradient is 1); ``local`` the folded local derivative (the engine's partials
    along the unlabelled steps, summed over their paths); ``pure``: no other kept input of the
    consumer is computed from v, so ``d consumer/d v`` is a factor of its own (the checker's
    named local derivative); ``rule`` says which derivative it is, in words.
    """

    upstream: int
    consumer: str
    local: float
    pure: bool
    text: str  # the local derivative's formula: 'h1', 'o1 * (1 - o1)'
    rule: str = ""

    def local_name(self, name: str) -> str:
        return f"d{self.consumer}/d{name}" if self.pure else f"∂{self.consumer}/∂{name}"


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
        """The chain rule the question follows, by names only: 'dL/dv1 · dv1/dx + ∂L/∂x'."""
        parts = []
        for t in self.terms:
            local = t.local_name(self.name)
            parts.append(local if t.upstream < 0 else f"d{root_name}/d{t.consumer} · {local}")
        return " + ".join(parts)

    def explained(self, root_name: str) -> str:
        """The rule behind the question in words: which earlier answers it multiplies, and
        which local derivative each is (never a number: the learner works those out)."""
        if len(self.terms) == 1 and self.terms[0].upstream < 0:
            return f"{self.quantity} is {self.terms[0].rule}"
        ups = [f"d{root_name}/d{t.consumer}" for t in self.terms if t.upstream >= 0]
        were = "is your answer to an earlier question"
        if len(ups) > 1:
            were = "are your answers to earlier questions"
        said = f"{_listed(ups)} {were}" if ups else ""
        locals_ = "; ".join(f"{t.local_name(self.name)} is {t.rule}" for t in self.terms)
        return f"{self.quantity} = {self.formula(root_name)}: " + "; ".join(
            x for x in (said, locals_) if x
        )

    def hint(self, kind: str, root_name: str = "", factor: str = "") -> str:
        """The line a learner reads after a wrong answer of ``kind`` (the checker's diagnosis:
        'sign', 'factor', 'path', 'whole', anything else 'other'): it names the rule and the
        earlier question, never the answer (``tests/test_practice_hints.py``)."""
        r = root_name or self.quantity[1 : self.quantity.index("/")]
        if kind == "sign":
            why = self.explained(r)
            return f"wrong: right size, wrong sign; check the sign of each factor: {why}"
        if kind == "factor":
            why = self.explained(r)
            return f"wrong: a factor of the chain rule is missing: look at {factor} ({why})"
        if kind == "path":
            users = _listed([t.consumer for t in self.terms])
            return (
                f"wrong: a path is missing: {self.name} is used by {users}, and "
                f"{self.quantity} = {self.formula(r)} adds a term for each"
            )
        if kind == "whole":
            return "wrong: a whole number claims to be exact; write the decimals"
        return f"wrong: {self.explained(r)}"


def _listed(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


class Folded:
    """Root's graph as a student writes it: the labelled Values (and root), the unlabelled
    steps folded between them by ``CondensedGraph``, and the generated names whose definition
    would not fit inline kept as Values of their own (as ``explain`` introduces them)."""

    def __init__(self, root: Value, caller: str = "practice_questions()") -> None:
        self.root = root
        self.p: RecordedPass = record_pass(root, caller)
        names = self.p.names
        keep: frozenset[int] = frozenset()
        while True:
            g = CondensedGraph(self.p, root, None, False, keep)
            extra = {
                id(q)
                for top in g.key_nodes
                if top._op is not None
                for q in g.writer.named_inputs(top)
                if id(q) not in g.boundary and not names.is_constant(q)
            }
            if not extra:
                break
            keep |= extra
        self.graph = g
        self.names = names
        self.kept = [n for n in g.key_nodes]  # inputs first

    def definition(self, node: Value) -> str:
        """'net_o1 = w5 * h1 + w6 * h2 + b3': a kept Value from the kept Values below it."""
        return self.graph.writer.definition(node)

    def expression(self, node: Value) -> str:
        return self.graph.writer.expression(node)

    def below(self, node: Value) -> list[Value]:
        """The kept Values node's definition names (its factors' bottoms), lowest first."""
        return [b for b, _ in self.graph.below.get(id(node), [])]

    def above(self, node: Value) -> list[tuple[Value, Factor]]:
        """The kept Values that use node, each with its folded factor."""
        return self.graph.above.get(id(node), [])

    def rule(self, f: Factor) -> str:
        """Which local derivative a factor is, in words: the ops table's rule for a factor of
        one operation, the rules along the unlabelled steps for a folded one."""
        top, bottom = f.top_node, f.bottom_node
        assert top is not None and bottom is not None
        inside = {id(n) for n in self.p.order if self.names(n) in f.folded and not n.label}
        rules: list[str] = []
        for n in [top, *(n for n in reversed(self.p.order) if id(n) in inside)]:
            assert n._op is not None
            for i, q in enumerate(n.parents):
                if q is bottom or id(q) in inside:
                    rule = n._op.rule(i)
                    if rule not in rules:
                        rules.append(rule)
        if len(rules) == 1 and not f.folded:
            return rules[0]
        through = "the sum over its paths of " if f.paths > 1 else ""
        return (
            f"{through}the chain rule through the unlabelled steps from {f.top} down to "
            f"{f.bottom}: " + ", then ".join(rules)
        )


def practice_questions(root: Value) -> list[Question]:
    """Every gradient a learner works out in root's backward pass, in the engine's order.

    Plain numbers (unlabelled leaves) are not asked for, nor the root (its gradient is 1).
    A question's terms come in the order of their consumers in the graph (the checker's).
    Every ``.grad`` is left as it was.
    """
    if not isinstance(root, Value):
        raise TypeError(f"practice_questions() needs a Value, got {type(root).__name__}")
    return questions_of(Folded(root))


def questions_of(fold: Folded) -> list[Question]:
    """The questions of a folded graph (``practice_questions``)."""
    p, names, root = fold.p, fold.names, fold.root
    order = p.order
    pos = {id(n): i for i, n in enumerate(order)}
    steps = [n for n in reversed(order) if n._op is not None]  # the engine's walk
    step_of = {id(n): k for k, n in enumerate(steps)}
    done: dict[int, int] = {}  # a Value's grad is complete at its last consumer's step
    for n in steps:
        for q in n.parents:
            done[id(q)] = max(done.get(id(q), -1), step_of[id(n)])
    above = _ancestors(order, pos)
    asked = [n for n in fold.kept if n is not root and not names.is_constant(n)]
    asked.sort(key=lambda n: (done[id(n)], pos[id(n)]))
    index = {id(n): i for i, n in enumerate(asked)}
    root_name = names(root)
    out: list[Question] = []
    for n in asked:
        i = pos[id(n)]
        ts = []
        for top, f in sorted(fold.above(n), key=lambda tf: pos[id(tf[0])]):
            others = [pos[id(b)] for b in fold.below(top) if b is not n]
            pure = not any(above[u] >> i & 1 for u in others)
            up = -1 if top is root else index[id(top)]
            ts.append(Term(up, names(top), f.value, pure, f.formula, fold.rule(f)))
        quantity = f"d{root_name}/d{names(n)}"
        out.append(Question(n, names(n), quantity, p.grads[id(n)], done[id(n)], tuple(ts)))
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
    the quantity, the engine's value, the backward step that completes it, its terms and the
    hints a wrong answer reads (``Question.hint``: the terminal's words, the same rule)."""

    fold = Folded(root, "backward_page()")
    questions = questions_of(fold)
    numbers = [x for q in questions for x in (q.value, *(t.local for t in q.terms))]
    if not all(math.isfinite(x) for x in numbers):
        return {"digits": digits, "questions": [], "why": "a gradient here is not a finite number"}
    root_name = fold.names(root)
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
                "x": q.explained(root_name),  # the script writes the hints around it
                "p": q.hint("path", root_name) if len(q.terms) > 1 else "",
            }
            for q in questions
        ],
    }

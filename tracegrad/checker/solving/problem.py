"""A worked problem as a list of named quantities in textbook order.

Each quantity has the engine's number and a *recipe*: the textbook formula that computes it
from a few earlier quantities (``dE/dw5 = dE/do1 · do1/dnet_o1 · dnet_o1/dw5``). The engine's
numbers say what is right; the recipes, fed with the student's own earlier figures, say what
the student should have got from what they had (error carried forward).
"""

from __future__ import annotations

import math
import re
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from tracegrad.autograd.value import Value
from tracegrad.checker.solving.formulas import sig

__all__ = [
    "Key",
    "Quantity",
    "Problem",
    "normalise",
    "apply_recipe",
    "GIVEN",
    "FORWARD",
    "LOSS",
    "BACKWARD_FACTORS",
    "GRADIENTS",
    "UPDATES",
    "VALUES",
    "DERIVATIVES",
    "ZERO_DERIVATIVES",
    "HIGHER_DERIVATIVES",
]

Key = tuple[int, str]  # (step, canonical name)

# The sections of a worked solution, in textbook order: every quantity is in one of them, and
# the judging names them through these constants (never a bare string).
GIVEN = "given"  # inputs, targets, the learning rate, the weights a step starts from
FORWARD = "forward"
LOSS = "loss"
BACKWARD_FACTORS = "backward factors"
GRADIENTS = "gradients"
UPDATES = "updates"
VALUES = "values"  # an expression sheet's named expressions
DERIVATIVES = "derivatives"
ZERO_DERIVATIVES = "zero derivatives"  # d f/d v for a v that f does not use
HIGHER_DERIVATIVES = "higher derivatives"


@dataclass
class Quantity:
    """One named number of the worked solution."""

    name: str  # canonical: 'net_o1', 'dE/dw5', 'w5_new'
    step: int
    section: str  # GIVEN, FORWARD, LOSS, BACKWARD_FACTORS, GRADIENTS, UPDATES, ...
    value: float  # the engine's number
    deps: tuple[Key, ...] = ()
    compute: Callable[[Sequence[float]], float] | None = None  # the recipe, on deps' numbers
    formula: str = ""  # the recipe as text, in terms of the deps' names
    aliases: tuple[str, ...] = ()
    alternatives: tuple[tuple[str, Callable[[Sequence[float]], float]], ...] = ()
    # common slips: (what the student did, the same deps -> the number it gives)
    kind: str = ""  # 'local' (one operation's derivative), 'chain' (upstream x local), ...
    paths: tuple[tuple[Key, ...], ...] = ()  # the recipe as a sum of products of deps
    # given or frozen: exact whatever digits a student restates it with (no rounding room)
    exact: bool = False
    # the same number by other recipes through other named figures (dE/dw5 from the written
    # delta dE/dnet_o1): each a Quantity with this name, its own deps, compute and formula
    shortcuts: tuple[Quantity, ...] = ()
    # the activation whose value or slope this is ('relu', 'sigmoid'): worked on the student's
    # own figure, a 0 or 1 it gives shows the method (relu of a negative figure is 0)
    activation: str = ""
    never_zero: bool = False  # an activation's slope that is 0 at no finite input (sigmoid's)

    @property
    def key(self) -> Key:
        return (self.step, self.name)

    def label(self, steps: int) -> str:
        return self.name if steps <= 1 else f"step {self.step}: {self.name}"


@dataclass
class Problem:
    """The quantities of a homework in textbook order, with name lookup."""

    kind: str
    title: str
    quantities: list[Quantity]
    steps: int = 1
    roots: dict[int, Value] = field(default_factory=dict)  # per step: the graph's root (E, f)
    describe: list[str] = field(default_factory=list)  # lines that state the problem
    nodes: dict[Key, Value] = field(default_factory=dict)  # engine Values by quantity
    on_demand: Callable[[str, int], Quantity | None] | None = None  # e.g. 'd2f/dxdy'
    index: dict[Key, Quantity] = field(init=False)
    aliases: dict[Key, Key] = field(init=False)

    def __post_init__(self) -> None:
        self.index = {}
        self.aliases = {}
        for q in self.quantities:
            self._register(q)

    def _register(self, q: Quantity) -> None:
        self.index[q.key] = q
        for a in (q.name, *q.aliases):
            self.aliases.setdefault((q.step, normalise(a)), q.key)

    def add(self, q: Quantity) -> None:
        """Append a quantity made on demand (it depends on nothing after it)."""
        self.quantities.append(q)
        self._register(q)

    def resolve(self, name: str, step: int = 1) -> Quantity | None:
        """The quantity a student's name means at ``step`` (aliases and spelling variants)."""
        key = self.aliases.get((step, normalise(name)))
        if key is None and self.on_demand is not None:
            made = self.on_demand(name, step)
            return made
        return self.index[key] if key else None

    def names(self, step: int = 1) -> list[str]:
        return [q.name for q in self.quantities if q.step == step]

    def order(self) -> dict[Key, int]:
        return {q.key: i for i, q in enumerate(self.quantities)}

    def ancestors(self, key: Key) -> list[Key]:
        """Every quantity ``key`` is computed from, nearest first (breadth first)."""
        order: list[Key] = []
        seen: set[Key] = set()
        todo = deque(self.index[key].deps)
        while todo:
            k = todo.popleft()
            if k in seen:
                continue
            seen.add(k)
            order.append(k)
            todo.extend(self.index[k].deps)
        return order

    def with_numbers(
        self, q: Quantity, values: dict[Key, float] | None = None, digits: int = 4
    ) -> str:
        """The recipe with numbers put in: 'dE/dw5 = dE/do1 · ... = (-0.1835)(0.2031)(0.5399)'.

        Numbers are written to ``digits`` significant figures (0.0004386, not 0.0004).
        """

        def fmt(x: float) -> str:
            return sig(x, digits)

        vals = values or {k: self.index[k].value for k in q.deps}
        text = q.formula
        if not text:
            return f"{q.name} = {fmt(q.value)}"
        # replace longest names first so 'h1' does not eat part of 'net_h1'
        names = sorted(((self.index[k].name, vals[k]) for k in q.deps), key=lambda t: -len(t[0]))
        filled = text
        for i, (name, _) in enumerate(names):
            filled = re.sub(rf"(?<![\w/∂]){re.escape(name)}(?![^\W²³]|/)", f"\x00{i}\x00", filled)
        for i, (_, v) in enumerate(names):
            token = f"\x00{i}\x00"
            while token in filled:
                at = filled.index(token)
                before = filled[:at].rstrip()
                after = filled[at + len(token) :].lstrip()
                bare = (
                    v >= 0
                    or (not before or before.endswith(("(", "=")))
                    and not after.startswith(("**", "²", "³"))
                )
                filled = filled.replace(token, fmt(v) if bare else f"({fmt(v)})", 1)
        result = fmt(q.value)
        if text == result:  # a constant: 'dn/db = 1'
            return f"{q.name} = {text}"
        if filled in (text, result) or len(q.deps) == 1 and text == names[0][0]:
            return f"{q.name} = {text} = {result}"
        return f"{q.name} = {text} = {filled} = {result}"


_SPACES = re.compile(r"\s+")


def normalise(name: str) -> str:
    """One spelling per name: no spaces, '∂' as 'd', E_total as E, δ_x as delta_x."""
    s = _SPACES.sub("", name).replace("∂", "d").replace("δ", "delta_").replace("delta__", "delta_")
    s = s.replace("·", "*").replace("’", "'").replace("⁺", "+")
    s = re.sub(r"(?<![A-Za-z0-9_])(d?)E_?(?:total|tot)(?![A-Za-z0-9_])", r"\1E", s)
    s = re.sub(r"(?<![A-Za-z0-9_])dout_", "d", s)
    s = re.sub(r"(?<![A-Za-z0-9_])out_", "", s)
    return s


def apply_recipe(fn: object, args: Sequence[float]) -> float | None:
    """A recipe on numbers; None where it is undefined (a division by zero, log of a negative)."""
    try:
        r = float(fn(args))  # type: ignore[operator]
    except (ArithmeticError, ValueError, TypeError):
        return None
    return r if math.isfinite(r) else None

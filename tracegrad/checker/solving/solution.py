"""The full worked solution, in the order a textbook presents it.

For a network, per step: the given numbers, the forward pass, the loss, the backward factors,
the gradients and the updated weights; for expressions: values, then derivatives. Each line
is the recipe, with the numbers put in, and the engine's result.
"""

from __future__ import annotations

import re
from itertools import groupby
from pathlib import Path

from tracegrad import autograd  # autograd.save_graph: drawing loads when a graph is saved
from tracegrad.autograd.safety import md_code, md_text, printable
from tracegrad.checker.reading.homework import Homework
from tracegrad.checker.solving.formulas import sig as fmt
from tracegrad.checker.solving.problem import (
    BACKWARD_FACTORS,
    DERIVATIVES,
    FORWARD,
    GIVEN,
    GRADIENTS,
    HIGHER_DERIVATIVES,
    LOSS,
    UPDATES,
    VALUES,
    ZERO_DERIVATIVES,
    Problem,
    Quantity,
)

__all__ = ["Solution"]

_TITLES = {
    GIVEN: "Given",
    FORWARD: "Forward pass",
    LOSS: "Loss",
    BACKWARD_FACTORS: "Backward factors (chain rule, output layer first)",
    GRADIENTS: "Gradients",
    UPDATES: "Updated weights",
    VALUES: "Values",
    DERIVATIVES: "Derivatives (backward pass: output first, each upstream × local)",
    HIGHER_DERIVATIVES: "Higher derivatives",
}


_HIDDEN = {ZERO_DERIVATIVES}  # d f/d v for a v that f does not use: 0, not worth a line


class Solution:
    """A homework worked by the engine: ``text()``, ``markdown()``, ``save_graph(path)``."""

    def __init__(self, hw: Homework, problem: Problem) -> None:
        self.homework = hw
        self.problem = problem

    def sections(self) -> list[tuple[int, str, list[Quantity]]]:
        """(step, section, quantities) in textbook order."""
        out = []
        shown = [q for q in self.problem.quantities if q.section not in _HIDDEN]
        for (step, section), qs in groupby(shown, key=lambda q: (q.step, q.section)):
            out.append((step, section, list(qs)))
        return out

    def values(self) -> dict[str, float]:
        """Every quantity's engine number, by its label ('step 2: w5_new' after step 1)."""
        steps = self.problem.steps
        return {q.label(steps): q.value for q in self.problem.quantities}

    def _line(self, q: Quantity) -> str:
        if q.section == GIVEN and not q.deps:
            return f"{q.name} = {_given(q.value)}"
        return self.problem.with_numbers(q)

    def text(self) -> str:
        p = self.problem
        title = printable(p.title, line=True) if p.title else "Worked solution"
        out = [title, *(f"  {printable(d, line=True)}" for d in p.describe)]
        last_step = 0
        for step, section, qs in self.sections():
            if p.steps > 1 and step != last_step:
                out += ["", f"=== Step {step} ==="]
                last_step = step
            out += ["", _TITLES.get(section, section.capitalize())]
            if section == GIVEN:
                given = ", ".join(f"{q.name} = {_given(q.value)}" for q in qs)
                out.append("  " + printable(given, line=True))
                continue
            out += [f"  {printable(self._line(q), line=True)}" for q in qs]
        return "\n".join(out)

    def markdown(self) -> str:
        p = self.problem
        title = md_text(p.title) if p.title else "Worked solution"
        out = [f"## {title}", "", *(f"- {md_text(d)}" for d in p.describe)]
        last_step = 0
        for step, section, qs in self.sections():
            if p.steps > 1 and step != last_step:
                out += ["", f"### Step {step}"]
                last_step = step
            out += ["", f"**{_TITLES.get(section, section.capitalize())}**", ""]
            if section == GIVEN:
                out.append(", ".join(f"{md_code(q.name)} = {_given(q.value)}" for q in qs))
                continue
            out.append("| quantity | worked out | value |")
            out.append("|---|---|---:|")
            for q in qs:
                line = self._line(q)
                work = line.split(" = ", 1)[1].rsplit(" = ", 1)[0] if " = " in line else ""
                work = md_text(re.sub(r"(?<!\*)\*(?!\*)", "·", work))
                out.append(f"| {md_code(q.name)} | {work} | {fmt(q.value)} |")
        return "\n".join(out)

    def save_graph(self, path: str | Path, step: int = 1) -> Path:
        """Draw the computation graph of ``step`` (its values and gradients) to a picture."""

        root = self.problem.roots.get(step)
        if root is None:
            raise ValueError(f"no step {step}; the problem has {self.problem.steps}")
        return autograd.save_graph(root, path)

    def __str__(self) -> str:
        return self.text()

    def __repr__(self) -> str:
        p = self.problem
        shown = sum(q.section not in _HIDDEN for q in p.quantities)
        steps = f", {p.steps} steps" if p.steps > 1 else ""
        return f"<Solution {self.homework.path}: {p.kind}, {shown} quantities{steps}>"


def _given(x: float) -> str:
    return f"{x:g}" if abs(x) >= 1e-4 or x == 0 else fmt(x)

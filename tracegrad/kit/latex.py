"""The worked solution as a LaTeX document, as a TA hands it out (``tracegrad solve --format
latex``): per step and section, each quantity's recipe, the numbers put in and the result.

Text from the sheet (its title, names, formulas) is made printable (``safety.printable``) and
then LaTeX-escaped by ``latex_text``, so it can neither run a command nor break the document.
"""

from __future__ import annotations

import re
from typing import Any

from tracegrad.autograd.safety import printable
from tracegrad.checker.solving.solution import _TITLES, _given

__all__ = ["latex_text", "solution_latex"]

_ESCAPES = {
    "\\": r"\textbackslash{}",
    "{": r"\{",
    "}": r"\}",
    "$": r"\$",
    "&": r"\&",
    "#": r"\#",
    "^": r"\textasciicircum{}",
    "_": r"\_",
    "%": r"\%",
    "~": r"\textasciitilde{}",
    "·": r"$\cdot$",
    "²": r"$^2$",
    "³": r"$^3$",
    "∂": r"$\partial$",
    "δ": r"$\delta$",
    "η": r"$\eta$",
    "→": r"$\to$",
    "−": "-",
}


def latex_text(text: object) -> str:
    """``text`` on one line with every character LaTeX treats specially escaped."""
    return "".join(_ESCAPES.get(ch, ch) for ch in printable(text, line=True))


def _worked(line: str) -> str:
    """A worked line as a TA writes it: x**2 as x², a*b as a·b (then escaped)."""
    line = re.sub(r"\*\*([23])\b", lambda m: "²" if m.group(1) == "2" else "³", line)
    return latex_text(line.replace("*", "·"))


def solution_latex(solution: Any) -> str:
    """A standalone LaTeX document of ``solution`` (a ``checker.solving.solution.Solution``)."""

    p = solution.problem
    title = latex_text(p.title) if p.title else "Worked solution"
    out = [
        r"\documentclass{article}",
        r"\usepackage[utf8]{inputenc}",
        r"\usepackage{amsmath}",
        r"\begin{document}",
        rf"\section*{{{title}}}",
        r"\begin{itemize}",
        *(rf"\item {_worked(d)}" for d in p.describe),
        r"\end{itemize}",
    ]
    last_step = 0
    for step, section, qs in solution.sections():
        if p.steps > 1 and step != last_step:
            out.append(rf"\subsection*{{Step {step}}}")
            last_step = step
        out.append(rf"\subsubsection*{{{latex_text(_TITLES.get(section, section.capitalize()))}}}")
        if section == "given":
            given = ", ".join(f"{q.name} = {_given(q.value)}" for q in qs)
            out.append(_worked(given) + r"\par")
            continue
        out.append(r"\begin{itemize}")
        out += [rf"\item {_worked(solution._line(q))}" for q in qs]
        out.append(r"\end{itemize}")
    out.append(r"\end{document}")
    return "\n".join(out) + "\n"

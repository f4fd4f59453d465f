r"""The worked solution as a LaTeX document, as a TA hands it out (``tracegrad solve --format
latex``): per step and section, each quantity's recipe, the numbers put in and the result.

Text from the sheet (its title, names, formulas) is made printable (``safety.printable``) and
then LaTeX-escaped by ``latex_text``, so it can neither run a command nor break the document.
The document is plain ASCII, so pdflatex compiles it whatever the title holds: Greek letters
become math (σ as ``$\sigma$``), accented letters TeX's accents (é as ``\'{e}``), and what
pdflatex cannot set (CJK, an emoji) its code point, ``[U+4E2D]``.
"""

from __future__ import annotations

import functools
import re
import unicodedata
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
    "[": "{[}",  # never read as an optional argument (\item [x])
    "]": "{]}",
    "ß": r"\ss{}",
    "æ": r"\ae{}",
    "Æ": r"\AE{}",
    "œ": r"\oe{}",
    "Œ": r"\OE{}",
    "ø": r"\o{}",
    "Ø": r"\O{}",
    "ł": r"\l{}",
    "Ł": r"\L{}",
    "ı": r"\i{}",
    "–": "--",
    "—": "---",
    "…": r"\ldots{}",
    "‘": "`",
    "’": "'",
    "“": "``",
    "”": "''",
    "«": r"\guillemotleft{}",
    "»": r"\guillemotright{}",
    "×": r"$\times$",
    "±": r"$\pm$",
    "≤": r"$\leq$",
    "≥": r"$\geq$",
    "≠": r"$\neq$",
    "≈": r"$\approx$",
    "∞": r"$\infty$",
    "∑": r"$\sum$",
    "√": r"$\surd$",
    "°": r"$^\circ$",
    "µ": r"$\mu$",
    "\u00a0": "~",
}
# TeX's accents, by the combining mark that NFD splits off a letter
_ACCENTS = {"\u0300": "`", "\u0301": "'", "\u0302": "^", "\u0303": "~", "\u0304": "=",
            "\u0306": "u", "\u0307": ".", "\u0308": '"', "\u030a": "r", "\u030b": "H",
            "\u030c": "v", "\u0327": "c", "\u0328": "k"}  # fmt: skip
# Greek capitals that differ from Latin ones have their own macro; the rest are Latin letters
_CAPITALS = {"GAMMA", "DELTA", "THETA", "LAMDA", "XI", "PI", "SIGMA", "UPSILON", "PHI", "PSI",
             "OMEGA"}  # fmt: skip
_LATIN_CAPITALS = {"ALPHA": "A", "BETA": "B", "EPSILON": "E", "ZETA": "Z", "ETA": "H",
                   "IOTA": "I", "KAPPA": "K", "MU": "M", "NU": "N", "OMICRON": "O", "RHO": "P",
                   "TAU": "T", "CHI": "X"}  # fmt: skip


def latex_text(text: object) -> str:
    """``text`` on one line with every character LaTeX treats specially escaped, in ASCII."""
    return "".join(_tex(ch) for ch in printable(text, line=True))


@functools.lru_cache(maxsize=4096)
def _tex(ch: str) -> str:
    """One character as pdflatex sets it (see the module); math in braces, so two in a row
    never make ``$$`` (display math)."""
    out = _tex_char(ch)
    return f"{{{out}}}" if out.startswith("$") else out


def _tex_char(ch: str) -> str:
    if ch in _ESCAPES:
        return _ESCAPES[ch]
    if ch.isascii():
        return ch
    name = unicodedata.name(ch, "")
    greek = re.fullmatch(r"GREEK (SMALL|CAPITAL) LETTER (FINAL )?([A-Z]+)", name)
    if greek:
        small, final, letter = greek.group(1) == "SMALL", greek.group(2), greek.group(3)
        macro = "lambda" if letter == "LAMDA" else letter.lower()
        if small and letter != "OMICRON":
            return rf"$\var{macro}$" if final else rf"$\{macro}$"
        if small:
            return "o"
        if letter in _CAPITALS:
            return rf"$\{macro.capitalize()}$"
        if letter in _LATIN_CAPITALS:
            return _LATIN_CAPITALS[letter]
    split = unicodedata.normalize("NFD", ch)
    base, marks = split[0], list(split[1:])
    if base.isascii() and base.isalpha() and marks and all(m in _ACCENTS for m in marks):
        out = base
        for m in marks:
            out = f"\\{_ACCENTS[m]}{{{out}}}"
        return out
    if marks and not base.isascii() and not _tex_char(base).startswith("{[}"):
        return _tex_char(base)  # a Greek letter's accent (tonos) dropped: έ as epsilon
    return f"{{[}}U+{ord(ch):04X}{{]}}"


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

"""The checker's report: every answer with the student's number, the engine's, a verdict."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from tracegrad.autograd.safety import md_code, md_fence, md_text, printable
from tracegrad.checker.judging.diagnose import (
    ACCEPTED,
    CARRIED,
    CUT_SHORT,
    IMPRECISE,
    RIGHT,
    SIGN,
    TRUNCATED,
    WRONG,
    Mark,
    show_like,
)
from tracegrad.checker.limits import DiagnosisBudget, cut_short_note
from tracegrad.checker.solving.problem import Problem

__all__ = ["Report"]


@dataclass(repr=False)
class Report:
    """What ``check()`` returns: the marks in the sheet's order and what they add up to."""

    path: str
    title: str
    kind: str
    marks: list[Mark]
    problem: Problem
    budget: DiagnosisBudget | None = None  # what the diagnoses cost (for tests, benchmarks)

    @property
    def ok(self) -> bool:
        """True when every answer is accepted (right, carried forward or truncated)."""
        return all(m.ok for m in self.marks)

    @property
    def wrong(self) -> list[Mark]:
        return [m for m in self.marks if not m.ok]

    @property
    def first_mistake(self) -> Mark | None:
        """The first answer on the sheet that is not accepted: where to look first."""
        return self.wrong[0] if self.wrong else None

    @property
    def exit_status(self) -> int:
        return 0 if self.ok else 1

    def verdicts(self) -> dict[str, str]:
        """answer label -> verdict, for tests and notebooks."""
        return {m.label: m.verdict for m in self.marks}

    def mark(self, label: str) -> Mark:
        """The mark of the answer written as ``label`` ('dE/dw5', 'step 2: w5_new')."""
        for m in self.marks:
            if m.label == label or m.answer.key == label:
                return m
        raise KeyError(f"no answer {label!r}; answers: {', '.join(m.label for m in self.marks)}")

    def summary(self) -> str:
        c = Counter(m.verdict for m in self.marks)
        n_ok = sum(c[v] for v in ACCEPTED)
        parts = [f"{n_ok} of {len(self.marks)} accepted"]
        detail = [f"{c[v]} {v}" for v in (RIGHT, CARRIED, TRUNCATED) if c[v]]
        if detail:
            parts[0] += f" ({', '.join(detail)})"
        parts += [f"{c[v]} {v}" for v in (SIGN, IMPRECISE, WRONG) if c[v]]
        cut = sum(m.reason == CUT_SHORT for m in self.marks)
        if cut:
            parts.append(cut_short_note(cut))
        return "; ".join(parts)

    def __repr__(self) -> str:
        first = self.first_mistake
        where = f", first mistake {first.label}" if first is not None else ""
        return f"<Report {self.path}: {self.summary()}{where}>"

    def records(self) -> list[dict[str, object]]:
        """One plain dict per answer (for --format json and csv), in the sheet's order."""
        first = self.first_mistake
        return [
            {
                "name": m.label,
                "line": m.answer.line,
                "yours": m.answer.text,
                "expected": m.engine,
                "verdict": m.verdict,
                "accepted": m.ok,
                "reason": m.message,
                "diagnosis": m.reason,
                "carried_from": list(m.sources),
                "first_mistake": first is not None and m is first,
            }
            for m in self.marks
        ]

    def as_dict(self) -> dict[str, object]:
        """The whole report as plain data (what ``tracegrad check --format json`` prints)."""
        first = self.first_mistake
        return {
            "path": self.path,
            "title": self.title,
            "kind": self.kind,
            "ok": self.ok,
            "summary": self.summary(),
            "first_mistake": first.label if first is not None else None,
            "answers": self.records(),
        }

    # ------------------------------------------------------------ text
    def _rows(self) -> list[tuple[str, str, str, str, str]]:
        rows = []
        for m in self.marks:
            why = m.message
            if m.upstream and m.upstream != m.label and not m.ok:
                why += f" [first mistake: {m.upstream}]"
            rows.append((m.label, m.answer.text, show_like(m.answer, m.engine), m.verdict, why))
        return rows

    def _text_rows(self) -> list[tuple[str, ...]]:
        """The rows with the sheet's text made printable (safety.printable, one line)."""
        return [tuple(printable(c, line=True) for c in r) for r in self._rows()]

    def table(self, *, derivations: bool = True) -> str:
        """The report as plain text: the table, the first mistake and its derivation."""
        head = ("answer", "yours", "engine", "verdict", "why")
        rows = self._text_rows()
        widths = [max(len(r[i]) for r in [head, *rows]) for i in range(4)]
        out = []
        if self.title:
            out.append(printable(self.title, line=True))
        out.append(f"{printable(self.path, line=True)}: {self.summary()}")
        out.append("")
        line = "  ".join(h.ljust(w) for h, w in zip(head[:4], widths)) + "  " + head[4]
        out.append(line.rstrip())
        out.append("  ".join("-" * w for w in widths) + "  " + "-" * 3)
        for r in rows:
            cells = [r[0].ljust(widths[0]), r[1].rjust(widths[1]), r[2].rjust(widths[2])]
            cells.append(r[3].ljust(widths[3]))
            out.append(("  ".join(cells) + "  " + r[4]).rstrip())
        first = self.first_mistake
        if first is not None:
            where = f" (line {first.answer.line})" if first.answer.line else ""
            said = (first.label, first.answer.text, first.message)
            label, text, message = (printable(t, line=True) for t in said)
            out += ["", f"First mistake: {label} = {text}{where}: {message}"]
            if derivations:
                shown = [first] + [m for m in self.wrong if m is not first and not m.upstream]
                for m in shown:
                    if m.derivation:
                        out += ["", f"How {printable(m.label, line=True)} is worked out:"]
                        out += ["  " + printable(t) for t in m.derivation.splitlines()]
        return "\n".join(out)

    def markdown(self) -> str:
        """The same report as a Markdown table (for notes); the sheet's text is escaped
        (safety.md_text, md_code, md_fence): no HTML, no link, no unclosed code span."""
        out = []
        if self.title:
            out += [f"### {md_text(self.title)}", ""]
        out += [f"**{self.summary()}**", ""]
        out += ["| answer | yours | engine | verdict | why |", "|---|---:|---:|---|---|"]
        for r in self._rows():
            out.append(f"| {md_code(r[0])} | " + " | ".join(md_text(c) for c in r[1:]) + " |")
        first = self.first_mistake
        if first is not None:
            label, text = md_code(first.label), md_text(first.answer.text)
            out += ["", f"**First mistake:** {label} = {text}: {md_text(first.message)}"]
            if first.derivation:
                out += ["", md_fence(first.derivation)]
        return "\n".join(out)

    def __str__(self) -> str:
        return self.table()

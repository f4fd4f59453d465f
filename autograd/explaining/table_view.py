"""The whole backward pass as a table, one row per Value: ``backward_table(root)``.

Each row is a Value's name, how it was made, its data, d(root)/d(it) from a recorded pass
(``tracegrad.autograd.explaining.record``; no ``.grad`` changes) and its local derivatives with
the ops table's formulas. Constants (the 0.5 and the 2 of ``0.5 * (y - o)**2``) get no row
and no derivative: they are numbers inside the formulas, listed under the table. A name the
graph does not hold (v1, v2, ...) is explained in a note above the table: each such Value has
its own row further down. ``str()`` and the REPL's ``repr`` are plain text; ``rich`` (or
``show()`` on a terminal) prints a rich table, or a few lines per Value on a terminal too narrow
for one.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, TextIO

from tracegrad.autograd.explaining.record import record_pass
from tracegrad.autograd.explaining.steps import wrap
from tracegrad.autograd.formatting import fmt, tidy
from tracegrad.autograd.value import Value

__all__ = ["TableRow", "BackwardTable", "backward_table"]

_MIN_LAST_COLUMN = 16  # a rich table narrower than its numbers plus this much is printed plain


@dataclass(frozen=True)
class TableRow:
    """One Value in the backward pass: its name, op, data, d(root)/d(it) and local partials.

    ``partials`` pairs each input's name with (formula, value) of d(this)/d(input).
    """

    name: str
    op: str
    expression: str
    data: float
    grad: float
    partials: tuple[tuple[str, str, float], ...]


@dataclass(frozen=True)
class BackwardTable:
    """The whole backward pass, one row per Value in the order the pass visits them.

    ``str()`` is plain text; printed by ``rich`` (or ``show()`` on a terminal) it is a rich
    table. ``grad`` is d(root)/d(value) from a fresh pass (current ``.grad`` untouched).
    """

    root: str
    rows: tuple[TableRow, ...]
    constants: tuple[str, ...] = ()  # the numbers written into the graph, as in the formulas
    generated: tuple[str, ...] = ()  # the rows' names that are no label: v1, v2, ...

    HEADERS = ("value", "op", "data", "grad", "local derivatives")

    def _headers(self) -> list[str]:
        headers = list(self.HEADERS)
        headers[3] = f"grad d{self.root}/d·"
        return headers

    def _cells(self) -> list[tuple[str, ...]]:
        out: list[tuple[str, ...]] = []
        for r in self.rows:
            local = "; ".join(f"d/d{n} = {f} = {fmt(v)}" for n, f, v in r.partials)
            out.append((r.name, r.expression or "leaf", fmt(r.data), fmt(r.grad), local))
        return out

    def _widths(self) -> list[int]:
        cells = self._cells()
        return [max([len(h)] + [len(c[i]) for c in cells]) for i, h in enumerate(self._headers())]

    def __str__(self) -> str:
        headers = self._headers()
        widths = self._widths()
        widths[-1] = len(headers[-1])  # the last column is not padded

        def row(cols: Sequence[str]) -> str:
            parts = [
                c.rjust(w) if i in (2, 3) else c.ljust(w)
                for i, (c, w) in enumerate(zip(cols, widths))
            ]
            return "  ".join(parts).rstrip()

        rule = "  ".join("-" * w for w in widths[:-1]) + "  " + "-" * len(headers[-1])
        body = [row(headers), rule] + [row(c) for c in self._cells()]
        return "\n".join(self._intro() + body + self._outro())

    def _intro(self) -> list[str]:
        """The line above the table: what the generated names are (none when all have labels)."""
        if not self.generated:
            return []
        first, last = self.generated[0], self.generated[-1]
        shown = first if first == last else f"{first} to {last}"
        return [
            f"{shown}: values without a label, named by tracegrad in the order they were "
            "computed; each has its own row further down (its op says what it is)"
        ]

    def _outro(self) -> list[str]:
        """The line under the table: the constants (none when the graph has none)."""
        if not self.constants:
            return []
        listed = ", ".join(self.constants)
        return [f"constants: {listed} (numbers in the formulas: no row, no gradient)"]

    def stacked(self) -> str:
        """The table for a narrow screen: a few short lines per Value instead of one wide row."""
        out = [f"backward pass from {self.root} (grad: d{self.root}/d of each value)"]
        out += self._intro()
        for r in self.rows:
            out.append(f"{r.name} = {r.expression}" if r.expression else f"{r.name} (leaf)")
            out.append(f"  data {fmt(r.data)}")
            out.append(f"  grad {fmt(r.grad)}")
            out.extend(f"  d{r.name}/d{n} = {f} = {fmt(v)}" for n, f, v in r.partials)
        return "\n".join(out + self._outro())

    def __repr__(self) -> str:
        """At the prompt, the table itself (its rows stay attributes)."""
        return str(self)

    def __rich_console__(self, console: Any, options: Any) -> Iterable[Any]:
        """A rich table when the width allows every number in full, else the plain text."""
        from rich.table import Table
        from rich.text import Text

        widths = self._widths()
        # each column has one space of padding either side and a border line
        needed = sum(w + 3 for w in widths[:-1]) + min(widths[-1], _MIN_LAST_COLUMN) + 4
        if options.max_width < needed:
            yield Text(self.stacked(), overflow="fold")
            return
        table = Table(title=f"backward pass from {self.root}")
        table.add_column("value", style="bold", no_wrap=True, min_width=widths[0])
        table.add_column("op", overflow="fold", min_width=min(widths[1], 12))
        table.add_column("data", justify="right", no_wrap=True, min_width=widths[2])
        table.add_column(
            f"grad d{self.root}/d·", justify="right", style="cyan", no_wrap=True,
            min_width=widths[3],
        )  # fmt: skip
        table.add_column("local derivatives", overflow="fold")
        for cells in self._cells():
            table.add_row(*cells)
        yield table

    def show(self, file: TextIO | None = None) -> None:
        """Print as a rich table on a terminal that supports it, else as plain text."""
        out = file if file is not None else sys.stdout
        if out.isatty():
            from rich.console import Console

            console = Console(file=out)
            if console.is_terminal:
                console.print(self)
                return
        print(self, file=out)


def backward_table(root: Value) -> BackwardTable:
    """The backward pass from root as a table; no ``.grad`` is changed."""
    p = record_pass(root, "backward_table()")
    names = p.names
    rows = []
    constants: dict[str, None] = {}  # in order of appearance, each number once
    for node in reversed(p.order):
        op = node._op
        if names.is_constant(node):
            constants[names(node)] = None
            continue
        if op is None:
            rows.append(TableRow(names(node), "", "", node.data, p.grads[id(node)], ()))
            continue
        pn = tuple(names(q) for q in node.parents)
        parts = tuple(
            (pn[i], tidy(op.partial_text(i, tuple(wrap(n) for n in pn))), d)
            for i, d in enumerate(p.partials[id(node)])
            if not names.is_constant(node.parents[i])
        )
        rows.append(
            TableRow(names(node), op.name, tidy(op.expression(pn)), node.data,
                     p.grads[id(node)], parts)
        )  # fmt: skip
    generated = tuple(names(n) for n in p.order if names.is_generated(n) and n is not root)
    return BackwardTable(names(root), tuple(rows), tuple(constants), generated)

"""How each node of a drawn graph looks: record and constant text, colours, highlight.

``draw`` (``tracegrad.autograd.drawing.render``) lays out which Values to draw; this module says how
each one is written in DOT. Everything a user supplies (labels) is escaped here, so a label
can neither break nor inject DOT or SVG.
"""

from __future__ import annotations

import math
import unicodedata
from dataclasses import dataclass

from tracegrad.autograd.formatting import fmt
from tracegrad.autograd.value import Value

__all__ = ["NodeStyle", "depth_of", "edge_attrs", "plain_text", "HIGHLIGHT_NAME"]

_HIGHLIGHT = "#7b3294"  # purple: no grad fill (red, blue, white, yellow) comes near it
HIGHLIGHT_NAME = "purple"  # how the docs name it (tests/test_site_texts.py reads both)
_POSITIVE = (239, 138, 98)  # fill for grad > 0 at the largest |grad| (white at 0)
_NEGATIVE = (103, 169, 207)  # fill for grad < 0


@dataclass(frozen=True)
class NodeStyle:
    """The options of one drawing that decide how its nodes read."""

    digits: int
    show_grad: bool
    plain_constants: bool
    color_by_grad: bool
    scale: float  # the largest |grad| but the root's: the colour scale

    def value_node(self, v: Value, lit: bool) -> tuple[str, dict[str, str]]:
        """A Value's label and attributes: a record, or a small box for a plain constant."""
        attrs: dict[str, str] = {}
        if self.plain_constants and v._op is None and not v.label:
            text = plain_text(_short(v.data, self.digits))
            attrs.update(shape="box", style="rounded", fontsize="10", height="0.25",
                         width="0.3", margin="0.05,0.02", color="gray50")  # fmt: skip
        else:
            fields = [v.label] if v.label else []
            fields.append(f"data {fmt(v.data, self.digits)}")
            if self.show_grad:
                fields.append(f"grad {fmt(v.grad, self.digits)}")
            body = " | ".join(_record_text(f) for f in fields)
            # a record flips its fields' direction at { }: side by side in LR (as micrograd
            # draws), stacked in TB, where a rank of many Values must stay narrow
            text = f"{{ {body} }}"
            attrs["shape"] = "record"
        if self.color_by_grad:
            attrs.update(style=",".join(filter(None, [attrs.get("style"), "filled"])),
                         fillcolor=_grad_colour(v.grad, self.scale))  # fmt: skip
        if lit:
            attrs.update(color=_HIGHLIGHT, penwidth="2.5", fontcolor=_HIGHLIGHT)
        return text, attrs

    def op_node(self, lit: bool) -> dict[str, str]:
        """The small circle of the operation that made a Value."""
        attrs = {"shape": "circle", "fontsize": "11", "width": "0.3", "margin": "0.02"}
        if lit:
            attrs.update(color=_HIGHLIGHT, penwidth="2.5", fontcolor=_HIGHLIGHT)
        return attrs


def depth_of(nodes: list[Value]) -> int:
    """The most operations on a path through ``nodes`` (inputs before outputs)."""
    level: dict[int, int] = {}
    for v in nodes:
        level[id(v)] = max((level.get(id(p), -1) + 1 for p in v.parents), default=0)
    return max(level.values(), default=0)


def _short(x: float, digits: int) -> str:
    """A constant as typed: 2 and 0.5 rather than 2.0000 and 0.5000."""
    text = fmt(x, digits)
    if "." in text and "e" not in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


def edge_attrs(lit: bool) -> dict[str, str]:
    return {"color": _HIGHLIGHT, "penwidth": "2.5"} if lit else {}


def _grad_colour(grad: float, scale: float) -> str:
    """White for grad 0, shading to red (positive) or blue (negative) at the largest |grad|."""
    if not math.isfinite(grad):
        return "#ffd92f"  # inf or nan stands out in yellow
    if grad == 0 or scale == 0:
        return "#ffffff"
    # log scale over three decades: the largest |grad| is full colour, 1/1000 of it white
    t = min(1.0, max(0.0, 1.0 + math.log10(abs(grad) / scale) / 3.0))
    end = _POSITIVE if grad > 0 else _NEGATIVE
    r, g, b = (round(255 + (c - 255) * t) for c in end)
    return f"#{r:02x}{g:02x}{b:02x}"


def _visible(text: str) -> str:
    """Control and format characters (newline, RTL override, ...) shown as their escapes."""
    return "".join(
        ch.encode("unicode_escape").decode("ascii") if unicodedata.category(ch)[0] == "C" else ch
        for ch in text
    )


def _dot_text(text: str) -> str:
    """Text Graphviz shows literally: it reads '&amp;' as an entity, so '&' -> '&amp;'."""
    return _visible(text).replace("&", "&amp;")


def plain_text(text: str) -> str:
    """Text for a DOT quoted string: backslashes and quotes escaped (no \\n-style escapes)."""
    return _dot_text(text).replace("\\", "\\\\").replace('"', '\\"')


def _record_text(text: str) -> str:
    """Text for one field of a record label: also escapes the record syntax { } | < >."""
    out = []
    for ch in _dot_text(text):
        out.append("\\" + ch if ch in '\\"{}|<>' else ch)
    return "".join(out)

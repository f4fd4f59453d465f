"""What ``tracegrad assign`` writes for one student: the blank and the key (ordinary sheets
as TOML text, the variant recorded in ``[variant]``), the question page (markdown, HTML and
the graph as SVG) and the worked solution.

The sheets are written by a small TOML writer of their own (the standard library reads TOML
but does not write it); numbers drawn or worked out are written as text (``Num``), exactly.
"""

from __future__ import annotations

import html
import json
import math
import re
from typing import Any

from tracegrad.autograd.drawing.render import draw, render
from tracegrad.autograd.safety import md_code, md_text, printable
from tracegrad.checker import solve
from tracegrad.kit.template import Num, Template, Variant, _plain, givens, statement

__all__ = [
    "blank_text",
    "key_text",
    "question_markdown",
    "question_html",
    "question_svg",
    "question_graph",
]

_BARE = re.compile(r"^[A-Za-z0-9_-]+$")
_TOP = ("title", "description", "tolerance", "min_sig_figs", "min_decimals")


def toml_key(key: str) -> str:
    return key if _BARE.match(key) else toml_string(key)


def toml_string(text: str) -> str:
    """A TOML basic string: JSON's escapes (valid TOML) plus DEL, which TOML forbids raw."""
    return json.dumps(text, ensure_ascii=False).replace("\x7f", "\\u007F")


def toml_value(val: Any) -> str:
    if isinstance(val, Num):
        return str(val)
    if isinstance(val, bool):
        return "true" if val else "false"
    if isinstance(val, int):
        return str(val)
    if isinstance(val, float):
        return repr(val) if math.isfinite(val) else ("nan" if val != val else str(val))
    if isinstance(val, str):
        return toml_string(val)
    if isinstance(val, list):
        return "[" + ", ".join(toml_value(v) for v in val) + "]"
    if isinstance(val, dict):
        return "{ " + ", ".join(f"{toml_key(k)} = {toml_value(v)}" for k, v in val.items()) + " }"
    raise TypeError(f"cannot write {type(val).__name__} as TOML")


def _table(name: str, table: dict[str, Any], out: list[str]) -> None:
    out += ["", f"[{name}]"]
    nested = []
    for k, v in table.items():
        if isinstance(v, dict):
            nested.append((k, v))
        else:
            out.append(f"{toml_key(k)} = {toml_value(v)}")
    for k, v in nested:
        _table(f"{name}.{toml_key(k)}", v, out)


def _sheet(t: Template, v: Variant, student: str, answers: list[str], head: list[str]) -> str:
    # a comment ends at a newline: the title in it is made one printable line (safety)
    out = [f"# {printable(line, line=True)}" if line else "#" for line in head]
    for key in _TOP:
        if key in v.data:
            out.append(f"{key} = {toml_value(v.data[key])}")
    record: dict[str, Any] = {
        "template": t.name,
        "template_sha256": t.sha256,
        "student": student,
        "draw": v.draw,
        "find": t.find,
        "digits": t.digits,
        "imprecise": t.imprecise,
        "points": {"default": t.points_of("default"), **t.points},
    }
    _table("variant", record, out)
    for key, val in v.data.items():
        if key in _TOP:
            continue
        if isinstance(val, list) and val and all(isinstance(x, dict) for x in val):
            for item in val:
                out += ["", f"[[{toml_key(key)}]]"]
                out += [f"{toml_key(k)} = {toml_value(x)}" for k, x in item.items()]
        elif isinstance(val, dict):
            _table(toml_key(key), val, out)
        else:
            out.append(f"{toml_key(key)} = {toml_value(val)}")
    out += ["", "[answers]", *answers]
    return "\n".join(out) + "\n"


def blank_text(t: Template, v: Variant, student: str) -> str:
    """The student's sheet: their givens, every answer to find commented out."""
    head = [
        f"{t.title or t.name}: the sheet of {student}",
        "",
        "Fill in each answer at the end: remove the '# ' in front of its name and write your",
        f"number after '=', each to {t.precision}.",
        "Check what you have so far with",
        "  tracegrad check blank.toml",
    ]
    answers = [f"# {toml_key(name)} = " for name in t.find]
    return _sheet(t, v, student, answers, head)


def key_text(t: Template, v: Variant, student: str) -> str:
    """The same sheet filled in with the engine's answers (plain TOML numbers)."""
    head = [f"{t.title or t.name}: the answer key of {student} (staff only)"]
    answers = [f"{toml_key(name)} = {v.answers[name]}" for name in t.find]
    return _sheet(t, v, student, answers, head)


# ---------------------------------------------------------------- the question page
def question_markdown(t: Template, v: Variant, student: str) -> str:
    title = md_text(t.title or t.name)
    out = [f"# {title}", "", f"The sheet of {md_code(student)}.", ""]
    out += [f"- {md_text(line)}" for line in statement(v)]
    out += ["", "**Your numbers** (use exactly these):", ""]
    out += [f"- {md_code(name)} = {md_text(x)}" for name, x in givens(v)]
    out += ["", f"**Find**, each to {md_text(t.precision)}:", ""]
    out += [f"- {md_code(name)}" for name in t.find]
    out += ["", "![The computation graph (values to work out shown as ?)](question.svg)", ""]
    out += ["Write your answers in `blank.toml` and check them: `tracegrad check blank.toml`."]
    return "\n".join(out) + "\n"


def _h(text: object) -> str:
    return html.escape(printable(text, line=True))


def question_html(t: Template, v: Variant, student: str, svg: str) -> str:
    items = "".join(f"<li>{_h(line)}</li>" for line in statement(v))
    rows = "".join(f"<tr><td><code>{_h(n)}</code></td><td>{_h(x)}</td></tr>" for n, x in givens(v))
    find = "".join(f"<li><code>{_h(n)}</code></li>" for n in t.find)
    svg_body = svg[svg.find("<svg") :] if "<svg" in svg else ""
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{_h(t.title or t.name)}</title></head><body>\n"
        f"<h1>{_h(t.title or t.name)}</h1>\n<p>The sheet of <code>{_h(student)}</code>.</p>\n"
        f"<ul>{items}</ul>\n<h2>Your numbers (use exactly these)</h2>\n"
        f'<table aria-label="your numbers">{rows}</table>\n'
        f"<h2>Find, each to {_h(t.precision)}</h2>\n<ul>{find}</ul>\n"
        f'<figure aria-label="computation graph">{svg_body}'
        "<figcaption>The computation graph; the values to work out are shown as ?</figcaption>"
        "</figure>\n<p>Write your answers in <code>blank.toml</code> and check them: "
        "<code>tracegrad check blank.toml</code>.</p>\n</body></html>\n"
    )


def question_graph(v: Variant, *, all_hidden: bool = False) -> Any:
    """The variant's graph (a graphviz Digraph) with every value to work out shown as '?';
    ``all_hidden``: the givens too (a drawing every variant shares, their names only)."""

    root = solve(_plain(v.data)).problem.roots[1]
    todo, seen = [root], set()
    while todo:  # hide what the student works out: every computed value
        node = todo.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        if node._op is not None or (all_hidden and node.label):
            node.data = math.nan
        todo.extend(node.parents)
    g = draw(root, show_grad=False)
    g.body[:] = [line.replace("data nan", "data ?") for line in g.body]
    return g


def question_svg(v: Variant) -> str:
    """The variant's graph with its givens and every value to work out shown as '?'."""

    return render(question_graph(v), "svg").decode("utf-8")

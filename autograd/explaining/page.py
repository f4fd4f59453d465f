"""Watch the backward pass: one self-contained HTML page that steps through it on the graph.

``backward_page(root)`` builds the page for any Value (a neuron, a loss, the seed network):
the graph drawn by ``render_svg``, then, one frame per press of a key, the forward pass (each
Value's data appears in topological order) and the backward pass in the engine's own order
(``backward_steps``). The current Value and the edges its gradient flows along are
highlighted, each grad cell fills in when it is final, a grad that receives more than one
contribution shows them all, and a panel shows the step's text, the very text
``backward_steps`` prints. Clicking a Value shows ``explain(root, wrt=value)``.

>>> from tracegrad.autograd import Value
>>> from tracegrad.autograd.explaining.page import backward_page
>>> a, b = Value(2.0, label="a"), Value(-3.0, label="b")
>>> L = a * b + a; L.label = "L"
>>> page = backward_page(L)          # doctest: +SKIP
>>> page.save("backward.html")       # doctest: +SKIP

The file needs no network (SVG, script and styles are inline, and its Content-Security-Policy
forbids every request); in Jupyter the page displays inline (``_repr_html_``). Building it never
changes a ``.grad``: the pass runs on zeroed grads, which are put back afterwards.
"""

from __future__ import annotations

import html
import json
import re
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from tracegrad.autograd.drawing.render import check_max_nodes, render_svg
from tracegrad.autograd.drawing.tracing import DEFAULT_MAX_NODES, trace
from tracegrad.autograd.explaining.explain import explain
from tracegrad.autograd.explaining.page_practice import practice_data
from tracegrad.autograd.explaining.steps import NodeNames, backward_steps
from tracegrad.autograd.formatting import fmt
from tracegrad.autograd.graph import topo_order
from tracegrad.autograd.safety import write_atomic
from tracegrad.autograd.value import Value

__all__ = ["BackwardPage", "backward_page", "save_html", "EXPLAIN_ALL_UP_TO", "EXPLAIN_BUDGET"]

# Up to this many Values every one gets its explanation in the page. An explanation costs a
# pass over the graph and its text grows with it, so a larger graph gets the root's and then
# the labelled Values' (nearest the root first) while explanations x Values stays in budget.
EXPLAIN_ALL_UP_TO = 200
EXPLAIN_BUDGET = EXPLAIN_ALL_UP_TO**2
_CSP = "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'"


@dataclass(frozen=True)
class Frame:
    """One press of 'next': what happens to which Value, and the text that says it.

    kind: 'start', 'forward' (node's data is computed), 'seed' (the root's grad is set) or
    'backward' (one ``Step``); node/parents: indexes into the page's Values;
    contributions: (parent index, amount, that grad's running total), as text.
    """

    kind: str
    text: str
    node: int = -1
    parents: tuple[int, ...] = ()
    contributions: tuple[tuple[int, str, str], ...] = ()


@dataclass(frozen=True)
class BackwardPage:
    """The page for one root: ``html`` (the whole file), ``save(path)``, and Jupyter's view."""

    html: str
    root_name: str
    values: int
    frames: list[Frame] = field(repr=False)

    @property
    def steps(self) -> int:
        """The number of backward steps (one per operation)."""
        return sum(f.kind == "backward" for f in self.frames)

    def save(self, path: str | Path) -> Path:
        """Write the page to ``path`` (UTF-8, ``safety.write_atomic``) and return the path."""
        return write_atomic(path, self.html)

    def _repr_html_(self) -> str:
        """Jupyter: the page in a sandboxed iframe (its script runs there; no extension)."""
        return (
            '<iframe title="the backward pass of '
            f'{html.escape(self.root_name)}" sandbox="allow-scripts" '
            'style="width:100%;height:640px;border:1px solid #ccc" '
            f'srcdoc="{html.escape(self.html, quote=True)}"></iframe>'
        )

    def __repr__(self) -> str:
        kb = len(self.html.encode("utf-8")) / 1024
        return (
            f"<backward pass page of {self.root_name}: {self.values} Values, "
            f"{self.steps} backward steps, {len(self.frames)} frames, {kb:.0f} KB>"
        )


def backward_page(
    root: Value,
    *,
    forward: bool = True,
    rankdir: str = "auto",
    digits: int = 4,
    title: str | None = None,
    max_nodes: int = DEFAULT_MAX_NODES,
    practice: bool = False,
) -> BackwardPage:
    """The interactive page of root's backward pass (``forward=False``: backward only).

    rankdir and digits are ``draw``'s; graphs over ``max_nodes`` Values raise
    GraphTooLargeError, as drawing them does. Every ``.grad`` is left as it was. Every page
    has a "practice" switch (the learner types each gradient before its step is shown);
    ``practice=True`` opens the page with it on.
    """
    if not isinstance(root, Value):
        raise TypeError(f"backward_page() needs a Value, got {type(root).__name__}")
    trace(root, max_nodes=check_max_nodes(max_nodes))  # refuse a huge graph before any work
    order = topo_order(root)
    saved = [n.grad for n in order]
    try:
        for n in order:
            n.grad = 0.0
        names = NodeNames(order, root)
        frames = _frames(root, order, names, forward, digits)
        svg = render_svg(root, rankdir=rankdir, digits=digits, max_nodes=max_nodes)
        finals = [n.grad for n in order]
        for n in order:
            n.grad = 0.0
        explanations = _explanations(root, order, names)
        quiz = practice_data(root, {id(n): i for i, n in enumerate(order)}, digits)
    finally:
        for n, g in zip(order, saved):
            n.grad = g
    data = _page_data(order, names, root, frames, finals, explanations, digits)
    data["practice"] = quiz
    name = names(root)
    text = _html(
        title or f"The backward pass of {name}",
        _inline_svg(svg, len(order)),
        data,
        frames,
        _rows(order, names, finals, digits),
        practice,
    )
    return BackwardPage(text, name, len(order), frames)


def save_html(root: Value, path: str | Path, **options: Any) -> Path:
    """Write root's backward-pass page to ``path``; ``options`` are ``backward_page``'s."""
    return backward_page(root, **options).save(path)


# ---------------------------------------------------------------- the frames
def _frames(
    root: Value, order: list[Value], names: NodeNames, forward: bool, digits: int
) -> list[Frame]:
    pos = {id(n): i for i, n in enumerate(order)}
    r = names(root)
    ops = [n for n in order if n._op is not None]
    if forward:
        start = (
            f"Start: the {len(order) - len(ops)} inputs (and constants) are given. Press → "
            f"(next) to run the forward pass ({len(ops)} operations), then the backward pass "
            f"from {r}."
        )
    else:
        start = (
            f"Start: the forward pass is done. Press → (next) to run the backward pass from {r}."
        )
    frames = [Frame("start", start)]
    if forward:
        for n in ops:
            assert n._op is not None
            pnames = tuple(names(p) for p in n.parents)
            numbers = tuple(fmt(p.data, digits) for p in n.parents)
            text = (
                f"forward: {names(n)} = {n._op.expression(pnames)} = "
                f"{n._op.expression(numbers)} = {fmt(n.data, digits)}"
            )
            frames.append(Frame("forward", text, pos[id(n)], tuple(pos[id(p)] for p in n.parents)))
    running = [0.0] * len(order)
    steps = backward_steps(root)
    first = next(steps, None)  # the pass (and the root's seed) starts at the first next()
    running[pos[id(root)]] = root.grad
    seed = fmt(root.grad, digits)
    frames.append(
        Frame(
            "seed",
            f"backward: d{r}/d{r} = {seed}: the pass starts at {r} and runs back to the inputs",
            pos[id(root)],
            contributions=((pos[id(root)], seed, seed),),
        )
    )
    step = first
    while step is not None:
        contributions = []
        for p, amount in zip(step.parents, step.contributions):
            i = pos[id(p)]
            running[i] += amount  # the engine's own sum, in its order, from 0
            contributions.append((i, fmt(amount, digits), fmt(running[i], digits)))
        frames.append(
            Frame(
                "backward",
                str(step),
                pos[id(step.node)],
                tuple(pos[id(p)] for p in step.parents),
                tuple(contributions),
            )
        )
        step = next(steps, None)
    return frames


def _explanations(root: Value, order: list[Value], names: NodeNames) -> dict[int, str]:
    """explain(root, wrt=v) for every Value (only the labelled ones on large graphs)."""

    n = len(order)
    if n <= EXPLAIN_ALL_UP_TO:
        chosen = list(range(n))
    else:
        labelled = [i for i in reversed(range(n - 1)) if order[i].label]
        chosen = [n - 1, *labelled][: max(1, EXPLAIN_BUDGET // n)]  # order[-1] is the root
    return {i: str(explain(root, wrt=order[i])) for i in sorted(chosen)}


def _page_data(
    order: list[Value],
    names: NodeNames,
    root: Value,
    frames: list[Frame],
    finals: list[float],
    explanations: dict[int, str],
    digits: int,
) -> dict[str, Any]:
    final_frame = [0] * len(order)
    for k, f in enumerate(frames):
        for i, _, _ in f.contributions:
            final_frame[i] = k
    return {
        "root": order.index(root),
        "names": [names(v) for v in order],
        "data": [fmt(v.data, digits) for v in order],
        "grad": [fmt(g, digits) for g in finals],
        "op": [v._op is not None for v in order],
        "final": final_frame,
        "explain": {str(i): t for i, t in explanations.items()},
        "frames": [
            {
                "k": f.kind,
                "n": f.node,
                "p": list(f.parents),
                "c": [list(c) for c in f.contributions],
            }
            for f in frames
        ],
    }


# ---------------------------------------------------------------- the HTML
def _inline_svg(svg: str, n_values: int) -> str:
    """render_svg's document as an inline element: no prolog, no comments, one id."""
    start = svg.find("<svg")
    if start < 0:
        raise RuntimeError("render_svg returned no <svg> element")
    body = re.sub(r"<!--.*?-->\n?", "", svg[start:], flags=re.S)
    titles = set(re.findall(r"<title>(v\d+)</title>", body))
    missing = [f"v{i}" for i in range(n_values) if f"v{i}" not in titles]
    if missing:  # the page finds Values by render's DOT node names v0, v1, ... (and v0op)
        raise RuntimeError(f"the drawing has no node {missing[0]}: render's node ids changed")
    return body.replace(
        "<svg ",
        '<svg id="tg-graph" role="img" aria-label="the computation graph; '
        'the same steps are listed as text below" ',
        1,
    )


def _rows(order: list[Value], names: NodeNames, finals: list[float], digits: int) -> str:
    """The table of every Value: the page's text mirror of the picture (final grads)."""
    rows = []
    for i, v in enumerate(order):
        rows.append(
            f'<tr id="tg-row-{i}" data-grad="{html.escape(repr(finals[i]))}">'
            f'<th scope="row"><button type="button" class="tg-explain" data-node="{i}">'
            f"{html.escape(names(v))}</button></th>"
            f'<td class="tg-data">{html.escape(fmt(v.data, digits))}</td>'
            f'<td class="tg-grad">{html.escape(fmt(finals[i], digits))}</td>'
            '<td class="tg-sum"></td></tr>'
        )
    return "\n".join(rows)


def _asset(name: str) -> str:
    return (
        resources.files("tracegrad.autograd.explaining").joinpath(name).read_text(encoding="utf-8")
    )


def _html(
    title: str, svg: str, data: dict[str, Any], frames: list[Frame], rows: str, practice: bool
) -> str:
    # inside <script> no '<' may appear ('</script>', '<!--'): JSON writes it as \u003c
    payload = json.dumps(data, ensure_ascii=False, separators=(",", ":")).replace("<", "\\u003c")
    items = "\n".join(
        f'<li id="tg-frame-{k}"><pre>{html.escape(f.text)}</pre></li>' for k, f in enumerate(frames)
    )
    t = html.escape(title)
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="{_CSP}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{t}</title>
<style>
{_asset("page.css")}
</style>
</head>
<body>
<header><h1>{t}</h1>
<p class="tg-keys">Keys: <kbd>→</kbd> next, <kbd>←</kbd> previous, <kbd>Space</kbd> play/pause,
<kbd>Home</kbd> first, <kbd>End</kbd> last. Click a Value (or its name in the table) to see how
its gradient is obtained.</p></header>
<nav class="tg-controls" aria-label="step through the pass">
<button type="button" id="tg-first" aria-label="first step">◀◀ first</button>
<button type="button" id="tg-prev" aria-label="previous step">◀ previous</button>
<button type="button" id="tg-play" aria-label="play" aria-pressed="false">▶ play</button>
<button type="button" id="tg-next" aria-label="next step">next ▶</button>
<button type="button" id="tg-last" aria-label="last step">last ▶▶</button>
<input type="range" id="tg-slider" min="0" max="{len(frames) - 1}" value="0"
 aria-label="step">
<span id="tg-counter" aria-hidden="true"></span>
<label><input type="checkbox" id="tg-fit"> fit to width</label>
<label><input type="checkbox" role="switch" id="tg-practice"{" checked" if practice else ""}>
 practice</label>
<span id="tg-score" aria-live="polite" hidden></span>
</nav>
<main>
<div id="tg-picture">{svg}</div>
<aside>
<section aria-labelledby="tg-now-h"><h2 id="tg-now-h">This step</h2>
<pre id="tg-now" aria-live="polite">{html.escape(frames[0].text)}</pre>
<p id="tg-meet"></p></section>
<section id="tg-quiz" aria-labelledby="tg-quiz-h" hidden><h2 id="tg-quiz-h">Your turn</h2>
<p id="tg-quiz-step"></p><div id="tg-questions"></div>
<p><button type="button" id="tg-showme">Show me</button></p></section>
<section aria-labelledby="tg-node-h"><h2 id="tg-node-h">How a gradient is obtained</h2>
<pre id="tg-explain">Click a Value (in the graph or the table).</pre>
</section>
</aside>
</main>
<section aria-labelledby="tg-steps-h"><h2 id="tg-steps-h">Every step as text</h2>
<ol id="tg-steps" start="0">
{items}
</ol></section>
<section aria-labelledby="tg-values-h"><h2 id="tg-values-h">Every Value</h2>
<table id="tg-values"><thead><tr><th scope="col">Value</th><th scope="col">data</th>
<th scope="col">grad</th><th scope="col">contributions so far</th></tr></thead>
<tbody>
{rows}
</tbody></table></section>
<script type="application/json" id="tg-data">{payload}</script>
<script>
{_asset("page.js")}
{_asset("page_practice.js")}
</script>
</body>
</html>
"""

"""Graphviz in JavaScript: the renderer when tracegrad runs in a web page (Pyodide).

In a browser there is no ``dot`` program to start and no wasmtime to run the embedded
Graphviz, but the page itself can hold a Graphviz compiled to WebAssembly for JavaScript.
The page (the site's "Try it" page, or any page that loads tracegrad with Pyodide) loads
``@viz-js/viz`` and hands its instance to tracegrad::

    import { instance } from "./viz/viz.js";
    globalThis.tracegradGraphviz = await instance();

``render_dot`` (``render.py``) then sends the same DOT text the command line draws to that
instance's ``render(dot, {format: "svg"})``. It is Graphviz 16 too, so the SVG is the
drawing the CLI makes. Only SVG: PNG and PDF need converters that have no browser build.

Why ``@viz-js/viz`` rather than ``@hpcc-js/wasm-graphviz`` (both npm, both Graphviz 16.1,
both draw record nodes, both give SVG identical to the CLI's but for the version comment):
it is MIT-licensed like tracegrad, its ``render`` reports a bad graph as a list of messages
instead of throwing, and its instance starts in about 30 ms against 110 ms (Node 20, here);
hpcc's single file is smaller (0.8 MB against 1.2 MB), a difference small beside Pyodide's
14 MB. Both load asynchronously once and then render synchronously, which is what a Python
call needs.
"""

from __future__ import annotations

from typing import Any

from tracegrad.autograd.limits import IN_BROWSER

__all__ = ["BrowserRenderError", "HOOK", "available", "render"]

HOOK = "tracegradGraphviz"  # the name of the Graphviz instance on the page's globalThis


class BrowserRenderError(RuntimeError):
    """No JavaScript Graphviz on the page, a format it cannot write, or a graph it refused."""


def _instance() -> Any:
    """The page's Graphviz instance, or None."""
    if not IN_BROWSER:
        return None
    import js  # Pyodide's view of the page's globalThis

    return getattr(js, HOOK, None)


def available() -> bool:
    """True in a browser whose page has handed tracegrad a JavaScript Graphviz."""
    return _instance() is not None


def render(source: str, format: str = "svg") -> bytes:
    """The picture of DOT ``source`` drawn by the page's Graphviz (``format`` svg only)."""
    if format != "svg":
        raise BrowserRenderError(
            f"in the browser tracegrad draws svg only, not {format}: "
            "save_graph('graph.svg') or draw(y) shown in the page"
        )
    viz = _instance()
    if viz is None:
        raise BrowserRenderError(
            "in the browser, drawing needs a JavaScript Graphviz on the page: load @viz-js/viz "
            f"and set globalThis.{HOOK} = await Viz.instance()"
        )
    import js

    result = viz.render(source, js.JSON.parse('{"format": "svg"}'))
    if result.status != "success":
        messages = [str(e.message).strip() for e in result.errors if str(e.message).strip()]
        raise BrowserRenderError(
            "Graphviz could not draw this graph: "
            + ("; ".join(messages) if messages else "no reason given")
        )
    return str(result.output).encode("utf-8")

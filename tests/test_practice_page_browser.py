"""Practice mode in a real browser (Chromium under Selenium, `make test-browser`): a learner
types a wrong and then a right answer, reads the verdicts and the score; no console errors,
no requests beyond the page itself."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from typing import Any

import pytest
from tracegrad.autograd import Value, backward_page

from tracegrad import seed
from tracegrad.cli import main

pytestmark = pytest.mark.browser
ROOT = Path(__file__).resolve().parents[1]


class Practice:
    def __init__(self, driver: Any, path: Path) -> None:
        self.d = driver
        self.url = path.resolve().as_uri()
        driver.get_log("browser")
        driver.get_log("performance")
        driver.get(self.url)
        assert driver.execute_script("return document.body.dataset.ready") == "true"

    def keys(self, *keys: str) -> None:
        from selenium.webdriver.common.action_chains import ActionChains

        ActionChains(self.d).send_keys(*keys).perform()

    def answer(self, quantity: str, text: str) -> dict[str, str]:
        """Type text into the input for quantity, press Enter, read its verdict and the score."""
        from selenium.webdriver.common.keys import Keys

        box = self.d.find_element("css selector", f'input[aria-label="your answer for {quantity}"]')
        box.clear()
        box.send_keys(text, Keys.ENTER)
        status = box.find_element("xpath", "following-sibling::*[@role='status']")
        return {
            "verdict": status.get_attribute("data-verdict"),
            "kind": status.get_attribute("data-kind"),
            "text": status.text,
            "score": self.d.find_element("id", "tg-score").text,
        }

    def frame(self) -> int:
        script = "return document.getElementById('tg-graph').dataset.frame"
        return int(self.d.execute_script(script))

    def asked(self) -> list[str]:
        return self.d.execute_script(
            "return Array.from(document.querySelectorAll('#tg-questions input'),"
            " (i) => i.getAttribute('aria-label'))"
        )

    def errors(self) -> list[dict[str, Any]]:
        return [e for e in self.d.get_log("browser") if e["level"] in ("SEVERE", "WARNING")]

    def requests(self) -> list[str]:
        urls = []
        for entry in self.d.get_log("performance"):
            msg = json.loads(entry["message"])["message"]
            if msg["method"] == "Network.requestWillBeSent" and (
                msg["params"].get("documentURL") == self.url
            ):
                urls.append(msg["params"]["request"]["url"])
        return urls


def test_f_equals_x_times_y_a_wrong_then_a_right_answer(driver: Any, tmp_path: Path) -> None:
    from selenium.webdriver.common.keys import Keys

    x, y = Value(2.0, label="x"), Value(-3.0, label="y")
    f = x * y
    f.label = "f"
    page = Practice(driver, backward_page(f, practice=True).save(tmp_path / "f.html"))
    assert driver.find_element("id", "tg-score").text == "score: 0 of 0"  # in view from the start
    page.keys(Keys.END)  # held before the backward step: its gradients are asked first
    held = page.frame()
    assert page.asked() == ["your answer for df/dx", "your answer for df/dy"]
    assert driver.find_element("id", "tg-now").text.startswith("backward: df/df = 1")
    wrong = page.answer("df/dx", "3")
    assert wrong["verdict"] == "wrong" and wrong["kind"] == "sign"
    assert "wrong sign" in wrong["text"] and "the derivative of a product" in wrong["text"]
    assert wrong["score"] == "score: 0 of 1"
    right = page.answer("df/dx", "-3")
    assert right["verdict"] == "right" and right["text"] == "right"
    assert right["score"] == "score: 0 of 1"  # right at the second try: not first-try right
    assert page.frame() == held  # df/dy is still open
    last = page.answer("df/dy", "2.0")
    assert last["verdict"] == "right" and last["score"] == "score: 1 of 2"
    assert page.frame() == held + 1  # both in: the step is revealed
    assert driver.find_element("id", "tg-now").text.startswith("f = x * y   df/dx += df/df · y")
    assert page.errors() == []
    assert page.requests() == [page.url]


def test_the_seed_network_a_wrong_then_a_right_answer_and_show_me(
    driver: Any, tmp_path: Path
) -> None:
    from selenium.webdriver.common.keys import Keys

    path = backward_page(seed.build()["E"], practice=True).save(tmp_path / "s.html")
    page = Practice(driver, path)
    page.keys(Keys.END)  # the labelled Values the first steps complete (y2 is the target)
    assert page.asked() == ["your answer for dE/dy2", "your answer for dE/do2"]
    sign = page.answer("dE/dy2", "0.4239")
    assert sign["kind"] == "sign" and "0.4239" not in sign["text"]
    got = page.answer("dE/dy2", "-0.4239")
    assert got["verdict"] == "right" and got["score"] == "score: 0 of 1"
    assert page.answer("dE/do2", "0.424")["score"] == "score: 1 of 2"
    page.keys(Keys.ARROW_RIGHT)  # on to o2 = sigmoid(net_o2)
    assert page.asked() == ["your answer for dE/dnet_o2"]
    missing = page.answer("dE/dnet_o2", "0.4239")  # the upstream gradient alone
    assert missing["verdict"] == "wrong" and missing["kind"] == "factor"
    assert "look at do2/dnet_o2" in missing["text"] and "the sigmoid" in missing["text"]
    assert "stuck?" not in missing["text"]
    again = page.answer("dE/dnet_o2", "0.5")  # a second wrong try: the way out is offered
    assert again["text"].endswith("(stuck? Show me reveals it)") and "0.1057" not in again["text"]
    assert page.answer("dE/dnet_o2", "0.106")["verdict"] == "right"
    assert driver.find_element("id", "tg-score").text == "score: 1 of 3"
    page.keys(Keys.ARROW_RIGHT)
    (question,) = page.asked()
    before = page.frame()
    driver.find_element("id", "tg-showme").click()  # "Show me": the step, and its value
    assert page.frame() == before + 1
    status = driver.find_element("id", "tg-questions").find_element("css selector", "[role=status]")
    assert status.get_attribute("data-verdict") == "shown" and status.text.endswith("0.1057")
    assert driver.find_element("id", "tg-score").text == "score: 1 of 4"
    assert page.errors() == []
    assert page.requests() == [page.url]


def test_every_page_has_the_switch_and_the_cli_opens_in_practice(
    driver: Any, tmp_path: Path
) -> None:
    from selenium.webdriver.common.keys import Keys

    plain = tmp_path / "plain.html"
    assert main(["step", "tanh(a*b + c)", "--set", "a=2", "b=-3", "c=6.5", "-o", str(plain)]) == 0
    page = Practice(driver, plain)
    page.keys(Keys.END)
    assert page.asked() == [] and page.frame() == len(json.loads(
        driver.execute_script("return document.getElementById('tg-data').textContent"))["frames"]
    ) - 1  # fmt: skip
    driver.find_element("id", "tg-practice").click()  # on at the end: nothing left to ask
    assert driver.find_element("id", "tg-score").text == "score: 0 of 0"
    page.keys(Keys.HOME)
    driver.find_element("id", "tg-practice").click()
    driver.find_element("id", "tg-practice").click()  # off and on again at the start
    driver.find_element("tag name", "h1").click()
    page.keys(Keys.HOME, Keys.END)
    assert page.asked() == []  # every step was on screen while it was off: shown, not asked
    practising = tmp_path / "practice.html"
    argv = ["step", "tanh(a*b + c)", "--set", "a=2", "b=-3", "c=6.5", "--practice"]
    assert main([*argv, "-o", str(practising)]) == 0
    page = Practice(driver, practising)
    page.keys(Keys.END)
    assert page.asked() == ["your answer for dL/dc"]  # the unlabelled v1, v2 folded in
    assert page.answer("dL/dc", "0.7864")["verdict"] == "right"
    assert page.errors() == []


def test_the_readme_practice_screenshot_can_be_made(tmp_path: Path) -> None:
    spec = importlib.util.spec_from_file_location("shots", ROOT / "docs" / "make_screenshot.py")
    assert spec and spec.loader
    shots = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(shots)
    shot = shots.shoot_practice(tmp_path / "practice.png")
    assert shot.read_bytes().startswith(b"\x89PNG") and shot.stat().st_size > 20_000

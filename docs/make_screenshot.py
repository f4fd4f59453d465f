"""The README's picture of the backward-pass page: ``python docs/make_screenshot.py``.

It opens the seed network's page in Debian's Chromium (headless, through Selenium: the
'browser' extra, ``apt-get install chromium chromium-driver``), steps to the frame where the
two paths from the outputs meet at h1, and saves docs/backward_page.png; then the same page in
practice mode after a wrong answer, docs/practice_page.png. The browser tests
(tests/test_page_browser.py) start Chromium with ``chromium()`` from here and run ``shoot``.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from tracegrad.autograd import backward_page

from tracegrad import seed

DOCS = Path(__file__).resolve().parent
CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@contextmanager
def chromium(width: int = 1600, height: int = 1000) -> Iterator[Any]:
    """A headless Chromium under Selenium with a fresh profile, its console and network logged."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    for program in (CHROMIUM, CHROMEDRIVER):
        if not Path(program).exists():
            raise FileNotFoundError(
                f"{program} is missing: apt-get install chromium chromium-driver"
            )
    profile = tempfile.mkdtemp(prefix="tracegrad-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in [*FLAGS, f"--window-size={width},{height}", f"--user-data-dir={profile}"]:
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


def shoot(out: Path, frame: int = 50, explain: str = "h1") -> Path:
    """Save a screenshot of the seed network's page at ``frame`` (50: h1's second path
    arrives) with the Value labelled ``explain`` clicked (its derivation shown)."""
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.keys import Keys

    with tempfile.TemporaryDirectory() as tmp:
        page = backward_page(seed.build()["E"]).save(Path(tmp) / "seed.html")
        with chromium(1400, 1000) as driver:
            driver.get(page.resolve().as_uri())
            ActionChains(driver).send_keys(*[Keys.ARROW_RIGHT] * frame).perform()
            driver.execute_script(
                "Array.from(document.querySelectorAll('#tg-values button'))"
                ".find((b) => b.textContent === arguments[0]).click()",
                explain,
            )
            driver.save_screenshot(str(out))
    return out


def shoot_practice(out: Path) -> Path:
    """The seed network's page in practice mode after a wrong answer: the first step answered
    (one try wrong, one right), then dE/dnet_o2 answered with the upstream gradient alone."""
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.keys import Keys

    with tempfile.TemporaryDirectory() as tmp:
        page = backward_page(seed.build()["E"], practice=True).save(Path(tmp) / "seed.html")
        with chromium(1400, 900) as driver:
            driver.get(page.resolve().as_uri())

            def answer(quantity: str, text: str) -> None:
                box = driver.find_element(
                    "css selector", f'input[aria-label="your answer for {quantity}"]'
                )
                box.clear()
                box.send_keys(text, Keys.ENTER)

            ActionChains(driver).send_keys(Keys.END).perform()
            answer("dE/dy2", "0.4239")
            answer("dE/dy2", "-0.4239")
            answer("dE/do2", "0.4239")
            ActionChains(driver).send_keys(Keys.ARROW_RIGHT).perform()
            answer("dE/dnet_o2", "0.4239")
            driver.execute_script(
                "document.getElementById('tg-picture').style.maxHeight = '46vh';"
                "document.getElementById('tg-quiz').scrollIntoView({block: 'end'})"
            )
            driver.save_screenshot(str(out))
    return out


if __name__ == "__main__":
    print(f"wrote {shoot(DOCS / 'backward_page.png')}")
    print(f"wrote {shoot_practice(DOCS / 'practice_page.png')}")

"""The built site (``make docs`` writes ``site/`` and then runs this file) works offline.

Every page of ``site/`` is read: each link and asset inside the site (``href``, ``src``, CSS
``url()``) resolves to a file the build wrote, and nothing the page loads comes from another
host (no web fonts, no CDN script): a lecture hall or an exam room has no network. Links a
reader follows to other sites (``<a href="https://...">``) are not requests and are allowed.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

pytestmark = pytest.mark.site
SITE = Path(__file__).resolve().parents[1] / "site"
# what a browser fetches while it shows a page (an <a> is only followed when clicked)
LOADED = {("link", "href"), ("script", "src"), ("img", "src"), ("iframe", "src"),
          ("source", "src"), ("video", "src"), ("audio", "src"), ("embed", "src"),
          ("object", "data"), ("image", "href"), ("use", "href")}  # fmt: skip
CSS_URL = re.compile(r"url\(\s*['\"]?([^'\")]+)['\"]?\s*\)|@import\s+['\"]([^'\"]+)['\"]")
OTHER_HOSTS = re.compile(r"fonts\.(googleapis|gstatic)\.com")


class _Refs(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.refs: list[tuple[str, str, str]] = []  # (tag, attribute, url)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if value and (name in ("href", "src", "data") or (tag, name) in LOADED):
                self.refs.append((tag, name, value))


def _pages() -> list[Path]:
    if not (SITE / "index.html").is_file():
        pytest.fail("no built site in site/: run `make docs` (it runs this test after the build)")
    return sorted(SITE.rglob("*.html"))


def _target(page: Path, url: str) -> Path | None:
    """The file an internal URL of page names, or None for another host / a non-file URL."""
    parts = urlsplit(url)
    if parts.scheme or parts.netloc:
        return None
    if not parts.path:
        return page  # '#anchor' or '?query' on the page itself
    base = SITE if parts.path.startswith("/") else page.parent
    path = (base / unquote(parts.path.lstrip("/"))).resolve()
    folder = parts.path.endswith("/") or path.is_dir()
    return path / "index.html" if folder else path


def _is_other_host(url: str) -> bool:
    parts = urlsplit(url)
    return parts.scheme in ("http", "https") or url.startswith("//")


def test_every_internal_link_and_asset_resolves_and_nothing_loads_from_another_host() -> None:
    missing: list[str] = []
    remote: list[str] = []
    checked = 0
    for page in _pages():
        parser = _Refs()
        parser.feed(page.read_text(encoding="utf-8"))
        where = page.relative_to(SITE)
        for tag, attr, url in parser.refs:
            if url.startswith(("mailto:", "javascript:", "data:", "tel:")):
                continue
            if _is_other_host(url):
                if (tag, attr) in LOADED:
                    remote.append(f"{where}: <{tag} {attr}={url}>")
                continue
            target = _target(page, url)
            checked += 1
            if target is not None and not target.is_file():
                missing.append(f"{where}: <{tag} {attr}={url}>")
    assert checked > 1000  # the crawl saw the site
    assert missing == [], "\n".join(missing[:30])
    assert remote == [], "\n".join(remote[:30])


def test_stylesheets_and_scripts_fetch_nothing_from_another_host() -> None:
    _pages()
    found = []
    for path in [*SITE.rglob("*.css"), *SITE.rglob("*.html")]:
        text = path.read_text(encoding="utf-8", errors="replace")
        if OTHER_HOSTS.search(text):
            found.append(f"{path.relative_to(SITE)}: web fonts from Google")
        if path.suffix == ".css":
            for m in CSS_URL.finditer(text):
                url = m.group(1) or m.group(2)
                if _is_other_host(url):
                    found.append(f"{path.relative_to(SITE)}: {url}")
                elif not url.startswith("data:"):
                    target = _target(path, url)
                    if target is not None and not target.is_file():
                        found.append(f"{path.relative_to(SITE)}: {url} is missing")
    assert found == [], "\n".join(found[:30])


def test_the_notebooks_next_links_resolve() -> None:
    """The 'Next:' link at the end of notebooks 01-04 opens the next notebook's page."""
    _pages()
    for page in sorted((SITE / "notebooks").glob("0[1-4]_*/index.html")):
        text = page.read_text(encoding="utf-8")
        nxt = re.search(r"<strong>Next:</strong>\s*<a href=\"([^\"]+)\"", text)
        assert nxt, f"{page}: no Next link"
        target = _target(page, nxt.group(1))
        assert target is not None and target.is_file(), (page, nxt.group(1))
        assert target.parent.name[:2] == f"{int(page.parent.name[:2]) + 1:02d}"

"""The site's pages (docs/) are executed and their links resolve, so the site cannot rot.

- ```python blocks with ``>>>`` prompts are doctests, those without must run; ```console
  blocks of ``$ tracegrad ...`` must print what the page shows (as the README's, by the same
  runners in tests/mdblocks.py); ```toml blocks are homework sheets the checker reads, or
  templates the course kit loads.
- Every relative link points to a page or file that exists (the notebooks are pages under
  notebooks/, added by docs/hooks.py), every ``#anchor`` to a heading of its page, every
  ``[text][tracegrad.name]`` cross-reference to an entry of the API reference, every snippet
  (``--8<-- "FILE:section"``) to a section that exists.
- The sheet-format page names every key the loader accepts.

`make docs` builds the same pages strictly (a broken link, a missing reference target or a
docstring that does not render fails the build); these tests catch the same rot in `make test`.
"""

from __future__ import annotations

import re
import sys
import unicodedata
from pathlib import Path

import pytest
from mdblocks import (
    Block,
    fenced_blocks,
    needs_torch,
    run_console_block,
    run_python_block,
)

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
PAGES = sorted(DOCS.rglob("*.md"))
LINK = re.compile(r"(?<!!)\[[^\]]*\]\(([^)\s]+)\)|!\[[^\]]*\]\(([^)\s]+)\)")
XREF = re.compile(r"\]\[([\w.]+)\]")
SNIPPET = re.compile(r'^--8<-- "([^":]+)(?::([\w-]+))?"$', re.M)


def _blocks(lang: tuple[str, ...]) -> list[object]:
    params = []
    for page in PAGES:
        for b in fenced_blocks(page.read_text(encoding="utf-8")):
            if b.lang in lang:
                marks = [pytest.mark.oracle] if needs_torch(b) else []
                name = f"{page.relative_to(DOCS)}:{b.line}"
                params.append(pytest.param(page, b, id=name, marks=marks))
    return params


def test_the_pages_have_executed_examples() -> None:
    langs = {b.lang for p in PAGES for b in fenced_blocks(p.read_text(encoding="utf-8"))}
    assert {"python", "console", "toml"} <= langs
    assert len(_blocks(("python",))) >= 15, "the tutorials' sessions are gone"


@pytest.mark.parametrize(("page", "block"), _blocks(("python", "pycon", "py")))
def test_python_block(
    page: Path, block: Block, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    if block.text.startswith(("def ", "class ")):  # a quote of the engine's own source
        sources = [p.read_text(encoding="utf-8") for d in ("autograd", "nn", "tracegrad")
                   for p in (ROOT / d).rglob("*.py")]  # fmt: skip
        assert any(block.text in text for text in sources), (
            f"{page.name}:{block.line}: the quoted source is no longer in the code"
        )
        return
    monkeypatch.chdir(tmp_path)  # anything a block writes lands in a scratch folder
    run_python_block(block, page)


@pytest.mark.parametrize(("page", "block"), _blocks(("console",)))
def test_console_block(page: Path, block: Block) -> None:
    run_console_block(block, page)


@pytest.mark.parametrize(("page", "block"), _blocks(("toml",)))
def test_toml_block(page: Path, block: Block, tmp_path: Path) -> None:
    from tracegrad.checker import check, solve
    from tracegrad.kit.template import load_template

    sheet = tomllib.loads(block.text)
    if "template" in sheet:  # a course-kit template: loaded (every variant it can draw checked)
        path = tmp_path / "template.toml"
        path.write_text(block.text, encoding="utf-8")
        assert load_template(path).find
    elif "answers" in sheet:
        report = check(sheet)  # a sheet the checker cannot read raises HomeworkError
        assert report.marks
        if page.parent.name != "tutorials":  # a tutorial's sheet may show a slip on purpose
            assert report.ok, f"{page.name}:{block.line}: a wrong figure\n{report.table()}"
    else:
        assert solve(sheet).values()


# ---------------------------------------------------------------- links
def slugify(heading: str) -> str:
    """A heading's anchor on the site: Python-Markdown's toc slugify, after the Markdown's
    code marks are gone."""
    text = unicodedata.normalize("NFKD", heading.replace("`", "")).encode("ascii", "ignore")
    words = re.sub(r"[^\w\s-]", "", text.decode("ascii")).strip().lower()
    return re.sub(r"[-\s]+", "-", words)


def _site_path(page: Path, target: str) -> Path:
    """Where a relative link of a page leads on disk (notebooks/ is the repository's)."""
    path = (page.parent / target).resolve()
    notebooks = DOCS / "notebooks"
    if path.is_relative_to(notebooks):
        return ROOT / "notebooks" / path.relative_to(notebooks)
    return path


def _anchors(page: Path) -> set[str]:
    text = page.read_text(encoding="utf-8")
    text = re.sub(r"^```.*?^```", "", text, flags=re.M | re.S)  # no headings in code blocks
    return {slugify(h) for h in re.findall(r"^#+ (.+)$", text, flags=re.M)}


def _links(text: str) -> list[str]:
    text = re.sub(r"^```.*?^```", "", text, flags=re.M | re.S)
    return [a or b for a, b in LINK.findall(text)]


def broken_links(page: Path, text: str | None = None) -> list[str]:
    """The links of a page (its text, or ``text`` as if it were at ``page``) that lead nowhere."""
    broken = []
    for link in _links(page.read_text(encoding="utf-8") if text is None else text):
        if re.match(r"^[a-z]+:", link):
            continue  # http:, mailto: ... (the site's build does not fetch them)
        target, _, anchor = link.partition("#")
        path = _site_path(page, target) if target else page
        if not path.exists() or anchor and path.suffix == ".md" and anchor not in _anchors(path):
            broken.append(link)
    return broken


def test_a_broken_link_is_found() -> None:
    page = DOCS / "reference" / "index.md"
    assert broken_links(page) == []
    text = "[a](cli.md#no-such-heading) [b](nowhere.md) [c](ops.md) ![d](../nowhere.png)\n"
    text += "[e](../notebooks/06_newton.ipynb) [f](../notebooks/99.ipynb)"
    text += " [g](cli.md#tracegrad-draw)"
    assert broken_links(page, text) == [
        "cli.md#no-such-heading",
        "nowhere.md",
        "../nowhere.png",
        "../notebooks/99.ipynb",
    ]


@pytest.mark.parametrize("page", PAGES, ids=[str(p.relative_to(DOCS)) for p in PAGES])
def test_links_resolve(page: Path) -> None:
    assert not broken_links(page), f"docs/{page.relative_to(DOCS)}: broken links"


def _reference_entries() -> set[str]:
    text = "\n".join(p.read_text(encoding="utf-8") for p in (DOCS / "reference").glob("*.md"))
    return set(re.findall(r"^::: ([\w.]+)", text, flags=re.M))


@pytest.mark.parametrize("page", PAGES, ids=[str(p.relative_to(DOCS)) for p in PAGES])
def test_cross_references_name_a_reference_entry(page: Path) -> None:
    entries = _reference_entries()
    missing = [x for x in XREF.findall(page.read_text(encoding="utf-8")) if x not in entries]
    assert not missing, f"docs/{page.relative_to(DOCS)}: no reference entry for {missing}"


@pytest.mark.parametrize("page", PAGES, ids=[str(p.relative_to(DOCS)) for p in PAGES])
def test_snippets_exist(page: Path) -> None:
    for path, section in SNIPPET.findall(page.read_text(encoding="utf-8")):
        text = (ROOT / path).read_text(encoding="utf-8")
        if section:
            for end in ("start", "end"):
                assert f"--8<-- [{end}:{section}]" in text, f"{path} has no section {section}"


def test_every_page_is_in_the_navigation() -> None:
    nav = (ROOT / "mkdocs.yml").read_text(encoding="utf-8").split("\nnav:\n", 1)[1]
    listed = set(
        re.findall(r":\s*([\w/.-]+\.(?:md|ipynb))\s*$|^\s*- ([\w/.-]+\.md)\s*$", nav, re.M)
    )
    listed_paths = {a or b for a, b in listed}
    pages = {str(p.relative_to(DOCS)) for p in PAGES}
    assert pages - listed_paths == set(), "pages left out of mkdocs.yml's nav"
    notebooks = {f"notebooks/{p.name}" for p in (ROOT / "notebooks").glob("*.ipynb")}
    assert notebooks <= listed_paths, "notebooks left out of mkdocs.yml's nav"


# ---------------------------------------------------------------- the sheet format, every key
def test_the_sheet_format_names_every_key_the_loader_accepts() -> None:
    from tracegrad.checker.reading.sheet_schema import NETWORK, SHEET, TRAINING

    page = (DOCS / "reference" / "sheet-format.md").read_text(encoding="utf-8")
    keys = {k.name for table in (SHEET, NETWORK, TRAINING) for k in table.keys}
    missing = sorted(k for k in keys if f"`{k}`" not in page)
    assert not missing, f"docs/reference/sheet-format.md does not describe {missing}"

"""The README is executed, so what it shows is what tracegrad does.

- ```python blocks with ``>>>`` prompts are doctests: each runs in a fresh namespace and its
  printed output must match (``...`` and whitespace differences allowed);
  ```python blocks without prompts must run without error.
- ```toml blocks are homework files the checker reads.
- ```console blocks are sessions of ``$ tracegrad ...`` commands: each runs (as
  ``python -m tracegrad``) in the repository root and must print what the README shows
  (``$ printf '%s\n' A B | tracegrad ...`` gives the command those lines on its input).
- Every notebook in notebooks/ is linked, and every relative link points to a file that exists.
- The pictures under docs/ are regenerated (docs/make_figures.py) and compared with the
  committed files structurally: the same nodes, edges and texts (not byte for byte: layouts
  differ between Graphviz versions).
"""

from __future__ import annotations

import doctest
import importlib
import importlib.util
import re
import shlex
import sys
import xml.etree.ElementTree as ET
from collections import Counter
from pathlib import Path

import pytest
from mdblocks import (
    Block,
    console_commands,
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
README = ROOT / "README.md"


BLOCKS = fenced_blocks(README.read_text(encoding="utf-8"))
PYTHON = [b for b in BLOCKS if b.lang in ("python", "pycon", "py")]
CONSOLE = [b for b in BLOCKS if b.lang == "console"]
TOML = [b for b in BLOCKS if b.lang == "toml"]


def test_fence_parser_finds_blocks() -> None:
    text = "intro\n```python\n>>> 1 + 1\n2\n```\n\n```console\n$ tracegrad --help\n```\n"
    blocks = fenced_blocks(text)
    assert [(b.lang, b.line) for b in blocks] == [("python", 3), ("console", 8)]
    assert blocks[0].text == ">>> 1 + 1\n2\n"
    with pytest.raises(AssertionError, match="never closes"):
        fenced_blocks("```python\nx = 1\n")
    session = Block("console", 1, "$ tracegrad a\nout 1\n  out 2\n\n$ tracegrad b\n")
    assert console_commands(session) == [("tracegrad a", "out 1\n  out 2"), ("tracegrad b", "")]


def test_readme_has_an_executed_session() -> None:
    assert any(">>>" in b.text for b in PYTHON), "README.md needs a >>> session"


def _block_id(b: Block) -> str:
    return f"line{b.line}"


def _python_params(blocks: list[Block]) -> list[object]:
    """A block that imports torch runs with the oracle tests (`make test-oracle`)."""
    return [
        pytest.param(b, id=_block_id(b), marks=[pytest.mark.oracle] if needs_torch(b) else [])
        for b in blocks
    ]


@pytest.mark.parametrize("block", _python_params(PYTHON))
def test_python_block(block: Block, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # anything a block writes lands in a scratch folder
    run_python_block(block, README)


@pytest.mark.parametrize("qualname", ["tracegrad.autograd.Value", "tracegrad.nn.MLP"])
def test_help_examples_run(qualname: str) -> None:
    """What help(Value) and help(nn.MLP) show is executed too."""
    module_name, _, name = qualname.rpartition(".")
    obj = getattr(importlib.import_module(module_name), name)
    tests = doctest.DocTestFinder(recurse=False).find(obj, name, globs={})
    assert tests and tests[0].examples, f"help({qualname}) shows no example"
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    report: list[str] = []
    for test in tests:
        runner.run(test, out=report.append)
    assert runner.failures == 0, "".join(report)


@pytest.mark.parametrize("block", TOML, ids=[_block_id(b) for b in TOML])
def test_toml_block_is_a_homework_the_checker_reads(block: Block) -> None:
    from tracegrad.checker import check

    sheet = tomllib.loads(block.text)
    report = check(sheet)  # a file the checker cannot read raises HomeworkError
    assert report.marks, f"README.md:{block.line}: the homework has no answers to check"


def test_console_blocks() -> None:
    for block in CONSOLE:
        run_console_block(block, README)


SHELL = [b for b in BLOCKS if b.lang == "sh"]


def test_shell_block_commands_parse_as_written() -> None:
    """Every `tracegrad ...` line of a ```sh block is a command line tracegrad accepts: its
    command and options exist as written (what they read is the reader's own file)."""
    from tracegrad.cli import build_parser
    from tracegrad.commands._common import split_set_items

    seen = 0
    for block in SHELL:
        for line in block.text.splitlines():
            argv = shlex.split(line, comments=True)
            if not argv or argv[0] != "tracegrad":
                continue
            argv = argv[1 : argv.index(">")] if ">" in argv else argv[1:]
            try:
                build_parser(argv[0]).parse_args(split_set_items(argv))
            except SystemExit:
                pytest.fail(f"README.md:{block.line}: tracegrad does not accept `{line}`")
            seen += 1
    assert seen >= 3  # the set-up, the first picture, the first check


def test_every_notebook_is_linked() -> None:
    text = README.read_text(encoding="utf-8")
    for nb in sorted((ROOT / "notebooks").glob("*.ipynb")):
        assert f"notebooks/{nb.name}" in text, f"README.md does not link notebooks/{nb.name}"


def test_relative_links_exist() -> None:
    text = README.read_text(encoding="utf-8")
    targets = re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", text)
    local = [t for t in targets if not re.match(r"^[a-z]+:", t)]
    assert local, "README.md links no local files"
    missing = [t for t in local if not (ROOT / t).exists()]
    assert not missing, f"README.md links missing files: {missing}"


def heading_anchor(heading: str) -> str:
    """GitHub's anchor for a Markdown heading: lower case, punctuation dropped, spaces to -."""
    text = re.sub(r"[^\w\- ]", "", heading.strip().lower())
    return text.replace(" ", "-")


def test_in_page_links_point_to_headings() -> None:
    text = README.read_text(encoding="utf-8")
    anchors = {heading_anchor(h) for h in re.findall(r"^#+ (.+)$", text, flags=re.M)}
    assert heading_anchor("How tracegrad compares") == "how-tracegrad-compares"
    links = re.findall(r"\]\(#([^)]+)\)", text)
    missing = [a for a in links if a not in anchors]
    assert not missing, f"README.md links to headings that do not exist: {missing}"


SVG = "{http://www.w3.org/2000/svg}"


# Paints that mean "nothing drawn", spelled differently by Graphviz versions (system dot 2.43
# writes stroke="transparent", the embedded Graphviz 16 stroke="none").
NO_PAINT = {"transparent": "none"}


SHAPES = (f"{SVG}polygon", f"{SVG}ellipse", f"{SVG}path")


def _paint(element: ET.Element, attribute: str) -> str:
    value = element.get(attribute) or ""
    return NO_PAINT.get(value, value)


def svg_structure(svg: str) -> dict[str, Counter[str]]:
    """What a graph picture shows, independent of layout and renderer version: node and edge
    groups (by their DOT ids, the SVG titles), every text, how many shapes are drawn in each
    stroke colour (the highlighted path) and fill colour (colour by grad), and each text's
    colour and font family."""
    root = ET.fromstring(svg)
    shapes = [e for e in root.iter() if e.tag in SHAPES]
    return {
        "groups": Counter(g.get("class") or "" for g in root.iter(f"{SVG}g")),
        "titles": Counter((t.text or "").strip() for t in root.iter(f"{SVG}title")),
        "texts": Counter((t.text or "").strip() for t in root.iter(f"{SVG}text")),
        "strokes": Counter(_paint(e, "stroke") for e in shapes),
        "fills": Counter(_paint(e, "fill") for e in shapes),
        "text_paint": Counter(
            f"{t.get('fill') or 'black'} {t.get('font-family')}" for t in root.iter(f"{SVG}text")
        ),
    }


def _make_figures() -> object:
    spec = importlib.util.spec_from_file_location("make_figures", ROOT / "docs" / "make_figures.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_svg_structure_sees_a_change() -> None:
    a = '<svg xmlns="http://www.w3.org/2000/svg"><g class="node"><text>x</text></g></svg>'
    b = a.replace(">x<", ">y<")
    assert svg_structure(a) == svg_structure(a.replace("<svg ", '<svg width="9" '))
    assert svg_structure(a) != svg_structure(b)
    dot243 = a.replace("<text>", '<polygon stroke="transparent"/><text>')
    dot16 = a.replace("<text>", '<polygon stroke="none"/><text>')
    assert svg_structure(dot243) == svg_structure(dot16)
    assert svg_structure(dot16) != svg_structure(dot16.replace('"none"', '"red"'))
    filled = a.replace("<text>", '<polygon fill="#ef8a62"/><text>')
    assert svg_structure(filled) != svg_structure(filled.replace("#ef8a62", "#67a9cf"))
    assert svg_structure(a) != svg_structure(a.replace("<text>", '<text fill="#7b3294">'))
    assert svg_structure(a) != svg_structure(a.replace("<g ", "<g><title>v1</title></g><g "))


def test_docs_figures_match_the_code() -> None:
    from tracegrad.autograd.drawing.convert import png_size

    figures = _make_figures().figures()  # type: ignore[attr-defined]
    assert "seed_graph.svg" in figures
    for name, svg in figures.items():
        committed = (ROOT / "docs" / name).read_text(encoding="utf-8")
        want, got = svg_structure(committed), svg_structure(svg)
        for part in want:
            assert got[part] == want[part], (
                f"docs/{name} is stale ({part} differ): run `python docs/make_figures.py`"
            )
        png = (ROOT / "docs" / name).with_suffix(".png").read_bytes()
        pixels = int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")
        assert pixels == png_size(committed), f"docs/{name}: its PNG is from another drawing"
    seed_texts = svg_structure(figures["seed_graph.svg"])["texts"]
    for label in ["w5", "net_o1", "o1", "E", "data 0.7165", "grad -0.0201"]:
        assert seed_texts[label] >= 1, f"the seed graph does not show {label!r}"

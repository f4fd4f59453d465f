"""Sentences of the docs and the notebooks that state what the code does, read against it."""

from __future__ import annotations

import colorsys
import json
import re
import shlex
from pathlib import Path

from tracegrad.autograd.drawing import dot_style

import tracegrad
from tracegrad import autograd

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
HUES = {"red": (345, 15), "orange": (15, 45), "green": (75, 165), "blue": (195, 255),
        "purple": (255, 320)}  # fmt: skip


def _texts() -> dict[str, str]:
    """Every page a learner reads: README, docs pages, the notebooks' markdown, examples."""
    out = {"README.md": README.read_text(encoding="utf-8")}
    for path in sorted((ROOT / "docs").rglob("*.md")):
        out[str(path.relative_to(ROOT))] = path.read_text(encoding="utf-8")
    for path in sorted((ROOT / "notebooks").glob("*.ipynb")):
        cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
        out[str(path.relative_to(ROOT))] = "\n".join("".join(c["source"]) for c in cells)
    for path in sorted((ROOT / "examples").glob("*.*")):
        if path.suffix in (".md", ".toml"):
            out[str(path.relative_to(ROOT))] = path.read_text(encoding="utf-8")
    return out


def test_the_highlight_colour_is_named_as_the_code_draws_it() -> None:
    code = dot_style._HIGHLIGHT
    r, g, b = (int(code[i : i + 2], 16) / 255 for i in (1, 3, 5))
    hue = colorsys.rgb_to_hsv(r, g, b)[0] * 360
    low, high = HUES[dot_style.HIGHLIGHT_NAME]
    assert low <= hue <= high, (code, hue, dot_style.HIGHLIGHT_NAME)
    said = 0
    for name, text in _texts().items():
        for m in re.finditer(r"[^.]*highlight[^.]*\.|[^.]*gradient_path[^.]*\.", text, re.I):
            sentence = m.group().lower()
            for other in HUES:
                if other != dot_style.HIGHLIGHT_NAME and re.search(rf"\bin {other}\b", sentence):
                    raise AssertionError(f"{name}: the highlight is said to be {other}")
        said += "gradient_path" in text and f"in {dot_style.HIGHLIGHT_NAME}" in text.lower()
    assert said >= 2  # notebook 02 and the how-to on drawing for slides say it


def test_one_seed_article() -> None:
    for name, text in _texts().items():
        assert not re.search(r"\b(first|second) seed article", text, re.I), name


def test_the_api_reference_opens_with_what_a_learner_reaches_for() -> None:
    for module in (tracegrad, autograd):
        doc = module.__doc__ or ""
        opening = doc.split("\n\n")[:4]
        assert "PEP 562" not in doc and "_LAZY" not in doc, module.__name__
        assert any("Value" in part for part in opening)
        for name in ("draw", "explain", "step_through"):
            assert f"``{name}" in doc, (module.__name__, name)


def test_the_readmes_list_of_sections_is_complete() -> None:
    text = README.read_text(encoding="utf-8")
    listed = re.search(r"In this README: (.*?)\n\n", text, re.S)
    assert listed
    anchors = set(re.findall(r"\]\(#([\w-]+)\)", listed.group(1)))
    for heading in re.findall(r"^## (.+)$", text, re.M):
        anchor = re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")
        assert anchor in anchors, f"README's list of sections leaves out '{heading}'"


def test_the_readme_says_what_make_docs_installs_and_prints() -> None:
    text = " ".join(README.read_text(encoding="utf-8").split())
    assert "`make docs` installs PyTorch" in text and "1.4 GB" in text
    assert "Kernel is running over TCP without encryption" in text


def test_every_command_names_a_file_that_ships_or_says_it_is_yours() -> None:
    """A README or docs command reading a file runs as written (the file ships, or the lines
    before make it) or its comment marks the file as the reader's own."""
    pattern = re.compile(r"```(?:sh|console)\n(.*?)```", re.S)
    for name, text in _texts().items():
        if not name.endswith(".md"):
            continue
        for block in pattern.findall(text):
            made: set[str] = set()
            for line in block.replace("\\\n", " ").splitlines():  # continued lines joined
                line = line.removeprefix("$ ")
                if not line.startswith("tracegrad "):
                    continue
                comment = line.split("#", 1)[1] if "#" in line else ""
                argv = shlex.split(line, comments=True)
                argv = argv[: argv.index(">")] if ">" in argv else argv  # what it writes
                for flag in ("-o", "--output", "--copy", "--out"):
                    if flag in argv and argv.index(flag) + 1 < len(argv):
                        made.add(argv[argv.index(flag) + 1])
                for arg in argv[1:]:
                    if not arg.endswith((".toml", ".csv")) or "*" in arg or "=" in arg:
                        continue
                    exists = (ROOT / arg).exists() or any(arg.startswith(m) for m in made)
                    assert exists or "your" in comment, f"{name}: `{line}` reads {arg}"

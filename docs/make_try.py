"""The "Try it" page's files, added to the built site (`make docs` runs this after MkDocs).

    python docs/make_try.py site

MkDocs has already copied the page itself from docs/try/ (index.html, try.js, try.css,
runner.py, examples/). This adds, into site/try/, everything the page loads, so that it runs
from the site alone with no other host:

- pyodide/: the Pyodide runtime, copied from the `pyodide` npm package (pinned in
  package-lock.json; `npm ci` installed it into node_modules/);
- viz/viz.js: Graphviz for JavaScript, from the `@viz-js/viz` npm package (one file, the
  WebAssembly inside; why this one: tracegrad.autograd.drawing.browser);
- wheels/: tracegrad's wheel, built now from this checkout, and the pure `graphviz` wheel at
  the version installed here (tracegrad's drawing builds its DOT with it);
- examples/first-session.py: the README's first session, its `>>>` lines as a script;
- seed-backward.html and seed-practice.html: the seed network's backward-pass page and its
  practice mode, written by `tracegrad step --example seed`;
- manifest.json: the wheels' file names and the versions, for the page.
"""

from __future__ import annotations

import doctest
import importlib.metadata
import json
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from tracegrad.autograd.safety import write_atomic

import tracegrad

ROOT = Path(__file__).resolve().parent.parent
NODE_MODULES = ROOT / "node_modules"
# The runtime files the page loads (pyodide.mjs imports pyodide.asm.mjs, which loads the rest).
PYODIDE_FILES = (
    "pyodide.mjs",
    "pyodide.asm.mjs",
    "pyodide.asm.wasm",
    "python_stdlib.zip",
    "pyodide-lock.json",
)
VIZ_FILE = NODE_MODULES / "@viz-js" / "viz" / "dist" / "viz.js"
FIRST_SESSION = "## A first session"
# what the wheel's build copy leaves out: tools' folders, outputs, caches
NOT_SOURCES = (
    ".git",
    ".venv",
    "node_modules",
    "site",
    "build",
    "dist",
    "out",
    "*.egg-info",
    "__pycache__",
    ".*_cache",
    ".hypothesis",
)


def first_session(readme: str) -> str:
    """The README's first session (its first ```python block after FIRST_SESSION) as a
    script: the `>>>` and `...` lines without their prompts, the outputs left out."""
    start = readme.index(FIRST_SESSION)
    block = re.search(r"```python\n(.*?)```", readme[start:], re.S)
    if block is None:
        raise ValueError(f"README.md: no ```python block after {FIRST_SESSION!r}")
    examples = doctest.DocTestParser().get_examples(block.group(1))
    return "".join(example.source for example in examples)


def copy(source: Path, target: Path) -> None:
    if not source.is_file():
        raise FileNotFoundError(f"{source} is missing: run `npm ci` in {ROOT} first")
    target.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(target, source.read_bytes())


def _pip(command: str, *args: str, into: Path) -> Path:
    """Run ``pip command args`` into the empty folder ``into``; the one wheel it leaves there."""
    folder = "-w" if command == "wheel" else "-d"  # pip wheel -w, pip download -d
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check", "-q", command]
    subprocess.run([*pip, *args, folder, str(into)], check=True)
    (wheel,) = into.glob("*.whl")
    return wheel


def wheels(target: Path) -> list[str]:
    """tracegrad's wheel built from this checkout and the pure graphviz wheel, into target."""
    names = []
    with tempfile.TemporaryDirectory() as tmp:
        # built from a copy of the sources: setuptools would reuse a stale build/lib here
        source = Path(tmp) / "source"
        shutil.copytree(ROOT, source, ignore=shutil.ignore_patterns(*NOT_SOURCES))
        ours = _pip("wheel", "--no-deps", str(source), into=Path(tmp) / "ours")
        graphviz = importlib.metadata.version("graphviz")
        theirs = _pip(
            "download",
            f"graphviz=={graphviz}",
            "--no-deps",
            "--only-binary=:all:",
            into=Path(tmp) / "graphviz",
        )
        for wheel in (theirs, ours):  # graphviz first: tracegrad imports it
            copy(wheel, target / wheel.name)
            names.append(wheel.name)
    return names


def seed_pages(out: Path) -> None:
    """The seed network's backward-pass page and practice page, by tracegrad's own command."""
    for name, extra in (("seed-backward.html", []), ("seed-practice.html", ["--practice"])):
        command = [sys.executable, "-m", "tracegrad", "step", "--example", "seed"]
        subprocess.run([*command, "-o", str(out / name), *extra], check=True)


def main(site: Path) -> None:
    out = site / "try"
    if not (out / "index.html").is_file():
        raise FileNotFoundError(f"{out / 'index.html'} is missing: build the site first (mkdocs)")
    lock = json.loads((NODE_MODULES / "pyodide" / "pyodide-lock.json").read_text("utf-8"))
    for name in PYODIDE_FILES:
        copy(NODE_MODULES / "pyodide" / name, out / "pyodide" / name)
    copy(VIZ_FILE, out / "viz" / "viz.js")
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    write_atomic(out / "examples" / "first-session.py", first_session(readme))
    seed_pages(out)
    manifest = {
        "tracegrad": tracegrad.__version__,
        "pyodide": _package_version("pyodide"),
        "python": lock["info"]["python"],
        "viz": _package_version("@viz-js/viz"),
        "wheels": wheels(out / "wheels"),
    }
    write_atomic(out / "manifest.json", json.dumps(manifest, indent=2) + "\n")
    size = sum(f.stat().st_size for f in out.rglob("*") if f.is_file())
    print(f"wrote {out}: the Try-it page, {size / 1e6:.1f} MB with everything it loads")


def _package_version(name: str) -> str:
    package = json.loads((NODE_MODULES / name / "package.json").read_text("utf-8"))
    return str(package["version"])


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: python docs/make_try.py SITE_DIR")
    main(Path(sys.argv[1]))

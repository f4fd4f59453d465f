"""tracegrad installed as a user installs it: a wheel built from the repository, in new virtual
environments, run from a folder outside the repository (marker ``install``: ``make
test-install``, run by CI; it needs PyPI for the dependencies).

- The wheel installs one top-level package, ``tracegrad`` (and its console script).
- Beside PyPI's ``autograd`` (the HIPS package, 1.9.1), in both orders, both work; uninstalling
  either leaves the other working.
- From an empty folder, the installed ``tracegrad`` does what the README shows: its ``>>>``
  sessions and its console sessions (after ``tracegrad examples --copy examples``), the demo.
"""

from __future__ import annotations

import json
import os
import shlex
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from mdblocks import console_commands, fenced_blocks, needs_torch, split_feed

pytestmark = pytest.mark.install

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"

HIPS = "autograd==1.9.1"
HIPS_WORKS = "import autograd, autograd.numpy as np; print(round(autograd.grad(np.tanh)(1.0), 5))"
DOCTESTS = """\
import doctest, json, sys
failed = 0
for i, text in enumerate(json.loads(sys.argv[1])):
    t = doctest.DocTestParser().get_doctest(text, {}, f"README block {i + 1}", "README.md", 0)
    r = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    failed += r.run(t).failed
sys.exit(1 if failed else 0)
"""


def readme_sessions() -> list[str]:
    """The README's ``>>>`` sessions, first to last (those that need PyTorch left out: the
    wheel is installed without the oracle extra)."""
    blocks = fenced_blocks(README.read_text(encoding="utf-8"))
    return [b.text for b in blocks if ">>>" in b.text and not needs_torch(b)]


def run(
    argv: list[str], cwd: Path, check: bool = True, feed: str | None = None
) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, COLUMNS="100", NO_COLOR="1", TERM="dumb")
    env.pop("VIRTUAL_ENV", None)
    proc = subprocess.run(
        argv, cwd=cwd, env=env, capture_output=True, text=True, timeout=600, input=feed
    )
    if check and proc.returncode != 0:
        raise AssertionError(f"{' '.join(argv)} exited {proc.returncode}:\n{proc.stderr[-3000:]}")
    return proc


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The wheel, built from a copy of the files git tracks (setuptools writes build/ beside the
    sources it builds, and a stray file in the work tree must not slip into the wheel)."""
    src, out = tmp_path_factory.mktemp("src"), tmp_path_factory.mktemp("wheel")
    tracked = run(["git", "ls-files", "-z"], ROOT).stdout.split("\0")
    for name in (n for n in tracked if n and (ROOT / n).is_file()):
        (src / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(ROOT / name, src / name)
    run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(out), str(src)], out)
    (path,) = out.glob("tracegrad-*.whl")
    return path


class Venv:
    def __init__(self, folder: Path) -> None:
        run([sys.executable, "-m", "venv", str(folder)], folder.parent)
        self.folder = folder
        self.python = str(folder / "bin" / "python")
        self.work = folder.parent / f"{folder.name}-work"  # outside the repository
        self.work.mkdir()

    def pip(self, *args: str) -> None:
        run([self.python, "-m", "pip", "--disable-pip-version-check", "-q", *args], self.work)

    def py(self, code: str) -> str:
        return run([self.python, "-c", code], self.work).stdout.strip()

    def doctests(self, sessions: list[str]) -> None:
        """Run README sessions with doctest in this environment; fail with doctest's report."""
        proc = run([self.python, "-c", DOCTESTS, json.dumps(sessions)], self.work, check=False)
        assert proc.returncode == 0, proc.stdout[-4000:]

    def tracegrad(
        self, *args: str, check: bool = True, feed: str | None = None
    ) -> subprocess.CompletedProcess[str]:
        return run([str(self.folder / "bin" / "tracegrad"), *args], self.work, check, feed)


def test_the_wheel_holds_one_top_level_package(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as zf:
        tops = {name.split("/")[0] for name in zf.namelist()}
        names = zf.namelist()
    dist_info = "-".join(wheel.name.split("-")[:2]) + ".dist-info"
    assert tops == {"tracegrad", dist_info}
    for inside in ("tracegrad/autograd/ops.py", "tracegrad/nn/layers.py"):
        assert inside in names
    assert "tracegrad/examples/student_wrong.toml" in names
    for asset in ("page.js", "page_practice.js", "page.css"):  # inlined into the backward-pass page
        assert f"tracegrad/autograd/explaining/{asset}" in names
    # every module of the repository, sub-packages included (pyproject.toml's `packages`)
    folders = {"autograd": "tracegrad/autograd", "nn": "tracegrad/nn", "tracegrad": "tracegrad"}
    for folder, installed in folders.items():
        for path in (ROOT / folder).rglob("*.py"):
            rel = path.relative_to(ROOT / folder).as_posix()
            assert f"{installed}/{rel}" in names, f"{folder}/{rel} is not in the wheel"


@pytest.mark.parametrize("first", ["tracegrad", "autograd"])
def test_beside_pypi_autograd_in_either_order(wheel: Path, tmp_path: Path, first: str) -> None:
    env = Venv(tmp_path / "venv")
    order = [str(wheel), HIPS] if first == "tracegrad" else [HIPS, str(wheel)]
    for spec in order:
        env.pip("install", spec)
    assert env.py(HIPS_WORKS) == "0.41997"
    env.doctests(readme_sessions()[:1])  # the README's first example, its printed numbers
    shown = run([env.python, "-m", "pip", "show", "-f", "tracegrad"], env.work).stdout
    files = [ln.strip() for ln in shown.split("Files:")[1].splitlines() if ln.strip()]
    tops = {f.split("/")[0] for f in files if not f.startswith("../")}
    assert tops == {"tracegrad", next(t for t in tops if t.endswith(".dist-info"))}, tops
    # Uninstalling the one installed last leaves the other whole.
    gone, stays = ("autograd", "tracegrad") if first == "tracegrad" else ("tracegrad", "autograd")
    env.pip("uninstall", "-y", gone)
    if stays == "tracegrad":
        env.doctests(readme_sessions()[:1])
        assert env.tracegrad("--version").stdout.startswith("tracegrad ")
    else:
        assert env.py(HIPS_WORKS) == "0.41997"


def test_the_installed_wheel_does_what_the_readme_shows(wheel: Path, tmp_path: Path) -> None:
    env = Venv(tmp_path / "venv")
    env.pip("install", f"{wheel}[plot]")
    assert run([env.python, "-c", "import autograd"], env.work, check=False).returncode != 0
    env.doctests(readme_sessions())  # every >>> session of the README
    # its console sessions, with the shipped examples copied into the empty folder
    env.tracegrad("examples", "--copy", "examples")
    schema = (env.work / "examples" / "homework.schema.json").read_text(encoding="utf-8")
    assert schema == env.tracegrad("schema").stdout  # package data, as the sheets' #:schema say
    consoles = [b for b in fenced_blocks(README.read_text(encoding="utf-8")) if b.lang == "console"]
    for block in consoles:
        for session, expected in console_commands(block):
            command, feed = split_feed(session)
            got = env.tracegrad(*shlex.split(command)[1:], check=False, feed=feed)
            text = "\n".join(ln.rstrip() for ln in (got.stdout + got.stderr).splitlines())
            assert text.rstrip() == expected, f"`{command}` printed:\n{text}"
    # shipped examples by name, and the whole demo
    got = env.tracegrad("check", "--example", "student_wrong", "--brief", check=False)
    assert got.returncode == 1 and "First mistake" in got.stdout
    env.tracegrad("step", "--example", "seed", "-o", "seed.html")
    page = (env.work / "seed.html").read_text(encoding="utf-8")
    assert "const D = JSON.parse" in page and "#tg-graph" in page  # script and styles inlined
    demo = env.tracegrad("demo", "--out", "tour")
    assert "Homework checker" in demo.stdout and "not found" not in demo.stdout
    assert (env.work / "tour" / "moons_decision_boundary.png").exists()

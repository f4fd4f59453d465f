"""What each command loads (docs/architecture.md, "Imports on first use"): each command is run
in a new Python and its ``sys.modules`` read. ``tracegrad --help`` imports no command module
(the registry holds the summaries); ``check`` loads no numpy, graphviz, wasmtime, drawing,
compiling, kit or explaining module unless the report it prints needs an explanation. Timings
are ``make bench``'s (``benchmarks/cli_start.py``); these count modules."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tracegrad.commands import COMMANDS, SUMMARIES

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
HEAVY = ("numpy", "graphviz", "wasmtime")
NEVER_IN_CHECK = (
    "tracegrad.autograd.drawing",
    "tracegrad.autograd.compiled",
    "tracegrad.kit",
)
EXPLAINING = "tracegrad.autograd.explaining"

_PROBE = """
import contextlib, io, json, sys
from tracegrad.cli import main
out = io.StringIO()
with contextlib.redirect_stdout(out), contextlib.redirect_stderr(io.StringIO()):
    try:
        status = main(sys.argv[1:])
    except SystemExit as exc:
        status = exc.code
print(json.dumps({"status": status, "modules": sorted(sys.modules), "out": out.getvalue()}))
"""


def loaded_by(*argv: str) -> dict:  # type: ignore[type-arg]
    """Run ``tracegrad ARGV...`` in a new Python: its exit status, output and sys.modules."""
    done = subprocess.run(
        [sys.executable, "-c", _PROBE, *argv], capture_output=True, text=True, check=True, cwd="/"
    )
    return json.loads(done.stdout)  # type: ignore[no-any-return]


def ours(modules: list[str]) -> list[str]:
    return [m for m in modules if m == "tracegrad" or m.startswith("tracegrad.")]


def under(modules: list[str], prefix: str) -> list[str]:
    return [m for m in modules if m == prefix or m.startswith(prefix + ".")]


def test_help_imports_no_command_and_at_most_15_of_our_modules() -> None:
    run = loaded_by("--help")
    assert run["status"] == 0
    for name, summary in SUMMARIES.items():  # every command is listed, with its summary
        assert name in run["out"] and summary.split()[0] in run["out"]
    mine = ours(run["modules"])
    assert len(mine) <= 15, mine
    assert not [m for m in mine if m in COMMANDS], mine
    assert not [m for m in HEAVY if m in run["modules"]]


@pytest.mark.parametrize("sheet", ["expression.toml", "mazur.toml", "tanh_neuron.toml"])
def test_check_loads_neither_heavy_nor_drawing_kit_compiled_or_explaining(sheet: str) -> None:
    """An expression sheet, a network sheet (Mazur) and a sheet with a slip: none needs an
    explanation in its report, so none loads the explaining code."""
    run = loaded_by("check", str(EXAMPLES / sheet))
    assert run["status"] in (0, 1) and run["out"]  # the report was printed
    modules = run["modules"]
    assert not [m for m in HEAVY if m in modules]
    for prefix in (*NEVER_IN_CHECK, EXPLAINING):
        assert not under(modules, prefix), (sheet, under(modules, prefix))
    assert [m for m in COMMANDS if m in modules] == ["tracegrad.commands.check"]


def test_check_loads_the_explaining_code_when_its_report_explains() -> None:
    run = loaded_by("check", str(EXAMPLES / "seed_article.toml"))
    assert "d" in run["out"] and under(run["modules"], EXPLAINING)
    assert not [m for m in HEAVY if m in run["modules"]]
    for prefix in NEVER_IN_CHECK:
        assert not under(run["modules"], prefix)


# A command that reuses another's code by design: practice reads a sheet's graph as step does.
SHARES = {"practice": ["step"]}


@pytest.mark.parametrize("name", list(SUMMARIES))
def test_a_command_loads_its_own_module_and_no_other(name: str) -> None:
    run = loaded_by(name, "--help")
    assert run["status"] == 0 and f"usage: tracegrad {name}" in run["out"]
    want = sorted(f"tracegrad.commands.{n}" for n in [name, *SHARES.get(name, [])])
    assert sorted(m for m in COMMANDS if m in run["modules"]) == want


def test_one_place_builds_the_error_line_and_the_line_is_read_once() -> None:
    """``tracegrad CMD: error:`` is written in ``commands/_line.py`` only (cli's usage errors,
    check's per-file errors and grading's call ``error_line``), and cli.main reads the
    command line once."""
    import inspect

    from tracegrad import cli

    writers = [
        p.relative_to(ROOT).as_posix()
        for folder in ("tracegrad", "autograd", "nn")
        for p in (ROOT / folder).rglob("*.py")
        if ": error:" in p.read_text(encoding="utf-8")
    ]
    # and tracegrad/__init__.py's Ctrl-C line while the package itself loads (nothing can be
    # imported yet): the same line error_line builds
    assert sorted(writers) == ["tracegrad/__init__.py", "tracegrad/commands/_line.py"]
    from tracegrad.commands._line import error_line

    early = (ROOT / "tracegrad" / "__init__.py").read_text(encoding="utf-8")
    assert f'"{error_line("", "interrupted")}\\n"' in early
    main = inspect.getsource(cli.main)
    assert main.count("CommandLine.read(") == 1 and "startswith" not in main
    assert main.count("parse_args(") == 1


def test_the_architecture_page_says_what_the_commands_load() -> None:
    """docs/architecture.md's "Imports on first use" as the tests above check it."""
    text = " ".join((ROOT / "docs" / "architecture.md").read_text(encoding="utf-8").split())
    for claim in (
        "`tracegrad --help` imports no command module (15 of our modules, no numpy, no graphviz)",
        "`tracegrad check` on an expression or a network sheet loads no numpy, graphviz, "
        "wasmtime, drawing, compiled or kit module, and the explaining code only when its "
        "report shows a derivation",
        "`tests/test_cli_imports.py`",
    ):
        assert claim in text, claim

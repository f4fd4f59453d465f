"""Rules that keep the codebase changeable in an afternoon (CONTRIBUTING.md explains them)."""

from __future__ import annotations

import ast
import math
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TESTS = ROOT / "tests"
MAX_LINES = 500
# Files allowed over the limit while they are split (none now): each may shrink, none may grow.
RATCHET: dict[str, int] = {}


def _sources() -> list[Path]:
    return [p for folder in ("autograd", "nn", "tracegrad") for p in (ROOT / folder).rglob("*.py")]


def test_no_source_file_is_over_500_lines() -> None:
    sources = _sources()
    assert len(sources) > 30  # the glob found the packages
    lines = {p.relative_to(ROOT).as_posix(): _lines(p) for p in sources}
    long = {f: n for f, n in lines.items() if n > RATCHET.get(f, MAX_LINES)}
    assert not long, f"split these by idea (limit {MAX_LINES} lines): {long}"


def _lines(path: Path) -> int:
    return len(path.read_text(encoding="utf-8").splitlines())


def test_example_counts_come_from_the_hypothesis_profile() -> None:
    """No property sets max_examples: tests/conftest.py's profile does (quick or thorough)."""
    pattern = re.compile(r"@settings\([^)]*max_examples|settings\(max_examples=\d+[^)]*\)\)?\n")
    offenders = []
    for path in sorted(TESTS.glob("*.py")):
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if pattern.search(line + "\n") and "find(" not in line:
                offenders.append(f"{path.name}:{n}")
    assert not offenders, f"use the profile, not a literal: {offenders}"


def test_test_modules_import_no_other_test_module() -> None:
    """Shared strategies live in tests/strategies.py, never in a test_*.py another one imports."""
    offenders = []
    for path in sorted(TESTS.glob("test_*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            names = []
            if isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            elif isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            offenders += [f"{path.name} imports {m}" for m in names if m.startswith("test_")]
    assert not offenders, offenders


# ---------------------------------------------------------------- CONTRIBUTING.md's checklists
def _test_names(module: str) -> list[str]:
    tree = ast.parse((TESTS / f"{module}.py").read_text(encoding="utf-8"))
    return [n.name for n in tree.body if isinstance(n, ast.FunctionDef)]


def _training_page() -> str:
    """The tutorial that names every loss and optimizer (CONTRIBUTING.md's checklists)."""
    return (ROOT / "docs" / "tutorials" / "training.md").read_text(encoding="utf-8")


def _pages_at_work() -> str:
    """The README and the site's pages that show commands at work (the CLI reference, whose
    help is generated from the parser, is not one of them)."""
    pages = [ROOT / "README.md"] + [
        p for p in sorted((ROOT / "docs").rglob("*.md")) if p.parent.name != "reference"
    ]
    return "\n".join(p.read_text(encoding="utf-8") for p in pages)


def test_every_loss_is_registered_tested_and_documented() -> None:
    import tracegrad.nn
    from tracegrad.nn import losses

    helpers = {"l2", "get_loss", "LossSpec", "LOSSES", "LOG_FLOOR"}
    functions = [n for n in losses.__all__ if n not in helpers]
    assert set(functions) == set(losses.LOSSES), "a loss function needs its LossSpec in LOSSES"
    for name in functions:
        assert name in tracegrad.nn.__all__ and getattr(tracegrad.nn, name, None) is getattr(
            losses, name
        ), f"nn/__init__.py should import {name} from tracegrad.nn.losses and list it in __all__"
    tests = [f"_{t[len('test_') :]}_" for t in _test_names("test_nn_losses")]
    untested = [n for n in losses.LOSSES if not any(f"_{n}_" in t for t in tests)]
    assert not untested, f"tests/test_nn_losses.py needs a closed-form test for {untested}"
    undocumented = [n for n in losses.LOSSES if n not in _training_page()]
    assert not undocumented, f"docs/tutorials/training.md should name {undocumented}"


def test_every_optimizer_is_exported_tested_and_documented() -> None:
    import tracegrad.nn
    from tracegrad.nn import optim

    classes = [c for c in vars(optim).values() if isinstance(c, type)]
    subclasses = [c.__name__ for c in classes if issubclass(c, optim.Optimizer)]
    subclasses.remove("Optimizer")
    assert subclasses, "no optimizers found"
    for name in subclasses:
        assert name in optim.__all__ and name in tracegrad.nn.__all__, f"export {name}"
        assert hasattr(tracegrad.nn, name), f"tracegrad.nn should import {name}"
        assert f"test_{name.lower()}_two_steps" in _test_names("test_nn_optim"), (
            f"tests/test_nn_optim.py needs test_{name.lower()}_two_steps (a closed form)"
        )
        assert name in _training_page(), f"docs/tutorials/training.md should name {name}"


def test_every_command_is_registered_tested_and_documented() -> None:
    from tracegrad.commands import COMMANDS

    folder = ROOT / "tracegrad" / "commands"
    modules = sorted(  # a command is a module, or a package of its own (export's two targets)
        [f"tracegrad.commands.{p.stem}" for p in folder.glob("*.py") if not p.stem.startswith("_")]
        + [f"tracegrad.commands.{p.parent.name}" for p in folder.glob("*/__init__.py")]
    )
    assert sorted(COMMANDS) == modules, "list each command module in tracegrad.commands.COMMANDS"
    tests = "\n".join(
        p.read_text(encoding="utf-8")
        for p in TESTS.glob("test_*.py")
        if p.name != Path(__file__).name
    ).replace(" ", "")
    for module in modules:
        name = module.rsplit(".", 1)[1]
        calls = [f'main(["{name}"', f'tracegrad("{name}"', f'"tracegrad","{name}"']
        assert any(c in tests for c in calls), (
            f"no test runs `tracegrad {name}`: add tests/test_cli_{name}.py (good and bad input)"
        )
        assert f"tracegrad {name}" in _pages_at_work(), (
            f"the README or a page in docs/ should show `tracegrad {name}` at work"
        )


# Each kind of homework answer (a section of the worked solution) and the test that checks the
# engine's numbers of that kind against an independent computation. A new kind is added here
# once such a test exists (CONTRIBUTING.md, "Adding a homework answer kind").
_SEED_ORACLE = "tests/test_checker_seed.py::test_engine_numbers_match_the_independent_oracle"
_PLAIN_BACKPROP = "tests/test_checker_properties.py::test_engine_matches_plain_float_backprop"
_EXPRESSIONS = "tests/test_checker_mistakes.py::test_expression_homework_carries_the_chain_rule"
_PUBLISHED = "tests/test_checker_literature.py::test_the_published_figures_are_accepted_in_full"
ANSWER_KINDS = {
    "given": "tests/test_checker_seed.py::test_the_sheet_is_the_articles_figures_as_printed",
    "forward": _SEED_ORACLE,
    "loss": _PLAIN_BACKPROP,
    "backward factors": _SEED_ORACLE,
    "gradients": _PLAIN_BACKPROP,
    "updates": _PLAIN_BACKPROP,
    "values": _EXPRESSIONS,
    "derivatives": _EXPRESSIONS,
    "zero derivatives": _EXPRESSIONS,
    "higher derivatives": _PUBLISHED,
}


def _sheets() -> list[Path]:
    """The shipped and test sheets (templates are not sheets: tests/test_kit.py draws them)."""
    shipped = [p for p in (ROOT / "examples").glob("*.toml") if not p.stem.endswith("_template")]
    return sorted(shipped) + sorted(TESTS.glob("sheets/*.toml"))


def test_every_homework_answer_kind_has_a_title_and_an_oracle() -> None:
    from tracegrad.checker import solve
    from tracegrad.checker.solving import solution

    sheets = _sheets()
    assert len(sheets) >= 3
    kinds = {q.section for sheet in sheets for q in solve(str(sheet)).problem.quantities}
    untitled = kinds - set(solution._TITLES) - solution._HIDDEN
    assert not untitled, (
        f"tracegrad/checker/solving/solution.py _TITLES needs a title for {untitled}"
    )
    unchecked = kinds - set(ANSWER_KINDS)
    assert not unchecked, f"no oracle test for the answer kinds {unchecked}: see CONTRIBUTING.md"
    for where in ANSWER_KINDS.values():
        path, _, name = where.partition("::")
        assert name in _test_names(Path(path).stem), f"{where} does not exist"


# Answer kinds the judging (diagnose.py, slips.py) leaves to right-or-wrong on purpose: no
# carried-forward or slip rule is about them (CONTRIBUTING.md, "Adding a homework answer kind").
PLAIN_KINDS = {"values", "derivatives", "higher derivatives"}  # forward: a misread given


def _judged_sections() -> set[str]:
    """The section names diagnose.py and slips.py test for: string literals, or the constants
    of tracegrad/checker/ (module-level NAME = "text") they refer to by name."""
    checker = ROOT / "tracegrad" / "checker"
    constants: dict[str, str] = {}
    for path in checker.rglob("*.py"):
        for node in ast.parse(path.read_text(encoding="utf-8")).body:
            if (
                isinstance(node, ast.Assign)
                and isinstance(node.value, ast.Constant)
                and isinstance(node.value.value, str)
            ):
                for target in node.targets:
                    if isinstance(target, ast.Name):
                        constants[target.id] = node.value.value
    named: set[str] = set()
    for module in ("judging/diagnose.py", "judging/slips.py"):
        for node in ast.walk(ast.parse((checker / module).read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                named.add(node.value)
            elif isinstance(node, ast.Name) and node.id in constants:
                named.add(constants[node.id])
            elif isinstance(node, ast.Attribute) and node.attr in constants:
                named.add(constants[node.attr])
    return named


def test_every_answer_kind_is_judged_or_plain_on_purpose() -> None:
    judged = _judged_sections()
    assert {"gradients", "backward factors"} <= judged  # the scan sees the section checks
    undecided = set(ANSWER_KINDS) - judged - PLAIN_KINDS
    assert not undecided, (
        f"name the answer kinds {undecided} in the section checks of diagnose.py / slips.py, "
        "or add them to PLAIN_KINDS in tests/test_codebase.py (see CONTRIBUTING.md)"
    )
    assert not PLAIN_KINDS & judged, f"judged by section, not plain: {PLAIN_KINDS & judged}"


def test_every_answer_recomputes_from_its_inputs() -> None:
    """compute(numbers of deps) is the engine's value for every quantity of the shipped sheets:
    an error carried forward from a student's own figures is judged with that recipe."""
    from tracegrad.checker import solve

    checked = 0
    for sheet in _sheets():
        problem = solve(str(sheet)).problem
        for q in problem.quantities:
            if q.compute is None:
                continue
            got = q.compute([problem.index[k].value for k in q.deps])
            assert math.isclose(got, q.value, rel_tol=1e-9, abs_tol=1e-12), (sheet.name, q.name)
            checked += 1
    assert checked > 50

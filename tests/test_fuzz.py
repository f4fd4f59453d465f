"""Hostile input, generated: homework files, weights files and command-line expressions.

Each input runs in a child process limited in CPU time and memory (``resource.setrlimit``),
so a hang or a memory explosion is a failure, not a stuck test run. Every run must end with a
correct answer or with exit status 2 and exactly one line on stderr; never a traceback, and no
file in its folder changes. ``make test`` runs a few examples of each (half the
hypothesis profile's count, about 25 s); ``make test-fuzz`` (marker ``fuzz``, run by CI) runs
many more.
"""

from __future__ import annotations

import json
import math
import os
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from fuzzkit import BUDGETS, _assert_clean, _fuzz, _limits, _run
from hypothesis import strategies as st

pytestmark = pytest.mark.slow  # subprocesses: make test runs the quick budget, test-fast none


# ---------------------------------------------------------------- hostile pieces
def _digits(lo: int, hi: int) -> st.SearchStrategy[str]:
    return st.builds(lambda n, d: d * n, st.integers(lo, hi), st.sampled_from("179"))


def _nested(open_: str, close: str, inner: str = "1") -> st.SearchStrategy[str]:
    return st.integers(1, 6000).map(lambda n: open_ * n + inner + close * n)


HOSTILE_NUMBERS = st.one_of(
    _digits(20, 6000),
    _digits(20, 6000).map(lambda d: "-" + d),
    st.integers(20, 6000).map(lambda n: "0x" + "f" * n),
    st.integers(20, 60).map(lambda n: "0." + "3" * n),
    st.sampled_from(["1e999", "-1e999", "inf", "-inf", "nan", "1e-999", "0", "-0.0", "1_000"]),
    st.sampled_from(['"1.5"', '"0.' + "1" * 40 + '"', '"abc"', "true", "[]", "{}", "1979-05-27"]),
    _nested("[", "]"),
    _nested("{a=", "}"),
    st.floats(allow_nan=False, allow_infinity=False).map(repr),
)
PLAIN_NUMBERS = st.sampled_from(["0.5", "-0.25", "1", "2.0", "0.1234", "3e-2"])
NUMBERS = st.one_of(PLAIN_NUMBERS, PLAIN_NUMBERS, HOSTILE_NUMBERS)


def _toml_string(text: str) -> str:
    return json.dumps(text)  # a JSON string literal is a TOML basic string


HOSTILE_EXPRESSIONS = st.one_of(
    st.text(max_size=40),
    _digits(20, 6000).map(lambda d: f"x * {d}"),
    st.integers(20, 6000).map(lambda n: "x * 0x" + "f" * n),
    st.integers(1, 3000).map(lambda n: "(" * n + "x" + ")" * n),
    st.integers(1, 12000).map(lambda n: "-" * n + "x"),
    st.integers(1, 3000).map(lambda n: "x**" * n + "y"),
    st.integers(1, 2000).map(lambda n: "*".join(["x"] * n)),
    st.integers(150, 260).map(lambda n: " + ".join(["tanh(x)"] * n)),
    st.sampled_from(
        [
            "__import__('os')",
            "x.__class__",
            "(lambda: 1)()",
            "[x for x in y]",
            "f'{x}'",
            "x if y else 1",
            "(y := 2)",
            "exp(x, y)",
            "log(0*x)",
            "x / (y - y)",
            "sqrt(-y)",
            "x ** -y",
            "(-y) ** 0.5",
            "exp(1000 * y)",
            "é + x",
            "x\u0000y",
            "x\ny",
        ]
    ),  # fmt: skip
)
EXPRESSIONS = st.one_of(st.sampled_from(["x * y", "tanh(x * y) + x", "exp(x) / y"]),
                        HOSTILE_EXPRESSIONS)  # fmt: skip
ANSWER_KEYS = st.one_of(
    st.sampled_from(["f", '"df/dx"', '"d2f/dxdy"', '"d²f/dx²"', "nosuch", '"f (note)"']),
    st.integers(1, 10**6).map(lambda n: f'"d{n}f/dx{n}"'),
    st.integers(1, 5000).map(lambda n: '"d2f/' + "dx" * n + '"'),
    st.integers(1, 10**12).map(lambda n: f'"d2f/dx^{n}"'),
    st.text(min_size=1, max_size=20).map(_toml_string),
)

EXPRESSION_SHEET = """\
title = {title}
[variables]
x = {v1}
y = {v2}

[expressions]
q = {e1}
f = {e2}

[answers]
{k1} = {a1}
f = {a2}
"""

NETWORK_SHEET = """\
[network]
sizes = {sizes}
activation = "sigmoid"
weights = {w}
biases = {b}

[[samples]]
x = {x}
y = [0.9, 0.1]

[training]
learning_rate = {lr}
steps = {steps}

[answers]
{k1} = {a1}
E = {a2}
"""

SIZES = st.one_of(
    st.just("[2, 2, 2]"),
    st.sampled_from(["[1000000000, 1]", "[2, 10000, 2]", "[]", "[0, 1]", "[-1, 2]", "[2, true]"]),
    st.lists(st.integers(-2, 400), max_size=8).map(str),
    st.integers(1, 100_000).map(lambda n: str([1] * n)),
)
WEIGHTS = st.one_of(
    st.just("[[[0.1, -0.2], [0.3, 0.55]], [[0.37, 0.9], [-0.22, -0.12]]]"),
    NUMBERS.map(lambda v: f"[[[{v}, -0.2], [0.3, 0.55]], [[0.37, 0.9], [-0.22, -0.12]]]"),
)


def _mutate(text: str, how: tuple[int, int, bytes]) -> bytes:
    """Whole-file damage: none, a BOM, bytes spliced in, truncation, CRLF, a duplicated line."""
    kind, where, junk = how
    data = text.encode("utf-8")
    at = where % (len(data) + 1)
    return [
        data,
        data,
        b"\xef\xbb\xbf" + data,
        data[:at] + junk + data[at:],
        data[:at],
        data.replace(b"\n", b"\r\n"),
        data + data[:at],
    ][kind % 7]


DAMAGE = st.tuples(st.integers(0, 6), st.integers(0, 10**6), st.binary(min_size=1, max_size=8))

EXPRESSION_FILES = st.builds(
    lambda fields, damage: _mutate(EXPRESSION_SHEET.format(**fields), damage),
    st.fixed_dictionaries(
        {
            "title": st.one_of(st.just('"a sheet"'), HOSTILE_NUMBERS),
            "v1": NUMBERS,
            "v2": NUMBERS,
            "e1": EXPRESSIONS.map(_toml_string),
            "e2": st.one_of(st.just('"q * x"'), EXPRESSIONS.map(_toml_string)),
            "k1": ANSWER_KEYS,
            "a1": NUMBERS,
            "a2": NUMBERS,
        }
    ),
    DAMAGE,
)
NETWORK_FILES = st.builds(
    lambda fields, damage: _mutate(NETWORK_SHEET.format(**fields), damage),
    st.fixed_dictionaries(
        {
            "sizes": SIZES,
            "w": WEIGHTS,
            "b": st.sampled_from(["[[0.01, -0.02], [0.31, 0.27]]", "[]", "[[[[[[1]]]]]]"]),
            "x": st.one_of(st.just("[0.5, -0.5]"), NUMBERS.map(lambda v: f"[{v}, 1]")),
            "lr": NUMBERS,
            "steps": st.one_of(st.just("1"), NUMBERS, st.integers(-5, 10**9).map(str)),
            "k1": st.one_of(ANSWER_KEYS, st.sampled_from(["h1", "o1", '"dE/dw5"', "w5_new"])),
            "a1": NUMBERS,
            "a2": NUMBERS,
        }
    ),
    DAMAGE,
)
HOMEWORK_FILES = st.one_of(EXPRESSION_FILES, NETWORK_FILES, st.binary(max_size=200))


@pytest.mark.parametrize("budget", BUDGETS)
def test_hostile_homework_files(budget: int, tmp_path_factory: pytest.TempPathFactory) -> None:
    def body(case: tuple[bytes, str]) -> None:
        data, command = case
        folder = tmp_path_factory.mktemp("hw")
        (folder / "hw.toml").write_bytes(data)
        done = _run([sys.executable, "-m", "tracegrad", command, "hw.toml"], folder)
        _assert_clean(done, command, ok=(0, 1) if command == "check" else (0,))

    _fuzz(budget, st.tuples(HOMEWORK_FILES, st.sampled_from(["check", "check", "solve"])), body)


# ---------------------------------------------------------------- weights files
LOADER = """\
import sys
from tracegrad.nn import WeightsFileError, load
try:
    net = load(sys.argv[1])
except WeightsFileError as e:
    print("refused:", e)
else:
    print("loaded", net.architecture()["sizes"], len(net.parameters()))
"""
WEIGHTS_FILE = (
    '{{"format": {fmt}, "version": {version}, "architecture": {{"nin": {nin}, "sizes": {sizes}, '
    '"activations": {acts}}}, "weights": {weights}}}'
)
JSON_VALUES = st.one_of(
    _digits(20, 6000),
    st.integers(20, 6000).map(lambda n: "0." + "1" * n),
    st.sampled_from(["1e999", "-1e999", "NaN", "Infinity", "null", "true", '"1"', "[]", "{}"]),
    st.integers(1, 100_000).map(lambda n: "[" * n + "]" * n),
    st.integers(1, 100_000).map(lambda n: '{"a":' * n + "1" + "}" * n),
)
WEIGHTS_FILES = st.builds(
    lambda fields, damage: _mutate(WEIGHTS_FILE.format(**fields), damage),
    st.fixed_dictionaries(
        {
            "fmt": st.sampled_from(['"tracegrad.nn.weights"', '"other"', "1"]),
            "version": st.sampled_from(["1", "1", "2", "1.0", "true", "1" * 5000]),
            "nin": st.one_of(
                st.just("1"), st.sampled_from(["10000", "0", "-1", "true"]), JSON_VALUES
            ),  # fmt: skip
            "sizes": st.one_of(
                st.just("[1]"),
                st.sampled_from(["[10000]", "[]", "[0]"]),
                st.lists(st.integers(-1, 10**9), max_size=4).map(str),
            ),  # fmt: skip
            "acts": st.sampled_from(['["linear"]', '["relu", "x"]', '["callable:f"]', "[1]"]),
            "weights": st.one_of(
                st.just("[[[2.0, 0.5]]]"), JSON_VALUES.map(lambda v: f"[[[2.0, {v}]]]"), JSON_VALUES
            ),  # fmt: skip
        }
    ),
    DAMAGE,
)


@pytest.mark.parametrize("budget", BUDGETS)
def test_hostile_weights_files(budget: int, tmp_path_factory: pytest.TempPathFactory) -> None:
    def body(data: bytes) -> None:
        folder = tmp_path_factory.mktemp("w")
        (folder / "w.json").write_bytes(data)
        done = _run([sys.executable, "-c", LOADER, "w.json"], folder)
        err = done.stderr.decode("utf-8", "replace")
        assert done.returncode == 0 and err == "", err[-2000:]
        out = done.stdout.decode("utf-8", "replace")
        assert out.count("\n") == 1 and out.startswith(("loaded", "refused: w.json: ")), out[:300]

    _fuzz(budget, st.one_of(WEIGHTS_FILES, st.binary(max_size=200)), body)


# ---------------------------------------------------------------- command-line expressions
def _tree(depth: int) -> st.SearchStrategy[tuple[str, Callable[[float, float], float]]]:
    """Expressions of a small grammar with a float oracle: (text, f(a, b))."""
    leaves = st.sampled_from(
        [("a", lambda a, b: a), ("b", lambda a, b: b), ("2", lambda a, b: 2.0),
         ("0.5", lambda a, b: 0.5)]
    )  # fmt: skip
    if depth == 0:
        return leaves
    sub = _tree(depth - 1)
    binary = st.builds(
        lambda op, x, y: (f"({x[0]} {op} {y[0]})", _BIN[op](x[1], y[1])),
        st.sampled_from(sorted(_BIN)), sub, sub,
    )  # fmt: skip
    call = st.builds(
        lambda f, x: (f"{f}({x[0]})", _FUN[f](x[1])), st.sampled_from(sorted(_FUN)), sub
    )
    neg = sub.map(lambda x: (f"(-{x[0]})", lambda a, b, g=x[1]: -g(a, b)))
    return st.one_of(leaves, binary, call, neg)


_BIN: dict[str, Callable[[Any, Any], Any]] = {
    "+": lambda f, g: lambda a, b: f(a, b) + g(a, b),
    "-": lambda f, g: lambda a, b: f(a, b) - g(a, b),
    "*": lambda f, g: lambda a, b: f(a, b) * g(a, b),
    "/": lambda f, g: lambda a, b: f(a, b) / g(a, b),
    "**": lambda f, g: lambda a, b: f(a, b) ** g(a, b),
}
_FUN: dict[str, Callable[[Any], Any]] = {
    "exp": lambda f: lambda a, b: math.exp(f(a, b)),
    "log": lambda f: lambda a, b: math.log(f(a, b)),
    "tanh": lambda f: lambda a, b: math.tanh(f(a, b)),
    "sqrt": lambda f: lambda a, b: math.sqrt(f(a, b)),
    "relu": lambda f: lambda a, b: max(f(a, b), 0.0),
    "sigmoid": lambda f: lambda a, b: 1 / (1 + math.exp(-f(a, b))),
}

SET_VALUES = st.one_of(
    st.floats(-5, 5, allow_nan=False).map(repr),
    st.sampled_from(["nan", "1e999", "0", "-0", "x", "", "0x10", "1_0"]),
    _digits(20, 6000),
)


def _oracle(f: Callable[[float, float], float], a: str, b: str) -> float | None:
    """The float value, or None where Python's floats raise or leave the reals."""
    try:
        x, y = float(a), float(b)
        if not (math.isfinite(x) and math.isfinite(y)):
            return None  # (-1) ** inf and the like: an answer or a clear refusal, either is fine
        value = f(x, y)
    except (ArithmeticError, ValueError, TypeError):  # TypeError: a complex power went on
        return None
    return value if isinstance(value, float) and math.isfinite(value) else None


@pytest.mark.parametrize("budget", BUDGETS)
def test_hostile_command_line_expressions(
    budget: int, tmp_path_factory: pytest.TempPathFactory
) -> None:
    def body(case: tuple[Any, str, str]) -> None:
        expr, a, b = case
        folder = tmp_path_factory.mktemp("x")
        text = expr if isinstance(expr, (str, bytes)) else expr[0]
        if isinstance(text, str):
            text = text.replace("\x00", "0")  # no program can receive a NUL in its arguments
            text = text.encode("utf-8", "replace").decode("utf-8")  # nor a lone surrogate
        shown = text if isinstance(text, str) else text.decode("utf-8", "replace")
        values = {"a": a, "b": b}
        given = [f"{n}={v}" for n, v in values.items() if re.search(rf"\b{n}\b", shown)]
        # `--` before the expression: one that starts with '-' is not an option
        argv = [sys.executable, "-m", "tracegrad", "explain", "--set", *given, "--", text]
        done = _run(argv, folder)
        out = _assert_clean(done, "explain", ok=(0,))
        if isinstance(expr, tuple):
            want = _oracle(expr[1], a, b)
            if want is not None:  # a finite real answer: the command must give it
                assert done.returncode == 0, done.stderr
                got = float(out.splitlines()[0].split("   (")[0].rsplit(" = ", 1)[1])
                assert math.isclose(got, want, rel_tol=1e-3, abs_tol=1e-4), (got, want)

    expressions = st.one_of(
        _tree(3),
        HOSTILE_EXPRESSIONS,
        st.binary(min_size=1, max_size=12).filter(lambda s: b"\x00" not in s),
    )
    _fuzz(budget, st.tuples(expressions, SET_VALUES, SET_VALUES), body)


# ---------------------------------------------------------------- special files, every loader
def _special(kind: str, folder: Path) -> str:
    """A path of ``kind`` in ``folder``: a FIFO, a listening socket, a folder or a device."""
    if kind in ("/dev/null", "/dev/zero"):
        return kind
    path = folder / f"{kind}.toml"
    if kind == "fifo":
        os.mkfifo(path)
    elif kind == "folder":
        path.mkdir()
    return path.name


NN_LOAD = """\
import sys
from tracegrad.nn import WeightsFileError, load
try:
    load(sys.argv[1])
except WeightsFileError as e:
    sys.exit(f"refused: {e}")
"""
SPECIAL_LOADERS = {
    "check": ["-m", "tracegrad", "check", "{f}"],
    "check-batch": ["-m", "tracegrad", "check", "--format", "json", "{f}", "{f}"],
    "solve": ["-m", "tracegrad", "solve", "{f}"],
    "step": ["-m", "tracegrad", "step", "--sheet", "{f}", "-o", "{f}.html"],
    "nn.load": ["-c", NN_LOAD, "{f}"],
}


@pytest.mark.parametrize("budget", BUDGETS)
def test_special_files_for_every_loader(
    budget: int, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """A FIFO, socket, device or folder where a file is read: refused at once in one line
    (a FIFO that blocked would hit the time limit), for each loader."""

    def body(case: tuple[str, str]) -> None:
        kind, loader = case
        folder = tmp_path_factory.mktemp("special")
        sock = None
        if kind == "socket":
            import socket

            sock = socket.socket(socket.AF_UNIX)
            sock.bind(str(folder / "socket.toml"))
            name = "socket.toml"
        else:
            name = _special(kind, folder)
        try:
            argv = [a.replace("{f}", name) for a in SPECIAL_LOADERS[loader]]
            done = subprocess.run(
                [sys.executable, *argv], cwd=folder, capture_output=True, timeout=60,
                preexec_fn=_limits,
            )  # fmt: skip
        finally:
            if sock is not None:
                sock.close()
        err = done.stderr.decode("utf-8", "replace")
        assert "not a homework file" in err or "not a weights file" in err, err[-2000:]
        assert "give a regular file" in err and "Traceback" not in err, err
        # one line per file given (check-batch names it twice)
        assert done.returncode in (1, 2) and err.count("\n") == argv.count(name), err
        assert not (folder / f"{name}.html").exists()

    kinds = st.sampled_from(["fifo", "socket", "folder", "/dev/null", "/dev/zero"])
    _fuzz(max(2, budget // 2), st.tuples(kinds, st.sampled_from(sorted(SPECIAL_LOADERS))), body)


# ---------------------------------------------------------------- the expression classes
# Text a command line can carry: no NUL (argv strings end at one) and no lone surrogate (not
# encodable as a file system string).
ARGV_CHARS = st.characters(exclude_characters="\x00", exclude_categories=("Cs",))
EXPRESSION_CLASSES = st.one_of(
    st.builds(lambda n: "-" + "*".join(["a"] * n), st.integers(1, 50)),  # starts with a minus
    st.builds(lambda n: "-(" + "+".join(["a"] * n) + ")", st.integers(1, 50)),
    st.builds(lambda t: f"a * b # {t}", st.text(ARGV_CHARS, max_size=20)),  # a comment
    st.builds(lambda t: f"a\r{t}+ b", st.text(ARGV_CHARS, max_size=5)),  # a carriage return
    st.integers(150, 3000).map(lambda n: "+".join(["a"] * n)),  # deep sums
)


@pytest.mark.parametrize("budget", BUDGETS)
def test_expression_classes(budget: int, tmp_path_factory: pytest.TempPathFactory) -> None:
    """An expression starting with '-' works; '#' and '\\r' are refused; a deep sum works or
    gets a true message (its real nesting), under any TRACEGRAD_MAX_EXPRESSION_DEPTH."""

    def body(case: tuple[str, str]) -> None:
        source, depth = case
        folder = tmp_path_factory.mktemp("xc")
        env = {**os.environ, "TRACEGRAD_MAX_EXPRESSION_DEPTH": depth,
               "TRACEGRAD_MAX_EXPRESSION_CHARS": "1000000"}  # fmt: skip
        argv = [sys.executable, "-m", "tracegrad", "explain", source, "--set", "a=1", "b=2"]
        if "b" not in source:
            argv = argv[:-1]
        done = subprocess.run(
            argv, cwd=folder, capture_output=True, timeout=120, preexec_fn=_limits, env=env
        )
        out = _assert_clean(done, "explain", ok=(0,))
        err = done.stderr.decode("utf-8", "replace")
        if "#" in source:
            assert "comments are not allowed" in err and "#" not in out
        elif "\r" in source:
            assert "an expression is one line" in err
        elif source.startswith("-") and len(source) < 400:
            assert done.returncode == 0, err
        elif done.returncode == 2:  # a deep sum: its true nesting, never 'more than <limit>'
            terms = source.count("+")
            assert f"{terms} operations nested" in err, err

    depths = st.sampled_from(["200", "100000000"])
    _fuzz(max(2, budget // 3), st.tuples(EXPRESSION_CLASSES, depths), body)


# ---------------------------------------------------------------- many wrong answers
@pytest.mark.parametrize("budget", BUDGETS)
def test_many_wrong_answers_stay_within_the_cpu_limit(
    budget: int, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """Networks inside the default limits with up to 2,000 wrong answers: checked within the
    child's CPU limit (the diagnosis budget), never killed."""
    from hostile_sheets import many_wrong_answers

    def body(case: tuple[int, int, int]) -> None:
        steps, per_step, seed = case
        folder = tmp_path_factory.mktemp("many")
        (folder / "many.toml").write_text(many_wrong_answers(steps=steps, per_step=per_step,
                                                             seed=seed))  # fmt: skip
        done = _run([sys.executable, "-m", "tracegrad", "check", "--brief", "many.toml"], folder)
        _assert_clean(done, "check", ok=(1,))

    cases = st.tuples(st.integers(1, 6), st.integers(1, 333), st.integers(0, 10**6))
    _fuzz(max(1, budget // 10), cases, body)

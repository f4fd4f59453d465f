"""Input limits (tracegrad.autograd.limits): each checked before the work it bounds, each a
one-line error naming the limit and the environment variable that raises it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from tracegrad.autograd.limits import (
    LIMITS,
    LimitError,
    UnreadableFile,
    nesting_depth,
    read_limited,
)
from tracegrad.autograd.parse import ExpressionError, parse_expression

from tracegrad.checker import HomeworkError, check, load
from tracegrad.cli import main

EXPR = '[variables]\nx = 0.5\ny = 2.0\n\n[expressions]\nf = "x * y"\n\n[answers]\nf = 1.0\n'
NET = """\
[network]
sizes = [2, 2, 2]
weights = [[[0.1, -0.2], [0.3, 0.55]], [[0.37, 0.9], [-0.22, -0.12]]]
biases = [[0.01, -0.02], [0.31, 0.27]]

[[samples]]
x = [0.5, -0.5]
y = [0.9, 0.1]

[training]
learning_rate = 1.2
steps = 1

[answers]
E = 0.3
"""


def _chain(n: int) -> str:
    body = "".join(f'q{i} = "q{i - 1} * 1"\n' for i in range(1, n + 1))
    return f"[variables]\nq0 = 1.0\n\n[expressions]\n{body}\n[answers]\nq{n} = 1\n"


# name -> (file text, the line named or None, the words of the message, the limit's name)
CASES = {
    "400-digit variable": (EXPR.replace("x = 0.5", "x = " + "1" * 400), 2,
                           "400 digits in one number", "digits"),
    "400-digit answer": (EXPR.replace("f = 1.0", "f = " + "7" * 400), 9, "400 digits", "digits"),
    "400-digit tolerance": ("tolerance = " + "1" * 400 + "\n" + EXPR, 1, "400 digits", "digits"),
    "400-digit weight": (NET.replace("0.55", "5" * 400), 3, "400 digits", "digits"),
    "5001-digit integer": (EXPR.replace("x = 0.5", "x = " + "1" * 5001), 2,
                           "5001 digits in one number", "digits"),
    "hex integer": (EXPR.replace("x = 0.5", "x = 0x" + "f" * 5000), 2, "digits in one number",
                    "digits"),
    "29-decimal answer": (EXPR.replace("f = 1.0", "f = 0." + "3" * 29), 9, "30 digits", "digits"),
    "29-decimal answer as text": (EXPR.replace("f = 1.0", 'f = "0.' + "3" * 29 + '"'), 9,
                                  "30 digits", "digits"),
    "0xfff in an expression": (EXPR.replace('"x * y"', '"x * 0x' + "f" * 5000 + '"'), 6,
                               "5000 digits in one number", "digits"),
    "5001 digits in an expression": (EXPR.replace('"x * y"', '"x * ' + "9" * 5001 + '"'), 6,
                                     "5001 digits", "digits"),
    "arrays nested 3000 deep": ("a = " + "[" * 3000 + "]" * 3000 + "\n" + EXPR, None,
                                "more than 10 levels of nested arrays and tables", "nesting"),
    "inline tables nested 5000 deep": ("a = " + "{b=" * 5000 + "1" + "}" * 5000 + "\n" + EXPR,
                                       None, "levels of nested arrays", "nesting"),
    "arrays nested 50 deep": (EXPR.replace("f = 1.0", "f = " + "[" * 50 + "1" + "]" * 50), None,
                              "levels of nested arrays", "nesting"),
    "a billion inputs": (NET.replace("sizes = [2, 2, 2]", "sizes = [1000000000, 1]"), 2,
                         "1000000001 neurons in a homework network", "neurons"),
    "10^4 neurons": (NET.replace("sizes = [2, 2, 2]", "sizes = [2, 10000, 2]"), 2,
                     "10004 neurons", "neurons"),
    "too many parameters": (NET.replace("sizes = [2, 2, 2]", "sizes = [100, 50, 40]"), 2,
                            "7090 weights and biases", "parameters"),
    "too much training": (NET.replace("steps = 1", "steps = 1000").replace("sizes = [2, 2, 2]",
                          "sizes = [2, 20, 2]"), 12, "1000 steps x 1 samples x 102 parameters",
                          "work"),
    "d999f/dx999": (EXPR.replace("f = 1.0", '"d999f/dx999" = 1'), 9,
                    "999 derivatives in a row", "derivative_order"),
    "d16f/dx16": (EXPR.replace("f = 1.0", '"d16f/dx16" = 1'), 9, "answer 'd16f/dx16': 16",
                  "derivative_order"),
    "d^5f/dx^5 at step 1": (EXPR.replace("f = 1.0", '"d^5f/dx^5" = 1'), 9, "5 derivatives",
                            "derivative_order"),
    "1001 expressions": (_chain(1001), 4, "1001 expressions in a homework", "expressions"),
    "101 samples": (NET.replace("[training]", "[[samples]]\nx = [0, 0]\ny = [0, 0]\n" * 100
                                + "[training]"), 6, "101 samples", "samples"),
}  # fmt: skip


@pytest.mark.parametrize("case", list(CASES))
def test_each_limit_is_one_line_naming_it(
    case: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text, line, words, limit = CASES[case]
    path = tmp_path / "hw.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(HomeworkError) as exc:
        load(path)
    msg = str(exc.value)
    assert words in msg and f"the limit is {LIMITS[limit].value}" in msg, msg
    assert f"(set {LIMITS[limit].env} to raise it)" in msg
    assert msg.startswith(f"{path}:{line}:" if line else f"{path}:"), msg
    assert "\n" not in msg and len(msg) < 300
    assert main(["solve", str(path)]) == 2
    out, err = capsys.readouterr()
    assert out == "" and err.count("\n") == 1 and words in err


def test_a_limit_is_raised_by_its_environment_variable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "hw.toml"
    path.write_text(EXPR.replace("f = 1.0", '"d2f/dx2" = 0'), encoding="utf-8")
    assert check(path).ok
    monkeypatch.setenv("TRACEGRAD_MAX_DERIVATIVE_ORDER", "1")
    with pytest.raises(HomeworkError, match="2 derivatives in a row .* the limit is 1"):
        check(path)
    monkeypatch.setenv("TRACEGRAD_MAX_DERIVATIVE_ORDER", "two")
    with pytest.raises(LimitError, match="TRACEGRAD_MAX_DERIVATIVE_ORDER='two' is not a whole"):
        LIMITS["derivative_order"].check(1)


@pytest.mark.parametrize("limit", ["100000000000000000000000000000000", "10000000", "0"])
def test_a_huge_or_zero_digits_limit_is_a_limit_not_a_number_to_build(
    tmp_path: Path, limit: str
) -> None:
    """TRACEGRAD_MAX_DIGITS=10**32 is a limit, not 10**(10**32) to compute first: the sheet
    (an integer given, a long integer, a digits-heavy broken file) is read at once."""
    sheet = tmp_path / "hw.toml"
    sheet.write_text(EXPR.replace("f = 1.0", "f = 28"), encoding="utf-8")
    broken = tmp_path / "broken.toml"
    broken.write_text("x = " + "9" * 5000 + "\n", encoding="utf-8")
    env = {**os.environ, "TRACEGRAD_MAX_DIGITS": limit}
    for path, status in ((sheet, 2 if limit == "0" else 1), (broken, 2)):
        done = subprocess.run(
            [sys.executable, "-m", "tracegrad", "check", "--brief", str(path)],
            capture_output=True, text=True, env=env, timeout=120,
        )  # fmt: skip
        assert "Traceback" not in done.stderr and done.returncode == status, done.stderr


def test_sheets_at_the_limits_still_check(tmp_path: Path) -> None:
    """Limits sit above every sheet a course sets: the largest accepted ones work."""
    path = tmp_path / "hw.toml"
    digits = "0." + "1" * (LIMITS["digits"].value - 1)
    path.write_text(EXPR.replace("f = 1.0", f"f = {digits}"), encoding="utf-8")
    assert not check(path).ok  # checked (and wrong), not refused
    path.write_text(EXPR.replace("f = 1.0", '"d4f/dx4" = 0.0'), encoding="utf-8")
    assert check(path).ok
    deep = NET.replace("sizes = [2, 2, 2]", "sizes = [2, 2, 2]").replace("steps = 1", "steps = 50")
    path.write_text(deep, encoding="utf-8")
    assert load(path).spec.steps == 50  # type: ignore[union-attr]


def test_a_byte_order_mark_is_accepted(tmp_path: Path) -> None:
    path = tmp_path / "hw.toml"
    path.write_bytes(b"\xef\xbb\xbf" + EXPR.encode())
    assert load(path).spec.variables == {"x": 0.5, "y": 2.0}  # type: ignore[union-attr]


@pytest.mark.parametrize("device", ["/dev/zero", "/dev/urandom"])
def test_endless_files_are_refused_at_once(device: str) -> None:
    with pytest.raises(HomeworkError, match="is a device, not a homework file"):
        load(device)


def test_a_file_that_is_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "hw.toml"
    path.write_bytes(EXPR.encode() + b"# caf\xe9\n")
    with pytest.raises(HomeworkError, match="not a UTF-8 text homework file \\(byte 80 is 0xe9\\)"):
        load(path)


def test_read_limited_reads_at_most_one_byte_past_the_limit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "f"
    path.write_text("12345")
    monkeypatch.setenv("TRACEGRAD_MAX_HOMEWORK_BYTES", "5")
    assert read_limited(path, LIMITS["homework_bytes"]) == "12345"
    monkeypatch.setenv("TRACEGRAD_MAX_HOMEWORK_BYTES", "4")
    with pytest.raises(UnreadableFile, match="more than 4 bytes"):
        read_limited(path, LIMITS["homework_bytes"])


def test_nesting_depth_needs_no_recursion() -> None:
    deep: list = []
    for _ in range(100_000):
        deep = [deep]
    assert nesting_depth(deep, 10) == 11  # stops as soon as it is over
    assert nesting_depth({"a": [1, {"b": []}]}, 10) == 4
    assert nesting_depth(3.0, 10) == 0


@pytest.mark.parametrize(
    "source, words",
    [
        ("x * " + "1" * 5001, "5001 digits in one number"),
        ("x * 0x" + "f" * 5000, "digits in one number"),
        ("x * " + "1" * 400, "400 digits"),
        ("-" * 10_000 + "x", "operations nested in an expression"),
        ("x**" * 3000 + "x", "operations nested in an expression"),
        ("a\udcffb", "not text (the expression has a byte that is not UTF-8)"),
        ("a" + "+a" * 12000, "24001 characters in an expression"),
    ],
)
def test_expression_limits(source: str, words: str) -> None:
    with pytest.raises(ExpressionError) as exc:
        parse_expression(source)
    msg = str(exc.value)
    assert words in msg and "\n" not in msg and len(msg) < 300, msg


def test_long_names_and_ordinary_numbers_are_not_digit_runs() -> None:
    expr = parse_expression("x123456789012345678901234567890 * 2.5e-3 + 1_000")
    assert expr.names == ("x123456789012345678901234567890",)


def test_a_long_sum_checks_up_to_the_depth_limit(tmp_path: Path) -> None:
    """Every + nests one level deeper; the checker walks the tree recursively, so the limit
    keeps a long sum within Python's recursion limit."""
    path = tmp_path / "hw.toml"
    depth = LIMITS["expression_depth"].value
    for terms, ok in [(depth - 3, True), (depth + 5, False)]:
        long_sum = " + ".join(["tanh(x * y)"] * terms)
        path.write_text(EXPR.replace('"x * y"', f'"{long_sum}"').replace("f = 1.0", '"df/dx" = 1'))
        if ok:
            assert check(path).marks[0].answer.value == 1.0
        else:
            with pytest.raises(HomeworkError, match="operations nested in an expression"):
                check(path)

"""`tracegrad explain`: the derivation of an expression's gradient from the command line."""

from __future__ import annotations

import math
import subprocess
import sys

import pytest
from tracegrad.autograd import Value, explain
from tracegrad.autograd.formatting import fmt

from tracegrad.cli import main

ARGV = ["explain", "tanh(a*b + c)", "--set", "a=2", "b=-3", "c=10"]


def test_explains_the_micrograd_neuron(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([*ARGV, "--wrt", "a"]) == 0
    out = capsys.readouterr().out
    lines = out.splitlines()
    assert lines[0] == f"L = tanh(a*b + c) = {fmt(math.tanh(4.0))}   (a = 2, b = -3, c = 10)"
    # The same derivation the library gives for the same Values.
    a, b, c = Value(2.0, label="a"), Value(-3.0, label="b"), Value(10.0, label="c")
    expected = explain((a * b + c).tanh(), wrt=a, expand=True)
    assert out == f"{lines[0]}\n\n{expected}\n"
    local = 1 - math.tanh(4.0) ** 2
    assert lines[2] == (
        f"dL/da = dL/dv2 · dv2/dv1 · dv1/da = {fmt(local)} · 1.0000 · -3.0000 = {fmt(-3 * local)}"
    )


def test_every_name_by_default_and_the_extras(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([*ARGV, "--fold", "--steps", "--table"]) == 0
    out = capsys.readouterr().out
    for name in "abc":
        assert f"\ndL/d{name} = " in out
    assert "dL/da = (1 - tanh(a * b + c) ** 2) · b = " in out  # folded: one factor
    assert "v1 = a * b   dL/da += dL/dv1 · b = " in out  # a step
    assert "backward pass, one node at a time:" in out
    table = out.split("backward pass, one node at a time:")[1]
    assert any(line.split()[:2] == ["value", "op"] for line in table.splitlines())


def test_many_paths_switch_to_the_delta_form(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["explain", "x*x*x*x", "--set", "x=1.5", "--max-paths", "2"]) == 0
    out = capsys.readouterr().out
    assert "delta form" in out
    assert out.rstrip().count("\n") > 3


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["tanh(a*b + c", "--set", "a=1", "b=1", "c=1"], "never closed"),
        (["__import__('os')", "--set"], "__import__"),
        (["a*b", "--set", "a=1"], "unknown name 'b'"),
        (["a*b", "--set", "a=1", "b=x"], "'x' is not a number"),
        (["a*b", "--set", "a=1", "b=2", "z=3"], "no name 'z'"),
        (["a*b", "--set", "a=1", "b=2", "--wrt", "q"], "--wrt q"),
        (["log(a)", "--set", "a=-1"], "log needs x > 0"),
        (["a/b", "--set", "a=1", "b=0"], "division by zero"),
        (["a", "--set", "a=1", "--max-paths", "-1"], "--max-paths -1: must be 1 or more"),
        (["a", "--set", "a=1", "--max-paths", "0"], "--max-paths 0: must be 1 or more"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(
    args: list[str], fragment: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["explain", *args]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    err = captured.err.strip()
    assert "\n" not in err and err.startswith("tracegrad explain: error: ")
    assert fragment in err


def test_console_command() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "tracegrad", *ARGV, "--wrt", "b"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert "dL/db = dL/dv2 · dv2/dv1 · dv1/db = " in proc.stdout

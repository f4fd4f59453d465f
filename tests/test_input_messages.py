"""Input that used to mislead or run away: each refused (or accepted) with one line naming the
problem and the fix. Model sizes, expressions starting with a minus sign, comments and carriage
returns in expressions, deep sums, very large numbers, bools as Values, a grad that is not a
number, saturated arithmetic, digits of other scripts in answers."""

from __future__ import annotations

import re
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import tomllib
from tracegrad.autograd import Value
from tracegrad.autograd.formatting import fixed
from tracegrad.autograd.limits import LIMITS, LimitError
from tracegrad.autograd.parse import ExpressionError, nesting_of, parse_expression
from tracegrad.nn import MLP, Layer, Neuron

from tracegrad.checker import HomeworkError, check, load
from tracegrad.cli import main

WRONG = Path(__file__).resolve().parents[1] / "examples" / "student_wrong.toml"
EXPR = '[variables]\nx = 0.5\ny = 2.0\n\n[expressions]\nf = "x * y"\n\n[answers]\n'


@pytest.mark.parametrize(
    "make, words",
    [
        (lambda: MLP(100_000, [100_000, 1]), "MLP(100000, [100000, 1]): 10000200001 weights"),
        (lambda: Layer(100_000, 100_000), "Layer(100000, 100000): 10000100000 weights"),
        (lambda: Neuron(10**7), "Neuron(10000000): 10000001 weights"),
    ],
)
def test_model_constructors_check_the_limit_nn_load_uses(make, words: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(LimitError) as exc:
        make()  # refused before a single weight is made (else: minutes, then out of memory)
    msg = str(exc.value)
    assert msg.startswith(words) and "\n" not in msg
    assert "TRACEGRAD_MAX_MODEL_PARAMETERS" in msg
    assert f"the limit is {LIMITS['model_parameters'].value}" in msg


def test_a_model_at_the_limit_is_made(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRACEGRAD_MAX_MODEL_PARAMETERS", "13")
    assert len(MLP(2, [3, 1]).parameters()) == 13
    monkeypatch.setenv("TRACEGRAD_MAX_MODEL_PARAMETERS", "12")
    with pytest.raises(LimitError, match="13 weights and biases"):
        MLP(2, [3, 1])


# ---------------------------------------------------------------- expressions on the command line
def test_an_expression_may_start_with_a_minus_sign(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["explain", "-a*b", "--set", "a=1", "b=2"]) == 0
    assert capsys.readouterr().out.startswith("L = -a*b = -2.0000   (a = 1, b = 2)")
    assert main(["explain", "--set", "a=1", "b=2", "-a*b"]) == 0
    assert capsys.readouterr().out.startswith("L = -a*b = -2.0000")
    with pytest.raises(SystemExit):  # where no expression is taken, '-x' is still an option
        main(["check", "-x", "f.toml"])
    assert "unrecognized arguments: -x" in capsys.readouterr().err


def test_draw_an_expression_starting_with_a_minus_sign(tmp_path: Path) -> None:
    out = tmp_path / "m.svg"
    assert main(["draw", "-(a*b)", "--set", "a=1", "b=2", "-o", str(out)]) == 0
    assert out.read_text().lstrip().startswith(("<?xml", "<svg"))


@pytest.mark.parametrize(
    "source, words",
    [
        ("a * b # note", "'#' (a comment) at column 7 of 'a * b # note': comments are not allowed"),
        ("a\r+ b", "a carriage return at column 2 of 'a\\r+ b': an expression is one line"),
    ],
)
def test_comments_and_carriage_returns_are_refused(source: str, words: str) -> None:
    with pytest.raises(ExpressionError) as exc:
        parse_expression(source)
    assert str(exc.value).startswith(words) and "\n" not in str(exc.value)


@pytest.mark.parametrize(
    "source, depth",
    [("a", 0), ("a+b+c", 2), ("-a*b", 2), ("tanh(a*b+c)", 3), ("a**b**c", 2), ("-x**2", 2),
     ("exp(x, y)", 1), ("a*(b+(c+d))", 3), ("+".join(["a"] * 50_000), 49_999)],
)  # fmt: skip
def test_nesting_is_counted_without_recursion(source: str, depth: int) -> None:
    assert nesting_of(source) == depth


def test_a_sum_deeper_than_python_reads_gets_a_true_message(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    long_sum = "+".join(["a"] * 50_000)
    monkeypatch.setenv("TRACEGRAD_MAX_EXPRESSION_CHARS", "1000000")
    monkeypatch.setenv("TRACEGRAD_MAX_EXPRESSION_DEPTH", "100000000")
    with pytest.raises(ExpressionError) as exc:
        parse_expression(long_sum)
    msg = str(exc.value)
    assert "49999 operations nested, more than Python's parser reads" in msg
    assert "cannot raise that" in msg and "more than 100000000" not in msg
    monkeypatch.delenv("TRACEGRAD_MAX_EXPRESSION_DEPTH")
    with pytest.raises(ExpressionError, match="49999 operations nested in an expression"):
        parse_expression(long_sum)


# ---------------------------------------------------------------- numbers and Values
def test_wide_numbers_are_written_in_scientific_notation() -> None:
    assert fixed(1e300, 4) == "1.0000e+300" and fixed(0.5, 4) == "0.5000"
    assert fixed(-4.6e297, 2) == "-4.60e+297" and fixed(float("inf"), 2) == "inf"


def test_a_learning_rate_of_1e300_prints_no_wide_numbers(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "lr.toml"
    path.write_text(WRONG.read_text().replace("learning_rate = 1.2", "learning_rate = 1e300"))
    assert main(["check", str(path)]) == 1
    for cmd in (["check", "--format", "markdown", str(path)], ["solve", str(path)]):
        main(cmd)
    out, err = capsys.readouterr()
    assert err == "" and "e+297" in out
    assert not re.search(r"\d{25}", out)  # no 300-digit fixed-point figure anywhere


def test_a_bool_is_not_a_value() -> None:
    with pytest.raises(TypeError, match="a bool is almost always a mistake"):
        Value(True)
    assert Value(1).data == 1.0


def test_a_grad_that_is_not_a_number_is_named() -> None:
    a, b = Value(2.0, label="a"), Value(3.0, label="b")
    c = a * b + a
    a.grad = "x"  # type: ignore[assignment]
    with pytest.raises(TypeError) as exc:
        c.backward()
    assert str(exc.value) == (
        "the Value 'a' has grad = 'x' (str): a grad must be a float; set it with v.grad = 0.0 "
        "or v.zero_grad()"
    )


# ---------------------------------------------------------------- the checker
def test_saturated_arithmetic_gets_no_slip_diagnosis() -> None:
    text = WRONG.read_text().replace(
        "[[[0.1, -0.2], [0.3, 0.55]]", "[[[1e300, -0.2], [1e300, 0.55]]"
    )
    data = tomllib.loads(text)
    report = check(data)
    slips = {"missing factor", "missing path", "swapped", "updated weights", "old weights",
             "slip", "factor 2", "factor 1/2", "step", "rounding"}  # fmt: skip
    assert report.wrong and not [m for m in report.wrong if m.reason in slips]


@pytest.mark.parametrize("text", ["０.５", "٠.٥", "𝟎.𝟓", "−0.5"])
def test_digits_of_other_scripts_are_refused_like_the_unicode_minus(
    text: str, tmp_path: Path
) -> None:
    path = tmp_path / "hw.toml"
    path.write_text(EXPR + f'f = "{text}"\n', encoding="utf-8")
    with pytest.raises(HomeworkError) as exc:
        load(path)
    assert str(exc.value).endswith(f"answer 'f' must be a number, got {text!r}")


def test_a_label_set_later_must_be_text_too() -> None:
    a = Value(2.0, label="a")
    b = a * 3
    with pytest.raises(TypeError, match="label must be a str, got int: 5"):
        a.label = 5  # type: ignore[assignment]
    assert a.label == "a"
    b.label = "b"  # text is fine, before or after the graph is made
    assert (a.label, b.label) == ("a", "b")


def _practice(answers: bytes) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [sys.executable, "-m", "tracegrad", "practice", "x * y", "--set", "x=2", "y=-3"],
        input=answers, capture_output=True, timeout=120,
    )  # fmt: skip


def test_practice_answers_from_a_pipe_are_echoed_as_printable_text() -> None:
    """Terminal escapes, OSC 52 (sets the clipboard), BEL and binary bytes typed or piped as
    answers are shown escaped; 1e400 is refused like check refuses it, and the session goes on."""
    done = _practice(b"\x1b]52;c;aGk=\x07\x1b[2J\x07\n1e400\n-1e309\n\xff\xfe\x00\x9b\n-3\n?\n")
    out = done.stdout
    assert done.returncode == 0 and done.stderr == b""
    assert not re.search(rb"\x1b|\x07|\x00|\xc2\x9b", out), out
    assert b"\\x1b]52" in out and out.count(b"not a finite number") == 2
    assert b"right" in out and b"score: 1 of 2" in out
    noise = bytes(range(256)) * 2
    done = _practice(noise + b"\n")
    assert done.returncode == 0 and not re.search(rb"[\x00-\x08\x0b-\x1f\x7f]", done.stdout)


def test_ctrl_c_while_the_command_starts_is_one_line() -> None:
    """An interrupt that lands while the command imports (before main() can catch it): one
    line, no traceback, the exit a shell reads as Ctrl-C. A program importing tracegrad keeps
    Python's own traceback."""
    code = (
        "import signal, sys\n"
        "signal.signal(signal.SIGINT, signal.default_int_handler)\n"
        "sys.argv[0] = {argv0!r}\n"
        "class Interrupt:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name == 'tracegrad.autograd.ops':\n"
        "            raise KeyboardInterrupt\n"
        "sys.meta_path.insert(0, Interrupt())\n"
        "from tracegrad.cli import main\n"
    )
    for argv0, quiet in (("/usr/local/bin/tracegrad", True), ("-m", True), ("mine.py", False)):
        done = subprocess.run([sys.executable, "-c", code.format(argv0=argv0)],
                              capture_output=True, text=True, timeout=120)  # fmt: skip
        assert done.returncode in (130, -signal.SIGINT), done.returncode
        if quiet:
            assert done.stderr == "tracegrad: error: interrupted\n"
        else:
            assert "Traceback" in done.stderr and "KeyboardInterrupt" in done.stderr

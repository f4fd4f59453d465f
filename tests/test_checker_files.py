"""Homework files that cannot be checked: one-line error naming the line, exit 2, no traceback."""

from __future__ import annotations

from pathlib import Path

import pytest

from tracegrad.checker import HomeworkError, check, load
from tracegrad.cli import main

NETWORK = """\
[network]
sizes = [2, 2, 2]
activation = "sigmoid"
weights = [[[0.1, -0.2], [0.3, 0.55]], [[0.37, 0.9], [-0.22, -0.12]]]
biases = [[0.01, -0.02], [0.31, 0.27]]

[[samples]]
x = [0.5, -0.5]
y = [0.9, 0.1]

[training]
learning_rate = 1.2
"""

EXPRESSION = """\
[variables]
x = 1
y = 2

[expressions]
f = "{expr}"
"""

# name -> (file text, the line the message must name or None, words it must contain)
CASES = {
    "malformed TOML": (NETWORK + "[answers]\nh1 = \n", 14, "malformed TOML"),
    "unknown top field": ("foo = 1\n" + NETWORK + "[answers]\nh1 = 0.5\n", 1,
                          "unknown field 'foo'"),
    "unknown network field": (
        NETWORK.replace("activation", "actvation") + "[answers]\nh1 = 0.5\n", 3,
        "unknown field network.actvation",
    ),
    "unknown training field": (NETWORK + "rate = 2\n[answers]\nh1 = 0.5\n", 13,
                               "unknown field training.rate"),
    "missing weights": (
        NETWORK.replace("weights = [[[0.1, -0.2], [0.3, 0.55]], [[0.37, 0.9], [-0.22, -0.12]]]\n",
                        "") + "[answers]\nh1 = 0.5\n",
        None, "missing network.weights",
    ),
    "missing answers": (NETWORK, None, "missing [answers]"),
    "missing samples": (NETWORK.replace("[[samples]]\nx = [0.5, -0.5]\ny = [0.9, 0.1]\n", "")
                        + "[answers]\nh1 = 0.5\n", None, "missing [[samples]]"),
    "weights shape": (
        NETWORK.replace("[0.3, 0.55]]", "[0.3]]") + "[answers]\nh1 = 0.5\n", 4,
        "layer 1 neuron 2 reads 2 inputs, so it needs 2 weights; got 1",
    ),
    "biases shape": (NETWORK.replace("[0.31, 0.27]]", "[0.31]]") + "[answers]\nh1 = 0.5\n", 5,
                     "layer 2 has 2 neurons"),
    "sample shape": (NETWORK.replace("y = [0.9, 0.1]", "y = [0.9]") + "[answers]\nh1 = 0.5\n",
                     7, "sample 1: y needs 2 numbers"),
    "sizes": (NETWORK.replace("sizes = [2, 2, 2]", "sizes = [2]") + "[answers]\nh1 = 0.5\n", 2,
              "network.sizes"),
    "unknown activation": (
        NETWORK.replace('"sigmoid"', '"softplus"') + "[answers]\nh1 = 0.5\n", 3,
        "network.activation must be one of",
    ),
    "unknown loss": (NETWORK + 'loss = "hinge2"\n[answers]\nh1 = 0.5\n', 13, "training.loss"),
    "unknown answer name": (NETWORK + "[answers]\nh1 = 0.5\nh7 = 0.1\n", 15,
                            "answer 'h7': no quantity of that name"),
    "misspelt gradient": (NETWORK + '[answers]\n"dE/dw9" = 0.1\n', 14, "did you mean dE/dw8"),
    "answer not a number": (NETWORK + '[answers]\nh1 = "abc"\n', 14, "must be a number"),
    "answer a boolean": (NETWORK + "[answers]\nh1 = true\n", 14, "must be a number"),
    "step beyond training": (NETWORK + "[answers.step2]\nh1 = 0.5\n", 14, "for step 2"),
    "duplicate names": (
        NETWORK.replace("sizes = [2, 2, 2]", 'sizes = [2, 2, 2]\ninputs = ["h1", "x2"]')
        + "[answers]\nh1 = 0.5\n", None, "used twice",
    ),
    "bad tolerance": (NETWORK + "[answers]\nh1 = { value = 0.5, tolerance = -1 }\n", 14,
                      "must be > 0"),
    "both kinds": (EXPRESSION.format(expr="x") + NETWORK + "[answers]\nf = 1\n", None,
                   "either [expressions] or [network]"),
    "expression outside the grammar": (
        EXPRESSION.format(expr="x.real + 1") + "[answers]\nf = 1\n", 6, "attribute access",
    ),
    "expression calling eval": (
        EXPRESSION.format(expr="__import__('os').system('echo hacked')") + "[answers]\nf = 1\n",
        6, "not allowed",
    ),
    "expression syntax": (EXPRESSION.format(expr="x +* y") + "[answers]\nf = 1\n", 6,
                          "syntax error"),
    "expression unknown name": (EXPRESSION.format(expr="x + z") + "[answers]\nf = 1\n", 6,
                                "unknown name 'z'"),
    "expression using a later one": (
        EXPRESSION.format(expr="x + g") + 'g = "x"\n[answers]\nf = 1\n', 6,
        "only use earlier ones",
    ),
    "expression outside its domain": (EXPRESSION.format(expr="log(x - 1)") + "[answers]\nf = 1\n",
                                      None, "log"),
    "derivative by an unknown variable": (
        EXPRESSION.format(expr="x * y") + '[answers]\n"df/dz" = 1\n', 8, "no quantity of that name",
    ),
    "steps in an expression homework": (
        EXPRESSION.format(expr="x * y") + "[answers.step2]\nf = 1\n", None, "only in a network",
    ),
}  # fmt: skip


@pytest.mark.parametrize("case", list(CASES))
def test_bad_file_is_one_line_error_with_its_line(
    case: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text, line, words = CASES[case]
    path = tmp_path / "hw.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(HomeworkError) as exc:
        check(path)
    msg = str(exc.value)
    assert "\n" not in msg
    assert words in msg, msg
    prefix = f"{path}:{line}:" if line else f"{path}:"
    assert msg.startswith(prefix), msg
    # the command: the same message on one line of stderr, exit status 2, nothing on stdout
    assert main(["check", str(path)]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err.strip().count("\n") == 0 and "Traceback" not in err
    assert err.startswith("tracegrad check: error: ") and words in err


def test_missing_file_and_folder(tmp_path: Path) -> None:
    with pytest.raises(HomeworkError, match="no such file"):
        check(tmp_path / "nope.toml")
    with pytest.raises(HomeworkError, match="folder"):
        check(tmp_path)


def test_solve_accepts_a_file_without_answers(tmp_path: Path) -> None:
    path = tmp_path / "hw.toml"
    path.write_text(NETWORK, encoding="utf-8")
    assert main(["solve", str(path)]) == 0
    with pytest.raises(HomeworkError, match="missing \\[answers\\]"):
        load(path)


def test_the_parser_never_evaluates(tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    expr = f"__import__('pathlib').Path('{marker}').touch()"
    path = tmp_path / "hw.toml"
    path.write_text(EXPRESSION.format(expr=expr.replace("'", "\\'")) + "[answers]\nf = 1\n")
    with pytest.raises(HomeworkError):
        check(path)
    assert not marker.exists()

"""`tracegrad practice`: questions in backward order, answers from a pipe, the score.

The pipe tests run the real command in a subprocess with its answers on stdin, as a learner's
terminal (or a script) gives them; the expected numbers come from the engine run here.
"""

from __future__ import annotations

import io
import math
import re
import subprocess
import sys

import pytest
from tracegrad.autograd import Value, backward_steps, topo_order
from tracegrad.autograd.explaining.page_practice import practice_questions
from tracegrad.autograd.formatting import fmt

from tracegrad import practice
from tracegrad.cli import main
from tracegrad.practising.exercises import random_exercise

ARGV = ["practice", "tanh(a*b + c)", "--set", "a=2", "b=-3", "c=6.5"]
QUESTION = re.compile(r"^(d\w+/d\w+) = \? ")


def tracegrad(*args: str, answers: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tracegrad", *args],
        input=answers,
        capture_output=True,
        text=True,
        timeout=120,
    )


def neuron() -> Value:
    a, b, c = Value(2.0, label="a"), Value(-3.0, label="b"), Value(6.5, label="c")
    return (a * b + c).tanh()


def asked(out: str) -> list[str]:
    return [m.group(1) for line in out.splitlines() if (m := QUESTION.match(line))]


@pytest.mark.slow
def test_a_pipe_of_question_marks_scores_nothing_and_shows_every_value() -> None:
    questions = practice_questions(neuron())
    proc = tracegrad(*ARGV, answers="?\n" * len(questions))
    assert proc.returncode == 0 and proc.stderr == ""
    lines = proc.stdout.splitlines()
    assert lines[-1] == f"score: 0 of {len(questions)}"
    assert asked(proc.stdout) == [q.quantity for q in questions]  # the engine's order
    for q in questions:  # '?' shows the value: the next line ends in the number
        at = lines.index(f"{q.quantity} = ? ?")
        assert lines[at + 1] == f"{q.quantity} = {fmt(q.value)}"


@pytest.mark.slow
def test_a_pipe_of_the_revealed_values_scores_every_question() -> None:
    first = tracegrad(*ARGV, answers="?\n" * 10)
    shown = [line.rsplit(" = ", 1)[1] for line in first.stdout.splitlines()
             if re.match(r"^d\w+/d\w+ = -?\d", line)]  # fmt: skip
    proc = tracegrad(*ARGV, answers="".join(f"{s}\n" for s in shown))
    assert proc.returncode == 0 and proc.stderr == ""
    n = len(practice_questions(neuron()))
    assert len(shown) == n and proc.stdout.splitlines()[-1] == f"score: {n} of {n}"
    assert proc.stdout.count("\nright") == n


def labelled_neuron() -> Value:
    a, b, c = Value(2.0, label="a"), Value(-3.0, label="b"), Value(6.5, label="c")
    n = a * b + c
    n.label = "n"
    out = n.tanh()
    out.label = "L"
    return out


def test_a_wrong_answer_is_diagnosed_by_its_rule_and_asked_again() -> None:
    # L = tanh(n), n = a * b + c: dL/dn = 1 - tanh(0.5)**2, dL/dc = dL/dn · dn/dc
    local = fmt(1 - math.tanh(0.5) ** 2)
    answers = iter([f"-{local}", local, "1.0", "0.79", "?", "?", "?"])
    out = io.StringIO()
    practice(labelled_neuron(), read=lambda prompt: print(prompt, end="", file=out)
             or next(answers), file=out, echo=True)  # fmt: skip
    lines = out.getvalue().splitlines()
    assert lines[4:8] == [
        f"dL/dn = ? -{local}",
        "wrong: right size, wrong sign; check the sign of each factor: dL/dn is the derivative"
        " of tanh, written with its output (one minus the output squared)",
        f"dL/dn = ? {local}",
        "right",
    ]
    at = lines.index("dL/dc = ? 1.0")  # the upstream gradient alone: a factor is missing
    assert lines[at + 1] == (
        "wrong: a factor of the chain rule is missing: look at dL/dn (dL/dc = dL/dn · dn/dc:"
        " dL/dn is your answer to an earlier question; dn/dc is the derivative of a sum with"
        " respect to one of its terms)"
    )
    assert lines[at + 2 : at + 4] == ["dL/dc = ? 0.79", "right"]  # 2 decimals: right to them
    assert lines[-1] == "score: 0 of 4"


def test_two_wrong_tries_offer_the_question_mark_once() -> None:
    answers = iter(["5", "6", "7", "q"])
    out = io.StringIO()
    practice(neuron(), read=lambda prompt: next(answers), file=out)
    lines = out.getvalue().splitlines()
    assert lines.count("stuck? ? shows it (and q stops)") == 1
    assert lines.index("stuck? ? shows it (and q stops)") == lines.index(lines[-1]) - 2
    assert not any(line.startswith("dL/dc = ") for line in lines)  # never revealed unasked


def test_unlabelled_steps_are_folded_into_the_labelled_values(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO("?\n" * 10))
    assert main(ARGV) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[2] == "L = tanh(a * b + c) = 0.4621"  # as explain --fold writes it
    assert asked("\n".join(lines)) == ["dL/dc", "dL/da", "dL/db"]
    assert lines[-1] == "score: 0 of 3"


def test_the_end_of_the_input_ends_cleanly_with_the_score(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO("0.786\n"))  # dL/dv2 = 0.7864, right to 3 decimals
    assert main(ARGV) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[-1] == "score: 1 of 1"


def test_practice_in_python_carries_forward_the_learners_own_figures() -> None:
    x, y, z = Value(2.0, label="x"), Value(-3.0, label="y"), Value(4.0, label="z")
    q = x * y
    q.label = "q"
    f = q * z
    f.label = "f"
    out = io.StringIO()
    # df/dq = z = 4 written as 4.0 is right; df/dz = q = -6; then dq/dx... df/dx = df/dq * y
    # from the learner's own 4.0 (exact) is -12; df/dy = df/dq * x = 8.
    answers = iter(["4.0", "-6", "-12.0", "8"])
    score = practice(f, read=lambda prompt: next(answers), file=out)
    assert score == (4, 4)
    assert out.getvalue().count("right") == 4
    assert x.grad == y.grad == 0.0  # practice leaves every grad as it was


def test_the_terms_are_the_engines_steps() -> None:
    root = labelled_neuron()
    qs = practice_questions(root)
    steps = list(backward_steps(root))
    for q in qs:
        step = steps[q.step]
        assert any(p is q.node for p in step.parents)
        assert q.value == q.node.grad  # the pass ran to the end: the final grad
    labelled = {id(v) for v in topo_order(root) if v is not root and v.label}
    assert {id(q.node) for q in qs} == labelled


@pytest.mark.parametrize("level", [1, 2, 3])
def test_random_exercises_run_from_a_seed(
    level: int, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO("?\n" * 100))
    assert main(["practice", "--random", "--level", str(level), "--seed", "42"]) == 0
    out = capsys.readouterr().out
    root, _ = random_exercise(level, 42)
    n = len(practice_questions(root))
    assert out.splitlines()[-1] == f"score: 0 of {n}"
    assert "--seed 42" in out.splitlines()[0]


def test_a_shipped_sheet(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO("?\n" * 3))
    assert main(["practice", "--example", "seed"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("Practice: the backward pass of E (seed_article.toml)")
    assert out.splitlines()[-1] == "score: 0 of 3"


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        ([], "give one of"),
        (["x*y", "--set", "x=1", "y=2", "--random", "--level", "1"], "give one of"),
        (["--random"], "--random needs --level"),
        (["--random", "--level", "4"], "invalid choice"),
        (["--example", "seed", "--seed", "3"], "--level and --seed go with --random"),
        (["--example", "nosuch"], "no example named"),
        (["x*y", "--set", "x=1"], "unknown name 'y'"),
        (["2*3"], "no gradient to work out"),
        (["log(x)", "--set", "x=-1"], "cannot evaluate"),
        (["--random", "--level", "1", "--seed", "-1"], "--seed -1"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(
    args: list[str], fragment: str, capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    monkeypatch.setattr("sys.stdin", io.StringIO(""))
    try:
        status = main(["practice", *args])
    except SystemExit as exc:  # argparse's own errors (an invalid choice) exit from parsing
        status = exc.code
    err = capsys.readouterr().err
    assert status == 2
    assert fragment in err and err.count("\n") == 1, err

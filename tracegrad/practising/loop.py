"""Practice at a terminal: ``practice(root)`` asks for each gradient before showing it.

The questions come in the engine's backward order, one per line ending in ``= ? ``
(``dL/dx = ? ``); an operation is introduced on a line of its own (``v1 = x * y = -6.0000``)
before the question that first uses its name. A number is judged with the homework checker's
rules (``practising.judge``): right (to the digits written, or carried forward from the learner's
own earlier figures) or one line saying what is wrong and the factor to look at, and the same
question again; ``?`` shows the value and moves on; ``q`` (or the end of the input) stops.
The last line is ``score: K of N``: questions right at the first try, of those asked.

>>> from tracegrad import Value
>>> x, y = Value(2.0, label="x"), Value(-3.0, label="y")
>>> f = x * y; f.label = "f"
>>> answers = iter(["3", "-3", "2"])
>>> practice(f, read=lambda prompt: print(prompt, end="") or next(answers), echo=True)
Practice: the backward pass of f, 2 gradients. Answer with a number; ? shows it, q stops.
given: x = 2.0000, y = -3.0000
f = x * y = -6.0000
df/dx = ? 3
wrong: right size, wrong sign; check the sign of each factor in df/dx = y
df/dx = ? -3
right
df/dy = ? 2
right
score: 1 of 2
(1, 2)
"""

from __future__ import annotations

import math
import sys
from collections.abc import Callable, Sequence
from typing import TextIO

from tracegrad.autograd.formatting import fmt
from tracegrad.autograd.safety import printable
from tracegrad.autograd.value import Value
from tracegrad.practising.judge import NUMBER, Exercise

__all__ = ["practice"]

_STOP = ("q", "quit", "stop", "exit")


def practice(
    root: Value,
    *,
    read: Callable[[str], str] | None = None,
    file: TextIO | None = None,
    echo: bool | None = None,
    digits: int = 4,
    title: str = "",
    given: Sequence[str] = (),
    targets: Sequence[tuple[str, float]] = (),
) -> tuple[int, int]:
    """Ask for every gradient of root's backward pass; return (right at the first try, asked).

    ``read(prompt)`` gives one answer (``input`` at a terminal; the end of the input, EOFError,
    stops); ``echo`` writes each answer after its prompt, as a transcript does (the default:
    when answers come from a pipe). ``given`` lists the inputs' names as a sheet does (inputs,
    then weights layer by layer; any others follow in the order the forward pass first uses
    them); ``targets`` (name, number) are said after them. ``.grad`` of every Value is left as
    it was. After two wrong tries at a question, a line says that ``?`` shows it.
    """
    out = file if file is not None else sys.stdout
    if read is None:
        read, default_echo = _reader(out)
        echo = default_echo if echo is None else echo
    ex = Exercise(root, title=title)
    what = title or ex.root_name
    n = len(ex.questions)
    if n == 0:
        raise ValueError(f"{what} is computed from plain numbers only: no gradient to work out")
    # safety: the title and the names come from the learner's own sheet or expression
    print(
        f"Practice: the backward pass of {what}, {n} gradient{'s' if n != 1 else ''}. "
        "Answer with a number; ? shows it, q stops.",
        file=out,
    )
    shown = [f"{ex.names(v)} = {fmt(v.data, digits)}" for v in _givens(ex, given)]
    shown += [f"{name} = {fmt(y, digits)}" for name, y in targets]
    if shown:
        print("given: " + ", ".join(shown), file=out)
    introduced: set[int] = set()
    figures: dict[int, str] = {}
    right = asked = 0
    for i, q in enumerate(ex.questions):
        _introduce(ex, q.node, introduced, out, digits)
        first, stop = _ask(ex, i, figures, read, out, echo, digits)
        asked += first != ""
        right += first == "right"
        if stop:
            break
    print(f"score: {right} of {asked}", file=out, flush=True)
    return right, asked


def _givens(ex: Exercise, first: Sequence[str]) -> list[Value]:
    """The labelled leaves: those named in ``first`` in that order, then the others in the
    order the forward pass first uses them (the depth of their first user, then its place)."""
    leaves = [v for v in ex.order if v._op is None and not ex.names.is_constant(v)]
    depth: dict[int, int] = {}
    user: dict[int, tuple[int, int]] = {}
    for k, v in enumerate(ex.order):
        depth[id(v)] = 1 + max((depth[id(p)] for p in v.parents), default=-1)
        for p in v.parents:
            user.setdefault(id(p), (depth[id(v)], k))
    rank = {name: i for i, name in enumerate(first)}
    return sorted(leaves, key=lambda v: (rank.get(ex.names(v), len(rank)), user.get(id(v), (0, 0))))


def _introduce(ex: Exercise, node: Value, done: set[int], out: TextIO, digits: int) -> None:
    """Define what a question names or needs (the root, the Value asked about, the Values
    that use it and what those are written with) that is not defined yet, each on a line of
    its own, with the unlabelled steps written inline (``explain --fold``)."""
    users = [top for top, _ in ex.fold.above(node)]
    needed = [ex.root, node, *users, *(b for u in users for b in ex.fold.below(u))]
    for v in sorted(needed, key=lambda v: -ex.order.index(v)):
        if v._op is None or id(v) in done:
            continue
        done.add(id(v))
        print(f"{ex.definition(v)} = {fmt(v.data, digits)}", file=out)


def _ask(
    ex: Exercise,
    i: int,
    figures: dict[int, str],
    read: Callable[[str], str],
    out: TextIO,
    echo: bool | None,
    digits: int,
) -> tuple[str, bool]:
    """One question until it is right or shown: ('right' or 'wrong' for the first try, or ''
    when nothing was answered; True when the learner stopped)."""
    q = ex.questions[i]
    first = ""
    wrong = 0
    while True:
        prompt = f"{q.quantity} = ? "
        try:
            answer = read(prompt).strip()
        except (EOFError, KeyboardInterrupt):
            print(file=out)
            return first, True
        if echo:  # a piped answer is text from outside: no raw control character reaches out
            print(printable(answer, line=True), file=out)
        if answer.lower() in _STOP:
            return first, True
        if answer == "?":
            figures[i] = fmt(q.value, digits)
            print(f"{q.quantity} = {figures[i]}", file=out)
            return first or "wrong", False
        if not NUMBER.match(answer):
            print("not a number: write it like -0.25 or 3e-4 (? shows it, q stops)", file=out)
            continue
        if not math.isfinite(float(answer.replace("_", ""))):  # 1e400: as check refuses it
            print(f"not a finite number: {answer} is beyond a float's range; write it like "
                  "-0.25 or 3e-4", file=out)  # fmt: skip
            continue
        verdict = ex.judge(i, figures, answer)
        print(verdict.text, file=out)
        first = first or ("right" if verdict.right else "wrong")
        wrong += not verdict.right
        if wrong == 2:  # offered once, never shown unasked
            print("stuck? ? shows it (and q stops)", file=out)
        if verdict.right:
            figures[i] = answer
            return first, False


def _reader(out: TextIO) -> tuple[Callable[[str], str], bool]:
    """``input`` at a terminal (or in Jupyter); from a pipe, lines of stdin, echoed."""
    stdin = sys.stdin
    if stdin is None:
        return _eof, False
    interactive = "ipykernel" in sys.modules or (hasattr(stdin, "isatty") and stdin.isatty())
    if interactive:
        return input, False

    def from_pipe(prompt: str) -> str:
        out.write(prompt)
        out.flush()
        line = stdin.readline()
        if not line:
            raise EOFError
        return line.rstrip("\r\n")

    return from_pipe, True


def _eof(prompt: str) -> str:
    raise EOFError

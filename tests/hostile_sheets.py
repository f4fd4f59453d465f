"""Hostile homework sheets made in code (shared by the checker-budget, limits and fuzz tests)."""

from __future__ import annotations

import random

__all__ = ["many_wrong_answers"]


def many_wrong_answers(
    sizes: tuple[int, ...] = (10, 30, 30, 10), steps: int = 6, per_step: int = 333, seed: int = 0
) -> str:
    """A tanh network inside every default limit with ``steps x per_step`` wrong ``dE/dw``
    answers: for the default arguments 1,570 parameters, 6 steps, 1,998 answers, about 50 KB."""
    rnd = random.Random(seed)
    weights = [
        [[round(rnd.uniform(-1, 1), 2) for _ in range(a)] for _ in range(b)]
        for a, b in zip(sizes, sizes[1:])
    ]
    biases = [[round(rnd.uniform(-1, 1), 2) for _ in range(b)] for b in sizes[1:]]
    x = [round(rnd.uniform(-1, 1), 2) for _ in range(sizes[0])]
    y = [round(rnd.uniform(-1, 1), 2) for _ in range(sizes[-1])]
    lines = [
        'title = "many wrong answers"',
        "[network]",
        f"sizes = {list(sizes)}",
        'activation = "tanh"',
        f"weights = {weights}",
        f"biases = {biases}",
        "[[samples]]",
        f"x = {x}",
        f"y = {y}",
        "[training]",
        "learning_rate = 0.1",
        f"steps = {steps}",
    ]
    for s in range(1, steps + 1):
        lines.append(f"[answers.step{s}]")
        lines += [f'"dE/dw{k}" = 0.{rnd.randrange(1000, 9999)}' for k in range(1, per_step + 1)]
    return "\n".join(lines) + "\n"

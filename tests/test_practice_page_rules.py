"""The page's practice rules (autograd/page_practice.js) give the Python checker's verdicts.

Each case is a question of an exercise, the learner's figures for the earlier questions and
one written answer. The Python side is ``tracegrad.practising.judge`` (the homework checker's
``mark_answers``); the page's script judges the same case in Chromium. Both must agree on
right or wrong, on the kind (right, carried forward, truncated, sign, missing factor, missing
path, whole number, other), on the factor named and on a wrong answer's hint, word for word.
"""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import pytest
from tracegrad.autograd import Value, backward_page
from tracegrad.autograd.formatting import fmt

from tracegrad import seed
from tracegrad.practising.exercises import random_exercise
from tracegrad.practising.judge import Exercise

pytestmark = pytest.mark.browser
ROOT = Path(__file__).resolve().parents[1]


def _xy() -> Value:
    x, y = Value(2.0, label="x"), Value(-3.0, label="y")
    f = x * y
    f.label = "f"
    return f


def _paths() -> Value:
    """x reaches L along three paths, one of them through x * x, and through a tanh."""
    x, y = Value(0.7, label="x"), Value(-1.3, label="y")
    a = x * y
    b = (a + x).tanh()
    return b * x + x * x + a


def _exercises() -> list[tuple[str, Value]]:
    out = [("f = x * y", _xy()), ("seed", seed.build()["E"]), ("paths", _paths())]
    for level in (1, 2, 3):
        for s in range(3):
            out.append((f"level {level} seed {s}", random_exercise(level, s)[0]))
    return out


def _candidates(ex: Exercise, i: int, figures: dict[int, str], rng: random.Random) -> list[str]:
    """Right, rounded, cut, signs flipped, factors and paths left out, whole numbers, noise."""
    q = ex.questions[i]
    e = q.value
    ups = [1.0 if t.upstream < 0 else float(figures[t.upstream]) for t in q.terms]
    mine = sum(u * t.local for u, t in zip(ups, q.terms))
    texts = [fmt(e), fmt(-e), f"{e:.2f}", f"{e:.3f}", f"{-e:.2f}", fmt(mine), f"{mine:.5f}"]
    texts += [str(round(e)), f"{e * 1.1:.4f}", f"{e:.3e}", "0", "1.0", f"{e + 0.004:.4f}"]
    cut = f"{e:.8f}"
    texts.append(cut[: cut.index(".") + 5])  # cut, not rounded, at 4 decimals
    for t in q.terms:
        texts += [fmt(t.local), fmt(ups[0]), fmt(e / t.local) if t.local else "2.5"]
    if len(q.terms) > 1:
        parts = [u * t.local for u, t in zip(ups, q.terms)]
        texts += [fmt(sum(parts[:-1])), fmt(parts[0]), fmt(parts[-1])]
    texts.append(f"{e * rng.uniform(0.5, 1.5):.{rng.choice([1, 2, 3, 4])}f}")
    return texts


def _cases() -> list[tuple[str, Exercise, int, dict[int, str], str]]:
    rng = random.Random(27)
    cases = []
    for name, root in _exercises():
        ex = Exercise(root)
        figures: dict[int, str] = {}
        for i, q in enumerate(ex.questions):
            for text in _candidates(ex, i, figures, rng):
                cases.append((name, ex, i, dict(figures), text))
            # the learner's figure: the engine's to 4 decimals, 2 or 3 (rounded), or shown
            figures[i] = rng.choice([fmt(q.value), f"{q.value:.2f}", f"{q.value:.3f}"])
            if ex.judge(i, figures, figures[i]).right is False:
                figures[i] = fmt(q.value)
    return cases


def test_the_pages_rules_give_the_checkers_verdicts(driver: Any, tmp_path: Path) -> None:
    cases = _cases()
    assert len(cases) > 2000
    pages: dict[str, Path] = {}
    kinds: set[str] = set()
    by_name: dict[str, list[tuple[int, dict[int, str], str, tuple[bool, str, str, str]]]] = {}
    for name, ex, i, figures, text in cases:
        v = ex.judge(i, figures, text)
        hint = "" if v.right else v.text  # a wrong answer's hint: the same words on the page
        by_name.setdefault(name, []).append((i, figures, text, (v.right, v.kind, v.factor, hint)))
        kinds.add(v.kind)
        if name not in pages:
            page = backward_page(ex.root, practice=True)
            pages[name] = page.save(tmp_path / f"{len(pages)}.html")
    assert {"right", "carried", "truncated", "sign", "factor", "path", "whole", "other"} <= kinds
    for name, rows in by_name.items():
        driver.get(pages[name].resolve().as_uri())
        got = driver.execute_script(
            """const judge = window.tracegradPractice.judge;
            return arguments[0].map(([i, figs, text]) => {
              const figures = [];
              for (const [k, f] of Object.entries(figs)) figures[Number(k)] = f;
              const v = judge(i, figures, text);
              return [v.right, v.kind, v.factor, v.right ? "" : v.text];
            });""",
            [[i, {str(k): f for k, f in figs.items()}, text] for i, figs, text, _ in rows],
        )
        for (i, figs, text, want), have in zip(rows, got):
            assert tuple(have) == want, (name, i, figs, text)
    assert [e for e in driver.get_log("browser") if e["level"] == "SEVERE"] == []

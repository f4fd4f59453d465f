"""The seed article's worked example, its own figures as the answers (examples/seed_article.toml).

The engine's numbers are checked against an independent plain-math computation; each of the
article's figures gets a pinned verdict and reason: exact, carried forward from its own
rounded figures, truncated rather than rounded, or the gradient's size written inside an update
rule that adds it (the article's convention, accepted because its update follows).
"""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from tracegrad.checker import CARRIED, RIGHT, TRUNCATED, WRONG, Report, check, solve
from tracegrad.cli import main

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "examples" / "seed_article.toml"


def sig(z: float) -> float:
    return 1.0 / (1.0 + math.exp(-z))


def oracle() -> dict[str, float]:
    """The worked example by hand, in plain floats (no autograd, no nn)."""
    x1, x2, y1, y2, lr = 0.5, -0.5, 0.9, 0.1, 1.2
    w1, w2, w3, w4, w5, w6, w7, w8 = 0.1, -0.2, 0.3, 0.55, 0.37, 0.9, -0.22, -0.12
    b1, b2, b3, b4 = 0.01, -0.02, 0.31, 0.27
    nh1, nh2 = x1 * w1 + x2 * w2 + b1, x1 * w3 + x2 * w4 + b2
    h1, h2 = sig(nh1), sig(nh2)
    no1, no2 = h1 * w5 + h2 * w6 + b3, h1 * w7 + h2 * w8 + b4
    o1, o2 = sig(no1), sig(no2)
    d1, d2 = -(y1 - o1), -(y2 - o2)
    f1, f2 = o1 * (1 - o1), o2 * (1 - o2)
    dh1 = d1 * f1 * w5 + d2 * f2 * w7
    g5 = d1 * f1 * h1
    g1 = dh1 * h1 * (1 - h1) * x1
    return {
        "net_h1": nh1, "net_h2": nh2, "h1": h1, "h2": h2, "net_o1": no1, "net_o2": no2,
        "o1": o1, "o2": o2, "E": 0.5 * (y1 - o1) ** 2 + 0.5 * (y2 - o2) ** 2,
        "dE/do1": d1, "do1/dnet_o1": f1, "dnet_o1/dw5": h1, "dE/dw5": g5,
        "w5_new": w5 - lr * g5, "dnet_h1/dw1": x1, "dh1/dnet_h1": h1 * (1 - h1),
        "dE/dh1": dh1, "dE/dw1": g1, "w1_new": w1 - lr * g1,
    }  # fmt: skip


# figure -> (verdict, reason code, words the explanation must contain)
EXPECTED = {
    "net_h1": (RIGHT, "", ""),
    "net_h2": (RIGHT, "", ""),
    "h1": (RIGHT, "", ""),
    "h2": (RIGHT, "", ""),
    # what its own rounded figures allow: carried forward, never "truncated" (issue 33)
    "net_o1": (CARRIED, "carried", "right from your own figures: h1 = 0.5399, h2 = 0.4638"),
    "o1": (TRUNCATED, "truncated", "from net_o1 = 0.9271"),
    "net_o2": (CARRIED, "carried", "right from your own figures: h1 = 0.5399, h2 = 0.4638"),
    "o2": (CARRIED, "carried", "right from your own figures: net_o2 = 0.0955"),
    "dE/do1": (CARRIED, "carried", "your own figures: o1 = 0.7164"),
    "do1/dnet_o1": (RIGHT, "", ""),
    "dnet_o1/dw5": (RIGHT, "", ""),
    "dE/dw5 (update rule)": (RIGHT, "update rule", "update rule w5 + η · 0.0201, which adds it"),
    "w5_new": (RIGHT, "", ""),
    "dnet_h1/dw1": (RIGHT, "", ""),
    "dh1/dnet_h1": (RIGHT, "", ""),
    "dE/dh1": (CARRIED, "carried", "right from your own figures: dE/do1 = -0.1836"),
    "dE/dw1": (CARRIED, "carried", "your own figures: dE/dh1 = -0.0370, dh1/dnet_h1 = 0.2484"),
    "dE/dw1 (update rule)": (CARRIED, "update rule", "w1_new = 0.1055 follows from it"),
    "w1_new": (RIGHT, "", ""),
}


@pytest.fixture(scope="module")
def report() -> Report:
    return check(SEED)


def test_engine_numbers_match_the_independent_oracle() -> None:
    values = solve(SEED).values()
    for name, expected in oracle().items():
        assert values[name] == pytest.approx(expected, abs=1e-12), name


def test_every_article_figure_gets_its_pinned_verdict_and_reason(report: Report) -> None:
    lines = [m.answer.line for m in report.marks]
    assert lines == sorted(lines)  # the sheet's order
    assert set(report.verdicts()) == set(EXPECTED)
    for label, (verdict, reason, words) in EXPECTED.items():
        m = report.mark(label)
        assert (m.verdict, m.reason) == (verdict, reason), (label, m.verdict, m.message)
        assert words in m.message, (label, m.message)
    assert not any(m.verdict == WRONG for m in report.marks)


def test_the_article_brief_facts(report: Report) -> None:
    # exact values the brief lists, against the article's printed figures
    facts = {"net_o1": 0.9272, "o1": 0.7165, "net_o2": 0.0956, "o2": 0.5239,
             "dE/do1": -0.1835, "do1/dnet_o1": 0.2031, "dnet_o1/dw5": 0.5399,
             "dE/dw5": -0.0201, "w5_new": 0.3941, "dh1/dnet_h1": 0.2484,
             "dE/dh1": -0.0371, "w1_new": 0.1055}  # fmt: skip
    values = solve(SEED).values()
    for name, four in facts.items():
        assert round(values[name], 4) == four, name
    assert values["dE/dw1"] == pytest.approx(-0.0046018, abs=5e-8)
    # the article's -0.0045954 is exactly its own factors multiplied: carried forward
    m = report.mark("dE/dw1")
    assert m.carried == pytest.approx(-0.0370 * 0.2484 * 0.5, abs=1e-15)


def test_the_articles_own_sheet_is_all_accepted(report: Report) -> None:
    # issue 33: the article's "W = 0.37 + 1.2(0.0201)" is its convention, and its update is right
    assert report.ok and report.exit_status == 0
    assert report.first_mistake is None
    m = report.mark("dE/dw5 (update rule)")
    assert "dE/dw5 itself is -0.02012" in m.message


def test_cli_check_prints_the_table_and_exits_0(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", str(SEED)]) == 0
    assert main(["check", "--example", "seed_article"]) == 0
    out = capsys.readouterr().out
    assert "19 of 19 accepted" in out
    assert "net_o1" in out and "truncated" in out and "update rule" in out


def test_solve_text_and_markdown_in_textbook_order(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["solve", str(SEED)]) == 0
    text = capsys.readouterr().out
    heads = ["Given", "Forward pass", "Loss", "Backward factors", "Gradients", "Updated weights"]
    positions = [text.index(h) for h in heads]
    assert positions == sorted(positions)
    # four significant figures, every number put in
    assert (
        "dE/dw5 = dE/do1 * do1/dnet_o1 * dnet_o1/dw5 = -0.1835 * 0.2031 * 0.5399 = -0.02012" in text
    )
    assert "w5_new = w5 - 1.2 * dE/dw5 = 0.37 - 1.2 * (-0.02012) = 0.3941" in text
    assert main(["solve", str(SEED), "--format", "markdown"]) == 0
    md = capsys.readouterr().out
    assert "| `net_o1` |" in md and "**Gradients**" in md


@pytest.mark.slow
def test_solve_draws_the_graph(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "seed.svg"
    assert main(["solve", str(SEED), "--graph", str(out)]) == 0
    svg = out.read_text()
    assert svg.lstrip().startswith("<?xml") or "<svg" in svg
    assert "net_o1" in svg


def test_the_sheet_is_the_articles_figures_as_printed() -> None:
    """Cross-check the example file against tracegrad.seed's transcription of the article."""
    from tracegrad import seed
    from tracegrad.checker import load

    written = {a.key: a.text for a in load(SEED).answers}
    for name, text in seed.ARTICLE_FIGURES.items():
        if name == "dE/dw5":  # printed only inside "W = 0.37 + 1.2(0.0201)": its magnitude
            assert written["dE/dw5 (update rule)"] == text.lstrip("-")
        else:
            assert written[name] == text, name
    assert written["dE/dw1 (update rule)"] == seed.ARTICLE_FIGURES["dE/dw1"].lstrip("-")

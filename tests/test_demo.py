"""The tour (`make demo`): it names the seed article where it first mentions it, its training
bar repeats nothing it prints, and its last lines say how to run the `tracegrad` command."""

from __future__ import annotations

import io
import re
import sys
from pathlib import Path

import pytest
from tracegrad.nn import MLP, fit

from tracegrad import seed
from tracegrad.demo import tour as demo

ROOT = Path(__file__).resolve().parent.parent
TITLE = '"How Neural Networks and Backpropagation Work"'
WHO = "Tomer Kordonsky"


def test_the_article_is_named_once_in_the_code() -> None:
    assert TITLE in seed.ARTICLE and WHO in seed.ARTICLE
    assert "Artificialis" in seed.ARTICLE and "Medium" in seed.ARTICLE
    assert "13 Aug 2021" in seed.ARTICLE


@pytest.fixture(scope="module")
def tour(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, str]:
    """The whole demo, run once: (stdout, stderr), stderr not a terminal (as in a log)."""
    out, err = io.StringIO(), io.StringIO()
    folder = tmp_path_factory.mktemp("tour")
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(sys, "stdout", out)
        mp.setattr(sys, "stderr", err)
        mp.setenv("PATH", "/nonexistent")  # `tracegrad` is not on PATH: .venv not activated
        mp.chdir(folder)
        assert demo.main(["--out", str(folder / "out")]) == 0
    return out.getvalue(), err.getvalue()


def test_the_demo_names_the_seed_article_where_it_first_mentions_it(tour: tuple[str, str]) -> None:
    lines = tour[0].splitlines()
    first = next(i for i, line in enumerate(lines) if "seed article" in line)
    assert seed.ARTICLE in "\n".join(lines[first : first + 2])


def test_the_demo_ends_with_how_to_run_the_command(tour: tuple[str, str]) -> None:
    text = tour[0].rstrip()
    scripts = Path(sys.executable).parent
    tail = text[text.rindex("To run the tracegrad command") :]
    assert f"source {scripts / 'activate'}" in tail
    assert f"call {scripts / 'tracegrad'}" in tail
    assert "tracegrad solve --example seed" in tail
    assert "tracegrad check --example student_wrong" in tail


def test_the_training_bar_repeats_no_epoch_line(tour: tuple[str, str]) -> None:
    out, err = tour
    assert "epoch 40  loss" in out
    assert "training" not in err  # no bar in a log: each redraw would be one more line


def test_a_progress_bar_is_cleared_when_fit_returns(capsys: pytest.CaptureFixture[str]) -> None:
    fit(MLP(1, [1]), [[0.0], [1.0]], [0.0, 1.0], loss="mse", epochs=3, progress=True)
    err = capsys.readouterr().err
    assert "training" in err  # it was shown
    assert err.split("\r")[-1].strip() == "" and "3/3" not in err.split("\r")[-2]


def test_the_readme_says_how_to_run_the_command_after_make_demo() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    setup_end = readme.index("```", readme.index("make demo   #")) + 3
    paragraph = readme[setup_end : readme.index("\n\n", setup_end + 2)]
    assert "`source .venv/bin/activate`" in paragraph
    assert "`.venv/bin/tracegrad`" in paragraph
    assert readme.index("tracegrad check") > setup_end  # before the first command


def test_the_readme_and_the_sheet_name_the_article_where_they_first_mention_it() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    first = readme.index("seed article")
    named = re.sub(r"\s+", " ", readme[first : first + 250])
    assert TITLE in named and WHO in named and "Artificialis" in named and "2021" in named
    sheet = (ROOT / "examples" / "seed_article.toml").read_text(encoding="utf-8")
    header = re.sub(r"[#\s]+", " ", sheet[: sheet.index("title =")])
    assert TITLE in header and WHO in header and "13 Aug 2021" in header

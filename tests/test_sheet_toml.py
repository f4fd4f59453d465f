"""Malformed TOML is one line naming the line and the likeliest slip (issue 24, item 5)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tracegrad.checker import HomeworkError, load
from tracegrad.cli import main
from tracegrad.kit.template import TemplateError, load_template

HEAD = '[variables]\nx = 1\ny = 2\n\n[expressions]\nf = "x * y"\n\n[answers]\n'

# slip -> (the answers' lines, the line the message names, the hint it must give)
SLIPS = {
    "unquoted derivative": ("f = 2\ndf/dy = -2\n", 10, 'an unquoted name: quote it, "df/dy" = -2'),
    "unquoted with a comment": (
        "d2f/dx2 = 0  # second\n", 9, 'an unquoted name: quote it, "d2f/dx2" = 0',
    ),
    "unquoted partial": ("∂f/∂x = 2\n", 9, 'an unquoted name: quote it, "∂f/∂x" = 2'),
    "missing closing quote": ('"df/dx = 2\n', 9, "a missing closing quote in \"df/dx = 2"),
    "missing closing quote of a value": (
        'f = "2\n', 9, 'a missing closing quote in f = "2',
    ),
    "missing single quote at the end": ("'df/dx = 2\n", 9, "a missing closing quote"),
    "decimal comma": ("f = 0,5\n", 9, "a decimal comma: write the decimal point as a dot, f = 0.5"),
    "decimal comma, quoted name": (
        '"df/dx" = -2,25\n', 9,
        'a decimal comma: write the decimal point as a dot, "df/dx" = -2.25',
    ),
}  # fmt: skip


@pytest.mark.parametrize("slip", list(SLIPS))
def test_the_one_line_names_the_likeliest_slip(
    slip: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    answers, line, hint = SLIPS[slip]
    path = tmp_path / "hw.toml"
    path.write_text(HEAD + answers, encoding="utf-8")
    with pytest.raises(HomeworkError) as exc:
        load(path)
    msg = str(exc.value)
    assert msg.startswith(f"{path}:{line}: malformed TOML: "), msg
    assert f"; likely {hint}" in msg and "\n" not in msg, msg
    assert main(["check", str(path)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and hint in err and "Traceback" not in err


@pytest.mark.parametrize("text", ["f = 0.5.\n", "a = [1, 2\n", 'f = "a" b\n'])
def test_no_hint_where_none_of_the_slips_fits(text: str, tmp_path: Path) -> None:
    path = tmp_path / "hw.toml"
    path.write_text(HEAD + text, encoding="utf-8")
    with pytest.raises(HomeworkError, match="malformed TOML") as exc:
        load(path)
    assert "likely" not in str(exc.value)


def test_a_template_gets_the_same_hint(tmp_path: Path) -> None:
    path = tmp_path / "t.toml"
    path.write_text('[template]\nfind = ["f"]\n[variables]\nx = 0,5\n', encoding="utf-8")
    with pytest.raises(TemplateError) as exc:
        load_template(path)
    assert str(exc.value) == (
        f"{path}:4: malformed TOML: Expected newline or end of document after a statement "
        "(column 6); likely a decimal comma: write the decimal point as a dot, x = 0.5"
    )


def test_a_long_line_is_cut_in_the_hint(tmp_path: Path) -> None:
    path = tmp_path / "hw.toml"
    path.write_text(HEAD + "d" + "f/dx" * 50 + " = 1\n", encoding="utf-8")
    with pytest.raises(HomeworkError) as exc:
        load(path)
    assert "..." in str(exc.value) and len(str(exc.value)) < 300 + len(str(path))

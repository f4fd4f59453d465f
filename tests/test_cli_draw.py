"""`tracegrad draw`: a good expression writes a valid SVG; bad input exits 2 with one line."""

from __future__ import annotations

import math
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import tracegrad.autograd.drawing.render as render_mod
from tracegrad.autograd.drawing import dot_style

from tracegrad.cli import main

SVG = "{http://www.w3.org/2000/svg}"


def _texts(path: Path) -> list[str]:
    tree = ET.parse(path)
    return [(t.text or "").strip() for t in tree.iter(f"{SVG}text")]


def test_draws_the_micrograd_neuron(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "graph.svg"
    argv = ["draw", "tanh(a*b + c)", "--set", "a=2", "b=-3", "c=10", "-o", str(out)]
    assert main([*argv, "--renderer", "wasm"]) == 0
    texts = _texts(out)
    t = math.tanh(2 * -3 + 10)
    for expected in ["a", "b", "c", "data 2.0000", "data -3.0000", "data 10.0000", "tanh", "*"]:
        assert expected in texts
    assert f"data {t:.4f}" in texts and "grad 1.0000" in texts
    assert f"grad {(1 - t * t) * -3:.4f}" in texts  # d/da
    printed = capsys.readouterr().out
    assert f"= {t:.4f}" in printed and f"wrote {out}" in printed


def test_options_reach_the_picture(tmp_path: Path) -> None:
    out = tmp_path / "g.svg"
    argv = ["draw", "a*b + exp(a)", "--set", "a=1", "b=2", "-o", str(out), "--renderer", "wasm"]
    assert main([*argv, "--no-grad", "--digits", "1", "--highlight", "b"]) == 0
    texts = _texts(out)
    assert "data 1.0" in texts and not any(t.startswith("grad") for t in texts)
    assert dot_style._HIGHLIGHT in out.read_text("utf-8")
    assert main([*argv, "--depth", "1"]) == 0
    assert "…" in _texts(out) and "b" not in _texts(out)


BAD = [
    ("__import__('os')", "call to '__import__'"),
    ("a.__class__", "attribute access"),
    ("open('/etc/passwd')", "call to 'open'"),
    ("a + q", "unknown name 'q'"),
    ("a +* b", "syntax error"),
    ("(lambda: 1)()", "call to 'lambda: 1'"),
    ("log(a - 2)", "log needs x > 0"),
    ("a / (a - 1)", "division by zero"),
]


@pytest.mark.parametrize(("expression", "fragment"), BAD)
def test_bad_expressions_exit_2_with_one_line(
    expression: str, fragment: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "g.svg"
    assert main(["draw", expression, "--set", "a=1", "-o", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("tracegrad draw: error: ") and fragment in err
    assert err.count("\n") == 1
    assert not out.exists()


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["--set", "a=two"], "'two' is not a number"),
        (["--set", "a"], "expected NAME=NUMBER"),
        (["--set", "a=1", "a=2"], "given twice"),
        (["--set", "a=1", "zz=2"], "no name 'zz'"),
        (["--set", "a=1", "-o", "g.gif"], "must end in .svg, .png or .pdf"),
        (["--set", "a=1", "--highlight", "nope"], "not a name in the expression"),
        (["--set", "a=1", "--max-nodes", "1"], "--depth N"),
        (["--set", "a=1", "-o", "/nonexistent-dir/g.svg"], "no folder '/nonexistent-dir'"),
        (["--set", "a=1", "--max-nodes", "-5"], "--max-nodes -5: must be from 1 to 5000"),
        (["--set", "a=1", "--max-nodes", "0"], "--max-nodes 0: must be from 1 to 5000"),
        (["--set", "a=1", "--max-nodes", "9999"], "must be from 1 to 5000"),
        (["--set", "a=1", "--dpi", "0", "-o", "g.png"], "--dpi 0: must be from 1 to 2400"),
    ],
)
def test_bad_options_exit_2(
    args: list[str], fragment: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["draw", "exp(a)", "--renderer", "wasm", *args]) == 2
    err = capsys.readouterr().err
    assert fragment in err and err.count("\n") == 1


def _png_pixels(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")


def test_png_and_pdf_without_dot(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The README's first command, as a newcomer without Graphviz runs it, to .png and .pdf."""
    from pypdf import PdfReader

    monkeypatch.setattr(render_mod.shutil, "which", lambda name: None)
    argv = ["draw", "tanh(a*b + c)", "--set", "a=2", "b=-3", "c=10"]
    assert main([*argv, "-o", str(tmp_path / "g.svg")]) == 0
    w_pt = float(ET.parse(tmp_path / "g.svg").getroot().get("width", "").removesuffix("pt"))
    assert main([*argv, "-o", str(tmp_path / "g.png")]) == 0
    assert _png_pixels((tmp_path / "g.png").read_bytes())[0] == round(w_pt * 96 / 72)
    assert main([*argv, "-o", str(tmp_path / "g2.png"), "--dpi", "192"]) == 0
    assert _png_pixels((tmp_path / "g2.png").read_bytes())[0] == round(w_pt * 192 / 72)
    assert main([*argv, "-o", str(tmp_path / "g.pdf")]) == 0
    text = PdfReader(tmp_path / "g.pdf").pages[0].extract_text()
    assert "data -3.0000" in text and "tanh" in text
    assert f"wrote {tmp_path / 'g.pdf'}" in capsys.readouterr().out


@pytest.mark.slow
def test_real_process_exit_status(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "tracegrad", "draw", "__import__('os').system('echo hi')"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        check=False,
    )
    assert done.returncode == 2
    assert done.stdout == "" and done.stderr.count("\n") == 1
    assert "__import__" in done.stderr and "Traceback" not in done.stderr


@pytest.mark.parametrize(
    "argv",
    [
        ["draw", "--set", "a=2", "b=-3", "c=10", "tanh(a*b + c)"],
        ["draw", "tanh(a*b + c)", "--set", "a=2", "b=-3", "c=10"],
        ["draw", "--set", "a=2", "tanh(a*b + c)", "--set", "b=-3", "c=10"],
    ],
)
def test_set_and_the_expression_in_any_order(
    argv: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main([*argv, "-o", str(tmp_path / "g.svg")]) == 0
    assert "tanh(a*b + c) = 0.9993" in capsys.readouterr().out


def test_version_comes_from_the_package_metadata(capsys: pytest.CaptureFixture[str]) -> None:
    from importlib.metadata import version

    with pytest.raises(SystemExit) as exc:
        main(["--version"])
    assert exc.value.code == 0
    assert capsys.readouterr().out.strip() == f"tracegrad {version('tracegrad')}"

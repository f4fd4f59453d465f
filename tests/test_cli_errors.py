"""The one place where the CLI turns every error into one line: exit 2, never a traceback
(``--debug`` shows it), exit 130 on Ctrl-C, nothing to say when stdout is closed or full."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from tracegrad.cli import main

ROOT = Path(__file__).resolve().parent.parent
SHEET = str(ROOT / "examples" / "seed_article.toml")
TRACEGRAD = [sys.executable, "-m", "tracegrad"]


def _one_error_line(err: str, command: str) -> str:
    assert "Traceback" not in err and err.count("\n") == 1, err
    assert err.startswith(f"tracegrad {command}: error: "), err
    return err


def test_an_unexpected_error_is_one_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import tracegrad.commands.check as check_command

    def broken(args: object) -> int:
        raise RuntimeError("something deep down\nwith a second line")

    monkeypatch.setattr(check_command, "run", broken)
    assert main(["check", SHEET]) == 2
    err = _one_error_line(capsys.readouterr().err, "check")
    assert "RuntimeError: something deep down" in err and "--debug" in err
    with pytest.raises(RuntimeError):
        main(["check", SHEET, "--debug"])


def test_ctrl_c_is_exit_130_without_a_traceback(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import tracegrad.commands.solve as solve_command

    def interrupted(args: object) -> int:
        raise KeyboardInterrupt

    monkeypatch.setattr(solve_command, "run", interrupted)
    assert main(["solve", SHEET]) == 130
    assert "interrupted" in _one_error_line(capsys.readouterr().err, "solve")


@pytest.mark.slow
def test_a_real_sigint_during_a_long_run() -> None:
    # A shell starts a background job with SIGINT ignored, and Python then installs no
    # KeyboardInterrupt handler: the child restores it, as an interactive shell's child has it.
    code = (
        "import signal, sys, time\n"
        "signal.signal(signal.SIGINT, signal.default_int_handler)\n"
        "import tracegrad.commands.check as c\n"
        "def slow(args):\n"
        "    print('working', flush=True)\n"
        "    time.sleep(60)\n"
        "c.run = slow\n"
        "from tracegrad.cli import main\n"
        f"sys.exit(main(['check', {SHEET!r}]))\n"
    )
    child = subprocess.Popen(
        [sys.executable, "-c", code], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    assert child.stdout is not None and child.stdout.readline() == "working\n"
    child.send_signal(signal.SIGINT)
    _, err = child.communicate(timeout=30)
    assert child.returncode == 130
    assert "interrupted" in _one_error_line(err, "check")


def _shell(command: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        command, shell=True, capture_output=True, text=True, timeout=120, cwd=ROOT,
        executable="/bin/bash",
    )  # fmt: skip


@pytest.mark.slow
def test_closed_stdout_or_early_reader_is_quiet() -> None:
    py = f"{sys.executable} -m tracegrad"
    closed = _shell(f"{py} check {SHEET} >&-")
    assert closed.returncode in (0, 1) and closed.stderr == ""
    early = _shell(f"{py} solve {SHEET} | head -c 10 >/dev/null; exit ${{PIPESTATUS[0]}}")
    assert early.returncode == 0 and early.stderr == ""


@pytest.mark.slow
@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full (Linux)")
def test_a_full_disk_on_stdout_is_one_line() -> None:
    full = _shell(f"{sys.executable} -m tracegrad solve {SHEET} > /dev/full")
    assert full.returncode == 2
    assert "cannot write the output: No space left on device" in _one_error_line(
        full.stderr, "solve"
    )


def test_demo_out_must_be_a_folder(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    afile = tmp_path / "a.txt"
    afile.write_text("mine\n")
    for out in [str(afile), "/dev/full"]:
        assert main(["demo", "--out", out]) == 2
        captured = capsys.readouterr()
        assert captured.out == ""
        assert "is not a folder" in _one_error_line(captured.err, "demo")
    assert afile.read_text() == "mine\n"


@pytest.mark.parametrize(
    "args, words",
    [
        (["--graph", "/no/such/folder/g.svg"], "no folder '/no/such/folder'"),
        (["--graph", "{tmp}/g.bad"], "cannot tell the picture format"),
        (["--graph", "{tmp}/g.svg", "--step", "99"], "no step 99"),
    ],
)
def test_solve_graph_fails_before_printing(
    args: list[str], words: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = [a.replace("{tmp}", str(tmp_path)) for a in args]
    assert main(["solve", SHEET, *args]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert words in _one_error_line(captured.err, "solve")


@pytest.mark.parametrize(
    "args", [["check", "--format", "yaml", SHEET], ["nosuch"], ["draw"], ["explain", "a", "--x"]]
)
def test_usage_errors_are_one_line(args: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main(args)
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "error:" in err and "--help" in err, err


@pytest.mark.slow
def test_a_byte_that_is_not_utf8_in_an_expression() -> None:
    done = subprocess.run(
        [*TRACEGRAD, "explain", b"a*\xff", "--set", "a=1"], capture_output=True, timeout=60
    )
    assert done.returncode == 2
    err = done.stderr.decode()
    assert "not UTF-8" in _one_error_line(err, "explain")


@pytest.mark.slow
@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full (Linux)")
def test_a_full_stdout_after_an_export_is_not_an_output_error(tmp_path: Path) -> None:
    """export writes its folder, then says so on stdout: a full stdout is said as such, never
    blamed on -o (which was written)."""
    out = tmp_path / "questions" / "q"
    cmd = f"{sys.executable} -m tracegrad export prairielearn --example expression_template"
    full = _shell(f"{cmd} -o {out} > /dev/full")
    assert full.returncode == 2
    line = _one_error_line(full.stderr, "export")
    assert "cannot write the output: No space left on device" in line and "-o" not in line
    assert (out / "server.py").is_file()

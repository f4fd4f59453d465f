"""Only regular files are read: a FIFO, a socket, a device or a folder given where a homework
or weights file is expected is refused at once with one line (exit status 2), never opened in
a way that blocks. ``-`` and ``/dev/stdin`` are not supported as files (``/dev/stdin`` is a
device or a pipe, refused like any other)."""

from __future__ import annotations

import os
import re
import socket
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from tracegrad.autograd.limits import LIMITS, UnreadableFile, read_limited
from tracegrad.nn import WeightsFileError
from tracegrad.nn import load as load_weights

from tracegrad.checker import HomeworkError, load
from tracegrad.cli import main

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "expression.toml"


@pytest.fixture
def specials(tmp_path: Path) -> Iterator[dict[str, Path]]:
    """A FIFO, a listening socket and a folder, each named like a homework file."""
    fifo = tmp_path / "fifo.toml"
    os.mkfifo(fifo)
    sock_path = tmp_path / "sock.toml"
    sock = socket.socket(socket.AF_UNIX)
    sock.bind(str(sock_path))
    sock.listen(1)
    folder = tmp_path / "folder.toml"
    folder.mkdir()
    try:
        yield {"a FIFO (named pipe)": fifo, "a socket": sock_path, "a folder": folder,
               "a device": Path("/dev/null")}  # fmt: skip
    finally:
        sock.close()


def test_read_limited_refuses_every_special_file(specials: dict[str, Path]) -> None:
    for what, path in specials.items():
        with pytest.raises(UnreadableFile) as exc:
            read_limited(path, LIMITS["homework_bytes"], "homework file")
        assert str(exc.value) == f"{path}: is {what}, not a homework file; give a regular file"
    for device in ("/dev/zero", "/dev/urandom"):
        with pytest.raises(UnreadableFile, match="is a device"):
            read_limited(device, LIMITS["homework_bytes"])


def test_a_link_to_a_regular_file_is_read(tmp_path: Path) -> None:
    link = tmp_path / "link.toml"
    link.symlink_to(EXAMPLE)
    assert read_limited(link, LIMITS["homework_bytes"]) == EXAMPLE.read_text(encoding="utf-8")


def test_a_fifo_swapped_in_after_the_first_look_is_refused_too(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The race: the path was a regular file when looked at, a FIFO when opened. It is opened
    without blocking and looked at again (fstat) before a byte is read."""
    fifo = tmp_path / "fifo.toml"
    os.mkfifo(fifo)
    regular = os.stat(EXAMPLE)
    real_stat = os.stat
    monkeypatch.setattr(os, "stat", lambda p, *a, **k: regular if p == fifo else real_stat(p))
    with pytest.raises(UnreadableFile, match="is a FIFO"):
        read_limited(fifo, LIMITS["homework_bytes"])
    assert stat.S_ISFIFO(real_stat(fifo).st_mode)


def test_every_loader_refuses_special_files(specials: dict[str, Path]) -> None:
    for what, path in specials.items():
        with pytest.raises(HomeworkError, match=re.escape(f"is {what}, not a homework file")):
            load(path)
        with pytest.raises(WeightsFileError, match=re.escape(f"is {what}, not a weights file")):
            load_weights(path)


@pytest.mark.parametrize(
    "argv",
    [
        ["check", "{f}"],
        ["check", "--format", "json", "{f}"],
        ["solve", "{f}"],
        ["step", "--sheet", "{f}", "-o", "{out}"],
    ],
)
def test_commands_refuse_a_fifo_at_once(
    argv: list[str], specials: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    fifo = specials["a FIFO (named pipe)"]
    out = fifo.parent / "out.html"
    args = [a.format(f=fifo, out=out) for a in argv]
    assert main(args) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1, err
    assert f"error: {fifo}: is a FIFO (named pipe), not a homework file" in err
    assert not out.exists()


def test_one_stray_fifo_in_a_batch_is_an_error_and_the_batch_goes_on(
    specials: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    fifo = specials["a FIFO (named pipe)"]
    assert main(["check", "--brief", str(EXAMPLE), str(fifo), str(EXAMPLE)]) == 2
    out, err = capsys.readouterr()
    assert out.count(f"{EXAMPLE}:") == 2  # both sheets around the FIFO are reported
    assert (
        err == f"tracegrad check: error: {fifo}: is a FIFO (named pipe), not a homework "
        "file; give a regular file\n"
    )


@pytest.mark.slow
def test_a_fifo_never_blocks_a_real_process(tmp_path: Path) -> None:
    """``mkfifo f.toml; tracegrad check f.toml`` returns at once (no writer ever comes)."""
    os.mkfifo(tmp_path / "f.toml")
    done = subprocess.run(
        [sys.executable, "-m", "tracegrad", "check", "f.toml"],
        cwd=tmp_path, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert done.returncode == 2
    assert done.stderr == (
        "tracegrad check: error: f.toml: is a FIFO (named pipe), not a homework file; "
        "give a regular file\n"
    )

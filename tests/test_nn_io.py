"""Saving and loading weights as JSON: exact round trip, clear errors for files that do not fit."""

from __future__ import annotations

import json
import os
import random
import signal
import stat
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from tracegrad.autograd import Value
from tracegrad.autograd.safety import OutputError
from tracegrad.nn import MLP, WeightsFileError, load, load_weights, save


def _odd_weights(net: MLP, seed: int) -> None:
    """Weights that exercise float round-tripping (tiny, huge, repeating binary fractions)."""
    r = random.Random(seed)
    pool = [0.1 + 0.2, 1e-300, -5e-324, 1.7976931348623157e308, -0.0, 1 / 3]
    W = [
        [
            [r.choice(pool) if r.random() < 0.3 else r.gauss(0, 1) for _ in range(per)]
            for _ in range(nout)
        ]
        for nout, per in net.weight_shape()
    ]
    net.set_weights(W)


def test_save_then_load_is_exact(tmp_path: Path) -> None:
    net = MLP(3, [5, 4, 2], activation="tanh", output_activation="sigmoid", seed=1)
    _odd_weights(net, 0)
    path = save(net, tmp_path / "w.json")
    back = load(path)
    assert back.weights() == net.weights()
    assert back.architecture() == net.architecture()
    x = [0.3, -0.7, 0.2]
    assert [o.data for o in back(x)] == [o.data for o in net(x)]  # type: ignore[union-attr]
    again = MLP(3, [5, 4, 2], activation="tanh", output_activation="sigmoid", seed=9)
    load_weights(again, path)
    assert again.weights() == net.weights()


def test_the_file_is_plain_readable_json(tmp_path: Path) -> None:
    net = MLP(2, [2, 2], activation="sigmoid", output_activation="sigmoid")
    net.set_weights(
        [[[0.1, -0.2, 0.01], [0.3, 0.55, -0.02]], [[0.37, 0.9, 0.31], [-0.22, -0.12, 0.27]]]
    )
    doc = json.loads(save(net, tmp_path / "seed.json").read_text())
    assert doc["format"] == "tracegrad.nn.weights" and doc["version"] == 1
    assert doc["architecture"] == {"nin": 2, "sizes": [2, 2], "activations": ["sigmoid", "sigmoid"]}
    assert doc["weights"][1][0] == [0.37, 0.9, 0.31]


def test_loading_into_a_different_model_says_what_differs(tmp_path: Path) -> None:
    path = save(MLP(2, [4, 1]), tmp_path / "w.json")
    other = MLP(2, [3, 1])
    before = other.weights()
    with pytest.raises(WeightsFileError) as err:
        load_weights(other, path)
    msg = str(err.value)
    assert "MLP(2, [4, 1])" in msg and "MLP(2, [3, 1])" in msg and "w.json" in msg
    assert other.weights() == before
    with pytest.raises(WeightsFileError, match="activations"):
        load_weights(MLP(2, [4, 1], activation="tanh"), path)


def _write(tmp_path: Path, text: str) -> Path:
    p = tmp_path / "bad.json"
    p.write_text(text)
    return p


GOOD = {
    "format": "tracegrad.nn.weights",
    "version": 1,
    "architecture": {"nin": 1, "sizes": [1], "activations": ["linear"]},
    "weights": [[[2.0, 0.5]]],
}


@pytest.mark.parametrize(
    "text, message",
    [
        ('{"format": "tracegrad.nn.weights", ', "not valid JSON \\(line 1"),
        ("[1, 2]", "not a tracegrad weights file"),
        (json.dumps({**GOOD, "version": 7}), "version 7"),
        (json.dumps({**GOOD, "architecture": {"nin": "1"}}), "architecture"),
        (json.dumps({k: v for k, v in GOOD.items() if k != "weights"}), 'no "weights"'),
        (json.dumps({**GOOD, "weights": [[[2.0]]]}), "layer 0 neuron 0 needs 2 numbers"),
        (json.dumps({**GOOD, "weights": [[[2.0, "x"]]]}), "entry 1 must be a number"),
        (json.dumps(GOOD).replace("0.5", "NaN"), "NaN is not a number JSON allows"),
        (
            json.dumps(
                {**GOOD, "architecture": {**GOOD["architecture"], "activations": ["callable:f"]}}
            ),
            "build the model yourself",
        ),
    ],
)
def test_malformed_files_fail_clearly(tmp_path: Path, text: str, message: str) -> None:
    path = _write(tmp_path, text)
    with pytest.raises(WeightsFileError, match=message):
        load(path)


def test_a_good_hand_written_file_loads(tmp_path: Path) -> None:
    net = load(_write(tmp_path, json.dumps(GOOD)))
    out = net([3.0])
    assert isinstance(out, Value) and out.data == 6.5


def test_saving_nan_weights_is_refused(tmp_path: Path) -> None:
    net = MLP(1, [1])
    net.layers[0].neurons[0].b.data = float("nan")
    with pytest.raises(ValueError, match="NaN or infinite"):
        save(net, tmp_path / "nan.json")
    assert not (tmp_path / "nan.json").exists()


# ---------------------------------------------------------------- hostile weights files
@pytest.mark.parametrize(
    "text, message",
    [
        (json.dumps(GOOD).replace("0.5", "1" * 400), "400 digits in one number; the limit is 24"),
        (json.dumps(GOOD).replace("0.5", "1" * 5000), "5000 digits in one number"),
        (json.dumps(GOOD).replace("0.5", "1e999"), "1e999 is not a finite number"),
        (json.dumps(GOOD).replace("0.5", "-1e999"), "-1e999 is not a finite number"),
        (json.dumps(GOOD).replace("0.5", "Infinity"), "Infinity is not a number JSON allows"),
        ("[" * 100_000 + "]" * 100_000, "more than 10 levels of nested arrays and tables"),
        ('{"a": ' * 50 + "1" + "}" * 50, "TRACEGRAD_MAX_NESTING"),
        (
            json.dumps(
                {**GOOD, "architecture": {"nin": 10000, "sizes": [10000], "activations": ["relu"]}}
            ),
            r"MLP\(10000, \[10000\]\): 100010000 weights and biases .* the limit is 500000 "
            r"\(set TRACEGRAD_MAX_MODEL_PARAMETERS to raise it\)",
        ),
        (
            json.dumps(
                {**GOOD, "architecture": {"nin": 300, "sizes": [300], "activations": ["relu"]}}
            ),
            "layer 0 has 300 neurons",  # refused from the file alone: no model is built for it
        ),
        (
            json.dumps({**GOOD, "architecture": {**GOOD["architecture"], "nin": True}}),
            "architecture",
        ),
        (
            json.dumps({**GOOD, "architecture": {**GOOD["architecture"], "sizes": [0]}}),
            "architecture",
        ),
        ("\xff\xfe", "not a UTF-8 text weights file"),
    ],
)
def test_every_hostile_file_is_a_weights_file_error(
    tmp_path: Path, text: str, message: str
) -> None:
    path = tmp_path / "bad.json"
    path.write_bytes(text.encode("latin-1") if text == "\xff\xfe" else text.encode())
    with pytest.raises(WeightsFileError, match=message) as err:
        load(path)
    assert "\n" not in str(err.value) and len(str(err.value)) < 400


def test_endless_or_missing_files_are_weights_file_errors(tmp_path: Path) -> None:
    for path, message in [
        ("/dev/zero", "is a device, not a weights file"),
        ("/dev/urandom", "is a device"),
        (tmp_path / "missing.json", "no such file"),
        (tmp_path, "is a folder"),
    ]:
        with pytest.raises(WeightsFileError, match=message):
            load(path)


def test_the_file_size_limit_can_be_raised(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = _write(tmp_path, json.dumps(GOOD))
    monkeypatch.setenv("TRACEGRAD_MAX_WEIGHTS_BYTES", "50")
    with pytest.raises(WeightsFileError, match="more than 50 bytes in a weights file"):
        load(path)
    monkeypatch.setenv("TRACEGRAD_MAX_WEIGHTS_BYTES", "100000")
    assert load(path).weights() == GOOD["weights"]


def test_a_file_with_a_byte_order_mark_loads(tmp_path: Path) -> None:
    path = tmp_path / "bom.json"
    path.write_text("\ufeff" + json.dumps(GOOD), encoding="utf-8")
    assert load(path).weights() == GOOD["weights"]


# ---------------------------------------------------------------- atomic saves
def _child(code: str, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    """Run ``code`` in a child Python (tracegrad imported as in the tests)."""
    return subprocess.run(
        [sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, timeout=120
    )


_BIG = "from tracegrad.nn import MLP, save\nnew = MLP(40, [300, 100, 1], seed=7)\n"


def _old_file(tmp_path: Path) -> tuple[Path, list]:
    old = MLP(40, [300, 100, 1], seed=1)
    path = save(old, tmp_path / "model.json")
    return path, old.weights()


@pytest.mark.slow
def test_a_save_killed_midway_leaves_the_old_file(tmp_path: Path) -> None:
    """The child's writes stop at half the file (RLIMIT_FSIZE); its SIGXFSZ handler then
    SIGKILLs it, right in the middle of writing: the previous file must still load."""
    path, old = _old_file(tmp_path)
    half = path.stat().st_size // 2
    code = (
        "import os, resource, signal\n"
        f"resource.setrlimit(resource.RLIMIT_FSIZE, ({half}, {half}))\n"
        "signal.signal(signal.SIGXFSZ, lambda *a: os.kill(os.getpid(), signal.SIGKILL))\n"
        + _BIG
        + "save(new, 'model.json')\n"
    )
    done = _child(code, tmp_path)
    assert done.returncode == -signal.SIGKILL, done.stderr
    assert load(path).weights() == old


@pytest.mark.slow
def test_a_save_killed_before_the_rename_leaves_the_old_file(tmp_path: Path) -> None:
    """Killed with SIGKILL after writing everything but before it replaces the old file."""
    path, old = _old_file(tmp_path)
    code = (
        "import os, signal\n"
        "os.fsync = lambda fd: os.kill(os.getpid(), signal.SIGKILL)\n"
        + _BIG
        + "save(new, 'model.json')\n"
    )
    done = _child(code, tmp_path)
    assert done.returncode == -signal.SIGKILL, "the save never flushed its file to disk"
    assert load(path).weights() == old


@pytest.mark.slow
def test_a_full_disk_leaves_the_old_file_and_no_litter(tmp_path: Path) -> None:
    path, old = _old_file(tmp_path)
    half = path.stat().st_size // 2
    code = (
        "import errno, resource, signal\n"
        f"resource.setrlimit(resource.RLIMIT_FSIZE, ({half}, {half}))\n"
        "signal.signal(signal.SIGXFSZ, signal.SIG_IGN)\n"
        + _BIG
        + "try:\n    save(new, 'model.json')\nexcept OSError as e:\n"
        "    print(errno.errorcode[e.errno])\n"
    )
    done = _child(code, tmp_path)
    assert done.returncode == 0 and done.stdout.strip() == "EFBIG", done.stderr
    assert load(path).weights() == old
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model.json"]


def test_a_save_replaces_the_file_and_keeps_its_permissions(tmp_path: Path) -> None:
    path, _ = _old_file(tmp_path)
    path.chmod(0o640)
    net = MLP(2, [3, 1], seed=3)
    assert save(net, path) == path
    assert load(path).weights() == net.weights()
    assert stat.S_IMODE(path.stat().st_mode) == 0o640
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model.json"]


def test_a_save_through_a_symlink_is_refused_and_the_target_kept(tmp_path: Path) -> None:
    target = save(MLP(2, [1]), tmp_path / "real.json")
    link = tmp_path / "link.json"
    link.symlink_to(target)
    before = target.read_bytes()
    with pytest.raises(OutputError, match="link.json: is a symbolic link"):
        save(MLP(2, [1], seed=5), link)
    assert link.is_symlink() and target.read_bytes() == before


def test_a_failed_save_names_the_users_path_never_the_temporary_file(tmp_path: Path) -> None:
    (tmp_path / "d").mkdir()
    for name, says in (("missing/m.json", "no folder"), ("d", "is a folder")):
        with pytest.raises(OSError) as caught:
            save(MLP(2, [1]), tmp_path / name)
        assert str(tmp_path / name) in str(caught.value) and says in str(caught.value)
        assert ".tmp" not in str(caught.value)


def test_a_save_into_a_folder_path_fails_and_leaves_nothing(tmp_path: Path) -> None:
    (tmp_path / "d").mkdir()
    with pytest.raises(OSError):
        save(MLP(2, [1]), tmp_path / "d")
    assert [p.name for p in tmp_path.iterdir()] == ["d"] and not any((tmp_path / "d").iterdir())


def test_a_save_to_a_pipe_writes_into_it_and_leaves_it_a_pipe(tmp_path: Path) -> None:
    """Devices and pipes (/dev/stdout, a FIFO) are written, never replaced by a file."""
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    got: list[str] = []
    reader = threading.Thread(target=lambda: got.append(fifo.read_text()), daemon=True)
    reader.start()
    net = MLP(2, [1], seed=4)
    save(net, fifo)
    reader.join(timeout=30)
    assert stat.S_ISFIFO(fifo.stat().st_mode)
    assert json.loads(got[0])["weights"] == net.weights()

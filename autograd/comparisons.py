"""Who watches a Value's comparisons: the compiler's guards, kept out of ``Value``.

``autograd.compile`` traces a function once on Values; a comparison (``x > 0``) taken while it
traces decides a branch, so the tape must know it to refuse replaying another branch. Within
``watching_comparisons(watcher)`` (this thread or task only), each comparison of a Value is
reported as ``watcher(value, "<", other, result)``; outside it, ``compared`` only returns the
result. ``Value``'s ``<``, ``<=``, ``>``, ``>=`` call ``compared``.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from contextvars import ContextVar
from typing import Any

__all__ = ["watching_comparisons", "compared"]

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

"""Limits on what tracegrad reads from outside: homework files, weights files, expressions.

Every limit is checked before the work it bounds, so a 100-byte file cannot make tracegrad run
for minutes or fill the memory. The defaults sit far above anything a teaching sheet needs; each
one can be raised with an environment variable named in its error message, e.g.
``TRACEGRAD_MAX_NEURONS=1000 tracegrad check big.toml``. ``LimitError`` is a ValueError whose
message is one line: what was found, the limit, and how to raise it. ``GraphCycleError`` is
the one graph no limit admits: a Value among its own inputs (a slot changed after the Value was
made), refused by every walk (backward, pickling, copying) instead of running on.
"""

from __future__ import annotations

import os
import re
import stat
import sys
from dataclasses import dataclass
from typing import Any

__all__ = [
    "Limit",
    "LimitError",
    "GraphCycleError",
    "cycle_error",
    "LIMITS",
    "UnreadableFile",
    "read_limited",
    "nesting_depth",
    "count_digits",
    "IN_BROWSER",
    "NotInBrowserError",
    "refuse_in_browser",
]

# Pyodide (CPython compiled to WebAssembly, in a web page) reports this platform. There is no
# process to start, no native library to load and no numpy unless the page ships one.
IN_BROWSER = sys.platform == "emscripten"


class LimitError(ValueError):
    """Input beyond one of tracegrad's limits; the message names the limit and how to raise it."""


class GraphCycleError(ValueError):
    """A graph in which a Value depends on itself: no order of its nodes exists."""


def cycle_error(node: Any) -> GraphCycleError:
    """The one-line refusal of a cyclic graph, naming a Value on the cycle."""
    return GraphCycleError(
        f"the graph has a cycle: {node!r} is among its own inputs (an input of a Value was "
        "changed after it was made, e.g. b._a = c with c made from b); a computation graph "
        "must have no cycle"
    )


@dataclass(frozen=True)
class Limit:
    """One limit: its ``name`` (``TRACEGRAD_MAX_<NAME>`` raises it), default and unit."""

    name: str
    default: int
    unit: str  # what is counted, e.g. 'neurons (inputs included)'

    @property
    def env(self) -> str:
        return f"TRACEGRAD_MAX_{self.name.upper()}"

    @property
    def value(self) -> int:
        """The limit in force: the environment variable when set, else the default."""
        text = os.environ.get(self.env, "").strip()
        if not text:
            return self.default
        try:
            value = int(text)
        except ValueError:
            raise LimitError(f"{self.env}={text!r} is not a whole number") from None
        return max(value, 0)

    def message(self, count: int | str) -> str:
        """'N <unit>; the limit is L (set TRACEGRAD_MAX_X to raise it)'."""
        return f"{count} {self.unit}; the limit is {self.value} (set {self.env} to raise it)"

    def check(self, count: int, what: str = "") -> None:
        """Raise LimitError when ``count`` is over the limit; ``what`` starts the message."""
        if count > self.value:
            lead = f"{what}: " if what else ""
            raise LimitError(lead + self.message(count))


_ALL = [
    Limit("homework_bytes", 1_000_000, "bytes in a homework file"),
    Limit("weights_bytes", 16_000_000, "bytes in a weights file"),
    Limit("model_parameters", 500_000, "weights and biases in a model (MLP, Layer, weights file)"),
    Limit("neurons", 200, "neurons in a homework network (inputs included)"),
    Limit("parameters", 2_000, "weights and biases in a homework network"),
    Limit("samples", 100, "samples in a homework"),
    Limit("work", 10_000, "parameter updates to work out (steps x samples x parameters)"),
    Limit("answers", 2000, "answers in a homework"),
    Limit(
        "diagnosis_work",
        1_000_000,
        "units of work diagnosing wrong answers (answers x diagnoses x quantities looked at)",
    ),
    Limit("expressions", 1000, "expressions in a homework"),
    Limit("expression_chars", 20_000, "characters in an expression"),
    Limit("expression_depth", 200, "operations nested in an expression (a + b + c is 2)"),
    Limit("derivative_order", 4, "derivatives in a row (its order)"),
    Limit(
        "derivative_work",
        500_000,
        "units of work for a sheet's higher derivatives (its expression's operations x 3^order, "
        "summed)",
    ),
    Limit(
        "probe_work",
        500_000,
        "units of work probing a template (trial solves x the quantities of one solve)",
    ),
    Limit("digits", 24, "digits in one number"),
    Limit("nesting", 10, "levels of nested arrays and tables"),
]
LIMITS: dict[str, Limit] = {lim.name: lim for lim in _ALL}


class UnreadableFile(ValueError):
    """A file that cannot be read as text within its limit; the message names it, one line."""


def read_limited(path: str | os.PathLike[str], limit: Limit, kind: str = "file") -> str:
    """The text of a UTF-8 file (a leading BOM dropped), reading at most limit + 1 bytes.

    So ``/dev/zero`` or ``/dev/urandom`` is refused at once instead of filling the memory.
    Only regular files are read: a FIFO, socket or device is refused before it is opened
    (opening a FIFO blocks until a writer comes) and again after (it may have been swapped in
    between). Every failure (missing, a folder, a special file, unreadable, too large, not
    UTF-8) is an UnreadableFile whose message starts with the path; ``kind`` names what the
    file should be.
    """
    cap = limit.value
    try:
        _regular(os.stat(path), path, kind)
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except FileNotFoundError:
        raise UnreadableFile(f"{path}: no such file") from None
    except OSError as exc:
        raise UnreadableFile(f"{path}: cannot read: {exc.strerror or exc}") from None
    try:
        _regular(os.fstat(fd), path, kind)
        with open(fd, "rb", closefd=False) as f:
            data = f.read(cap + 1)
    except OSError as exc:
        raise UnreadableFile(f"{path}: cannot read: {exc.strerror or exc}") from None
    finally:
        os.close(fd)
    if len(data) > cap:
        raise UnreadableFile(f"{path}: more than {limit.message(cap)}")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise UnreadableFile(
            f"{path}: not a UTF-8 text {kind} (byte {exc.start + 1} is {data[exc.start]:#04x})"
        ) from None


_SPECIAL = (
    (stat.S_ISDIR, "a folder"),
    (stat.S_ISFIFO, "a FIFO (named pipe)"),
    (stat.S_ISSOCK, "a socket"),
    (stat.S_ISCHR, "a device"),
    (stat.S_ISBLK, "a device"),
)


def _regular(st: os.stat_result, path: str | os.PathLike[str], kind: str) -> None:
    """Refuse anything but a regular file, naming what it is and what to give instead."""
    if stat.S_ISREG(st.st_mode):
        return
    what = next((name for test, name in _SPECIAL if test(st.st_mode)), "not a regular file")
    raise UnreadableFile(f"{path}: is {what}, not a {kind}; give a regular file")


def nesting_depth(data: Any, stop: int) -> int:
    """How deeply lists and dicts nest in ``data`` (a scalar is 0), counted without recursion;
    the walk ends as soon as ``stop`` is passed."""
    deepest = 0
    todo: list[tuple[Any, int]] = [(data, 0)]
    while todo:
        x, depth = todo.pop()
        if isinstance(x, (list, dict)):
            depth += 1
            deepest = max(deepest, depth)
            if deepest > stop:
                return deepest
            todo.extend((y, depth) for y in (x.values() if isinstance(x, dict) else x))
    return deepest


_DIGIT = re.compile(r"\d")


def count_digits(text: str) -> int:
    """The decimal digits in a number as written ('-0.0370e-2' has 6)."""
    return len(_DIGIT.findall(text))


class NotInBrowserError(RuntimeError):
    """A part of tracegrad that cannot run in a browser (Pyodide) was called there."""


def refuse_in_browser(what: str, why: str) -> None:
    """Raise NotInBrowserError, one line naming ``what`` and ``why``, when running in Pyodide.

    The heavy or platform-bound parts call this first (``--jobs``, the compiled tape, the
    PyTorch bridge), so a learner in the browser reads the reason, not a missing module.
    """
    if IN_BROWSER:
        raise NotInBrowserError(
            f"{what} does not run in the browser (Pyodide): {why}; run it with Python installed"
        )

"""Untrusted text out, files written safely: the one place for both (the lowest layer).

Text that came from a file (a sheet's title, answer names and notes, file names, error
reasons) is passed through one of these before it is printed or written:

- ``printable(text)``: control characters shown visibly. C0 controls except newline and tab,
  DEL, C1, line/paragraph separators and bidirectional overrides become ``\\x1b``-style
  escapes; a carriage return is shown as ``\\r``; a lone surrogate (how Python reads the bytes
  of a file name that is not UTF-8) is shown as the byte it stands for, ``\\xff``, never as a
  raw surrogate. ``line=True`` also shows newlines and tabs (a one-line field: a title or
  a file name cannot fake a second line of a report).
- ``md_text(text)``: printable, one line, HTML escaped (``&lt;script&gt;``) and the
  markdown that makes links, emphasis, code spans and table cells (``[ ] * _ ` | \\ ~``)
  backslash-escaped. ``md_code(text)``: a whole code span whose fence is longer than any run
  of backticks inside, so the text cannot close it. ``md_fence(text)``: the same for blocks.
- ``csv_cell(value)``: OWASP's rule: a text cell starting with ``= + - @`` (or a tab or a
  carriage return) gets a leading ``'``; numbers, and text that is a plain number such as
  ``-0.5``, stay as they are.
- ``json_safe(data)``/``dumps_json(data)``: strict JSON. Strings are made printable; a
  non-finite number (NaN, an overflow to infinity) becomes ``null`` and the object holding it
  gets ``"not_finite": {"key": "inf"}``, the reason; ``allow_nan=False`` guards the rest.

Files: ``write_atomic(path, data, inputs=...)`` writes a temporary file in the target's folder,
fsyncs it and ``os.replace``-s the target, so a full disk or a kill leaves an existing file as
it was. It never writes through a symbolic link: a link to a file (or a dangling one) is
refused with an ``OutputError`` (the one exception: a link to a pipe or a device, such as
``/dev/stdout``, which is written in place as a stream). It refuses to replace one of the
command's own ``inputs`` (compared by device and inode). ``check_output(path)`` makes the same
checks without writing, for commands to call before any work starts.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import re
import secrets
import stat
from collections.abc import Iterable
from pathlib import Path
from typing import Any, Union

__all__ = [
    "OutputError",
    "printable",
    "md_text",
    "md_code",
    "md_fence",
    "csv_cell",
    "json_safe",
    "dumps_json",
    "check_output",
    "write_atomic",
]

PathLike = Union[str, "os.PathLike[str]"]

# C0 but newline and tab, DEL, C1, NEL-like separators, bidi embeddings/overrides/isolates,
# lone surrogates. Newline and tab are added for one-line fields.
_UNSAFE = "\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff"
_BLOCK = re.compile(f"[{_UNSAFE}]")
_LINE = re.compile(f"[{_UNSAFE}\n\t]")
_NAMED = {"\n": "\\n", "\t": "\\t", "\r": "\\r"}


def _escape(match: re.Match[str]) -> str:
    c = match.group()
    if c in _NAMED:
        return _NAMED[c]
    n = ord(c)
    if 0xDC80 <= n <= 0xDCFF:  # a byte that was not UTF-8 (surrogateescape): show the byte
        return f"\\x{n - 0xDC00:02x}"
    return f"\\x{n:02x}" if n <= 0xFF else f"\\u{n:04x}"


def printable(text: object, *, line: bool = False) -> str:
    """``text`` with every control character shown as a visible escape (see the module)."""
    s = str(text)
    return (_LINE if line else _BLOCK).sub(_escape, s)


_MD_ENTITIES = {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;"}
_MD_SPECIAL = re.compile(r"[&<>\"\\`*_\[\]|~]")


def md_text(text: object) -> str:
    """One line of untrusted text for markdown: no HTML, no link, no code span, no cell break."""
    s = printable(text, line=True)
    return _MD_SPECIAL.sub(lambda m: _MD_ENTITIES.get(m.group(), "\\" + m.group()), s)


def _ticks(s: str) -> str:
    runs = [len(r) for r in re.findall(r"`+", s)]
    return "`" * (max(runs, default=0) + 1)


def md_code(text: object) -> str:
    """A complete inline code span holding ``text`` (one line); ``|`` escaped for tables."""
    s = printable(text, line=True).replace("|", "\\|")
    fence = _ticks(s)
    pad = " " if s.startswith(("`", " ")) or s.endswith(("`", " ")) or not s else ""
    return f"{fence}{pad}{s}{pad}{fence}"


def md_fence(text: object) -> str:
    """A fenced code block holding ``text`` (several lines); nothing inside can close it."""
    s = printable(text)
    fence = "`" * max(3, len(_ticks(s)))
    return f"{fence}\n{s}\n{fence}"


_NUMBER = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: Any) -> Any:
    """A CSV cell that a spreadsheet shows and never runs (OWASP's leading ``'``)."""
    if value is None or isinstance(value, (bool, int, float)):
        return value
    s = printable(value, line=True)
    if s.startswith(_FORMULA_START) and not _NUMBER.fullmatch(s):
        return "'" + s
    return s


def _not_finite(x: float) -> str:
    return "nan" if math.isnan(x) else ("inf" if x > 0 else "-inf")


def json_safe(data: Any) -> Any:
    """``data`` with strings made printable and non-finite numbers ``null`` with a reason."""
    if isinstance(data, str):
        return printable(data)
    if isinstance(data, float) and not math.isfinite(data):
        return None
    if isinstance(data, dict):
        out = {printable(k): json_safe(v) for k, v in data.items()}
        bad = {
            printable(k): _not_finite(v)
            for k, v in data.items()
            if isinstance(v, float) and not math.isfinite(v)
        }
        if bad:
            out["not_finite"] = bad
        return out
    if isinstance(data, (list, tuple)):
        return [json_safe(v) for v in data]
    return data


def dumps_json(data: Any, **kwargs: Any) -> str:
    """Strict JSON text of ``data`` (no NaN, no Infinity, no raw control characters)."""
    return json.dumps(json_safe(data), allow_nan=False, **kwargs)


class OutputError(OSError):
    """A file the project was asked to write but will not (a link, a folder, an input...)."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else "cannot write"


def _is_stream(p: Path) -> bool:
    """A pipe, socket or device (``/dev/stdout``): written in place, never replaced."""
    try:
        mode = os.stat(p).st_mode
    except OSError:
        return False
    return not stat.S_ISREG(mode) and not stat.S_ISDIR(mode)


def check_output(path: PathLike, *, inputs: Iterable[PathLike] = ()) -> Path:
    """Raise ``OutputError`` (naming ``path``) unless ``write_atomic`` could write it.

    Call it before the work starts: the folder must exist, the name must not be a folder, a
    link (but to a stream) or one of ``inputs``.
    """
    out = Path(path)
    shown = printable(os.fspath(path), line=True)
    if not os.fspath(path) or not out.name:
        raise OutputError(f"{shown!r} is not a file name")
    if out.is_symlink() and not _is_stream(out):
        raise OutputError(
            f"{shown}: is a symbolic link; tracegrad never writes through a link "
            "(remove it or choose another name)"
        )
    folder = out.parent
    if not folder.is_dir():
        raise OutputError(f"{shown}: no folder {printable(str(folder), line=True)!r}")
    if out.is_dir():
        raise OutputError(f"{shown}: is a folder; give a file name")
    if out.exists() and any(_same(out, given) for given in inputs):
        raise OutputError(f"{shown}: is one of this command's inputs; choose another name")
    return out


def _same(a: PathLike, b: PathLike) -> bool:
    """The same file (device and inode: a hard link or another spelling counts)."""
    try:
        return os.path.samefile(a, b)
    except OSError:
        return False


def write_atomic(
    path: PathLike, data: str | bytes, *, inputs: Iterable[PathLike] = (), mode: int | None = None
) -> Path:
    """Write ``data`` to ``path`` so that a failed or killed write leaves the old file intact.

    The data goes to a temporary file in the same folder, is flushed and fsync'ed, and only
    then replaces ``path`` (``os.replace`` is atomic on one file system); an existing file
    keeps its permissions; ``mode`` (0o600 for a secret) sets them from the first byte on,
    whatever the umask. Refused with ``OutputError``: see ``check_output``. A pipe or a
    device is written in place. An ``OSError`` while writing names ``path``, never the
    temporary file, and leaves no temporary file behind.
    """
    out = check_output(path, inputs=inputs)
    raw = data.encode("utf-8") if isinstance(data, str) else data
    if _is_stream(out):
        with open(out, "wb") as f:  # safety: the one place a file is opened for writing
            f.write(raw)
        return out
    tmp = out.parent / f".{out.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp"
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666 if mode is None else mode)
        try:
            with os.fdopen(fd, "wb") as f:
                if mode is not None:
                    os.fchmod(f.fileno(), mode)
                f.write(raw)
                f.flush()
                os.fsync(f.fileno())
            with contextlib.suppress(FileNotFoundError):
                if mode is None:
                    os.chmod(tmp, os.stat(out).st_mode & 0o7777)
            os.replace(tmp, out)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise
    except OutputError:
        raise
    except OSError as exc:
        if exc.errno is None:
            raise
        raise OSError(exc.errno, exc.strerror, printable(os.fspath(path), line=True)) from None
    with contextlib.suppress(OSError):  # make the rename itself durable
        dir_fd = os.open(out.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)
    return out

"""Who is who in a class: student IDs, the course secret, and who handed a sheet in.

- ``check_id``: a student ID that is a safe folder name; ``id_clash``: two IDs that one
  case-insensitive file system (macOS, Windows) would make one folder.
- ``course_secret(given, file)``: the course secret from ``--secret``, ``--secret-file`` or the
  ``TRACEGRAD_COURSE_SECRET`` environment variable, refused when it is too short to hold
  ``MIN_SECRET_BITS`` bits (``secret_problem``), whichever way it came; ``new_secret_file``
  makes a fresh one (the ``secrets`` module) into a file only its owner can read.
- ``submitter_problem(recorded, submitter)``: why a sheet that records one student cannot be
  graded as another's (a classmate's sheet handed in whole), None when they are the same.
"""

from __future__ import annotations

import math
import os
import re
import secrets
import string
from pathlib import Path

from tracegrad.autograd.limits import LIMITS, UnreadableFile, read_limited
from tracegrad.autograd.safety import printable, write_atomic

__all__ = [
    "SECRET_ENV",
    "MIN_SECRET_BITS",
    "KitError",
    "check_id",
    "id_key",
    "id_clash",
    "secret_bits",
    "secret_problem",
    "read_secret_file",
    "course_secret",
    "new_secret_file",
    "submitter_of",
    "submitter_problem",
]

SECRET_ENV = "TRACEGRAD_COURSE_SECRET"
MIN_SECRET_BITS = 128  # what secrets.token_urlsafe(16) gives: 22 url-safe characters
MIN_SECRET_KINDS = 10  # different characters: 'aaaa...' or 'abab...' holds no 128 bits
_SECRET_BYTES = 32  # a new secret: 43 url-safe characters, 256 bits
_ID = re.compile(r"^[A-Za-z0-9@._+-]{1,64}$")
_CLASSES = (string.ascii_lowercase, string.ascii_uppercase, string.digits)
_HANDED_IN = ("blank", "key", "submission")  # a sheet named so takes its folder's name


class KitError(ValueError):
    """Bad input to the course kit (an ID, a roster, the secret): one line."""


def check_id(student: str, where: str) -> str:
    """A student ID that is a safe folder name: letters, digits and @ . _ + -, at most 64,
    not '.' or '..' and not starting with '.'."""
    if not _ID.match(student) or student.startswith("."):
        shown = printable(repr(student), line=True)
        raise KitError(
            f"{where}: student ID {shown} is not a safe folder name (1 to 64 letters, digits "
            "and @ . _ + -, not starting with '.')"
        )
    return student


def id_key(student: str) -> str:
    """The form two IDs share when a case-insensitive file system makes them one folder."""
    return student.casefold()


def id_clash(named: list[tuple[str, str]]) -> None:
    """KitError naming both places when two IDs are one folder on some file system
    (``named``: (ID, where it was given) pairs, e.g. ('alice', 'roster.csv: row 2'))."""
    seen: dict[str, tuple[str, str]] = {}
    for student, where in named:
        first, at = seen.setdefault(id_key(student), (student, where))
        if (first, at) == (student, where):
            continue
        if first == student:
            raise KitError(f"{where}: student ID {student!r} is given twice (first at {at})")
        raise KitError(
            f"{where}: student ID {student!r} and {first!r} ({at}) differ only in case: one "
            "folder on macOS and Windows, where the second would replace the first's files"
        )


# ---------------------------------------------------------------- the course secret
def secret_bits(secret: str) -> float:
    """An upper bound of the bits a secret can hold: its length times log2 of its alphabet
    (lowercase, uppercase, digits, and 33 for all other characters together)."""
    pool = sum(len(c) for c in _CLASSES if any(ch in c for ch in secret))
    if any(not any(ch in c for c in _CLASSES) for ch in secret):
        pool += 33
    return len(secret) * math.log2(pool) if pool > 1 else 0.0


def secret_problem(secret: str) -> str | None:
    """Why a course secret is too weak to keep the variants and keys from the students (from
    one student's own sheet and the template a search tries every short secret), or None."""
    if secret_bits(secret) < MIN_SECRET_BITS or len(set(secret)) < MIN_SECRET_KINDS:
        return (
            f"a course secret of {len(secret)} characters is too short to hold "
            f"{MIN_SECRET_BITS} bits: a student could find it from their own sheet; use at "
            "least 22 random url-safe characters (`tracegrad assign ... --new-secret-file "
            "FILE` makes one)"
        )
    return None


def read_secret_file(path: str) -> str:
    """The secret in a file, one trailing newline dropped (``echo S > FILE`` adds it)."""
    try:
        text = read_limited(path, LIMITS["homework_bytes"], "course secret")
    except UnreadableFile as exc:
        raise KitError(f"--secret-file {exc}") from None
    return text[:-2] if text.endswith("\r\n") else text[:-1] if text.endswith("\n") else text


def course_secret(given: str | None = None, file: str | None = None) -> str:
    """The course secret: ``--secret`` (given), or the file ``--secret-file`` names, or the
    TRACEGRAD_COURSE_SECRET environment variable; KitError when there is none, when more
    than one option gives it, or when it is too weak (``secret_problem``)."""
    if given is not None and file is not None:
        raise KitError("give the course secret once: --secret or --secret-file, not both")
    if file is not None:
        secret, how = read_secret_file(file), f"--secret-file {printable(file, line=True)}"
    elif given is not None:
        secret, how = given, "--secret"
    else:
        secret, how = os.environ.get(SECRET_ENV, ""), SECRET_ENV
    if not secret:
        raise KitError(
            f"no course secret: give --secret-file FILE (or --secret S, or set {SECRET_ENV}); "
            "the same secret always gives the same variants: keep it from the students"
        )
    why = secret_problem(secret)
    if why is not None:
        raise KitError(f"{how}: {why}")
    return secret


def new_secret_file(path: str) -> str:
    """A new course secret (256 bits from ``secrets``) written to a new file only its owner
    can read or write (mode 0600); KitError when the file exists."""
    if os.path.lexists(path):
        raise KitError(
            f"--new-secret-file {printable(path, line=True)}: already exists; a new secret is "
            "never written over an old one (read it with --secret-file)"
        )
    secret = secrets.token_urlsafe(_SECRET_BYTES)
    while secret.startswith("-"):  # pasted after --secret, a leading '-' reads as an option
        secret = secrets.token_urlsafe(_SECRET_BYTES)
    write_atomic(path, secret + "\n", mode=0o600)
    return secret


# ---------------------------------------------------------------- who handed it in
def submitter_of(path: str) -> str:
    """Who handed a sheet in, as its place says: the folder of ``ID/blank.toml`` (also
    ``key.toml``, ``submission.toml``), else the file's own name (``ID.toml``)."""
    p = Path(path)
    return p.parent.name if p.stem in _HANDED_IN and p.parent.name else p.stem


def submitter_problem(recorded: str, submitter: str) -> str | None:
    """Why a sheet whose ``[variant]`` records ``recorded`` cannot be graded as the work of
    ``submitter`` (a classmate's sheet handed in whole), None when they are one student."""
    if id_key(recorded) == id_key(submitter):
        return None
    return (
        f"handed in by {printable(submitter, line=True)}, but it is the sheet of "
        f"{printable(recorded, line=True)}: a sheet is graded only for the student it was "
        "assigned to (0 points)"
    )

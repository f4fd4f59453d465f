"""Homework sheets that ship with tracegrad: ``tracegrad examples`` lists or copies them.

``tracegrad check --example student_wrong`` checks one by name, from any folder.
"""

from __future__ import annotations

import os
from pathlib import Path

from tracegrad.autograd.safety import write_atomic

FOLDER = Path(__file__).resolve().parent
SCHEMA = "homework.schema.json"  # the sheets' first line points editors at it: #:schema


def names() -> list[str]:
    """The shipped homework sheets, by name (the file name without .toml)."""
    return sorted(p.stem for p in FOLDER.glob("*.toml"))


def path(name: str) -> Path:
    """The file of the shipped sheet ``name`` (``student_wrong``, ``student_wrong.toml``, or
    the start of one name only: ``seed`` is ``seed_article``)."""
    stem = name[:-5] if name.endswith(".toml") else name
    known = names()
    if stem not in known:
        starts = [n for n in known if stem and n.startswith(stem)]
        if len(starts) > 1:  # 'seed' is seed_article, not seed_article_template
            starts = [n for n in starts if not n.endswith("_template")] or starts
        if len(starts) != 1:
            raise KeyError(f"no example named {name!r} (the examples: {', '.join(known)})")
        stem = starts[0]
    return FOLDER / f"{stem}.toml"


def copy_to(folder: str | Path) -> list[Path]:
    """Copy every shipped sheet, its README and the sheets' JSON Schema into ``folder``; never
    overwrite a file there.

    A name already taken in ``folder`` (a file, a folder, a link, even a dangling one) stops
    the copy before anything is written; each copy goes through ``safety.write_atomic``.
    """
    if not str(folder):
        raise ValueError("the folder name is empty")
    dest = Path(folder)
    dest.mkdir(parents=True, exist_ok=True)
    sources = [FOLDER / f"{n}.toml" for n in names()] + [FOLDER / "README.md", FOLDER / SCHEMA]
    clash = [dest / s.name for s in sources if os.path.lexists(dest / s.name)]
    if clash:
        raise FileExistsError(f"{clash[0]} already exists; nothing was copied")
    copied = []
    for src in sources:
        copied.append(write_atomic(dest / src.name, src.read_bytes()))
    return copied

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


TEMPLATES = "templates"  # the copied folder's subfolder for the course templates


def is_template(name: str) -> bool:
    """A course template (givens as ranges, for ``tracegrad assign``), not a sheet to check."""
    return name.endswith("_template")


def copy_to(folder: str | Path) -> list[Path]:
    """Copy every shipped sheet, its README and the sheets' JSON Schema into ``folder``, and
    the course templates into its ``templates/`` subfolder (so ``tracegrad check DIR/*.toml``
    checks the sheets only); never overwrite a file there.

    A name already taken in ``folder`` (a file, a folder, a link, even a dangling one) stops
    the copy before anything is written; each copy goes through ``safety.write_atomic``.
    """
    if not str(folder):
        raise ValueError("the folder name is empty")
    dest = Path(folder)
    dest.mkdir(parents=True, exist_ok=True)
    sources = [FOLDER / f"{n}.toml" for n in names()] + [FOLDER / "README.md", FOLDER / SCHEMA]
    targets = [dest / TEMPLATES / s.name if is_template(s.stem) else dest / s.name for s in sources]
    clash = [t for t in targets if os.path.lexists(t)]
    if clash:
        raise FileExistsError(f"{clash[0]} already exists; nothing was copied")
    copied = []
    for src, target in zip(sources, targets):
        target.parent.mkdir(exist_ok=True)
        copied.append(write_atomic(target, src.read_bytes()))
    return copied

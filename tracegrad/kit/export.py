"""What both course-platform exports need: tracegrad's own files as a wheel, the secret read
from a file, a roster with e-mail addresses; and Gradescope's autograder.zip.

- ``package_files()``: every file of the installed package, laid out as installed
  (``tracegrad/autograd/value.py``), whether tracegrad runs from a wheel, an editable install
  or a checkout. The Gradescope zip installs them as a wheel (``build_wheel``), the
  PrairieLearn export copies them into the course (``serverFilesCourse/tracegrad/``).
- ``read_submitters(path)``: assign's roster (an ``id`` or ``student_id`` column) with an
  ``email`` column and an optional ``sid`` column: who may hand in, and the ID of each.
- ``gradescope_zip(...)``: Gradescope's autograder.zip (``setup.sh``, ``run_autograder``,
  the wheels, the template, the roster and the secret); what ``run_autograder`` runs is
  ``tracegrad.kit.autograder``.

The secret and roster readers stand in for the course kit's own (issue 32 adds reading a
secret from a file and checking its strength); they are kept here, small, so they can be
swapped for those.
"""

from __future__ import annotations

import base64
import hashlib
import importlib.util
import io
import json
import sys
import zipfile
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

from tracegrad.autograd.safety import printable
from tracegrad.kit.assign import MAX_STUDENTS, KitError, check_id, roster_rows
from tracegrad.kit.trust import id_clash

__all__ = [
    "MAPPED",
    "DATA_SUFFIXES",
    "Submitter",
    "package_files",
    "build_wheel",
    "installed_wheel",
    "read_submitters",
    "tracegrad_wheel",
    "gradescope_zip",
    "SETUP_SH",
    "RUN_AUTOGRADER",
]

# pyproject.toml's package-dir: these repository folders are installed inside tracegrad/
MAPPED = ("autograd", "nn", "examples")
# the files a package folder ships (pyproject.toml's package-data, and the modules)
DATA_SUFFIXES = (".py", ".toml", ".md", ".json", ".js", ".css")
_STAMP = (1980, 1, 1, 0, 0, 0)  # every file of a zip we write: the same bytes on every run


# ---------------------------------------------------------------- the package as files
def _folder(package: str) -> Path:
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise KitError(f"cannot find the installed package {package}")
    return Path(list(spec.submodule_search_locations)[0])


def _packages(package: str, folder: Path) -> list[tuple[str, Path]]:
    """(dotted name, folder) of ``package`` and every package below it."""
    found = [(package, folder)]
    children = sorted(p.name for p in folder.iterdir() if (p / "__init__.py").is_file())
    if package == "tracegrad":
        children = sorted({*children, *MAPPED})
    for child in children:
        name = f"{package}.{child}"
        found += _packages(name, _folder(name))
    return found


def package_files() -> list[tuple[str, bytes]]:
    """(path as installed, content) of every file tracegrad ships, sorted by path."""
    files = []
    for name, folder in _packages("tracegrad", _folder("tracegrad")):
        prefix = name.replace(".", "/")
        for f in sorted(folder.iterdir()):
            if f.is_file() and f.suffix in DATA_SUFFIXES:
                files.append((f"{prefix}/{f.name}", f.read_bytes()))
    return sorted(files)


# ---------------------------------------------------------------- wheels
def _zip(files: list[tuple[str, bytes]]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in files:
            info = zipfile.ZipInfo(name, _STAMP)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = (0o755 if name.endswith(("setup.sh", "run_autograder"))
                                  else 0o644) << 16  # fmt: skip
            z.writestr(info, data)
    return buf.getvalue()


def build_wheel(
    name: str, version: str, files: list[tuple[str, bytes]], requires: list[str], extra: str = ""
) -> tuple[str, bytes]:
    """A pure-Python wheel (PEP 427) of ``files``: (its file name, its bytes)."""
    info = f"{name}-{version}.dist-info"
    meta = [
        "Metadata-Version: 2.1",
        f"Name: {name}",
        f"Version: {version}",
        *(f"Requires-Dist: {r}" for r in requires),
    ]
    wheel = ["Wheel-Version: 1.0", "Generator: tracegrad export", "Root-Is-Purelib: true",
             "Tag: py3-none-any"]  # fmt: skip
    body = [*files, (f"{info}/METADATA", ("\n".join(meta) + "\n").encode()),
            (f"{info}/WHEEL", ("\n".join(wheel) + "\n").encode())]  # fmt: skip
    if extra:
        body.append((f"{info}/entry_points.txt", extra.encode()))
    record = []
    for path, data in body:
        digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
        record.append(f"{path},sha256={digest},{len(data)}")
    record.append(f"{info}/RECORD,,")
    body.append((f"{info}/RECORD", ("\n".join(record) + "\n").encode()))
    return f"{name}-{version}-py3-none-any.whl", _zip(body)


def tracegrad_wheel() -> tuple[str, bytes]:
    """tracegrad's wheel, written from the files it runs from (no build tools, no network)."""
    try:
        dist = metadata.distribution("tracegrad")
        requires, version = dist.requires or [], dist.version
    except metadata.PackageNotFoundError:  # run from a checkout: the same files, no metadata
        # the version of the package this module sits in (imported before any of its modules)
        requires, version = [], sys.modules["tracegrad"].__version__
    scripts = "[console_scripts]\ntracegrad = tracegrad.cli:main\n"
    return build_wheel("tracegrad", version, package_files(), requires, scripts)


def installed_wheel(dist: str) -> tuple[str, bytes] | None:
    """A package installed here (tomli) as a pure wheel of its Python files (a compiled
    speed-up module beside them, as mypyc builds tomli, is left out: the sources run on any
    Python); None when it is not installed."""
    try:
        d = metadata.distribution(dist)
    except metadata.PackageNotFoundError:
        return None
    files = []
    for f in d.files or []:
        path = str(f)
        keep = ".dist-info/licenses/" in path  # its licence travels with it
        if (".dist-info/" in path and not keep) or path.startswith("..") or "__pycache__" in path:
            continue
        if path.endswith((".so", ".pyd", ".pyc")):
            continue
        files.append((path.replace("\\", "/"), Path(str(f.locate())).read_bytes()))
    return build_wheel(d.metadata["Name"], d.version, sorted(files), [])


# ---------------------------------------------------------------- the secret, the roster
@dataclass(frozen=True)
class Submitter:
    """One roster row: the ID the variant is drawn for, the e-mail and sid it is matched by."""

    id: str
    email: str
    sid: str = ""


def read_submitters(path: str) -> list[Submitter]:
    """A roster CSV with a header: ``id`` or ``student_id``, ``email``, optionally ``sid``.
    Every ID is a safe folder name, every ID and e-mail given once; KitError (one line) if
    not."""
    where = printable(path, line=True)
    rows = roster_rows(path)
    if len(rows) > MAX_STUDENTS + 1:
        raise KitError(f"{where}: {len(rows) - 1} students: at most {MAX_STUDENTS} at once")
    header = [c.strip().lower() for c in rows[0][1]] if rows else []
    id_col = next((c for c in ("id", "student_id") if c in header), None)
    if id_col is None or "email" not in header:
        raise KitError(f"{where}: the roster needs a header with id (or student_id) and email")
    cols = {k: header.index(k) for k in (id_col, "email", "sid") if k in header}
    out: list[Submitter] = []
    seen: dict[str, int] = {}
    for no, row in rows[1:]:
        cell = {k: (row[i].strip() if i < len(row) else "") for k, i in cols.items()}
        out.append(_submitter(cell[id_col], cell["email"].lower(), cell.get("sid", ""),
                              f"{where}: row {no}"))  # fmt: skip
        for key in (f"id {out[-1].id}", f"email {out[-1].email}"):
            if key in seen:
                raise KitError(f"{where}: rows {seen[key]} and {no} give the same {key}")
            seen[key] = no
    if not out:
        raise KitError(f"{where}: the roster has no students")
    # IDs differing only in case draw different variants but share one folder on some systems
    id_clash([(s.id, f"{where}: row {no}") for s, (no, _) in zip(out, rows[1:])])
    return out


def _submitter(student: str, email: str, sid: str, where: str) -> Submitter:
    check_id(student, where)
    if "@" not in email or len(email) > 254:
        raise KitError(f"{where}: {printable(repr(email), line=True)} is not an e-mail address")
    return Submitter(student, email, sid)


# ---------------------------------------------------------------- Gradescope's zip
SETUP_SH = """#!/usr/bin/env bash
# Written by `tracegrad export gradescope`. Gradescope runs it once, in /autograder/source,
# when it builds the autograder: it installs tracegrad from the wheel in this zip into
# /autograder/source/lib with the image's own python3 (3.10 or later) and pip. No network,
# no apt-get (tomli's wheel comes too, for Python 3.10). It then imports the grader once, so
# an image that lacks something the grader needs fails here, where the TA sees it.
set -euo pipefail
cd "$(dirname "$0")"
python3 -c 'import sys; sys.exit(0 if sys.version_info >= (3, 10) else
    "tracegrad needs Python 3.10 or later; this image has " + sys.version.split()[0])'
wheels=(tracegrad-*.whl)
if ! python3 -c 'import tomllib' 2>/dev/null; then
    if ! ls tomli-*.whl >/dev/null 2>&1; then
        echo "Python 3.10 reads TOML with tomli, and this zip has no tomli wheel:" \\
             "export it again where tomli is installed" >&2
        exit 1
    fi
    wheels+=(tomli-*.whl)
fi
if python3 -m pip --version >/dev/null 2>&1; then pip=(python3 -m pip); else pip=(pip3); fi
rm -rf lib
"${pip[@]}" install --no-index --no-deps --disable-pip-version-check --target lib "${wheels[@]}"
# the grader as run_autograder runs it: fail here, where the TA sees it, rather than per student
python3 -s -E -c 'import sys; sys.path.insert(0, "lib"); import tracegrad.kit.autograder' || {
    echo "tracegrad's grader does not import on this image (the error is above)" >&2
    exit 1
}
"""

RUN_AUTOGRADER = """#!/usr/bin/env bash
# Written by `tracegrad export gradescope`. Gradescope runs it for every submission: it grades
# the sheet in /autograder/submission/ for the student /autograder/submission_metadata.json
# names and writes /autograder/results/results.json. TRACEGRAD_AUTOGRADER_ROOT (default
# /autograder) moves that whole tree, to try the autograder out on a computer of your own.
root="${TRACEGRAD_AUTOGRADER_ROOT:-/autograder}"
mkdir -p "$root/results"
TRACEGRAD_AUTOGRADER_ROOT="$root" TRACEGRAD_LIB="$root/source/lib" python3 -s -E -c '
import os, sys
sys.path.insert(0, os.environ["TRACEGRAD_LIB"])
from tracegrad.kit.autograder import main
sys.exit(main())'
if [ ! -s "$root/results/results.json" ]; then
    echo '{"score": 0.0, "tests": [], "output_format": "text", "visibility": "visible",' \\
         '"stdout_visibility": "hidden",' \\
         '"output": "The autograder could not run (see its log): tell your TA."}' \\
         > "$root/results/results.json"
fi
"""


def gradescope_zip(template: str, roster: list[Submitter], secret: str) -> tuple[bytes, list[str]]:
    """The autograder.zip's bytes and the names of its files. ``template`` is the template
    file itself: its bytes go in unchanged, so every variant is the one ``assign`` drew."""
    with open(template, "rb") as fh:
        template_bytes = fh.read()
    rows = [{"id": s.id, "email": s.email, "sid": s.sid} for s in roster]
    files = [
        ("setup.sh", SETUP_SH.encode()),
        ("run_autograder", RUN_AUTOGRADER.encode()),
        tracegrad_wheel(),
        ("template.toml", template_bytes),
        ("roster.json", (json.dumps(rows, indent=1) + "\n").encode()),
        ("course_secret", secret.encode()),
    ]
    tomli = installed_wheel("tomli")
    if tomli is not None:
        files.insert(3, tomli)
    return _zip(files), [name for name, _ in files]

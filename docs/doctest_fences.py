"""A Griffe extension for the site's API reference (mkdocs.yml: mkdocstrings' `extensions`).

tracegrad's docstrings show examples as doctest sessions (``>>>`` lines and their output, which
the tests execute). Markdown would read ``>>>`` as three nested quotes, so each session, up to
the next blank line, is put in a fenced ``pycon`` block before the docstring is rendered.
"""

from __future__ import annotations

from typing import Any

try:
    from griffe import Extension
except ImportError:  # tests/test_docs_api.py reads fence_sessions without the docs extra
    Extension = object  # type: ignore[assignment,misc]


def fence_sessions(text: str) -> str:
    """The docstring with every ``>>>`` session (up to a blank line) in a ```pycon fence."""
    out: list[str] = []
    indent: str | None = None
    for line in text.splitlines():
        starts = line.lstrip().startswith(">>>")
        if indent is None and starts:
            indent = line[: len(line) - len(line.lstrip())]
            out.append(f"{indent}```pycon")
        elif indent is not None and not line.strip():
            out.append(f"{indent}```")
            indent = None
        out.append(line)
    if indent is not None:
        out.append(f"{indent}```")
    return "\n".join(out)


class DoctestFences(Extension):  # type: ignore[misc,valid-type]
    def on_instance(self, *, obj: Any, **kwargs: Any) -> None:
        if obj.docstring is not None and ">>>" in obj.docstring.value:
            obj.docstring.value = fence_sessions(obj.docstring.value)

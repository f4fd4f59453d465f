"""MkDocs hooks of tracegrad's site (mkdocs.yml: `hooks`): the parts of pages made from the code.

- `<!-- tracegrad:cli NAME -->` in a page becomes the help of `tracegrad NAME`, from argparse
  (`tracegrad.cli.build_parser`), so the CLI reference is what `tracegrad NAME --help` prints.
- `<!-- tracegrad:ops -->` becomes the table of operations, from `tracegrad.autograd.OPS`.
- The notebooks in the repository's `notebooks/` are added as pages under `notebooks/`
  (mkdocs-jupyter renders them, executed at build time: they are committed without outputs).
  A notebook's link to another notebook (`03_xor_and_hidden_layers.ipynb`, right in Jupyter)
  is written as the site serves that notebook (`../03_xor_and_hidden_layers/`): MkDocs does
  not check links inside a notebook, `tests/test_site.py` does.

A marker naming no command is an error, so the build fails instead of printing a stale page.
`tests/test_docs_api.py` imports this file to check the reference against the public API; it
imports MkDocs only where MkDocs calls it, so `make test` runs without the docs extra.
"""

from __future__ import annotations

import argparse
import os
import re
from pathlib import Path
from typing import Any

from tracegrad.autograd import OPS

from tracegrad.cli import build_parser

ROOT = Path(__file__).resolve().parent.parent
CLI_MARKER = re.compile(r"<!-- tracegrad:cli ([\w-]+) -->")
OPS_MARKER = "<!-- tracegrad:ops -->"
HELP_COLUMNS = "88"  # the width argparse wraps the help to, whatever the terminal


def subcommands() -> dict[str, argparse.ArgumentParser]:
    """Every `tracegrad` subcommand's parser, by name, in the order `tracegrad --help` lists."""
    parser = build_parser()
    for action in parser._actions:  # argparse keeps its subparsers in a private list
        if isinstance(action, argparse._SubParsersAction):
            return dict(action.choices)
    raise LookupError("tracegrad's parser has no subcommands")


def cli_help(name: str) -> str:
    """What `tracegrad NAME --help` prints, wrapped at HELP_COLUMNS columns."""
    parsers = subcommands()
    if name not in parsers:
        have = ", ".join(parsers)
        raise LookupError(f"<!-- tracegrad:cli {name} -->: no such command (have {have})")
    old = os.environ.get("COLUMNS")
    os.environ["COLUMNS"] = HELP_COLUMNS
    try:
        return parsers[name].format_help()
    finally:
        if old is None:
            del os.environ["COLUMNS"]
        else:
            os.environ["COLUMNS"] = old


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("*", "\\*") if text else ""


def _code(text: str) -> str:
    return f"`{text}`" if text else ""


def ops_table() -> str:
    """The table of operations as a Markdown table: one row per `Op` in `OPS`, its partial
    derivatives with respect to its inputs `a` and `b` as the row writes them."""
    rows = [
        "| op | written | d/da | d/db | defined for | method |",
        "|---|---|---|---|---|---|",
    ]
    for op in OPS.values():
        partials = [_code(op.partial_text(i, ("a", "b"))) for i in range(op.arity)]
        partials += [""] * (2 - op.arity)
        where = _cell(op.domain) or "everywhere"
        if op.note:
            where += f"; {_cell(op.note)}"
        rows.append(
            f"| `{op.name}` {_code(op.symbol)} | {_code(op.template)} | {' | '.join(partials)} "
            f"| {where} | {_code('Value.' + op.method) if op.method else ''} |"
        )
    return "\n".join(rows)


def expand(markdown: str) -> str:
    """A page's Markdown with every marker replaced by what the code says."""
    markdown = CLI_MARKER.sub(lambda m: f"```text\n{cli_help(m.group(1))}```", markdown)
    return markdown.replace(OPS_MARKER, ops_table())


def on_page_markdown(markdown: str, page: Any, **kwargs: Any) -> str:
    from mkdocs.exceptions import PluginError

    try:
        return expand(markdown)
    except LookupError as exc:
        raise PluginError(f"{page.file.src_uri}: {exc}") from None


def notebooks() -> list[Path]:
    return sorted((ROOT / "notebooks").glob("*.ipynb"))


def on_files(files: Any, config: Any, **kwargs: Any) -> Any:
    from mkdocs.structure.files import File

    for path in notebooks():
        files.append(
            File(
                f"notebooks/{path.name}",
                src_dir=str(ROOT),
                dest_dir=config["site_dir"],
                use_directory_urls=config["use_directory_urls"],
            )
        )
    return files


# before mkdocs-jupyter's on_files, which turns .ipynb files into pages (what MkDocs's
# event_priority(100) decorator sets)
on_files.mkdocs_priority = 100  # type: ignore[attr-defined]


NOTEBOOK_LINK = re.compile(r'href="(\d\d_\w+)\.ipynb(#[^"]*)?"')


def notebook_links(html: str, directory_urls: bool) -> str:
    """A rendered notebook's links to its sibling notebooks, as the site serves them."""

    def to(m: re.Match[str]) -> str:
        name, anchor = m.group(1), m.group(2) or ""
        return f'href="../{name}/{anchor}"' if directory_urls else f'href="{name}.html{anchor}"'

    return NOTEBOOK_LINK.sub(to, html)


def on_post_page(output: str, page: Any, config: Any, **kwargs: Any) -> str:
    if page.file.src_uri.startswith("notebooks/") and page.file.src_uri.endswith(".ipynb"):
        return notebook_links(output, config["use_directory_urls"])
    return output

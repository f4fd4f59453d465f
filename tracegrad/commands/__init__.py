"""The `tracegrad` subcommands: a registry of names and summaries, one module per command.

``SUMMARIES`` lists each command with the one line ``tracegrad --help`` shows, so the help
imports no command module. The command NAME is the module ``tracegrad.commands.NAME``, whose
``register(subparsers)`` adds its full parser (``help=SUMMARIES[NAME]``) and sets ``func``
(args -> exit status): ``tracegrad NAME ...`` imports that module only
(``tracegrad.cli.build_parser``), so a command pays for no other's imports.
"""

from typing import TYPE_CHECKING

from tracegrad.autograd import lazy_attribute

if TYPE_CHECKING:  # the names of _LAZY, for type checkers
    from tracegrad.commands._grading import run_grading

SUMMARIES: dict[str, str] = {
    "demo": "run the tour: the seed article's worked example and more",
    "draw": "draw the graph of an expression, with gradients, as SVG (or PNG/PDF)",
    "check": "check hand-derived homework answers (TOML) against the engine",
    "examples": "list the homework sheets that ship with tracegrad, or copy them to a folder",
    "solve": "work a homework file (TOML) in full: forward, loss, backward, gradients, updates",
    "schema": "print the JSON Schema of a homework sheet (editors validate sheets with it)",
    "explain": "show how a gradient is obtained, as a chain-rule derivation",
    "step": "write a web page that steps through the backward pass on the graph",
    "assign": "give every student their own numbers: a blank, a key and a question page each",
    "practice": "work out each gradient of the backward pass yourself, checked as you go",
    "export": "a template as a Gradescope autograder or a PrairieLearn question",
}

COMMANDS = [f"tracegrad.commands.{name}" for name in SUMMARIES]

# `check --format gradebook|gradescope` grades a class with the course kit: loaded only then
_LAZY: dict[str, str] = {"run_grading": "tracegrad.commands._grading"}


__all__ = ["SUMMARIES", "COMMANDS", "run_grading"]


def __getattr__(name: str) -> object:
    return lazy_attribute(__name__, _LAZY, name)

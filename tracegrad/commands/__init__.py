"""One module per `tracegrad` subcommand; each defines ``register(subparsers)``.

A module's ``register`` adds its parser and sets ``func`` (args -> exit status) on it. The
command NAME is the module ``tracegrad.commands.NAME``: ``tracegrad NAME ...`` imports that
module only (``tracegrad.cli.build_parser``), so a command pays for no other's imports.
"""

COMMANDS = [
    "tracegrad.commands.demo",
    "tracegrad.commands.draw",
    "tracegrad.commands.check",
    "tracegrad.commands.examples",
    "tracegrad.commands.solve",
    "tracegrad.commands.schema",
    "tracegrad.commands.explain",
    "tracegrad.commands.step",
    "tracegrad.commands.assign",
    "tracegrad.commands.practice",
    "tracegrad.commands.export",
]

"""One module per `tracegrad` subcommand; each defines ``register(subparsers)``.

A module's ``register`` adds its parser and sets ``func`` (args -> exit status) on it.
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
]

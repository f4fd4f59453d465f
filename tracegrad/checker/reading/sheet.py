"""What a loaded homework is: its typed description, its answers, and its one-line error.

``tracegrad.checker.reading.homework`` builds these from a TOML file; the worked solution
(``network.py``, ``expression.py``) and the marking (``diagnose.py``) read them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from tracegrad.autograd.parse import Expression
from tracegrad.checker.reading.figures import written_decimals

__all__ = [
    "HomeworkError",
    "Answer",
    "ExpressionSpec",
    "NetworkSpec",
    "SheetFile",
    "Homework",
    "located_error",
]


class HomeworkError(ValueError):
    """A homework file that cannot be checked; the message is one line (``file:line: what``)."""


@dataclass(frozen=True)
class Answer:
    """One number the student wrote: ``key`` as written, the quantity ``name`` it answers."""

    key: str  # the key exactly as in the file, e.g. 'dE/dw1 (update rule)'
    name: str  # without the note: 'dE/dw1'
    note: str  # the parenthesised note, '' when none
    step: int  # 1 for [answers], k for [answers.stepk]
    value: float
    text: str  # the number as written: '-0.0370'
    tolerance: float
    explicit: bool  # tolerance given in the file rather than read from the precision
    line: int | None

    @property
    def decimals(self) -> int | None:
        """Decimals written (4 for '0.5399'), None for an explicit tolerance or exponent form."""
        if self.explicit or "e" in self.text.lower():
            return None
        return written_decimals(self.text)

    @property
    def label(self) -> str:
        """How the report names it: the key, prefixed with the step when there are steps."""
        return self.key if self.step == 1 else f"step {self.step}: {self.key}"


@dataclass
class ExpressionSpec:
    """Variables with values and named expressions (each may use earlier ones)."""

    variables: dict[str, float]
    expressions: dict[str, Expression]


@dataclass
class NetworkSpec:
    """A fully connected network as the student's sheet has it, plus its training."""

    inputs: list[str]
    neurons: list[list[str]]  # per layer (hidden..., output)
    activations: list[str]  # per layer
    weights: list[list[list[float]]]  # per layer, per neuron, per input
    biases: list[list[float]]  # per layer, per neuron
    weight_names: list[list[list[str]]]
    bias_names: list[list[str]]
    samples: list[tuple[list[float], list[float]]]
    loss: str
    learning_rate: float
    steps: int
    frozen: list[str] = field(default_factory=list)  # parameters the update leaves alone

    @property
    def outputs(self) -> list[str]:
        return self.neurons[-1]

    @property
    def targets(self) -> list[str]:
        return [f"y{k + 1}" for k in range(len(self.outputs))]


@dataclass(frozen=True)
class SheetFile:
    """A sheet file being read: its path, the line of each key and, once known, its kind.
    What the reading steps name a line with; the Homework is built once, from what they read."""

    path: str
    lines: dict[tuple[str, ...], int] = field(default_factory=dict)
    kind: str = ""  # 'expression' or 'network', once the sections present say which

    def line_of(self, *path: str) -> int | None:
        """The line of the key ``path``, else of the nearest table or key around it."""
        for end in range(len(path), 0, -1):
            line = self.lines.get(tuple(path[:end]))
            if line is not None:
                return line
        return None

    def error(self, message: str, *path: str, line: int | None = None) -> HomeworkError:
        """A HomeworkError located at the line of the key ``path`` (or ``line``)."""
        return located_error(self.path, message, line if line is not None else self.line_of(*path))


@dataclass(frozen=True)
class Homework:
    """A loaded homework: what to compute (``spec``) and what the student answered."""

    path: str
    title: str
    kind: str  # 'expression' or 'network'
    spec: ExpressionSpec | NetworkSpec
    answers: list[Answer] = field(default_factory=list)
    lines: dict[tuple[str, ...], int] = field(default_factory=dict)
    min_sig_figs: int | None = None  # answers with fewer significant figures: too imprecise
    min_decimals: int | None = None  # answers with fewer decimals: too imprecise

    @property
    def file(self) -> SheetFile:
        return SheetFile(self.path, self.lines, self.kind)

    def line_of(self, *path: str) -> int | None:
        """The line of the key ``path``, else of the nearest table or key around it."""
        return self.file.line_of(*path)

    def error(self, message: str, *path: str, line: int | None = None) -> HomeworkError:
        """A HomeworkError located at the line of the key ``path`` (or ``line``)."""
        return self.file.error(message, *path, line=line)


def located_error(path: str, message: str, line: int | None = None) -> HomeworkError:
    """The HomeworkError ``file:line: message`` (``file: message`` when the line is unknown)."""
    where = f"{path}:{line}" if line else path
    return HomeworkError(f"{where}: {message}")

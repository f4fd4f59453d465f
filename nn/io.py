"""Saving and loading an MLP's weights as JSON: the architecture plus every number.

A file looks like ``{"format": "tracegrad.nn.weights", "version": 1, "architecture": {"nin":
2, "sizes": [2, 2], "activations": ["sigmoid", "sigmoid"]}, "weights": [...]}``, with
``weights`` shaped as ``MLP.weights()``. Floats are written with Python's shortest
round-tripping repr, so save → load gives back exactly the same numbers. Files are parsed as
plain JSON (no pickle, no eval), and anything that does not fit the model is refused with a
``WeightsFileError`` saying what differs. A save goes through
``tracegrad.autograd.safety.write_atomic``: a failed or killed one leaves the previous file as
it was, and a link is never written through (refused). A load checks
``tracegrad.autograd.limits`` (file size, digits, nesting, parameters) before it builds
anything, and refuses non-finite numbers as save does.
"""

from __future__ import annotations

import json
import math
import os
from pathlib import Path
from typing import Any, Union

from tracegrad.autograd.limits import (
    LIMITS,
    LimitError,
    UnreadableFile,
    count_digits,
    nesting_depth,
    read_limited,
)
from tracegrad.autograd.safety import write_atomic
from tracegrad.nn.activations import get_activation
from tracegrad.nn.layers import MLP, check_model_size, checked_weights

__all__ = ["save", "load", "load_weights", "WeightsFileError", "FORMAT", "VERSION"]

FORMAT = "tracegrad.nn.weights"
VERSION = 1
PathLike = Union[str, "os.PathLike[str]"]


class WeightsFileError(ValueError):
    """A weights file that is not valid JSON, not in this format, or not for this model."""


def save(model: MLP, path: PathLike) -> Path:
    """Write the model's architecture and weights to ``path`` as JSON; return the path."""
    if not isinstance(model, MLP):
        raise TypeError(f"save() takes an MLP, got {type(model).__name__}")
    doc = {
        "format": FORMAT,
        "version": VERSION,
        "architecture": model.architecture(),
        "weights": model.weights(),
    }
    try:
        text = json.dumps(doc, indent=1, allow_nan=False)
    except ValueError:
        raise ValueError(
            "cannot save: some weights are NaN or infinite (did training diverge?)"
        ) from None
    write_atomic(path, text + "\n")
    return Path(path)


def _refuse_constant(name: str) -> Any:
    raise WeightsFileError(f"{name} is not a number JSON allows")


def _parse_int(text: str) -> int:
    LIMITS["digits"].check(count_digits(text), f"the number {text[:20]}...")
    return int(text)


def _parse_float(text: str) -> float:
    LIMITS["digits"].check(count_digits(text), f"the number {text[:20]}...")
    x = float(text)
    if not math.isfinite(x):
        raise WeightsFileError(f"{text} is not a finite number (too large for a float)")
    return x


def _read(path: PathLike) -> dict[str, Any]:
    """The parsed, checked document of a weights file: every failure is a WeightsFileError."""
    p = Path(path)
    doc = _parse(p)
    _check_header(p, doc)
    _check_model(p, doc)
    return doc


def _parse(p: Path) -> Any:
    """The JSON document of a weights file, within the size, digit and nesting limits."""
    try:
        text = read_limited(p, LIMITS["weights_bytes"], "weights file")
        doc = json.loads(
            text,
            parse_constant=_refuse_constant,
            parse_int=_parse_int,
            parse_float=_parse_float,
        )
    except UnreadableFile as e:
        raise WeightsFileError(str(e)) from None
    except json.JSONDecodeError as e:
        raise WeightsFileError(
            f"{p}: not valid JSON (line {e.lineno}, column {e.colno}: {e.msg})"
        ) from None
    except (WeightsFileError, LimitError) as e:
        raise WeightsFileError(f"{p}: {e}") from None
    except RecursionError:
        doc = None  # nested deeper than Python's parser goes: refused just below
    nesting = LIMITS["nesting"]
    if doc is None or nesting_depth(doc, nesting.value) > nesting.value:
        raise WeightsFileError(f"{p}: more than {nesting.message(nesting.value)}")
    return doc


def _check_header(p: Path, doc: Any) -> None:
    """A tracegrad weights file of the version this tracegrad reads."""
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise WeightsFileError(f'{p}: not a tracegrad weights file (no "format": "{FORMAT}")')
    if doc.get("version") != VERSION:
        raise WeightsFileError(
            f"{p}: weights file version {_show(doc.get('version'))}, this tracegrad reads {VERSION}"
        )


def _check_model(p: Path, doc: dict[str, Any]) -> None:
    """An architecture within the limits and weights of its shape."""
    arch = doc.get("architecture")
    if (
        not isinstance(arch, dict)
        or not _count(arch.get("nin"))
        or not isinstance(arch.get("sizes"), list)
        or not arch["sizes"]
        or not all(_count(s) for s in arch["sizes"])
        or not isinstance(arch.get("activations"), list)
        or not all(isinstance(a, str) for a in arch["activations"])
        or len(arch["activations"]) != len(arch["sizes"])
    ):
        raise WeightsFileError(
            f'{p}: "architecture" must be {{"nin": int, "sizes": [int, ...], '
            f'"activations": [str, ...] (one per layer)}}, got {_show(arch)}'
        )
    dims = [arch["nin"], *arch["sizes"]]
    try:  # before anything is allocated for the model: the limit MLP and Layer check too
        check_model_size(arch["nin"], arch["sizes"], f"MLP({arch['nin']}, {_show(arch['sizes'])})")
    except LimitError as e:
        raise WeightsFileError(f"{p}: {e}") from None
    if "weights" not in doc:
        raise WeightsFileError(f'{p}: no "weights" entry')
    try:  # the shape, before any model is built for it
        checked_weights(doc["weights"], [(n, m + 1) for m, n in zip(dims, dims[1:])])
    except ValueError as e:
        raise WeightsFileError(f"{p}: {_cut(str(e), 300)}") from None


def _count(x: Any) -> bool:
    """A whole number >= 1 (not a bool): a layer size."""
    return isinstance(x, int) and not isinstance(x, bool) and x >= 1


def _show(x: Any, limit: int = 80) -> str:
    """repr of a loaded value, cut short for a one-line message."""
    return _cut(repr(x), limit)


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _describe(arch: dict[str, Any]) -> str:
    return (
        f"MLP({arch['nin']}, {_show(arch['sizes'])}) with activations {_show(arch['activations'])}"
    )


def load_weights(model: MLP, path: PathLike) -> None:
    """Set the model's weights from a file saved for the same architecture."""
    doc = _read(path)
    arch = doc["architecture"]
    mine = model.architecture()
    if arch != mine:
        raise WeightsFileError(
            f"{path}: the file holds weights for {_describe(arch)}, but this model is "
            f"{_describe(mine)}"
        )
    try:
        model.set_weights(doc["weights"])
    except ValueError as e:
        raise WeightsFileError(f"{path}: {_cut(str(e), 300)}") from None


def load(path: PathLike) -> MLP:
    """A new MLP built from a weights file (architecture and weights)."""
    doc = _read(path)
    arch = doc["architecture"]
    acts = arch["activations"]
    if len(set(acts[:-1])) > 1:
        raise WeightsFileError(
            f"{path}: hidden layers with different activations {_show(acts[:-1])}"
        )
    for a in acts:
        try:
            get_activation(a)
        except ValueError:
            raise WeightsFileError(
                f"{path}: activation {_show(a)} is not a built-in one; build the model yourself "
                "and call load_weights(model, path)"
            ) from None
    try:
        model = MLP(arch["nin"], arch["sizes"], acts[0], acts[-1])
    except ValueError as e:
        raise WeightsFileError(f"{path}: {e}") from None
    try:
        model.set_weights(doc["weights"])
    except ValueError as e:
        raise WeightsFileError(f"{path}: {_cut(str(e), 300)}") from None
    return model

"""Saving and loading an MLP's weights as JSON: the architecture plus every number.

A file looks like ``{"format": "tracegrad.nn.weights", "version": 1, "architecture": {"nin":
2, "sizes": [2, 2], "activations": ["sigmoid", "sigmoid"]}, "weights": [...]}``, with
``weights`` shaped as ``MLP.weights()``. Floats are written with Python's shortest
round-tripping repr, so save → load gives back exactly the same numbers. Files are parsed as
plain JSON (no pickle, no eval), and anything that does not fit the model is refused with a
``WeightsFileError`` saying what differs.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any, Union

from tracegrad.nn.activations import get_activation
from tracegrad.nn.layers import MLP

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
    p = Path(path)
    p.write_text(text + "\n", encoding="utf-8")
    return p


def _refuse_constant(name: str) -> Any:
    raise WeightsFileError(f"{name} is not a number JSON allows")


def _read(path: PathLike) -> dict[str, Any]:
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise WeightsFileError(f"{p}: not a text (UTF-8 JSON) file") from None
    try:
        doc = json.loads(text, parse_constant=_refuse_constant)
    except json.JSONDecodeError as e:
        raise WeightsFileError(
            f"{p}: not valid JSON (line {e.lineno}, column {e.colno}: {e.msg})"
        ) from None
    except WeightsFileError as e:
        raise WeightsFileError(f"{p}: {e}") from None
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise WeightsFileError(f'{p}: not a tracegrad weights file (no "format": "{FORMAT}")')
    if doc.get("version") != VERSION:
        raise WeightsFileError(
            f"{p}: weights file version {doc.get('version')!r}, this tracegrad reads {VERSION}"
        )
    arch = doc.get("architecture")
    if (
        not isinstance(arch, dict)
        or not isinstance(arch.get("nin"), int)
        or not isinstance(arch.get("sizes"), list)
        or not all(isinstance(s, int) for s in arch["sizes"])
        or not isinstance(arch.get("activations"), list)
        or not all(isinstance(a, str) for a in arch["activations"])
        or len(arch["activations"]) != len(arch["sizes"])
    ):
        raise WeightsFileError(
            f'{p}: "architecture" must be {{"nin": int, "sizes": [int, ...], '
            f'"activations": [str, ...] (one per layer)}}, got {arch!r}'
        )
    if "weights" not in doc:
        raise WeightsFileError(f'{p}: no "weights" entry')
    return doc


def _describe(arch: dict[str, Any]) -> str:
    return f"MLP({arch['nin']}, {arch['sizes']}) with activations {arch['activations']}"


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
        raise WeightsFileError(f"{path}: {e}") from None


def load(path: PathLike) -> MLP:
    """A new MLP built from a weights file (architecture and weights)."""
    doc = _read(path)
    arch = doc["architecture"]
    acts = arch["activations"]
    if len(set(acts[:-1])) > 1:
        raise WeightsFileError(f"{path}: hidden layers with different activations {acts[:-1]}")
    for a in acts:
        try:
            get_activation(a)
        except ValueError:
            raise WeightsFileError(
                f"{path}: activation {a!r} is not a built-in one; build the model yourself "
                "and call load_weights(model, path)"
            ) from None
    try:
        model = MLP(arch["nin"], arch["sizes"], acts[0], acts[-1])
    except ValueError as e:
        raise WeightsFileError(f"{path}: {e}") from None
    try:
        model.set_weights(doc["weights"])
    except ValueError as e:
        raise WeightsFileError(f"{path}: {e}") from None
    return model

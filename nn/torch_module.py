"""A tracegrad network as a ``torch.nn.Sequential`` and back (part of :mod:`tracegrad.nn.to_torch`).

``module_to_torch(model)``: float64 ``Linear`` layers and activations with identical weights;
``read_torch_mlp(module)``: the other way (what ``MLP.from_torch`` builds from), refusing clearly
what an MLP cannot represent. torch is imported only when called
(``pip install 'tracegrad[oracle]'``). The layers call this module, never the other way: a model
is read through its ``torch_layers()`` (its neurons and activation per layer).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from tracegrad.autograd.hooks import require_torch
from tracegrad.nn.activations import LINEAR, Activation

if TYPE_CHECKING:
    from tracegrad.nn.layers import Model, Neuron

__all__ = ["TORCH_ACTIVATIONS", "TorchMLP", "model_layers", "module_to_torch", "read_torch_mlp"]

# tracegrad activation name -> the torch.nn module class that computes it ('linear': none).
TORCH_ACTIVATIONS: dict[str, str] = {"relu": "ReLU", "tanh": "Tanh", "sigmoid": "Sigmoid"}
_READS = "Linear layers with the activations ReLU, Tanh, Sigmoid (or Identity, or none)"


# ---------------------------------------------------------------- the network
def model_layers(model: Any) -> list[tuple[list[Neuron], Activation]]:
    """The model as (neurons, activation) per layer; a Neuron is a layer of one."""
    layers = getattr(model, "torch_layers", None)
    if layers is None:
        raise TypeError(f"expected an MLP, Layer or Neuron, got {type(model).__name__}")
    return list(layers())


def _activation_module(torch: Any, act: Activation, where: str) -> Any:
    """The torch.nn module for act, None for linear; a clear error for anything else."""
    if act.name == LINEAR:
        return None
    cls = TORCH_ACTIVATIONS.get(act.name)
    if cls is None:
        if act.name == "step":
            why = (
                "the step function's derivative is 0 wherever it exists, so nothing trains "
                "through it and PyTorch has no step module"
            )
        elif act.fn is not None:
            why = "a Python function cannot be translated"
        else:
            why = "PyTorch has no module for it here"
        supported = ", ".join([*TORCH_ACTIVATIONS, LINEAR])
        raise ValueError(
            f"to_torch: {where} uses the activation {act.name!r}: {why}; "
            f"to_torch supports {supported}"
        )
    return getattr(torch.nn, cls)()


def module_to_torch(model: Model) -> Any:
    """A float64 ``torch.nn.Sequential`` computing the same function with the same weights."""
    torch = require_torch()
    layers = model_layers(model)
    mods: list[Any] = []
    for i, (neurons, act) in enumerate(layers):
        where = f"layer {i}" if hasattr(model, "layers") else type(model).__name__.lower()
        act_mod = _activation_module(torch, act, where)
        nin = len(neurons[0].w)
        lin = torch.nn.Linear(nin, len(neurons), dtype=torch.float64)
        with torch.no_grad():
            f64 = torch.float64  # torch.tensor of Python floats would round to float32
            lin.weight.copy_(torch.tensor([[w.data for w in n.w] for n in neurons], dtype=f64))
            lin.bias.copy_(torch.tensor([n.b.data for n in neurons], dtype=f64))
        mods.append(lin)
        if act_mod is not None:
            mods.append(act_mod)
    return torch.nn.Sequential(*mods)


def _flatten(torch: Any, module: Any) -> list[Any]:
    """The modules of a Sequential in order, nested Sequentials opened; a lone Linear."""
    if isinstance(module, torch.nn.Sequential):
        out: list[Any] = []
        for m in module:
            out.extend(_flatten(torch, m))
        return out
    return [module]


@dataclass(frozen=True)
class TorchMLP:
    """What an MLP needs from a torch module: its sizes, activations and weights (per layer,
    per neuron: the weights then the bias)."""

    nin: int
    sizes: list[int]
    hidden: str
    output: str
    weights: list[list[list[float]]]


def read_torch_mlp(module: Any) -> TorchMLP:
    """An MLP's shape and weights read from a ``torch.nn.Sequential`` (or a lone ``Linear``) of
    Linear layers, each followed by at most one activation; hidden layers share one."""
    torch = require_torch()
    if not isinstance(module, torch.nn.Module):
        raise TypeError(f"from_torch needs a torch.nn.Module, got {type(module).__name__}")
    if not isinstance(module, (torch.nn.Sequential, torch.nn.Linear)):
        raise ValueError(
            f"from_torch reads a torch.nn.Sequential (or a lone Linear) of {_READS}; got "
            f"{type(module).__name__}, whose forward() it cannot see into"
        )
    names = {getattr(torch.nn, cls): name for name, cls in TORCH_ACTIVATIONS.items()}
    linears: list[Any] = []
    acts: list[str] = []
    for pos, m in enumerate(_flatten(torch, module)):
        what = f"module {pos} ({m!r})"
        if type(m) is torch.nn.Linear:
            if m.bias is None:
                raise ValueError(
                    f"from_torch: {what} has no bias (bias=False); every tracegrad neuron "
                    "has one: use bias=True"
                )
            if linears and m.in_features != linears[-1].out_features:
                raise ValueError(
                    f"from_torch: {what} takes {m.in_features} inputs but the layer before "
                    f"gives {linears[-1].out_features}"
                )
            linears.append(m)
            acts.append(LINEAR)
        elif type(m) in names or type(m) is torch.nn.Identity:
            if not linears:
                raise ValueError(f"from_torch: {what} comes before any Linear layer")
            if acts[-1] != LINEAR:
                raise ValueError(
                    f"from_torch: {what} follows the activation {acts[-1]!r}; an MLP layer "
                    "has one activation"
                )
            acts[-1] = names.get(type(m), LINEAR)
        else:
            raise ValueError(
                f"from_torch: {what} has no tracegrad counterpart; from_torch reads {_READS}"
            )
    if not linears:
        raise ValueError(f"from_torch: the module has no Linear layer; it reads {_READS}")
    if len(set(acts[:-1])) > 1:
        raise ValueError(
            f"from_torch: hidden layers with different activations {acts[:-1]}; an MLP's "
            "hidden layers share one activation"
        )
    return TorchMLP(
        linears[0].in_features,
        [m.out_features for m in linears],
        acts[0],
        acts[-1],
        [
            [
                w + [b]
                for w, b in zip(
                    m.weight.detach().cpu().double().tolist(),
                    m.bias.detach().cpu().double().tolist(),
                )
            ]
            for m in linears
        ],
    )

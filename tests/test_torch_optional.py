"""PyTorch stays optional: importing tracegrad never imports it, and without it the bridge's
calls say how to install it. Runs in `make test`, where torch is not installed."""

from __future__ import annotations

import subprocess
import sys

import pytest
from tracegrad.autograd.compiled.to_torch import to_torch_fn
from tracegrad.nn import LOSSES, MLP, Layer, Neuron
from tracegrad.nn.to_torch import TORCH_LOSSES, compare_with_torch, torch_loss

HINT = "pip install 'tracegrad[oracle]'"


def test_every_loss_has_a_pytorch_form() -> None:
    """A loss added to tracegrad.nn.losses needs its PyTorch form in tracegrad.nn.to_torch."""
    assert set(TORCH_LOSSES) == set(LOSSES)
    for name, spec in LOSSES.items():
        assert torch_loss(name) is TORCH_LOSSES[name]
        assert torch_loss(spec.fn) is TORCH_LOSSES[name]
    with pytest.raises(ValueError, match="no PyTorch form here; use one of mse, half_sse"):
        torch_loss(lambda p, t: p)


def test_importing_tracegrad_never_tries_to_import_torch() -> None:
    """Every import of tracegrad, the bridge modules included, leaves torch alone: a finder
    placed first on sys.meta_path records any attempt, installed or not."""
    code = (
        "import sys\n"
        "tried = []\n"
        "class Spy:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name.split('.')[0] == 'torch':\n"
        "            tried.append(name)\n"
        "        return None\n"
        "sys.meta_path.insert(0, Spy())\n"
        "import tracegrad, tracegrad.nn, tracegrad.autograd\n"
        "import tracegrad.nn.to_torch, tracegrad.autograd.compiled.to_torch\n"
        "net = tracegrad.nn.MLP(2, [3, 1])\n"
        "assert not tried and 'torch' not in sys.modules, tried\n"
        "try:\n"
        "    net.to_torch()\n"
        "except ImportError:\n"
        "    pass\n"
        "assert tried, 'the spy saw nothing: the test would prove nothing'\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


@pytest.mark.parametrize(
    "call",
    [
        lambda: MLP(2, [3, 1]).to_torch(),
        lambda: Layer(2, 3).to_torch(),
        lambda: Neuron(2).to_torch(),
        lambda: MLP.from_torch(object()),
        lambda: compare_with_torch(MLP(2, [1]), [[0.0, 1.0]], [1.0]),
        lambda: to_torch_fn(lambda x: x * 2),
        lambda: to_torch_fn("a * b"),
    ],
    ids=["MLP.to_torch", "Layer.to_torch", "Neuron.to_torch", "from_torch", "compare", "fn", "str"],
)
def test_without_torch_the_calls_say_how_to_install_it(
    monkeypatch: pytest.MonkeyPatch, call: object
) -> None:
    monkeypatch.setitem(sys.modules, "torch", None)  # what `import torch` meets when missing
    with pytest.raises(ImportError, match=r"needs PyTorch, which is not installed: ") as info:
        call()  # type: ignore[operator]
    assert HINT in str(info.value)
    assert "\n" not in str(info.value)


def test_torch_math_mirrors_every_float_math_function() -> None:
    """The table's partials call FloatMath's functions by name; TorchMath must have each one
    (a function added to FloatMath alone breaks to_torch_fn only where torch is installed)."""
    from tracegrad.autograd.compiled.to_torch import TorchMath
    from tracegrad.autograd.ops import FloatMath

    names = {n for n in vars(FloatMath) if not n.startswith("_")}
    missing = sorted(n for n in names if not hasattr(TorchMath, n))
    assert not missing, f"TorchMath lacks {missing}"

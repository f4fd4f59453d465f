"""Input that used to mislead or run away: each refused (or accepted) with one line naming the
problem and the fix. Model sizes, expressions starting with a minus sign, comments and carriage
returns in expressions, deep sums, very large numbers, bools as Values, a grad that is not a
number, saturated arithmetic, digits of other scripts in answers."""

from __future__ import annotations

import pytest
from tracegrad.autograd.limits import LIMITS, LimitError
from tracegrad.nn import MLP, Layer, Neuron


@pytest.mark.parametrize(
    "make, words",
    [
        (lambda: MLP(100_000, [100_000, 1]), "MLP(100000, [100000, 1]): 10000200001 weights"),
        (lambda: Layer(100_000, 100_000), "Layer(100000, 100000): 10000100000 weights"),
        (lambda: Neuron(10**7), "Neuron(10000000): 10000001 weights"),
    ],
)
def test_model_constructors_check_the_limit_nn_load_uses(make, words: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(LimitError) as exc:
        make()  # refused before a single weight is made (else: minutes, then out of memory)
    msg = str(exc.value)
    assert msg.startswith(words) and "\n" not in msg
    assert "TRACEGRAD_MAX_MODEL_PARAMETERS" in msg
    assert f"the limit is {LIMITS['model_parameters'].value}" in msg


def test_a_model_at_the_limit_is_made(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRACEGRAD_MAX_MODEL_PARAMETERS", "13")
    assert len(MLP(2, [3, 1]).parameters()) == 13
    monkeypatch.setenv("TRACEGRAD_MAX_MODEL_PARAMETERS", "12")
    with pytest.raises(LimitError, match="13 weights and biases"):
        MLP(2, [3, 1])

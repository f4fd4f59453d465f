"""gradcheck: per-input agreement between backward() and central finite differences."""

from __future__ import annotations

import pytest
from tracegrad.autograd import Value, gradcheck


def test_agreeing_function_passes_and_prints_each_input() -> None:
    result = gradcheck(lambda a, b: (a * b).tanh() + a**2 / b, [Value(0.3, label="a"), 1.2])
    assert result and result.ok and not result.failures
    text = str(result)
    assert text.startswith("gradcheck passed")
    assert "a = 0.300000" in text and "x1 = 1.200000" in text


def test_disagreement_is_reported_for_the_input_that_disagrees() -> None:
    # At relu's kink backward says 0 (the table's convention) while the symmetric
    # difference sees the average slope 0.5: gradcheck must single out that input.
    result = gradcheck(lambda a, b: a.relu() + b * b, [0.0, 1.5])
    assert not result
    assert [c.name for c in result.failures] == ["x0"]
    bad = result.failures[0]
    assert bad.analytic == 0.0 and bad.numeric == pytest.approx(0.5)
    assert result.checks[1].ok and result.checks[1].analytic == pytest.approx(3.0)
    assert "FAILED for 1 input(s)" in str(result) and "BAD x0" in str(result)


def test_f_must_return_a_value() -> None:
    with pytest.raises(TypeError, match="must return a Value"):
        gradcheck(lambda a: 3.0, [1.0])

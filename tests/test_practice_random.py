"""Generated practice exercises are well posed and reproducible, over 1,000 seeds per level.

Checked here independently of the generator's own ``well_posed``: the graph is walked for
logs and divisions, the backward pass is run with ``backward()``, and every gradient a learner
is asked for must show a nonzero digit at the 4 decimals asked.
"""

from __future__ import annotations

import math

import pytest
from tracegrad.autograd import Value, topo_order
from tracegrad.autograd.formatting import fmt

from tracegrad.practising.exercises import LEVELS, random_exercise

SEEDS = range(1000)


def _shape(root: Value) -> list[str]:
    return [v._op.name for v in topo_order(root) if v._op is not None]


def _check(root: Value) -> None:
    order = topo_order(root)
    for v in order:
        assert math.isfinite(v.data)
        if v._op is not None and v._op.name == "log":
            assert v.parents[0].data > 0
        if v._op is not None and v._op.name == "div":
            assert v.parents[1].data != 0
    root.backward()
    asked = [v for v in order if v is not root and (v._op is not None or v.label)]
    assert asked
    for v in asked:
        assert math.isfinite(v.grad) and fmt(abs(v.grad)) != "0.0000", (v.label, v.grad)


@pytest.mark.slow
@pytest.mark.parametrize("level", sorted(LEVELS))
def test_every_seed_gives_a_well_posed_reproducible_exercise(level: int) -> None:
    activations = {"tanh", "sigmoid", "relu"}
    for seed in SEEDS:
        root, what = random_exercise(level, seed)
        again, _ = random_exercise(level, seed)
        assert [v.data for v in topo_order(root)] == [v.data for v in topo_order(again)]
        assert _shape(root) == _shape(again) and what.startswith(f"level {level}: ")
        ops = _shape(root)
        if level == 1:
            assert 2 <= len(ops) <= 5 and not activations & set(ops)
        elif level == 2:
            assert len(activations & set(ops)) == 1 and ops[-1] in activations
        else:
            assert sum(op in activations for op in ops) == 3 and ops[-1].startswith("pow")
        _check(root)


def test_different_seeds_give_different_exercises() -> None:
    drawn = {tuple(v.data for v in topo_order(random_exercise(2, s)[0])) for s in range(20)}
    assert len(drawn) > 15


def test_a_bad_level_is_refused() -> None:
    with pytest.raises(ValueError, match="level 4"):
        random_exercise(4, 0)

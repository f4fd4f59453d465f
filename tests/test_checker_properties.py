"""Random small networks: the worked solution fed back as answers is all accepted; one answer
perturbed in its 3rd significant digit is rejected. The engine's numbers are checked against
an independent plain-float backpropagation (no autograd, no nn)."""

from __future__ import annotations

import math
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from tracegrad.checker import check, solve

ACTS = {
    "sigmoid": (lambda z: 1 / (1 + math.exp(-z)), lambda z, a: a * (1 - a)),
    "tanh": (math.tanh, lambda z, a: 1 - a * a),
    "relu": (lambda z: max(z, 0.0), lambda z, a: 1.0 if z > 0 else 0.0),
    "linear": (lambda z: z, lambda z, a: 1.0),
}

weight = st.floats(-1, 1).map(lambda x: round(x, 2))


@st.composite
def homework(draw: Any) -> dict[str, Any]:
    sizes = [draw(st.integers(1, 3)) for _ in range(draw(st.integers(2, 3)))] + [
        draw(st.integers(1, 2))
    ]
    weights = [
        [[draw(weight) for _ in range(sizes[i])] for _ in range(sizes[i + 1])]
        for i in range(len(sizes) - 1)
    ]
    biases = [[draw(weight) for _ in range(n)] for n in sizes[1:]]
    n_samples = draw(st.integers(1, 2))
    samples = [
        {
            "x": [draw(weight) for _ in range(sizes[0])],
            "y": [draw(st.floats(0, 1).map(lambda x: round(x, 2))) for _ in range(sizes[-1])],
        }
        for _ in range(n_samples)
    ]
    return {
        "network": {
            "sizes": sizes,
            "activation": draw(st.sampled_from(list(ACTS))),
            "output_activation": draw(st.sampled_from(["sigmoid", "linear", "tanh"])),
            "weights": weights,
            "biases": biases,
        },
        "samples": samples,
        "training": {
            "loss": draw(st.sampled_from(["half_sse", "mse"])),
            "learning_rate": draw(st.sampled_from([0.1, 0.5, 1.2])),
            "steps": draw(st.integers(1, 2)),
        },
    }


def oracle_step(hw: dict[str, Any]) -> tuple[float, list[float], list[float]]:
    """E, dE/d(every weight then every bias, in file order) and the updated parameters."""
    net = hw["network"]
    W, B = net["weights"], net["biases"]
    acts = [net["activation"]] * (len(W) - 1) + [net["output_activation"]]
    x, y = hw["samples"][0]["x"], hw["samples"][0]["y"]
    outs, zs = [list(x)], []
    for layer_w, layer_b, act in zip(W, B, acts):
        z = [sum(w * a for w, a in zip(row, outs[-1])) + b for row, b in zip(layer_w, layer_b)]
        zs.append(z)
        outs.append([ACTS[act][0](v) for v in z])
    o = outs[-1]
    n = len(o)
    if hw["training"]["loss"] == "half_sse":
        E = sum(0.5 * (t - p) ** 2 for t, p in zip(y, o))
        dout = [-(t - p) for t, p in zip(y, o)]
    else:
        E = sum((t - p) ** 2 for t, p in zip(y, o)) / n
        dout = [-2 * (t - p) / n for t, p in zip(y, o)]
    gW: list[Any] = [None] * len(W)
    gB: list[Any] = [None] * len(W)
    for li in range(len(W) - 1, -1, -1):
        d = ACTS[acts[li]][1]
        delta = [g * d(z, a) for g, z, a in zip(dout, zs[li], outs[li + 1])]
        gW[li] = [[dl * a for a in outs[li]] for dl in delta]
        gB[li] = delta
        dout = [
            sum(delta[j] * W[li][j][i] for j in range(len(delta))) for i in range(len(outs[li]))
        ]
    grads = [g for L in gW for row in L for g in row] + [g for L in gB for g in L]
    params = [w for L in W for row in L for w in row] + [b for L in B for b in L]
    lr = hw["training"]["learning_rate"]
    return E, grads, [p - lr * g for p, g in zip(params, grads)]


def names(hw: dict[str, Any]) -> list[str]:
    nw = sum(len(row) for L in hw["network"]["weights"] for row in L)
    nb = sum(len(L) for L in hw["network"]["biases"])
    return [f"w{i + 1}" for i in range(nw)] + [f"b{i + 1}" for i in range(nb)]


def answers_from(hw: dict[str, Any], perturb: int | None = None) -> tuple[dict[str, Any], str]:
    problem = solve(hw).problem
    answers: dict[str, Any] = {}
    changed = ""
    for i, q in enumerate(problem.quantities):
        v = q.value
        if i == perturb:
            v += math.copysign(10.0 ** (math.floor(math.log10(abs(v))) - 2), v)
            changed = q.label(problem.steps)
        table = answers if q.step == 1 else answers.setdefault(f"step{q.step}", {})
        text = f"{v:#.6g}"  # six significant digits, trailing zeros kept
        table[q.name] = f"{v:.5e}" if text.endswith(".") else text  # never "209563."
    return answers, changed


@given(homework())
def test_engine_matches_plain_float_backprop(hw: dict[str, Any]) -> None:
    E, grads, updated = oracle_step(hw)
    values = solve(hw).values()
    prefix = "step 1: " if hw["training"]["steps"] > 1 else ""
    assert math.isclose(values[prefix + "E"], E, rel_tol=1e-9, abs_tol=1e-12)
    for name, g, new in zip(names(hw), grads, updated):
        assert math.isclose(values[f"{prefix}dE/d{name}"], g, rel_tol=1e-9, abs_tol=1e-12)
        assert math.isclose(values[f"{prefix}{name}_new"], new, rel_tol=1e-9, abs_tol=1e-12)


@given(homework())
def test_worked_solution_fed_back_is_all_accepted(hw: dict[str, Any]) -> None:
    answers, _ = answers_from(hw)
    report = check({**hw, "answers": answers})
    assert report.ok, report.table(derivations=False)


@given(homework(), st.data())
def test_one_answer_off_in_the_third_digit_is_rejected(hw: dict[str, Any], data: Any) -> None:
    problem = solve(hw).problem
    candidates = [i for i, q in enumerate(problem.quantities) if abs(q.value) > 1e-3]
    i = data.draw(st.sampled_from(candidates))
    answers, changed = answers_from(hw, perturb=i)
    report = check({**hw, "answers": answers})
    bad = [m.label for m in report.wrong]
    step1 = changed.removeprefix("step 1: ")
    assert bad and bad[0] in (changed, step1), (changed, report.table(derivations=False))
    assert len(bad) == 1, report.table(derivations=False)

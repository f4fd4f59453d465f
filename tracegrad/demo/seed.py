"""The seed article's worked example, built from raw Values.

The article (``ARTICLE``): "How Neural Networks and Backpropagation Work" by Tomer Kordonsky,
published in Artificialis on Medium, 13 Aug 2021: a 2-2-2 sigmoid network, input
x = (0.5, -0.5), targets (0.9, 0.1), error E = sum of 1/2 (y - o)^2, learning rate 1.2.
Names follow the textbook convention: w1..w8, b1..b4, net_h1, h1, net_o1, o1, E.
"""

from __future__ import annotations

from tracegrad.autograd import Value

ARTICLE = (
    '"How Neural Networks and Backpropagation Work" by Tomer Kordonsky '
    "(Artificialis, on Medium, 13 Aug 2021)"
)
INPUTS = {"x1": 0.5, "x2": -0.5}
TARGETS = {"y1": 0.9, "y2": 0.1}
LEARNING_RATE = 1.2
# weight name -> (value, from, to)
WEIGHTS = {
    "w1": (0.1, "x1", "h1"),
    "w2": (-0.2, "x2", "h1"),
    "w3": (0.3, "x1", "h2"),
    "w4": (0.55, "x2", "h2"),
    "w5": (0.37, "h1", "o1"),
    "w6": (0.9, "h2", "o1"),
    "w7": (-0.22, "h1", "o2"),
    "w8": (-0.12, "h2", "o2"),
}
BIASES = {"b1": (0.01, "h1"), "b2": (-0.02, "h2"), "b3": (0.31, "o1"), "b4": (0.27, "o2")}

# Every figure the article prints for this example, as the text it prints (so its precision
# is kept: '-0.0370' has 4 decimals), and the
# name of the engine quantity it is. Signs: the article quotes dE/dw5 and dE/dw1 as their
# magnitudes inside "W = w + 1.2(...)"; the gradients below carry the true sign.
ARTICLE_FIGURES: dict[str, str] = {
    "net_h1": "0.16",
    "net_h2": "-0.145",
    "h1": "0.5399",
    "h2": "0.4638",
    "net_o1": "0.9271",
    "net_o2": "0.0955",
    "o1": "0.7164",
    "o2": "0.5238",
    "dE/do1": "-0.1836",
    "do1/dnet_o1": "0.2031",
    "dnet_o1/dw5": "0.5399",
    "dE/dw5": "-0.0201",
    "w5_new": "0.3941",
    "dnet_h1/dw1": "0.5",
    "dh1/dnet_h1": "0.2484",
    "dE/dh1": "-0.0370",
    "dE/dw1": "-0.0045954",
    "w1_new": "0.1055",
}


def build() -> dict[str, Value]:
    """The network's forward pass and error as labelled Values (backward not yet run)."""
    v: dict[str, Value] = {}
    for name, x in INPUTS.items():
        v[name] = Value(x, label=name)
    for name, (w, _, _) in WEIGHTS.items():
        v[name] = Value(w, label=name)
    for name, (b, _) in BIASES.items():
        v[name] = Value(b, label=name)
    for name, y in TARGETS.items():
        v[name] = Value(y, label=name)

    def neuron(out: str, ins: list[str], ws: list[str], b: str) -> None:
        # Written as the article writes it: x1*w1 + x2*w2 + b
        net = v[ins[0]] * v[ws[0]] + v[ins[1]] * v[ws[1]] + v[b]
        net.label = f"net_{out}"
        v[net.label] = net
        act = net.sigmoid()
        act.label = out
        v[out] = act

    neuron("h1", ["x1", "x2"], ["w1", "w2"], "b1")
    neuron("h2", ["x1", "x2"], ["w3", "w4"], "b2")
    neuron("o1", ["h1", "h2"], ["w5", "w6"], "b3")
    neuron("o2", ["h1", "h2"], ["w7", "w8"], "b4")
    E = 0.5 * (v["y1"] - v["o1"]) ** 2 + 0.5 * (v["y2"] - v["o2"]) ** 2
    E.label = "E"
    v["E"] = E
    return v


def solved() -> dict[str, Value]:
    """build() with backward() already run from E."""
    v = build()
    v["E"].backward()
    return v

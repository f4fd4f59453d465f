"""Network homework: the textbook's worked solution of a small fully connected network.

The engine's numbers come from ``tracegrad.nn``: an ``MLP`` with the sheet's weights
(``set_weights``), its loss from ``tracegrad.nn.losses``, ``E.backward()`` for every
dE/d(...), and ``tracegrad.nn.optim.SGD`` for the update. The quantities are named as textbooks
name them (``net_h1``, ``h1``, ``dE/do1``, ``do1/dnet_o1``, ``dnet_o1/dw5``, ``dE/dw5``,
``w5_new``), and each carries the textbook recipe that computes it from earlier quantities, for
the error-carried-forward check.
"""

from __future__ import annotations

import functools
from typing import Any

from tracegrad.autograd.ops import FloatMath
from tracegrad.autograd.value import Value
from tracegrad.checker.reading.homework import Homework, NetworkSpec
from tracegrad.checker.solving.problem import (
    BACKWARD_FACTORS,
    FORWARD,
    GIVEN,
    GRADIENTS,
    LOSS,
    UPDATES,
    Key,
    Problem,
    Quantity,
)
from tracegrad.checker.solving.recipes import (
    Recipe,
    dot,
    forward_recipe,
    identity,
    loss_slope,
    loss_term,
    net_recipe,
    product,
    slope_slips,
    slope_vanishes,
    step_rule,
    sum_of_products,
    update_slips,
)
from tracegrad.nn.layers import MLP
from tracegrad.nn.losses import get_loss
from tracegrad.nn.optim import SGD

__all__ = ["build_network", "LEARNING_RATE"]

# the learning rate as a given of each step: a sheet may restate it under any of these names
LEARNING_RATE = "learning_rate"
_LEARNING_RATE_ALIASES = ("eta", "η", "lr", "learning rate", "μ")


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" + ("" if n == 1 else "s")


def _weights_for_nn(spec: NetworkSpec) -> list[list[list[float]]]:
    """The sheet's weights and biases in nn's layout: per neuron, input weights then bias."""
    return [
        [row + [b] for row, b in zip(layer_w, layer_b)]
        for layer_w, layer_b in zip(spec.weights, spec.biases)
    ]


def _mlp(spec: NetworkSpec, W: list[list[list[float]]]) -> MLP:
    sizes = [len(layer) for layer in spec.neurons]
    mlp = MLP(
        len(spec.inputs),
        sizes,
        activation=spec.activations[0],
        output_activation=spec.activations[-1],
    )
    mlp.set_weights(W)
    for layer, wn, bn in zip(mlp.layers, spec.weight_names, spec.bias_names):
        for neuron, names, bname in zip(layer.neurons, wn, bn):
            for w, name in zip(neuron.w, names):
                w.label = name
            neuron.b.label = bname
    return mlp


def build_network(hw: Homework) -> Problem:
    """Every quantity of every training step, in textbook order, with the engine's numbers."""
    spec = hw.spec
    assert isinstance(spec, NetworkSpec)
    qs: list[Quantity] = []
    nodes: dict[Key, Value] = {}
    roots: dict[int, Value] = {}
    W = _weights_for_nn(spec)
    for step in range(1, spec.steps + 1):
        worked = _Step(spec, step, W, qs, nodes)
        roots[step] = worked.work()
        W = worked.next_weights
    return Problem(
        kind="network",
        title=hw.title,
        quantities=qs,
        steps=spec.steps,
        roots=roots,
        describe=_describe(spec),
        nodes=nodes,
    )


def _describe(spec: NetworkSpec) -> list[str]:
    """The lines that state the problem (solve's heading)."""
    loss = get_loss(spec.loss)
    acts = spec.activations
    shared = _shared(spec)
    lines = [
        f"network {len(spec.inputs)}-"
        + "-".join(str(len(n)) for n in spec.neurons)
        + f", activation {acts[0]}"
        + (f", output {acts[-1]}" if acts[-1] != acts[0] else ""),
        f"inputs {', '.join(spec.inputs)}; neurons "
        + "; ".join(", ".join(layer) for layer in spec.neurons),
        f"loss {spec.loss}: E = {loss.formula(spec.outputs, spec.targets)}",
        f"update w_new = w - {spec.learning_rate:g} * dE/dw; "
        + _plural(spec.steps, "step")
        + (
            f", one sample per step, the {len(spec.samples)} samples in turn"
            if len(spec.samples) > 1
            else ""
        ),
    ]
    if shared:
        lines.append(
            "shared: "
            + "; ".join(f"{n} by {', '.join(users)}" for n, users in shared.items())
            + " (one parameter: its gradient adds up every use)"
        )
    if spec.frozen:
        lines.append(f"frozen (not updated): {', '.join(spec.frozen)}")
    return lines


def _shared(spec: NetworkSpec) -> dict[str, list[str]]:
    """Parameter name -> the neurons that use it, for the names used by several neurons."""
    users: dict[str, list[str]] = {}
    for names, wn, bn in zip(spec.neurons, spec.weight_names, spec.bias_names):
        for neuron, ws, b in zip(names, wn, bn):
            for p in (*ws, b):
                users.setdefault(p, []).append(neuron)
    return {p: u for p, u in users.items() if len(u) > 1}


class _Step:
    """One training step worked in textbook sections: given, forward, loss, backward
    factors, gradients, updates. Each section appends its quantities to ``qs``."""

    def __init__(
        self,
        spec: NetworkSpec,
        step: int,
        W: list[list[list[float]]],
        qs: list[Quantity],
        nodes: dict[Key, Value],
    ) -> None:
        self.spec, self.step, self.W, self.qs, self.nodes = spec, step, W, qs, nodes
        self.x, self.y = spec.samples[(step - 1) % len(spec.samples)]
        self.mlp = _mlp(spec, W)
        self.loss = get_loss(spec.loss).fn
        self.scale = 1.0 if get_loss(spec.loss).reduce == "sum" else 1.0 / len(spec.outputs)
        self.net: dict[str, Value] = {}
        self.out: dict[str, Value] = {}
        self.uses: dict[str, list[Value]] = {}  # parameter name -> its Values (several: tied)
        for p in self.mlp.parameters():
            self.uses.setdefault(p.label, []).append(p)
        self.next_weights: list[list[list[float]]] = W

    def K(self, name: str) -> Key:
        return (self.step, name)

    def add(self, name: str, section: str, value: float, **kw: Any) -> None:
        if "net_" in name:  # one naming rule: z_o1 for net_o1 wherever it appears
            kw["aliases"] = (*kw.get("aliases", ()), name.replace("net_", "z_"))
        self.qs.append(Quantity(name, self.step, section, value, **kw))

    def work(self) -> Value:
        self.given()
        self.forward()
        E = self.error()
        self.backward_factors()
        self.gradients()
        self.updates()
        return E

    # ---- given: the inputs, targets and the weights this step starts from
    def given(self) -> None:
        for name, v in zip(self.spec.inputs, self.x):
            self.add(name, GIVEN, v, exact=True)
        for name, v in zip(self.spec.targets, self.y):
            self.add(name, GIVEN, v, exact=True)
        for name, values in self.uses.items():
            if self.step == 1:
                self.add(name, GIVEN, values[0].data, exact=True)
            else:
                prev = (self.step - 1, f"{name}_new")
                self.add(
                    name,
                    GIVEN,
                    values[0].data,
                    deps=(prev,),
                    compute=identity,
                    formula=f"{name}_new",
                    exact=name in self.spec.frozen,  # a frozen parameter stays the given
                )
        rate = self.spec.learning_rate  # restated as a given (eta = 0.5): exact, as weights are
        self.add(LEARNING_RATE, GIVEN, rate, exact=True, aliases=_LEARNING_RATE_ALIASES)

    # ---- forward pass through nn, naming each neuron's net input and output
    def forward(self) -> None:
        xs = [Value(v, label=name) for v, name in zip(self.x, self.spec.inputs)]
        for xv in xs:
            self.nodes[self.K(xv.label)] = xv
        layer_in: list[Value] = xs
        in_names = list(self.spec.inputs)
        for layer, names in zip(self.mlp.layers, self.spec.neurons):
            outs = [
                self._neuron(neuron, name, layer_in, in_names)
                for neuron, name in zip(layer.neurons, names)
            ]
            layer_in, in_names = outs, list(names)
        self.outputs = layer_in

    def _neuron(self, neuron: Any, name: str, layer_in: list[Value], in_names: list[str]) -> Value:
        K = self.K
        out = neuron(layer_in)
        act = neuron.activation.op
        net = out.parents[0] if act is not None else out
        net.label, out.label = f"net_{name}", name
        self.net[name], self.out[name] = net, out
        wn, bn = [w.label for w in neuron.w], neuron.b.label
        terms = " + ".join(f"{i}*{w}" for i, w in zip(in_names, wn))
        self.add(
            f"net_{name}",
            FORWARD,
            net.data,
            deps=tuple(K(n) for n in (*in_names, *wn, bn)),
            compute=functools.partial(net_recipe, len(wn)),
            formula=f"{terms} + {bn}",
        )
        if act is not None:
            recipe: Recipe = functools.partial(forward_recipe, act.forward)
            formula = act.expression((f"net_{name}",))
        else:
            recipe, formula = identity, f"net_{name}"
        self.add(
            name,
            FORWARD,
            out.data,
            deps=(K(f"net_{name}"),),
            compute=recipe,
            formula=formula,
            aliases=(f"out_{name}",),
            activation=act.name if act is not None else "",
        )
        self.nodes[K(f"net_{name}")] = net
        self.nodes[K(name)] = out
        for w in neuron.w:
            self.nodes[K(w.label)] = w
        self.nodes[K(bn)] = neuron.b
        return out

    # ---- the loss, term by term, then E.backward()
    def error(self) -> Value:
        K, spec = self.K, self.spec
        text = get_loss(spec.loss)
        outs = spec.outputs
        for k, (o, yk) in enumerate(zip(outs, self.y)):
            deps = tuple(K(n) for n in outs) if text.joint else (K(o),)  # joint: softmax
            ys = list(self.y)
            recipe = functools.partial(loss_term, self.loss, self.scale, ys, k, text.joint)
            self.add(
                f"E_{o}",
                LOSS,
                recipe([self.out[n].data for n in outs] if text.joint else [self.out[o].data]),
                deps=deps,
                compute=recipe,
                formula=text.term_text(f"{yk:g}", o, len(outs), outs),
            )
        E = self.loss(self.outputs, self.y)
        E.label = "E"
        self.nodes[K("E")] = E
        self.add(
            "E",
            LOSS,
            E.data,
            deps=tuple(K(f"E_{o}") for o in spec.outputs),
            compute=lambda v: sum(v),
            formula=" + ".join(f"E_{o}" for o in spec.outputs),
            aliases=(LOSS, "E_total"),
        )
        for p in self.mlp.parameters():
            p.grad = 0.0
        E.backward()
        return E

    # ---- backward factors, output layer first
    def backward_factors(self) -> None:
        last = len(self.mlp.layers) - 1
        for li in range(last, -1, -1):
            names = self.spec.neurons[li]
            ins = self.spec.inputs if li == 0 else self.spec.neurons[li - 1]
            for j, (neuron, name) in enumerate(zip(self.mlp.layers[li].neurons, names)):
                if li == last:
                    self._output_factor(name, self.y[j])
                else:
                    self._hidden_factor(name, self.spec.neurons[li + 1])
                self._activation_factor(neuron, name)
                self._input_factors(neuron, name, ins, hidden=li > 0)

    def _output_factor(self, name: str, yk: float) -> None:
        outs, text = self.spec.outputs, get_loss(self.spec.loss)
        k = outs.index(name)
        slope = functools.partial(loss_slope, self.loss, self.scale, list(self.y), k, text.joint)
        self.add(
            f"dE/d{name}",
            BACKWARD_FACTORS,
            self.out[name].grad,
            deps=tuple(self.K(n) for n in outs) if text.joint else (self.K(name),),
            compute=slope,
            formula=text.slope_text(f"{yk:g}", name, len(outs), outs),
            alternatives=slope_slips(text.name, yk, k if text.joint else 0, self.scale),
        )

    def _hidden_factor(self, name: str, nxt_names: list[str]) -> None:
        K = self.K
        ups = tuple(K(f"dE/dnet_{k}") for k in nxt_names)
        locs = tuple(K(f"dnet_{k}/d{name}") for k in nxt_names)
        self.add(
            f"dE/d{name}",
            BACKWARD_FACTORS,
            self.out[name].grad,
            deps=ups + locs,
            compute=functools.partial(dot, len(nxt_names)),
            formula=" + ".join(f"dE/dnet_{k} * dnet_{k}/d{name}" for k in nxt_names),
            paths=tuple(zip(ups, locs)),
        )

    def _activation_factor(self, neuron: Any, name: str) -> None:
        K = self.K
        act = neuron.activation.op
        out, net = self.out[name], self.net[name]
        if act is not None:
            text = act.partial_text(0, (f"net_{name}",))
            text = text.replace(act.expression((f"net_{name}",)), name)
            self.add(
                f"d{name}/dnet_{name}",
                BACKWARD_FACTORS,
                act.partials(FloatMath, out.data, net.data)[0],
                deps=(K(name), K(f"net_{name}")),
                compute=lambda v, a=act: a.partials(FloatMath, v[0], v[1])[0],
                formula=text,
                kind="local",
                activation=act.name,
                never_zero=not slope_vanishes(act),
            )
        else:
            self.add(f"d{name}/dnet_{name}", BACKWARD_FACTORS, 1.0, formula="1")
        chain = (K(f"dE/d{name}"), K(f"d{name}/dnet_{name}"))
        self.add(
            f"dE/dnet_{name}",
            BACKWARD_FACTORS,
            net.grad,
            deps=chain,
            compute=product,
            formula=f"dE/d{name} * d{name}/dnet_{name}",
            aliases=(f"delta_{name}", f"delta{name}"),
            paths=(chain,),
        )

    def _input_factors(self, neuron: Any, name: str, ins: list[str], hidden: bool) -> None:
        K = self.K
        for w, i_name in zip(neuron.w, ins):
            self.add(
                f"dnet_{name}/d{w.label}",
                BACKWARD_FACTORS,
                self.nodes[K(i_name)].data,
                deps=(K(i_name),),
                compute=identity,
                formula=i_name,
            )
        self.add(f"dnet_{name}/d{neuron.b.label}", BACKWARD_FACTORS, 1.0, formula="1")
        if hidden:
            for w, i_name in zip(neuron.w, ins):
                self.add(
                    f"dnet_{name}/d{i_name}",
                    BACKWARD_FACTORS,
                    w.data,
                    deps=(K(w.label),),
                    compute=identity,
                    formula=w.label,
                )

    # ---- gradients, output layer first (the order of the chain rule)
    def gradients(self) -> None:
        K = self.K
        paths: dict[str, list[tuple[Key, ...]]] = {}
        for li in range(len(self.mlp.layers) - 1, -1, -1):
            for neuron, name in zip(self.mlp.layers[li].neurons, self.spec.neurons[li]):
                chain = (K(f"dE/d{name}"), K(f"d{name}/dnet_{name}"))
                for p in (*neuron.w, neuron.b):
                    paths.setdefault(p.label, []).append((*chain, K(f"dnet_{name}/d{p.label}")))
        for pname, ps in paths.items():
            flat = tuple(k for path in ps for k in path)
            formula = " + ".join(" * ".join(k[1] for k in path) for path in ps)
            value = sum(v.grad for v in self.uses[pname])
            deltas = [(K(f"dE/dnet_{p[1][1].partition('/dnet_')[2]}"), p[2]) for p in ps]
            via = Quantity(  # the same gradient from the deltas, when the sheet writes them
                f"dE/d{pname} (from the deltas)",
                self.step,
                GRADIENTS,
                value,
                deps=tuple(k for pair in deltas for k in pair),
                compute=functools.partial(sum_of_products, 2, len(ps)),
                formula=" + ".join(f"{a[1]} * {b[1]}" for a, b in deltas),
            )
            self.add(
                f"dE/d{pname}",
                GRADIENTS,
                value,
                deps=flat,
                compute=functools.partial(sum_of_products, len(ps[0]), len(ps)),
                formula=formula,
                paths=tuple(ps),
                shortcuts=(via,),
            )

    # ---- the update: nn's SGD on the parameters' own numbers (this step's graph keeps its
    # weights, so its explanations show the numbers the forward pass used)
    def updates(self) -> None:
        K, lr, spec = self.K, self.spec.learning_rate, self.spec
        params = {}
        for name, uses in self.uses.items():
            p = params[name] = Value(uses[0].data, label=name)
            p.grad = 0.0 if name in spec.frozen else sum(v.grad for v in uses)
        SGD(list(params.values()), lr=lr).step()
        for name, p in params.items():
            frozen = name in spec.frozen
            self.add(
                f"{name}_new",
                UPDATES,
                p.data,
                deps=(K(name), K(f"dE/d{name}"), K(LEARNING_RATE)),
                compute=identity if frozen else step_rule,
                formula=name if frozen else f"{name} - {lr:g} * dE/d{name}",  # frozen: kept
                aliases=(f"{name}'", f"{name}+", f"new_{name}", f"{name}_updated"),
                alternatives=update_slips(frozen),
                exact=frozen,
            )
        self.next_weights = [
            [[params[w].data for w in ws] + [params[b].data] for ws, b in zip(wn, bn)]
            for wn, bn in zip(spec.weight_names, spec.bias_names)
        ]

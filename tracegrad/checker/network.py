"""Network homework: the textbook's worked solution of a small fully connected network.

The engine's numbers come from ``tracegrad.nn``: an ``MLP`` with the sheet's weights
(``set_weights``), its loss from ``tracegrad.nn.losses``, ``E.backward()`` for every
dE/d(...), and ``tracegrad.nn.optim.SGD`` for the update. The quantities are named as textbooks
name them (``net_h1``, ``h1``, ``dE/do1``, ``do1/dnet_o1``, ``dnet_o1/dw5``, ``dE/dw5``,
``w5_new``), and each carries the textbook recipe that computes it from earlier quantities, for
the error-carried-forward check.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from tracegrad.autograd.ops import FloatMath
from tracegrad.autograd.value import Value
from tracegrad.checker.homework import Homework, NetworkSpec
from tracegrad.checker.problem import Key, Problem, Quantity
from tracegrad.nn.layers import MLP
from tracegrad.nn.losses import get_loss
from tracegrad.nn.optim import SGD

__all__ = ["build_network"]

# nn.losses name -> (how it combines the outputs, E_k as text, dE/do_k as text)
_LOSS_TEXT = {
    "half_sse": ("sum", "1/2 ({y} - {o})**2", "-({y} - {o})"),
    "mse": ("mean", "({y} - {o})**2 / {n}", "-2 ({y} - {o}) / {n}"),
}


def _product(v: Sequence[float]) -> float:
    out = 1.0
    for x in v:
        out *= x
    return out


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" + ("" if n == 1 else "s")


def _identity(v: Sequence[float]) -> float:
    return v[0]


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
    loss = get_loss(spec.loss).fn
    reduce, e_text, de_text = _LOSS_TEXT[spec.loss]
    n_out = len(spec.outputs)
    scale = 1.0 if reduce == "sum" else 1.0 / n_out
    lr = spec.learning_rate
    qs: list[Quantity] = []
    nodes: dict[Key, Value] = {}
    roots: dict[int, Value] = {}
    W = _weights_for_nn(spec)

    for step in range(1, spec.steps + 1):
        x, y = spec.samples[(step - 1) % len(spec.samples)]
        mlp = _mlp(spec, W)

        def K(name: str, step: int = step) -> Key:
            return (step, name)

        def add(name: str, section: str, value: float, step: int = step, **kw: Any) -> None:
            qs.append(Quantity(name, step, section, value, **kw))

        # ---- given: the inputs, targets and the weights this step starts from
        for name, v in zip(spec.inputs, x):
            add(name, "given", v)
        for name, v in zip(spec.targets, y):
            add(name, "given", v)
        for p in mlp.parameters():
            if step == 1:
                add(p.label, "given", p.data)
            else:
                prev = (step - 1, f"{p.label}_new")
                add(
                    p.label,
                    "given",
                    p.data,
                    deps=(prev,),
                    compute=_identity,
                    formula=f"{p.label}_new",
                )

        # ---- forward pass through nn, naming each neuron's net input and output
        xs = [Value(v, label=name) for v, name in zip(x, spec.inputs)]
        for xv in xs:
            nodes[K(xv.label)] = xv
        layer_in: list[Value] = xs
        in_names = list(spec.inputs)
        net_nodes: dict[str, Value] = {}
        out_nodes: dict[str, Value] = {}
        for layer, names in zip(mlp.layers, spec.neurons):
            outs = []
            for neuron, name in zip(layer.neurons, names):
                out = neuron(layer_in)
                act = neuron.activation.op
                net = out.parents[0] if act is not None else out
                net.label = f"net_{name}"
                out.label = name
                net_nodes[name], out_nodes[name] = net, out
                wn = [w.label for w in neuron.w]
                bn = neuron.b.label
                deps = tuple(K(n) for n in (*in_names, *wn, bn))
                terms = " + ".join(f"{i}*{w}" for i, w in zip(in_names, wn))

                def net_recipe(v: Sequence[float], k: int = len(wn)) -> float:
                    acc = v[k] * v[0]
                    for i in range(1, k):
                        acc = acc + v[k + i] * v[i]
                    return acc + v[2 * k]

                add(
                    f"net_{name}",
                    "forward",
                    net.data,
                    deps=deps,
                    compute=net_recipe,
                    formula=f"{terms} + {bn}",
                    aliases=(f"z_{name}",),
                )
                if act is not None:
                    fwd = act.forward
                    add(
                        name,
                        "forward",
                        out.data,
                        deps=(K(f"net_{name}"),),
                        compute=lambda v, f=fwd: f(v[0]),
                        formula=act.expression((f"net_{name}",)),
                        aliases=(f"out_{name}",),
                    )
                else:
                    add(
                        name,
                        "forward",
                        out.data,
                        deps=(K(f"net_{name}"),),
                        compute=_identity,
                        formula=f"net_{name}",
                        aliases=(f"out_{name}",),
                    )
                nodes[K(f"net_{name}")] = net
                nodes[K(name)] = out
                for w in neuron.w:
                    nodes[K(w.label)] = w
                nodes[K(bn)] = neuron.b
                outs.append(out)
            layer_in, in_names = outs, list(names)

        # ---- the loss
        outputs = spec.outputs
        for o, yk in zip(outputs, y):
            term = loss([out_nodes[o].data], [yk]).data * scale
            add(
                f"E_{o}",
                "loss",
                term,
                deps=(K(o),),
                compute=lambda v, yk=yk: loss([v[0]], [yk]).data * scale,
                formula=e_text.format(y=f"{yk:g}", o=o, n=n_out),
            )
        E = loss(layer_in, y)
        E.label = "E"
        roots[step] = E
        nodes[K("E")] = E
        add(
            "E",
            "loss",
            E.data,
            deps=tuple(K(f"E_{o}") for o in outputs),
            compute=lambda v: sum(v),
            formula=" + ".join(f"E_{o}" for o in outputs),
            aliases=("loss", "E_total"),
        )
        for p in mlp.parameters():
            p.grad = 0.0
        E.backward()

        # ---- backward factors, output layer first
        def dE_dout(v: Sequence[float], yk: float) -> float:
            o = Value(v[0])
            loss([o], [yk]).backward()
            return o.grad * scale

        for li in range(len(mlp.layers) - 1, -1, -1):
            layer, names = mlp.layers[li], spec.neurons[li]
            ins = spec.inputs if li == 0 else spec.neurons[li - 1]
            for j, (neuron, name) in enumerate(zip(layer.neurons, names)):
                out, net = out_nodes[name], net_nodes[name]
                if li == len(mlp.layers) - 1:
                    yk = y[j]
                    add(
                        f"dE/d{name}",
                        "backward factors",
                        out.grad,
                        deps=(K(name),),
                        compute=lambda v, yk=yk: dE_dout(v, yk),
                        formula=de_text.format(y=f"{yk:g}", o=name, n=n_out),
                    )
                else:
                    nxt_names = spec.neurons[li + 1]
                    deps = tuple(K(f"dE/dnet_{k}") for k in nxt_names) + tuple(
                        K(f"dnet_{k}/d{name}") for k in nxt_names
                    )
                    m = len(nxt_names)
                    add(
                        f"dE/d{name}",
                        "backward factors",
                        out.grad,
                        deps=deps,
                        compute=lambda v, m=m: sum(v[i] * v[m + i] for i in range(m)),
                        formula=" + ".join(f"dE/dnet_{k} * dnet_{k}/d{name}" for k in nxt_names),
                    )
                act = neuron.activation.op
                if act is not None:
                    local = act.partials(FloatMath, out.data, net.data)[0]
                    text = act.partial_text(0, (f"net_{name}",))
                    text = text.replace(act.expression((f"net_{name}",)), name)
                    add(
                        f"d{name}/dnet_{name}",
                        "backward factors",
                        local,
                        deps=(K(name), K(f"net_{name}")),
                        compute=lambda v, a=act: a.partials(FloatMath, v[0], v[1])[0],
                        formula=text,
                    )
                else:
                    add(f"d{name}/dnet_{name}", "backward factors", 1.0, formula="1")
                add(
                    f"dE/dnet_{name}",
                    "backward factors",
                    net.grad,
                    deps=(K(f"dE/d{name}"), K(f"d{name}/dnet_{name}")),
                    compute=_product,
                    formula=f"dE/d{name} * d{name}/dnet_{name}",
                    aliases=(f"delta_{name}", f"delta{name}"),
                )
                for w, i_name in zip(neuron.w, ins):
                    add(
                        f"dnet_{name}/d{w.label}",
                        "backward factors",
                        nodes[K(i_name)].data,
                        deps=(K(i_name),),
                        compute=_identity,
                        formula=i_name,
                    )
                add(f"dnet_{name}/d{neuron.b.label}", "backward factors", 1.0, formula="1")
                if li > 0:
                    for w, i_name in zip(neuron.w, ins):
                        add(
                            f"dnet_{name}/d{i_name}",
                            "backward factors",
                            w.data,
                            deps=(K(w.label),),
                            compute=_identity,
                            formula=w.label,
                        )

        # ---- gradients, output layer first (the order of the chain rule)
        for li in range(len(mlp.layers) - 1, -1, -1):
            for neuron, name in zip(mlp.layers[li].neurons, spec.neurons[li]):
                chain = (K(f"dE/d{name}"), K(f"d{name}/dnet_{name}"))
                for w in neuron.w:
                    add(
                        f"dE/d{w.label}",
                        "gradients",
                        w.grad,
                        deps=(*chain, K(f"dnet_{name}/d{w.label}")),
                        compute=_product,
                        formula=f"dE/d{name} * d{name}/dnet_{name} * dnet_{name}/d{w.label}",
                    )
                b = neuron.b
                add(
                    f"dE/d{b.label}",
                    "gradients",
                    b.grad,
                    deps=chain,
                    compute=_product,
                    formula=f"dE/d{name} * d{name}/dnet_{name} * 1",
                )

        # ---- the update, with nn's SGD on a copy (this step's graph keeps its numbers)
        after = _mlp(spec, W)
        for p_new, p in zip(after.parameters(), mlp.parameters()):
            p_new.grad = p.grad
        SGD(after.parameters(), lr=lr).step()
        for p_new, p in zip(after.parameters(), mlp.parameters()):
            name = p.label
            add(
                f"{name}_new",
                "updates",
                p_new.data,
                deps=(K(name), K(f"dE/d{name}")),
                compute=lambda v: v[0] - lr * v[1],
                formula=f"{name} - {lr:g} * dE/d{name}",
                aliases=(f"{name}'", f"{name}+", f"new_{name}", f"{name}_updated"),
                alternatives=(
                    ("added the step instead of subtracting it", lambda v: v[0] + lr * v[1]),
                    ("left out the learning rate", lambda v: v[0] - v[1]),
                ),
            )
        W = after.weights()

    describe = [
        f"network {len(spec.inputs)}-"
        + "-".join(str(len(n)) for n in spec.neurons)
        + f", activation {spec.activations[0]}"
        + (
            f", output {spec.activations[-1]}"
            if spec.activations[-1] != spec.activations[0]
            else ""
        ),
        f"inputs {', '.join(spec.inputs)}; neurons "
        + "; ".join(", ".join(layer) for layer in spec.neurons),
        f"loss {spec.loss}: E = "
        + " + ".join(e_text.format(y=t, o=o, n=n_out) for o, t in zip(spec.outputs, spec.targets)),
        f"update w_new = w - {lr:g} * dE/dw; "
        + _plural(spec.steps, "step")
        + (
            f", one sample per step, the {len(spec.samples)} samples in turn"
            if len(spec.samples) > 1
            else ""
        ),
    ]
    return Problem(
        kind="network",
        title=hw.title,
        quantities=qs,
        steps=spec.steps,
        roots=roots,
        describe=describe,
        nodes=nodes,
    )

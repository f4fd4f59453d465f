"""A traced tape replayed a *group* of nodes at a time: one numpy call per group, not per node.

``tape.compile`` flattens a function's graph into a tape of scalar nodes. Replaying it one
numpy call per node costs a Python round trip per node, thousands per call for an MLP.
Here the tape is scheduled instead:

- **Fusion.** A tree of ops the table calls a ``sum`` (add) whose inner nodes feed only that
  tree, with terms that are ``product``s (mul) of a leaf (a parameter or constant, the same
  for every sample) and a per-sample node, is one *dot* node: ``Σ w_t x_t + Σ c_r``. A
  neuron's ``w0*x0 + w1*x1 + ... + b`` is one dot.
- **Levels.** Every node gets the length of the longest path to it from the inputs; nodes
  at one level with the same op (and the same kind of operands) form a group. A layer of
  neurons is one group of dots (a matrix product when they read the same inputs), its
  activations one group of the table's ``array`` forward.
- **Blocks.** A group's results are one 2-D array (nodes x samples). A group that reads a
  whole block in order (a layer reading the previous layer) uses it as is: no gather.

Backward runs the groups in reverse with the same table partials on ``ArrayMath``; a dot's
partials are those of its sum and products (1, and the other factor). Gradients equal the
eager engine's up to the order of summation (the tests check 1e-12). Batches are processed
in chunks of ``CHUNK`` samples, so memory stays bounded (10^5 points are fine).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from tracegrad.autograd.compiled.arraymath import ArrayMath
from tracegrad.autograd.ops import Op

# Node kinds on the tape (ops are >= 0: an index into Tape.ops); tape.py writes them.
_INPUT = -1
_LEAF = -2

__all__ = ["Schedule", "schedule", "CHUNK"]

CHUNK = 8192  # samples per pass: bounds the memory of a replay whatever the batch size

# An operand: ("R", block, row) a row of a block (per sample) or ("L", leaf index, 0).
Ref = tuple[str, int, int]


@dataclass
class _Fetch:
    """How to build a (k, B) operand array for a group from blocks or leaves."""

    kind: str  # "R": rows of blocks, "L": leaf values
    refs: list[Ref]
    whole: int = -1  # the block itself, when refs are all its rows in order
    segments: list[tuple[int, np.ndarray, int, int]] = field(default_factory=list)
    leaf_index: np.ndarray | None = None  # kind "L"
    unique: bool = True  # rows never repeat within a segment (plain += is a scatter-add)


def _fetch_plan(refs: list[Ref], block_sizes: list[int]) -> _Fetch:
    kinds = {r[0] for r in refs}
    assert len(kinds) == 1
    kind = kinds.pop()
    if kind == "L":
        return _Fetch("L", refs, leaf_index=np.array([r[1] for r in refs], dtype=np.intp))
    f = _Fetch("R", refs)
    blocks = {r[1] for r in refs}
    if len(blocks) == 1:
        (b,) = blocks
        if [r[2] for r in refs] == list(range(block_sizes[b])):
            f.whole = b
            return f
    start = 0
    while start < len(refs):  # runs of consecutive refs into one block
        b = refs[start][1]
        end = start
        while end < len(refs) and refs[end][1] == b:
            end += 1
        picked = [r[2] for r in refs[start:end]]
        f.segments.append((b, np.array(picked, dtype=np.intp), start, end))
        if len(set(picked)) != len(picked):
            f.unique = False
        start = end
    return f


@dataclass
class _Group:
    """Nodes at one level computed by one numpy operation (or one matrix product)."""

    block: int
    op: Op | None  # None: a dot group
    operands: list[_Fetch]  # op: one per input; dot: [S (k*T refs)] + plain terms
    weights: np.ndarray | None = None  # dot: (k, T) leaf indices
    terms: int = 0  # dot: T
    shared: bool = False  # dot: every row reads the same T inputs (a matrix product)


@dataclass
class Schedule:
    """The tape as groups over blocks; ``run`` replays it on a batch chunk."""

    groups: list[_Group]
    block_sizes: list[int]
    input_blocks: list[int]  # per argument of the function
    node_ref: list[Ref | None]  # per tape node (None: fused into a dot)
    out: Ref
    n_leaves: int
    calls: int = 0  # numpy operations issued by the last run (forward and backward)
    _skip: set[int] = field(default_factory=set)  # blocks whose gradients are not wanted

    # ------------------------------------------------------------ running
    def _get(self, f: _Fetch, vals: list[Any], leaves: np.ndarray) -> Any:
        if f.kind == "L":
            self.calls += 1
            return leaves[f.leaf_index][:, None]
        if f.whole >= 0:
            return vals[f.whole]
        parts = [vals[b][rows] for b, rows, _, _ in f.segments]
        self.calls += len(parts) + (len(parts) > 1)
        if len(parts) == 1:
            return parts[0]
        n = max(p.shape[1] for p in parts)  # a block the same for every sample has 1 column
        return np.concatenate([np.broadcast_to(p, (p.shape[0], n)) for p in parts])

    def _needed(self, f: _Fetch) -> bool:
        """Whether any gradient f would receive is wanted (input blocks may be skipped)."""
        if f.kind == "L":
            return True
        if f.whole >= 0:
            return f.whole not in self._skip
        return any(b not in self._skip for b, _, _, _ in f.segments)

    def _put(
        self, f: _Fetch, grads: list[Any], lgrad: np.ndarray, c: Any, owned: bool = False
    ) -> None:
        """Add contribution c (k, B) into the operands' gradients; ``owned``: c is a fresh
        array nothing else holds, so it can be kept as a block's gradient without a copy."""
        if f.kind == "L":
            self.calls += 2
            w = c.sum(axis=1) if c.shape[1] > 1 else c[:, 0]
            lgrad += np.bincount(f.leaf_index, weights=w, minlength=len(lgrad))  # type: ignore[arg-type]
            return
        if f.whole >= 0:
            if f.whole in self._skip:
                return
            g = grads[f.whole]
            self.calls += 1
            if g is None:
                grads[f.whole] = c if owned else c.copy()
            else:
                grads[f.whole] = g + c
            return
        for b, rows, s, e in f.segments:
            if b in self._skip:
                continue
            g = grads[b]
            if g is None:
                g = grads[b] = np.zeros((self.block_sizes[b], c.shape[1]))
                self.calls += 1
            part = c[s:e]
            if g.shape[1] != part.shape[1]:  # a block the same for every sample
                part = part.sum(axis=1, keepdims=True)
            if f.unique:
                g[rows] += part
            else:
                np.add.at(g, rows, part)
            self.calls += 1

    def run(
        self,
        arrays: list[np.ndarray],
        leaves: np.ndarray,
        want_grads: bool,
        offset: int = 0,
        want_inputs: bool = True,
    ) -> tuple[list[Any], list[Any] | None, np.ndarray | None]:
        """Forward (and backward from the output) on one chunk starting at sample
        ``offset``: block values, block grads, leaf grads summed over the chunk. Without
        ``want_inputs`` the inputs' gradients are not computed (``Compiled.backward``)."""
        self._skip = set() if want_inputs else set(self.input_blocks)
        vals, saved = self._forward(arrays, leaves, offset)
        if not want_grads:
            return vals, None, None
        grads, lgrad = self._backward(vals, saved, leaves, arrays[0].shape[0])
        return vals, grads, lgrad

    def _forward(
        self, arrays: list[np.ndarray], leaves: np.ndarray, offset: int
    ) -> tuple[list[Any], list[list[Any]]]:
        """Every block's value, group by group; and each group's inputs, for the backward."""
        vals: list[Any] = [None] * len(self.block_sizes)
        for k, b in enumerate(self.input_blocks):
            a = arrays[k]
            vals[b] = a[None, :] if a.ndim == 1 else a.T
        saved: list[list[Any]] = []
        for grp in self.groups:
            ins = [self._get(f, vals, leaves) for f in grp.operands]
            if grp.op is not None:
                r = grp.op.array(np, *ins)  # type: ignore[misc]
                self.calls += 1
                if grp.op.domain:
                    check_domain(grp.op, r, ins, offset)
            else:
                r = self._dot(grp, ins, leaves)
            vals[grp.block] = r
            saved.append(ins)
        return vals, saved

    def _backward(
        self, vals: list[Any], saved: list[list[Any]], leaves: np.ndarray, n: int
    ) -> tuple[list[Any], np.ndarray]:
        """The batched version of ``graph.reverse_walk``'s step: from the output back, each
        group's partials (its row's, on arrays) times its upstream gradient, added into its
        operands (a fused dot product has its own backward)."""
        grads: list[Any] = [None] * len(self.block_sizes)
        lgrad = np.zeros(self.n_leaves)
        kind, ob, orow = self.out
        seed = np.zeros((self.block_sizes[ob], n))
        seed[orow] = 1.0
        grads[ob] = seed
        for grp, ins in zip(reversed(self.groups), reversed(saved)):
            g = grads[grp.block]
            if g is None:
                continue
            if grp.op is None:
                self._dot_backward(grp, ins, g, grads, lgrad, leaves)
            else:
                self._step(grp, ins, vals[grp.block], g, grads, lgrad)
        return grads, lgrad

    def _step(
        self, grp: _Group, ins: list[Any], out: Any, g: Any, grads: list[Any], lgrad: np.ndarray
    ) -> None:
        """One group's chain rule: its row's partials with ``ArrayMath``, times ``g``."""
        partials = grp.op.partials(ArrayMath, out, *ins)  # type: ignore[union-attr]
        self.calls += 2 * len(ins)
        for f, d, live in zip(grp.operands, partials, grp.op.differentiable):  # type: ignore[union-attr]
            if not live or not self._needed(f):
                continue
            c = g if type(d) is float and d == 1.0 else g * d
            if np.shape(c) != g.shape:
                c = np.broadcast_to(c, g.shape)
            self._put(f, grads, lgrad, c, owned=c is not g and c.base is None)

    def _dot(self, grp: _Group, ins: list[Any], leaves: np.ndarray) -> Any:
        W = leaves[grp.weights]
        X = ins[0]
        if grp.shared:
            r = W @ X
        else:
            k = W.shape[0]
            r = np.einsum("kt,ktb->kb", W, X.reshape(k, grp.terms, -1))
        self.calls += 2
        for p in ins[1:]:
            r = r + p
            self.calls += 1
        return r

    def _dot_backward(
        self, grp: _Group, ins: list[Any], g: Any, grads: list[Any], lgrad: Any, leaves: Any
    ) -> None:
        W = leaves[grp.weights]
        X = ins[0]
        if X.shape[1] != g.shape[1]:  # factors the same for every sample (one column)
            X = np.broadcast_to(X, (X.shape[0], g.shape[1]))
        k, t = W.shape
        wanted = self._needed(grp.operands[0])
        if grp.shared:
            dW = g @ X.T
            if wanted:
                self._put(grp.operands[0], grads, lgrad, W.T @ g, owned=True)
        else:
            dW = np.einsum("kb,ktb->kt", g, X.reshape(k, t, -1))
            if wanted:
                dX = (W[:, :, None] * g[:, None, :]).reshape(k * t, -1)
                self._put(grp.operands[0], grads, lgrad, dX)
        idx = grp.weights.ravel()  # type: ignore[union-attr]
        lgrad += np.bincount(idx, weights=dW.ravel(), minlength=len(lgrad))
        self.calls += 5
        for f in grp.operands[1:]:
            self._put(f, grads, lgrad, g)


class _Plan:
    """What ``schedule`` works out, one step a method: the dots to fuse, each node's group,
    then the blocks and groups of the Schedule."""

    def __init__(
        self, code: list[int], args: list[tuple[int, ...]], ops: list[Op], out: int, keep: set[int]
    ) -> None:
        self.code, self.args, self.ops, self.out, self.keep = code, args, ops, out, keep
        self.n = len(code)
        self.uses = Counter(j for i in range(self.n) if code[i] >= 0 for j in args[i])
        self.absorbed: set[int] = set()
        self.dots: dict[int, tuple[list[tuple[int, int]], list[int]]] = {}
        self.group_key: dict[int, tuple[Any, ...]] = {}
        self.leaf_of: dict[int, int] = {}

    def is_op(self, i: int, algebra: str) -> bool:
        return self.code[i] >= 0 and self.ops[self.code[i]].algebra == algebra

    def inner(self, i: int) -> bool:
        """Node i can be absorbed into its single consumer's dot."""
        return self.uses[i] == 1 and i != self.out and i not in self.keep

    def product(self, i: int) -> tuple[int, int] | None:
        """(leaf node, other node) when node i is an absorbable w * x."""
        if not (self.is_op(i, "product") and self.inner(i)):
            return None
        a, b = self.args[i]
        if self.code[a] == _LEAF and self.code[b] != _LEAF:
            return a, b
        if self.code[b] == _LEAF and self.code[a] != _LEAF:
            return b, a
        return None

    def fuse(self) -> None:
        """Dot roots and their terms: sum trees whose terms are leaf * value products."""
        for i in range(self.n - 1, -1, -1):
            if self.is_op(i, "sum") and i not in self.absorbed:
                self._fuse_tree(i)

    def _fuse_tree(self, i: int) -> None:
        prods: list[tuple[int, int]] = []
        plain: list[int] = []
        inside: list[int] = []
        stack = [i]
        while stack:  # walk the tree left to right
            j = stack.pop()
            if j != i:
                inside.append(j)
            for x in reversed(self.args[j]):
                if self.is_op(x, "sum") and self.inner(x):
                    stack.append(x)
                    continue
                p = self.product(x)
                if p is not None:
                    prods.append(p)
                    inside.append(x)
                else:
                    plain.append(x)
        if prods:
            self.dots[i] = (prods, plain)
            self.absorbed.update(inside)

    def levels(self) -> None:
        """Each remaining node's group key: its level, then the op (or dot shape) and which
        operands are leaves."""
        code, args = self.code, self.args
        level = [0] * self.n
        for i in range(self.n):
            if code[i] == _LEAF:
                self.leaf_of[i] = args[i][0]
                continue
            if code[i] == _INPUT or i in self.absorbed:
                continue
            if i in self.dots:
                prods, plain = self.dots[i]
                deps = [x for _, x in prods] + plain
                kinds = tuple("L" if code[x] == _LEAF else "R" for x in plain)
                key: tuple[Any, ...] = ("dot", len(prods), kinds)
            else:
                deps = list(args[i])
                kinds = tuple("L" if code[x] == _LEAF else "R" for x in deps)
                key = ("op", code[i], kinds)
            level[i] = 1 + max((level[x] for x in deps if code[x] != _LEAF), default=0)
            self.group_key[i] = (level[i], *key)

    def blocks(self, n_inputs: list[int]) -> tuple[list[int], list[Ref | None], list[int]]:
        """The input blocks first, and where every input and leaf node is read from."""
        block_sizes: list[int] = []
        node_ref: list[Ref | None] = [None] * self.n
        input_blocks = []
        for width in n_inputs:
            input_blocks.append(len(block_sizes))
            block_sizes.append(max(width, 1))
        for i in range(self.n):
            if self.code[i] == _INPUT:
                k, j = self.args[i]
                node_ref[i] = ("R", input_blocks[k], max(j, 0))
            elif self.code[i] == _LEAF:
                node_ref[i] = ("L", self.leaf_of[i], 0)
        return block_sizes, node_ref, input_blocks

    def groups(self, block_sizes: list[int], node_ref: list[Ref | None]) -> list[_Group]:
        """One block and one _Group per group key, in level order (fills node_ref)."""
        members: dict[tuple[Any, ...], list[int]] = {}
        for i, key in self.group_key.items():  # nodes in tape order within each group
            members.setdefault(key, []).append(i)
        groups: list[_Group] = []
        for key in sorted(members, key=lambda k: (k[0], min(members[k]))):
            nodes = members[key]
            b = len(block_sizes)
            block_sizes.append(len(nodes))
            for r, i in enumerate(nodes):
                node_ref[i] = ("R", b, r)
            groups.append(self._group(key, nodes, b, block_sizes, node_ref))
        return groups

    def _group(
        self,
        key: tuple[Any, ...],
        nodes: list[int],
        b: int,
        block_sizes: list[int],
        node_ref: list[Ref | None],
    ) -> _Group:
        def refs(xs: list[int]) -> list[Ref]:
            return [node_ref[x] for x in xs]  # type: ignore[misc]

        if key[1] == "op":
            op = self.ops[key[2]]
            operands = [
                _fetch_plan(refs([self.args[i][p] for i in nodes]), block_sizes)
                for p in range(op.arity)
            ]
            return _Group(b, op, operands)
        dots = self.dots
        xs = [[x for _, x in dots[i][0]] for i in nodes]
        shared = all(row == xs[0] for row in xs)
        s_refs = refs(xs[0]) if shared else refs([x for row in xs for x in row])
        weights = np.array([[self.leaf_of[w] for w, _ in dots[i][0]] for i in nodes], dtype=np.intp)
        operands = [_fetch_plan(s_refs, block_sizes)]
        for pos in range(len(key[3])):
            operands.append(_fetch_plan(refs([dots[i][1][pos] for i in nodes]), block_sizes))
        return _Group(b, None, operands, weights, key[2], shared)


def schedule(code: list[int], args: list[tuple[int, ...]], ops: list[Op], out: int,
             n_leaves: int, n_inputs: list[int], keep: set[int]) -> Schedule:  # fmt: skip
    """Group a tape (``tape._Tape`` fields) into a Schedule. ``keep``: nodes whose values
    must stay addressable (guards' operands); ``n_inputs[k]``: columns of argument k."""
    plan = _Plan(code, args, ops, out, keep)
    plan.fuse()
    plan.levels()
    block_sizes, node_ref, input_blocks = plan.blocks(n_inputs)
    groups = plan.groups(block_sizes, node_ref)
    return Schedule(groups, block_sizes, input_blocks, node_ref, node_ref[out], n_leaves)  # type: ignore[arg-type]


def check_domain(op: Op, r: Any, ins: list[Any], offset: int = 0) -> None:
    """Raise the eager engine's error for the first sample outside the op's domain.

    The last axis is the sample (1-D: one node; 2-D: a group of nodes); ``offset`` is the
    number of the chunk's first sample."""
    bad = ~np.isfinite(r)
    for x in ins:
        bad = bad & np.isfinite(x)
    if not np.any(bad):
        return
    bad = np.broadcast_to(bad, np.shape(bad))
    where = np.argwhere(bad)
    first = min(map(tuple, where.tolist()), key=lambda ix: (ix[-1], ix))
    scalars = [float(np.broadcast_to(x, bad.shape)[first]) for x in ins]
    s = offset + (first[-1] if first else 0)
    try:
        if op.check is not None:
            op.check(*scalars)
        op.forward(*scalars)
    except (ValueError, ZeroDivisionError) as e:
        raise type(e)(f"sample {s}: {e}") from None

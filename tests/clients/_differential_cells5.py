"""Differential round 5: random nn.Cell programs as users write them, built from a few Cell templates nested at
random (SequentialCell, CellList walked by `for`, a Cell repeated over a range, `if` on a Tensor's value, `while`
with a Tensor condition, Parameters shared between cells, frozen Parameters), and the same program as a torch
function of its Parameters in float64. Each template carries both spellings (construct for gradserve, `torch` for
the reference) so the two cannot drift apart. The torch side records how far each Tensor condition was from its
threshold: a case whose float32 run could take the other branch is reported as 'near', not compared.
draw_net(rng, dtype) -> Net; Net.reference(values, x, y) is the torch function."""
from __future__ import annotations

import numpy as np
import torch

from gradserve import Parameter, Tensor, nn, ops

D = 3  # feature width of every block
ACTS = {"tanh": (ops.tanh, torch.tanh), "sin": (ops.sin, torch.sin), "sigmoid": (ops.sigmoid, torch.sigmoid)}


class Trace:
    """Margins of the Tensor conditions met while the torch reference runs (smallest first matters)."""

    def __init__(self):
        self.margins: list[float] = []

    def cond(self, value, threshold) -> bool:
        v = float(value.detach() if isinstance(value, torch.Tensor) else value)
        self.margins.append(abs(v - threshold))
        return v > threshold


def _param(rng, shape, dtype, name, frozen=False):
    return Parameter(Tensor(rng.uniform(-0.9, 0.9, shape).astype(dtype)), name=name, requires_grad=not frozen)


class Affine(nn.Cell):
    """act(x W + b); W may be another Affine's Parameter (shared), b may be frozen."""

    def __init__(self, rng, dtype, act, shared_w=None, frozen_b=False):
        super().__init__()
        self.w = shared_w if shared_w is not None else _param(rng, (D, D), dtype, "w")
        self.b = _param(rng, (D,), dtype, "b", frozen_b)
        self.act = act

    def construct(self, x):
        return ACTS[self.act][0](ops.matmul(x, self.w) + self.b)

    def torch(self, P, x, tr):
        return ACTS[self.act][1](x @ P[id(self.w)] + P[id(self.b)])


class DenseLeaf(nn.Cell):
    """nn.Dense(D, D, activation) with random weights; its weight may be another DenseLeaf's Parameter."""

    def __init__(self, rng, dtype, act, shared=None):
        super().__init__()
        self.dense = nn.Dense(D, D, weight_init=rng.uniform(-0.9, 0.9, (D, D)).astype(dtype),
                              bias_init=rng.uniform(-0.9, 0.9, (D,)).astype(dtype), activation=act, dtype=dtype)
        if shared is not None:
            self.dense.weight = shared
        self.act = act
        self.w = self.dense.weight

    def construct(self, x):
        return self.dense(x)

    def torch(self, P, x, tr):
        y = x @ P[id(self.dense.weight)].T + P[id(self.dense.bias)]
        return {"tanh": torch.tanh, "sigmoid": torch.sigmoid}[self.act](y)


class Scale(nn.Cell):
    """x * s + sin(x): an elementwise Parameter."""

    def __init__(self, rng, dtype):
        super().__init__()
        self.s = _param(rng, (D,), dtype, "s")

    def construct(self, x):
        return x * self.s + ops.sin(x)

    def torch(self, P, x, tr):
        return x * P[id(self.s)] + torch.sin(x)


class Seq(nn.Cell):
    """nn.SequentialCell of the children."""

    def __init__(self, children):
        super().__init__()
        self.seq = nn.SequentialCell(children)
        self.kids = children

    def construct(self, x):
        return self.seq(x)

    def torch(self, P, x, tr):
        for c in self.kids:
            x = c.torch(P, x, tr)
        return x


class ListLoop(nn.Cell):
    """nn.CellList walked by `for cell in self.cells` or by index over range(len(...)), a residual half step each."""

    def __init__(self, children, indexed):
        super().__init__()
        self.cells = nn.CellList(children)
        self.kids = children
        self.indexed = indexed

    def construct(self, x):
        if self.indexed:
            for i in range(len(self.cells)):
                x = x * 0.5 + self.cells[i](x)
        else:
            for cell in self.cells:
                x = x * 0.5 + cell(x)
        return x

    def torch(self, P, x, tr):
        for c in self.kids:
            x = x * 0.5 + c.torch(P, x, tr)
        return x


class Repeat(nn.Cell):
    """One child applied `n` times over range(n): its Parameters used n times."""

    def __init__(self, child, n):
        super().__init__()
        self.child = child
        self.n = n

    def construct(self, x):
        for _ in range(self.n):
            x = self.child(x) + x * 0.25
        return x

    def torch(self, P, x, tr):
        for _ in range(self.n):
            x = self.child.torch(P, x, tr) + x * 0.25
        return x


class Branch(nn.Cell):
    """`if` on a Tensor's value: the sum or the mean square of x against a threshold."""

    def __init__(self, yes, no, threshold, square):
        super().__init__()
        self.yes = yes
        self.no = no
        self.threshold = threshold
        self.square = square

    def construct(self, x):
        if self.square:
            c = (x * x).mean()
        else:
            c = x.sum()
        if c > self.threshold:
            out = self.yes(x)
        else:
            out = self.no(x) * 2.0
        return out

    def torch(self, P, x, tr):
        c = (x * x).mean() if self.square else x.sum()
        return self.yes.torch(P, x, tr) if tr.cond(c, self.threshold) else self.no.torch(P, x, tr) * 2.0


class Grow(nn.Cell):
    """`while` with a Tensor condition: steps until the sum has grown by k (each step adds 0.4-0.6 an element)."""

    def __init__(self, child, k):
        super().__init__()
        self.child = child
        self.k = k

    def construct(self, x):
        start = x.sum()
        while x.sum() < start + self.k:
            x = x + 0.5 + 0.1 * ops.tanh(self.child(x))
        return x

    def torch(self, P, x, tr):
        start = x.sum()
        while not tr.cond(x.sum(), float(start.detach()) + self.k):
            x = x + 0.5 + 0.1 * torch.tanh(self.child.torch(P, x, tr))
        return x


class Net(nn.Cell):
    """The top cell: (tanh(body(x)) * c).sum(1) * y, and body(x) as a second output when two_out."""

    def __init__(self, rng, dtype, body, two_out):
        super().__init__()
        self.body = body
        self.c = _param(rng, (D,), dtype, "c")
        self.two_out = two_out

    def construct(self, x, y):
        h = self.body(x)
        out = (ops.tanh(h) * self.c).sum(axis=1) * y
        if self.two_out:
            return out, h
        return out

    def reference(self, P, x, y, tr):
        h = self.body.torch(P, x, tr)
        out = (torch.tanh(h) * P[id(self.c)]).sum(1) * y
        return (out, h) if self.two_out else out

    def params(self):
        """Every distinct Parameter (frozen ones too), in get_parameters() order."""
        return list(self.get_parameters())


def _leaf(rng, dtype, pool):
    if rng.random() < 0.25:
        return Scale(rng, dtype)
    shared = pool[int(rng.integers(len(pool)))].w if pool and rng.random() < 0.35 else None
    if rng.random() < 0.3:
        cell = DenseLeaf(rng, dtype, str(rng.choice(["tanh", "sigmoid"])), shared)
        pool.append(cell)
        return cell
    cell = Affine(rng, dtype, str(rng.choice(list(ACTS))), shared, frozen_b=rng.random() < 0.3)
    pool.append(cell)
    return cell


def _block(rng, dtype, pool, depth):
    """A random cell tree of at most `depth` levels of containers / control flow over leaves; a leaf is now and
    then a cell already in the tree (the same instance called at two places)."""
    if pool and rng.random() < 0.12:
        return pool[int(rng.integers(len(pool)))]
    kind = "leaf" if depth == 0 else str(rng.choice(["leaf", "seq", "list", "repeat", "branch", "grow"],
                                                    p=[0.2, 0.16, 0.16, 0.16, 0.18, 0.14]))
    sub = lambda: _block(rng, dtype, pool, depth - 1)  # noqa: E731
    if kind == "leaf":
        return _leaf(rng, dtype, pool)
    if kind in ("seq", "list"):
        kids = [sub() for _ in range(int(rng.integers(1, 4)))]
        return Seq(kids) if kind == "seq" else ListLoop(kids, bool(rng.random() < 0.5))
    if kind == "repeat":
        return Repeat(sub(), int(rng.integers(1, 4)))
    if kind == "branch":
        square = bool(rng.random() < 0.4)
        threshold = float(rng.uniform(0.1, 0.6)) if square else float(rng.uniform(-1.0, 1.0))
        return Branch(sub(), sub(), round(threshold, 3), square)
    return Grow(sub(), round(float(rng.uniform(0.6, 7.0)), 3))


def draw_net(rng, dtype: str) -> Net:
    return Net(rng, dtype, _block(rng, dtype, [], int(rng.integers(1, 4))), bool(rng.random() < 0.4))


def torch_values(net: Net) -> dict:
    """{id(Parameter): float64 torch tensor of its current value}."""
    return {id(p): torch.tensor(p.asnumpy().astype(np.float64)) for p in net.params()}

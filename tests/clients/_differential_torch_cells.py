"""Differential round 3, the weights side: a Cell with nested sub-cells (two of one class, so Parameter names carry
prefixes), frozen Parameters (requires_grad=False) and two outputs, differentiated w.r.t. random lists of its
Parameters (reordered, repeated, frozen ones, a single Parameter, a ParameterTuple) through GradOperation
(get_by_list, get_all, sens_param with a tuple of sens), ops.grad / value_and_grad (grad_position, weights) and
vjp(weights=...), against torch.autograd in float64. MindSpore 2.10's conventions (checked on CPU):
- a Parameter listed twice gets its whole gradient at each place;
- a frozen Parameter asked for by name gets zeros in PyNative and its gradient in GRAPH_MODE;
- a single Parameter (not a tuple) as weights gives a bare Tensor.
run_weights_case(seed) -> ('ok' | 'mismatch' | 'error', name, detail)."""
from __future__ import annotations

import numpy as np
import torch

from gradserve import Parameter, ParameterTuple, Tensor, nn, ops
from gradserve.ops import GradOperation

try:
    from ._differential_specs import judged
except ImportError:  # run as a script
    from _differential_specs import judged


class Inner(nn.Cell):
    def __init__(self, rng):
        super().__init__()
        self.w = Parameter(Tensor(rng.uniform(-1, 1, (3, 3)).astype(np.float32)), name="w")
        self.f = Parameter(Tensor(rng.uniform(-1, 1, (3,)).astype(np.float32)), name="f", requires_grad=False)

    def construct(self, x):
        return ops.tanh(ops.matmul(x, self.w)) * self.f + self.f


class Outer(nn.Cell):
    """(sum_j h * y, sin(h)) for h = b(a(x) * c): Parameters c, a.w, b.w trainable, a.f, b.f frozen."""
    def __init__(self, rng):
        super().__init__()
        self.a = Inner(rng)
        self.b = Inner(rng)
        self.c = Parameter(Tensor(rng.uniform(-1, 1, (3,)).astype(np.float32)), name="c")

    def construct(self, x, y):
        h = self.b(self.a(x) * self.c)
        return h.sum(axis=1) * y, ops.sin(h)


def torch_outer(P, x, y):
    inner = lambda pre, v: torch.tanh(v @ P[pre + "w"]) * P[pre + "f"] + P[pre + "f"]  # noqa: E731
    h = inner("b.", inner("a.", x) * P["c"])
    return h.sum(1) * y, torch.sin(h)


def torch_grads(net, x, y, sens, stop_second=False):
    """torch's gradients of sum(out_i * sens_i) w.r.t. (x, y) and every Parameter by name (frozen ones included),
    and the outputs."""
    P = {p.name: torch.tensor(p.asnumpy().astype(np.float64), requires_grad=True) for p in net.get_parameters()}
    tx, ty = (torch.tensor(v.astype(np.float64), requires_grad=True) for v in (x, y))
    outs = torch_outer(P, tx, ty)
    kept = outs[:1] if stop_second else outs
    loss = sum((o * torch.tensor(np.asarray(s, np.float64))).sum() for o, s in zip(kept, sens))
    grads = torch.autograd.grad(loss, [tx, ty, *P.values()])
    return [g.numpy() for g in grads[:2]], {n: g.numpy() for n, g in zip(P, grads[2:])}, \
        tuple(o.detach().numpy() for o in outs)


APIS = ("grad_operation", "grad_operation_all", "grad_operation_sens", "ops_grad", "value_and_grad", "vjp")


def _draw_weights(rng, params):
    """A random list of the net's Parameters: 1 to 4 picks (repeats and frozen ones possible), or one Parameter."""
    if rng.random() < 0.15:
        return params[int(rng.integers(len(params)))]
    picks = [params[int(i)] for i in rng.integers(len(params), size=int(rng.integers(1, 5)))]
    return ParameterTuple(picks) if rng.random() < 0.5 else picks


def _want_weights(weights, gw, mode):
    one = isinstance(weights, Parameter)
    ws = [weights] if one else list(weights)
    got = [gw[p.name] if p.requires_grad or mode == "graph" else np.zeros(p.shape) for p in ws]
    return got[0] if one else tuple(got)


def run_api(api, net, weights, x, y, rng, mode):
    """(gradserve's result, torch's) for one API over net at (x, y) w.r.t. weights."""
    xs = (Tensor(x), Tensor(y))
    if api in ("grad_operation_sens", "vjp"):
        sens = (rng.uniform(-1, 1, (2,)).astype(np.float32), rng.uniform(-1, 1, (2, 3)).astype(np.float32))
    else:
        sens = (np.ones(2), np.ones((2, 3)))
    gx, gw, outs = torch_grads(net, x, y, sens)
    ww = _want_weights(weights, gw, mode)
    if api == "grad_operation":
        return GradOperation(get_by_list=True)(net, weights)(*xs), ww
    if api == "grad_operation_all":
        return GradOperation(get_all=True, get_by_list=True)(net, weights)(*xs), (tuple(gx), ww)
    if api == "grad_operation_sens":
        got = GradOperation(get_by_list=True, sens_param=True)(net, weights)(*xs, tuple(map(Tensor, sens)))
        return got, ww
    pos = int(rng.integers(2))
    if api == "ops_grad":
        return ops.grad(net, pos, weights)(*xs), (gx[pos], ww)
    if api == "value_and_grad":
        return ops.value_and_grad(net, pos, weights)(*xs), (outs, (gx[pos], ww))
    out, back = ops.vjp(net, *xs, weights=weights)
    return (out, back(tuple(map(Tensor, sens)))), (outs, (tuple(gx), ww))


def run_weights_case(seed: int):
    rng = np.random.default_rng(950_000 + seed)
    api = APIS[int(rng.integers(len(APIS)))]
    mode = "graph" if rng.random() < 0.4 else "pynative"
    net = Outer(rng)
    weights = _draw_weights(rng, list(net.get_parameters()))
    names = [weights.name] if isinstance(weights, Parameter) else [p.name for p in weights]
    label = f"{api}/{mode}/{','.join(names)}"
    x, y = rng.uniform(-1, 1, (2, 3)).astype(np.float32), rng.uniform(-1, 1, (2,)).astype(np.float32)
    return judged(label, lambda: run_api(api, net, weights, x, y, rng, mode), "float32", mode)

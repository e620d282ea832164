"""Differential round 5, the API side: each spec differentiates a random Cell program (_differential_cells5.py)
through one MindSpore API and returns (gradserve's result, torch's float64 answer in MindSpore's structure).
MindSpore 2.10's conventions (checked on CPU with /work/msvenv): one position (an int or a 1-tuple) or one
Parameter gives a bare Tensor; ops.grad's has_aux differentiates the first output and returns the rest as a tuple;
return_ids pairs each gradient with its position / Parameter name; vjp(weights=...) returns (inputs, weights).
run_cells_case(seed) -> ('ok' | 'mismatch' | 'error' | 'near', name, detail)."""
from __future__ import annotations

import numpy as np
import torch

import gradserve as gs
from gradserve import ParameterTuple, Tensor, nn, ops
from gradserve.ops import GradOperation

try:
    from ._differential_cells5 import Trace, draw_net, torch_values
    from ._differential_specs import _ms_total as _total, compare  # (sums torch tensors as well)
except ImportError:  # run as a script
    from _differential_cells5 import Trace, draw_net, torch_values
    from _differential_specs import _ms_total as _total, compare

DTYPES = ["float32"] * 5 + ["float64"]  # drawn per case (a wide run may set its own)
NEAR = 1e-3  # a Tensor condition this close to its threshold could go the other way in float32


class Case:
    """One program, its inputs and the torch side: weights' gradients by id, branch margins in `trace`."""

    def __init__(self, seed: int):
        self.rng = rng = np.random.default_rng(seed)
        self.dtype = str(rng.choice(DTYPES))
        self.net = draw_net(rng, self.dtype)
        self.x = rng.uniform(-1, 1, (2, 3)).astype(self.dtype)
        self.y = rng.uniform(-1, 1, (2,)).astype(self.dtype)
        self.trace = Trace()

    def ms(self, *arrays):
        return [Tensor(a) for a in arrays]

    def fn(self, weights=(), values=None):
        """torch f(x, y, *weights) -> the net's output(s), other Parameters at their current values."""
        base = values if values is not None else torch_values(self.net)

        def f(x, y, *ws):
            P = dict(base)
            P.update({id(p): w for p, w in zip(weights, ws)})
            return self.net.reference(P, x, y, self.trace)
        return f

    def grads(self, weights=(), sens=None, first_only=False, x=None, y=None, values=None):
        """torch's (gx, gy, [g of each weight]) of sum(out_i * sens_i) (sens None: ones) and the outputs."""
        base = values if values is not None else torch_values(self.net)
        tx, ty = (torch.tensor(np.asarray(v, np.float64), requires_grad=True)
                  for v in (self.x if x is None else x, self.y if y is None else y))
        tw = [base[id(p)].clone().requires_grad_(True) for p in weights]
        outs = self.fn(weights, base)(tx, ty, *tw)
        outs_t = outs if isinstance(outs, tuple) else (outs,)
        kept = outs_t[:1] if first_only else outs_t
        sens_t = sens if isinstance(sens, tuple) else (sens,) * len(kept)
        loss = sum((o * (1.0 if s is None else torch.tensor(np.asarray(s, np.float64)))).sum()
                   for o, s in zip(kept, sens_t))
        gs_ = torch.autograd.grad(loss, [tx, ty] + tw, allow_unused=True)
        g = [np.zeros(v.shape) if d is None else d.detach().numpy() for d, v in zip(gs_, [tx, ty] + tw)]
        return g[0], g[1], g[2:], _np(outs)

    def like_outputs(self):
        outs = self.fn()(*(torch.tensor(np.asarray(v, np.float64)) for v in (self.x, self.y)))
        if isinstance(outs, tuple):
            return tuple(self.rng.uniform(-1, 1, o.shape).astype(self.dtype) for o in outs)
        return self.rng.uniform(-1, 1, outs.shape).astype(self.dtype)

    def weights(self, k_max=None):
        """A random non-empty subset of the trainable Parameters, shuffled."""
        params = self.net.trainable_params()
        k = int(self.rng.integers(1, min(len(params), k_max or len(params)) + 1))
        return [params[i] for i in self.rng.permutation(len(params))[:k]]


def _np(t):
    if isinstance(t, (tuple, list)):
        return tuple(_np(v) for v in t)
    return t.detach().numpy() if isinstance(t, torch.Tensor) else np.asarray(t)


def _ms_tree(v):
    return tuple(Tensor(a) for a in v) if isinstance(v, tuple) else Tensor(v)


def _pos_part(gx, gy, pos):
    g = (gx, gy)
    if isinstance(pos, int):
        return g[pos]
    return g[pos[0]] if len(pos) == 1 else tuple(g[i] for i in pos)


def _weights_form(ws, rng):
    """(what to pass as weights, how the answer is shaped): a single Parameter, a list or a ParameterTuple."""
    form = str(rng.choice(["single", "list", "tuple"])) if len(ws) == 1 else str(rng.choice(["list", "tuple"]))
    return (ws[0] if form == "single" else list(ws) if form == "list" else ParameterTuple(ws)), form == "single"


def spec_grad_operation(c: Case):
    get_all, get_by_list, sens_param = (bool(c.rng.integers(2)) for _ in range(3))
    ws = c.weights()
    sens = c.like_outputs() if sens_param else None
    op = GradOperation(get_all=get_all, get_by_list=get_by_list, sens_param=sens_param)
    args = c.ms(c.x, c.y) + ([_ms_tree(sens)] if sens_param else [])
    got = op(c.net, ParameterTuple(ws))(*args) if get_by_list else op(c.net)(*args)
    gx, gy, gw, _ = c.grads(ws, sens)
    inputs = (gx, gy) if get_all else gx
    want = (inputs, tuple(gw)) if get_all and get_by_list else tuple(gw) if get_by_list else inputs
    return got, want


def _grad_request(c: Case):
    pos = [0, 1, (0,), (0, 1), (1, 0), None][int(c.rng.integers(6))]
    ws = c.weights() if pos is None or c.rng.random() < 0.6 else None
    weights, single = _weights_form(ws, c.rng) if ws else (None, False)
    has_aux = c.net.two_out and bool(c.rng.random() < 0.5)
    return pos, ws, weights, single, has_aux


def _grad_want(c: Case, pos, ws, single, has_aux, ids=False):
    gx, gy, gw, outs = c.grads(ws or [], first_only=has_aux)
    if ids:
        gx, gy = (0, gx), (1, gy)
        gw = [(p.name, g) for p, g in zip(ws or [], gw)]
    wpart = (gw[0] if single else tuple(gw)) if ws else None
    grads = wpart if pos is None else _pos_part(gx, gy, pos) if not ws else (_pos_part(gx, gy, pos), wpart)
    return grads, outs


def spec_ops_grad(c: Case):
    pos, ws, weights, single, has_aux = _grad_request(c)
    ids = not single and not (isinstance(pos, tuple) and len(pos) == 1) and bool(c.rng.random() < 0.3)
    got = ops.grad(c.net, pos, weights, has_aux=has_aux, return_ids=ids)(*c.ms(c.x, c.y))
    grads, outs = _grad_want(c, pos, ws, single, has_aux, ids)
    want = (grads, tuple(outs[1:])) if has_aux else grads
    if ids:
        got, want = _split_ids(got, "got"), _split_ids(want, "want")
    return got, want


def _split_ids(tree, side):
    """(ids, values) of a return_ids tree; ids compared as a Tensor-free structure (repr)."""
    ids, values = [], []

    def walk(t):
        if isinstance(t, tuple) and len(t) == 2 and isinstance(t[0], (int, str)):
            ids.append(t[0])
            values.append(t[1])
        elif isinstance(t, tuple):
            for v in t:
                walk(v)
        else:
            values.append(t)
    walk(tree)
    return tuple(values) + (np.array(repr(ids).__hash__() % 1000003),)


def spec_value_and_grad(c: Case):
    pos, ws, weights, single, has_aux = _grad_request(c)
    got = ops.value_and_grad(c.net, pos, weights, has_aux=has_aux)(*c.ms(c.x, c.y))
    grads, outs = _grad_want(c, pos, ws, single, has_aux)
    return got, (outs, grads)


def spec_vjp(c: Case):
    ws = c.weights() if c.rng.random() < 0.5 else None
    weights, single = _weights_form(ws, c.rng) if ws else (None, False)
    v = c.like_outputs()
    out, fn = ops.vjp(c.net, *c.ms(c.x, c.y), weights=weights) if ws else ops.vjp(c.net, *c.ms(c.x, c.y))
    got = fn(_ms_tree(v))
    gx, gy, gw, outs = c.grads(ws or [], v)
    want = ((gx, gy), gw[0] if single else tuple(gw)) if ws else (gx, gy)
    return (out, got), (outs, want)


def spec_jvp(c: Case):
    vx, vy = (c.rng.uniform(-1, 1, a.shape).astype(c.dtype) for a in (c.x, c.y))
    got = ops.jvp(c.net, tuple(c.ms(c.x, c.y)), tuple(c.ms(vx, vy)))
    t = lambda a: torch.tensor(np.asarray(a, np.float64))  # noqa: E731
    want = torch.func.jvp(c.fn(), (t(c.x), t(c.y)), (t(vx), t(vy)))
    return got, _np(want)


def _first(c: Case, lib_net):
    return (lambda x, y: lib_net(x, y)[0]) if c.net.two_out else lib_net


def spec_jacobian(c: Case):
    kind = str(c.rng.choice(["jacrev", "jacfwd"]))
    pos = [0, 1, (0, 1)][int(c.rng.integers(3))]
    got = getattr(ops, kind)(_first(c, c.net), pos)(*c.ms(c.x, c.y))
    t = lambda a: torch.tensor(np.asarray(a, np.float64))  # noqa: E731
    want = torch.func.jacrev(_first(c, c.fn()), pos)(t(c.x), t(c.y))
    return got, _np(want)


def spec_hessian(c: Case):
    pos = [0, 1][int(c.rng.integers(2))]
    got = ops.hessian(lambda x, y: _total(c.net(x, y)), pos)(*c.ms(c.x, c.y))
    t = lambda a: torch.tensor(np.asarray(a, np.float64))  # noqa: E731
    f = c.fn()
    want = torch.func.jacrev(torch.func.jacrev(lambda x, y: _total(f(x, y)), pos), pos)(t(c.x), t(c.y))
    return got, _np(want)


def spec_higher_order(c: Case):
    """grad of grad (of grad) w.r.t. random positions, each level differentiating the sum of the last."""
    order = int(c.rng.integers(2, 4))
    positions = [int(c.rng.integers(2)) for _ in range(order)]
    msf, tf = (lambda x, y: _total(c.net(x, y))), c.fn()
    tfs = lambda x, y: _total(tf(x, y))  # noqa: E731
    for i, pos in enumerate(positions):
        msf = ops.grad(msf, pos)
        tfs = torch.func.grad(tfs if i == 0 else (lambda g: lambda x, y: g(x, y).sum())(tfs), pos)
    t = lambda a: torch.tensor(np.asarray(a, np.float64))  # noqa: E731
    return msf(*c.ms(c.x, c.y)), _np(tfs(t(c.x), t(c.y)))


def _batch(c: Case):
    """Two examples: (x, y) and an independent draw, so control flow may go its own way in each."""
    return [c.x, c.rng.uniform(-1, 1, c.x.shape).astype(c.dtype)], [c.y, c.rng.uniform(-1, 1, c.y.shape).astype(c.dtype)]


def spec_vmap_grad(c: Case):
    """vmap over a batch of 2 of grad(net, 0): x batched on axis 0 or 1, y batched or None, out_axes 0 or 1."""
    ax, ay, out_axes = int(c.rng.integers(2)), [None, 0][int(c.rng.integers(2))], int(c.rng.integers(2))
    xs, ys = _batch(c)
    ys = ys if ay is not None else [c.y, c.y]
    got = ops.vmap(ops.grad(c.net, 0), (ax, ay), out_axes)(
        Tensor(np.stack(xs, ax)), Tensor(np.stack(ys, 0) if ay is not None else c.y))
    want = np.stack([c.grads(x=x, y=y)[0] for x, y in zip(xs, ys)], out_axes)
    return got, want


def spec_vmap_weights(c: Case):
    """Per-example gradients of weights (and x): vmap(grad(net, pos, weights)) and vmap(value_and_grad(...))."""
    ws = c.weights(3)
    pos = [None, 0][int(c.rng.integers(2))]
    with_value = bool(c.rng.integers(2))
    xs, ys = _batch(c)
    inner = (ops.value_and_grad if with_value else ops.grad)(c.net, pos, ws)
    got = ops.vmap(inner, (0, 0), 0)(Tensor(np.stack(xs)), Tensor(np.stack(ys)))
    per = [c.grads(ws, x=x, y=y) for x, y in zip(xs, ys)]
    stack = lambda parts: tuple(np.stack(p) for p in zip(*parts))  # noqa: E731
    wpart = stack([g[2] for g in per])
    grads = wpart if pos is None else (np.stack([g[0] for g in per]), wpart)
    if not with_value:
        return got, grads
    outs = [g[3] if isinstance(g[3], tuple) else (g[3],) for g in per]
    value = stack(outs) if c.net.two_out else np.stack([o[0] for o in outs])
    return got, (value, grads)


def spec_frozen_in_weights(c: Case):
    """A frozen Parameter (requires_grad=False) named in the weights: MindSpore 2.10 gives zeros for it in
    PyNative and its gradient in GRAPH_MODE (round 3)."""
    frozen = [p for p in c.net.params() if not p.requires_grad]
    ws = c.weights(2) + frozen[:1]
    order = c.rng.permutation(len(ws))
    ws = [ws[i] for i in order]
    got = ops.grad(c.net, None, ws)(*c.ms(c.x, c.y))
    gw = c.grads(ws)[2]
    graph = gs.get_context("mode") == gs.GRAPH_MODE
    return got, tuple(g if p.requires_grad or graph else np.zeros_like(g) for p, g in zip(ws, gw))


def spec_aux_transforms(c: Case):
    """has_aux through vjp, jvp and jacrev: the first output differentiated, the rest returned as aux."""
    if not c.net.two_out:
        return spec_jvp(c)
    t = lambda a: torch.tensor(np.asarray(a, np.float64))  # noqa: E731
    f = c.fn()
    kind = str(c.rng.choice(["vjp", "jvp", "jacrev"]))
    if kind == "vjp":
        v = c.like_outputs()[0]
        out, fn, aux = ops.vjp(c.net, *c.ms(c.x, c.y), has_aux=True)
        gx, gy, _, outs = c.grads(sens=(v,), first_only=True)
        return (out, fn(Tensor(v)), aux), (outs[0], (gx, gy), outs[1])
    if kind == "jvp":
        vx, vy = (c.rng.uniform(-1, 1, a.shape).astype(c.dtype) for a in (c.x, c.y))
        got = ops.jvp(c.net, tuple(c.ms(c.x, c.y)), tuple(c.ms(vx, vy)), has_aux=True)
        out, tangent = torch.func.jvp(lambda x, y: f(x, y)[0], (t(c.x), t(c.y)), (t(vx), t(vy)))
        return got, (_np(out), _np(tangent), _np(f(t(c.x), t(c.y))[1]))
    pos = [0, 1, (0, 1)][int(c.rng.integers(3))]
    got = ops.jacrev(c.net, pos, has_aux=True)(*c.ms(c.x, c.y))
    jac = torch.func.jacrev(lambda x, y: f(x, y)[0], pos)(t(c.x), t(c.y))
    return got, (_np(jac), _np(f(t(c.x), t(c.y))[1]))


def spec_training_steps(c: Case):
    """SGD by hand for 3 steps: value_and_grad over the trainable Parameters, each updated by set_data /
    ops.assign / assign_value; the losses and the final Parameters against torch doing the same."""
    ws = c.net.trainable_params()
    step = ops.value_and_grad(lambda x, y: _total(c.net(x, y)), None, ws)
    values = torch_values(c.net)
    got_losses, want_losses = [], []
    for k in range(3):
        loss, grads = step(*c.ms(c.x, c.y))
        got_losses.append(loss)
        gx, gy, gw, outs = c.grads(ws, values=values)
        want_losses.append(sum(np.sum(o) for o in (outs if isinstance(outs, tuple) else (outs,))))
        for p, g, tg in zip(ws, grads, gw):
            new = Tensor((p.asnumpy() - 0.1 * g.asnumpy()).astype(c.dtype))
            [p.set_data, lambda v, p=p: ops.assign(p, v), p.assign_value][(k + len(got_losses)) % 3](new)
            values[id(p)] = values[id(p)] - 0.1 * torch.tensor(tg)
    return (tuple(got_losses), tuple(ws)), \
        (tuple(want_losses), tuple(values[id(p)].numpy() for p in ws))


def spec_update_between_calls(c: Case):
    """One grad function called, a Parameter changed (set_data, ops.assign, assign_value), called again."""
    ws = c.weights()
    use_op = bool(c.rng.integers(2))
    fn = GradOperation(get_all=True, get_by_list=True)(c.net, ParameterTuple(ws)) if use_op else \
        ops.value_and_grad(c.net, (0, 1), ws)
    first = fn(*c.ms(c.x, c.y))
    before = c.grads(ws)
    target = c.net.trainable_params()[int(c.rng.integers(len(c.net.trainable_params())))]
    new = Tensor((target.asnumpy() * -0.6 + 0.2).astype(c.dtype))
    how = int(c.rng.integers(3))
    if how == 0:
        target.set_data(new)
    elif how == 1:
        ops.assign(target, new)
    else:
        target.assign_value(new)
    second = fn(*c.ms(c.x, c.y))
    after = c.grads(ws)
    shape = (lambda g: ((g[0], g[1]), tuple(g[2]))) if use_op else (lambda g: (g[3], ((g[0], g[1]), tuple(g[2]))))
    return (first, second), (shape(before), shape(after))


def spec_gradient_penalty(c: Case):
    """A user's gradient penalty: the weights' gradient of sum(grad_x(net)^2) (grad of grad with weights)."""
    ws = c.weights(3)
    inner = ops.grad(lambda x, y: _total(c.net(x, y)), 0)
    got = ops.grad(lambda x, y: (inner(x, y) ** 2).sum(), None, ws)(*c.ms(c.x, c.y))
    base = torch_values(c.net)
    tx, ty = (torch.tensor(np.asarray(v, np.float64), requires_grad=True) for v in (c.x, c.y))
    tw = [base[id(p)].clone().requires_grad_(True) for p in ws]
    gx, = torch.autograd.grad(_total(c.fn(ws, base)(tx, ty, *tw)), [tx], create_graph=True)
    gw = torch.autograd.grad((gx ** 2).sum(), tw, allow_unused=True)
    return got, tuple(np.zeros(w.shape) if g is None else g.detach().numpy() for g, w in zip(gw, tw))


def spec_hvp(c: Case):
    """Hessian-vector products two ways: jvp of grad (forward over reverse) and vjp of grad."""
    v = c.rng.uniform(-1, 1, c.x.shape).astype(c.dtype)
    g = ops.grad(lambda x, y: _total(c.net(x, y)), 0)
    fwd = ops.jvp(lambda x: g(x, Tensor(c.y)), Tensor(c.x), Tensor(v))[1]
    rev = ops.vjp(lambda x: g(x, Tensor(c.y)), Tensor(c.x))[1](Tensor(v))
    t = lambda a: torch.tensor(np.asarray(a, np.float64))  # noqa: E731
    f = c.fn()
    tg = torch.func.grad(lambda x: _total(f(x, t(c.y))))
    want = torch.func.vjp(tg, t(c.x))[1](t(v))[0]
    return (fwd, rev), (_np(want), (_np(want),))  # MindSpore's vjp_fn: a tuple, also of one input


def spec_vmap_jacobian(c: Case):
    """vmap over examples of jacrev / jacfwd of the first output w.r.t. x."""
    kind = str(c.rng.choice(["jacrev", "jacfwd"]))
    xs, ys = _batch(c)
    got = ops.vmap(getattr(ops, kind)(_first(c, c.net), 0), (0, 0))(Tensor(np.stack(xs)), Tensor(np.stack(ys)))
    t = lambda a: torch.tensor(np.asarray(a, np.float64))  # noqa: E731
    first = _first(c, c.fn())
    return got, np.stack([_np(torch.func.jacrev(first, 0)(t(x), t(y))) for x, y in zip(xs, ys)])


class _Single(nn.Cell):
    """The net's first output at a fixed y: a backbone for WithLossCell."""

    def __init__(self, net, y):
        super().__init__()
        self.net = net
        self.y = Tensor(y)

    def construct(self, x):
        out = self.net(x, self.y)
        return out[0] if isinstance(out, tuple) else out


def spec_train_one_step(c: Case):
    """nn.TrainOneStepCell(nn.WithLossCell(net, nn.MSELoss()), nn.SGD(momentum, weight_decay)) for 3 steps against
    torch.optim.SGD on the same function (the same update rule: v = m v + (g + wd p); p -= lr v)."""
    lr, momentum, wd = 0.1, float(c.rng.choice([0.0, 0.9])), float(c.rng.choice([0.0, 0.01]))
    label = c.rng.uniform(-1, 1, (2,)).astype(c.dtype)
    ws = c.net.trainable_params()
    base = torch_values(c.net)
    train = nn.TrainOneStepCell(nn.WithLossCell(_Single(c.net, c.y), nn.MSELoss()),
                                nn.SGD(ws, learning_rate=lr, momentum=momentum, weight_decay=wd))
    got = [train(Tensor(c.x), Tensor(label)) for _ in range(3)]
    tw = [base[id(p)].clone().requires_grad_(True) for p in ws]
    opt = torch.optim.SGD(tw, lr=lr, momentum=momentum, weight_decay=wd)
    f = c.fn(ws, base)
    want = []
    t = lambda a: torch.tensor(np.asarray(a, np.float64))  # noqa: E731
    for _ in range(3):
        opt.zero_grad()
        out = f(t(c.x), t(c.y), *tw)
        loss = (((out[0] if isinstance(out, tuple) else out) - t(label)) ** 2).mean()
        loss.backward()
        for w in tw:  # MindSpore: an unused Parameter's gradient is zeros, so weight decay still moves it
            w.grad = torch.zeros_like(w) if w.grad is None else w.grad
        want.append(loss.detach().numpy())
        opt.step()
    return (tuple(got), tuple(ws)), (tuple(want), tuple(w.detach().numpy() for w in tw))


class _GradNet(nn.Cell):
    """MindSpore's idiom: GradOperation called inside a Cell's construct, the Parameters held as a ParameterTuple."""

    def __init__(self, net, params, get_all, sens):
        super().__init__()
        self.net = net
        self.params = ParameterTuple(params)
        self.grad_op = GradOperation(get_all=get_all, get_by_list=True, sens_param=sens is not None)
        self.sens = sens

    def construct(self, x, y):
        if self.sens is None:
            return self.grad_op(self.net, self.params)(x, y)
        return self.grad_op(self.net, self.params)(x, y, self.sens)


class _SumOut(nn.Cell):
    """The sum of every leaf of a cell's (nested) output: a scalar for a second GradOperation."""

    def __init__(self, net):
        super().__init__()
        self.net = net

    def construct(self, x, y):
        out = self.net(x, y)
        total = None
        for part in out:
            leaves = part if isinstance(part, tuple) else (part,)
            for leaf in leaves:
                total = leaf.sum() if total is None else total + leaf.sum()
        return total


def spec_grad_cell(c: Case):
    """A GradNet cell (GradOperation in construct) and, half the time, a GradOperation of its outputs' sum
    w.r.t. x (second order through a Cell), optionally under ms.jit."""
    ws = c.weights(3)
    get_all = bool(c.rng.integers(2))
    sens_np = c.like_outputs() if c.rng.random() < 0.4 else None
    sens = _ms_tree(sens_np) if sens_np is not None else None
    gnet = _GradNet(c.net, ws, get_all, sens)
    second = bool(c.rng.random() < 0.5)
    top = GradOperation()(_SumOut(gnet)) if second else gnet
    if c.rng.random() < 0.3:
        top = gs.jit(top)
    got = top(*c.ms(c.x, c.y))
    if not second:
        gx, gy, gw, _ = c.grads(ws, sens_np)
        return got, (((gx, gy), tuple(gw)) if get_all else tuple(gw))
    base = torch_values(c.net)
    tx, ty = (torch.tensor(np.asarray(v, np.float64), requires_grad=True) for v in (c.x, c.y))
    tw = [base[id(p)].clone().requires_grad_(True) for p in ws]
    outs = c.fn(ws, base)(tx, ty, *tw)
    outs_t = outs if isinstance(outs, tuple) else (outs,)
    sens_t = sens_np if isinstance(sens_np, tuple) else (sens_np,) * len(outs_t)
    loss = sum((o * (1.0 if s is None else torch.tensor(np.asarray(s, np.float64)))).sum()
               for o, s in zip(outs_t, sens_t))
    firsts = torch.autograd.grad(loss, ([tx, ty] if get_all else []) + tw, create_graph=True, allow_unused=True)
    total = sum(g.sum() for g in firsts if g is not None and g.requires_grad)
    if not isinstance(total, torch.Tensor):  # no first derivative depends on x
        return got, np.zeros(c.x.shape)
    gx2, = torch.autograd.grad(total, [tx], allow_unused=True)
    return got, (np.zeros(c.x.shape) if gx2 is None else gx2.detach().numpy())


SPECS = {f.__name__[5:]: f for f in (spec_grad_operation, spec_ops_grad, spec_value_and_grad, spec_vjp, spec_jvp,
                                      spec_jacobian, spec_hessian, spec_higher_order, spec_vmap_grad,
                                      spec_update_between_calls, spec_vmap_weights, spec_frozen_in_weights,
                                      spec_aux_transforms, spec_training_steps, spec_gradient_penalty, spec_hvp,
                                      spec_vmap_jacobian, spec_train_one_step, spec_grad_cell)}


def run_cells_case(seed: int, spec: str | None = None):
    """('ok' | 'mismatch' | 'error' | 'near', 'spec/mode', detail) of one seed."""
    case = Case(seed)
    name = spec or list(SPECS)[int(case.rng.integers(len(SPECS)))]
    mode = str(case.rng.choice(["pynative", "graph"]))
    label = f"{name}/{mode}"
    try:
        gs.set_context(mode=gs.GRAPH_MODE if mode == "graph" else gs.PYNATIVE_MODE)
        got, want = SPECS[name](case)
    except Exception as e:  # noqa: BLE001 - an error on a valid program is a finding, reported with the seed
        return "error", label, f"{type(e).__name__}: {str(e)[:300]}"
    finally:
        gs.set_context(mode=gs.PYNATIVE_MODE)
    if case.trace.margins and min(case.trace.margins) < NEAR:
        return "near", label, f"a condition {min(case.trace.margins):.1e} from its threshold"
    why = compare(got, want, case.dtype)
    return ("mismatch" if why else "ok"), label, (why or "")

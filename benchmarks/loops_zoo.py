"""Held-out loops (issue #13 generalised): training, sampling and batched-gradient loops as MindSpore 2.x
users write them against gradserve's SDK, each beside a JAX or PyTorch twin that computes the same numbers.

Each loop is a function `name(gs, small=False) -> Loop`: `sdk(i)` runs step i through the SDK and returns
the step's numbers (a loss, a sample, running statistics...) as one flat float64 array; `twin(i)` does the
same step locally. `shapes` is how many distinct input signatures the loop feeds (a retrace per signature
is expected; more is a defect). Used by benchmarks/loops_zoo_bench.py (timings, RSS) and by
tests/clients/test_loops_zoo.py (values and retrace counts), so what is measured is what is checked.

Data and initial weights come from NumPy (seeded), so both sides start from the same numbers.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Callable

import numpy as np


@dataclass
class Loop:
    sdk: Callable[[int], np.ndarray]
    twin: Callable[[int], np.ndarray]
    mode: str  # "graph" or "pynative": the context mode the SDK side runs in
    shapes: int = 1  # distinct input signatures the loop feeds
    rtol: float = 2e-4  # float32 precision after steps of compounding (float64 loops say less)
    first_update: int = 1  # the first step that sees changed weights (k for a step of the optimizer every k)


def rel_diff(a: np.ndarray, b: np.ndarray) -> float:
    """The largest |a - b| relative to b's scale (its largest magnitude, at least 1e-6)."""
    return float(np.max(np.abs(a - b)) / max(float(np.max(np.abs(b))), 1e-6))


def warm_steps(loop: Loop) -> int:
    """Steps before counting retraces: the first compiles with the initial weights inline, the first to see
    changed weights without them (weights are data from then on), then a step per further input signature."""
    return loop.first_update + 1 + (3 * (loop.shapes - 1) + 1 if loop.shapes > 1 else 0)


def compile_misses(metrics_text: str) -> float:
    """The server's compile-cache misses so far, from its /metrics text."""
    return sum(float(m) for m in re.findall(r"^gradserve_compile_cache_misses_total\{[^}]*\} ([0-9.e+]+)$",
                                            metrics_text, re.M))


def _flat(*xs) -> np.ndarray:
    return np.concatenate([np.asarray(x, np.float64).reshape(-1) for x in xs])


def _init(rng, *shape):
    return (rng.normal(size=shape) / np.sqrt(shape[-1])).astype(np.float32)


def _ms_adam(lr=None, b1=0.9, b2=0.999, eps=1e-8):
    """MindSpore nn.Adam's update, in JAX (eps added to sqrt(v); bias correction folded into the step size); a
    schedule's rate for the step is given to each update (step_lr)."""
    import jax.numpy as jnp

    def update(params, grads, state, t, step_lr=None):
        lr_ = lr if step_lr is None else step_lr
        ms, vs = state
        ms = [b1 * m + (1 - b1) * g for m, g in zip(ms, grads)]
        vs = [b2 * v + (1 - b2) * g * g for v, g in zip(vs, grads)]
        lr_t = lr_ * jnp.sqrt(1 - b2 ** t) / (1 - b1 ** t)
        return [p - lr_t * m / (jnp.sqrt(v) + eps) for p, m, v in zip(params, ms, vs)], (ms, vs)

    return update


# -- 1. PINN for u'' = -pi^2 sin(pi x) on [0, 1], u(0) = u(1) = 0; nn.Adam, GRAPH_MODE ----------------------
def pinn_adam(gs, small=False):
    import jax
    import jax.numpy as jnp

    nn, ops, Tensor = gs.nn, gs.ops, gs.Tensor
    rng = np.random.default_rng(10)
    h, n = (8, 16) if small else (32, 64)
    w = [_init(rng, h, 1), np.zeros(h, np.float32), _init(rng, h, h), np.zeros(h, np.float32),
         _init(rng, 1, h), np.zeros(1, np.float32)]
    x = np.linspace(0, 1, n, dtype=np.float32).reshape(-1, 1)
    f = (-np.pi ** 2 * np.sin(np.pi * x)).astype(np.float32)
    xb = np.array([[0.0], [1.0]], np.float32)

    class U(nn.Cell):
        def __init__(self):
            super().__init__()
            self.l1 = nn.Dense(1, h, weight_init=Tensor(w[0]), bias_init=Tensor(w[1]), activation="tanh")
            self.l2 = nn.Dense(h, h, weight_init=Tensor(w[2]), bias_init=Tensor(w[3]), activation="tanh")
            self.l3 = nn.Dense(h, 1, weight_init=Tensor(w[4]), bias_init=Tensor(w[5]))

        def construct(self, x):
            return self.l3(self.l2(self.l1(x)))

    net = U()
    opt = nn.Adam(net.trainable_params(), learning_rate=1e-3)
    u_x = ops.grad(lambda x: ops.sum(net(x)))
    u_xx = ops.grad(lambda x: ops.sum(u_x(x)))

    def loss_fn(x, f, xb):
        return ops.mean(ops.square(u_xx(x) - f)) + ops.mean(ops.square(net(xb)))

    vg = ops.value_and_grad(loss_fn, None, opt.parameters)
    X, F, XB = Tensor(x), Tensor(f), Tensor(xb)

    def sdk(i):
        loss, g = vg(X, F, XB)
        opt(g)
        return _flat(loss.asnumpy())

    def u(p, x):
        a = jnp.tanh(x @ p[0].T + p[1])
        a = jnp.tanh(a @ p[2].T + p[3])
        return a @ p[4].T + p[5]

    def jloss(p, x, f, xb):
        ux = jax.grad(lambda x: jnp.sum(u(p, x)))
        uxx = jax.grad(lambda x: jnp.sum(ux(x)))(x)
        return jnp.mean((uxx - f) ** 2) + jnp.mean(u(p, xb) ** 2)

    adam = _ms_adam(1e-3)

    @jax.jit
    def jstep(p, st, t):
        loss, g = jax.value_and_grad(jloss)(p, x, f, xb)
        p, st = adam(p, g, st, t)
        return loss, p, st

    state = {"p": [jnp.asarray(a) for a in w]}
    state["st"] = ([jnp.zeros_like(a) for a in state["p"]], [jnp.zeros_like(a) for a in state["p"]])

    def twin(i):
        loss, state["p"], state["st"] = jstep(state["p"], state["st"], jnp.float32(i + 1))
        return _flat(loss)

    return Loop(sdk, twin, "graph")


# -- 2. HMC on a Bayesian logistic regression; value_and_grad of the log-density, PyNative (the default) ------
def hmc(gs, small=False):
    import jax
    import jax.numpy as jnp

    from benchmarks.loops_workloads import logp_jax, logp_sdk, logreg_data

    X, y = logreg_data(n_points=50 if small else 200)
    d, eps, leap = X.shape[1], 0.02, 5
    vg = gs.ops.value_and_grad(logp_sdk(gs, X, y))
    jvg = jax.jit(jax.value_and_grad(logp_jax(X, y)))

    def sdk_vg(q):
        v, g = vg(gs.Tensor(q))
        return float(v.asnumpy()), g.asnumpy()

    def jax_vg(q):
        v, g = jvg(jnp.asarray(q))
        return float(v), np.asarray(g)

    def chain(value_and_grad):
        rng = np.random.default_rng(11)
        st = {"q": np.zeros(d, np.float32)}

        def step(i):
            q0 = st["q"]
            p = rng.normal(size=d).astype(np.float32)
            u = rng.random()
            lp0, g = value_and_grad(q0)
            q, pm = q0.copy(), p.copy()
            for _ in range(leap):
                pm = pm + 0.5 * eps * g
                q = q + eps * pm
                lp, g = value_and_grad(q)
                pm = pm + 0.5 * eps * g
            accept = np.log(u) < (lp - 0.5 * pm @ pm) - (lp0 - 0.5 * p @ p)
            st["q"] = q.astype(np.float32) if accept else q0
            return _flat(st["q"], lp)

        return step

    return Loop(chain(sdk_vg), chain(jax_vg), "pynative")


# -- 3. Langevin dynamics on a float64 banana density (ops.grad), PyNative; twin: PyTorch float64 -------------
def langevin64(gs, small=False):
    import torch

    ops, Tensor = gs.ops, gs.Tensor
    n = 16 if small else 64  # independent chains, one request for all of them
    step_size = 1e-2

    def logp(z):  # a sum over chains of the banana log-density (each chain's gradient its own)
        a, b = z[:, 0], z[:, 1]
        return -ops.sum(0.5 * a * a + 2.0 * ops.square(b - 0.5 * a * a))

    grad = ops.grad(logp)

    def tlogp(z):
        a, b = z[:, 0], z[:, 1]
        return -torch.sum(0.5 * a * a + 2.0 * (b - 0.5 * a * a) ** 2)

    def chain(g):
        rng = np.random.default_rng(12)
        st = {"z": np.zeros((n, 2))}

        def step(i):
            noise = rng.normal(size=(n, 2))
            st["z"] = st["z"] + step_size * g(st["z"]) + np.sqrt(2 * step_size) * noise
            return _flat(st["z"])

        return step

    def sdk_g(z):
        out = grad(Tensor(z))
        assert out.dtype == gs.float64, out.dtype
        return out.asnumpy()

    def torch_g(z):
        t = torch.tensor(z, requires_grad=True)
        tlogp(t).backward()
        return t.grad.numpy()

    return Loop(chain(sdk_g), chain(torch_g), "pynative", rtol=1e-9)


# -- 4. DP-SGD: per-example gradients w.r.t. the weights (ops.vmap(ops.grad)), clipped, averaged; nn.SGD -------
def dpsgd_vmap(gs, small=False):
    import jax
    import jax.numpy as jnp

    nn, ops, Tensor = gs.nn, gs.ops, gs.Tensor
    rng = np.random.default_rng(13)
    b, din, h = (8, 5, 6) if small else (64, 20, 32)
    w = [_init(rng, h, din), np.zeros(h, np.float32), _init(rng, 1, h), np.zeros(1, np.float32)]
    xs = rng.normal(size=(4, b, din)).astype(np.float32)
    ys = rng.normal(size=(4, b, 1)).astype(np.float32)
    clip, lr = 1.0, 0.05

    net = nn.SequentialCell([nn.Dense(din, h, weight_init=Tensor(w[0]), bias_init=Tensor(w[1]), activation="tanh"),
                             nn.Dense(h, 1, weight_init=Tensor(w[2]), bias_init=Tensor(w[3]))])
    params = net.trainable_params()
    opt = nn.SGD(params, learning_rate=lr)

    def loss_one(x, y):
        return ops.sum(ops.square(net(ops.expand_dims(x, 0)) - y))

    per_example = ops.vmap(ops.grad(loss_one, None, params), in_axes=(0, 0))

    def clipped_mean(grads):  # in the client, on NumPy (eager arithmetic runs where the data is)
        norms = ops.sqrt(sum(ops.sum(ops.square(g).reshape((b, -1)), 1) for g in grads))
        scale = ops.minimum(ops.ones_like(norms), clip / (norms + 1e-6))
        return tuple(ops.mean(g * scale.reshape((b,) + (1,) * (g.ndim - 1)), 0) for g in grads)

    def sdk(i):
        g = per_example(Tensor(xs[i % 4]), Tensor(ys[i % 4]))
        g = clipped_mean(g)
        opt(g)
        return _flat(*[p.asnumpy() for p in params[:1]])

    def jloss(p, x, y):
        a = jnp.tanh(x[None] @ p[0].T + p[1])
        return jnp.sum((a @ p[2].T + p[3] - y) ** 2)

    @jax.jit
    def jstep(p, x, y):
        g = jax.vmap(jax.grad(jloss), in_axes=(None, 0, 0))(p, x, y)
        norms = jnp.sqrt(sum(jnp.sum(gi.reshape(b, -1) ** 2, 1) for gi in g))
        scale = jnp.minimum(1.0, clip / (norms + 1e-6))
        g = [jnp.mean(gi * scale.reshape((b,) + (1,) * (gi.ndim - 1)), 0) for gi in g]
        return [pi - lr * gi for pi, gi in zip(p, g)]

    st = {"p": [jnp.asarray(a) for a in w]}

    def twin(i):
        st["p"] = jstep(st["p"], xs[i % 4], ys[i % 4])
        return _flat(st["p"][0])

    return Loop(sdk, twin, "graph")


# -- 5. An ensemble of models trained at once: ops.vmap over stacked weights, grad w.r.t. inputs 0..2 --------
def ensemble_vmap(gs, small=False):
    import jax
    import jax.numpy as jnp

    ops, Tensor = gs.ops, gs.Tensor
    rng = np.random.default_rng(14)
    k, b, din, h = (3, 8, 3, 5) if small else (16, 64, 8, 32)
    W1 = (rng.normal(size=(k, din, h)) / np.sqrt(din)).astype(np.float32)
    W2 = (rng.normal(size=(k, h, 1)) / np.sqrt(h)).astype(np.float32)
    c = np.zeros((k, 1), np.float32)
    x = rng.normal(size=(b, din)).astype(np.float32)
    y = np.sin(x.sum(1, keepdims=True)).astype(np.float32)
    lr = 0.05

    def loss(w1, w2, c, x, y):
        return ops.mean(ops.square(ops.matmul(ops.tanh(ops.matmul(x, w1)), w2) + c - y))

    vg = ops.vmap(ops.value_and_grad(loss, (0, 1, 2)), in_axes=(0, 0, 0, None, None))
    X, Y = Tensor(x), Tensor(y)
    st = {"w": [W1, W2, c]}

    def sdk(i):
        v, g = vg(*[Tensor(a) for a in st["w"]], X, Y)
        st["w"] = [a - lr * gi.asnumpy() for a, gi in zip(st["w"], g)]
        return _flat(v.asnumpy())

    def jl(w1, w2, c, x, y):
        return jnp.mean((jnp.tanh(x @ w1) @ w2 + c - y) ** 2)

    jvg = jax.jit(jax.vmap(jax.value_and_grad(jl, (0, 1, 2)), in_axes=(0, 0, 0, None, None)))
    jst = {"w": [jnp.asarray(a) for a in (W1, W2, c)]}

    def twin(i):
        v, g = jvg(*jst["w"], x, y)
        jst["w"] = [a - lr * gi for a, gi in zip(jst["w"], g)]
        return _flat(v)

    return Loop(sdk, twin, "pynative")


# -- 6. Newton-CG on a logistic regression's weights: gradient and Hessian-vector products w.r.t. a Parameter -
def newton_cg(gs, small=False):
    import jax
    import jax.numpy as jnp

    from benchmarks.loops_workloads import logreg_data

    nn, ops, Tensor = gs.nn, gs.ops, gs.Tensor
    X, y = logreg_data(n_points=40 if small else 200, n_feat=4 if small else 10, seed=15)
    d, cg_iters = X.shape[1], 4

    class NegLogp(nn.Cell):
        def __init__(self):
            super().__init__()
            self.w = gs.Parameter(Tensor(np.zeros(d, np.float32)), name="w")
            self.X, self.y = Tensor(X), Tensor(y)

        def construct(self):
            z = ops.matmul(self.X, self.w)
            return ops.sum(ops.softplus(z) - self.y * z) + 0.5 * ops.sum(self.w * self.w)

    net = NegLogp()
    grad_w = ops.grad(net, None, net.trainable_params())
    hvp = ops.grad(lambda v: ops.sum(grad_w()[0] * v), None, net.trainable_params())

    def cg(matvec, b):  # a few conjugate-gradient iterations on H s = -g, in NumPy (both sides the same)
        s, r = np.zeros_like(b), -b
        p = r.copy()
        for _ in range(cg_iters):
            hp = matvec(p)
            a = (r @ r) / (p @ hp)
            s, r_new = s + a * p, r - a * hp
            p, r = r_new + (r_new @ r_new) / (r @ r) * p, r_new
        return s

    def sdk(i):
        g = grad_w()[0].asnumpy()
        s = cg(lambda v: hvp(Tensor(v.astype(np.float32)))[0].asnumpy(), g)
        net.w.set_data(Tensor((net.w.asnumpy() + s).astype(np.float32)))
        return _flat(net.w.asnumpy())

    def jf(w):
        z = X @ w
        return jnp.sum(jax.nn.softplus(z) - y * z) + 0.5 * jnp.sum(w * w)

    jg = jax.jit(jax.grad(jf))
    jh = jax.jit(lambda w, v: jax.grad(lambda w: jnp.sum(jax.grad(jf)(w) * v))(w))
    st = {"w": np.zeros(d, np.float32)}

    def twin(i):
        g = np.asarray(jg(st["w"]))
        s = cg(lambda v: np.asarray(jh(st["w"], v.astype(np.float32))), g)
        st["w"] = (st["w"] + s).astype(np.float32)
        return _flat(st["w"])

    return Loop(sdk, twin, "pynative", rtol=1e-4)


# -- 7. TrainOneStepCell(WithLossCell) of a net with BatchNorm1d in train mode; nn.Momentum; twin: PyTorch -----
def bn_train_one_step(gs, small=False):
    import torch

    nn, Tensor = gs.nn, gs.Tensor
    rng = np.random.default_rng(16)
    b, din, h = (8, 4, 6) if small else (64, 16, 32)
    w = [_init(rng, h, din), np.zeros(h, np.float32), _init(rng, 1, h), np.zeros(1, np.float32)]
    xs = (rng.normal(size=(4, b, din)) * 2 + 1).astype(np.float32)
    ys = rng.normal(size=(4, b, 1)).astype(np.float32)
    lr, mom = 0.01, 0.9  # (at 0.05 the loss jumps near step 150: float32 rounding then grows 1e-7 -> 1e-2 on both)

    net = nn.SequentialCell([nn.Dense(din, h, weight_init=Tensor(w[0]), bias_init=Tensor(w[1])),
                             nn.BatchNorm1d(h), nn.ReLU(),
                             nn.Dense(h, 1, weight_init=Tensor(w[2]), bias_init=Tensor(w[3]))])
    train = nn.TrainOneStepCell(nn.WithLossCell(net, nn.MSELoss()),
                                nn.Momentum(net.trainable_params(), learning_rate=lr, momentum=mom))
    train.set_train()
    bn = net[1]

    def sdk(i):
        loss = train(Tensor(xs[i % 4]), Tensor(ys[i % 4]))
        return _flat(loss.asnumpy(), bn.moving_mean.asnumpy(), bn.moving_variance.asnumpy())

    tnet = torch.nn.Sequential(torch.nn.Linear(din, h), torch.nn.BatchNorm1d(h, momentum=0.1), torch.nn.ReLU(),
                               torch.nn.Linear(h, 1))
    with torch.no_grad():
        for lin, (wi, bi) in ((tnet[0], w[:2]), (tnet[3], w[2:])):
            lin.weight.copy_(torch.tensor(wi))
            lin.bias.copy_(torch.tensor(bi))
    topt = torch.optim.SGD(tnet.parameters(), lr=lr, momentum=mom)
    tnet.train()

    def twin(i):
        topt.zero_grad()
        loss = torch.mean((tnet(torch.tensor(xs[i % 4])) - torch.tensor(ys[i % 4])) ** 2)
        loss.backward()
        topt.step()
        return _flat(loss.detach().numpy(), tnet[1].running_mean.numpy(), tnet[1].running_var.numpy())

    return Loop(sdk, twin, "graph")


# -- 8. An @jit train step: grads, ops.clip_by_global_norm, nn.SGD with a dynamic LR list and weight decay -----
def jit_clip_schedule(gs, small=False):
    import jax
    import jax.numpy as jnp

    nn, ops, Tensor = gs.nn, gs.ops, gs.Tensor
    rng = np.random.default_rng(17)
    b, din, h = (8, 4, 6) if small else (64, 16, 32)
    w = [_init(rng, h, din), np.zeros(h, np.float32), _init(rng, 1, h), np.zeros(1, np.float32)]
    xs = (rng.normal(size=(4, b, din)) * 3).astype(np.float32)
    ys = (rng.normal(size=(4, b, 1)) * 3).astype(np.float32)
    lrs = nn.piecewise_constant_lr([3, 6, 1000], [0.1, 0.05, 0.01])
    wd, clip = 1e-3, 0.5

    net = nn.SequentialCell([nn.Dense(din, h, weight_init=Tensor(w[0]), bias_init=Tensor(w[1]), activation="tanh"),
                             nn.Dense(h, 1, weight_init=Tensor(w[2]), bias_init=Tensor(w[3]))])
    opt = nn.SGD(net.trainable_params(), learning_rate=lrs, weight_decay=wd)
    loss_fn = nn.MSELoss()
    vg = ops.value_and_grad(lambda x, y: loss_fn(net(x), y), None, opt.parameters)

    @gs.jit
    def train_step(x, y):
        loss, grads = vg(x, y)
        grads = ops.clip_by_global_norm(grads, clip)
        opt(grads)
        return loss

    def sdk(i):
        loss = train_step(Tensor(xs[i % 4]), Tensor(ys[i % 4]))
        return _flat(loss.asnumpy(), net[0].weight.asnumpy())

    def jl(p, x, y):
        return jnp.mean((jnp.tanh(x @ p[0].T + p[1]) @ p[2].T + p[3] - y) ** 2)

    @jax.jit
    def jstep(p, x, y, lr):
        loss, g = jax.value_and_grad(jl)(p, x, y)
        norm = jnp.sqrt(sum(jnp.sum(gi * gi) for gi in g))
        g = [gi * (clip / jnp.maximum(norm, clip)) for gi in g]
        return loss, [pi - lr * (gi + wd * pi) for pi, gi in zip(p, g)]

    st = {"p": [jnp.asarray(a) for a in w]}

    def twin(i):
        loss, st["p"] = jstep(st["p"], xs[i % 4], ys[i % 4], lrs[min(i, len(lrs) - 1)])
        return _flat(loss, st["p"][0])

    return Loop(sdk, twin, "pynative")


# -- 9. A per-step learning rate as a Tensor, nn.Momentum with weight decay, clip_by_global_norm outside the graph --
def lr_tensor_eager_clip(gs, small=False):
    """(A learning-rate Parameter of the user's own, changed by set_data, is not the optimizer's in MindSpore 2.10:
    it copies it, and its steps keep the first value; so a schedule is given as values per step.)"""
    import jax
    import jax.numpy as jnp

    nn, ops, Tensor = gs.nn, gs.ops, gs.Tensor
    rng = np.random.default_rng(18)
    b, din = (8, 4) if small else (128, 32)
    w0 = _init(rng, 1, din)
    xs = rng.normal(size=(4, b, din)).astype(np.float32)
    ys = rng.normal(size=(4, b, 1)).astype(np.float32)
    wd, clip, mom = 1e-2, 0.3, 0.9
    lrs = (0.1 * 0.5 ** (np.arange(1000) // 5)).astype(np.float32)  # halved every 5 steps

    net = nn.Dense(din, 1, weight_init=Tensor(w0), bias_init="zeros")
    opt = nn.Momentum(net.trainable_params(), learning_rate=Tensor(lrs), momentum=mom, weight_decay=wd)
    vg = ops.value_and_grad(nn.WithLossCell(net, nn.L1Loss()), None, opt.parameters)

    def sdk(i):
        loss, grads = vg(Tensor(xs[i % 4]), Tensor(ys[i % 4]))
        opt(ops.clip_by_global_norm(grads, clip))
        return _flat(loss.asnumpy(), net.weight.asnumpy())

    def jl(p, x, y):
        return jnp.mean(jnp.abs(x @ p[0].T + p[1] - y))

    @jax.jit
    def jstep(p, v, x, y, lr):
        loss, g = jax.value_and_grad(jl)(p, x, y)
        norm = jnp.sqrt(sum(jnp.sum(gi * gi) for gi in g))
        g = [gi * (clip / jnp.maximum(norm, clip)) + wd * pi for gi, pi in zip(g, p)]
        v = [mom * vi + gi for vi, gi in zip(v, g)]
        return loss, [pi - lr * vi for pi, vi in zip(p, v)], v

    p = [jnp.asarray(w0), jnp.zeros(1, jnp.float32)]
    st = {"p": p, "v": [jnp.zeros_like(a) for a in p]}

    def twin(i):
        loss, st["p"], st["v"] = jstep(st["p"], st["v"], xs[i % 4], ys[i % 4], lrs[i])
        return _flat(loss, st["p"][0])

    return Loop(sdk, twin, "pynative")


# -- 10. A frozen feature extractor (requires_grad=False) and a head trained by nn.Adam with weight decay ------
def frozen_adam_wd(gs, small=False):
    import jax
    import jax.numpy as jnp

    nn, ops, Tensor = gs.nn, gs.ops, gs.Tensor
    rng = np.random.default_rng(19)
    b, din, h, c = (8, 6, 5, 3) if small else (64, 64, 48, 10)
    wf = _init(rng, h, din)
    wh = _init(rng, c, h)
    xs = rng.normal(size=(4, b, din)).astype(np.float32)
    labels = rng.integers(0, c, size=(4, b)).astype(np.int32)
    wd = 1e-2

    body = nn.Dense(din, h, weight_init=Tensor(wf), bias_init="zeros", activation="relu")
    for p in body.get_parameters():
        p.requires_grad = False
    head = nn.Dense(h, c, weight_init=Tensor(wh), bias_init="zeros")
    net = nn.SequentialCell([body, head])
    opt = nn.Adam(net.trainable_params(), learning_rate=1e-2, weight_decay=wd)
    ce = nn.CrossEntropyLoss()
    vg = ops.value_and_grad(lambda x, t: ce(net(x), t), None, opt.parameters)

    def sdk(i):
        loss, g = vg(Tensor(xs[i % 4]), Tensor(labels[i % 4]))
        opt(g)
        return _flat(loss.asnumpy(), head.weight.asnumpy())

    adam = _ms_adam(1e-2)

    def jl(p, x, t):
        logits = jax.nn.relu(x @ wf.T) @ p[0].T + p[1]
        return -jnp.mean(jnp.take_along_axis(jax.nn.log_softmax(logits), t[:, None], 1))

    @jax.jit
    def jstep(p, st, x, t, k):
        loss, g = jax.value_and_grad(jl)(p, x, t)
        g = [gi + wd * pi for gi, pi in zip(g, p)]
        p, st = adam(p, g, st, k)
        return loss, p, st

    p = [jnp.asarray(wh), jnp.zeros(c, jnp.float32)]
    st = {"p": p, "st": ([jnp.zeros_like(a) for a in p], [jnp.zeros_like(a) for a in p])}

    def twin(i):
        loss, st["p"], st["st"] = jstep(st["p"], st["st"], xs[i % 4], labels[i % 4], jnp.float32(i + 1))
        return _flat(loss, st["p"][0])

    return Loop(sdk, twin, "graph")


# -- 11. Data of a new batch size every few steps (a last, short batch; bucketing): bounded retraces -----------
def varying_batch(gs, small=False):
    import jax
    import jax.numpy as jnp

    nn, ops, Tensor = gs.nn, gs.ops, gs.Tensor
    rng = np.random.default_rng(20)
    din, h = (4, 6) if small else (16, 32)
    sizes = (8, 12, 5) if small else (64, 96, 40)
    w = [_init(rng, h, din), np.zeros(h, np.float32), _init(rng, 1, h), np.zeros(1, np.float32)]
    data = [(rng.normal(size=(n, din)).astype(np.float32), rng.normal(size=(n, 1)).astype(np.float32))
            for n in sizes]
    lr = 0.05

    net = nn.SequentialCell([nn.Dense(din, h, weight_init=Tensor(w[0]), bias_init=Tensor(w[1]), activation="tanh"),
                             nn.Dense(h, 1, weight_init=Tensor(w[2]), bias_init=Tensor(w[3]))])
    opt = nn.SGD(net.trainable_params(), learning_rate=lr)
    train = nn.TrainOneStepCell(nn.WithLossCell(net, nn.MSELoss()), opt)

    def batch(i):
        return data[(i // 3) % len(sizes)]

    def sdk(i):
        x, y = batch(i)
        return _flat(train(Tensor(x), Tensor(y)).asnumpy())

    def jl(p, x, y):
        return jnp.mean((jnp.tanh(x @ p[0].T + p[1]) @ p[2].T + p[3] - y) ** 2)

    @jax.jit
    def jstep(p, x, y):
        loss, g = jax.value_and_grad(jl)(p, x, y)
        return loss, [pi - lr * gi for pi, gi in zip(p, g)]

    st = {"p": [jnp.asarray(a) for a in w]}

    def twin(i):
        loss, st["p"] = jstep(st["p"], *batch(i))
        return _flat(loss)

    return Loop(sdk, twin, "graph", shapes=len(sizes))


# -- 12. Weight averaging (EMA) by ops.assign inside @jit, a reset by set_data outside; float64 data cast in ---
def ema_assign(gs, small=False):
    import jax
    import jax.numpy as jnp

    nn, ops, Tensor = gs.nn, gs.ops, gs.Tensor
    rng = np.random.default_rng(21)
    b, din = (8, 4) if small else (128, 32)
    w0 = _init(rng, 1, din)
    xs = rng.normal(size=(4, b, din))  # float64, as data often arrives
    ys = rng.normal(size=(4, b, 1))
    lr, decay = 0.1, 0.8

    class Linear(nn.Cell):
        def __init__(self):
            super().__init__()
            self.w = gs.Parameter(Tensor(w0), name="w")
            self.ema = gs.Parameter(Tensor(w0), name="ema", requires_grad=False)

        def construct(self, x):
            return ops.matmul(ops.cast(x, gs.float32), self.w.T)

    net = Linear()
    mse = nn.MSELoss()
    g_fn = ops.value_and_grad(lambda x, y: mse(net(x), ops.cast(y, gs.float32)), None, [net.w])

    @gs.jit
    def step(x, y):
        loss, (g,) = g_fn(x, y)
        ops.assign(net.w, net.w - lr * g)
        ops.assign(net.ema, decay * net.ema + (1 - decay) * net.w)
        return loss

    def sdk(i):
        if i == 7:  # a restart from the average
            net.w.set_data(Tensor(net.ema.asnumpy()))
        loss = step(Tensor(xs[i % 4]), Tensor(ys[i % 4]))
        return _flat(loss.asnumpy(), net.ema.asnumpy())

    @jax.jit
    def jstep(w, ema, x, y):
        loss, g = jax.value_and_grad(lambda w: jnp.mean((x.astype(jnp.float32) @ w.T - y.astype(jnp.float32)) ** 2))(w)
        w = w - lr * g
        return loss, w, decay * ema + (1 - decay) * w

    st = {"w": jnp.asarray(w0), "ema": jnp.asarray(w0)}

    def twin(i):
        if i == 7:
            st["w"] = st["ema"]
        loss, st["w"], st["ema"] = jstep(st["w"], st["ema"], np.float32(xs[i % 4]), np.float32(ys[i % 4]))
        return _flat(loss, st["ema"])

    return Loop(sdk, twin, "pynative")


LOOPS = {f.__name__: f for f in (pinn_adam, hmc, langevin64, dpsgd_vmap, ensemble_vmap, newton_cg,
                                 bn_train_one_step, jit_clip_schedule, lr_tensor_eager_clip, frozen_adam_wd,
                                 varying_batch, ema_assign)}

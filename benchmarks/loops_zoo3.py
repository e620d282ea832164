"""Held-out loops, round 3 (issue #13 generalised): kinds of loop neither the first zoo (benchmarks/loops_zoo.py)
nor round 2 (loops_zoo2.py) has, as MindSpore 2.x users write them, each beside a JAX or PyTorch twin computing
the same numbers; same form (`name(gs, small=False) -> Loop`), run by benchmarks/loops_zoo_bench.py and
tests/clients/test_loops_zoo.py.

MindSpore 2.10 has no ops.hessian: its users write the Hessian as ops.jacfwd(ops.grad(f)), and so does loop 6."""
from __future__ import annotations

import numpy as np

from benchmarks.loops_zoo import Loop, _flat, _init
from benchmarks.loops_zoo2 import _adam_step, _jmlp, _mlp_w, _zeros2


def _adam_twin(loss, w, lr, data, out=lambda value, p: _flat(value)):
    """A JAX twin stepping MindSpore's Adam at rate lr from weights w: step i's value of loss(p, *data(i)) and
    gradient w.r.t. p, the step taken; returns out(value, the weights after the step)."""
    import jax.numpy as jnp

    jstep, p = _adam_step(loss), [jnp.asarray(a) for a in w]
    s = {"p": p, "st": _zeros2(p)}

    def twin(i):
        value, s["p"], s["st"] = jstep(s["p"], s["st"], jnp.float32(i + 1), lr, *data(i))
        return out(value, s["p"])

    return twin


# -- 1. PINN for the viscous Burgers equation u_t + u u_x = nu u_xx on (x, t): partial derivatives by slicing
#       ops.grad w.r.t. the 2-column input (u_xx: ops.grad of a column of ops.grad), nn.Adam, GRAPH_MODE ---------
def burgers_pinn(gs, small=False):
    import jax
    import jax.numpy as jnp

    nn, ops, Tensor = gs.nn, gs.ops, gs.Tensor
    rng = np.random.default_rng(40)
    h, n, m = (8, 16, 8) if small else (24, 128, 32)
    nu, lr = 0.01 / np.pi, 2e-3
    w = [_init(rng, h, 2), np.zeros(h, np.float32), _init(rng, h, h), np.zeros(h, np.float32),
         _init(rng, 1, h), np.zeros(1, np.float32)]
    xt = np.stack([rng.uniform(-1, 1, n), rng.uniform(0, 1, n)], 1).astype(np.float32)
    x0 = np.stack([np.linspace(-1, 1, m), np.zeros(m)], 1).astype(np.float32)
    u0 = (-np.sin(np.pi * x0[:, :1])).astype(np.float32)
    xb = np.stack([np.repeat([-1.0, 1.0], m // 2), np.tile(np.linspace(0, 1, m // 2), 2)], 1).astype(np.float32)

    net = nn.SequentialCell([nn.Dense(2, h, weight_init=Tensor(w[0]), bias_init=Tensor(w[1]), activation="tanh"),
                             nn.Dense(h, h, weight_init=Tensor(w[2]), bias_init=Tensor(w[3]), activation="tanh"),
                             nn.Dense(h, 1, weight_init=Tensor(w[4]), bias_init=Tensor(w[5]))])
    opt = nn.Adam(net.trainable_params(), learning_rate=lr)
    du = ops.grad(lambda z: ops.sum(net(z)))  # [u_x, u_t] per point
    du_x = ops.grad(lambda z: ops.sum(du(z)[:, 0]))  # [u_xx, u_xt]

    def loss_fn(z, z0, v0, zb):
        u, d = net(z)[:, 0], du(z)
        res = d[:, 1] + u * d[:, 0] - nu * du_x(z)[:, 0]
        return ops.mean(res * res) + ops.mean(ops.square(net(z0) - v0)) + ops.mean(ops.square(net(zb)))

    vg = ops.value_and_grad(loss_fn, None, opt.parameters)
    args = [Tensor(a) for a in (xt, x0, u0, xb)]

    def sdk(i):
        loss, g = vg(*args)
        opt(g)
        return _flat(loss.asnumpy())

    def u_(p, z):
        a = jnp.tanh(z @ p[0].T + p[1])
        return jnp.tanh(a @ p[2].T + p[3]) @ p[4].T + p[5]

    def jl(p, z, z0, v0, zb):
        jdu = jax.grad(lambda z: jnp.sum(u_(p, z)))
        uxx = jax.grad(lambda z: jnp.sum(jdu(z)[:, 0]))(z)[:, 0]
        d = jdu(z)
        res = d[:, 1] + u_(p, z)[:, 0] * d[:, 0] - nu * uxx
        return jnp.mean(res ** 2) + jnp.mean((u_(p, z0) - v0) ** 2) + jnp.mean(u_(p, zb) ** 2)

    return Loop(sdk, _adam_twin(jl, w, lr, lambda i: (xt, x0, u0, xb)), "graph", rtol=5e-4)


# -- 2. A Neural ODE: dynamics Cell integrated by an RK4 solver unrolled in a solver Cell's construct, the
#       trajectory fitted by nn.Adam through the solver (value_and_grad w.r.t. the Parameters), PyNative ---------
def neural_ode_rk4(gs, small=False):
    import jax
    import jax.numpy as jnp

    nn, ops, Tensor = gs.nn, gs.ops, gs.Tensor
    rng = np.random.default_rng(41)
    b, h, steps = (4, 8, 4) if small else (16, 32, 10)
    dt, lr = np.float32(0.1), 1e-2
    w = _mlp_w(rng, 2, h, 2)
    A = np.array([[-0.1, 2.0], [-2.0, -0.1]], np.float32)  # the true system: a damped spiral, y' = A y
    y0s = rng.normal(size=(4, b, 2)).astype(np.float32)
    M = np.eye(2) + dt * A  # its trajectory by explicit Euler's small steps (targets, not our solver's)
    targets = np.stack([np.stack([y0 @ np.linalg.matrix_power(M, k + 1).T for k in range(steps)], 0)
                        for y0 in y0s]).astype(np.float32)

    class ODEFunc(nn.Cell):
        def __init__(self):
            super().__init__()
            self.l1 = nn.Dense(2, h, weight_init=Tensor(w[0]), bias_init=Tensor(w[1]), activation="tanh")
            self.l2 = nn.Dense(h, 2, weight_init=Tensor(w[2]), bias_init=Tensor(w[3]))

        def construct(self, y):
            return self.l2(self.l1(y))

    class RK4(nn.Cell):
        def __init__(self, f):
            super().__init__()
            self.f = f

        def construct(self, y):
            ys = []
            for _ in range(steps):
                k1 = self.f(y)
                k2 = self.f(y + dt / 2 * k1)
                k3 = self.f(y + dt / 2 * k2)
                k4 = self.f(y + dt * k3)
                y = y + dt / 6 * (k1 + 2 * k2 + 2 * k3 + k4)
                ys.append(y)
            return ops.stack(ys, 0)

    solver = RK4(ODEFunc())
    opt = nn.Adam(solver.trainable_params(), learning_rate=lr)
    vg = ops.value_and_grad(lambda y0, tgt: ops.mean(ops.square(solver(y0) - tgt)), None, opt.parameters)

    def sdk(i):
        loss, g = vg(Tensor(y0s[i % 4]), Tensor(targets[i % 4]))
        opt(g)
        return _flat(loss.asnumpy())

    def jl(p, y, tgt):
        f = lambda y: _jmlp(p, y)  # noqa: E731
        ys = []
        for _ in range(steps):
            k1 = f(y)
            k2 = f(y + dt / 2 * k1)
            k3 = f(y + dt / 2 * k2)
            k4 = f(y + dt * k3)
            y = y + dt / 6 * (k1 + 2 * k2 + 2 * k3 + k4)
            ys.append(y)
        return jnp.mean((jnp.stack(ys, 0) - tgt) ** 2)

    return Loop(sdk, _adam_twin(jl, w, lr, lambda i: (y0s[i % 4], targets[i % 4])), "pynative", rtol=5e-4)


# -- 3. A VAE: reparameterisation z = mu + exp(logvar / 2) * eps with a fixed noise Tensor per step, Bernoulli
#       decoder (nn.BCEWithLogitsLoss, sum) + KL, the loss Cell in TrainOneStepCell under nn.Adam, GRAPH_MODE -----
def vae_reparam(gs, small=False):
    import jax
    import jax.numpy as jnp

    nn, ops, Tensor = gs.nn, gs.ops, gs.Tensor
    rng = np.random.default_rng(42)
    b, dx, h, dz = (4, 6, 8, 2) if small else (32, 16, 32, 4)
    lr = 1e-3
    we, wd = _mlp_w(rng, dx, h, 2 * dz), _mlp_w(rng, dz, h, dx)
    xs = (rng.random(size=(4, b, dx)) < 0.3).astype(np.float32)
    eps = rng.normal(size=(8, b, dz)).astype(np.float32)

    def mlp(p):
        return nn.SequentialCell([nn.Dense(p[0].shape[1], h, weight_init=Tensor(p[0]), bias_init=Tensor(p[1]),
                                           activation="relu"),
                                  nn.Dense(h, p[2].shape[0], weight_init=Tensor(p[2]), bias_init=Tensor(p[3]))])

    class VAELoss(nn.Cell):
        def __init__(self):
            super().__init__()
            self.enc, self.dec = mlp(we), mlp(wd)
            self.bce = nn.BCEWithLogitsLoss(reduction="sum")

        def construct(self, x, noise):
            mu, logvar = ops.split(self.enc(x), dz, axis=1)
            z = mu + ops.exp(0.5 * logvar) * noise
            kl = -0.5 * ops.sum(1 + logvar - mu * mu - ops.exp(logvar))
            return (self.bce(self.dec(z), x) + kl) / x.shape[0]

    net = VAELoss()
    step = nn.TrainOneStepCell(net, nn.Adam(net.trainable_params(), learning_rate=lr))

    def sdk(i):
        return _flat(step(Tensor(xs[i % 4]), Tensor(eps[i % 8])).asnumpy())

    def jl(p, x, noise):
        pe, pd = p[:4], p[4:]
        out = _jmlp(pe, x, jax.nn.relu)
        mu, logvar = out[:, :dz], out[:, dz:]
        logits = _jmlp(pd, mu + jnp.exp(0.5 * logvar) * noise, jax.nn.relu)
        bce = jnp.sum(jnp.maximum(logits, 0) - logits * x + jnp.log1p(jnp.exp(-jnp.abs(logits))))
        kl = -0.5 * jnp.sum(1 + logvar - mu ** 2 - jnp.exp(logvar))
        return (bce + kl) / x.shape[0]

    return Loop(sdk, _adam_twin(jl, we + wd, lr, lambda i: (xs[i % 4], eps[i % 8])), "graph", rtol=5e-4)


# -- 4. A Transformer encoder block (nn.TransformerEncoderLayer, batch_first, dropout 0) and a Dense head trained
#       by nn.AdamWeightDecay on a hand-written warmup / inverse-sqrt LearningRateSchedule, GRAPH_MODE; twin:
#       PyTorch's TransformerEncoderLayer with the same weights, MindSpore's AdamWeightDecay rule written out (no
#       decay of LayerNorm's gamma / beta: MindSpore's default for ungrouped parameters) ------------------------
def transformer_adamw_warmup(gs, small=False):
    import torch

    nn, ops, Tensor = gs.nn, gs.ops, gs.Tensor
    rng = np.random.default_rng(43)
    b, L, d, heads, ff = (2, 4, 8, 2, 16) if small else (16, 12, 32, 4, 64)
    base, warm, wdec = 1e-3, 10.0, 1e-2
    xs = rng.normal(size=(4, b, L, d)).astype(np.float32)
    ys = np.tanh(xs.mean((2, 3)) * 3)[:, :, None].astype(np.float32)

    class WarmupInvSqrt(nn.LearningRateSchedule):
        def construct(self, global_step):
            s = ops.cast(global_step, gs.float32) + 1.0
            return base * ops.minimum(s / warm, ops.rsqrt(s / warm))

    class Model(nn.Cell):
        def __init__(self):
            super().__init__()
            self.enc = nn.TransformerEncoderLayer(d, heads, ff, dropout=0.0, batch_first=True)
            self.head = nn.Dense(d, 1)

        def construct(self, x):
            return self.head(ops.mean(self.enc(x), 1))

    torch.manual_seed(43)
    tw = torch.nn.ModuleDict({"enc": torch.nn.TransformerEncoderLayer(d, heads, ff, dropout=0.0, batch_first=True),
                              "head": torch.nn.Linear(d, 1)})
    model = Model()
    tparams = dict(tw.named_parameters())

    def twin_param(name):  # MindSpore 2.10's names -> torch's (dense1/2: linear1/2; LayerNorm gamma/beta)
        for ms_, pt in (("dense", "linear"), ("gamma", "weight"), ("beta", "bias")):
            name = name.replace(ms_, pt)
        return tparams[name]

    for p in model.trainable_params():  # both sides start from torch's initial weights
        p.set_data(Tensor(twin_param(p.name).detach().numpy()))
    opt = nn.AdamWeightDecay(model.trainable_params(), learning_rate=WarmupInvSqrt(), weight_decay=wdec)
    mse = nn.MSELoss()
    vg = ops.value_and_grad(lambda x, y: mse(model(x), y), None, opt.parameters)

    def sdk(i):
        loss, g = vg(Tensor(xs[i % 4]), Tensor(ys[i % 4]))
        opt(g)
        return _flat(loss.asnumpy())

    plist = [twin_param(p.name) for p in model.trainable_params()]
    # MindSpore 2.10 decays no Parameter named with 'gamma' or 'beta' when the parameters are not grouped (its
    # venv: AdamWeightDecay(wd 0.5, lr 0.1) on zero gradients scales Dense weights by 0.95, LayerNorm's by 1)
    # 1 - beta in float32, as MindSpore computes it (1 - 0.999 is 0.00099998713 there: 1.3e-5 from 0.001)
    c1, c2 = (float(np.float32(1) - np.float32(b)) for b in (0.9, 0.999))
    decays = [wdec * ("gamma" not in p.name and "beta" not in p.name) for p in model.trainable_params()]
    mv = [[torch.zeros_like(p) for p in plist], [torch.zeros_like(p) for p in plist]]

    def twin(i):
        out = tw["head"](tw["enc"](torch.from_numpy(xs[i % 4])).mean(1))
        loss = torch.mean((out - torch.from_numpy(ys[i % 4])) ** 2)
        grads = torch.autograd.grad(loss, plist)
        s = np.float32(i + 1)
        lr = np.float32(base * min(s / warm, 1 / np.sqrt(s / warm)))
        with torch.no_grad():
            for p, g, m, v, wd in zip(plist, grads, *mv, decays):
                m.mul_(0.9).add_(c1 * g)
                v.mul_(0.999).add_(c2 * g * g)
                p.sub_(lr * (m / (v.sqrt() + 1e-6) + wd * p))
        return _flat(loss.detach().numpy())

    return Loop(sdk, twin, "graph", rtol=5e-4)


# -- 5. Contrastive (InfoNCE, both directions) between two noisy views: L2-normalised embeddings, logits divided
#       by a temperature Parameter trained with the encoder (nn.Adam), nn.CrossEntropyLoss, PyNative ------------
def contrastive_temperature(gs, small=False):
    import jax
    import jax.numpy as jnp

    nn, ops, Tensor, P = gs.nn, gs.ops, gs.Tensor, gs.Parameter
    rng = np.random.default_rng(44)
    b, dx, h, dz = (6, 5, 8, 4) if small else (32, 16, 32, 8)
    lr, t0 = 3e-3, 0.5
    w = _mlp_w(rng, dx, h, dz)
    xs = rng.normal(size=(4, b, dx)).astype(np.float32)
    noise = (rng.normal(size=(8, 2, b, dx)) * 0.1).astype(np.float32)

    class Encoder(nn.Cell):
        def __init__(self):
            super().__init__()
            self.l1 = nn.Dense(dx, h, weight_init=Tensor(w[0]), bias_init=Tensor(w[1]), activation="relu")
            self.l2 = nn.Dense(h, dz, weight_init=Tensor(w[2]), bias_init=Tensor(w[3]))
            self.temperature = P(Tensor(np.float32(t0)), name="temperature")

        def construct(self, a, b):
            za = self.l2(self.l1(a))
            zb = self.l2(self.l1(b))
            za = za / ops.norm(za, dim=1, keepdim=True)
            zb = zb / ops.norm(zb, dim=1, keepdim=True)
            return ops.matmul(za, zb.T) / self.temperature

    enc, ce = Encoder(), nn.CrossEntropyLoss()
    opt = nn.Adam(enc.trainable_params(), learning_rate=lr)
    labels = Tensor(np.arange(b, dtype=np.int32))

    def loss_fn(a, b_):
        logits = enc(a, b_)
        return (ce(logits, labels) + ce(logits.T, labels)) / 2

    vg = ops.value_and_grad(loss_fn, None, opt.parameters)

    def sdk(i):
        x, nz = xs[i % 4], noise[i % 8]
        loss, g = vg(Tensor(x + nz[0]), Tensor(x + nz[1]))
        opt(g)
        return _flat(loss.asnumpy(), enc.temperature.asnumpy())

    def jl(p, a, b_):
        def emb(x):
            z = _jmlp(p[:4], x, jax.nn.relu)
            return z / jnp.linalg.norm(z, axis=1, keepdims=True)

        logits = emb(a) @ emb(b_).T / p[4]
        idx = jnp.arange(b)
        ce_ = lambda lg: -jnp.mean(jax.nn.log_softmax(lg, 1)[idx, idx])  # noqa: E731
        return (ce_(logits) + ce_(logits.T)) / 2

    twin = _adam_twin(jl, w + [np.float32(t0)], lr, lambda i: tuple(xs[i % 4] + noise[i % 8]),
                      lambda value, p: _flat(value, p[4]))
    return Loop(sdk, twin, "pynative", rtol=5e-4)


# -- 6. Newton's method in float64: a nonlinear system F(x; b) = 0 solved by ops.jacfwd(F) (two iterations a step,
#       warm-started, b new each step), then a minimisation by the Hessian as MindSpore writes it
#       (ops.jacfwd(ops.grad(f))), the solves on the client, PyNative; twin: PyTorch float64 (torch.func) -------
def newton_jacfwd64(gs, small=False):
    import torch

    ops, Tensor = gs.ops, gs.Tensor
    rng = np.random.default_rng(45)
    n = 4 if small else 16
    A = rng.normal(size=(n, n)) / np.sqrt(n)
    B = rng.normal(size=(8, n))
    Q = rng.normal(size=(n, n)) / np.sqrt(n)
    Q = Q @ Q.T + np.eye(n)
    At, Qt = Tensor(A), Tensor(Q)

    def F(x, b):
        return x + 0.5 * ops.tanh(ops.matmul(At, x)) + 0.1 * x * x * x - b

    def f(x, b):  # a strictly convex function: 0.5 x'Qx + sum log cosh(x) - b'x
        return 0.5 * ops.sum(x * ops.matmul(Qt, x)) + ops.sum(ops.log(ops.cosh(x))) - ops.sum(b * x)

    jac = ops.jacfwd(F)
    grad, hess = ops.grad(f), ops.jacfwd(ops.grad(f))

    def sdk_step(st):
        def step(i):
            b = Tensor(B[i % 8])
            for _ in range(2):
                x = Tensor(st["x"])
                st["x"] = st["x"] - np.linalg.solve(jac(x, b).asnumpy(), F(x, b).asnumpy())
            y = Tensor(st["y"])
            st["y"] = st["y"] - np.linalg.solve(hess(y, b).asnumpy(), grad(y, b).asnumpy())
            return _flat(st["x"], st["y"])
        return step

    tA, tQ = torch.from_numpy(A), torch.from_numpy(Q)

    def tF(x, b):
        return x + 0.5 * torch.tanh(tA @ x) + 0.1 * x ** 3 - b

    def tf(x, b):
        return 0.5 * x @ (tQ @ x) + torch.sum(torch.log(torch.cosh(x))) - b @ x

    tjac = torch.func.jacfwd(tF)
    tgrad = torch.func.grad(tf)
    thess = torch.func.jacfwd(tgrad)
    ts = {"x": torch.zeros(n, dtype=torch.float64), "y": torch.zeros(n, dtype=torch.float64)}

    def twin(i):
        b = torch.from_numpy(B[i % 8])
        for _ in range(2):
            ts["x"] = ts["x"] - torch.linalg.solve(tjac(ts["x"], b), tF(ts["x"], b))
        ts["y"] = ts["y"] - torch.linalg.solve(thess(ts["y"], b), tgrad(ts["y"], b))
        return _flat(ts["x"].numpy(), ts["y"].numpy())

    return Loop(sdk_step({"x": np.zeros(n), "y": np.zeros(n)}), twin, "pynative", rtol=1e-10)


def _leapfrog(grad, logp, q, p, eps, leap):
    """`leap` leapfrog steps of size eps (a half-step of momentum at each end); (q, p, logp(q)) at the end."""
    p = p + 0.5 * eps * grad(q)
    for _ in range(leap - 1):
        q = q + eps * p
        p = p + eps * grad(q)
    q = q + eps * p
    p = p + 0.5 * eps * grad(q)
    return q, p, logp(q)


# -- 7. HMC in float64 with the whole leapfrog trajectory in one @jit function (ops.grad of the log-density at
#       each half-step inside it, the loop unrolled), the Metropolis test on the client, GRAPH_MODE; twin: PyTorch
#       float64 (torch.func.grad) ----------------------------------------------------------------------------
def hmc64_jit_leapfrog(gs, small=False):
    import torch

    ops, Tensor = gs.ops, gs.Tensor
    rng = np.random.default_rng(46)
    d, leap, eps = (3, 4, 0.15) if small else (10, 10, 0.03)
    L = np.tril(rng.normal(size=(d, d)) * 0.4) + np.eye(d)
    P = np.linalg.inv(L @ L.T)  # a correlated Gaussian's precision, and a quartic term: non-Gaussian
    Pt = Tensor(P)

    def logp(q):
        return -0.5 * ops.sum(q * ops.matmul(Pt, q)) - 0.05 * ops.sum(q * q * q * q)

    grad = ops.grad(logp)

    @gs.jit
    def leapfrog(q, p):
        return _leapfrog(grad, logp, q, p, eps, leap)

    tP = torch.from_numpy(P)

    def tlogp(q):
        return -0.5 * q @ (tP @ q) - 0.05 * torch.sum(q ** 4)

    tgrad = torch.func.grad(tlogp)

    def tleapfrog(q, p):
        return _leapfrog(tgrad, tlogp, q, p, eps, leap)

    def chain(traj, lp):
        r = np.random.default_rng(47)
        st = {"q": np.zeros(d)}

        def step(i):
            p0, u = r.normal(size=d), r.random()
            q, p, lp1 = traj(st["q"], p0)
            accept = np.log(u) < (lp1 - 0.5 * p @ p) - (lp(st["q"]) - 0.5 * p0 @ p0)
            st["q"] = q if accept else st["q"]
            return _flat(st["q"], lp1)

        return step

    def sdk_traj(q, p):
        q, p, lp = leapfrog(Tensor(q), Tensor(p))
        return q.asnumpy(), p.asnumpy(), float(lp.asnumpy())

    def twin_traj(q, p):
        q, p, lp = tleapfrog(torch.from_numpy(q), torch.from_numpy(p))
        return q.numpy(), p.numpy(), float(lp)

    def np_logp(q):  # (the current point's log-density: kept from its step on both sides would be the same)
        return float(-0.5 * q @ P @ q - 0.05 * np.sum(q ** 4))

    return Loop(chain(sdk_traj, np_logp), chain(twin_traj, np_logp), "graph", rtol=1e-10)


# -- 8. A small CNN (Conv2d, ReLU, MaxPool2d, Flatten, Dense) on 1x8x8 images, nn.SoftmaxCrossEntropyWithLogits
#       (sparse, mean) in WithLossCell + TrainOneStepCell under nn.SGD with Nesterov momentum, GRAPH_MODE; twin:
#       PyTorch with the same weights (pad_mode 'same' as padding 1), MindSpore's SGD rule -----------------------
def cnn_nesterov(gs, small=False):
    import torch

    nn, Tensor = gs.nn, gs.Tensor
    rng = np.random.default_rng(48)
    b, c, k = (4, 2, 3) if small else (32, 8, 3)
    lr, mom = 0.05, 0.9
    wc = (rng.normal(size=(c, 1, k, k)) / k).astype(np.float32)
    wd = _init(rng, 4, c * 16)
    xs = rng.normal(size=(4, b, 1, 8, 8)).astype(np.float32)
    ys = rng.integers(0, 4, size=(4, b)).astype(np.int32)

    net = nn.SequentialCell([nn.Conv2d(1, c, k, pad_mode="same", weight_init=Tensor(wc)), nn.ReLU(),
                             nn.MaxPool2d(2, 2), nn.Flatten(),
                             nn.Dense(c * 16, 4, weight_init=Tensor(wd), bias_init="zeros")])
    loss = nn.SoftmaxCrossEntropyWithLogits(sparse=True, reduction="mean")
    opt = nn.SGD(net.trainable_params(), learning_rate=lr, momentum=mom, nesterov=True)
    step = nn.TrainOneStepCell(nn.WithLossCell(net, loss), opt)

    def sdk(i):
        return _flat(step(Tensor(xs[i % 4]), Tensor(ys[i % 4])).asnumpy())

    tnet = torch.nn.Sequential(torch.nn.Conv2d(1, c, k, padding=1, bias=False), torch.nn.ReLU(),
                               torch.nn.MaxPool2d(2, 2), torch.nn.Flatten(), torch.nn.Linear(c * 16, 4))
    with torch.no_grad():
        tnet[0].weight.copy_(torch.from_numpy(wc))
        tnet[4].weight.copy_(torch.from_numpy(wd))
        tnet[4].bias.zero_()
    params = list(tnet.parameters())
    vel = [torch.zeros_like(p) for p in params]

    def twin(i):
        out = tnet(torch.from_numpy(xs[i % 4]))
        lval = torch.nn.functional.cross_entropy(out, torch.from_numpy(ys[i % 4]).long())
        grads = torch.autograd.grad(lval, params)
        with torch.no_grad():  # MindSpore's SGD: v = mom v + g (v = g at first), p -= lr (g + mom v)
            for p, g, v in zip(params, grads, vel):
                v.mul_(mom if i else 0.0).add_(g)
                p.sub_(lr * (g + mom * v))
        return _flat(lval.detach().numpy())

    return Loop(sdk, twin, "graph", rtol=5e-4)


LOOPS = {f.__name__: f for f in (burgers_pinn, neural_ode_rk4, vae_reparam, transformer_adamw_warmup,
                                 contrastive_temperature, newton_jacfwd64, hmc64_jit_leapfrog, cnn_nesterov)}

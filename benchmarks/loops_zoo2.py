"""Held-out loops, round 2 (issue #13 generalised): kinds of loop the first zoo (benchmarks/loops_zoo.py) has not,
as MindSpore 2.x users write them, each beside a JAX or PyTorch twin computing the same numbers; same form
(`name(gs, small=False) -> Loop`), run by benchmarks/loops_zoo_bench.py and tests/clients/test_loops_zoo.py.

The twins write MindSpore 2.10's optimizer rules out (RMSProp's mean square starting at ones, Adagrad's accum at
0.1, AdamWeightDecay without bias correction, a LearningRateSchedule read at the step before the update)."""
from __future__ import annotations

import numpy as np

from benchmarks.loops_zoo import Loop, _flat, _init, _ms_adam


def _adam_step(loss, b1=0.9):
    """A jitted step: the loss's value and gradient w.r.t. p (its first argument), then MindSpore's Adam at rate lr."""
    import jax

    adam = _ms_adam(b1=b1)

    @jax.jit
    def step(p, st, t, lr, *data):
        value, g = jax.value_and_grad(loss)(p, *data)
        p, st = adam(p, g, st, t, lr)
        return value, p, st

    return step


def _zeros2(p):
    import jax.numpy as jnp

    return [jnp.zeros_like(a) for a in p], [jnp.zeros_like(a) for a in p]


def _mlp_w(rng, din, h, dout=1):
    return [_init(rng, h, din), np.zeros(h, np.float32), _init(rng, dout, h), np.zeros(dout, np.float32)]


def _dense2(gs, w, act="tanh"):
    nn, T = gs.nn, gs.Tensor
    return nn.SequentialCell([nn.Dense(w[0].shape[1], w[0].shape[0], weight_init=T(w[0]), bias_init=T(w[1]),
                                       activation=act),
                              nn.Dense(w[2].shape[1], w[2].shape[0], weight_init=T(w[2]), bias_init=T(w[3]))])


def _jmlp(p, x, act=None):
    import jax.numpy as jnp

    return (act or jnp.tanh)(x @ p[0].T + p[1]) @ p[2].T + p[3]


# -- 1. Deep-potential-style: energy and forces (-dE/dR by ops.grad inside the loss), nn.Adam + ExponentialDecayLR --
def dp_forces_expdecay(gs, small=False):
    import jax
    import jax.numpy as jnp

    nn, ops, Tensor = gs.nn, gs.ops, gs.Tensor
    rng = np.random.default_rng(30)
    b, n, h = (2, 4, 6) if small else (8, 8, 24)
    etas = (0.5, 1.0, 2.0)
    w = _mlp_w(rng, len(etas), h)
    R = (rng.normal(size=(4, b, n, 3)) * 1.2).astype(np.float32)
    Et = rng.normal(size=(4, b)).astype(np.float32)
    Ft = rng.normal(size=(4, b, n, 3)).astype(np.float32)
    mask = (1 - np.eye(n, dtype=np.float32))
    sched = (0.01, 0.9, 10)  # lr 0.01 * 0.9 ** (step / 10)

    class Potential(nn.Cell):
        def __init__(self):
            super().__init__()
            self.fit = _dense2(gs, w)
            self.mask = Tensor(mask)

        def construct(self, r):
            d = ops.expand_dims(r, 2) - ops.expand_dims(r, 1)
            r2 = ops.sum(d * d, -1)
            g = ops.stack([ops.sum(self.mask * ops.exp(-eta * r2), -1) for eta in etas], -1)
            e_atom = self.fit(g.reshape((b * n, len(etas))))
            return ops.sum(e_atom.reshape((b, n)), 1)

    net = Potential()
    opt = nn.Adam(net.trainable_params(), learning_rate=nn.ExponentialDecayLR(*sched))
    mse = nn.MSELoss()
    dE_dR = ops.grad(lambda r: ops.sum(net(r)))

    def loss_fn(r, et, ft):
        return mse(net(r), et) + mse(-dE_dR(r), ft)

    vg = ops.value_and_grad(loss_fn, None, opt.parameters)

    def sdk(i):
        loss, g = vg(Tensor(R[i % 4]), Tensor(Et[i % 4]), Tensor(Ft[i % 4]))
        opt(g)
        return _flat(loss.asnumpy())

    def energy(p, r):
        d = r[:, :, None] - r[:, None]
        r2 = jnp.sum(d * d, -1)
        g = jnp.stack([jnp.sum(mask * jnp.exp(-eta * r2), -1) for eta in etas], -1)
        return jnp.sum(_jmlp(p, g.reshape(b * n, -1)).reshape(b, n), 1)

    def jl(p, r, et, ft):
        f = -jax.grad(lambda r: jnp.sum(energy(p, r)))(r)
        return jnp.mean((energy(p, r) - et) ** 2) + jnp.mean((f - ft) ** 2)

    jstep = _adam_step(jl)

    p = [jnp.asarray(a) for a in w]
    s = {"p": p, "st": _zeros2(p)}

    def twin(i):
        lr = np.float32(sched[0] * sched[1] ** (i / sched[2]))
        loss, s["p"], s["st"] = jstep(s["p"], s["st"], jnp.float32(i + 1), lr, R[i % 4], Et[i % 4], Ft[i % 4])
        return _flat(loss)

    return Loop(sdk, twin, "graph", rtol=5e-4)


# -- 2. GAN: two networks, two optimizers (nn.Adam beta1=0.5 for D, nn.RMSProp for G), two grads a step ---------
def gan_two_optimizers(gs, small=False):
    import jax
    import jax.numpy as jnp

    nn, ops, Tensor = gs.nn, gs.ops, gs.Tensor
    rng = np.random.default_rng(31)
    b, zd, h = (8, 2, 6) if small else (64, 4, 32)
    wg, wd = _mlp_w(rng, zd, h, 2), _mlp_w(rng, 2, h)
    real = (rng.normal(size=(4, b, 2)) * 0.5 + np.array([2.0, -1.0])).astype(np.float32)
    zs = rng.normal(size=(4, b, zd)).astype(np.float32)
    lr_d, lr_g = 2e-3, 1e-3

    G, D = _dense2(gs, wg, "relu"), _dense2(gs, wd)  # (the same parameter names in both: '0.weight', ...)
    opt_d = nn.Adam(D.trainable_params(), learning_rate=lr_d, beta1=0.5)
    opt_g = nn.RMSProp(G.trainable_params(), learning_rate=lr_g)

    def d_loss(x, z):
        return ops.mean(ops.softplus(-D(x))) + ops.mean(ops.softplus(D(G(z))))

    def g_loss(z):
        return ops.mean(ops.softplus(-D(G(z))))

    vg_d = ops.value_and_grad(d_loss, None, opt_d.parameters)
    vg_g = ops.value_and_grad(g_loss, None, opt_g.parameters)

    def sdk(i):
        ld, gd = vg_d(Tensor(real[i % 4]), Tensor(zs[i % 4]))
        opt_d(gd)
        lg, gg = vg_g(Tensor(zs[(i + 1) % 4]))
        opt_g(gg)
        return _flat(ld.asnumpy(), lg.asnumpy())

    def jd(pd, pg, x, z):
        return (jnp.mean(jax.nn.softplus(-_jmlp(pd, x)))
                + jnp.mean(jax.nn.softplus(_jmlp(pd, _jmlp(pg, z, jax.nn.relu)))))

    def jg(pg, pd, z):
        return jnp.mean(jax.nn.softplus(-_jmlp(pd, _jmlp(pg, z, jax.nn.relu))))

    adam = _ms_adam(b1=0.5)

    @jax.jit
    def jstep(pd, pg, sd, sg, x, z, z2, t):
        ld, g = jax.value_and_grad(jd)(pd, pg, x, z)
        pd, sd = adam(pd, g, sd, t, lr_d)
        lg, g = jax.value_and_grad(jg)(pg, pd, z2)
        ms = [0.9 * m + 0.1 * gi * gi for m, gi in zip(sg, g)]  # RMSProp, momentum 0: w -= lr g / sqrt(ms + eps)
        pg = [p - lr_g * gi / jnp.sqrt(m + 1e-10) for p, gi, m in zip(pg, g, ms)]
        return ld, lg, pd, pg, sd, ms

    pd, pg = [jnp.asarray(a) for a in wd], [jnp.asarray(a) for a in wg]
    s = {"pd": pd, "pg": pg, "sd": _zeros2(pd), "sg": [jnp.ones_like(a) for a in pg]}

    def twin(i):
        ld, lg, s["pd"], s["pg"], s["sd"], s["sg"] = jstep(s["pd"], s["pg"], s["sd"], s["sg"], real[i % 4],
                                                           zs[i % 4], zs[(i + 1) % 4], jnp.float32(i + 1))
        return _flat(ld, lg)

    return Loop(sdk, twin, "pynative", rtol=5e-4)


# -- 3. Gradient accumulation: ops.grad per micro-batch summed on the client, nn.AdamWeightDecay every k ------
def grad_accum_adamw(gs, small=False):
    import jax
    import jax.numpy as jnp

    nn, ops, Tensor = gs.nn, gs.ops, gs.Tensor
    rng = np.random.default_rng(32)
    b, din, h, k = (4, 4, 6, 3) if small else (32, 16, 32, 4)
    w = _mlp_w(rng, din, h)
    xs = rng.normal(size=(4 * k, b, din)).astype(np.float32)
    ys = np.sin(xs.sum(-1, keepdims=True)).astype(np.float32)
    lr, wdec = 1e-2, 1e-2

    net = _dense2(gs, w)
    opt = nn.AdamWeightDecay(net.trainable_params(), learning_rate=lr, weight_decay=wdec)
    mse = nn.MSELoss()
    vg = ops.value_and_grad(lambda x, y: mse(net(x), y), None, opt.parameters)
    acc = {"g": None}

    def sdk(i):
        loss, g = vg(Tensor(xs[i % (4 * k)]), Tensor(ys[i % (4 * k)]))
        acc["g"] = g if acc["g"] is None else tuple(a + gi for a, gi in zip(acc["g"], g))
        if i % k == k - 1:
            opt(tuple(a / k for a in acc["g"]))
            acc["g"] = None
        return _flat(loss.asnumpy(), net[0].weight.asnumpy())

    jvg = jax.jit(jax.value_and_grad(lambda p, x, y: jnp.mean((_jmlp(p, x) - y) ** 2)))

    @jax.jit
    def adamw(p, g, m, v):
        m = [0.9 * mi + 0.1 * gi for mi, gi in zip(m, g)]
        v = [0.999 * vi + 0.001 * gi * gi for vi, gi in zip(v, g)]
        return [pi - lr * (mi / (jnp.sqrt(vi) + 1e-6) + wdec * pi) for pi, mi, vi in zip(p, m, v)], m, v

    p = [jnp.asarray(a) for a in w]
    s = {"p": p, "mv": _zeros2(p), "g": None}

    def twin(i):
        loss, g = jvg(s["p"], xs[i % (4 * k)], ys[i % (4 * k)])
        s["g"] = g if s["g"] is None else [a + gi for a, gi in zip(s["g"], g)]
        if i % k == k - 1:
            s["p"], *s["mv"] = adamw(s["p"], [a / k for a in s["g"]], *s["mv"])
            s["g"] = None
        return _flat(loss, s["p"][0])

    return Loop(sdk, twin, "graph", first_update=k)


# -- 4. A hand-written RNN cell unrolled over a sequence in construct (BPTT), nn.Adagrad ----------------------
def rnn_bptt_adagrad(gs, small=False):
    import jax
    import jax.numpy as jnp

    nn, ops, Tensor, P = gs.nn, gs.ops, gs.Tensor, gs.Parameter
    rng = np.random.default_rng(33)
    b, T, din, h = (4, 5, 3, 6) if small else (32, 20, 8, 32)
    wx, wh, wo = _init(rng, h, din), (_init(rng, h, h) * 0.5).astype(np.float32), _init(rng, 1, h)
    xs = rng.normal(size=(4, b, T, din)).astype(np.float32)
    ys = np.tanh(xs.sum((2, 3)))[..., None].astype(np.float32) * 0.5
    lr = 0.05

    class Cell(nn.Cell):
        def __init__(self):
            super().__init__()
            self.wx, self.wh = P(Tensor(wx), name="wx"), P(Tensor(wh), name="wh")
            self.bh = P(Tensor(np.zeros(h, np.float32)), name="bh")

        def construct(self, x, hid):
            return ops.tanh(ops.matmul(x, self.wx.T) + ops.matmul(hid, self.wh.T) + self.bh)

    class Seq(nn.Cell):
        def __init__(self):
            super().__init__()
            self.cell = Cell()
            self.out = nn.Dense(h, 1, weight_init=Tensor(wo), bias_init="zeros")

        def construct(self, x):
            hid = ops.zeros((x.shape[0], h), gs.float32)
            for t in range(T):
                hid = self.cell(x[:, t, :], hid)
            return self.out(hid)

    net = Seq()
    opt = nn.Adagrad(net.trainable_params(), learning_rate=lr)
    train = nn.TrainOneStepCell(nn.WithLossCell(net, nn.MSELoss()), opt)

    def sdk(i):
        return _flat(train(Tensor(xs[i % 4]), Tensor(ys[i % 4])).asnumpy())

    def jl(p, x, y):
        hid = jnp.zeros((x.shape[0], h), jnp.float32)
        for t in range(T):
            hid = jnp.tanh(x[:, t] @ p[0].T + hid @ p[1].T + p[2])
        return jnp.mean((hid @ p[3].T + p[4] - y) ** 2)

    @jax.jit
    def jstep(p, acc, x, y):
        loss, g = jax.value_and_grad(jl)(p, x, y)
        acc = [a + gi * gi for a, gi in zip(acc, g)]
        return loss, [pi - lr * gi / jnp.sqrt(a) for pi, gi, a in zip(p, g, acc)], acc

    p = [jnp.asarray(a) for a in (wx, wh, np.zeros(h, np.float32), wo, np.zeros(1, np.float32))]
    s = {"p": p, "acc": [jnp.full_like(a, 0.1) for a in p]}

    def twin(i):
        loss, s["p"], s["acc"] = jstep(s["p"], s["acc"], xs[i % 4], ys[i % 4])
        return _flat(loss)

    return Loop(sdk, twin, "graph", rtol=5e-4)


# -- 5. Score matching (Hyvarinen): |grad_x E|^2 and the Laplacian of E (second derivatives w.r.t. the inputs)
#       in the loss, its gradient w.r.t. the weights (third order), nn.Adam with a cosine_decay_lr list ----------
def score_matching_cosine(gs, small=False):
    import jax
    import jax.numpy as jnp

    nn, ops, Tensor = gs.nn, gs.ops, gs.Tensor
    rng = np.random.default_rng(34)
    b, d, h = (8, 2, 6) if small else (64, 2, 32)
    w = _mlp_w(rng, d, h)
    xs = (rng.normal(size=(4, b, d)) * np.array([1.0, 0.5]) + np.array([0.5, -0.5])).astype(np.float32)
    lrs = nn.cosine_decay_lr(1e-4, 1e-2, 400, 10, 40)

    net = _dense2(gs, w)
    opt = nn.Adam(net.trainable_params(), learning_rate=lrs)
    dE = ops.grad(lambda x: ops.sum(net(x)))
    d2E = [ops.grad(lambda x, k=k: ops.sum(dE(x)[:, k])) for k in range(d)]

    def loss_fn(x):
        s = dE(x)
        lap = sum(d2E[k](x)[:, k] for k in range(d))
        return ops.mean(0.5 * ops.sum(s * s, 1) - lap)  # (the score is -dE; the Laplacian of E enters with -)

    vg = ops.value_and_grad(loss_fn, None, opt.parameters)

    def sdk(i):
        loss, g = vg(Tensor(xs[i % 4]))
        opt(g)
        return _flat(loss.asnumpy())

    def jl(p, x):
        e = lambda x: jnp.sum(_jmlp(p, x))  # noqa: E731
        s = jax.grad(e)(x)
        lap = sum(jax.grad(lambda x, k=k: jnp.sum(jax.grad(e)(x)[:, k]))(x)[:, k] for k in range(d))
        return jnp.mean(0.5 * jnp.sum(s * s, 1) - lap)

    jstep = _adam_step(jl)

    p = [jnp.asarray(a) for a in w]
    s = {"p": p, "st": _zeros2(p)}

    def twin(i):
        loss, s["p"], s["st"] = jstep(s["p"], s["st"], jnp.float32(i + 1), np.float32(lrs[i]), xs[i % 4])
        return _flat(loss)

    return Loop(sdk, twin, "graph", rtol=5e-4)


# -- 6. MALA in float64: value_and_grad(has_aux=True) of a summed log-density, per-chain values as the aux -------
def mala64_has_aux(gs, small=False):
    import torch

    ops, Tensor = gs.ops, gs.Tensor
    n, eps = (8 if small else 64), 0.05

    def logp_each(z):
        a, c = z[:, 0], z[:, 1]
        return -(0.5 * a * a + 2.0 * ops.square(c - 0.5 * a * a))

    def logp(z):
        lp = logp_each(z)
        return ops.sum(lp), lp

    vg = ops.value_and_grad(logp, 0, None, has_aux=True)

    def tvg(z):
        t = torch.tensor(z, requires_grad=True)
        a, c = t[:, 0], t[:, 1]
        lp = -(0.5 * a * a + 2.0 * (c - 0.5 * a * a) ** 2)
        lp.sum().backward()
        return lp.detach().numpy(), t.grad.numpy()

    def svg(z):
        (_, lp), g = vg(Tensor(z))
        assert lp.dtype == gs.float64 and g.dtype == gs.float64, (lp.dtype, g.dtype)
        return lp.asnumpy(), g.asnumpy()

    def chain(value_and_grad):
        rng = np.random.default_rng(35)
        st = {"z": np.zeros((n, 2))}

        def step(i):
            z = st["z"]
            lp, g = value_and_grad(z)
            prop = z + eps * g + np.sqrt(2 * eps) * rng.normal(size=z.shape)
            lp2, g2 = value_and_grad(prop)
            fwd = -np.sum((prop - z - eps * g) ** 2, 1) / (4 * eps)
            bwd = -np.sum((z - prop - eps * g2) ** 2, 1) / (4 * eps)
            accept = np.log(rng.random(n)) < lp2 - lp + bwd - fwd
            st["z"] = np.where(accept[:, None], prop, z)
            return _flat(st["z"], lp)

        return step

    return Loop(chain(svg), chain(tvg), "pynative", rtol=1e-9)


# -- 7. Gauss-Newton / Levenberg-Marquardt: ops.jacrev of the residuals each step, the solve on the client -----
def levenberg_jacrev(gs, small=False):
    import jax
    import jax.numpy as jnp

    ops, Tensor = gs.ops, gs.Tensor
    rng = np.random.default_rng(36)
    m = 12 if small else 200
    t = np.linspace(0, 3, m).astype(np.float32)
    y = (2.0 * np.exp(-1.3 * t) + 0.5 + 0.02 * rng.normal(size=m)).astype(np.float32)
    lam = 1e-2
    T, Y = Tensor(t), Tensor(y)

    def resid(th):
        return th[0] * ops.exp(-th[1] * T) + th[2] - Y

    jac = ops.jacrev(resid)

    def lm(th, r, J):
        A = J.T.astype(np.float64) @ J + lam * np.eye(3)
        return (th - np.linalg.solve(A, J.T.astype(np.float64) @ r)).astype(np.float32)

    s = {"th": np.array([1.0, 0.5, 0.0], np.float32)}

    def sdk(i):
        th = Tensor(s["th"])
        r, J = resid(th).asnumpy(), jac(th).asnumpy()
        s["th"] = lm(s["th"], r, J)
        return _flat(s["th"], r @ r)

    def jres(th):
        return th[0] * jnp.exp(-th[1] * t) + th[2] - y

    jr, jj = jax.jit(jres), jax.jit(jax.jacrev(jres))
    js = {"th": np.array([1.0, 0.5, 0.0], np.float32)}

    def twin(i):
        r, J = np.asarray(jr(js["th"])), np.asarray(jj(js["th"]))
        js["th"] = lm(js["th"], r, J)
        return _flat(js["th"], r @ r)

    return Loop(sdk, twin, "pynative", rtol=1e-4)


# -- 8. SVGD: per-particle scores by ops.vmap(ops.grad(logp_one)), the kernel on the client ------------------
def svgd_vmap_grad(gs, small=False):
    import jax
    import jax.numpy as jnp

    ops, Tensor = gs.ops, gs.Tensor
    rng = np.random.default_rng(37)
    n, d, eps = (8, 2, 0.1) if small else (128, 2, 0.1)
    mu = np.array([1.0, -1.0], np.float32)
    prec = np.array([[2.0, 0.6], [0.6, 1.0]], np.float32)

    def logp_one(x):
        dx = x - Tensor(mu)
        return -0.5 * ops.sum(dx * ops.matmul(Tensor(prec), dx)) - 0.1 * ops.sum(dx ** 4)

    score = ops.vmap(ops.grad(logp_one), in_axes=0)

    def svgd(x, g):
        diff = x[:, None] - x[None]
        r2 = np.sum(diff * diff, -1)
        hb = np.median(r2) / np.log(n + 1) + 1e-6
        k = np.exp(-r2 / hb)
        phi = (k @ g + np.sum(k[..., None] * diff, 1) * (2 / hb)) / n
        return (x + eps * phi).astype(np.float32)

    x0 = rng.normal(size=(n, d)).astype(np.float32)
    s = {"x": x0}

    def sdk(i):
        s["x"] = svgd(s["x"], score(Tensor(s["x"])).asnumpy())
        return _flat(s["x"])

    def jlogp(x):
        dx = x - mu
        return -0.5 * jnp.sum(dx * (prec @ dx)) - 0.1 * jnp.sum(dx ** 4)

    jscore = jax.jit(jax.vmap(jax.grad(jlogp)))
    js = {"x": x0}

    def twin(i):
        js["x"] = svgd(js["x"], np.asarray(jscore(js["x"])))
        return _flat(js["x"])

    return Loop(sdk, twin, "graph", rtol=5e-4)


# -- 9. L-BFGS: value_and_grad on the weights, the two-loop recursion on the client, set_data each step --------
def lbfgs_two_loop(gs, small=False):
    import jax
    import jax.numpy as jnp

    from benchmarks.loops_workloads import logreg_data

    nn, ops, Tensor = gs.nn, gs.ops, gs.Tensor
    X, y = logreg_data(n_points=40 if small else 400, n_feat=4 if small else 16, seed=38)
    d, hist, step = X.shape[1], 5, 0.5
    net = nn.Dense(d, 1, weight_init="zeros", bias_init="zeros")
    params = net.trainable_params()

    def loss_fn(x, t):
        z = net(x).reshape((-1,))
        return ops.mean(ops.softplus(z) - t * z) + 0.05 * ops.sum(net.weight * net.weight)

    vg = ops.value_and_grad(loss_fn, None, params)
    Xt, yt = Tensor(X), Tensor(y)

    def direction(g, mem):
        q, al = g.astype(np.float64), []
        for sv, yv in reversed(mem):
            a = (sv @ q) / (yv @ sv)
            al.append(a)
            q = q - a * yv
        if mem:
            q = q * (mem[-1][0] @ mem[-1][1]) / (mem[-1][1] @ mem[-1][1])
        for (sv, yv), a in zip(mem, reversed(al)):
            q = q + sv * (a - (yv @ q) / (yv @ sv))
        return -q

    def lbfgs(value_grad, get, put):
        st = {"mem": [], "prev": None}

        def it(i):
            w = get()
            v, g = value_grad()
            if st["prev"] is not None and (w - st["prev"][0]) @ (g - st["prev"][1]) > 1e-10:  # (curvature: once
                st["mem"] = (st["mem"] + [(w - st["prev"][0], g - st["prev"][1])])[-hist:]  # converged, no pair)
            st["prev"] = (w, g)
            put((w + step * direction(g, st["mem"])).astype(np.float32))
            return _flat(v, get())

        return it

    def sdk_vg():
        v, g = vg(Xt, yt)
        return float(v.asnumpy()), np.concatenate([a.asnumpy().reshape(-1) for a in g]).astype(np.float64)

    def sdk_put(w):
        net.weight.set_data(Tensor(w[:d].reshape(1, d)))
        net.bias.set_data(Tensor(w[d:]))

    def sdk_get():
        return np.concatenate([net.weight.asnumpy().reshape(-1), net.bias.asnumpy()]).astype(np.float64)

    jvg = jax.jit(jax.value_and_grad(lambda w: jnp.mean(jax.nn.softplus(X @ w[:d] + w[d]) - y * (X @ w[:d] + w[d]))
                                     + 0.05 * jnp.sum(w[:d] * w[:d])))
    js = {"w": np.zeros(d + 1, np.float32)}

    def jput(w):
        js["w"] = w

    def jget_vg():
        v, g = jvg(js["w"])
        return float(v), np.asarray(g, np.float64)

    return Loop(lbfgs(sdk_vg, sdk_get, sdk_put), lbfgs(jget_vg, lambda: js["w"].astype(np.float64), jput),
                "pynative", rtol=1e-4)


# -- 10. Meta-learning (MAML): the loss after one inner SGD step, its gradient w.r.t. the Parameters (2nd order) -
def maml_second_order(gs, small=False):
    import jax
    import jax.numpy as jnp

    nn, ops, Tensor, P = gs.nn, gs.ops, gs.Tensor, gs.Parameter
    rng = np.random.default_rng(39)
    b, h = (5, 8) if small else (20, 40)
    w1, w2 = _init(rng, h, 1), _init(rng, 1, h)
    amp, ph = rng.uniform(0.5, 2, 8), rng.uniform(0, np.pi, 8)
    xs = rng.uniform(-3, 3, size=(8, 2, b, 1)).astype(np.float32)
    ys = (amp[:, None, None, None] * np.sin(xs + ph[:, None, None, None])).astype(np.float32)
    alpha, lr = 0.05, 1e-3

    class Model(nn.Cell):
        def __init__(self):
            super().__init__()
            self.w1, self.w2 = P(Tensor(w1), name="w1"), P(Tensor(w2), name="w2")
            self.b1 = P(Tensor(np.zeros(h, np.float32)), name="b1")

        def construct(self, x):
            return self.f((self.w1, self.b1, self.w2), x)

        @staticmethod
        def f(p, x):
            return ops.matmul(ops.tanh(ops.matmul(x, p[0].T) + p[1]), p[2].T)

    net = Model()
    params = [net.w1, net.b1, net.w2]
    inner = ops.grad(lambda x, y: ops.mean(ops.square(net(x) - y)), None, params)

    def meta_loss(xs_, ys_, xq, yq):
        g = inner(xs_, ys_)
        fast = [p - alpha * gi for p, gi in zip(params, g)]
        return ops.mean(ops.square(Model.f(fast, xq) - yq))

    opt = nn.Adam(params, learning_rate=lr)
    vg = ops.value_and_grad(meta_loss, None, opt.parameters)

    def sdk(i):
        tk = i % 8
        loss, g = vg(Tensor(xs[tk, 0]), Tensor(ys[tk, 0]), Tensor(xs[tk, 1]), Tensor(ys[tk, 1]))
        opt(g)
        return _flat(loss.asnumpy())

    def jf(p, x):
        return jnp.tanh(x @ p[0].T + p[1]) @ p[2].T

    def jmeta(p, a, ya, q, yq):
        g = jax.grad(lambda p: jnp.mean((jf(p, a) - ya) ** 2))(p)
        return jnp.mean((jf([pi - alpha * gi for pi, gi in zip(p, g)], q) - yq) ** 2)

    jstep = _adam_step(jmeta)

    p = [jnp.asarray(a) for a in (w1, np.zeros(h, np.float32), w2)]
    s = {"p": p, "st": _zeros2(p)}

    def twin(i):
        tk = i % 8
        loss, s["p"], s["st"] = jstep(s["p"], s["st"], jnp.float32(i + 1), lr, xs[tk, 0], ys[tk, 0], xs[tk, 1], ys[tk, 1])
        return _flat(loss)

    return Loop(sdk, twin, "graph")


# -- 11. Weight tying: one Parameter in two Dense layers (self.l3.weight = self.l2.weight), nn.RMSProp(centered) -
def tied_weights_rmsprop(gs, small=False):
    import jax
    import jax.numpy as jnp

    nn, Tensor = gs.nn, gs.Tensor
    rng = np.random.default_rng(40)
    b, din, h = (8, 3, 5) if small else (64, 16, 32)
    w_in, w_mid, w_out = _init(rng, h, din), _init(rng, h, h), _init(rng, 1, h)
    xs = rng.normal(size=(4, b, din)).astype(np.float32)
    ys = np.cos(xs.sum(-1, keepdims=True)).astype(np.float32)
    lr, mom, dec = 1e-2, 0.5, 0.9

    class Net(nn.Cell):
        def __init__(self):
            super().__init__()
            self.l1 = nn.Dense(din, h, weight_init=Tensor(w_in), bias_init="zeros", activation="tanh")
            self.l2 = nn.Dense(h, h, weight_init=Tensor(w_mid), bias_init="zeros", activation="tanh")
            self.l3 = nn.Dense(h, h, weight_init=Tensor(w_mid), bias_init="zeros", activation="tanh")
            self.l3.weight = self.l2.weight  # tied
            self.out = nn.Dense(h, 1, weight_init=Tensor(w_out), bias_init="zeros")

        def construct(self, x):
            return self.out(self.l3(self.l2(self.l1(x))))

    net = Net()
    params = net.trainable_params()
    assert len(params) == 7, [p.name for p in params]  # (the tied weight once)
    opt = nn.RMSProp(params, learning_rate=lr, decay=dec, momentum=mom, centered=True)
    train = nn.TrainOneStepCell(nn.WithLossCell(net, nn.MSELoss()), opt)

    def sdk(i):
        return _flat(train(Tensor(xs[i % 4]), Tensor(ys[i % 4])).asnumpy(), net.l2.weight.asnumpy())

    def jl(p, x):
        a = jnp.tanh(x @ p[0].T + p[1])
        a = jnp.tanh(a @ p[2].T + p[3])
        a = jnp.tanh(a @ p[2].T + p[4])
        return a @ p[5].T + p[6]

    @jax.jit
    def jstep(p, st, x, y):
        loss, g = jax.value_and_grad(lambda p: jnp.mean((jl(p, x) - y) ** 2))(p)
        ms, mg, mo = st
        ms = [dec * m + (1 - dec) * gi * gi for m, gi in zip(ms, g)]
        mg = [dec * m + (1 - dec) * gi for m, gi in zip(mg, g)]
        mo = [mom * o + lr * gi / jnp.sqrt(a - c * c + 1e-10) for o, gi, a, c in zip(mo, g, ms, mg)]
        return loss, [pi - o for pi, o in zip(p, mo)], (ms, mg, mo)

    z = np.zeros(h, np.float32)
    p = [jnp.asarray(a) for a in (w_in, z, w_mid, z, z, w_out, np.zeros(1, np.float32))]
    s = {"p": p, "st": ([jnp.ones_like(a) for a in p], [jnp.zeros_like(a) for a in p],
                        [jnp.zeros_like(a) for a in p])}

    def twin(i):
        loss, s["p"], s["st"] = jstep(s["p"], s["st"], xs[i % 4], ys[i % 4])
        return _flat(loss, s["p"][2])

    return Loop(sdk, twin, "graph")


# -- 12. nn.LSTM (two layers, batch_first, per-sample seq_length) trained by BPTT under nn.Momentum; twin: PyTorch's
#        LSTM on packed sequences (MindSpore 2.10's gate layout is PyTorch's: gradserve/nn/_rnn.py) --------------
def lstm_seq_length_momentum(gs, small=False):
    import torch

    nn, Tensor = gs.nn, gs.Tensor
    rng = np.random.default_rng(41)
    b, T, din, h = (4, 5, 3, 6) if small else (32, 16, 8, 32)
    xs = rng.normal(size=(4, b, T, din)).astype(np.float32)
    lens = rng.integers(2, T + 1, size=(4, b)).astype(np.int32)
    ys = np.stack([[xs[k, j, :lens[k, j]].sum() for j in range(b)] for k in range(4)])[..., None].astype(np.float32)
    ys = np.tanh(ys * 0.3)
    lr, mom = 0.05, 0.9
    bound = 1 / np.sqrt(h)
    shapes = [(4 * h, din), (4 * h, h), (4 * h, h), (4 * h, h), (4 * h,), (4 * h,), (4 * h,), (4 * h,)]
    init = [rng.uniform(-bound, bound, size=sh).astype(np.float32) for sh in shapes]
    names = ["weight_ih_l0", "weight_ih_l1", "weight_hh_l0", "weight_hh_l1",
             "bias_ih_l0", "bias_ih_l1", "bias_hh_l0", "bias_hh_l1"]
    w_out = _init(rng, 1, h)

    class Net(nn.Cell):
        def __init__(self):
            super().__init__()
            self.lstm = nn.LSTM(din, h, num_layers=2, batch_first=True)
            for n_, a in zip(names, init):
                getattr(self.lstm, n_).set_data(Tensor(a))
            self.out = nn.Dense(h, 1, weight_init=Tensor(w_out), bias_init="zeros")

        def construct(self, x, seq_length):
            _, (hn, _) = self.lstm(x, seq_length=seq_length)
            return self.out(hn[-1])

    class Loss(nn.Cell):
        def __init__(self, net):
            super().__init__()
            self.net, self.mse = net, nn.MSELoss()

        def construct(self, x, seq_length, y):
            return self.mse(self.net(x, seq_length), y)

    net = Net()
    train = nn.TrainOneStepCell(Loss(net), nn.Momentum(net.trainable_params(), learning_rate=lr, momentum=mom))

    def sdk(i):
        k = i % 4
        return _flat(train(Tensor(xs[k]), Tensor(lens[k]), Tensor(ys[k])).asnumpy())

    tl = torch.nn.LSTM(din, h, num_layers=2, batch_first=True)
    tout = torch.nn.Linear(h, 1)
    with torch.no_grad():
        for n_, a in zip(names, init):
            getattr(tl, n_).copy_(torch.tensor(a))
        tout.weight.copy_(torch.tensor(w_out))
        tout.bias.zero_()
    topt = torch.optim.SGD(list(tl.parameters()) + list(tout.parameters()), lr=lr, momentum=mom)

    def twin(i):
        k = i % 4
        topt.zero_grad()
        packed = torch.nn.utils.rnn.pack_padded_sequence(torch.tensor(xs[k]), torch.tensor(lens[k]).long(),
                                                         batch_first=True, enforce_sorted=False)
        _, (hn, _) = tl(packed)
        loss = torch.mean((tout(hn[-1]) - torch.tensor(ys[k])) ** 2)
        loss.backward()
        topt.step()
        return _flat(loss.detach().numpy())

    return Loop(sdk, twin, "graph", rtol=5e-4)


LOOPS = {f.__name__: f for f in (dp_forces_expdecay, gan_two_optimizers, grad_accum_adamw, rnn_bptt_adagrad,
                                 score_matching_cosine, mala64_has_aux, levenberg_jacrev, svgd_vmap_grad,
                                 lbfgs_two_loop, maml_second_order, tied_weights_rmsprop,
                                 lstm_seq_length_momentum)}

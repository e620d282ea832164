"""Held-out loops, round 4 (issue #13 generalised): kinds of loop none of the earlier zoos (benchmarks/loops_zoo.py,
loops_zoo2.py, loops_zoo3.py) has, as MindSpore 2.x users write them, each beside a JAX or PyTorch twin computing
the same numbers; same form (`name(gs, small=False) -> Loop`), run by benchmarks/loops_zoo_bench.py and
tests/clients/test_loops_zoo4.py.

Random numbers a twin must share (noise, Gumbel keys, time steps) come from NumPy and go in as data; the SDK's own
random ops inside a step are checked by tests/clients/test_random_ops_per_run.py."""
from __future__ import annotations

import numpy as np

from benchmarks.loops_zoo import Loop, _flat, _init, _ms_adam
from benchmarks.loops_zoo2 import _dense2, _jmlp, _mlp_w, _zeros2
from benchmarks.loops_zoo3 import _adam_twin


def _jadam(loss, b1=0.9, b2=0.999, has_aux=False):
    """A jitted JAX step: loss's value (and aux) and gradient w.r.t. p, then MindSpore's Adam (b1, b2) at rate lr."""
    import jax

    adam = _ms_adam(b1=b1, b2=b2)

    @jax.jit
    def step(p, st, t, lr, *data):
        value, g = jax.value_and_grad(loss, has_aux=has_aux)(p, *data)
        p, st = adam(p, g, st, t, lr)
        return value, p, st

    return step


def _params(cells) -> list:
    return [p for c in cells for p in c.trainable_params()]


# -- 1. WGAN-GP: a critic step (the generator's samples detached by ops.stop_gradient, the gradient penalty by
#       ops.grad of the critic w.r.t. its input inside the loss) then a generator step, two nn.Adam (0.5, 0.9) ---
def wgan_gp_detach(gs, small=False):
    import jax
    import jax.numpy as jnp

    ops, Tensor = gs.ops, gs.Tensor
    rng = np.random.default_rng(60)
    b, dz, dx, h = (4, 2, 3, 8) if small else (64, 8, 16, 64)
    lr, lam = 1e-3, 10.0
    wg, wd = _mlp_w(rng, dz, h, dx), _mlp_w(rng, dx, h, 1)
    xs = (rng.normal(size=(4, b, dx)) * 0.5 + 1.0).astype(np.float32)
    zs = rng.normal(size=(8, b, dz)).astype(np.float32)
    es = rng.random(size=(8, b, 1)).astype(np.float32)

    class GAN(gs.nn.Cell):  # (the two nets' parameters named apart: g.0.weight, d.0.weight)
        def __init__(self):
            super().__init__()
            self.g, self.d = _dense2(gs, wg), _dense2(gs, wd)

    gan = GAN()
    G, D = gan.g, gan.d
    opt_d = gs.nn.Adam(D.trainable_params(), learning_rate=lr, beta1=0.5, beta2=0.9)
    opt_g = gs.nn.Adam(G.trainable_params(), learning_rate=lr, beta1=0.5, beta2=0.9)
    d_in = ops.grad(lambda x: ops.sum(D(x)))  # d critic / d its input, per sample

    def d_loss(real, z, e):
        fake = ops.stop_gradient(G(z))
        xhat = e * real + (1 - e) * fake
        norm = ops.sqrt(ops.sum(ops.square(d_in(xhat)), 1) + 1e-12)
        return ops.mean(D(fake)) - ops.mean(D(real)) + lam * ops.mean(ops.square(norm - 1))

    vg_d = ops.value_and_grad(d_loss, None, opt_d.parameters)
    vg_g = ops.value_and_grad(lambda z: -ops.mean(D(G(z))), None, opt_g.parameters)

    def sdk(i):
        real, z, e = Tensor(xs[i % 4]), Tensor(zs[i % 8]), Tensor(es[i % 8])
        ld, g = vg_d(real, z, e)
        opt_d(g)
        lg, g = vg_g(z)
        opt_g(g)
        return _flat(ld.asnumpy(), lg.asnumpy())

    def jd(pd, pg, real, z, e):
        crit = lambda x: _jmlp(pd, x)  # noqa: E731
        fake = jax.lax.stop_gradient(_jmlp(pg, z))
        xhat = e * real + (1 - e) * fake
        gx = jax.grad(lambda x: jnp.sum(crit(x)))(xhat)
        norm = jnp.sqrt(jnp.sum(gx ** 2, 1) + 1e-12)
        return jnp.mean(crit(fake)) - jnp.mean(crit(real)) + lam * jnp.mean((norm - 1) ** 2)

    dstep = _jadam(lambda pd, pg, *a: jd(pd, pg, *a), 0.5, 0.9)
    gstep = _jadam(lambda pg, pd, z: -jnp.mean(_jmlp(pd, _jmlp(pg, z))), 0.5, 0.9)
    s = {"d": [jnp.asarray(a) for a in wd], "g": [jnp.asarray(a) for a in wg]}
    s["sd"], s["sg"] = _zeros2(s["d"]), _zeros2(s["g"])

    def twin(i):
        t = jnp.float32(i + 1)
        ld, s["d"], s["sd"] = dstep(s["d"], s["sd"], t, lr, s["g"], xs[i % 4], zs[i % 8], es[i % 8])
        lg, s["g"], s["sg"] = gstep(s["g"], s["sg"], t, lr, s["d"], zs[i % 8])
        return _flat(ld, lg)

    return Loop(sdk, twin, "graph", rtol=5e-4)


def _ddpm_schedule(T: int):
    """betas linear in [1e-4, 0.05] (a short chain), alphas, their running products: float32 as both sides use them."""
    betas = np.linspace(1e-4, 0.05, T).astype(np.float32)
    alphas = (1 - betas).astype(np.float32)
    return betas, alphas, np.cumprod(alphas).astype(np.float32)


def _time_embedding_freqs(k: int) -> np.ndarray:
    return np.exp(-np.log(100.0) * np.arange(k) / k).astype(np.float32)


class _Denoiser:
    """eps(x, t): an MLP of [x, sin(t f), cos(t f)] (t a float per sample), the same for a Cell and a JAX twin."""

    @staticmethod
    def cell(gs, w, freqs):
        nn, ops, Tensor = gs.nn, gs.ops, gs.Tensor
        f = Tensor(freqs)

        class Eps(nn.Cell):
            def __init__(self):
                super().__init__()
                self.mlp = _dense2(gs, w, "relu")

            def construct(self, x, t):
                tf = ops.expand_dims(t, 1) * f
                return self.mlp(ops.concat((x, ops.sin(tf), ops.cos(tf)), 1))

        return Eps()

    @staticmethod
    def jax(p, x, t, freqs):
        import jax
        import jax.numpy as jnp

        tf = t[:, None] * freqs
        return _jmlp(p, jnp.concatenate([x, jnp.sin(tf), jnp.cos(tf)], 1), jax.nn.relu)


# -- 2. A diffusion model's training step (DDPM, epsilon prediction): x_t from x_0, a time step per sample and
#       noise (ops.gather of the schedule by t), a sinusoidal time embedding in construct, nn.MSELoss, the loss Cell
#       in TrainOneStepCell under nn.Adam, GRAPH_MODE ------------------------------------------------------------
def ddpm_train(gs, small=False):
    import jax.numpy as jnp

    nn, ops, Tensor = gs.nn, gs.ops, gs.Tensor
    rng = np.random.default_rng(61)
    b, dx, k, h, T = (4, 2, 2, 8, 10) if small else (64, 2, 8, 64, 50)
    lr = 2e-3
    _, _, abar = _ddpm_schedule(T)
    freqs = _time_embedding_freqs(k)
    w = _mlp_w(rng, dx + 2 * k, h, dx)
    xs = np.stack([np.stack([np.cos(a), np.sin(2 * a)], 1) for a in rng.uniform(0, 2 * np.pi, (4, b))]).astype(
        np.float32)  # a figure eight
    ts = rng.integers(0, T, size=(8, b)).astype(np.int32)
    ns = rng.normal(size=(8, b, dx)).astype(np.float32)
    sa, sb = np.sqrt(abar).astype(np.float32), np.sqrt(1 - abar).astype(np.float32)
    jsa, jsb = jnp.asarray(sa), jnp.asarray(sb)

    class DiffusionLoss(nn.Cell):
        def __init__(self):
            super().__init__()
            self.eps = _Denoiser.cell(gs, w, freqs)
            self.sa, self.sb = Tensor(sa), Tensor(sb)
            self.mse = nn.MSELoss()

        def construct(self, x0, t, noise):
            a = ops.expand_dims(ops.gather(self.sa, t, 0), 1)
            s = ops.expand_dims(ops.gather(self.sb, t, 0), 1)
            return self.mse(self.eps(a * x0 + s * noise, ops.cast(t, gs.float32)), noise)

    net = DiffusionLoss()
    step = nn.TrainOneStepCell(net, nn.Adam(net.trainable_params(), learning_rate=lr))

    def sdk(i):
        return _flat(step(Tensor(xs[i % 4]), Tensor(ts[i % 8]), Tensor(ns[i % 8])).asnumpy())

    def jl(p, x0, t, noise):
        xt = jsa[t][:, None] * x0 + jsb[t][:, None] * noise
        return jnp.mean((_Denoiser.jax(p, xt, t.astype(jnp.float32), freqs) - noise) ** 2)

    return Loop(sdk, _adam_twin(jl, w, lr, lambda i: (xs[i % 4], ts[i % 8], ns[i % 8])), "graph", rtol=5e-4)


# -- 3. DDPM ancestral sampling: one @jit denoising step x_{t-1} = (x_t - beta_t / sqrt(1 - abar_t) eps(x_t, t))
#       / sqrt(alpha_t) + sigma_t z, called T times a chain (the step's coefficients as Tensors), PyNative --------
def ddpm_sample_jit(gs, small=False):
    import jax
    import jax.numpy as jnp

    ops, Tensor = gs.ops, gs.Tensor
    rng = np.random.default_rng(62)
    b, dx, k, h, T = (4, 2, 2, 8, 6) if small else (256, 2, 8, 64, 25)
    betas, alphas, abar = _ddpm_schedule(T)
    freqs = _time_embedding_freqs(k)
    w = _mlp_w(rng, dx + 2 * k, h, dx)
    x_T = rng.normal(size=(4, b, dx)).astype(np.float32)  # a chain's start, 4 chains in turn
    zs = rng.normal(size=(T, b, dx)).astype(np.float32)
    coef = [(np.float32(1 / np.sqrt(alphas[t])), np.float32(betas[t] / np.sqrt(1 - abar[t])),
             np.float32(np.sqrt(betas[t]) if t > 0 else 0.0)) for t in range(T)]

    eps = _Denoiser.cell(gs, w, freqs)

    @gs.jit
    def denoise(x, t, c1, c2, sigma, z):
        return c1 * (x - c2 * eps(x, t)) + sigma * z

    def chain(step):
        st = {}

        def run(i):
            t = T - 1 - i % T
            if i % T == 0:
                st["x"] = x_T[(i // T) % 4]
            st["x"] = step(st["x"], np.full(b, t, np.float32), *coef[t], zs[t])
            return _flat(st["x"])

        return run

    def sdk_step(x, t, c1, c2, sigma, z):
        return denoise(Tensor(x), Tensor(t), Tensor(c1), Tensor(c2), Tensor(sigma), Tensor(z)).asnumpy()

    jw = [jnp.asarray(a) for a in w]

    @jax.jit
    def jdenoise(x, t, c1, c2, sigma, z):
        return c1 * (x - c2 * _Denoiser.jax(jw, x, t, freqs)) + sigma * z

    return Loop(chain(sdk_step), chain(lambda *a: np.asarray(jdenoise(*a))), "pynative", rtol=5e-5)


# -- 4. PPO: actions drawn from the policy's categorical by Gumbel-max (the keys as data), the old log-probabilities
#       fixed, then two epochs of the clipped surrogate (ops.clamp of the ratio, ops.minimum) minus an entropy bonus
#       on the same batch under nn.Adam, PyNative ------------------------------------------------------------
def ppo_clip_categorical(gs, small=False):
    import jax
    import jax.numpy as jnp

    nn, ops, Tensor = gs.nn, gs.ops, gs.Tensor
    rng = np.random.default_rng(63)
    b, do, h, na = (8, 3, 8, 3) if small else (128, 8, 64, 4)
    lr, clip, c_ent, epochs = 3e-3, 0.2, 0.01, 2
    w = _mlp_w(rng, do, h, na)
    obs = rng.normal(size=(4, b, do)).astype(np.float32)
    gum = -np.log(-np.log(rng.random(size=(8, b, na)))).astype(np.float32)
    adv = rng.normal(size=(8, b)).astype(np.float32)
    adv = ((adv - adv.mean(1, keepdims=True)) / adv.std(1, keepdims=True)).astype(np.float32)

    policy = _dense2(gs, w)
    opt = nn.Adam(policy.trainable_params(), learning_rate=lr)

    def act(o, g):  # (no gradient: the rollout)
        logits = policy(o)
        return ops.argmax(logits + g, -1), ops.log_softmax(logits, -1)

    def surrogate(o, onehot, logp_old, a):
        logp_all = ops.log_softmax(policy(o), -1)
        ratio = ops.exp(ops.sum(logp_all * onehot, 1) - logp_old)
        gain = ops.minimum(ratio * a, ops.clamp(ratio, 1 - clip, 1 + clip) * a)
        entropy = -ops.sum(ops.exp(logp_all) * logp_all, 1)
        return -ops.mean(gain) - c_ent * ops.mean(entropy)

    vg = ops.value_and_grad(surrogate, None, opt.parameters)

    def sdk(i):
        o = Tensor(obs[i % 4])
        acts, logp = act(o, Tensor(gum[i % 8]))
        acts, logp = acts.asnumpy(), logp.asnumpy()
        onehot = np.eye(na, dtype=np.float32)[acts]
        logp_old = Tensor(logp[np.arange(b), acts])
        losses = []
        for _ in range(epochs):
            loss, g = vg(o, Tensor(onehot), logp_old, Tensor(adv[i % 8]))
            opt(g)
            losses.append(loss.asnumpy())
        return _flat(acts, *losses)

    def jsur(p, o, onehot, logp_old, a):
        logp_all = jax.nn.log_softmax(_jmlp(p, o), -1)
        ratio = jnp.exp(jnp.sum(logp_all * onehot, 1) - logp_old)
        gain = jnp.minimum(ratio * a, jnp.clip(ratio, 1 - clip, 1 + clip) * a)
        return -jnp.mean(gain) + c_ent * jnp.mean(jnp.sum(jnp.exp(logp_all) * logp_all, 1))

    jstep = _jadam(jsur)
    s = {"p": [jnp.asarray(a) for a in w]}
    s["st"], s["t"] = _zeros2(s["p"]), 0

    def twin(i):
        logits = _jmlp(s["p"], obs[i % 4])
        acts = np.asarray(jnp.argmax(logits + gum[i % 8], -1))
        logp_old = np.asarray(jax.nn.log_softmax(logits, -1))[np.arange(b), acts]
        onehot = np.eye(na, dtype=np.float32)[acts]
        losses = []
        for _ in range(epochs):
            s["t"] += 1
            loss, s["p"], s["st"] = jstep(s["p"], s["st"], jnp.float32(s["t"]), lr, obs[i % 4], onehot, logp_old,
                                          adv[i % 8])
            losses.append(loss)
        return _flat(acts, *losses)

    return Loop(sdk, twin, "pynative", rtol=5e-4)


# -- 5. A normalizing flow (RealNVP): affine coupling layers in an nn.CellList, the halves swapped between layers,
#       scales by tanh, the negative log-likelihood under N(0, I) with the log-determinants, nn.Adam, GRAPH_MODE --
def realnvp_flow(gs, small=False):
    import jax.numpy as jnp

    nn, ops, Tensor = gs.nn, gs.ops, gs.Tensor
    rng = np.random.default_rng(64)
    b, layers, h = (8, 2, 8) if small else (256, 6, 32)
    lr = 2e-3
    ws = [_mlp_w(rng, 1, h, 2) for _ in range(layers)]  # each: x1 -> (s, t) for x2
    a = rng.uniform(0, np.pi, (4, b))
    xs = np.stack([np.cos(a) + 0.05 * rng.normal(size=a.shape), np.sin(a) + 0.05 * rng.normal(size=a.shape)],
                  2).astype(np.float32)  # a half moon

    class Flow(nn.Cell):
        def __init__(self):
            super().__init__()
            self.nets = nn.CellList([_dense2(gs, w) for w in ws])

        def construct(self, x):
            x1, x2 = x[:, :1], x[:, 1:]
            logdet = 0.0
            for net in self.nets:
                st = net(x1)
                s = ops.tanh(st[:, :1])
                x1, x2 = x2 * ops.exp(s) + st[:, 1:], x1
                logdet = logdet + ops.sum(s, 1)
            z2 = ops.square(x1) + ops.square(x2)
            return ops.mean(0.5 * ops.sum(z2, 1) + np.log(2 * np.pi) - logdet)

    flow = Flow()
    opt = nn.Adam(flow.trainable_params(), learning_rate=lr)
    first = opt.parameters[0]  # (returned with the loss: the NLL crosses zero as it trains, a scale of its own)
    vg = ops.value_and_grad(flow, None, opt.parameters)

    def sdk(i):
        loss, g = vg(Tensor(xs[i % 4]))
        opt(g)
        return _flat(loss.asnumpy(), first.asnumpy())

    def jl(p, x):
        x1, x2 = x[:, :1], x[:, 1:]
        logdet = 0.0
        for j in range(layers):
            st = _jmlp(p[4 * j:4 * j + 4], x1)
            s = jnp.tanh(st[:, :1])
            x1, x2 = x2 * jnp.exp(s) + st[:, 1:], x1
            logdet = logdet + jnp.sum(s, 1)
        return jnp.mean(0.5 * jnp.sum(x1 ** 2 + x2 ** 2, 1) + np.log(2 * np.pi) - logdet)

    w = [a for w_ in ws for a in w_]
    return Loop(sdk, _adam_twin(jl, w, lr, lambda i: (xs[i % 4],), lambda value, p: _flat(value, p[0])), "graph",
                rtol=5e-4)


# -- 6. A Gaussian process's hyperparameters in float64: the negative log marginal likelihood by ops.cholesky and
#       ops.cholesky_solve of an RBF kernel (ARD length scales, signal and noise variances as log-Parameters),
#       gradient descent by set_data (MindSpore 2.10's nn.Adam / SGD refuse float64), a batch of points in turn,
#       PyNative; twin: PyTorch float64 -------------------------------------------------------------------------
def gp_cholesky64(gs, small=False):
    import torch

    nn, ops, Tensor, P = gs.nn, gs.ops, gs.Tensor, gs.Parameter
    rng = np.random.default_rng(65)
    n, d = (6, 2) if small else (128, 3)
    lr = 0.2 / n
    X = rng.uniform(-2, 2, size=(4, n, d))
    Y = np.sin(X[..., 0] * 1.5) + 0.3 * X[..., 1] ** 2 + 0.1 * rng.normal(size=(4, n))
    init = [np.zeros(d), np.array(0.0), np.array(np.log(0.1))]

    class NegLogML(nn.Cell):
        def __init__(self):
            super().__init__()
            self.log_ls = P(Tensor(init[0]), name="log_ls")
            self.log_sf2 = P(Tensor(init[1]), name="log_sf2")
            self.log_sn2 = P(Tensor(init[2]), name="log_sn2")

        def construct(self, x, y):
            z = x / ops.exp(self.log_ls)
            sq = ops.sum(z * z, 1)
            d2 = ops.expand_dims(sq, 1) + ops.expand_dims(sq, 0) - 2 * ops.matmul(z, z.T)
            K = ops.exp(self.log_sf2) * ops.exp(-0.5 * d2) + (ops.exp(self.log_sn2) + 1e-6) * ops.eye(n, n, gs.float64)
            L = ops.cholesky(K)
            alpha = ops.cholesky_solve(ops.expand_dims(y, 1), L)
            return 0.5 * ops.sum(ops.expand_dims(y, 1) * alpha) + ops.sum(ops.log(ops.diagonal(L))) + \
                0.5 * n * np.log(2 * np.pi)

    nll = NegLogML()
    params = nll.trainable_params()
    vg = ops.value_and_grad(nll, None, params)

    def sdk(i):
        loss, g = vg(Tensor(X[i % 4]), Tensor(Y[i % 4]))
        for p, gp in zip(params, g):
            p.set_data(p - lr * gp)
        return _flat(loss.asnumpy(), *(p.asnumpy() for p in params))

    tp = [torch.tensor(a, dtype=torch.float64, requires_grad=True) for a in init]

    def twin(i):
        x, y = torch.from_numpy(X[i % 4]), torch.from_numpy(Y[i % 4])[:, None]
        z = x / torch.exp(tp[0])
        d2 = torch.sum(z * z, 1)[:, None] + torch.sum(z * z, 1)[None, :] - 2 * z @ z.T
        K = torch.exp(tp[1]) * torch.exp(-0.5 * d2) + (torch.exp(tp[2]) + 1e-6) * torch.eye(n, dtype=torch.float64)
        L = torch.linalg.cholesky(K)
        loss = 0.5 * torch.sum(y * torch.cholesky_solve(y, L)) + torch.sum(torch.log(torch.diagonal(L))) + \
            0.5 * n * np.log(2 * np.pi)
        grads = torch.autograd.grad(loss, tp)
        with torch.no_grad():
            for p, g in zip(tp, grads):
                p.sub_(lr * g)
        return _flat(loss.detach().numpy(), *(p.detach().numpy() for p in tp))

    return Loop(sdk, twin, "pynative", rtol=1e-9)


# -- 7. A learned optimizer (hypergradient): per-tensor log learning rates as Parameters, the validation loss after
#       one inner SGD step w - exp(log_lr) * grad (ops.grad of the training loss inside the meta loss: second
#       order), the inner gradients returned as has_aux's aux, nn.Adam on the rates; the inner step taken on the
#       client with the rates the meta loss used, GRAPH_MODE ----------------------------------------------------
def hypergrad_learned_lr(gs, small=False):
    import jax
    import jax.numpy as jnp

    nn, ops, Tensor, P = gs.nn, gs.ops, gs.Tensor, gs.Parameter
    rng = np.random.default_rng(66)
    b, dx, h = (6, 3, 8) if small else (64, 8, 32)
    meta_lr, lr0 = 1e-2, 0.05
    w0 = _mlp_w(rng, dx, h)
    true = _mlp_w(rng, dx, h)
    xs = rng.normal(size=(8, b, dx)).astype(np.float32)
    ys = np.stack([np.tanh(x @ true[0].T + true[1]) @ true[2].T for x in xs]).astype(np.float32)

    def mlp(w, x):
        return ops.matmul(ops.tanh(ops.matmul(x, w[0].T) + w[1]), w[2].T) + w[3]

    def train_loss(w0_, w1_, w2_, w3_, x, y):
        return ops.mean(ops.square(mlp((w0_, w1_, w2_, w3_), x) - y))

    inner = ops.grad(train_loss, grad_position=(0, 1, 2, 3))

    class Rates(nn.Cell):
        def __init__(self):
            super().__init__()
            self.log_lr = P(Tensor(np.full(4, np.log(lr0), np.float32)), name="log_lr")

    rates = Rates()
    meta_opt = nn.Adam(rates.trainable_params(), learning_rate=meta_lr)

    def meta_loss(w0_, w1_, w2_, w3_, x, y, xv, yv):
        gw = inner(w0_, w1_, w2_, w3_, x, y)
        lr = ops.exp(rates.log_lr)
        stepped = [w - lr[j] * g for j, (w, g) in enumerate(zip((w0_, w1_, w2_, w3_), gw))]
        return ops.mean(ops.square(mlp(stepped, xv) - yv)), gw

    vg = ops.value_and_grad(meta_loss, None, meta_opt.parameters, has_aux=True)
    st = {"w": [a.copy() for a in w0]}

    def sdk(i):
        lr = np.exp(rates.log_lr.asnumpy())
        (loss, gw), g = vg(*(Tensor(a) for a in st["w"]), *(Tensor(a) for a in (xs[i % 8], ys[i % 8],
                                                                               xs[(i + 1) % 8], ys[(i + 1) % 8])))
        meta_opt(g)
        st["w"] = [w - lr[j] * gj.asnumpy() for j, (w, gj) in enumerate(zip(st["w"], gw))]
        return _flat(loss.asnumpy(), rates.log_lr.asnumpy())

    def jtrain(w, x, y):
        return jnp.mean((_jmlp(w, x) - y) ** 2)

    def jmeta(p, w, x, y, xv, yv):
        gw = jax.grad(jtrain)(w, x, y)
        lr = jnp.exp(p[0])
        return jnp.mean((_jmlp([a - lr[j] * g for j, (a, g) in enumerate(zip(w, gw))], xv) - yv) ** 2), gw

    jstep = _jadam(jmeta, has_aux=True)
    s = {"p": [jnp.full(4, np.log(lr0), jnp.float32)], "w": [jnp.asarray(a) for a in w0]}
    s["st"] = _zeros2(s["p"])

    def twin(i):
        lr = np.exp(np.asarray(s["p"][0]))
        (loss, gw), s["p"], s["st"] = jstep(s["p"], s["st"], jnp.float32(i + 1), meta_lr, s["w"], xs[i % 8],
                                            ys[i % 8], xs[(i + 1) % 8], ys[(i + 1) % 8])
        s["w"] = [w - lr[j] * g for j, (w, g) in enumerate(zip(s["w"], gw))]
        return _flat(loss, s["p"][0])

    return Loop(sdk, twin, "graph", rtol=5e-4)


# -- 8. Mixed precision: amp.build_train_network(level "O2") with a DynamicLossScaleManager (a scale high enough that
#       the first steps overflow in float16 and are skipped, the scale halved, then grown back every few steps),
#       nn.Momentum, GRAPH_MODE; twin: JAX in float16 where O2 computes in it (the loss and the master weights in
#       float32), MindSpore's dynamic loss-scale rule written out ------------------------------------------------
def amp_o2_dynamic_scale(gs, small=False):
    import jax
    import jax.numpy as jnp

    nn, Tensor = gs.nn, gs.Tensor
    rng = np.random.default_rng(67)
    b, dx, h = (8, 4, 8) if small else (128, 32, 64)
    lr, mom, scale0, window = 0.02, 0.9, 2.0 ** 20, 4
    w = _mlp_w(rng, dx, h)
    xs = rng.normal(size=(4, b, dx)).astype(np.float32)
    ys = np.sin(xs.sum(2, keepdims=True)).astype(np.float32)

    net = _dense2(gs, w, "relu")
    opt = nn.Momentum(net.trainable_params(), learning_rate=lr, momentum=mom)
    manager = gs.amp.DynamicLossScaleManager(scale0, 2, window)
    step = gs.amp.build_train_network(net, opt, nn.MSELoss(), level="O2", loss_scale_manager=manager)

    def sdk(i):
        loss, overflow, _ = step(Tensor(xs[i % 4]), Tensor(ys[i % 4]))
        return _flat(loss.asnumpy(), overflow.asnumpy())

    f16 = jnp.float16

    def jloss(p, x, y, scale):  # O2: the Dense layers in float16, their output back to float32 for the loss
        q = [a.astype(f16) for a in p]
        out = (jax.nn.relu(x.astype(f16) @ q[0].T + q[1]) @ q[2].T + q[3]).astype(jnp.float32)
        loss = jnp.mean((out - y) ** 2)
        return loss * scale, loss

    grad = jax.jit(jax.grad(jloss, has_aux=True))
    s = {"p": [jnp.asarray(a) for a in w], "v": [jnp.zeros_like(jnp.asarray(a)) for a in w], "scale": scale0,
         "count": 0}

    def twin(i):
        scale = np.float32(s["scale"])
        g, loss = grad(s["p"], xs[i % 4], ys[i % 4], scale)
        g = [a / scale for a in g]
        overflow = not all(bool(jnp.all(jnp.isfinite(a))) for a in g)
        if overflow:  # MindSpore's DynamicLossScaler: halve (not below 1), restart the count; the step is skipped
            s["scale"], s["count"] = max(1.0, s["scale"] / 2), 0
        else:
            s["count"] = (s["count"] + 1) % window
            s["scale"] = s["scale"] * 2 if s["count"] == 0 else s["scale"]
            s["v"] = [mom * v + a for v, a in zip(s["v"], g)]  # MindSpore's Momentum: v = m v + g; p -= lr v
            s["p"] = [p - lr * v for p, v in zip(s["p"], s["v"])]
        return _flat(loss, overflow)

    # float16: one rounding of a product is 4.9e-4 relative, and the two sides' float16 matrix products may round
    # their float32 sums differently by one unit (9.8e-4). The first steps overflow and are skipped (steps 0-4
    # small, 0-2 full size): the weights first change at step 6 / 4 (a compile without them inline then)
    return Loop(sdk, twin, "graph", rtol=3e-3, first_update=6 if small else 4)


LOOPS = {f.__name__: f for f in (wgan_gp_detach, ddpm_train, ddpm_sample_jit, ppo_clip_categorical, realnvp_flow,
                                 gp_cholesky64, hypergrad_learned_lr, amp_o2_dynamic_scale)}

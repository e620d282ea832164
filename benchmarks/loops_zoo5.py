"""Held-out loops, round 5 (issue #13 generalised): kinds of loop none of the earlier zoos (benchmarks/loops_zoo.py
to loops_zoo4.py) has, as MindSpore 2.x users write them, each beside a JAX twin computing the same numbers; same
form (`name(gs, small=False) -> Loop`), run by benchmarks/loops_zoo_bench.py and tests/clients/test_loops_zoo.py.

Random numbers a twin must share (tangents, perturbation directions) come from NumPy and go in as data."""
from __future__ import annotations

import numpy as np

from benchmarks.loops_zoo import Loop, _flat, _init
from benchmarks.loops_zoo2 import _dense2, _jmlp, _mlp_w
from benchmarks.loops_zoo3 import _adam_twin


def _softplus(z):
    import jax.numpy as jnp

    return jnp.logaddexp(z, 0.0)


def _momentum_twin(loss, w, lr, mom, data, decay=None, out=lambda value, p: _flat(value)):
    """A JAX twin stepping MindSpore's nn.Momentum (accum = mom * accum + g; p -= lr * accum; lr a number or step
    i's rate lr(i)) from weights w, with
    weight decay decay[k] added to parameter k's gradient first (MindSpore's group weight_decay); step i's value of
    loss(p, *data(i)) and gradient w.r.t. p; returns out(value, the weights after the step)."""
    import jax
    import jax.numpy as jnp

    wd = decay or [0.0] * len(w)

    rate = lr if callable(lr) else (lambda i: lr)

    @jax.jit
    def step(p, acc, lr_i, *d):
        value, g = jax.value_and_grad(loss)(p, *d)
        g = [gk + k * pk for gk, pk, k in zip(g, p, wd)]
        acc = [mom * a + gk for a, gk in zip(acc, g)]
        return value, [pk - lr_i * a for pk, a in zip(p, acc)], acc

    s = {"p": [jnp.asarray(a) for a in w]}
    s["acc"] = [jnp.zeros_like(a) for a in s["p"]]

    def twin(i):
        value, s["p"], s["acc"] = step(s["p"], s["acc"], np.float32(rate(i)), *data(i))
        return out(value, s["p"])

    return twin


# -- 1. FGSM adversarial training: the input gradient by ops.grad (grad_position=0), x + eps * sign(g), then a
#       step on the mean of the clean and the adversarial loss, nn.Momentum, PyNative --------------------------------
def fgsm_adversarial(gs, small=False):
    import jax
    import jax.numpy as jnp

    nn, ops, Tensor = gs.nn, gs.ops, gs.Tensor
    rng = np.random.default_rng(70)
    b, din, h = (8, 3, 8) if small else (128, 16, 64)
    lr, mom, eps = 0.05, 0.9, 0.1
    w = _mlp_w(rng, din, h)
    xs = rng.normal(size=(4, b, din)).astype(np.float32)
    ys = np.sign(xs[..., :1] + 0.5 * xs[..., 1:2]).astype(np.float32)  # +-1 labels
    net = _dense2(gs, w)
    opt = nn.Momentum(net.trainable_params(), learning_rate=lr, momentum=mom)

    def logistic(x, y):
        return ops.mean(ops.softplus(-y * net(x)))

    x_grad = ops.grad(logistic, grad_position=0)
    vg = ops.value_and_grad(lambda x, xa, y: (logistic(x, y) + logistic(xa, y)) / 2, None, opt.parameters)

    def sdk(i):
        x, y = Tensor(xs[i % 4]), Tensor(ys[i % 4])
        x_adv = x + eps * ops.sign(x_grad(x, y))
        loss, g = vg(x, x_adv, y)
        opt(g)
        return _flat(loss.asnumpy())

    def jlog(p, x, y):
        return jnp.mean(_softplus(-y * _jmlp(p, x)))

    def jl(p, x, y):
        xa = x + eps * jnp.sign(jax.grad(jlog, 1)(p, x, y))
        return (jlog(p, x, y) + jlog(p, xa, y)) / 2

    return Loop(sdk, _momentum_twin(jl, w, lr, mom, lambda i: (xs[i % 4], ys[i % 4])), "pynative")


# -- 2. Forward gradient descent: the directional derivative by ops.jvp along a fresh random tangent each step,
#       the weights moved by (d . v) v, eagerly; the weights plain Tensors, PyNative ------------------------------
def forward_gradient_jvp(gs, small=False):
    import jax
    import jax.numpy as jnp

    ops, Tensor = gs.ops, gs.Tensor
    rng = np.random.default_rng(71)
    b, din, h = (8, 3, 6) if small else (128, 16, 32)
    # (a forward gradient's variance grows with the weights' count: at 0.02 the full size's loss climbed 8 -> 40 and
    # the sides' float32 rounding doubled every ~3 steps, 1e-3 apart by step 41; the rate scaled down)
    lr = 0.02 if small else 1e-3
    w1, w2 = _init(rng, din, h), _init(rng, h, 1)
    xs = rng.normal(size=(4, b, din)).astype(np.float32)
    ys = np.sin(xs.sum(-1, keepdims=True)).astype(np.float32)
    vs = [(rng.normal(size=w1.shape).astype(np.float32), rng.normal(size=w2.shape).astype(np.float32))
          for _ in range(16)]

    s = {"w": (Tensor(w1), Tensor(w2))}

    def sdk(i):
        x, y = Tensor(xs[i % 4]), Tensor(ys[i % 4])
        v = tuple(Tensor(a) for a in vs[i % 16])
        loss, d = ops.jvp(lambda a, c: ops.mean(ops.square(ops.matmul(ops.tanh(ops.matmul(x, a)), c) - y)), s["w"], v)
        s["w"] = tuple(wk - lr * d * vk for wk, vk in zip(s["w"], v))
        return _flat(loss.asnumpy(), d.asnumpy())

    @jax.jit
    def jstep(p, v, x, y):
        loss, d = jax.jvp(lambda a, c: jnp.mean((jnp.tanh(x @ a) @ c - y) ** 2), p, v)
        return loss, d, tuple(pk - lr * d * vk for pk, vk in zip(p, v))

    t = {"w": (jnp.asarray(w1), jnp.asarray(w2))}

    def twin(i):
        loss, d, t["w"] = jstep(t["w"], vs[i % 16], xs[i % 4], ys[i % 4])
        return _flat(loss, d)

    # (first_update=2: a function made afresh each step traces thrice: its own first, then its twins' shared trace,
    # guarded from that signature's second trace on: _twins, _pyguard)
    return Loop(sdk, twin, "pynative", rtol=5e-4, first_update=2)


# -- 3. Domain-adversarial training (DANN): a gradient-reversal Cell (custom bprop: -lambda * dout) between the
#       features and the domain head; one nn.Adam over all three nets, TrainOneStepCell, GRAPH_MODE -------------
def grad_reversal_bprop(gs, small=False):
    import jax
    import jax.numpy as jnp

    nn, ops, Tensor = gs.nn, gs.ops, gs.Tensor
    rng = np.random.default_rng(72)
    b, din, h = (6, 3, 8) if small else (64, 16, 64)
    lr, lam = 1e-2, 0.3
    wf = [_init(rng, h, din), np.zeros(h, np.float32)]
    wc, wd = _mlp_w(rng, h, h), _mlp_w(rng, h, h)
    src = rng.normal(size=(4, b, din)).astype(np.float32)
    tgt = (rng.normal(size=(4, b, din)) * 1.5 + 0.5).astype(np.float32)
    ys = np.sign(src[..., :1] - src[..., 2:3]).astype(np.float32)
    dom = np.concatenate([np.ones((b, 1)), -np.ones((b, 1))]).astype(np.float32)

    class GradReverse(nn.Cell):
        def construct(self, x):
            return x

        def bprop(self, x, out, dout):
            return (-lam * dout,)

    class DANN(nn.Cell):
        def __init__(self):
            super().__init__()
            self.feat = nn.Dense(din, h, weight_init=Tensor(wf[0]), bias_init=Tensor(wf[1]), activation="relu")
            self.cls, self.dom = _dense2(gs, wc), _dense2(gs, wd)
            self.rev = GradReverse()
            self.d = Tensor(dom)

        def construct(self, xs_, xt, y):
            fs, ft = self.feat(xs_), self.feat(xt)
            label = ops.mean(ops.softplus(-y * self.cls(fs)))
            domain = ops.mean(ops.softplus(-self.d * self.dom(self.rev(ops.concat((fs, ft), 0)))))
            return label + domain

    net = DANN()
    step = nn.TrainOneStepCell(net, nn.Adam(net.trainable_params(), learning_rate=lr))

    def sdk(i):
        return _flat(step(Tensor(src[i % 4]), Tensor(tgt[i % 4]), Tensor(ys[i % 4])).asnumpy())

    @jax.custom_vjp
    def rev(x):
        return x

    rev.defvjp(lambda x: (x, None), lambda _, g: (-lam * g,))

    def jl(p, xs_, xt, y):
        feat = lambda x: jax.nn.relu(x @ p[0].T + p[1])  # noqa: E731
        fs, ft = feat(xs_), feat(xt)
        label = jnp.mean(_softplus(-y * _jmlp(p[2:6], fs)))
        return label + jnp.mean(_softplus(-dom * _jmlp(p[6:10], rev(jnp.concatenate([fs, ft], 0)))))

    return Loop(sdk, _adam_twin(jl, wf + wc + wd, lr, lambda i: (src[i % 4], tgt[i % 4], ys[i % 4])), "graph")


# -- 4. Knowledge distillation: a frozen teacher (its logits behind ops.stop_gradient), a student trained on
#       T^2 KLDivLoss('batchmean') of the softened outputs plus CrossEntropyLoss(label_smoothing=0.1); nn.Momentum
#       with two groups (weights decayed, biases not), an @jit step, PyNative ----------------------------------------
def distill_kl_groups(gs, small=False):
    import jax
    import jax.numpy as jnp

    nn, ops, Tensor = gs.nn, gs.ops, gs.Tensor
    rng = np.random.default_rng(73)
    b, din, h, k = (6, 4, 8, 3) if small else (128, 32, 64, 10)
    lr, mom, wd, temp, alpha = 0.05, 0.9, 1e-2, 2.0, 0.7
    wt, ws = _mlp_w(rng, din, 2 * h, k), _mlp_w(rng, din, h, k)
    wt = [a * 2 for a in wt]
    xs = rng.normal(size=(4, b, din)).astype(np.float32)
    ys = rng.integers(0, k, size=(4, b)).astype(np.int32)
    teacher, student = _dense2(gs, wt), _dense2(gs, ws)
    teacher.set_grad(False)
    params = student.trainable_params()
    groups = [{"params": [p for p in params if "weight" in p.name], "weight_decay": wd},
              {"params": [p for p in params if "bias" in p.name]}]
    opt = nn.Momentum(groups, learning_rate=lr, momentum=mom)
    kl, ce = nn.KLDivLoss(reduction="batchmean"), nn.CrossEntropyLoss(label_smoothing=0.1)

    class Distill(nn.Cell):
        def __init__(self):
            super().__init__()
            self.teacher, self.student = teacher, student

        def construct(self, x, y):
            soft = ops.softmax(ops.stop_gradient(self.teacher(x)) / temp, -1)
            s = self.student(x)
            return alpha * temp * temp * kl(ops.log_softmax(s / temp, -1), soft) + (1 - alpha) * ce(s, y)

    net = Distill()
    vg = ops.value_and_grad(net, None, opt.parameters)

    @gs.jit
    def step(x, y):
        loss, g = vg(x, y)
        opt(g)
        return loss

    def sdk(i):
        return _flat(step(Tensor(xs[i % 4]), Tensor(ys[i % 4])).asnumpy())

    jt = [jnp.asarray(a) for a in wt]

    def jl(p, x, y):
        soft = jax.nn.softmax(_jmlp(jt, x) / temp, -1)
        s = _jmlp(p, x)
        klv = jnp.sum(soft * (jnp.log(soft) - jax.nn.log_softmax(s / temp, -1))) / x.shape[0]
        target = 0.9 * jax.nn.one_hot(y, k) + 0.1 / k
        cev = -jnp.mean(jnp.sum(target * jax.nn.log_softmax(s, -1), -1))
        return alpha * temp * temp * klv + (1 - alpha) * cev

    twin = _momentum_twin(jl, ws, lr, mom, lambda i: (xs[i % 4], ys[i % 4]), decay=[wd, 0.0, wd, 0.0])
    return Loop(sdk, twin, "pynative")


# -- 5. A TextCNN: nn.Embedding of token ids, nn.Conv1d ('valid') over the sequence, ReLU, max over time, a Dense
#       head, SoftmaxCrossEntropyWithLogits (sparse), TrainOneStepCell + nn.Adam, GRAPH_MODE ---------------------
def textcnn_embedding(gs, small=False):
    import jax
    import jax.numpy as jnp

    nn, ops, Tensor = gs.nn, gs.ops, gs.Tensor
    rng = np.random.default_rng(74)
    b, vocab, e, L, c, kw, k = (4, 12, 4, 7, 5, 3, 3) if small else (64, 1000, 32, 40, 64, 3, 5)
    lr = 5e-3
    emb = (rng.normal(size=(vocab, e)) * 0.5).astype(np.float32)
    wconv = (rng.normal(size=(c, e, 1, kw)) / np.sqrt(e * kw)).astype(np.float32)
    bconv = np.zeros(c, np.float32)
    wo, bo = _init(rng, k, c), np.zeros(k, np.float32)
    toks = rng.integers(0, vocab, size=(4, b, L)).astype(np.int32)
    ys = rng.integers(0, k, size=(4, b)).astype(np.int32)

    class TextCNN(nn.Cell):
        def __init__(self):
            super().__init__()
            self.emb = nn.Embedding(vocab, e, embedding_table=Tensor(emb))
            self.conv = nn.Conv1d(e, c, kw, pad_mode="valid", has_bias=True, weight_init=Tensor(wconv),
                                  bias_init=Tensor(bconv))
            self.head = nn.Dense(c, k, weight_init=Tensor(wo), bias_init=Tensor(bo))

        def construct(self, t):
            z = ops.relu(self.conv(ops.transpose(self.emb(t), (0, 2, 1))))
            return self.head(ops.max(z, 2)[0])

    net = TextCNN()
    loss = nn.WithLossCell(net, nn.SoftmaxCrossEntropyWithLogits(sparse=True, reduction="mean"))
    step = nn.TrainOneStepCell(loss, nn.Adam(net.trainable_params(), learning_rate=lr))

    def sdk(i):
        return _flat(step(Tensor(toks[i % 4]), Tensor(ys[i % 4])).asnumpy())

    def jl(p, t, y):
        x = p[0][t]  # (b, L, e)
        win = jnp.stack([x[:, j:j + L - kw + 1] for j in range(kw)], -1)  # (b, L', e, kw)
        z = jax.nn.relu(jnp.einsum("btej,cej->bct", win, p[1][:, :, 0]) + p[2][None, :, None])
        logits = jnp.max(z, 2) @ p[3].T + p[4]
        return -jnp.mean(jnp.take_along_axis(jax.nn.log_softmax(logits, -1), y[:, None], 1))

    return Loop(sdk, _adam_twin(jl, [emb, wconv, bconv, wo, bo], lr, lambda i: (toks[i % 4], ys[i % 4])), "graph")


# -- 6. A GRU language-model-style loop by truncated BPTT: windows of a long series, the hidden state carried from
#       window to window behind ops.stop_gradient, value_and_grad(has_aux=True) returning it, nn.Adam, GRAPH_MODE --
def gru_tbptt_carry(gs, small=False):
    import jax
    import jax.numpy as jnp

    nn, ops, Tensor = gs.nn, gs.ops, gs.Tensor
    rng = np.random.default_rng(75)
    b, L, din, h = (2, 5, 2, 4) if small else (16, 32, 4, 64)
    lr, n_win = 5e-3, 6
    series = np.cumsum(rng.normal(size=(b, n_win * L + 1, din)) * 0.3, 1).astype(np.float32)
    series = np.tanh(series)
    ws = [(rng.normal(size=(3 * h, din)) / np.sqrt(din)).astype(np.float32),
          (rng.normal(size=(3 * h, h)) / np.sqrt(h)).astype(np.float32),
          (rng.normal(size=(3 * h,)) * 0.1).astype(np.float32), (rng.normal(size=(3 * h,)) * 0.1).astype(np.float32)]
    wo, bo = _init(rng, din, h), np.zeros(din, np.float32)

    class LM(nn.Cell):
        def __init__(self):
            super().__init__()
            self.gru = nn.GRU(din, h, batch_first=True)
            for p, a in zip(self.gru.trainable_params(), ws):  # (weight_ih, weight_hh, bias_ih, bias_hh)
                p.set_data(Tensor(a))
            self.head = nn.Dense(h, din, weight_init=Tensor(wo), bias_init=Tensor(bo))

        def construct(self, x, y, h0):
            out, hn = self.gru(x, h0)
            return ops.mean(ops.square(self.head(out) - y)), hn

    net = LM()
    opt = nn.Adam(net.trainable_params(), learning_rate=lr)
    vg = ops.value_and_grad(net, None, opt.parameters, has_aux=True)
    s = {"h": Tensor(np.zeros((1, b, h), np.float32))}

    def window(i):
        k = (i % n_win) * L
        return series[:, k:k + L], series[:, k + 1:k + L + 1]

    def sdk(i):
        if i % n_win == 0:  # (a new pass over the series: the state starts from zeros)
            s["h"] = Tensor(np.zeros((1, b, h), np.float32))
        x, y = window(i)
        (loss, hn), g = vg(Tensor(x), Tensor(y), s["h"])
        opt(g)
        s["h"] = ops.stop_gradient(hn)
        return _flat(loss.asnumpy(), hn.asnumpy())

    def cell(p, hp, x):
        gi, gh = x @ p[0].T + p[2], hp @ p[1].T + p[3]
        r, z = jax.nn.sigmoid(gi[:, :h] + gh[:, :h]), jax.nn.sigmoid(gi[:, h:2 * h] + gh[:, h:2 * h])
        n = jnp.tanh(gi[:, 2 * h:] + r * gh[:, 2 * h:])
        hn = (1 - z) * n + z * hp
        return hn, hn

    def jl(p, x, y, h0):
        hn, outs = jax.lax.scan(lambda c, xt: cell(p, c, xt), h0, jnp.swapaxes(x, 0, 1))
        return jnp.mean((jnp.swapaxes(outs, 0, 1) @ p[4].T + p[5] - y) ** 2), hn

    from benchmarks.loops_zoo4 import _jadam
    from benchmarks.loops_zoo2 import _zeros2

    jstep = _jadam(jl, has_aux=True)
    t = {"p": [jnp.asarray(a) for a in ws + [wo, bo]]}
    t["st"] = _zeros2(t["p"])

    def twin(i):
        if i % n_win == 0:
            t["h"] = jnp.zeros((b, h), jnp.float32)
        x, y = window(i)
        (loss, hn), t["p"], t["st"] = jstep(t["p"], t["st"], jnp.float32(i + 1), lr, x, y, t["h"])
        t["h"] = hn
        return _flat(loss, hn)

    return Loop(sdk, twin, "graph", rtol=5e-4)


# -- 7. A dataset-fed loop: GeneratorDataset over a Python generator, batch(drop_remainder=True), an epoch's
#       create_tuple_iterator at a time, TrainOneStepCell + nn.Momentum on a PolynomialDecayLR, GRAPH_MODE ---------
def dataset_polydecay(gs, small=False):
    import jax.numpy as jnp

    nn, Tensor = gs.nn, gs.Tensor
    rng = np.random.default_rng(76)
    b, din, h = (4, 3, 6) if small else (64, 16, 64)
    lr0, lr_end, decay_steps, power, mom = 0.05, 0.005, 10, 2.0, 0.9
    w = _mlp_w(rng, din, h, 2)
    xs = rng.normal(size=(4 * b + 2, din)).astype(np.float32)  # 4 batches an epoch, 2 samples dropped
    ys = np.stack([np.sin(xs[:, 0]), xs[:, 1] * xs[:, 2]], 1).astype(np.float32)

    def samples():
        for x, y in zip(xs, ys):
            yield x, y

    data = gs.dataset.GeneratorDataset(samples, column_names=["x", "y"], shuffle=False).batch(b, drop_remainder=True)
    net = _dense2(gs, w)
    sched = nn.PolynomialDecayLR(lr0, lr_end, decay_steps, power)
    step = nn.TrainOneStepCell(nn.WithLossCell(net, nn.MSELoss()), nn.Momentum(net.trainable_params(), sched, mom))
    s = {"it": iter(())}

    def sdk(i):
        batch = next(s["it"], None)
        if batch is None:  # (an epoch's end: the next epoch's iterator)
            s["it"] = data.create_tuple_iterator(num_epochs=1)
            batch = next(s["it"])
        return _flat(step(*batch).asnumpy())

    def rate(i):  # MindSpore's PolynomialDecayLR at global step i (the step's own, before it counts)
        return (lr0 - lr_end) * (1 - min(i, decay_steps) / decay_steps) ** power + lr_end

    def jl(p, x, y):
        return jnp.mean((_jmlp(p, x) - y) ** 2)

    k = lambda i: slice((i % 4) * b, (i % 4 + 1) * b)  # noqa: E731
    return Loop(sdk, _momentum_twin(jl, w, rate, mom, lambda i: (xs[k(i)], ys[k(i)])), "graph")


# -- 8. Point-cloud fitting by an entropic optimal-transport loss: log-domain Sinkhorn iterations unrolled in
#       construct (ops.logsumexp), differentiated through all of them, the points a Parameter, nn.Adam, @jit ------
def sinkhorn_points(gs, small=False):
    import jax.numpy as jnp
    from jax.scipy.special import logsumexp

    nn, ops, Tensor = gs.nn, gs.ops, gs.Tensor
    rng = np.random.default_rng(77)
    m, n, iters = (6, 5, 5) if small else (128, 96, 20)
    lr, eps = 0.05, 0.1
    target = np.stack([np.cos(a) for a in (rng.uniform(0, 2 * np.pi, (2, m)))], 1).astype(np.float32)
    y0 = (rng.normal(size=(n, 2)) * 0.3).astype(np.float32)
    la, lb = float(np.log(1.0 / m)), float(np.log(1.0 / n))

    class OT(nn.Cell):
        def __init__(self):
            super().__init__()
            self.y = gs.Parameter(Tensor(y0), name="y")

        def construct(self, x):
            c = ops.sum(ops.square(ops.expand_dims(x, 1) - ops.expand_dims(self.y, 0)), -1)  # (m, n)
            f, g = ops.zeros((m,), gs.float32), ops.zeros((n,), gs.float32)
            for _ in range(iters):
                f = -eps * ops.logsumexp((ops.expand_dims(g, 0) - c) / eps + lb, 1)
                g = -eps * ops.logsumexp((ops.expand_dims(f, 1) - c) / eps + la, 0)
            return ops.mean(f) + ops.mean(g)

    net = OT()
    opt = nn.Adam(net.trainable_params(), learning_rate=lr)
    vg = ops.value_and_grad(net, None, opt.parameters)

    @gs.jit
    def step(x):
        loss, g = vg(x)
        opt(g)
        return loss

    def sdk(i):
        return _flat(step(Tensor(target)).asnumpy(), net.y.asnumpy())

    def jl(p, x):
        c = jnp.sum((x[:, None] - p[0][None]) ** 2, -1)
        f, g = jnp.zeros(m), jnp.zeros(n)
        for _ in range(iters):
            f = -eps * logsumexp((g[None] - c) / eps + lb, 1)
            g = -eps * logsumexp((f[:, None] - c) / eps + la, 0)
        return jnp.mean(f) + jnp.mean(g)

    return Loop(sdk, _adam_twin(jl, [y0], lr, lambda i: (target,), out=lambda v, p: _flat(v, p[0])), "pynative",
                rtol=5e-4)


LOOPS = {f.__name__: f for f in (fgsm_adversarial, forward_gradient_jvp, grad_reversal_bprop, distill_kl_groups,
                                 textcnn_embedding, gru_tbptt_carry, dataset_polydecay, sinkhorn_points)}

"""The loops workloads (/work/shared/workloads.md L1-L3), each written twice: as a MindSpore 2.x user
writes it against gradserve's SDK, and in JAX. Used by benchmarks/loops_bench.py and by the tests
(tests/clients/test_loops_*.py), so what is measured is what is checked."""
from __future__ import annotations

import numpy as np


def graph_mode(gs) -> None:
    """The mode every loop here runs in: GRAPH_MODE, as a MindSpore user writes a loop for speed (GRAPH_MODE or
    jit: one compile per signature). PyNative, the default, runs construct's Python again on a call unless what
    it read is unchanged (gradserve._pyguard, LOOPS_REPORT stop 35; loops_bench.py --mode pynative)."""
    gs.set_context(mode=gs.GRAPH_MODE)


# -- L1: deep-potential-style energy, forces = -dE/dR, loss on both ---------------------------------------
def dp_data(n_atoms=32, n_feat=16, hidden=32, seed=0):
    rng = np.random.default_rng(seed)
    R = rng.normal(size=(n_atoms, 3)).astype(np.float32) * 1.5
    E = np.float32(rng.normal())
    F = rng.normal(size=(n_atoms, 3)).astype(np.float32) * 0.1
    scales = np.linspace(0.2, 2.0, n_feat).astype(np.float32)
    w1 = (rng.normal(size=(hidden, n_feat)) / np.sqrt(n_feat)).astype(np.float32)
    b1 = np.zeros(hidden, np.float32)
    w2 = (rng.normal(size=(1, hidden)) / np.sqrt(hidden)).astype(np.float32)
    b2 = np.zeros(1, np.float32)
    return {"R": R, "E": E, "F": F, "scales": scales, "params": [w1, b1, w2, b2]}


def dp_sdk(gs, data, lr=1e-3):
    """(train_step, net) for the SDK: train_step(R, E, F) -> loss, updating the net's weights."""
    nn, ops, Tensor = gs.nn, gs.ops, gs.Tensor
    n = data["R"].shape[0]
    w1, b1, w2, b2 = data["params"]
    eye = np.eye(n, dtype=np.float32)

    class DeepPot(nn.Cell):
        def __init__(self):
            super().__init__()
            self.fit1 = nn.Dense(w1.shape[1], w1.shape[0], weight_init=w1, bias_init=b1, activation="tanh")
            self.fit2 = nn.Dense(w2.shape[1], 1, weight_init=w2, bias_init=b2)
            self.scales = Tensor(data["scales"])
            self.eye = Tensor(eye)
            self.mask = Tensor((1 - eye)[:, :, None])

        def construct(self, R):
            d = ops.expand_dims(R, 1) - ops.expand_dims(R, 0)
            r2 = ops.sum(d * d, -1) + self.eye
            g = ops.sum(ops.exp(-ops.expand_dims(r2, -1) * self.scales) * self.mask, 1)
            return ops.sum(self.fit2(self.fit1(g)))

    net = DeepPot()
    mse = nn.MSELoss()
    opt = nn.SGD(net.trainable_params(), learning_rate=lr)

    def forward(R, E, F):
        energy = net(R)
        forces = -ops.grad(net)(R)
        return mse(energy, E) + mse(forces, F)

    grad_fn = ops.value_and_grad(forward, None, opt.parameters)

    def step(R, E, F):
        loss, grads = grad_fn(R, E, F)
        opt(grads)
        return loss

    return step, net


def dp_step_call(gs):
    """L1's training step as the per-call tools drive it: a callable of no arguments (one step, its loss read)."""
    data = dp_data()
    step, _ = dp_sdk(gs, data, lr=1e-6)
    R, E, F = gs.Tensor(data["R"]), gs.Tensor(data["E"]), gs.Tensor(data["F"])
    return lambda: step(R, E, F).asnumpy()


def dp_jax(data, lr=1e-3):
    import jax
    import jax.numpy as jnp

    n = data["R"].shape[0]
    eye = jnp.eye(n, dtype=jnp.float32)
    mask = (1 - eye)[:, :, None]
    scales = jnp.asarray(data["scales"])

    def energy(params, R):
        w1, b1, w2, b2 = params
        d = R[:, None, :] - R[None, :, :]
        r2 = jnp.sum(d * d, -1) + eye
        g = jnp.sum(jnp.exp(-r2[:, :, None] * scales) * mask, 1)
        return jnp.sum(jnp.tanh(g @ w1.T + b1) @ w2.T + b2)

    def loss(params, R, E, F):
        e = energy(params, R)
        f = -jax.grad(energy, argnums=1)(params, R)
        return jnp.mean((e - E) ** 2) + jnp.mean((f - F) ** 2)

    @jax.jit
    def step(params, R, E, F):
        val, g = jax.value_and_grad(loss)(params, R, E, F)
        return val, [p - lr * gi for p, gi in zip(params, g)]

    return step, [jnp.asarray(p) for p in data["params"]]


# -- L2 / L3: Bayesian logistic regression log-density ---------------------------------------------
def logreg_data(n_points=200, n_feat=10, seed=1):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n_points, n_feat)).astype(np.float32)
    w_true = rng.normal(size=n_feat).astype(np.float32)
    y = (rng.random(n_points) < 1 / (1 + np.exp(-X @ w_true))).astype(np.float32)
    return X, y


def logp_sdk(gs, X, y):
    ops, Tensor = gs.ops, gs.Tensor
    Xt, yt = Tensor(X), Tensor(y)

    def logp(w):
        z = ops.matmul(Xt, ops.reshape(w, (-1, 1))).reshape((-1,))
        return ops.sum(yt * z - ops.softplus(z)) - 0.5 * ops.sum(w * w)

    return logp


def logp_jax(X, y):
    import jax
    import jax.numpy as jnp

    def logp(w):
        z = X @ w
        return jnp.sum(y * z - jax.nn.softplus(z)) - 0.5 * jnp.sum(w * w)

    return logp


# -- W2 through the SDK: the shared MLP (784-512-512-10, tanh) as a Cell -------------------------------
def mlp_sdk(gs, params):
    """A Cell computing sum(o*o) of the tanh MLP whose (weight, bias, ...) arrays are `params`, as
    (name, array) pairs or bare arrays (named p0, p1, ...)."""
    named = [p if isinstance(p, tuple) else (f"p{i}", p) for i, p in enumerate(params)]

    class MLP(gs.nn.Cell):
        def __init__(self):
            super().__init__()
            self.ws = [gs.Parameter(gs.Tensor(v), name=k) for k, v in named]

        def construct(self, x):
            h = x
            for i in range(0, len(self.ws), 2):
                h = gs.ops.matmul(h, self.ws[i]) + self.ws[i + 1]
                if i + 2 < len(self.ws):
                    h = gs.ops.tanh(h)
            return gs.ops.sum(h * h)

    return MLP()


def mlp_loss_jax(params, x):
    """JAX's counterpart of mlp_sdk: sum(o*o) of the tanh MLP with weights, biases `params` (a list)."""
    import jax.numpy as jnp

    h = x
    for i in range(0, len(params), 2):
        h = h @ params[i] + params[i + 1]
        if i + 2 < len(params):
            h = jnp.tanh(h)
    return jnp.sum(h * h)

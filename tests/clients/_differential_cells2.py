"""Round 2 cells for the differential tester: nn cells holding Parameters (Dense, Conv2d, BatchNorm2d train /
eval, LayerNorm, Embedding, one-layer LSTM) and cells with control flow in construct (if on a Tensor's value,
for over a range, while with a Tensor bound), in PyNative and GRAPH_MODE, differentiated w.r.t. their weights
(GradOperation(get_by_list), ops.grad(weights=...), value_and_grad with has_aux), to order 3, and through the
REST /v1/jacobian, /v1/hessian and /v1/hvp with weights by name. References: each cell's formula in JAX, from
its MindSpore 2.x documentation, with the cell's own (randomised) parameter values:
- nn.Dense: x W^T + b. nn.Conv2d(pad_mode='pad'): cross-correlation plus bias. nn.Embedding: table[ids].
- nn.LayerNorm(shape): over the trailing axes, epsilon 1e-7 (its default), gamma / beta.
- nn.BatchNorm2d: training (set_train()) normalises by the batch's statistics (biased variance), eval by the
  moving_mean / moving_variance Parameters; eps 1e-5.
- nn.LSTM (gates i, f, g, o; c' = f c + i g, h' = o tanh(c')): returns (output, (h_n, c_n)), batch_first.
run_cell_case(seed) -> ('ok' | 'mismatch' | 'error', name, detail)."""
from __future__ import annotations

import httpx
import numpy as np

import jax
import jax.numpy as jnp

import gradserve as gs
from gradserve import Parameter, Tensor, nn, ops
from gradserve.ops import GradOperation

try:
    from ._differential_specs import judged, total
    from ._differential_rest import _rebuild, _tensor
except ImportError:  # run as a script
    from _differential_specs import judged, total
    from _differential_rest import _rebuild, _tensor


def _randomise(net, rng, dtype):
    """Every Parameter a fresh random value (variances positive); returns {name: float64 array}."""
    values = {}
    for p in net.get_parameters():
        v = rng.uniform(0.5, 1.5, p.shape) if "var" in p.name else rng.uniform(-0.8, 0.8, p.shape)
        p.set_data(Tensor(v.astype(dtype)))
        values[p.name] = v.astype(dtype).astype(np.float64)
    return values


def _dense(rng, dtype):
    net = nn.Dense(3, 2)
    return net, [rng.uniform(-1, 1, (4, 3))], lambda P, x: x @ P["weight"].T + P["bias"]


def _conv2d(rng, dtype):
    net = nn.Conv2d(2, 3, 3, stride=int(rng.integers(1, 3)), pad_mode="pad", padding=1, has_bias=True)
    s = net.stride if isinstance(net.stride, int) else net.stride[0]

    def jx(P, x):
        y = jax.lax.conv_general_dilated(x, P["weight"], (s, s), [(1, 1), (1, 1)])
        return y + P["bias"].reshape(1, -1, 1, 1)
    return net, [rng.uniform(-1, 1, (2, 2, 5, 5))], jx


def _layer_norm(rng, dtype):
    net = nn.LayerNorm((4,))

    def jx(P, x):
        m = x.mean(-1, keepdims=True)
        v = ((x - m) ** 2).mean(-1, keepdims=True)
        return (x - m) / jnp.sqrt(v + 1e-7) * P["gamma"] + P["beta"]
    return net, [rng.uniform(-1, 1, (3, 4))], jx


def _batch_norm(rng, dtype):
    net = nn.BatchNorm2d(3)
    train = bool(rng.integers(2))
    net.set_train(train)

    def jx(P, x):
        m, v = (x.mean((0, 2, 3)), x.var((0, 2, 3))) if train else (P["mean"], P["variance"])
        c = lambda t: t.reshape(1, 3, 1, 1)  # noqa: E731
        return (x - c(m)) / jnp.sqrt(c(v) + 1e-5) * c(P["gamma"]) + c(P["beta"])
    return net, [rng.uniform(-1, 1, (4, 3, 2, 2))], jx


class _EmbedSum(nn.Cell):
    def __init__(self, ids):
        super().__init__()
        self.emb = nn.Embedding(5, 3)
        self.ids = Tensor(ids)

    def construct(self, x):
        return ops.tanh(self.emb(self.ids) * x)


def _embedding(rng, dtype):
    ids = rng.integers(0, 5, (2, 4)).astype(np.int32)  # repeats: the table's gradient accumulates
    net = _EmbedSum(ids)
    return net, [rng.uniform(-1, 1, (2, 4, 3))], lambda P, x: jnp.tanh(P["emb.embedding_table"][ids] * x)


class _LSTMOut(nn.Cell):
    def __init__(self):
        super().__init__()
        self.lstm = nn.LSTM(3, 2, 1, batch_first=True)

    def construct(self, x):
        out, (h, c) = self.lstm(x)
        return out, h * c


def _lstm(rng, dtype):
    net = _LSTMOut()

    def jx(P, x):
        wi, wh, bi, bh = (P[f"lstm.{n}_l0"] for n in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"))
        h = c = jnp.zeros((x.shape[0], 2))
        outs = []
        for t in range(x.shape[1]):
            i, f, g, o = jnp.split(x[:, t] @ wi.T + bi + h @ wh.T + bh, 4, -1)
            c = jax.nn.sigmoid(f) * c + jax.nn.sigmoid(i) * jnp.tanh(g)
            h = jax.nn.sigmoid(o) * jnp.tanh(c)
            outs.append(h)
        return jnp.stack(outs, 1), (h * c)[None]
    return net, [rng.uniform(-1, 1, (2, 3, 3))], jx


class _IfCell(nn.Cell):
    """if on a Tensor's value, for over a range, while with a Tensor bound."""

    def __init__(self):
        super().__init__()
        self.w = Parameter(Tensor(np.ones((3, 3), np.float32)), name="w")
        self.b = Parameter(Tensor(np.zeros((3,), np.float32)), name="b")

    def construct(self, x, n):
        if x.sum() > 0:
            y = ops.tanh(ops.matmul(x, self.w) + self.b)
        else:
            y = ops.sin(ops.matmul(x, self.w)) - self.b
        for _ in range(2):
            y = ops.tanh(ops.matmul(y, self.w)) + x
        i = Tensor(np.array(0, np.int32))
        while i < n:
            y = y * 0.5 + ops.sin(y + self.b)
            i = i + 1
        return y


def _control_flow(rng, dtype):
    net = _IfCell()
    n = int(rng.integers(0, 4))
    x = rng.uniform(-1, 1, (2, 3)) + rng.choice([-0.3, 0.3])

    def jx(P, x):
        w, b = P["w"], P["b"]
        y = jnp.where(jnp.sum(x) > 0, jnp.tanh(x @ w + b), jnp.sin(x @ w) - b)  # the branch taken at x
        for _ in range(2):
            y = jnp.tanh(y @ w) + x
        for _ in range(n):
            y = y * 0.5 + jnp.sin(y + b)
        return y
    return net, [x], jx, [np.array(n, np.int32)]


CELLS = {f.__name__[1:]: f for f in (_dense, _conv2d, _layer_norm, _batch_norm, _embedding, _lstm, _control_flow)}
KINDS = ("get_by_list", "grad_weights", "value_and_grad_aux", "order3", "rest_jacobian", "rest_hessian",
         "rest_hvp", "jvp_of_vjp", "two_calls")


def _weights(net):
    return net.trainable_params()


def _jx_grads(jx, P, names, xs):
    """JAX's gradients of the summed outputs w.r.t. (inputs, weights in `names` order)."""
    def f(x, ws):
        return total(jx({**P, **dict(zip(names, ws))}, x))
    return jax.grad(f, (0, 1))(xs[0], [P[n] for n in names])


def run_cell_kind(kind, net, xs, consts, jx, P, rng, url=None):
    names = [p.name for p in _weights(net)]
    ms_x = [Tensor(x) for x in xs] + [Tensor(c) for c in consts]
    x64 = [jnp.asarray(x, jnp.float64) for x in xs]
    gx, gw = _jx_grads(jx, P, names, x64)
    if kind == "get_by_list":
        return GradOperation(get_by_list=True)(net, _weights(net))(*ms_x), tuple(gw)
    if kind == "grad_weights":
        return ops.grad(net, 0, _weights(net))(*ms_x), (gx, tuple(gw))
    if kind == "value_and_grad_aux":
        def fn(*a):
            out = net(*a)
            first = out[0] if isinstance(out, tuple) else out
            return (first * first).sum(), first * 2.0
        (v, aux), g = ops.value_and_grad(fn, None, _weights(net), has_aux=True)(*ms_x)
        first = lambda Q: (lambda o: o[0] if isinstance(o, tuple) else o)(jx(Q, x64[0]))  # noqa: E731
        want_g = jax.grad(lambda ws: jnp.sum(first({**P, **dict(zip(names, ws))}) ** 2))([P[n] for n in names])
        return (v, aux, g), (jnp.sum(first(P) ** 2), first(P) * 2.0, tuple(want_g))
    if kind == "order3":
        g3 = ops.grad(ops.grad(ops.grad(net)))(*ms_x)
        f = lambda x: total(jx(P, x))  # noqa: E731
        return g3, jax.grad(lambda x: jnp.sum(jax.grad(lambda y: jnp.sum(jax.grad(f)(y)))(x)))(x64[0])
    if kind == "two_calls":  # one gradient function at x, then at -0.7 x (an if on x's sign takes the other branch)
        fn = ops.grad(net, 0, _weights(net))
        first = fn(*ms_x)
        x2 = (-0.7 * xs[0]).astype(xs[0].dtype)
        gx2, gw2 = _jx_grads(jx, P, names, [jnp.asarray(x2, jnp.float64)])
        return (first, fn(Tensor(x2), *ms_x[1:])), ((gx, tuple(gw)), (gx2, tuple(gw2)))
    if kind == "jvp_of_vjp":
        v = rng.uniform(-1, 1, xs[0].shape).astype(xs[0].dtype)
        out = jx(P, x64[0])
        cot = jax.tree_util.tree_map(lambda o: jnp.asarray(rng.uniform(-1, 1, o.shape)), out)
        cot_ms = jax.tree_util.tree_map(lambda c: Tensor(np.asarray(c).astype(xs[0].dtype)), cot)
        cot = jax.tree_util.tree_map(lambda c: jnp.asarray(np.asarray(c).astype(xs[0].dtype), jnp.float64), cot)
        back_ms = lambda x: ops.vjp(lambda y: net(y, *ms_x[1:]), x)[1](*_seq(cot_ms))  # noqa: E731
        got = ops.jvp(back_ms, (ms_x[0],), (Tensor(v),))
        back_jx = lambda x: jax.vjp(lambda y: jx(P, y), x)[1](cot)  # noqa: E731
        return got, jax.jvp(back_jx, (x64[0],), (jnp.asarray(v, jnp.float64),))
    return _rest(kind, url, net, xs, consts, jx, P, names, rng)


def _seq(c):
    return c if isinstance(c, tuple) else (c,)


def _rest(kind, url, net, xs, consts, jx, P, names, rng):
    """/v1/jacobian, /v1/hessian, /v1/hvp w.r.t. the input and the weights by name (docs/API.md)."""
    args = list(xs) + list(consts)
    pick = [names[int(i)] for i in sorted(rng.choice(len(names), min(2, len(names)), replace=False))]
    body = {"graph": gs.trace_graph(net, [Tensor(a) for a in args]), "inputs": [_tensor(a) for a in args],
            "positions": [0], "weights": pick}
    x64 = jnp.asarray(xs[0], jnp.float64)
    ws = [P[n] for n in pick]

    def f(x, *w):
        return jx({**P, **dict(zip(pick, w))}, x)
    argn = tuple(range(1 + len(pick)))
    if kind == "rest_jacobian":
        want = jax.jacrev(f, argn)(x64, *ws)
    elif kind == "rest_hessian":
        want = jax.hessian(f, argn)(x64, *ws)  # per output: out.shape + in_i.shape + in_j.shape (docs/API.md)
    else:
        vs = [rng.uniform(-1, 1, np.shape(a)).astype(xs[0].dtype) for a in [xs[0]] + [np.asarray(w) for w in ws]]
        body["v"] = [_tensor(v) for v in vs]
        g = jax.grad(lambda *a: total(f(*a)), argn)
        want = jax.grad(lambda *a: sum(jnp.vdot(gi, jnp.asarray(v, jnp.float64)) for gi, v in zip(g(*a), vs)),
                        argn)(x64, *ws)
    r = httpx.post(f"{url}/v1/{kind[5:]}", json=body, timeout=60)
    if r.status_code != 200:
        raise RuntimeError(f"/v1/{kind[5:]} {r.status_code}: {r.text[:300]}")
    doc = r.json()
    return _rebuild(doc["structure"], doc["outputs"]), want


def draw_cell_case(seed: int):
    rng = np.random.default_rng(700_000 + seed)
    name = list(CELLS)[int(rng.integers(len(CELLS)))]
    kind = KINDS[int(rng.integers(len(KINDS)))]
    mode = "graph" if rng.random() < 0.4 else "pynative"
    dtype = "float32"  # a cell's Parameters are float32 (Parameter.set_data keeps a Parameter's dtype)
    return rng, name, kind, mode, dtype


def run_cell_case(seed: int, url: str | None = None):
    rng, name, kind, mode, dtype = draw_cell_case(seed)
    if kind.startswith("rest") and url is None:
        kind = "grad_weights"
    label = f"{name}/{kind}/{mode}/{dtype}"

    def run():
        built = CELLS[name](rng, dtype)
        net, xs, jx = built[:3]
        consts = built[3] if len(built) > 3 else []
        P = _randomise(net, rng, dtype)
        xs = [x.astype(dtype) for x in xs]
        gs.set_context(mode=gs.GRAPH_MODE if mode == "graph" else gs.PYNATIVE_MODE)
        return run_cell_kind(kind, net, xs, consts, jx, P, rng, url)
    return judged(label, run, dtype)  # (the cell built in PyNative, then run in its mode)

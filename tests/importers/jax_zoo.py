"""The sweep's JAX models: pure jax.numpy / lax functions `fn(params, *xs)` of the same layer families
as zoo.py (no flax). Each case: `name -> () -> (fn, params pytree, inputs tuple[, reference fn])`,
the reference (default fn) being what jax.grad differentiates."""
import jax
import jax.numpy as jnp
import numpy as np
from jax import lax

JCASES: dict = {}


def case(name):
    def deco(fn):
        JCASES[name] = fn
        return fn
    return deco


def _r(seed, *shape, scale=1.0):
    return (np.random.default_rng(seed).standard_normal(shape) * scale).astype(np.float32)


def _dense(seed, a, b):
    return {"w": _r(seed, a, b, scale=1 / np.sqrt(a)), "b": _r(seed + 1, b, scale=0.1)}


_ACTS = {"gelu": lambda x: jax.nn.gelu(x, approximate=False), "gelu_tanh": jax.nn.gelu, "silu": jax.nn.silu,
         "mish": jax.nn.mish, "hard_swish": jax.nn.hard_swish, "hard_sigmoid": jax.nn.hard_sigmoid,
         "elu": lambda x: jax.nn.elu(x, 0.7), "selu": jax.nn.selu, "celu": lambda x: jax.nn.celu(x, 1.3),
         "leaky_relu": lambda x: jax.nn.leaky_relu(x, 0.1), "softplus": jax.nn.softplus, "relu6": jax.nn.relu6,
         "sigmoid": jax.nn.sigmoid, "log_sigmoid": jax.nn.log_sigmoid, "soft_sign": jax.nn.soft_sign,
         "tanh": jnp.tanh, "relu": jax.nn.relu, "hard_tanh": jax.nn.hard_tanh}


def _mlp(act):
    def build():
        def fn(p, x):
            return act(x @ p["l1"]["w"] + p["l1"]["b"]) @ p["l2"]["w"] + p["l2"]["b"]
        return fn, {"l1": _dense(1, 6, 4), "l2": _dense(3, 4, 3)}, (_r(0, 5, 6, scale=2.0),)
    return build


for _k, _a in _ACTS.items():
    case(f"mlp_{_k}")(_mlp(_a))


@case("conv_nchw_stride_dilation_groups")
def _conv():
    def fn(p, x):
        y = lax.conv_general_dilated(x, p["k1"], (2, 1), [(1, 1), (0, 2)], rhs_dilation=(1, 2),
                                     feature_group_count=2)
        y = jnp.tanh(y + p["b1"][None, :, None, None])
        return lax.conv_general_dilated(y, p["k2"], (1, 1), "SAME")
    return fn, {"k1": _r(1, 6, 2, 3, 2, scale=0.4), "b1": _r(2, 6, scale=0.1), "k2": _r(3, 2, 6, 3, 3, scale=0.3)}, \
        (_r(0, 2, 4, 7, 8),)


@case("conv_nhwc_depthwise_transposed")
def _conv_nhwc():
    dn = ("NHWC", "HWIO", "NHWC")

    def fn(p, x):
        y = lax.conv_general_dilated(x, p["dw"], (1, 1), "SAME", dimension_numbers=dn, feature_group_count=4)
        y = jax.nn.relu(y)
        return lax.conv_transpose(y, p["up"], (2, 2), "SAME", dimension_numbers=dn)
    return fn, {"dw": _r(1, 3, 3, 1, 4, scale=0.4), "up": _r(2, 2, 2, 4, 3, scale=0.4)}, (_r(0, 2, 5, 6, 4),)


@case("conv1d_lhs_dilation")
def _conv1d():
    def fn(p, x):
        return lax.conv_general_dilated(x, p["k"], (1,), [(2, 1)], lhs_dilation=(2,), rhs_dilation=(1,))
    return fn, {"k": _r(1, 3, 2, 3, scale=0.5)}, (_r(0, 2, 2, 6),)


@case("reduce_window_pools")
def _pools():
    def fn(p, x):  # NCHW
        mx = lax.reduce_window(x, -jnp.inf, lax.max, (1, 1, 3, 3), (1, 1, 2, 2), [(0, 0), (0, 0), (1, 1), (1, 1)])
        av = lax.reduce_window(x, 0.0, lax.add, (1, 1, 2, 2), (1, 1, 2, 2), "VALID") / 4.0
        return mx * p["s"], av, jnp.mean(x, axis=(2, 3))
    return fn, {"s": _r(1, 1, 3, 1, 1)}, (_r(0, 2, 3, 6, 6),)


def _norm(x, g, b, axes):
    m = jnp.mean(x, axes, keepdims=True)
    v = jnp.var(x, axes, keepdims=True)
    return (x - m) * lax.rsqrt(v + 1e-5) * g + b


@case("layernorm_groupnorm_batchnorm")
def _norms():
    def fn(p, x):  # [N, C, H, W]
        n, c, h, w = x.shape
        gn = _norm(x.reshape(n, 2, c // 2, h, w), 1.0, 0.0, (2, 3, 4)).reshape(x.shape)
        gn = gn * p["g"][None, :, None, None] + p["b"][None, :, None, None]
        bn = (x - p["mean"][None, :, None, None]) / jnp.sqrt(p["var"][None, :, None, None] + 1e-5)
        return _norm(gn + bn, p["lg"], p["lb"], (-1,))
    return fn, {"g": _r(1, 4) + 1, "b": _r(2, 4), "mean": _r(3, 4), "var": np.abs(_r(4, 4)) + 0.5,
                "lg": _r(5, 5) + 1, "lb": _r(6, 5)}, (_r(0, 2, 4, 3, 5),)


@case("scan_rnn")
def _scan():
    def fn(p, xs):  # xs [T, B, I]: an Elman RNN and a GRU-like gate
        def step(h, x):
            z = jax.nn.sigmoid(x @ p["wz"] + h @ p["uz"])
            hn = jnp.tanh(x @ p["w"] + h @ p["u"] + p["b"])
            h = (1 - z) * h + z * hn
            return h, h * 2.0
        h, ys = lax.scan(step, jnp.zeros((xs.shape[1], 4), xs.dtype), xs)
        return h, ys
    return fn, {"w": _r(1, 3, 4, scale=0.5), "u": _r(2, 4, 4, scale=0.5), "b": _r(3, 4, scale=0.1),
                "wz": _r(4, 3, 4, scale=0.5), "uz": _r(5, 4, 4, scale=0.5)}, (_r(0, 5, 2, 3),)


@case("scan_reverse_with_xs_pytree")
def _scan_rev():
    def fn(p, xs, ys):
        def step(c, xy):
            x, y = xy
            c = jnp.tanh(c * p["a"] + x * y)
            return c, c + x
        return lax.scan(step, jnp.zeros(3), (xs, ys), reverse=True)
    return fn, {"a": _r(1, 3)}, (_r(0, 4, 3), _r(2, 4, 3))


@case("fori_loop_static")
def _fori():
    def fn(p, x):
        return lax.fori_loop(0, 4, lambda i, h: jnp.tanh(h @ p["w"] + i * 0.1), x)
    return fn, {"w": _r(1, 3, 3, scale=0.6)}, (_r(0, 2, 3),)


@case("while_loop_fixed_trips")
def _while():
    """jax.grad cannot differentiate a while_loop: the reference is the same loop unrolled."""
    def body(p, h):
        return jnp.sin(h * p["s"]) + h

    def fn(p, x):
        return lax.while_loop(lambda c: c[0] < 3, lambda c: (c[0] + 1, body(p, c[1])), (0, x))[1]

    def unrolled(p, x):
        for _ in range(3):
            x = body(p, x)
        return x
    return fn, {"s": _r(1, 4)}, (_r(0, 2, 4),), unrolled


@case("cond_switch")
def _cond():
    def fn(p, x):
        a = lax.cond(jnp.sum(x) > 0, lambda v: jnp.sin(v) * p["w"], lambda v: jnp.cos(v) * p["w"], x)
        b = lax.switch(jnp.clip(jnp.argmax(x[0]), 0, 2), [jnp.tanh, jnp.exp, lambda v: v * v], x)
        return a + b
    return fn, {"w": _r(1, 4)}, (_r(0, 3, 4),)


@case("attention_einsum")
def _attn():
    def fn(p, x):  # [B, T, D], 2 heads
        b, t, d = x.shape
        q, k, v = [jnp.einsum("btd,de->bte", x, p[n]).reshape(b, t, 2, d // 2) for n in ("q", "k", "v")]
        s = jnp.einsum("bqhd,bkhd->bhqk", q, k) / np.sqrt(d // 2)
        mask = jnp.tril(jnp.ones((t, t), bool))
        a = jax.nn.softmax(jnp.where(mask, s, -1e9), axis=-1)
        o = jnp.einsum("bhqk,bkhd->bqhd", a, v).reshape(b, t, d)
        return jax.nn.gelu(o @ p["o"]) + x
    return fn, {n: _r(i, 8, 8, scale=0.35) for i, n in enumerate("qkvo")}, (_r(9, 2, 4, 8),)


@case("indexing_gather_take")
def _index():
    idx = np.array([[2, 0, 1], [1, 1, 3]])

    def fn(p, x):  # [2, 4, 5]
        a = jnp.take_along_axis(x, jnp.asarray(idx)[..., None], axis=1)
        b = x[:, jnp.array([3, 0]), 1:4]
        c = x[1, :, ::2] + x[..., -1:]
        d = jnp.take(x, jnp.array([4, 0, 0]), axis=2)
        e = p["emb"][jnp.array([[1, 3], [0, 0]])]
        return a, b, c, d * p["s"], e, x[jnp.array([1, 0]), jnp.array([2, 3])]
    return fn, {"emb": _r(1, 5, 3), "s": _r(2, 3)}, (_r(0, 2, 4, 5),)


@case("shapes_cumsum_softmax_loss")
def _shapes():
    labels = np.array([0, 4, 2, 1])

    def fn(p, x):  # [4, 6]
        logits = x[:, :5] @ p["w"]
        logp = jax.nn.log_softmax(logits)
        ce = -jnp.mean(jnp.take_along_axis(logp, jnp.asarray(labels)[:, None], 1))
        onehot = -jnp.sum(jax.nn.one_hot(labels, 5) * logp) / 4
        a, b = jnp.split(x, 2, axis=1)
        y = jnp.concatenate([jnp.stack([a, b], 0).transpose(1, 0, 2).reshape(4, -1), jnp.cumsum(x, 1)], 1)
        return ce + onehot + jax.scipy.special.logsumexp(x), y, jnp.flip(jnp.cumsum(x[::-1], 0), 0), \
            jnp.where(x > 0, x, 0.1 * x), jnp.repeat(x, 2, axis=0)
    return fn, {"w": _r(1, 5, 5, scale=0.5)}, (_r(0, 4, 6),)


@case("matmul_broadcast_misc")
def _matmul():
    def fn(p, x):  # [2, 3, 4]
        return (jnp.matmul(x, p["w"]), jnp.matmul(x[0, 0], p["w"]), x @ x[0, 0], jnp.linalg.norm(x, axis=-1),
                jnp.max(x, 1), jnp.std(x, 0), jnp.clip(x, -0.5, 0.5), x ** 3, jnp.abs(x), jnp.prod(x[:, :2], 1))
    return fn, {"w": _r(1, 5, 4, 2, scale=0.5)[0]}, (_r(0, 2, 3, 4),)


@case("upsample_nearest_bilinear")
def _upsample():
    def fn(p, x):  # [N, C, H, W]
        near = jnp.repeat(jnp.repeat(x, 2, axis=2), 2, axis=3)
        bil = jax.image.resize(x, (2, 2, 6, 8), "bilinear")
        return near * p["s"], bil
    return fn, {"s": _r(1, 1, 2, 1, 1)}, (_r(0, 2, 2, 3, 4),)


@case("tensor_ops_more")
def _more():
    def fn(p, x):  # [3, 4]
        y = x * p["s"]
        return (jnp.sort(y, -1), lax.top_k(y, 2)[0], jnp.pad(y, ((1, 0), (0, 2))), jnp.pad(y, 1, mode="reflect"),
                jnp.pad(y, 1, mode="edge"), jnp.roll(y, 1, -1), jnp.tile(y, (2, 1)), jnp.cumprod(y, 1),
                jax.nn.standardize(y, axis=-1), jax.nn.glu(y, -1), jnp.select([y > 0.5, y < -0.5], [y, 2 * y], y * y),
                jnp.arctan2(y, x + 3.0), lax.dynamic_slice(y, (1, jnp.argmax(x[0])), (2, 2)), jnp.expm1(y))
    return fn, {"s": _r(1, 4)}, (_r(0, 3, 4),)


@case("scatter_updates")
def _scatter():
    def fn(p, x):  # [4, 3]
        x = jnp.asarray(x)
        a = x.at[1].set(p["v"])
        b = x.at[jnp.array([0, 2, 0])].add(p["v"])
        c = x.at[:, 1:].set(p["v"][:2] * 3.0)
        d = x.at[jnp.array([5, 1])].add(1.0)  # index 5 is out of bounds: dropped
        return a, b, c, d
    return fn, {"v": _r(1, 3)}, (_r(0, 4, 3),)


@case("floor_round_remainder_roll")
def _rounding():
    def fn(p, x, y):  # x [3, 4]; y [3, 4], |y| >= 0.5
        h = (x @ p["w"]) * 3
        return (jnp.floor(h) * h, jnp.ceil(h) + x, jnp.round(h) * x, lax.round(h * 2) * x, jnp.trunc(h) * h,
                jnp.remainder(h, y), jnp.fmod(h, y), jnp.remainder(h, 1.5), jnp.fmod(h, -0.7), lax.rem(h, y),
                jnp.roll(h, 1, 1), jnp.roll(h, (2, -1), (0, 1)), jnp.roll(h * x, 5))
    y = _r(1, 3, 4)
    return fn, {"w": _r(2, 4, 4)}, (_r(0, 3, 4), np.sign(y) * (np.abs(y) + 0.5))


from . import jax_zoo_families  # noqa: E402,F401 - registers round 3's cases into JCASES
from . import jax_zoo_lax_linalg, jax_zoo_loops_rules  # noqa: E402,F401 - register their cases into JCASES
from . import jax_zoo_scientific  # noqa: E402,F401 - registers the held-out scientific functions
from . import jax_zoo_nets  # noqa: E402,F401 - registers the held-out JAX networks
from . import jax_zoo_sequence_operators  # noqa: E402,F401 - registers round 7's held-out JAX functions
from . import jax_zoo_decoding_linalg_graphs  # noqa: E402,F401 - registers round 8's held-out JAX functions
from . import jax_zoo_round9  # noqa: E402,F401 - registers round 9's held-out JAX functions
from . import jax_zoo_round10  # noqa: E402,F401 - registers round 10's held-out JAX functions
from . import jax_zoo_round11  # noqa: E402,F401 - registers round 11's held-out JAX functions
from . import jax_zoo_round12  # noqa: E402,F401 - registers round 12's held-out JAX functions

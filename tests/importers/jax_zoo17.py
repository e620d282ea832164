"""Round 17's held-out JAX functions (benchmarks/IMPORT_ZOO.md, Round 17): flax-free pure functions on lax's
structural primitives. Each entry: (fn(params, x), params, x, from_jax keyword arguments); test_zoo17.py checks value,
gradients, a jvp and a Hessian-vector product against JAX."""
import jax
import jax.numpy as jnp
import numpy as np
from jax import lax


def _r(seed, *shape, scale=1.0):
    return (np.random.default_rng(seed).normal(size=shape) * scale).astype(np.float32)


_NCHW = ("NCHW", "OIHW", "NCHW")


def depthwise_separable_pool(p, x):
    """MobileNet-style depthwise (feature_group_count = channels, rhs_dilation 2, stride 1) then pointwise
    convolution, a 3x3 stride-2 max pool by lax.reduce_window (SAME padding) and a window-dilated sum pool."""
    c = x.shape[1]
    h = lax.conv_general_dilated(x, p["dw"], (1, 1), "SAME", rhs_dilation=(2, 2), feature_group_count=c,
                                 dimension_numbers=_NCHW)
    h = jnp.tanh(lax.conv_general_dilated(h, p["pw"], (1, 1), "VALID", dimension_numbers=_NCHW))
    m = lax.reduce_window(h, -jnp.inf, lax.max, (1, 1, 3, 3), (1, 1, 2, 2), "SAME")
    s = lax.reduce_window(h, 0.0, lax.add, (1, 1, 2, 2), (1, 1, 1, 1), "VALID", window_dilation=(1, 1, 2, 2))
    return jnp.concatenate([m.reshape(m.shape[0], -1), s.reshape(s.shape[0], -1)], 1)


def grouped_transposed_decoder(p, x):
    """A decoder's learned 2x upsampling as a transposed convolution (lax.conv_general_dilated with lhs_dilation 2,
    asymmetric padding) with 2 channel groups, then a grouped 3x3 convolution with stride 2 along one axis."""
    h = lax.conv_general_dilated(x, p["up"], (1, 1), [(1, 2), (1, 2)], lhs_dilation=(2, 2), feature_group_count=2,
                                 dimension_numbers=_NCHW)
    h = jax.nn.gelu(h)
    return lax.conv_general_dilated(h, p["g"], (1, 2), [(1, 1), (0, 1)], feature_group_count=2,
                                    dimension_numbers=_NCHW)


def min_gru_associative_scan(p, x):
    """minGRU in log space by lax.associative_scan: (a, b) pairs combined as (a1 + a2, logaddexp(b1 + a2, b2)),
    h_t = exp(b_t) (the log of the linear recurrence h_t = (1 - z_t) h_{t-1} + z_t g(h~_t))."""
    k = x @ p["wz"]
    log_z, log_1mz = -jax.nn.softplus(-k), -jax.nn.softplus(k)
    th = x @ p["wh"]
    log_th = jnp.where(th >= 0, jnp.log(jax.nn.relu(th) + 0.5), -jax.nn.softplus(-th))

    def combine(u, v):
        return u[0] + v[0], jnp.logaddexp(u[1] + v[0], v[1])
    _, log_h = lax.associative_scan(combine, (log_1mz, log_z + log_th), axis=0)
    return jnp.exp(log_h)


def matrix_affine_associative_scan(p, x):
    """A time-varying linear system h_t = A_t h_{t-1} + b_t with 2x2 rotation-scaling A_t from the input, by
    lax.associative_scan over affine maps (a non-commutative combine: (A2 A1, A2 b1 + b2)), reversed."""
    ang, scl = jnp.tanh(x @ p["wa"]), jax.nn.sigmoid(x @ p["ws"])
    a = scl[:, None, None] * jnp.stack([jnp.stack([jnp.cos(ang), -jnp.sin(ang)], -1),
                                        jnp.stack([jnp.sin(ang), jnp.cos(ang)], -1)], -2)
    b = x @ p["wb"]

    def combine(e1, e2):
        a1, b1 = e1
        a2, b2 = e2
        return a2 @ a1, (a2 @ b1[..., None])[..., 0] + b2
    _, h = lax.associative_scan(combine, (a, b), reverse=True)
    return h @ p["wo"]


def ttt_linear_scan(p, x):
    """A test-time-training layer (TTT-Linear, Sun et al. 2024) by lax.scan: the hidden state is a linear model W,
    updated each step by one gradient step (jax.grad inside the scan) of the self-supervised loss
    |W k_t - v_t|^2 / 2, read out at q_t. Its input gradient is a derivative of the inner gradient."""
    k, v, q = x @ p["wk"], x @ p["wv"], x @ p["wq"]

    def step(w, kvq):
        kt, vt, qt = kvq
        g = jax.grad(lambda m: 0.5 * jnp.sum((m @ kt - vt) ** 2))(w)
        w = w - 0.3 * g
        return w, jnp.tanh(w @ qt)
    _, out = lax.scan(step, p["w0"], (k, v, q))
    return out


def reduce_window_logsumexp_pool(p, x):
    """A soft (log-sum-exp) pooling: lax.reduce_window max for the shift, sum of exp by reduce_window add with a
    base dilation 1 and padding, both over a 1-D sequence of features; strided."""
    h = jnp.tanh(x @ p["w"])[None]                                        # (1, T, F)
    mx = lax.reduce_window(h, -jnp.inf, lax.max, (1, 3, 1), (1, 2, 1), [(0, 0), (1, 1), (0, 0)])
    mx = lax.stop_gradient(mx)
    up = jnp.repeat(mx, 2, axis=1)[:, : h.shape[1]]
    s = lax.reduce_window(jnp.exp(h - up), 0.0, lax.add, (1, 3, 1), (1, 2, 1), [(0, 0), (1, 1), (0, 0)])
    return (jnp.log(s) + mx)[0]


MODELS = {
    "jax_depthwise_dilated_reduce_window_pools": (
        depthwise_separable_pool, {"dw": _r(1, 3, 1, 3, 3, scale=0.5), "pw": _r(2, 4, 3, 1, 1)}, _r(3, 2, 3, 7, 7),
        {}),
    "jax_grouped_transposed_conv_decoder": (
        grouped_transposed_decoder, {"up": _r(4, 4, 1, 3, 3, scale=0.5), "g": _r(5, 4, 2, 3, 3, scale=0.4)},
        _r(6, 2, 2, 4, 4), {}),
    "jax_min_gru_associative_scan": (
        min_gru_associative_scan, {"wz": _r(7, 3, 4), "wh": _r(8, 3, 4)}, _r(9, 7, 3), {}),
    "jax_matrix_affine_associative_scan": (
        matrix_affine_associative_scan, {"wa": _r(10, 3), "ws": _r(11, 3), "wb": _r(12, 3, 2), "wo": _r(13, 2, 3)},
        _r(14, 6, 3), {}),
    "jax_ttt_linear_inner_grad_scan": (
        ttt_linear_scan, {"wk": _r(15, 4, 3, scale=0.5), "wv": _r(16, 4, 3, scale=0.5), "wq": _r(17, 4, 3),
                          "w0": _r(18, 3, 3, scale=0.3)}, _r(19, 5, 4), {}),
    "jax_reduce_window_logsumexp_pool": (
        reduce_window_logsumexp_pool, {"w": _r(20, 3, 4)}, _r(21, 9, 3), {}),
}

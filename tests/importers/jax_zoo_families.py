"""The sweep's JAX functions, round 3: control flow with pytree carries, custom_jvp / custom_vjp
functions, jnp.linalg, einsum forms, convolutions, reductions with where=, dynamic slices with traced
starts. Registered into jax_zoo.JCASES (same case shape: fn, params, inputs[, reference])."""
import jax
import jax.numpy as jnp
import numpy as np
from jax import lax

from .jax_zoo import _dense, _r, case


@case("scan_pytree_carry_lstm")
def _scan_lstm():
    def fn(p, xs):  # xs [T, B, I]: an LSTM cell scanned, carry (h, c), outputs h per step
        def step(hc, x):
            h, c = hc
            g = x @ p["wx"] + h @ p["wh"] + p["b"]
            i, f, o, u = jnp.split(g, 4, axis=-1)
            c = jax.nn.sigmoid(f) * c + jax.nn.sigmoid(i) * jnp.tanh(u)
            h = jax.nn.sigmoid(o) * jnp.tanh(c)
            return (h, c), h
        zeros = jnp.zeros((xs.shape[1], 3), xs.dtype)
        (h, c), hs = lax.scan(step, (zeros, zeros), xs)
        return hs, c
    return fn, {"wx": _r(1, 2, 12, scale=0.5), "wh": _r(2, 3, 12, scale=0.5), "b": _r(3, 12, scale=0.1)}, \
        (_r(0, 4, 2, 2),)


@case("fori_loop_carry_tuple_and_unroll")
def _fori_tuple():
    def fn(p, x, v):
        def body(i, c):
            a, b = c
            return jnp.tanh(a @ p["w"] + b * i), b * 0.9 + jnp.sin(a[:, :1])
        return lax.fori_loop(0, 3, body, (x, v))
    return fn, {"w": _r(1, 3, 3, scale=0.6)}, (_r(0, 2, 3), _r(2, 2, 3))


@case("while_loop_data_dependent")
def _while_data():
    """Runs until the squared norm passes 4 (a data-dependent trip count); the reference unrolls the
    trips the loop makes at these inputs, counted in NumPy (jax.grad cannot differentiate a while_loop)."""
    g, x = np.array([1.1, 1.3, 0.9], np.float32), _r(0, 3, scale=0.5)

    def body(p, h):
        return h * p["g"] + 0.5

    def fn(p, x):
        return lax.while_loop(lambda h: jnp.sum(h * h) < 4.0, lambda h: body(p, h), x)

    trips, h = 0, x
    while np.sum(h * h) < 4.0:
        h, trips = h * g + 0.5, trips + 1
    assert 2 <= trips <= 8, trips  # while_max_trips=8 in the sweep

    def unrolled(p, x):
        for _ in range(trips):
            x = body(p, x)
        return x
    return fn, {"g": g}, (x,), unrolled


@case("cond_switch_operands_pytree")
def _switch():
    def fn(p, x, y):
        k = jnp.clip(jnp.sum(x > 0), 0, 2)
        branches = [lambda a, b: (a * b, b), lambda a, b: (jnp.sin(a) + p["w"], b * 2), lambda a, b: (a @ p["m"], -b)]
        u, v = lax.switch(k, branches, x, y)
        return lax.cond(jnp.max(y) > 0.5, lambda t: t * p["w"], lambda t: jnp.exp(t), u), v
    return fn, {"w": _r(1, 4), "m": _r(2, 4, 4, scale=0.5)}, (_r(0, 3, 4), _r(3, 3, 4))


@case("custom_jvp_builtin_functions")
def _builtin_custom():
    def fn(p, x):
        h = x @ p["w"]
        return (jax.nn.relu(h), jax.nn.softplus(h), jax.nn.logsumexp(h, axis=-1), jax.nn.silu(h),
                jax.nn.log_softmax(h, axis=0), jax.scipy.special.logsumexp(h, axis=0, b=p["b"]))
    return fn, {"w": _r(1, 4, 5), "b": np.abs(_r(2, 5)) + 0.1}, (_r(0, 3, 4),)


@jax.custom_jvp
def _safe_log1pexp(x):
    return jnp.log1p(jnp.exp(x))


@_safe_log1pexp.defjvp
def _safe_log1pexp_jvp(primals, tangents):
    (x,), (t,) = primals, tangents
    return _safe_log1pexp(x), t * jax.nn.sigmoid(x)


@jax.custom_jvp
def _ste_round(x):
    """Straight-through rounding: the value rounds, the derivative is the identity's (not round's 0)."""
    return jnp.round(x)


@_ste_round.defjvp
def _ste_round_jvp(primals, tangents):
    return _ste_round(primals[0]), tangents[0]


@jax.custom_vjp
def _clip_gradient(x):
    return x


def _clip_fwd(x):
    return x, None


def _clip_bwd(_, g):
    return (jnp.clip(g, -0.5, 0.5),)


_clip_gradient.defvjp(_clip_fwd, _clip_bwd)


@case("custom_jvp_vjp_user_functions")
def _user_custom():
    """User custom_jvp rules (one the true derivative, one straight-through) and a custom_vjp that clips
    the cotangent: the rules are not the primal's derivatives, jax.grad of the same function is the reference."""
    def fn(p, x):
        h = x @ p["w"]
        return _safe_log1pexp(h) * 2.0, _clip_gradient(h) * 3.0, _ste_round(h * 2.0) * h
    return fn, {"w": _r(1, 4, 5)}, (_r(0, 3, 4),)


@case("linalg_det_norms")
def _linalg():
    """What jnp.linalg exports without a LAPACK kernel: small determinants (closed form) and norms. The
    LAPACK-based ones (cholesky, triangular solves, the LU-based solve / inv / slogdet) are mapped
    (test_jax_lapack.py); qr / eigh are refused by name (test_jax_custom_rules.py)."""
    def fn(p, a, b):  # a [3, 3], b [3, 2]
        m = a * p["s"] + 2 * jnp.eye(3)
        return (jnp.linalg.det(m), jnp.linalg.det(m[:2, :2]), jnp.linalg.norm(a), jnp.linalg.norm(b, axis=0, ord=1),
                jnp.linalg.norm(a, "fro"), jnp.linalg.norm(b, ord=jnp.inf, axis=1), jnp.linalg.norm(a @ b, axis=-1))
    return fn, {"s": _r(1, 3, 3) + 1.0}, (_r(0, 3, 3), _r(2, 3, 2))


@case("einsum_forms")
def _einsum():
    def fn(p, a, b):  # a [2, 3, 3], b [2, 3, 4]
        return (jnp.einsum("bii->b", a), jnp.einsum("bii->bi", a), jnp.einsum("bij,bjk->bik", a, b),
                jnp.einsum("...ij,...jk->...ik", a, b), jnp.einsum("i,j->ij", a[0, 0], p["v"]),
                jnp.einsum("bij,bij->", b, b), jnp.einsum("bij,jk,bkl->bil", a, p["m"], b), jnp.einsum("bij->j", b))
    return fn, {"v": _r(1, 5), "m": _r(2, 3, 3)}, (_r(0, 2, 3, 3), _r(3, 2, 3, 4))


@case("conv_general_dilated_layouts")
def _conv():
    def fn(p, x):  # x [2, 5, 6, 3] NHWC
        a = lax.conv_general_dilated(x, p["k"], (2, 1), "SAME", dimension_numbers=("NHWC", "OIHW", "NHWC"))
        b = lax.conv_general_dilated(x, p["k2"], (1, 1), [(1, 0), (2, 1)], lhs_dilation=(1, 2), rhs_dilation=(2, 1),
                                     dimension_numbers=("NHWC", "HWIO", "NCHW"))
        c = lax.conv_general_dilated(jnp.transpose(x, (0, 3, 1, 2)), p["k3"], (1, 1), "VALID", feature_group_count=3)
        return a, b, c
    return fn, {"k": _r(1, 4, 3, 3, 2, scale=0.4), "k2": _r(2, 2, 3, 3, 2, scale=0.4),
                "k3": _r(3, 6, 1, 2, 2, scale=0.4)}, (_r(0, 2, 5, 6, 3),)


@case("reductions_with_where")
def _where_red():
    def fn(p, x):  # x [3, 5]
        m = x > -0.3
        y = x * p["s"]
        return (jnp.sum(y, where=m), jnp.mean(y, axis=1, where=m), jnp.max(y, axis=0, where=m, initial=-2.0),
                jnp.min(y, axis=1, where=m, initial=3.0), jnp.var(y, axis=1, where=m), jnp.prod(y, axis=0, where=m),
                jax.nn.softmax(y, axis=-1, where=m))
    return fn, {"s": _r(1, 5) + 1.0}, (_r(0, 3, 5),)


@case("dynamic_slice_update_traced_starts")
def _dyn():
    def fn(p, x, u):  # x [4, 6], u [2, 3]; starts from the data (clamped into range as JAX does)
        i = jnp.argmax(x[:, 0])
        j = jnp.argmin(x[0])
        a = lax.dynamic_slice(x * p["s"], (i, j), (2, 3))
        b = lax.dynamic_update_slice(x, u * p["s"][:3], (i, 2))
        c = lax.dynamic_slice_in_dim(x, j, 2, axis=1)
        d = lax.dynamic_update_index_in_dim(x, u[0, :1].repeat(6) * 2.0, i, 0)
        return a, b, c, d
    return fn, {"s": _r(1, 6) + 1.0}, (_r(0, 4, 6), _r(2, 2, 3))


@case("transformer_block_prenorm")
def _block():
    def ln(x, g, b):
        m = x.mean(-1, keepdims=True)
        return (x - m) * lax.rsqrt(((x - m) ** 2).mean(-1, keepdims=True) + 1e-5) * g + b

    def fn(p, x):  # [B, T, D], 2 heads, causal
        b, t, d = x.shape
        h = ln(x, p["g1"], p["b1"])
        q, k, v = jnp.split(h @ p["qkv"]["w"] + p["qkv"]["b"], 3, axis=-1)
        q, k, v = [z.reshape(b, t, 2, d // 2).transpose(0, 2, 1, 3) for z in (q, k, v)]
        mask = jnp.tril(jnp.ones((t, t), bool))
        att = jax.nn.softmax(jnp.where(mask, q @ k.transpose(0, 1, 3, 2) / np.sqrt(d // 2), -1e9), axis=-1)
        x = x + (att @ v).transpose(0, 2, 1, 3).reshape(b, t, d) @ p["o"]
        h = ln(x, p["g2"], p["b2"])
        return x + jax.nn.gelu(h @ p["f1"]["w"] + p["f1"]["b"]) @ p["f2"]["w"]
    return fn, {"g1": _r(1, 8) + 1, "b1": _r(2, 8), "qkv": _dense(3, 8, 24), "o": _r(5, 8, 8, scale=0.35),
                "g2": _r(6, 8) + 1, "b2": _r(7, 8), "f1": _dense(8, 8, 16), "f2": _dense(10, 16, 8)}, (_r(0, 2, 4, 8),)


@case("transforms_and_cumulative_extremes")
def _transforms():
    """jax.checkpoint, lax.map, vmap and associative_scan inside the function, scan with unroll, argsort /
    clipped take / one_hot indexing, cumulative max / min (forward and reverse)."""
    def fn(p, x):  # [4, 3]
        a = jax.checkpoint(lambda z: jnp.sin(z @ p["w"]) * z[:, :1])(x)
        b = lax.map(lambda row: jnp.tanh(row @ p["w"]), x)
        c = jax.vmap(lambda row: jnp.outer(row, p["v"]).sum(0))(x)
        d = lax.associative_scan(jnp.add, x * p["v"], axis=0)
        e = jnp.take_along_axis(x * p["v"], jnp.argsort(x, axis=1), axis=1)
        f = jnp.take(x, jnp.array([0, 5, -1]), axis=1, mode="clip") * p["v"] + jax.nn.one_hot(jnp.argmax(x, 1), 3) * x
        g = lax.scan(lambda h, xi: (h * p["v"] + xi, h), jnp.zeros(3), x, unroll=2)[1]
        return a, b, c, d, e, f, g, lax.cummax(x * p["v"], axis=0), lax.cummin(x, axis=1, reverse=True)
    return fn, {"w": _r(1, 3, 3, scale=0.6), "v": _r(2, 3)}, (_r(0, 4, 3),)

"""Round 4 of the sweep's JAX functions: loops and branches in other shapes, reduce_window and
convolutions with dilations / groups / 1-d and 3-d, more jnp.linalg (qr, eigh, svd-based norms, batched
LU), jax.nn and jax.scipy.special. Same contract as jax_zoo.py."""
import jax
import jax.numpy as jnp
import jax.scipy.special as jsp
import numpy as np
from jax import lax

from .jax_zoo import _dense, _r, case


def _pos(seed, *shape, lo=0.2, hi=3.2):
    return np.random.default_rng(seed).uniform(lo, hi, shape).astype(np.float32)


@case("scipy_special_gamma_family")
def _gamma():
    def fn(p, x):  # x [3, 4] > 0.2
        y = x * p["s"]
        return (jsp.gammaln(y), jsp.digamma(y), lax.lgamma(y + 1), lax.digamma(y * 2), jsp.polygamma(1, y),
                jsp.multigammaln(y + 1, 2), jsp.betaln(y, x + 0.5))
    return fn, {"s": _pos(1, 3, 4, lo=0.8, hi=1.2)}, (_pos(0, 3, 4),)


@case("scipy_special_erf_ndtr_family")
def _erf_family():
    def fn(p, x, q):  # q [3, 4] in (0.05, 0.95)
        y = x * p["s"]
        return (jsp.erfinv(q * 2 - 1) * p["s"], lax.erf_inv(q - 0.5), jsp.ndtri(q) * y, jsp.ndtr(y), jsp.log_ndtr(y),
                jsp.erfc(y), jsp.logit(q) * y, jsp.expit(y), jsp.xlogy(q, q + x * x), jsp.xlog1py(q, x * x),
                jsp.entr(q) * y, jsp.i0e(y), jsp.i1e(y), jsp.logsumexp(y, axis=1))
    return fn, {"s": _pos(1, 3, 4, lo=0.8, hi=1.2)}, (_r(0, 3, 4), _pos(2, 3, 4, lo=0.05, hi=0.95))


@case("cumulative_logsumexp_reverse")
def _cum():
    def fn(p, x):  # [4, 5]
        y = x * p["s"]
        return (lax.cumlogsumexp(y, axis=1), lax.cumlogsumexp(y, axis=0, reverse=True), lax.cumsum(y, 0, reverse=True),
                lax.cumprod(y, 1), jnp.cumsum(y), lax.cummax(y, 1, reverse=True), jnp.diff(y, n=2, axis=1))
    return fn, {"s": _r(1, 4, 5) + 1.0}, (_r(0, 4, 5),)


@case("linalg_qr")
def _qr():
    def fn(p, a, s):  # a [4, 3]; s [2, 3, 3]
        q, r = jnp.linalg.qr(a * p["s"])
        qb, rb = jnp.linalg.qr(s)
        qc, rc = jnp.linalg.qr(a.T @ p["m"])  # wide [3, 4]
        return q, r, qb, rb, qc @ rc, jnp.linalg.qr(a, mode="r")
    return fn, {"s": _r(1, 4, 3) + 1.0, "m": _r(2, 4, 4)}, (_r(0, 4, 3), _r(3, 2, 3, 3))


@case("linalg_eigh")
def _eigh():
    def fn(p, a):  # a [2, 3, 3]: symmetrised; eigenvectors' signs pinned
        m = a * p["s"]
        sym = m + jnp.swapaxes(m, -1, -2)
        w, v = jnp.linalg.eigh(sym)
        v = v * jnp.sign(v[..., :1, :])
        return w, v, jnp.linalg.eigvalsh(sym[0] + 3 * jnp.eye(3)), jnp.linalg.eigh(sym, UPLO="U")[0]
    return fn, {"s": _r(1, 3, 3) + 1.0}, (_r(0, 2, 3, 3),)


@case("linalg_svd_norms_pinv")
def _svd():
    def fn(p, a):  # a [4, 3]
        m = a * p["s"]
        u, s, vt = jnp.linalg.svd(m, full_matrices=False)
        sign = jnp.sign(u[:1, :])
        return (s, u * sign, vt * sign.T, jnp.linalg.norm(m, 2), jnp.linalg.norm(m, "nuc"), jnp.linalg.pinv(m),
                jnp.linalg.matrix_rank(m) * s[0])
    return fn, {"s": _r(1, 4, 3) + 1.0}, (_r(0, 4, 3),)


@case("linalg_batched_lu_solve_inv")
def _lu_batched():
    def fn(p, a, b):  # a [2, 3, 4, 4]; b [2, 3, 4, 2]
        m = a * p["s"] + 4 * jnp.eye(4)
        sign, logdet = jnp.linalg.slogdet(m)
        return (jnp.linalg.solve(m, b), jnp.linalg.inv(m), sign * logdet, jnp.linalg.det(m),
                jax.scipy.linalg.lu_factor(m[0, 0])[0], jnp.linalg.matrix_power(m[0, 0] / 4, 3),
                jax.scipy.linalg.lu_factor(m[0, 0, :, :3] + b[0, 0, :, :1])[0],  # tall [4, 3]
                *jax.scipy.linalg.lu(b[0, 0, :3, :].T * p["s"][0, :3])[1:])  # wide [2, 3]: L, U
    return fn, {"s": _r(1, 4, 4) * 0.5}, (_r(0, 2, 3, 4, 4), _r(2, 2, 3, 4, 2))


@case("jax_nn_functions")
def _nn():
    def fn(p, x):  # [3, 6]
        y = x @ p["w"]
        return (jax.nn.glu(y, axis=-1), jax.nn.log_softmax(y, axis=0), jax.nn.logsumexp(y, axis=-1, keepdims=True),
                jax.nn.standardize(y, axis=-1), jax.nn.softmax(y, axis=(0, 1)), jax.nn.squareplus(y, 2.0),
                jax.nn.celu(y, 0.5), jax.nn.gelu(y, approximate=True), jax.nn.silu(y) * jax.nn.one_hot(
                    jnp.argmax(x, 1), 6), jax.nn.sparse_plus(y), jax.nn.log_sigmoid(-y), jax.nn.relu6(y * 4))
    return fn, {"w": _r(1, 6, 6, scale=0.6)}, (_r(0, 3, 6),)


@case("dot_product_attention_xla")
def _dpa():
    def fn(p, x):  # [B, T, N, H] = [2, 4, 2, 3]
        q = jnp.einsum("btnh,hk->btnk", x, p["wq"])
        out = jax.nn.dot_product_attention(q, x, x, is_causal=True, implementation="xla")
        mask = jnp.array([True, True, False, True])[None, None, None, :]
        return out, jax.nn.dot_product_attention(x, q, x, bias=p["b"], mask=mask, scale=0.7, implementation="xla")
    return fn, {"wq": _r(1, 3, 3), "b": _r(2, 1, 2, 4, 4, scale=0.3)}, (_r(0, 2, 4, 2, 3),)


@case("conv_3d_1d_dilations_groups")
def _conv():
    def fn(p, x, v):  # x [2, 4, 9] NCW; v [1, 2, 4, 5, 4] NCDHW
        a = lax.conv_general_dilated(x, p["k1"], (2,), [(3, 1)], rhs_dilation=(3,), feature_group_count=4)
        b = lax.conv_general_dilated(x, p["k2"], (1,), [(2, 1)], lhs_dilation=(2,), rhs_dilation=(2,),
                                     feature_group_count=2)
        c = lax.conv_general_dilated(v, p["k3"], (1, 2, 1), [(1, 1), (0, 1), (1, 0)], rhs_dilation=(1, 1, 2))
        d = lax.conv_transpose(jnp.transpose(x, (0, 2, 1)), p["kt"], (2,), "VALID", rhs_dilation=(2,),
                               dimension_numbers=("NWC", "WIO", "NWC"))
        return a, b, c, d
    return fn, {"k1": _r(1, 8, 1, 2, scale=0.5), "k2": _r(2, 4, 2, 3, scale=0.5), "k3": _r(3, 3, 2, 2, 2, 2, scale=0.4),
                "kt": _r(4, 2, 4, 3, scale=0.5)}, (_r(0, 2, 4, 9), _r(5, 1, 2, 4, 5, 4))


@case("reduce_window_dilated_min_sum")
def _rw():
    """(jax.grad has no max pool with window dilation: the dilated window here is a sum.)"""
    def fn(p, x):  # [2, 3, 7, 6] NCHW
        y = x * p["s"]
        a = lax.reduce_window(y, 0.0, lax.add, (1, 1, 2, 2), (1, 1, 1, 2), "VALID", window_dilation=(1, 1, 2, 1))
        b = lax.reduce_window(y, jnp.inf, lax.min, (1, 1, 3, 2), (1, 1, 2, 1), [(0, 0), (0, 0), (1, 1), (0, 1)])
        c = lax.reduce_window(y, 0.0, lax.add, (1, 1, 3, 3), (1, 1, 1, 1), "SAME")
        d = lax.reduce_window(y, 0.0, lax.add, (1, 1, 2, 2), (1, 1, 2, 2), "VALID", base_dilation=(1, 1, 2, 1))
        return a, b, c, d
    return fn, {"s": _r(1, 3, 1, 1) + 1.0}, (_r(0, 2, 3, 7, 6),)


@case("scan_length_only_nested_scan")
def _scan():
    def fn(p, x):  # x [3]
        def outer(c, _):
            inner = lax.scan(lambda h, w: (jnp.tanh(h * w + c[1]), h), c[0], p["ws"])
            return (inner[0], c[1] * 0.9), inner[1].sum(0)
        (h, _), ys = lax.scan(outer, (x, p["b"]), None, length=3)
        return h, ys
    return fn, {"ws": _r(1, 4, 3) * 0.5, "b": _r(2, 3)}, (_r(0, 3),)


@case("fori_loop_traced_bounds_while")
def _fori():
    """A fori_loop whose trip count is data (a while_loop); the reference is the same loop unrolled."""
    def body(p, i, h):
        return jnp.tanh(h @ p["w"] + i * 0.1)

    def fn(p, x):
        n = jnp.sum(x > -10.0).astype(jnp.int32) // 2  # 3, from the data
        return lax.fori_loop(0, n, lambda i, h: body(p, i, h), x)

    def unrolled(p, x):
        for i in range(3):
            x = body(p, i, x)
        return x
    return fn, {"w": _r(1, 3, 3, scale=0.6)}, (_r(0, 2, 3),), unrolled


@case("cond_in_scan_switch_from_data")
def _cond_scan():
    def fn(p, xs):  # [5, 3]
        def step(h, x):
            h = lax.cond(jnp.sum(x) > 0, lambda: h * p["a"] + x, lambda: jnp.sin(h) - x)
            k = jnp.clip(jnp.argmax(x), 0, 2)
            return h, lax.switch(k, [lambda v: v * p["a"], jnp.cos, lambda v: v ** 2], h)
        return lax.scan(step, jnp.zeros(3), xs)
    return fn, {"a": _r(1, 3)}, (_r(0, 5, 3),)


@case("while_loop_pytree_carry")
def _while():
    def body(p, c):
        h, acc = c
        h = jnp.tanh(h @ p["w"])
        return h, {"s": acc["s"] + h.sum(), "m": jnp.maximum(acc["m"], h)}

    def fn(p, x):
        def cond(c):
            return c[0] < 4
        h, acc = lax.while_loop(cond, lambda c: (c[0] + 1,) + body(p, c[1:]), (0, x, {"s": 0.0, "m": x}))[1:]
        return h, acc["s"], acc["m"]

    def unrolled(p, x):
        c = (x, {"s": 0.0, "m": x})
        for _ in range(4):
            c = body(p, c)
        return c[0], c[1]["s"], c[1]["m"]
    return fn, {"w": _r(1, 3, 3, scale=0.7)}, (_r(0, 2, 3),), unrolled


@case("select_clamp_pad_modes")
def _pads():
    def fn(p, x):  # [4, 5]
        y = x * p["s"]
        which = jnp.broadcast_to((jnp.argmax(x, 1) % 3)[:, None], y.shape)
        lo, hi = jnp.float32(-0.5), jnp.float32(0.7)  # (float32 bounds: other test files turn x64 on)
        return (lax.select_n(which, y, -y, y * 2), lax.clamp(lo, y, hi),
                jnp.pad(y, ((1, 2), (2, 1)), mode="reflect"), jnp.pad(y, 2, mode="edge"),
                jnp.pad(y, ((0, 3), (1, 1)), mode="wrap"), jnp.pad(y, 1, mode="symmetric"),
                jnp.pad(y, ((1, 0), (0, 2)), constant_values=0.5), lax.pad(y, jnp.float32(0.0), [(1, -1, 1), (0, 2, 0)]))
    return fn, {"s": _r(1, 4, 5) + 1.0}, (_r(0, 4, 5),)


@case("jnp_array_ops_more")
def _ops():
    def fn(p, x):  # [3, 4]
        y = x * p["s"]
        return (jnp.kron(y[:2, :2], x[:2, :2]), jnp.cross(y[:, :3], x[:, 1:]), jnp.tensordot(y, x, ([1], [1])),
                jnp.trace(y[:, :3]), jnp.rot90(y), jnp.repeat(y, 2, axis=0), jnp.tile(y, (2, 1)),
                jnp.polyval(y[0], x), jnp.convolve(y[0], x[1]), jnp.sort(y, axis=0), jnp.take_along_axis(
                    y, jnp.argsort(-y, 1), 1), jnp.sinc(y), jnp.hypot(y, x), jnp.copysign(y, x), jnp.logaddexp2(y, x),
                jnp.median(y, axis=1), jnp.quantile(y, 0.3, axis=0), jnp.var(y, ddof=1), jnp.ptp(y, axis=1))
    return fn, {"s": _r(1, 3, 4) + 1.0}, (_r(0, 3, 4),)


@case("image_resize_methods")
def _resize():
    def fn(p, x):  # [1, 5, 6, 2] NHWC
        y = x * p["s"]
        return (jax.image.resize(y, (1, 8, 9, 2), "linear"), jax.image.resize(y, (1, 10, 12, 2), "nearest"),
                jax.image.resize(y, (1, 7, 4, 2), "cubic"), jax.image.resize(y, (1, 3, 3, 2), "linear"),
                jax.image.scale_and_translate(y, (1, 8, 8, 2), (1, 2), jnp.array([1.4, 1.2]), jnp.array([0.3, -0.2]),
                                              "linear"))
    return fn, {"s": _r(1, 2) + 1.0}, (_r(0, 1, 5, 6, 2),)


@case("top_k_multi_operand_sort")
def _topk():
    def fn(p, x):  # [3, 6]
        y = x * p["s"]
        vals, idx = lax.top_k(y, 3)
        keys, carried = lax.sort((x, y), dimension=1, num_keys=1)
        return vals, jnp.take_along_axis(x, idx, 1) * vals, carried, keys * y, jnp.argsort(y, axis=0, descending=True)
    return fn, {"s": _r(1, 3, 6) + 1.0}, (_r(0, 3, 6),)


@case("mlp_layers_dropout_free_pinn")
def _pinn():
    """A PINN-style residual: the network's input gradient (jax.grad inside) is part of the output."""
    def net(p, x):
        h = jnp.tanh(x @ p["l1"]["w"] + p["l1"]["b"])
        return (h @ p["l2"]["w"] + p["l2"]["b"]).sum()

    def fn(p, x):  # [4, 2]
        du = jax.vmap(jax.grad(net, argnums=1), in_axes=(None, 0))(p, x)
        return du[:, 0] + 0.1 * du[:, 1] ** 2
    return fn, {"l1": _dense(1, 2, 5), "l2": _dense(3, 5, 1)}, (_r(0, 4, 2),)

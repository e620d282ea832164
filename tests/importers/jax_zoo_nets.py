"""Held-out JAX networks for the sweep, the JAX versions of zoo_vision_nets / zoo_sequence_science_nets as
users write them without flax: a ResNeXt block with batch statistics (grouped, dilated conv), a decoder of
lax.conv_transpose and a depth-to-space pixel shuffle, a causal dilated TCN, a bidirectional GRU (two
lax.scans, one reversed), attention with a key padding mask, a graph attention layer (segment_max /
segment_sum), a lower-triangular flow (solve_triangular, slogdet), a heat-equation PINN with a hard
constraint whose residual takes the network's second derivative (jax.hessian inside), a VQ codebook with
lax.stop_gradient (straight-through), capsule routing. Same contract as jax_zoo.py; float32 throughout."""
import jax
import jax.numpy as jnp
import jax.scipy.linalg as jsl
import numpy as np
from jax import lax

from .jax_zoo import _dense, _r, case

_F = np.float32
_NCHW = ("NCHW", "OIHW", "NCHW")


def _batch_norm(x, g, b, axes=(0, 2, 3)):  # training-mode batch norm: the batch's statistics, biased variance
    m = x.mean(axes, keepdims=True)
    v = ((x - m) ** 2).mean(axes, keepdims=True)
    shape = [1, -1] + [1] * (x.ndim - 2)
    return (x - m) * lax.rsqrt(v + _F(1e-5)) * g.reshape(shape) + b.reshape(shape)


@case("resnext_block_batch_stats_grouped_dilated")
def _resnext():
    def fn(p, x):  # [4, 8, 6, 6]
        h = jax.nn.relu(_batch_norm(lax.conv_general_dilated(x, p["w1"], (1, 1), "VALID", dimension_numbers=_NCHW),
                                    p["g1"], p["b1"]))
        h = lax.conv_general_dilated(h, p["w2"], (1, 1), [(2, 2), (2, 2)], rhs_dilation=(2, 2),
                                     feature_group_count=4, dimension_numbers=_NCHW)
        h = _batch_norm(h, p["g2"], p["b2"])
        return jax.nn.relu(h + x)
    ps = {"w1": _r(1, 8, 8, 1, 1, scale=0.4), "w2": _r(2, 8, 2, 3, 3, scale=0.3),
          "g1": 1 + _r(3, 8, scale=0.2), "b1": _r(4, 8, scale=0.1), "g2": 1 + _r(5, 8, scale=0.2),
          "b2": _r(6, 8, scale=0.1)}
    return fn, ps, (_r(0, 4, 8, 6, 6),)


@case("conv_transpose_decoder_pixel_shuffle")
def _deconv():
    def pixel_shuffle(x, r):  # [B, C r^2, H, W] -> [B, C, H r, W r], torch's channel order
        b, c, h, w = x.shape
        x = x.reshape(b, c // (r * r), r, r, h, w).transpose(0, 1, 4, 2, 5, 3)
        return x.reshape(b, c // (r * r), h * r, w * r)

    def fn(p, z):  # [2, 4, 3, 3]
        h = lax.conv_transpose(z, p["up"], (2, 2), "SAME", dimension_numbers=_NCHW)
        h = jax.nn.leaky_relu(h + p["b"].reshape(1, -1, 1, 1), 0.2)
        h = lax.conv_general_dilated(h, p["to_sub"], (1, 1), [(1, 1), (1, 1)], dimension_numbers=_NCHW)
        return jax.nn.sigmoid(pixel_shuffle(h, 2))
    ps = {"up": _r(1, 6, 4, 3, 3, scale=0.3), "b": _r(2, 6, scale=0.1), "to_sub": _r(3, 8, 6, 3, 3, scale=0.2)}
    return fn, ps, (_r(0, 2, 4, 3, 3),)


@case("tcn_causal_dilated_conv1d")
def _tcn():
    def conv(x, w, d):  # causal: pad only on the left, (k - 1) d
        return lax.conv_general_dilated(x, w, (1,), [((w.shape[-1] - 1) * d, 0)], rhs_dilation=(d,),
                                        dimension_numbers=("NCH", "OIH", "NCH"))

    def fn(p, x):  # [2, 3, 10]
        h = x
        for i, d in enumerate((1, 2, 4)):
            h = jax.nn.relu(conv(h, p[f"w{i}"], d)) + (h if i else conv(h, p["down"], 1))
        return h[:, :, -1] @ p["head"]
    ps = {"w0": _r(1, 4, 3, 3, scale=0.4), "w1": _r(2, 4, 4, 3, scale=0.3), "w2": _r(3, 4, 4, 3, scale=0.3),
          "down": _r(4, 4, 3, 1, scale=0.5), "head": _r(5, 4, 2)}
    return fn, ps, (_r(0, 2, 3, 10),)


@case("bigru_two_scans_reversed")
def _bigru():
    def cell(p, h, x):
        r = jax.nn.sigmoid(x @ p["wr"] + h @ p["ur"])
        z = jax.nn.sigmoid(x @ p["wz"] + h @ p["uz"])
        n = jnp.tanh(x @ p["wn"] + r * (h @ p["un"]))
        h = (1 - z) * n + z * h
        return h, h

    def fn(p, xs):  # [6, 2, 3] time-major
        h0 = jnp.zeros((xs.shape[1], 4), xs.dtype)
        hf, yf = lax.scan(lambda h, x: cell(p["fwd"], h, x), h0, xs)
        hb, yb = lax.scan(lambda h, x: cell(p["bwd"], h, x), h0, xs, reverse=True)
        return jnp.concatenate([yf, yb], -1), hf + hb

    def gates(seed):
        return {k: _r(seed + i, 3 if k[0] == "w" else 4, 4, scale=0.5)
                for i, k in enumerate(("wr", "ur", "wz", "uz", "wn", "un"))}
    return fn, {"fwd": gates(10), "bwd": gates(20)}, (_r(0, 6, 2, 3),)


@case("attention_key_padding_mask_where")
def _attn():
    keep = np.array([[1, 1, 1, 1, 1], [1, 1, 0, 0, 0]], _F)  # 1: a token, 0: padding

    def fn(p, x):  # x [2, 5, 8]
        q, k, v = (x @ p[n] for n in ("wq", "wk", "wv"))
        s = jnp.einsum("btd,bsd->bts", q, k) / np.sqrt(_F(8))
        s = jnp.where(keep[:, None, :] > 0, s, -jnp.inf)
        a = jax.nn.softmax(s, -1) @ v
        pooled = (a * keep[..., None]).sum(1) / keep.sum(1, keepdims=True)
        return pooled @ p["out"]["w"] + p["out"]["b"]
    ps = {"wq": _r(1, 8, 8, scale=0.3), "wk": _r(2, 8, 8, scale=0.3), "wv": _r(3, 8, 8, scale=0.3),
          "out": _dense(4, 8, 3)}
    return fn, ps, (_r(0, 2, 5, 8),)


_SRC = np.array([0, 1, 1, 2, 3, 3, 4, 0, 2])
_DST = np.array([1, 0, 2, 1, 2, 4, 3, 3, 4])


@case("gat_segment_max_segment_sum")
def _gat():
    def fn(p, x):  # [5, 3] node features, a fixed 9-edge graph, 2 heads of 4
        h = (x @ p["w"]).reshape(5, 2, 4)
        e = jax.nn.leaky_relu((h * p["a_src"]).sum(-1)[_SRC] + (h * p["a_dst"]).sum(-1)[_DST], 0.2)
        m = jax.ops.segment_max(e, _DST, num_segments=5)
        w = jnp.exp(e - m[_DST])
        alpha = w / jax.ops.segment_sum(w, _DST, num_segments=5)[_DST]
        return jax.nn.elu(jax.ops.segment_sum(alpha[..., None] * h[_SRC], _DST, num_segments=5).reshape(5, 8))
    ps = {"w": _r(1, 3, 8, scale=0.5), "a_src": _r(2, 2, 4), "a_dst": _r(3, 2, 4)}
    return fn, ps, (_r(0, 5, 3),)


@case("triangular_flow_solve_slogdet")
def _tri_flow():
    def fn(p, x):  # [4, 3]: log p(x) under x = L z + mu, z ~ N(0, I)
        L = jnp.tril(p["lower"], -1) + jnp.diag(jnp.exp(p["log_diag"]))
        z = jsl.solve_triangular(L, (x - p["mu"]).T, lower=True).T
        logp = -0.5 * (z ** 2).sum(-1) - _F(0.5 * 3 * np.log(2 * np.pi))
        return logp - jnp.linalg.slogdet(L)[1], z
    ps = {"lower": _r(1, 3, 3, scale=0.3), "log_diag": _r(2, 3, scale=0.2), "mu": _r(3, 3, scale=0.1)}
    return fn, ps, (_r(0, 4, 3),)


@case("pinn_heat_hard_constraint_hessian")
def _pinn():
    def u(p, xt):  # u(x, t) = sin(pi x) (1 - t) + x (1 - x) t N(x, t): the boundary and initial data exact
        h = jnp.tanh(xt @ p["l1"]["w"] + p["l1"]["b"])
        n = (jnp.tanh(h @ p["l2"]["w"] + p["l2"]["b"]) @ p["l3"]["w"] + p["l3"]["b"])[0]
        x, t = xt[0], xt[1]
        return jnp.sin(_F(np.pi) * x) * (1 - t) + x * (1 - x) * t * n

    def fn(p, pts):  # [6, 2] collocation points: the heat equation's residual u_t - 0.1 u_xx, and u
        u_t = jax.vmap(jax.grad(u, argnums=1), (None, 0))(p, pts)[:, 1]
        u_xx = jax.vmap(jax.hessian(u, argnums=1), (None, 0))(p, pts)[:, 0, 0]
        return u_t - _F(0.1) * u_xx, jax.vmap(u, (None, 0))(p, pts)
    ps = {"l1": _dense(1, 2, 6), "l2": _dense(3, 6, 6), "l3": _dense(5, 6, 1)}
    return fn, ps, (np.random.default_rng(7).uniform(0, 1, (6, 2)).astype(_F),)


@case("vq_codebook_stop_gradient_straight_through")
def _vq():
    def fn(p, z):  # [6, 4] encoder outputs, 5 codes
        cb = p["codebook"]
        d = (z ** 2).sum(1, keepdims=True) - 2 * z @ cb.T + (cb ** 2).sum(1)
        q = cb[jnp.argmin(d, 1)]
        commit = ((z - lax.stop_gradient(q)) ** 2).mean() + 0.25 * ((q - lax.stop_gradient(z)) ** 2).mean()
        return jnp.tanh((z + lax.stop_gradient(q - z)) @ p["dec"]), commit
    return fn, {"codebook": _r(1, 5, 4), "dec": _r(2, 4, 3, scale=0.5)}, (_r(0, 6, 4),)


@case("capsule_routing_squash")
def _caps():
    def squash(s):
        n2 = (s ** 2).sum(-1, keepdims=True)
        return n2 / (1 + n2) * s / jnp.sqrt(n2 + _F(1e-8))

    def fn(p, u):  # [2, 6, 4] primary capsules -> 3 capsules of 5, 3 routing iterations
        u_hat = jnp.einsum("ijdk,bik->bijd", p["W"], squash(u))
        logits = jnp.zeros(u_hat.shape[:3], u.dtype)
        for _ in range(3):
            v = squash((jax.nn.softmax(logits, 2)[..., None] * u_hat).sum(1))
            logits = logits + (u_hat * v[:, None]).sum(-1)
        return jnp.linalg.norm(v, axis=-1), v
    return fn, {"W": _r(1, 6, 3, 5, 4, scale=0.3)}, (_r(0, 2, 6, 4),)

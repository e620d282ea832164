"""Held-out JAX functions for the sweep (round 9, kinds not in earlier rounds), plain jax as users write them:
log-domain Sinkhorn optimal transport under lax.fori_loop, a rational-quadratic spline flow with
jnp.searchsorted and its log-determinant, a linear-chain CRF negative log-likelihood by the forward algorithm
under lax.scan, an Instant-NGP hash-grid encoding (uint32 hashing: multiply by a prime, XOR, wrap-around) and
LISTA (soft thresholding unrolled by lax.fori_loop with per-layer learned thresholds). (Poincare distances and a
ConvLSTM are PyTorch models in zoo_round9.py; their JAX forms add no importer path the sweep lacks.)"""
import math

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax

from .jax_zoo import _dense, _r, case


@case("sinkhorn_log_domain_fori_loop")
def _sinkhorn():
    eps = 0.3

    def fn(p, x, y):  # x [5, 3], y [4, 3]
        xp = x @ p["w"] + p["b"]
        c = jnp.sum((xp[:, None] - y[None]) ** 2, -1)
        la, lb = jnp.full((5,), -math.log(5.0)), jnp.full((4,), -math.log(4.0))

        def body(_, fg):
            f, g = fg
            f = -eps * jax.nn.logsumexp((g[None] - c) / eps + lb[None], 1)
            g = -eps * jax.nn.logsumexp((f[:, None] - c) / eps + la[:, None], 0)
            return f, g
        f, g = lax.fori_loop(0, 8, body, (jnp.zeros(5), jnp.zeros(4)))
        plan = jnp.exp((f[:, None] + g[None] - c) / eps + la[:, None] + lb[None])
        return jnp.sum(plan * c), plan
    return fn, _dense(90, 3, 3), (_r(1, 5, 3), _r(2, 4, 3))


@case("rq_spline_flow_searchsorted_logdet")
def _spline():
    k, bound = 5, 3.0

    def fn(p, x):  # x [6, 2]: the spline transforms column 1 conditioned on column 0
        h = jnp.tanh(x[:, :1] @ p["w1"] + p["b1"]) @ p["w2"] + p["b2"]  # [6, 3k - 1]
        w = jax.nn.softmax(h[:, :k], -1) * 2 * bound
        hg = jax.nn.softmax(h[:, k:2 * k], -1) * 2 * bound
        d = jnp.pad(jax.nn.softplus(h[:, 2 * k:]) + 1e-3, ((0, 0), (1, 1)), constant_values=1.0)
        cw = jnp.pad(jnp.cumsum(w, -1), ((0, 0), (1, 0))) - bound
        ch = jnp.pad(jnp.cumsum(hg, -1), ((0, 0), (1, 0))) - bound
        x2 = x[:, 1]
        inside = (x2 > -bound) & (x2 < bound)
        xc = jnp.clip(x2, -bound + 1e-4, bound - 1e-4)
        idx = jnp.clip(jax.vmap(jnp.searchsorted)(cw[:, 1:-1], xc), 0, k - 1)[:, None]
        g = lambda t: jnp.take_along_axis(t, idx, 1)[:, 0]  # noqa: E731
        x0, y0, wk, hk, d0, d1 = g(cw), g(ch), g(w), g(hg), g(d), g(d[:, 1:])
        s, t = hk / wk, (xc - x0) / wk
        den = s + (d1 + d0 - 2 * s) * t * (1 - t)
        y = y0 + hk * (s * t * t + d0 * t * (1 - t)) / den
        dy = s * s * (d1 * t * t + 2 * s * t * (1 - t) + d0 * (1 - t) ** 2) / den ** 2
        return jnp.stack([x[:, 0], jnp.where(inside, y, x2)], 1), jnp.sum(jnp.where(inside, jnp.log(dy), 0.0))
    p = {"w1": _r(91, 1, 8), "b1": _r(92, 8, scale=0.1), "w2": _r(93, 8, 3 * k - 1, scale=0.5),
         "b2": _r(94, 3 * k - 1, scale=0.1)}
    x = _r(3, 6, 2, scale=1.5)
    x[0, 1] = -3.6  # outside the interval: identity
    return fn, p, (x,)


@case("crf_nll_forward_algorithm_scan")
def _crf():
    tags = jnp.array([0, 2, 1, 1, 0])  # the gold tags (the sweep differentiates every input: a constant here)

    def fn(p, x):  # x [5, 4] features of one sentence
        e = x @ p["emit"]["w"] + p["emit"]["b"]  # [5, 3]
        gold = p["start"][tags[0]] + e[0, tags[0]] + p["end"][tags[-1]]
        gold = gold + jnp.sum(p["trans"][tags[:-1], tags[1:]]) + jnp.sum(jnp.take_along_axis(e[1:], tags[1:, None], 1))

        def step(alpha, et):
            return jax.nn.logsumexp(alpha[:, None] + p["trans"] + et[None], 0), None
        alpha, _ = lax.scan(step, p["start"] + e[0], e[1:])
        return jax.nn.logsumexp(alpha + p["end"]) - gold
    p = {"emit": _dense(95, 4, 3), "trans": _r(96, 3, 3, scale=0.5), "start": _r(97, 3, scale=0.5),
         "end": _r(98, 3, scale=0.5)}
    return fn, p, (_r(4, 5, 4),)


@case("hash_grid_uint32_xor_bilinear")
def _hash_grid():
    table, res = 16, (3, 7)

    def fn(p, x):  # x [6, 2] in [0, 1)
        feats = []
        for lv, r in enumerate(res):
            q = x * r
            q0 = jnp.floor(q)
            fr = q - q0
            c = q0.astype(jnp.uint32)
            acc = 0.0
            for dx in (0, 1):
                for dy in (0, 1):
                    h = (c[:, 0] + dx) ^ ((c[:, 1] + dy) * jnp.uint32(2654435761))  # wraps modulo 2^32
                    wgt = (fr[:, 0] if dx else 1 - fr[:, 0]) * (fr[:, 1] if dy else 1 - fr[:, 1])
                    acc = acc + p["tables"][lv][(h % table).astype(jnp.int32)] * wgt[:, None]
            feats.append(acc)
        return jax.nn.relu(jnp.concatenate(feats, -1) @ p["mlp"]["w"] + p["mlp"]["b"])
    x = np.random.default_rng(7).uniform(0, 1, (6, 2)).astype(np.float32)
    return fn, {"tables": _r(99, 2, table, 2, scale=0.5), "mlp": _dense(100, 4, 3)}, (x,)


@case("lista_fori_loop_soft_threshold")
def _lista():
    def soft(u, th):
        return jnp.sign(u) * jax.nn.relu(jnp.abs(u) - th)

    def fn(p, y):  # y [3, 5]
        b = y @ p["we"]

        def body(k, z):
            return soft(b + z @ p["s"], jnp.asarray(p["theta"])[k])
        return lax.fori_loop(1, 4, body, soft(b, p["theta"][0]))
    p = {"we": _r(105, 5, 8, scale=0.5), "s": _r(106, 8, 8, scale=0.3),
         "theta": (0.1 + 0.05 * np.arange(8) + _r(107, 4, 8, scale=0.02)).astype(np.float32)}
    return fn, p, (_r(9, 3, 5, scale=2.0),)

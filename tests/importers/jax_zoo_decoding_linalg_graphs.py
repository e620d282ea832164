"""Held-out JAX functions for the sweep (round 8, by topic: decoding loops, linear algebra inside models,
graphs, recurrences), plain jax (no flax) as users write them: a transformer decoder that decodes greedily
under lax.while_loop until an end token (a KV-free re-encode each step), a GP marginal likelihood by
cholesky / solve / slogdet, a spectral layer by eigh (a learned function of a symmetric matrix's
eigenvalues), message passing by jax.ops.segment_sum with a segment_max readout, RWKV's WKV recurrence under
lax.scan, RetNet's recurrent retention under lax.scan, a linear-Gaussian Kalman filter log-likelihood
(solve, slogdet per step under lax.scan) and a VAE ELBO with fixed noise plus a mixture density NLL."""
import math

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax

from .jax_zoo import _dense, _r, case


def _lin(p, x):
    return x @ p["w"] + p["b"]


@case("transformer_greedy_decode_while_loop")
def _greedy_decode():
    vocab, d, t_max = 6, 8, 6

    def block(p, h):  # one causal self-attention + MLP block over h [t_max, d]
        t = h.shape[0]
        q, k, v = _lin(p["q"], h), _lin(p["k"], h), _lin(p["v"], h)
        s = jnp.where(jnp.tril(jnp.ones((t, t), bool)), q @ k.T / math.sqrt(d), -1e9)
        h = h + jax.nn.softmax(s, -1) @ v
        return h + _lin(p["f2"], jax.nn.gelu(_lin(p["f1"], h)))

    def decode(p, prompt, loop):  # prompt [d]: an encoded condition; tokens until token 0 or t_max
        def logits_at(toks, i):
            h = jnp.take(p["emb"], toks, axis=0) + p["pos"] + prompt
            return block(p, h)[i] @ p["emb"].T

        def cond(c):
            i, toks, score = c
            return (i < t_max - 1) & ((i == 0) | (toks[i] != 0))

        def body(c):
            i, toks, score = c
            lg = logits_at(toks, i)
            nxt = jnp.argmax(lg)
            return i + 1, toks.at[i + 1].set(nxt), score + jax.nn.log_softmax(lg)[nxt]
        _, toks, score = loop(cond, body, (0, jnp.full((t_max,), 1, jnp.int32), jnp.zeros(())))
        return score, toks.astype(jnp.float32)

    def unrolled(cond, body, c):  # jax.grad cannot reverse a while_loop: the reference masks finished steps
        for _ in range(t_max - 1):
            go = cond(c)
            c = jax.tree_util.tree_map(lambda new, old: jnp.where(go, new, old), body(c), c)
        return c

    p = {"emb": _r(1, vocab, d, scale=0.7), "pos": _r(2, t_max, d, scale=0.3), "q": _dense(3, d, d),
         "k": _dense(5, d, d), "v": _dense(7, d, d), "f1": _dense(9, d, 16), "f2": _dense(11, 16, d)}
    return (lambda p, x: decode(p, x, lax.while_loop)), p, (_r(0, d),), lambda p, x: decode(p, x, unrolled)


@case("gp_marginal_likelihood_cholesky_solve_slogdet")
def _gp_mll():
    def fn(p, x, y):  # x [6, 2], y [6]: -log p(y | x) under an ARD RBF kernel plus noise
        ls, amp, noise = jnp.exp(p["log_ls"]), jnp.exp(p["log_amp"]), jnp.exp(p["log_noise"])
        d = (x[:, None, :] - x[None, :, :]) / ls
        k = amp * jnp.exp(-0.5 * jnp.sum(d * d, -1)) + (noise + 1e-3) * jnp.eye(x.shape[0])
        l_ = jnp.linalg.cholesky(k)
        alpha = jnp.linalg.solve(k, y)
        _, logdet = jnp.linalg.slogdet(k)
        fit = 0.5 * y @ alpha
        return fit + 0.5 * logdet + 0.5 * x.shape[0] * math.log(2 * math.pi), jnp.sum(jnp.log(jnp.diag(l_)))
    p = {"log_ls": np.array([0.2, -0.3], np.float32), "log_amp": np.array(0.1, np.float32),
         "log_noise": np.array(-1.5, np.float32)}
    return fn, p, (_r(0, 6, 2), _r(1, 6))


@case("eigh_spectral_matrix_function_layer")
def _eigh_layer():
    def fn(p, x):  # x [4, 3]: y = f(S) x with S symmetric from the weights, f = softplus on the spectrum
        a = p["a"]
        s = (a + a.T) / 2 + p["shift"] * jnp.eye(3)
        lam, q = jnp.linalg.eigh(s)
        fs = (q * jax.nn.softplus(lam)) @ q.T
        return jnp.tanh(x @ fs), lam
    return fn, {"a": _r(1, 3, 3), "shift": np.array([0.0, 1.5, 3.0], np.float32)}, (_r(0, 4, 3),)


@case("segment_sum_message_passing_segment_max_readout")
def _segment_mp():
    src = np.array([0, 1, 2, 3, 4, 5, 0, 2, 4], np.int32)
    dst = np.array([1, 2, 0, 4, 5, 3, 2, 1, 3], np.int32)
    graph = np.array([0, 0, 0, 1, 1, 1], np.int32)

    def fn(p, x, e):  # x [6, 4] nodes; e [9, 2] edge features; two graphs of three nodes
        h = x
        for layer in ("l1", "l2"):
            msg = jax.nn.relu(_lin(p[layer]["msg"], jnp.concatenate([h[src], e], -1)))
            agg = jax.ops.segment_sum(msg, dst, num_segments=6)
            deg = jax.ops.segment_sum(jnp.ones(9), dst, num_segments=6)
            h = jnp.tanh(_lin(p[layer]["upd"], jnp.concatenate([h, agg / jnp.maximum(deg, 1)[:, None]], -1)))
        return jax.ops.segment_max(h, graph, num_segments=2) + jax.ops.segment_sum(h, graph, num_segments=2) / 3
    p = {"l1": {"msg": _dense(1, 6, 5), "upd": _dense(3, 9, 5)}, "l2": {"msg": _dense(5, 7, 5), "upd": _dense(7, 10, 5)}}
    return fn, p, (_r(0, 6, 4), _r(2, 9, 2))


@case("rwkv_wkv_scan_token_shift")
def _rwkv_scan():
    def fn(p, x):  # x [5, 4]: one sequence
        prev = jnp.concatenate([jnp.zeros((1, x.shape[1])), x[:-1]], 0)
        k = _lin(p["k"], x * p["mk"] + prev * (1 - p["mk"]))
        v = _lin(p["v"], x * p["mv"] + prev * (1 - p["mv"]))
        r = jax.nn.sigmoid(_lin(p["r"], x))
        w = jnp.exp(-jnp.exp(p["decay"]))

        def step(c, kv):
            num, den = c
            kt, vt = kv
            e = jnp.exp(p["first"] + kt)
            out = (num + e * vt) / (den + e)
            return (w * num + jnp.exp(kt) * vt, w * den + jnp.exp(kt)), out
        _, wkv = lax.scan(step, (jnp.zeros(4), jnp.zeros(4)), (k, v))
        return _lin(p["o"], r * wkv)
    p = {"k": _dense(1, 4, 4), "v": _dense(3, 4, 4), "r": _dense(5, 4, 4), "o": _dense(7, 4, 3),
         "mk": np.linspace(0.2, 0.8, 4).astype(np.float32), "mv": np.linspace(0.7, 0.3, 4).astype(np.float32),
         "decay": np.linspace(-1, 0.5, 4).astype(np.float32), "first": np.full(4, 0.3, np.float32)}
    return fn, p, (_r(0, 5, 4, scale=0.5),)


@case("retnet_recurrent_retention_scan")
def _retnet_scan():
    def fn(p, x):  # x [6, 4]: S_t = gamma S_{t-1} + k_t^T v_t, o_t = q_t S_t, two heads of 2
        q, k, v = (_lin(p[n], x).reshape(6, 2, 2) for n in ("q", "k", "v"))
        gamma = 1 - 2.0 ** (-5 - jnp.arange(2.0))

        def step(s, qkv):
            qt, kt, vt = qkv
            s = gamma[:, None, None] * s + kt[:, :, None] * vt[:, None, :]
            return s, jnp.einsum("hd,hde->he", qt, s)
        _, o = lax.scan(step, jnp.zeros((2, 2, 2)), (q, k, v))
        o = o.reshape(6, 4)
        mu, var = o.mean(-1, keepdims=True), o.var(-1, keepdims=True)
        return _lin(p["o"], jax.nn.silu(_lin(p["g"], x)) * (o - mu) / jnp.sqrt(var + 1e-5))
    p = {n: _dense(i, 4, 4) for i, n in enumerate(("q", "k", "v", "g", "o"))}
    return fn, p, (_r(0, 6, 4),)


@case("kalman_filter_loglik_scan_solve_slogdet")
def _kalman():
    def fn(p, ys):  # ys [5, 2] observations of a 2-d latent linear-Gaussian state
        a, c = p["a"], p["c"]
        q, r = jnp.diag(jnp.exp(p["log_q"])), jnp.diag(jnp.exp(p["log_r"]))

        def step(carry, y):
            m, pc, ll = carry
            m, pc = a @ m, a @ pc @ a.T + q
            s = c @ pc @ c.T + r
            resid = y - c @ m
            _, logdet = jnp.linalg.slogdet(s)
            ll = ll - 0.5 * (resid @ jnp.linalg.solve(s, resid) + logdet + 2 * math.log(2 * math.pi))
            gain = jnp.linalg.solve(s, c @ pc).T
            return (m + gain @ resid, pc - gain @ c @ pc, ll), m
        (_, _, ll), means = lax.scan(step, (jnp.zeros(2), jnp.eye(2), jnp.zeros(())), ys)
        return ll, means
    p = {"a": np.array([[0.9, 0.1], [-0.2, 0.8]], np.float32), "c": _r(1, 2, 2, scale=0.8) + np.eye(2, dtype=np.float32),
         "log_q": np.array([-1.0, -1.5], np.float32), "log_r": np.array([-0.5, -0.8], np.float32)}
    return fn, p, (_r(0, 5, 2),)


@case("vae_elbo_fixed_noise_mdn_head")
def _vae_mdn():
    def fn(p, x, eps, y):  # x [4, 6] in (0, 1); eps [4, 2] fixed noise; y [4] a target for the MDN head
        e = jax.nn.softplus(_lin(p["enc"], x))
        mu, logvar = _lin(p["mu"], e), _lin(p["lv"], e)
        z = mu + jnp.exp(0.5 * logvar) * eps
        logits = _lin(p["dec"], jnp.tanh(z))
        rec = jnp.sum(jax.nn.softplus(logits) - x * logits, -1)  # Bernoulli NLL with logits
        kl = -0.5 * jnp.sum(1 + logvar - mu ** 2 - jnp.exp(logvar), -1)
        log_pi = jax.nn.log_softmax(_lin(p["pi"], z), -1)  # a 3-component 1-d mixture density head on z
        m, log_s = _lin(p["m"], z), jnp.clip(_lin(p["s"], z), -3, 3)
        log_n = -0.5 * ((y[:, None] - m) * jnp.exp(-log_s)) ** 2 - log_s - 0.5 * math.log(2 * math.pi)
        return jnp.mean(rec + kl), -jnp.mean(jax.nn.logsumexp(log_pi + log_n, -1))
    p = {"enc": _dense(1, 6, 5), "mu": _dense(3, 5, 2), "lv": _dense(5, 5, 2), "dec": _dense(7, 2, 6),
         "pi": _dense(9, 2, 3), "m": _dense(11, 2, 3), "s": _dense(13, 2, 3)}
    x = np.random.default_rng(0).uniform(0.05, 0.95, (4, 6)).astype(np.float32)
    return fn, p, (x, _r(1, 4, 2), _r(2, 4))

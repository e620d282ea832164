"""Held-out JAX functions for the sweep (round 12, kinds not in earlier rounds), plain jax as users write them: a
Lagrangian neural network (jax.hessian of the learned Lagrangian inside the function, the Euler-Lagrange
accelerations by a linear solve, per sample by vmap), a WGAN-GP critic loss (jax.grad of the critic at interpolates
inside the function), a leaky integrate-and-fire spiking network under lax.scan with a surrogate-gradient spike
(jax.custom_vjp: a step forward, a fast-sigmoid derivative backward), the Cox partial likelihood (argsort, a
reverse cumulative logsumexp over risk sets), MLP-Mixer with a gMLP spatial gating unit, and StyleGAN2's modulated,
demodulated convolution run as one grouped lax.conv_general_dilated."""
import jax
import jax.numpy as jnp
import numpy as np
from jax import lax

from .jax_zoo import _dense, _r, case


def _mlp2(p, s):
    return (jax.nn.softplus(s @ p["w1"] + p["b1"]) @ p["w2"]).sum()


@case("lagrangian_nn_hessian_solve_vmap")
def _lnn():
    n = 2

    def lagrangian(p, s):  # s [2n]: q, qd; a learned potential-like term plus the kinetic energy
        return _mlp2(p, s) + 0.5 * (s[n:] ** 2).sum()

    def fn(p, s):  # s [b, 2n] -> qdd [b, n]
        def acc(si):
            g = jax.grad(lagrangian, 1)(p, si)
            h = jax.hessian(lagrangian, 1)(p, si)
            return jnp.linalg.solve(h[n:, n:], g[:n] - h[n:, :n] @ si[n:])
        return jax.vmap(acc)(s)
    params = {"w1": _r(200, 2 * n, 6, scale=0.5), "b1": _r(201, 6, scale=0.1), "w2": _r(202, 6, scale=0.5)}
    return fn, params, (_r(1, 3, 2 * n),)


@case("wgan_gp_critic_grad_inside_penalty")
def _wgan_gp():
    def critic(p, x):
        h = jnp.tanh(x @ p["l1"]["w"] + p["l1"]["b"])
        return (jnp.tanh(h @ p["l2"]["w"] + p["l2"]["b"]) @ p["out"])[..., 0]

    def fn(p, real, fake, eps):  # [b, d], [b, d], [b, 1]
        xh = eps * real + (1 - eps) * fake
        gx = jax.vmap(jax.grad(lambda v: critic(p, v)))(xh)
        penalty = ((jnp.sqrt((gx ** 2).sum(-1) + 1e-12) - 1) ** 2).mean()
        return critic(p, fake).mean() - critic(p, real).mean() + 10.0 * penalty
    params = {"l1": _dense(210, 4, 8), "l2": _dense(212, 8, 8), "out": _r(214, 8, 1, scale=0.4)}
    eps = np.random.default_rng(3).uniform(size=(5, 1)).astype(np.float32)
    return fn, params, (_r(1, 5, 4), _r(2, 5, 4), eps)


@jax.custom_vjp
def _spike(v):
    return (v > 0).astype(v.dtype)


def _spike_fwd(v):
    return _spike(v), v


def _spike_bwd(v, g):  # the fast-sigmoid surrogate (SuperSpike): 1 / (1 + 10 |v|)^2
    return (g / (1 + 10 * jnp.abs(v)) ** 2,)


_spike.defvjp(_spike_fwd, _spike_bwd)


@case("lif_spiking_scan_custom_vjp_surrogate")
def _lif():
    def fn(p, x):  # x [t, b, d] input currents -> output spike counts [b, o], mean output potential (+ layer 1's)
        def step(carry, xt):
            v1, v2 = carry
            v1 = 0.8 * v1 + xt @ p["w1"] - 0.5
            s1 = _spike(v1)
            v2 = 0.8 * v2 + s1 @ p["w2"] - 0.5
            s2 = _spike(v2)
            return (v1 * (1 - s1), v2 * (1 - s2)), (s2, v2)  # reset to zero after a spike
        b = x.shape[1]
        (v1, _), (spikes, pots) = lax.scan(step, (jnp.zeros((b, 6)), jnp.zeros((b, 3))), x)
        return spikes.sum(0), pots.mean(0) + 0.1 * v1.sum(-1, keepdims=True)
    return fn, {"w1": _r(220, 4, 6, scale=1.2), "w2": _r(221, 6, 3, scale=1.2)}, (_r(1, 6, 2, 4, scale=1.5),)


@case("cox_partial_likelihood_argsort_cumlogsumexp")
def _cox():
    def fn(p, x, time, event):  # x [n, d], time [n] distinct, event [n] 0 / 1
        r = (jax.nn.selu(x @ p["l1"]["w"] + p["l1"]["b"]) @ p["l2"]["w"] + p["l2"]["b"])[:, 0]
        order = jnp.argsort(time)  # ascending: the risk set of i (t_j >= t_i) is the suffix from i
        r, e = r[order], event[order]
        risk = lax.cumlogsumexp(r, reverse=True)
        return -((r - risk) * e).sum() / e.sum(), r
    time = np.array([3.0, 1.5, 7.2, 0.4, 5.1, 2.2, 6.3], np.float32)
    event = np.array([1.0, 0.0, 1.0, 1.0, 0.0, 1.0, 1.0], np.float32)
    return fn, {"l1": _dense(230, 4, 6), "l2": _dense(232, 6, 1)}, (_r(1, 7, 4), time, event)


def _layer_norm(x, g, b):
    mu, var = x.mean(-1, keepdims=True), x.var(-1, keepdims=True)
    return (x - mu) * lax.rsqrt(var + 1e-5) * g + b


@case("mlp_mixer_gmlp_spatial_gating_unit")
def _mixer():
    t, c = 6, 8

    def fn(p, x):  # x [b, t, c]
        y = _layer_norm(x, *p["n1"]).swapaxes(1, 2)
        x = x + (jax.nn.gelu(y @ p["tok1"]["w"] + p["tok1"]["b"]) @ p["tok2"]["w"] + p["tok2"]["b"]).swapaxes(1, 2)
        x = x + jax.nn.gelu(_layer_norm(x, *p["n2"]) @ p["ch1"]["w"] + p["ch1"]["b"]) @ p["ch2"]["w"] + p["ch2"]["b"]
        u, v = jnp.split(jax.nn.gelu(_layer_norm(x, *p["n3"]) @ p["up"]["w"] + p["up"]["b"]), 2, -1)
        v = jnp.einsum("st,btc->bsc", p["spatial"]["w"], _layer_norm(v, *p["n4"])) + p["spatial"]["b"][:, None]
        return x + (u * v) @ p["down"]["w"] + p["down"]["b"]
    norms = {f"n{i}": (1 + _r(240 + i, c, scale=0.1), _r(250 + i, c, scale=0.1)) for i in (1, 2, 3)}
    norms["n4"] = (1 + _r(244, c, scale=0.1), _r(254, c, scale=0.1))
    params = dict(norms, tok1=_dense(260, t, 10), tok2=_dense(262, 10, t), ch1=_dense(264, c, 12),
                  ch2=_dense(266, 12, c), up=_dense(268, c, 2 * c), down=_dense(270, c, c),
                  spatial={"w": _r(272, t, t, scale=0.3), "b": 1 + _r(273, t, scale=0.1)})
    return fn, params, (_r(1, 2, t, c),)


@case("stylegan2_modulated_conv_grouped_lax")
def _modconv():
    def fn(p, x, w, noise):  # x [b, cin, h, w] NCHW, w [b, wdim], noise [b, 1, h, w]
        b, cin, hh, ww = x.shape
        s = w @ p["affine"]["w"] + p["affine"]["b"] + 1
        wt = p["weight"][None] * s[:, None, :, None, None]  # [b, cout, cin, k, k]
        wt = wt * lax.rsqrt((wt ** 2).sum((2, 3, 4), keepdims=True) + 1e-8)
        y = lax.conv_general_dilated(x.reshape(1, b * cin, hh, ww), wt.reshape(-1, cin, *wt.shape[3:]), (1, 1),
                                     "SAME", feature_group_count=b)
        y = y.reshape(b, -1, hh, ww) + noise * p["noise_strength"]
        return jax.nn.leaky_relu(y + p["bias"][None, :, None, None], 0.2) * np.sqrt(2.0).astype(np.float32)
    params = {"weight": _r(280, 4, 3, 3, 3), "affine": _dense(281, 5, 3), "noise_strength": _r(283, 1, scale=0.1),
              "bias": _r(284, 4, scale=0.1)}
    return fn, params, (_r(1, 2, 3, 5, 5), _r(2, 2, 5), _r(3, 2, 1, 5, 5))

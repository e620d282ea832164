"""Round 21's held-out JAX functions (benchmarks/IMPORT_ZOO.md, Round 21): custom_jvp rules of kinds no earlier round
had. Each entry: (fn(params, x), params, x, from_jax keyword arguments); test_zoo21.py checks value, gradients, a jvp
and a Hessian-vector product against JAX (whose derivatives follow the rules, not the primal's derivative)."""
import functools

import jax
import jax.numpy as jnp
import numpy as np


def _r(seed, *shape, scale=1.0):
    return (np.random.default_rng(seed).normal(size=shape) * scale).astype(np.float32)


@functools.partial(jax.custom_jvp, nondiff_argnums=(1,))
def _reverse_gradient(x, lam):
    return x


@_reverse_gradient.defjvp
def _reverse_gradient_jvp(lam, primals, tangents):
    return primals[0], -lam * tangents[0]


def dann_gradient_reversal(p, x):
    """A domain-adversarial network (Ganin & Lempitsky 2015): a shared feature extractor, a label head, and a domain
    head behind the gradient-reversal layer (identity forward, tangent times -0.7: a custom_jvp with a nondiff
    argument), so the domain loss's gradient reaches the features reversed."""
    f = jnp.tanh(x @ p["wf"])
    label = jax.nn.log_softmax(f @ p["wy"])
    domain = jax.nn.sigmoid(jnp.tanh(_reverse_gradient(f, 0.7) @ p["wd1"]) @ p["wd2"])
    return jnp.concatenate([label, domain], 1)


@jax.custom_jvp
def _gated(a, g):
    return a * jax.nn.sigmoid(g)


_gated.defjvps(lambda ta, ans, a, g: ta * jax.nn.sigmoid(g),
               lambda tg, ans, a, g: tg * ans * (1 - jax.nn.sigmoid(g)))


def gated_linear_unit_defjvps(p, x):
    """A GLU block (Dauphin et al. 2017) whose gate is a custom_jvp written per argument with defjvps (the rule
    reads the primal output `ans`): two stacked blocks and a read-out."""
    h = x
    for k in ("1", "2"):
        h = _gated(h @ p["wa" + k], h @ p["wg" + k])
    return h @ p["wo"]


@jax.custom_jvp
def _clipped_tanh(z):
    return jnp.tanh(z)


@_clipped_tanh.defjvp
def _clipped_tanh_jvp(primals, tangents):
    """tanh's derivative floored at 0.25: a rule that differs from the primal's derivative where |z| > 1.15."""
    y = jnp.tanh(primals[0])
    return y, jnp.maximum(1 - y * y, 0.25) * tangents[0]


def scan_rnn_custom_activation(p, x):
    """An Elman RNN under lax.scan whose activation carries a user's custom_jvp (a floored derivative against
    vanishing gradients): the rule inside a loop body, over 4 steps."""
    def step(h, xt):
        h = _clipped_tanh(xt @ p["wx"] + h @ p["wh"] + p["b"])
        return h, h @ p["wo"]
    _, ys = jax.lax.scan(step, jnp.zeros((x.shape[1], p["wh"].shape[0])), x)
    return ys


MODELS = {
    "jax_dann_gradient_reversal": (dann_gradient_reversal, {"wf": _r(1, 4, 6, scale=0.6), "wy": _r(2, 6, 3),
                                                             "wd1": _r(3, 6, 5, scale=0.6), "wd2": _r(4, 5, 1)},
                                   _r(5, 5, 4), {}),
    "jax_glu_defjvps": (gated_linear_unit_defjvps, {"wa1": _r(6, 4, 5, scale=0.5), "wg1": _r(7, 4, 5, scale=0.5),
                                                     "wa2": _r(8, 5, 5, scale=0.5), "wg2": _r(9, 5, 5, scale=0.5),
                                                     "wo": _r(10, 5, 2)}, _r(11, 3, 4), {}),
    "jax_scan_rnn_custom_activation": (scan_rnn_custom_activation, {"wx": _r(12, 3, 5, scale=0.9),
                                                                    "wh": _r(13, 5, 5, scale=0.6),
                                                                    "b": _r(14, 5, scale=0.3), "wo": _r(15, 5, 2)},
                                       _r(16, 4, 2, 3, scale=1.5), {}),
}

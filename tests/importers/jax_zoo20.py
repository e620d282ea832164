"""Round 20's held-out JAX functions (benchmarks/IMPORT_ZOO.md, Round 20). Each entry: (fn(params, x), params, x,
from_jax keyword arguments); test_zoo20.py checks value, gradients, a jvp and a Hessian-vector product against JAX."""
import jax
import jax.numpy as jnp
import numpy as np
from jax.scipy.linalg import cho_solve


def _r(seed, *shape, scale=1.0):
    return (np.random.default_rng(seed).normal(size=shape) * scale).astype(np.float32)


def gp_neg_log_marginal(p, x):
    """Exact Gaussian-process regression's negative log marginal likelihood (Rasmussen & Williams, eq. 2.30): an RBF
    kernel of learned length scale / amplitude / noise on inputs x, Cholesky, cho_solve against fixed targets."""
    ls, amp, noise = jnp.exp(p["log_ls"]), jnp.exp(p["log_amp"]), jnp.exp(p["log_noise"])
    d2 = ((x[:, None] - x[None]) ** 2 / ls ** 2).sum(-1)
    k = amp * jnp.exp(-0.5 * d2) + (noise + 1e-2) * jnp.eye(x.shape[0])
    chol = jnp.linalg.cholesky(k)
    alpha = cho_solve((chol, True), p["y"])
    return 0.5 * p["y"] @ alpha + jnp.log(jnp.diag(chol)).sum() + 0.5 * x.shape[0] * jnp.log(2 * jnp.pi)


def info_nce(p, x):
    """InfoNCE / NT-Xent (Oord et al. 2018; SimCLR): two linear views of each sample, L2-normalised, a temperature
    0.2 similarity matrix, the self-pair masked out, cross-entropy of each view against its partner."""
    z = jnp.concatenate([x @ p["w1"], x @ p["w2"]])
    z = z / jnp.linalg.norm(z, axis=1, keepdims=True)
    n = x.shape[0]
    sim = (z @ z.T) / 0.2 - 1e4 * jnp.eye(2 * n)
    partner = jnp.concatenate([jnp.arange(n, 2 * n), jnp.arange(n)])
    return jax.nn.logsumexp(sim, 1) - sim[jnp.arange(2 * n), partner]


def listnet_ranking(p, x):
    """ListNet (Cao et al. 2007): a scoring MLP over each list's documents, the cross-entropy between the top-one
    probabilities of fixed relevance labels and of the scores, per list."""
    s = (jnp.tanh(x @ p["w"]) @ p["v"])[..., 0]                         # (lists, docs)
    return -(jax.nn.softmax(p["rel"], -1) * jax.nn.log_softmax(s, -1)).sum(-1)


def ddim_sampler(p, x):
    """Three deterministic DDIM steps (Song et al. 2021, eta = 0) of a tiny time-conditioned noise predictor: x0
    estimated from eps, moved to the next alpha_bar; a Python loop over a fixed schedule."""
    abar = [0.2, 0.45, 0.7, 0.9]
    for t in range(3):
        h = jnp.tanh(x @ p["w1"] + p["temb"][t])
        eps = h @ p["w2"]
        x0 = (x - jnp.sqrt(1 - abar[t]) * eps) / jnp.sqrt(abar[t])
        x = jnp.sqrt(abar[t + 1]) * x0 + jnp.sqrt(1 - abar[t + 1]) * eps
    return x


MODELS = {
    "jax_gp_marginal_likelihood_cholesky": (gp_neg_log_marginal,
                                            {"log_ls": _r(1, 2, scale=0.2), "log_amp": np.float32(0.3),
                                             "log_noise": np.float32(-1.5), "y": _r(2, 6)}, _r(3, 6, 2), {}),
    "jax_info_nce_contrastive": (info_nce, {"w1": _r(4, 5, 4, scale=0.5), "w2": _r(5, 5, 4, scale=0.5)},
                                 _r(6, 4, 5), {}),
    "jax_listnet_ranking": (listnet_ranking, {"w": _r(7, 4, 6, scale=0.5), "v": _r(8, 6, 1), "rel": _r(9, 3, 5)},
                            _r(10, 3, 5, 4), {}),
    "jax_ddim_sampler": (ddim_sampler, {"w1": _r(11, 3, 8, scale=0.5), "w2": _r(12, 8, 3, scale=0.5),
                                        "temb": _r(13, 3, 8, scale=0.3)}, _r(14, 4, 3), {}),
}

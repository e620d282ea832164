"""Round 20's held-out torch models (benchmarks/IMPORT_ZOO.md, Round 20): kinds no earlier round had. Each builder
returns a model in eval mode; test_zoo20.py imports them (torch.export) and checks them against torch's autograd."""
import math

import torch
from torch import nn
from torch.nn import functional as F


def _seeded(cls):
    def build(*args):
        torch.manual_seed(20)
        return cls(*args).eval()
    return build


class VectorQuantizer(nn.Module):
    """A VQ-VAE bottleneck (van den Oord et al. 2017): encoder output snapped to its nearest codebook row (argmin of
    squared distances), the straight-through estimator z + (q - z).detach(), decoded; plus the codebook and
    commitment terms (detach on either side)."""

    def __init__(self, d=5, k=6, e=3):
        super().__init__()
        self.enc, self.dec = nn.Linear(d, e), nn.Linear(e, d)
        self.codebook = nn.Parameter(torch.randn(k, e))

    def forward(self, x):                                               # (4, 5)
        z = torch.tanh(self.enc(x))
        dist = (z * z).sum(1, keepdim=True) - 2 * z @ self.codebook.T + (self.codebook ** 2).sum(1)
        q = self.codebook[dist.argmin(1)]
        st = z + (q - z).detach()
        vq = ((q - z.detach()) ** 2).sum(1) + 0.25 * ((z - q.detach()) ** 2).sum(1)
        return torch.cat([self.dec(st), vq[:, None]], 1)


class HyperNetwork(nn.Module):
    """A hypernetwork (Ha et al. 2016): a per-sample context embedding generates the weight matrix and bias of the
    target layer (bmm with the generated weights)."""

    def __init__(self, d=4, c=3, o=3):
        super().__init__()
        self.d, self.o = d, o
        self.ctx = nn.Linear(d, c)
        self.gen_w, self.gen_b = nn.Linear(c, d * o), nn.Linear(c, o)

    def forward(self, x):                                               # (5, 4)
        h = torch.tanh(self.ctx(x))
        w = self.gen_w(h).view(-1, self.o, self.d)
        return torch.sin(torch.bmm(w, x[:, :, None])[..., 0] + self.gen_b(h))


class DeepSets(nn.Module):
    """DeepSets (Zaheer et al. 2017): a per-element network phi, a permutation-invariant sum and max pooling over
    the set, then rho."""

    def __init__(self, d=3, h=8):
        super().__init__()
        self.phi = nn.Sequential(nn.Linear(d, h), nn.ELU(), nn.Linear(h, h))
        self.rho = nn.Sequential(nn.Linear(2 * h, h), nn.Softplus(), nn.Linear(h, 2))

    def forward(self, s):                                               # (2, 6, 3): 2 sets of 6 elements
        e = self.phi(s)
        return self.rho(torch.cat([e.sum(1), e.amax(1)], -1))


class InducedSetAttention(nn.Module):
    """The Set Transformer's ISAB (Lee et al. 2019): learned inducing points attend to the set (multi-head), the set
    attends back to that summary; a residual feed-forward after each with layer norm."""

    def __init__(self, d=8, m=3, heads=2):
        super().__init__()
        self.inducing = nn.Parameter(torch.randn(1, m, d))
        self.mab1 = nn.MultiheadAttention(d, heads, batch_first=True)
        self.mab2 = nn.MultiheadAttention(d, heads, batch_first=True)
        self.ln1, self.ln2 = nn.LayerNorm(d), nn.LayerNorm(d)
        self.ff = nn.Linear(d, d)

    def forward(self, x):                                               # (2, 5, 8)
        i = self.inducing.expand(x.shape[0], -1, -1)
        h = self.ln1(i + self.mab1(i, x, x, need_weights=False)[0])
        y = self.ln2(x + self.mab2(x, h, h, need_weights=False)[0])
        return y + F.relu(self.ff(y))


class MixtureDensityNLL(nn.Module):
    """A mixture density network's loss (Bishop 1994): a head giving K mixture logits, means and softplus scales of
    a 1-D Gaussian mixture; per sample -logsumexp(log pi + log N(y; mu, sigma)) at fixed targets."""

    def __init__(self, d=4, k=3):
        super().__init__()
        self.k = k
        self.body = nn.Sequential(nn.Linear(d, 10), nn.Tanh())
        self.head = nn.Linear(10, 3 * k)
        self.register_buffer("y", torch.tensor([0.5, -1.0, 2.0, 0.0, 1.2]))

    def forward(self, x):                                               # (5, 4)
        logit, mu, s = self.head(self.body(x)).split(self.k, -1)
        sigma = F.softplus(s) + 1e-3
        logn = -0.5 * ((self.y[:, None] - mu) / sigma) ** 2 - torch.log(sigma) - 0.5 * math.log(2 * math.pi)
        return -torch.logsumexp(torch.log_softmax(logit, -1) + logn, -1)


class FourierFeatureMLP(nn.Module):
    """Random Fourier features (Tancik et al. 2020): fixed Gaussian frequencies B, [sin 2 pi x B, cos 2 pi x B],
    then an MLP: a coordinate network's input encoding."""

    def __init__(self, d=2, f=6):
        super().__init__()
        self.register_buffer("b", torch.randn(d, f) * 1.5)
        self.mlp = nn.Sequential(nn.Linear(2 * f, 16), nn.GELU(), nn.Linear(16, 3))

    def forward(self, x):                                               # (7, 2)
        p = 2 * math.pi * x @ self.b
        return self.mlp(torch.cat([torch.sin(p), torch.cos(p)], -1))


MODELS = {
    "vq_vae_straight_through": (_seeded(VectorQuantizer), lambda: torch.randn(4, 5)),
    "hypernetwork_generated_weights": (_seeded(HyperNetwork), lambda: torch.randn(5, 4)),
    "deepsets_sum_max_pool": (_seeded(DeepSets), lambda: torch.randn(2, 6, 3)),
    "set_transformer_isab": (_seeded(InducedSetAttention), lambda: torch.randn(2, 5, 8)),
    "mixture_density_nll": (_seeded(MixtureDensityNLL), lambda: torch.randn(5, 4)),
    "fourier_feature_mlp": (_seeded(FourierFeatureMLP), lambda: torch.randn(7, 2) * 0.5),
}

"""Round 22's held-out torch models (benchmarks/IMPORT_ZOO.md, Round 22): kinds no earlier round had. Each builder
returns a model in eval mode; test_zoo22.py imports them (torch.export, some through ONNX, one exported with a dynamic
dim and imported at two sizes) and checks them against torch's autograd."""
import torch
from torch import nn
from torch.nn import functional as F


def _seeded(cls):
    def build(*args):
        torch.manual_seed(22)
        return cls(*args).eval()
    return build


class PNALayer(nn.Module):
    """Principal Neighbourhood Aggregation (Corso et al. 2020) on a fixed 5-node directed graph: messages per edge,
    mean / max / min / std aggregators (index_add, scatter_reduce amax / amin) times degree scalers (identity,
    amplification, attenuation), then a linear update."""

    def __init__(self, d=4):
        super().__init__()
        src = torch.tensor([0, 1, 2, 3, 4, 0, 2, 4, 1, 3, 0])
        dst = torch.tensor([1, 2, 3, 4, 0, 2, 4, 1, 3, 0, 3])
        self.register_buffer("src", src)
        self.register_buffer("dst", dst)
        deg = torch.bincount(dst, minlength=5).float()
        self.register_buffer("deg", deg)
        self.register_buffer("logd", torch.log(deg + 1) / torch.log(deg + 1).mean())
        self.msg = nn.Linear(2 * d, d)
        self.upd = nn.Linear(d + 12 * d, d)

    def forward(self, x):                                               # (5, 4): node features
        m = torch.tanh(self.msg(torch.cat([x[self.src], x[self.dst]], -1)))
        idx = self.dst[:, None].expand_as(m)
        s = torch.zeros_like(x).index_add(0, self.dst, m)
        mean = s / self.deg[:, None]
        sq = torch.zeros_like(x).index_add(0, self.dst, m * m) / self.deg[:, None]
        std = torch.sqrt(torch.relu(sq - mean * mean) + 1e-5)
        mx = torch.full_like(x, -1e4).scatter_reduce(0, idx, m, "amax", include_self=False)
        mn = torch.full_like(x, 1e4).scatter_reduce(0, idx, m, "amin", include_self=False)
        agg = torch.cat([mean, mx, mn, std], -1)
        scaled = torch.cat([agg, agg * self.logd[:, None], agg / self.logd[:, None]], -1)
        return x + self.upd(torch.cat([x, scaled], -1))


class FNetBlock(nn.Module):
    """FNet (Lee-Thorp et al. 2021): token mixing by the real part of a 2-D DFT over (sequence, hidden), post-norm
    residuals, a GELU feed-forward."""

    def __init__(self, d=8):
        super().__init__()
        self.n1, self.n2 = nn.LayerNorm(d), nn.LayerNorm(d)
        self.ff = nn.Sequential(nn.Linear(d, 16), nn.GELU(), nn.Linear(16, d))

    def forward(self, x):                                               # (2, 6, 8)
        x = self.n1(x + torch.fft.fft2(x).real)
        return self.n2(x + self.ff(x))


class HeteroscedasticNLL(nn.Module):
    """A regression net predicting a location, a scale (softplus) and Student-t degrees of freedom per target, scored
    against fixed targets by torch.distributions' Normal and StudentT log_prob (validate_args=False: F.gaussian_nll_loss
    checks var >= 0 with a data-dependent branch torch.export cannot trace): per-sample negative log-likelihoods."""

    def __init__(self, d=3):
        super().__init__()
        self.body = nn.Sequential(nn.Linear(d, 8), nn.SiLU())
        self.head = nn.Linear(8, 6)
        self.register_buffer("y", torch.linspace(-1, 1, 10).reshape(5, 2))

    def forward(self, x):                                               # (5, 3)
        mu, s, df = self.head(self.body(x)).chunk(3, -1)
        scale, df = F.softplus(s) + 1e-3, F.softplus(df) + 1.0
        normal = torch.distributions.Normal(mu, scale, validate_args=False).log_prob(self.y)
        student = torch.distributions.StudentT(df, mu, scale, validate_args=False).log_prob(self.y)
        return -torch.cat([normal, student], -1)


class TuckerFusion(nn.Module):
    """A Tucker-decomposed bilinear fusion (MUTAN, Ben-younes et al. 2017) of two halves of the input: projections,
    a 3-way core contracted by one three-operand einsum, and a rank-r einsum of the two modalities."""

    def __init__(self, d=3, r=2):
        super().__init__()
        self.pa, self.pb = nn.Linear(d, 4), nn.Linear(d, 5)
        self.core = nn.Parameter(torch.randn(4, 5, 6) * 0.3)
        self.ua, self.ub = nn.Parameter(torch.randn(r, 4, 4) * 0.5), nn.Parameter(torch.randn(r, 5, 4) * 0.5)

    def forward(self, x):                                               # (3, 6)
        a, b = torch.tanh(self.pa(x[:, :3])), torch.tanh(self.pb(x[:, 3:]))
        t = torch.einsum("bi,bj,ijk->bk", a, b, self.core)
        low = torch.einsum("bi,rio,bj,rjo->bo", a, self.ua, b, self.ub)
        return torch.cat([t, low], -1)


class TopKSparseAttention(nn.Module):
    """Top-k sparse attention (Zhao et al. 2019, Explicit Sparse Transformer): scores below each query's k-th largest
    are masked_fill'ed with -inf, as are padded keys (a bool mask) and, via torch.where, future keys; softmax."""

    def __init__(self, d=8, k=3):
        super().__init__()
        self.k = k
        self.qkv = nn.Linear(d, 3 * d)
        pad = torch.zeros(2, 1, 6, dtype=torch.bool)
        pad[1, :, 4:] = True
        self.register_buffer("pad", pad)
        self.register_buffer("future", torch.triu(torch.ones(6, 6, dtype=torch.bool), 1))

    def forward(self, x):                                               # (2, 6, 8)
        q, k, v = self.qkv(x).chunk(3, -1)
        s = q @ k.transpose(-1, -2) / 8 ** 0.5
        s = s.masked_fill(self.pad, float("-inf"))
        s = torch.where(self.future, torch.full_like(s, float("-inf")), s)
        kth = s.topk(self.k, -1).values[..., -1:]
        s = s.masked_fill(s < kth, float("-inf"))
        return torch.softmax(s, -1) @ v


class ConformerConvModule(nn.Module):
    """The Conformer's convolution module (Gulati et al. 2020): LayerNorm, pointwise conv to 2C, GLU, a depthwise conv
    (kernel 5, same padding), BatchNorm (eval statistics), Swish, pointwise conv, residual. Time is dynamic."""

    def __init__(self, c=4):
        super().__init__()
        self.norm = nn.LayerNorm(c)
        self.pw1, self.dw = nn.Conv1d(c, 2 * c, 1), nn.Conv1d(c, c, 5, padding=2, groups=c)
        self.bn, self.pw2 = nn.BatchNorm1d(c), nn.Conv1d(c, c, 1)
        with torch.no_grad():
            self.bn.running_mean.uniform_(-0.2, 0.2)
            self.bn.running_var.uniform_(0.5, 1.5)

    def forward(self, x):                                               # (2, T, 4)
        y = F.glu(self.pw1(self.norm(x).transpose(1, 2)), 1)
        y = self.pw2(F.silu(self.bn(self.dw(y))))
        return x + y.transpose(1, 2)


class LengthDependentMixer(nn.Module):
    """Every constant a function of the time length T: positions arange(T) / T, a mean as sum / T, a causal
    T x T -inf mask; exported with T dynamic, so an import at another T must recompute them, not reuse the traced
    ones."""

    def __init__(self, d=4):
        super().__init__()
        self.lin = nn.Linear(d, d)

    def forward(self, x):                                               # (2, T, 4)
        t = x.shape[1]
        y = self.lin(x + torch.arange(t, dtype=torch.float32)[None, :, None] / t)
        causal = torch.triu(torch.ones(t, t, dtype=torch.bool), 1)
        a = (y @ y.transpose(1, 2)).masked_fill(causal, float("-inf")).softmax(-1)
        return a @ y - y.sum(1, keepdim=True) / t


MODELS = {
    "pna_graph_layer": (_seeded(PNALayer), lambda: torch.randn(5, 4)),
    "fnet_fourier_mixing": (_seeded(FNetBlock), lambda: torch.randn(2, 6, 8)),
    "heteroscedastic_gaussian_nll": (_seeded(HeteroscedasticNLL), lambda: torch.randn(5, 3)),
    "tucker_bilinear_einsum": (_seeded(TuckerFusion), lambda: torch.randn(3, 6)),
    "topk_sparse_attention_masks": (_seeded(TopKSparseAttention), lambda: torch.randn(2, 6, 8)),
    "conformer_conv_module": (_seeded(ConformerConvModule), lambda: torch.randn(2, 7, 4)),
    "length_dependent_mixer": (_seeded(LengthDependentMixer), lambda: torch.randn(2, 5, 4)),
}
DYNAMIC_TIME = ("conformer_conv_module", "length_dependent_mixer")

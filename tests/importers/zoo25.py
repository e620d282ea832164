"""Round 25's held-out torch models (benchmarks/IMPORT_ZOO.md, Round 25): kinds no earlier round had. Each builder
returns a model in eval mode; test_zoo25.py imports them by torch.export and checks them against torch's autograd."""

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F


def _seeded(cls):
    def build(*args):
        torch.manual_seed(25)
        return cls(*args).eval()
    return build


def _lmu_matrices(order: int, theta: float):
    """The LMU's Legendre state space (Voelker et al. 2019) discretised by zero-order hold with a step of 1:
    expm([[A, B], [0, 0]]) gives A_d, B_d."""
    from scipy.linalg import expm

    q = np.arange(order)
    r = (2 * q + 1)[:, None] / theta
    i, j = np.meshgrid(q, q, indexing="ij")
    a = np.where(i < j, -1.0, (-1.0) ** (i - j + 1)) * r
    b = ((-1.0) ** q)[:, None] * r
    m = expm(np.block([[a, b], [np.zeros((1, order + 1))]]))
    return m[:order, :order], m[:order, order:]


class LegendreMemoryUnit(nn.Module):
    """A Legendre Memory Unit cell unrolled over the sequence: u = e_x x + e_h h + e_m m (a scalar per sample),
    m <- A_d m + B_d u (A_d, B_d fixed buffers from the Legendre ODE's matrix exponential), h <- tanh(W_x x + W_h h +
    W_m m); a linear read-out of the last h."""

    def __init__(self, d_in=3, order=4, hidden=5, theta=4.0):
        super().__init__()
        a, b = _lmu_matrices(order, theta)
        self.register_buffer("A", torch.tensor(a, dtype=torch.float32))
        self.register_buffer("B", torch.tensor(b, dtype=torch.float32))
        self.e_x, self.e_h, self.e_m = nn.Linear(d_in, 1), nn.Linear(hidden, 1, bias=False), nn.Linear(order, 1,
                                                                                                      bias=False)
        self.w_x, self.w_h, self.w_m = nn.Linear(d_in, hidden), nn.Linear(hidden, hidden, bias=False), \
            nn.Linear(order, hidden, bias=False)
        self.out = nn.Linear(hidden, 2)
        self.order, self.hidden = order, hidden

    def forward(self, x):                                               # (N, T, d_in)
        h = x.new_zeros(x.shape[0], self.hidden)
        m = x.new_zeros(x.shape[0], self.order)
        for t in range(x.shape[1]):
            xt = x[:, t]
            u = self.e_x(xt) + self.e_h(h) + self.e_m(m)                # (N, 1)
            m = m @ self.A.T + u @ self.B.T
            h = torch.tanh(self.w_x(xt) + self.w_h(h) + self.w_m(m))
        return self.out(h)


class LocationSensitiveAttention(nn.Module):
    """Tacotron 2's location-sensitive attention over three decoder steps: energies v^T tanh(W q + V k + U f) with
    f a Conv1d of the previous and cumulative alignments, softmax over the encoder steps, the context fed back
    through an LSTMCell."""

    def __init__(self, d=6, att=5):
        super().__init__()
        self.query, self.key = nn.Linear(d, att, bias=False), nn.Linear(d, att)
        self.loc_conv = nn.Conv1d(2, 3, 5, padding=2, bias=False)
        self.loc_dense = nn.Linear(3, att, bias=False)
        self.v = nn.Linear(att, 1, bias=False)
        self.cell = nn.LSTMCell(d, d)

    def forward(self, enc):                                             # (N, T, d)
        n, steps, d = enc.shape
        keys = self.key(enc)
        prev = enc.new_zeros(n, steps)
        cum = enc.new_zeros(n, steps)
        h, c = enc.new_zeros(n, d), enc.new_zeros(n, d)
        outs = []
        for _ in range(3):
            loc = self.loc_dense(self.loc_conv(torch.stack([prev, cum], 1)).transpose(1, 2))   # (N, T, att)
            e = self.v(torch.tanh(self.query(h)[:, None] + keys + loc)).squeeze(-1)           # (N, T)
            prev = torch.softmax(e, -1)
            cum = cum + prev
            ctx = torch.bmm(prev[:, None], enc).squeeze(1)
            h, c = self.cell(ctx, (h, c))
            outs.append(h)
        return torch.stack(outs, 1)


class AttentiveNeuralProcess(nn.Module):
    """An attentive neural process scored on its targets: context pairs (the input's first 4 points) encoded by an
    MLP; a deterministic path (multi-head cross-attention from the target x's to the context x's) and a latent path
    (mean-pooled, Normal(mu, 0.1 + 0.9 softplus) sampled with fixed noise); the decoder's Normal log-likelihood of
    the target y's (torch.distributions.Normal with validation off)."""

    def __init__(self, d=8):
        super().__init__()
        self.enc = nn.Sequential(nn.Linear(2, d), nn.ReLU(), nn.Linear(d, d))
        self.lat = nn.Sequential(nn.Linear(2, d), nn.Tanh(), nn.Linear(d, 2 * 3))
        self.qk = nn.Linear(1, d)
        self.attn = nn.MultiheadAttention(d, 2, batch_first=True)
        self.dec = nn.Sequential(nn.Linear(d + 3 + 1, d), nn.Tanh(), nn.Linear(d, 2))
        self.register_buffer("eps", torch.randn(1, 3))

    def forward(self, xy):                                              # (N, P, 2): points (x, y)
        ctx, tgt = xy[:, :4], xy[:, 4:]
        r = self.enc(ctx)
        det, _ = self.attn(self.qk(tgt[..., :1]), self.qk(ctx[..., :1]), r)
        s = self.lat(ctx).mean(1)
        mu, sig = s[:, :3], 0.1 + 0.9 * F.softplus(s[:, 3:])
        z = (mu + sig * self.eps)[:, None].expand(-1, tgt.shape[1], -1)
        out = self.dec(torch.cat([det, z, tgt[..., :1]], -1))
        dist = torch.distributions.Normal(out[..., 0], 0.05 + F.softplus(out[..., 1]), validate_args=False)
        return dist.log_prob(tgt[..., 1])


class CompactBilinearSignedSqrt(nn.Module):
    """Bilinear pooling of a conv feature map: the channel outer product averaged over positions (einsum), the
    signed square root sign(z) sqrt(|z| + eps) and an L2 normalisation (F.normalize), then a classifier."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 4, 3, padding=1)
        self.fc = nn.Linear(16, 3)

    def forward(self, x):                                               # (N, 3, H, W)
        f = F.elu(self.conv(x)).flatten(2)                              # (N, 4, HW)
        z = torch.einsum("ncp,ndp->ncd", f, f).flatten(1) / f.shape[-1] - 0.05
        z = torch.sign(z) * torch.sqrt(z.abs() + 1e-4)
        return self.fc(F.normalize(z, dim=1))


class SoftHistogramEMD(nn.Module):
    """A differentiable histogram of projected features (Gaussian kernels at fixed bin centres, normalised), the
    1-D earth mover's distance to a learned target histogram by cumulative sums, and a torch.trapezoid integral of
    the CDF gap (the same area by the trapezoid rule)."""

    def __init__(self, bins=7):
        super().__init__()
        self.proj = nn.Linear(4, 2)
        self.register_buffer("centres", torch.linspace(-2, 2, bins))
        self.target_logits = nn.Parameter(torch.randn(2, bins) * 0.3)

    def forward(self, x):                                               # (N, P, 4)
        v = self.proj(x)                                                # (N, P, 2)
        k = torch.exp(-0.5 * ((v[..., None] - self.centres) / 0.4) ** 2)  # (N, P, 2, bins)
        hist = k.sum(1) / (k.sum((1, 3))[..., None] + 1e-6)             # (N, 2, bins)
        gap = torch.cumsum(hist - torch.softmax(self.target_logits, -1), -1)
        emd = torch.sqrt(gap ** 2 + 1e-6).sum(-1)
        area = torch.trapezoid(gap ** 2, self.centres, dim=-1)
        return torch.stack([emd, area], -1)


class BlockDiagPairwiseInteractions(nn.Module):
    """A DLRM-style interaction layer: per-group dense maps as one torch.block_diag weight, the pairwise dot
    products of the groups' embeddings picked by torch.triu_indices' pairs (torch.combinations' would be the same
    pairs, but torch.export cannot trace it: an unbacked size), a torch.cartesian_prod grid of (group, group)
    scalings, then a top MLP."""

    def __init__(self, groups=4, d=3):
        super().__init__()
        self.blocks = nn.ParameterList([nn.Parameter(torch.randn(d, d) * 0.5) for _ in range(groups)])
        self.pair_scale = nn.Parameter(torch.randn(groups, groups) * 0.3)
        self.top = nn.Sequential(nn.Linear(groups * (groups - 1) // 2 + groups * groups, 6), nn.SiLU(),
                                 nn.Linear(6, 2))
        self.groups, self.d = groups, d

    def forward(self, x):                                               # (N, groups * d)
        e = (x @ torch.block_diag(*self.blocks)).view(-1, self.groups, self.d)
        dots = torch.bmm(e, e.transpose(1, 2))                          # (N, G, G)
        pairs = torch.triu_indices(self.groups, self.groups, 1)         # (2, G (G - 1) / 2)
        inter = dots[:, pairs[0], pairs[1]]
        grid = torch.cartesian_prod(torch.arange(self.groups), torch.arange(self.groups))
        scaled = dots[:, grid[:, 0], grid[:, 1]] * self.pair_scale[grid[:, 0], grid[:, 1]]
        return self.top(torch.cat([inter, torch.tanh(scaled)], 1))


class MarginLossHead(nn.Module):
    """A multi-task head scored by six torch.nn losses no earlier round held, per sample (reduction='none' where
    torch has it): MultiMarginLoss (p=2, margin 0.7, class weights), MultiLabelSoftMarginLoss (class weights),
    PoissonNLLLoss (log_input=False, full=True: Stirling's term), HingeEmbeddingLoss, CosineEmbeddingLoss and
    MarginRankingLoss, with fixed targets."""

    def __init__(self):
        super().__init__()
        self.body = nn.Linear(5, 12)
        self.register_buffer("cls", torch.tensor([2, 0, 3]))
        self.register_buffer("multi", torch.tensor([[1.0, 0, 1, 0], [0, 0, 1, 1], [1, 1, 0, 0]]))
        self.register_buffer("counts", torch.tensor([[0.0, 3.0], [1.0, 5.0], [2.0, 1.0]]))
        self.register_buffer("pm", torch.tensor([1.0, -1.0, 1.0]))
        self.register_buffer("w", torch.tensor([0.5, 1.0, 2.0, 1.5]))

    def forward(self, x, multi_margin=F.multi_margin_loss):            # (3, 5)
        h = self.body(x)
        a, b, r, u, v = h[:, :4], h[:, 4:8], h[:, 8:10], h[:, 8:11], h[:, 9:12]
        rate = F.softplus(r) + 0.1
        return torch.stack([
            multi_margin(a, self.cls, p=2, margin=0.7, weight=self.w, reduction="none"),
            F.multilabel_soft_margin_loss(b, self.multi, weight=self.w, reduction="none"),
            F.poisson_nll_loss(rate, self.counts, log_input=False, full=True, reduction="none").sum(1),
            F.hinge_embedding_loss(a[:, :3], self.pm[:, None].expand(3, 3), margin=0.8, reduction="none").sum(1),
            F.cosine_embedding_loss(u, v, self.pm, margin=-0.2, reduction="none"),
            F.margin_ranking_loss(a[:, 0], b[:, 1], self.pm, margin=0.1, reduction="none"),
        ], 1)

    def by_formula(self, x):
        """The same with multi_margin_loss written out (torch has no forward AD for it): per sample,
        sum over j != y of w[y] max(0, margin - a[y] + a[j])^2 / C."""
        def multi_margin(a, y, p, margin, weight, reduction):
            ay = a.gather(1, y[:, None])
            terms = weight[y][:, None] * torch.clamp(margin - ay + a, min=0) ** p
            return (terms * (torch.arange(a.shape[1]) != y[:, None])).sum(1) / a.shape[1]
        return self.forward(x, multi_margin)


MODELS = {
    "legendre_memory_unit": (_seeded(LegendreMemoryUnit), lambda: torch.randn(2, 6, 3)),
    "tacotron_location_sensitive_attention": (_seeded(LocationSensitiveAttention), lambda: torch.randn(2, 7, 6)),
    "attentive_neural_process": (_seeded(AttentiveNeuralProcess), lambda: torch.randn(2, 9, 2)),
    "compact_bilinear_signed_sqrt": (_seeded(CompactBilinearSignedSqrt), lambda: torch.randn(2, 3, 5, 5)),
    "soft_histogram_emd_trapezoid": (_seeded(SoftHistogramEMD), lambda: torch.randn(2, 10, 4)),
    "block_diag_pairwise_interactions": (_seeded(BlockDiagPairwiseInteractions), lambda: torch.randn(3, 12)),
    "margin_losses_head": (_seeded(MarginLossHead), lambda: torch.randn(3, 5)),
}

JVP_REFERENCE = {"margin_losses_head": "by_formula"}

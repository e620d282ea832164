"""Round 17's held-out torch models (benchmarks/IMPORT_ZOO.md, Round 17): kinds no earlier round had. Each builder
returns (model in eval mode, example input); test_zoo17.py imports them and checks them against torch's autograd."""
import math

import torch
from torch import nn
from torch.nn import functional as F


def _seeded(cls):
    def build(*args):
        torch.manual_seed(17)
        return cls(*args).eval()
    return build


class Performer(nn.Module):
    """Performer's FAVOR+ (Choromanski et al. 2021): softmax attention by positive random features
    exp(w.x - |x|^2 / 2) (a fixed Gaussian projection, a buffer), linear in the sequence length."""
    def __init__(self, d=8, m=6):
        super().__init__()
        self.qkv, self.out = nn.Linear(d, 3 * d), nn.Linear(d, d)
        self.register_buffer("proj", torch.randn(m, d))

    def _phi(self, x):
        x = x / x.shape[-1] ** 0.25
        return torch.exp(x @ self.proj.T - (x * x).sum(-1, keepdim=True) / 2) / math.sqrt(self.proj.shape[0])

    def forward(self, x):                                               # (2, 7, 8)
        q, k, v = self.qkv(x).chunk(3, -1)
        q, k = self._phi(q), self._phi(k)
        kv = torch.einsum("bnm,bnd->bmd", k, v)
        z = 1.0 / (torch.einsum("bnm,bm->bn", q, k.sum(1)) + 1e-6)
        return self.out(torch.einsum("bnm,bmd,bn->bnd", q, kv, z))


class Retention(nn.Module):
    """RetNet's multi-scale retention, parallel form (Sun et al. 2023): (Q K^T * D) V with the causal decay mask
    D[n, m] = gamma^(n - m), a gamma per head, xPos-free; a GroupNorm per head and a swish gate."""
    def __init__(self, d=8, heads=2):
        super().__init__()
        self.h = heads
        self.q, self.k, self.v, self.g, self.o = (nn.Linear(d, d, bias=False) for _ in range(5))
        self.norm = nn.GroupNorm(heads, d)
        self.register_buffer("log_gamma", torch.log(1 - 2.0 ** (-5 - torch.arange(heads, dtype=torch.float32))))

    def forward(self, x):                                               # (2, 6, 8)
        b, n, d = x.shape
        split = lambda t: t.view(b, n, self.h, d // self.h).transpose(1, 2)  # noqa: E731
        q, k, v = split(self.q(x)), split(self.k(x)), split(self.v(x))
        i = torch.arange(n, dtype=x.dtype)
        diff = i[:, None] - i[None, :]
        decay = torch.where(diff >= 0, torch.exp(self.log_gamma[:, None, None] * diff.clamp(min=0)), 0.0)
        r = ((q @ k.transpose(-1, -2)) * decay) @ v / math.sqrt(d // self.h)
        r = self.norm(r.transpose(1, 2).reshape(b * n, d)).view(b, n, d)
        return self.o(F.silu(self.g(x)) * r)


class RWKVTimeMix(nn.Module):
    """RWKV-4's time mixing (Peng et al. 2023): token shift, the WKV recurrence with a per-channel decay w and a
    bonus u, kept stable by a running max exponent (p); sigmoid receptance."""
    def __init__(self, d=6):
        super().__init__()
        self.mk, self.mv, self.mr = (nn.Parameter(torch.rand(d)) for _ in range(3))
        self.decay, self.bonus = nn.Parameter(torch.randn(d) * 0.5), nn.Parameter(torch.randn(d) * 0.5)
        self.k, self.v, self.r, self.o = (nn.Linear(d, d, bias=False) for _ in range(4))

    def forward(self, x):                                               # (2, 5, 6)
        prev = F.pad(x, (0, 0, 1, -1))
        k = self.k(x * self.mk + prev * (1 - self.mk))
        v = self.v(x * self.mv + prev * (1 - self.mv))
        r = torch.sigmoid(self.r(x * self.mr + prev * (1 - self.mr)))
        w = -torch.exp(self.decay)
        a = torch.zeros_like(x[:, 0])
        bsum = torch.zeros_like(x[:, 0])
        p = torch.full_like(x[:, 0], -1e30)
        outs = []
        for t in range(x.shape[1]):
            kt, vt = k[:, t], v[:, t]
            q = torch.maximum(p, self.bonus + kt)
            e1, e2 = torch.exp(p - q), torch.exp(self.bonus + kt - q)
            outs.append((e1 * a + e2 * vt) / (e1 * bsum + e2))
            q = torch.maximum(p + w, kt)
            e1, e2 = torch.exp(p + w - q), torch.exp(kt - q)
            a, bsum, p = e1 * a + e2 * vt, e1 * bsum + e2, q
        return self.o(r * torch.stack(outs, 1))


class Involution(nn.Module):
    """Involution (Li et al. 2021): a 3x3 kernel generated per pixel from the pixel itself (reduce, expand), shared
    across the channels of a group, applied to the unfolded neighbourhood."""
    def __init__(self, c=4, groups=2, k=3):
        super().__init__()
        self.g, self.k = groups, k
        self.reduce = nn.Conv2d(c, 2, 1)
        self.span = nn.Conv2d(2, groups * k * k, 1)

    def forward(self, x):                                               # (2, 4, 5, 5)
        b, c, h, w = x.shape
        kernel = self.span(torch.tanh(self.reduce(x))).view(b, self.g, 1, self.k * self.k, h, w)
        patches = F.unfold(x, self.k, padding=1).view(b, self.g, c // self.g, self.k * self.k, h, w)
        return (kernel * patches).sum(3).view(b, c, h, w)


class ConvLSTM(nn.Module):
    """A ConvLSTM cell (Shi et al. 2015) over 3 frames: the four gates by one 3x3 convolution of [x_t, h]."""
    def __init__(self, c=2, hid=3):
        super().__init__()
        self.hid = hid
        self.conv = nn.Conv2d(c + hid, 4 * hid, 3, padding=1)

    def forward(self, x):                                               # (2, 3, 2, 4, 4)
        b, t, _, hh, ww = x.shape
        h = x.new_zeros(b, self.hid, hh, ww)
        c = x.new_zeros(b, self.hid, hh, ww)
        for s in range(t):
            i, f, o, g = self.conv(torch.cat([x[:, s], h], 1)).chunk(4, 1)
            c = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
            h = torch.sigmoid(o) * torch.tanh(c)
        return h


class HopfieldLayer(nn.Module):
    """A modern Hopfield layer (Ramsauer et al. 2021): 3 retrieval updates xi <- X^T softmax(beta X xi) against
    learned stored patterns, a learned beta (softplus)."""
    def __init__(self, d=6, patterns=5):
        super().__init__()
        self.stored = nn.Parameter(torch.randn(patterns, d))
        self.beta = nn.Parameter(torch.tensor(0.7))
        self.inp = nn.Linear(d, d)

    def forward(self, x):                                               # (4, 6)
        xi = self.inp(x)
        beta = F.softplus(self.beta) + 0.5
        for _ in range(3):
            xi = torch.softmax(beta * xi @ self.stored.T, -1) @ self.stored
        return xi


class ISAB(nn.Module):
    """Set Transformer's induced set attention block (Lee et al. 2019): learned inducing points attend to the set,
    the set attends back (two MultiheadAttention blocks with layer norms); a PMA pooling seed at the end."""
    def __init__(self, d=8, m=3):
        super().__init__()
        self.ind = nn.Parameter(torch.randn(1, m, d))
        self.seed = nn.Parameter(torch.randn(1, 1, d))
        self.a1, self.a2, self.a3 = (nn.MultiheadAttention(d, 2, batch_first=True) for _ in range(3))
        self.n1, self.n2 = nn.LayerNorm(d), nn.LayerNorm(d)

    def forward(self, x):                                               # (2, 7, 8)
        i = self.ind.expand(x.shape[0], -1, -1)
        h = self.n1(i + self.a1(i, x, x, need_weights=False)[0])
        y = self.n2(x + self.a2(x, h, h, need_weights=False)[0])
        s = self.seed.expand(x.shape[0], -1, -1)
        return self.a3(s, y, y, need_weights=False)[0][:, 0]


class MLSTM(nn.Module):
    """xLSTM's mLSTM (Beck et al. 2024), recurrent form: a matrix memory C_t = f C + i v k^T with exponential input
    gates stabilised by a running max m_t, a normaliser n_t, the output max(|n^T q|, 1)-normalised."""
    def __init__(self, d=6, dk=4):
        super().__init__()
        self.q, self.k, self.v = nn.Linear(d, dk), nn.Linear(d, dk), nn.Linear(d, d)
        self.i, self.f, self.o = nn.Linear(d, 1), nn.Linear(d, 1), nn.Linear(d, d)

    def forward(self, x):                                               # (2, 5, 6)
        b, t, d = x.shape
        q, k, v = self.q(x), self.k(x) / math.sqrt(self.k.out_features), self.v(x)
        it, ft = self.i(x)[..., 0], F.logsigmoid(self.f(x)[..., 0])
        c = x.new_zeros(b, d, k.shape[-1])
        n = x.new_zeros(b, k.shape[-1])
        m = x.new_full((b,), -1e4)
        outs = []
        for s in range(t):
            m_new = torch.maximum(ft[:, s] + m, it[:, s])
            fg, ig = torch.exp(ft[:, s] + m - m_new), torch.exp(it[:, s] - m_new)
            c = fg[:, None, None] * c + ig[:, None, None] * v[:, s, :, None] * k[:, s, None, :]
            n = fg[:, None] * n + ig[:, None] * k[:, s]
            m = m_new
            den = torch.maximum((n * q[:, s]).sum(-1).abs(), torch.exp(-m))
            outs.append((c @ q[:, s, :, None])[..., 0] / den[:, None])
        return torch.sigmoid(self.o(x)) * torch.stack(outs, 1)


class MinGRULogSpace(nn.Module):
    """minGRU (Feng et al. 2024) in its parallel log-space form: h_t = (1 - z_t) h_{t-1} + z_t h~_t by Heinsen's
    scan, log h = a* + logcumsumexp(log values - a*), a* = cumsum(log(1 - z)); g(x) = x + 0.5 / sigmoid for h~ > 0."""
    def __init__(self, d=4, hid=5):
        super().__init__()
        self.z, self.h = nn.Linear(d, hid), nn.Linear(d, hid)

    def forward(self, x):                                               # (2, 6, 4)
        k = self.z(x)
        log_z, log_1mz = -F.softplus(-k), -F.softplus(k)
        th = self.h(x)
        log_th = torch.where(th >= 0, torch.log(F.relu(th) + 0.5), -F.softplus(-th))
        a_star = torch.cumsum(log_1mz, 1)
        return torch.exp(a_star + torch.logcumsumexp(log_z + log_th - a_star, 1))


class GatedConvLM(nn.Module):
    """A gated convolutional language model block (Dauphin et al. 2017): causal (left-padded) conv1d, a GLU, a
    residual; two layers, the second dilated."""
    def __init__(self, d=6):
        super().__init__()
        self.c1, self.c2 = nn.Conv1d(d, 2 * d, 3), nn.Conv1d(d, 2 * d, 3, dilation=2)

    def forward(self, x):                                               # (2, 6, 9)
        x = x + F.glu(self.c1(F.pad(x, (2, 0))), 1)
        return x + F.glu(self.c2(F.pad(x, (4, 0))), 1)


class TCNWeightNorm(nn.Module):
    """A temporal convolutional network block (Bai et al. 2018): dilated causal convolutions under weight norm
    (torch.nn.utils.parametrizations.weight_norm: g and v are the weights), a 1x1 residual projection."""
    def __init__(self, c=3, hid=5):
        super().__init__()
        wn = nn.utils.parametrizations.weight_norm
        self.c1, self.c2 = wn(nn.Conv1d(c, hid, 2, dilation=1)), wn(nn.Conv1d(hid, hid, 2, dilation=2))
        self.down = nn.Conv1d(c, hid, 1)

    def forward(self, x):                                               # (2, 3, 8)
        h = F.elu(self.c1(F.pad(x, (1, 0))))
        h = F.elu(self.c2(F.pad(h, (2, 0))))
        return torch.tanh(h + self.down(x))


class DiffusionTimeFiLM(nn.Module):
    """A diffusion model's residual block conditioned on the timestep through FiLM: the sinusoidal embedding of t
    (a column of the input, continuous), an MLP, per-channel scale and shift after a GroupNorm."""
    def __init__(self, c=4, temb=8):
        super().__init__()
        self.temb = temb
        self.mlp = nn.Sequential(nn.Linear(temb, 8), nn.SiLU(), nn.Linear(8, 2 * c))
        self.conv1, self.conv2 = nn.Conv2d(c, c, 3, padding=1), nn.Conv2d(c, c, 3, padding=1)
        self.norm = nn.GroupNorm(2, c)

    def forward(self, x):                                               # (2, 4, 4, 4); t = 20 * mean|x[:, 0]|
        t = 20 * x[:, 0].abs().mean((-1, -2))
        freqs = torch.exp(-math.log(1000.0) * torch.arange(self.temb // 2, dtype=x.dtype) / (self.temb // 2))
        emb = torch.cat([torch.sin(t[:, None] * freqs), torch.cos(t[:, None] * freqs)], -1)
        scale, shift = self.mlp(emb)[:, :, None, None].chunk(2, 1)
        h = self.norm(self.conv1(F.silu(x))) * (1 + scale) + shift
        return x + self.conv2(F.silu(h))


MODELS = {
    "performer_favor_plus": (_seeded(Performer), lambda: torch.randn(2, 7, 8)),
    "retnet_retention_parallel": (_seeded(Retention), lambda: torch.randn(2, 6, 8)),
    "rwkv4_time_mix_wkv": (_seeded(RWKVTimeMix), lambda: torch.randn(2, 5, 6)),
    "involution": (_seeded(Involution), lambda: torch.randn(2, 4, 5, 5)),
    "conv_lstm": (_seeded(ConvLSTM), lambda: torch.randn(2, 3, 2, 4, 4)),
    "modern_hopfield": (_seeded(HopfieldLayer), lambda: torch.randn(4, 6)),
    "set_transformer_isab_pma": (_seeded(ISAB), lambda: torch.randn(2, 7, 8)),
    "xlstm_mlstm": (_seeded(MLSTM), lambda: torch.randn(2, 5, 6)),
    "min_gru_log_space_scan": (_seeded(MinGRULogSpace), lambda: torch.randn(2, 6, 4)),
    "gated_conv_lm_glu": (_seeded(GatedConvLM), lambda: torch.randn(2, 6, 9)),
    "tcn_weight_norm": (_seeded(TCNWeightNorm), lambda: torch.randn(2, 3, 8)),
    "diffusion_time_film": (_seeded(DiffusionTimeFiLM), lambda: torch.randn(2, 4, 4, 4)),
}


class ScriptedHalvingLoop(nn.Module):
    """For torch.jit.script + the TorchScript ONNX exporter (Loop with a data-dependent condition, If): tanh-shrink
    the state until its squared norm is below 1 (at most 8 trips), a recurrent pass over the sequence (for over x.size(1),
    a Loop whose trip count is the input's length), the sign of the sum choosing the head."""
    def __init__(self, d: int = 4):
        super().__init__()
        self.inp, self.rec, self.a, self.b = nn.Linear(d, d), nn.Linear(d, d), nn.Linear(d, 3), nn.Linear(d, 3)

    def forward(self, x):                                               # (2, 5, 4)
        h = self.inp(x[:, 0])
        i = 0
        while bool((h * h).sum() > 1.0) and i < 8:
            h = torch.tanh(h) * 0.8
            i += 1
        for t in range(x.size(1)):
            h = torch.tanh(self.rec(h) + x[:, t])
        if bool(h.sum() > 0):
            return self.a(h) * 2.0
        return torch.sin(self.b(h))

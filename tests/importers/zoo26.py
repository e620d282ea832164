"""Round 26's held-out torch models (benchmarks/IMPORT_ZOO.md, Round 26): blocks written by hand the way users (and
HuggingFace's modelling files) write them, of kinds no earlier round had. Each builder returns a model in eval mode;
test_zoo26.py imports them by torch.export (and some through torch.onnx.export) and checks them against torch."""
import math

import torch
from torch import nn
from torch.nn import functional as F


def _seeded(cls):
    def build(*args):
        torch.manual_seed(26)
        return cls(*args).eval()
    return build


class RMSNorm(nn.Module):
    """LlamaRMSNorm: the variance in float32 whatever the input's type, rsqrt, cast back, then the weight."""

    def __init__(self, d, eps=1e-6):
        super().__init__()
        self.weight, self.eps = nn.Parameter(1 + 0.1 * torch.randn(d)), eps

    def forward(self, x):
        dtype = x.dtype
        x = x.to(torch.float32)
        x = x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps)
        return self.weight * x.to(dtype)


def rotate_half(x):
    x1, x2 = x[..., : x.shape[-1] // 2], x[..., x.shape[-1] // 2:]
    return torch.cat((-x2, x1), dim=-1)


class MistralSdpaBlock(nn.Module):
    """A Mistral-style decoder layer: RMSNorm, RoPE from a cos / sin cache (non-persistent buffers, rotate_half),
    grouped-query attention by F.scaled_dot_product_attention(enable_gqa=True) under a sliding-window causal bool
    mask (window 3), a SwiGLU MLP, two residuals."""

    def __init__(self, d=16, heads=4, kv_heads=2, window=3, seq=6):
        super().__init__()
        self.hd, self.h, self.kv = d // heads, heads, kv_heads
        self.q = nn.Linear(d, d, bias=False)
        self.k, self.v = nn.Linear(d, kv_heads * self.hd, bias=False), nn.Linear(d, kv_heads * self.hd, bias=False)
        self.o = nn.Linear(d, d, bias=False)
        self.n1, self.n2 = RMSNorm(d), RMSNorm(d)
        self.gate, self.up, self.down = nn.Linear(d, 24, bias=False), nn.Linear(d, 24, bias=False), \
            nn.Linear(24, d, bias=False)
        inv = 1.0 / (10000 ** (torch.arange(0, self.hd, 2).float() / self.hd))
        emb = torch.cat([torch.outer(torch.arange(seq).float(), inv)] * 2, -1)
        self.register_buffer("cos_cached", emb.cos(), persistent=False)
        self.register_buffer("sin_cached", emb.sin(), persistent=False)
        i = torch.arange(seq)
        self.register_buffer("mask", (i[None, :] <= i[:, None]) & (i[:, None] - i[None, :] < window), persistent=False)

    def forward(self, x):                                              # (B, T, d)
        b, t, _ = x.shape
        h = self.n1(x)
        q = self.q(h).view(b, t, self.h, self.hd).transpose(1, 2)
        k = self.k(h).view(b, t, self.kv, self.hd).transpose(1, 2)
        v = self.v(h).view(b, t, self.kv, self.hd).transpose(1, 2)
        cos, sin = self.cos_cached[:t][None, None], self.sin_cached[:t][None, None]
        q, k = q * cos + rotate_half(q) * sin, k * cos + rotate_half(k) * sin
        a = F.scaled_dot_product_attention(q, k, v, attn_mask=self.mask[:t, :t], enable_gqa=True)
        x = x + self.o(a.transpose(1, 2).reshape(b, t, -1))
        h = self.n2(x)
        return x + self.down(F.silu(self.gate(h)) * self.up(h))


class PartialRotaryRepeatKV(nn.Module):
    """GPT-J / Phi style attention: rotary on the first half of each head only, the pairs interleaved (rotate_every_two
    by stack / flatten), kv heads repeated by HF's repeat_kv (expand + reshape), an additive float causal mask of
    torch.finfo(float32).min (HF's min_dtype) plus a padding mask, softmax in float32, a GELU(tanh) MLP in parallel."""

    def __init__(self, d=12, heads=4, kv_heads=1, seq=5):
        super().__init__()
        self.hd, self.h, self.kv, self.rd = d // heads, heads, kv_heads, 2
        self.qkv = nn.Linear(d, (heads + 2 * kv_heads) * self.hd)
        self.o, self.fc1, self.fc2 = nn.Linear(d, d), nn.Linear(d, 20), nn.Linear(20, d)
        self.ln = nn.LayerNorm(d)
        inv = 1.0 / (100 ** (torch.arange(0, self.rd, 2).float() / self.rd))
        f = torch.outer(torch.arange(seq).float(), inv)                  # (T, rd / 2)
        self.register_buffer("sin", f.sin().repeat_interleave(2, -1), persistent=False)
        self.register_buffer("cos", f.cos().repeat_interleave(2, -1), persistent=False)
        min_dtype = torch.finfo(torch.float32).min
        causal = torch.full((seq, seq), min_dtype).triu(1)
        pad = torch.tensor([[1, 1, 1, 1, 1], [0, 1, 1, 1, 1]], dtype=torch.bool)  # left padding of row 1
        self.register_buffer("amask", causal[None, None] .masked_fill(~pad[:, None, None, :], min_dtype),
                             persistent=False)

    @staticmethod
    def rotate_every_two(x):
        return torch.stack((-x[..., 1::2], x[..., ::2]), -1).flatten(-2)

    def forward(self, x):                                              # (2, T, d)
        b, t, _ = x.shape
        h = self.ln(x)
        qkv = self.qkv(h).view(b, t, self.h + 2 * self.kv, self.hd).transpose(1, 2)
        q, k, v = qkv.split([self.h, self.kv, self.kv], 1)
        rot = lambda z: torch.cat([z[..., :self.rd] * self.cos[:t] + self.rotate_every_two(z[..., :self.rd])
                                   * self.sin[:t], z[..., self.rd:]], -1)
        q, k = rot(q), rot(k)
        n = self.h // self.kv
        k = k[:, :, None].expand(b, self.kv, n, t, self.hd).reshape(b, self.h, t, self.hd)
        v = v[:, :, None].expand(b, self.kv, n, t, self.hd).reshape(b, self.h, t, self.hd)
        s = q @ k.transpose(2, 3) / math.sqrt(self.hd) + self.amask[:, :, :t, :t]
        a = F.softmax(s, dim=-1, dtype=torch.float32).to(q.dtype) @ v
        att = self.o(a.transpose(1, 2).reshape(b, t, -1))
        return x + att + self.fc2(F.gelu(self.fc1(h), approximate="tanh"))


class ConvMixerGhost(nn.Module):
    """ConvMixer's mixing layer with an even depthwise kernel under padding="same" (torch pads 1 before, 2 after),
    GELU and eval BatchNorm around a residual, then a GhostNet ghost module (a 1x1 primary conv, a cheap depthwise 3x3
    of its output, concatenated and sliced to the output width), hardswish, adaptive average pooling."""

    def __init__(self, c=4):
        super().__init__()
        self.dw = nn.Conv2d(c, c, 4, groups=c, padding="same")
        self.bn1, self.pw, self.bn2 = nn.BatchNorm2d(c), nn.Conv2d(c, c, 1), nn.BatchNorm2d(c)
        self.primary = nn.Conv2d(c, 3, 1, bias=False)
        self.cheap = nn.Conv2d(3, 3, 3, padding=1, groups=3, bias=False)
        for bn in (self.bn1, self.bn2):
            bn.running_mean.uniform_(-0.2, 0.2)
            bn.running_var.uniform_(0.5, 1.5)

    def forward(self, x):                                              # (B, c, 7, 6)
        x = x + self.bn1(F.gelu(self.dw(x)))
        x = self.bn2(F.gelu(self.pw(x)))
        p = self.primary(x)
        g = torch.cat([p, self.cheap(p)], 1)[:, :5]
        return F.adaptive_avg_pool2d(F.hardswish(g), (2, 3)).flatten(1)


class WaveNetMuLaw(nn.Module):
    """WaveNet: mu-law companding of the waveform, a causal 2-tap conv stack (left padding by F.pad, dilations 1, 2,
    4), gated tanh * sigmoid units, 1x1 residual and skip convs, ReLU heads, a log-softmax over 8 classes."""

    def __init__(self, c=6):
        super().__init__()
        self.inp = nn.Conv1d(1, c, 1)
        self.dil = nn.ModuleList(nn.Conv1d(c, 2 * c, 2, dilation=d) for d in (1, 2, 4))
        self.res = nn.ModuleList(nn.Conv1d(c, c, 1) for _ in range(2))  # the last layer's residual is unused
        self.skip = nn.ModuleList(nn.Conv1d(c, c, 1) for _ in range(3))
        self.head1, self.head2 = nn.Conv1d(c, c, 1), nn.Conv1d(c, 8, 1)

    def forward(self, x):                                              # (B, T) in [-1, 1]
        mu = 255.0
        x = torch.sign(x) * torch.log1p(mu * x.abs()) / math.log1p(mu)
        h, skips = self.inp(x[:, None]), 0
        for k, (conv, skip) in enumerate(zip(self.dil, self.skip)):
            z = conv(F.pad(h, (2 ** k, 0)))
            a, g = z.chunk(2, 1)
            z = torch.tanh(a) * torch.sigmoid(g)
            skips = skips + skip(z)
            if k < len(self.res):
                h = h + self.res[k](z)
        return F.log_softmax(self.head2(F.relu(self.head1(F.relu(skips)))), 1)


class LogMelDeltas(nn.Module):
    """Speech front end: torch.stft (center=False, normalized, a Hann window buffer), power, a triangular mel
    filterbank (a buffer), log of a clamped energy, per-utterance mean normalisation, deltas by a 5-tap conv1d over
    time with replicate padding, then a linear classifier of [features, deltas] pooled over time."""

    def __init__(self, n_fft=16, mels=5):
        super().__init__()
        self.n_fft = n_fft
        self.register_buffer("window", torch.hann_window(n_fft))
        bins = n_fft // 2 + 1
        edges = torch.linspace(0, bins - 1, mels + 2)
        f = torch.arange(bins).float()
        lo, mid, hi = edges[:-2, None], edges[1:-1, None], edges[2:, None]
        self.register_buffer("fb", torch.clamp(torch.minimum((f - lo) / (mid - lo), (hi - f) / (hi - mid)), min=0))
        self.register_buffer("delta", torch.tensor([-2.0, -1.0, 0.0, 1.0, 2.0]).view(1, 1, 5).repeat(mels, 1, 1)
                             / 10.0)
        self.cls = nn.Linear(2 * mels, 3)

    def forward(self, x):                                              # (B, 64)
        spec = torch.stft(x, self.n_fft, hop_length=6, window=self.window, center=False, normalized=True,
                          return_complex=True)                         # (B, bins, frames)
        power = spec.real ** 2 + spec.imag ** 2
        mel = torch.log(torch.clamp(self.fb @ power, min=1e-5))       # (B, mels, frames)
        mel = mel - mel.mean(-1, keepdim=True)
        d = F.conv1d(F.pad(mel, (2, 2), mode="replicate"), self.delta, groups=mel.shape[1])
        return self.cls(torch.cat([mel, d], 1).transpose(1, 2)).mean(1)


class GATEdgeSoftmax(nn.Module):
    """A two-head graph attention layer: scores LeakyReLU(a_s . W h_src + a_d . W h_dst) per edge, a softmax over each
    node's incoming edges (the max by scatter_reduce amax without self, the sums by index_add), messages scattered by
    Tensor.scatter_add_ into zeros, ELU, then a graph readout by torch.segment_reduce-free segment mean (index_add
    over a graph id / counts)."""

    def __init__(self, d=4, out=3, heads=2):
        super().__init__()
        self.w = nn.Linear(d, heads * out, bias=False)
        self.a_src, self.a_dst = nn.Parameter(torch.randn(heads, out)), nn.Parameter(torch.randn(heads, out))
        self.heads, self.out = heads, out
        self.register_buffer("src", torch.tensor([0, 1, 2, 3, 4, 0, 2, 5, 1, 5]))
        self.register_buffer("dst", torch.tensor([1, 2, 0, 4, 3, 2, 1, 4, 1, 3]))
        self.register_buffer("gid", torch.tensor([0, 0, 0, 1, 1, 1]))

    def forward(self, x):                                              # (6 nodes, d)
        n = x.shape[0]
        h = self.w(x).view(n, self.heads, self.out)
        e = F.leaky_relu((h[self.src] * self.a_src).sum(-1) + (h[self.dst] * self.a_dst).sum(-1), 0.2)  # (E, H)
        m = torch.full((n, self.heads), -1e9).scatter_reduce(0, self.dst[:, None].expand(-1, self.heads), e,
                                                             "amax", include_self=False)
        p = torch.exp(e - m[self.dst])
        den = torch.zeros(n, self.heads).index_add(0, self.dst, p)
        alpha = p / den[self.dst]
        msg = (alpha[..., None] * h[self.src]).reshape(-1, self.heads * self.out)
        agg = torch.zeros(n, self.heads * self.out)
        agg.scatter_add_(0, self.dst[:, None].expand(-1, self.heads * self.out), msg)
        node = F.elu(agg)
        counts = torch.zeros(2).index_add(0, self.gid, torch.ones(n))
        return torch.zeros(2, node.shape[1]).index_add(0, self.gid, node) / counts[:, None]


class NeuralODERK4(nn.Module):
    """A neural ODE dz/dt = f(t, z) (time concatenated to the state, softplus MLP) integrated from t = 0 to 1 by 4 fixed
    classical Runge-Kutta steps; the final state and the trapezoid estimate of the kinetic regulariser int |f|^2."""

    def __init__(self, d=3):
        super().__init__()
        self.f = nn.Sequential(nn.Linear(d + 1, 10), nn.Softplus(), nn.Linear(10, d))

    def field(self, t, z):
        return self.f(torch.cat([z, torch.full_like(z[:, :1], t)], 1))

    def forward(self, z):                                              # (B, d)
        steps, dt, kin = 4, 0.25, 0.0
        for i in range(steps):
            t = i * dt
            k1 = self.field(t, z)
            k2 = self.field(t + dt / 2, z + dt / 2 * k1)
            k3 = self.field(t + dt / 2, z + dt / 2 * k2)
            k4 = self.field(t + dt, z + dt * k3)
            z = z + dt / 6 * (k1 + 2 * k2 + 2 * k3 + k4)
            kin = kin + dt / 2 * ((k1 ** 2).sum(1) + (k4 ** 2).sum(1))
        return torch.cat([z, kin[:, None]], 1)


class FNO1dViewAsComplex(nn.Module):
    """A 1-D Fourier neural operator layer as neuraloperator writes its weights: real parameters (.., 2) read by
    torch.view_as_complex, rfft with norm="ortho", the lowest 3 modes mixed by a complex einsum, irfft back to the
    grid's length, a pointwise skip, GELU; lifted from and projected to one channel."""

    def __init__(self, width=4, modes=3):
        super().__init__()
        self.lift, self.proj = nn.Linear(2, width), nn.Linear(width, 1)
        self.w = nn.Parameter(torch.randn(width, width, modes, 2) / width)
        self.skip, self.modes = nn.Conv1d(width, width, 1), modes

    def forward(self, u):                                              # (B, n)
        grid = torch.linspace(0, 1, u.shape[1]).expand_as(u)
        h = self.lift(torch.stack([u, grid], -1)).transpose(1, 2)      # (B, width, n)
        hf = torch.fft.rfft(h, norm="ortho")
        out = torch.zeros_like(hf)
        out[..., :self.modes] = torch.einsum("bix,iox->box", hf[..., :self.modes], torch.view_as_complex(self.w))
        h = F.gelu(torch.fft.irfft(out, n=h.shape[-1], norm="ortho") + self.skip(h))
        return self.proj(h.transpose(1, 2)).squeeze(-1)


class EmbeddingMaxNorm(nn.Module):
    """nn.Embedding(max_norm=1): each call renormalises the rows it reads (in place, under no_grad) so their 2-norm is
    at most 1; rows 0, 2 are over the norm, 1, 3 under it."""

    def __init__(self):
        super().__init__()
        self.emb = nn.Embedding(6, 4, max_norm=1.0)
        with torch.no_grad():
            self.emb.weight.mul_(torch.tensor([2.0, 0.2, 1.5, 0.3, 3.0, 0.4])[:, None])
        self.register_buffer("ids", torch.tensor([[0, 2, 1], [3, 2, 2]]))

    def forward(self, x):                                              # (2, 3)
        return (self.emb(self.ids) * torch.tanh(x)[..., None]).sum(1)

    def reference(self, x):
        """The rows as the weight holds them after a call (torch.func cannot transform embedding_renorm_'s write:
        the jvp / HVP reference, run after the model, when the rows read are renormalised already)."""
        return (F.embedding(self.ids, self.emb.weight) * torch.tanh(x)[..., None]).sum(1)


MODELS = {
    "mistral_sdpa_enable_gqa_sliding_window": (_seeded(MistralSdpaBlock), lambda: torch.randn(2, 6, 16)),
    "partial_rotary_repeat_kv_min_dtype_mask": (_seeded(PartialRotaryRepeatKV), lambda: torch.randn(2, 5, 12)),
    "convmixer_same_even_kernel_ghost": (_seeded(ConvMixerGhost), lambda: torch.randn(2, 4, 7, 6)),
    "wavenet_mulaw_gated_dilated": (_seeded(WaveNetMuLaw), lambda: torch.rand(2, 12) * 1.8 - 0.9),
    "log_mel_deltas_stft": (_seeded(LogMelDeltas), lambda: torch.randn(2, 64)),
    "gat_edge_softmax_scatter": (_seeded(GATEdgeSoftmax), lambda: torch.randn(6, 4)),
    "neural_ode_rk4_time_field": (_seeded(NeuralODERK4), lambda: torch.randn(3, 3)),
    "fno1d_view_as_complex_ortho": (_seeded(FNO1dViewAsComplex), lambda: torch.randn(2, 10)),
    "embedding_max_norm": (_seeded(EmbeddingMaxNorm), lambda: torch.randn(2, 3)),
}

# torch's own autodiff lacks a rule one of these models needs: the equal model its jvp / HVP reference runs
JVP_REFERENCE = {"embedding_max_norm": "reference"}

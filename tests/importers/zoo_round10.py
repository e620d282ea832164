"""Held-out networks for the sweep (round 10, kinds not in earlier rounds), written as users write them: a
Galerkin-transformer neural operator (softmax-free attention, LayerNorm on keys and values), a decoder layer with
rotary embeddings applied at a KV cache's offset (RMSNorm, grouped-query heads by repeat_interleave, SwiGLU; the new
caches are outputs), a 3-D UNet block (Conv3d, GroupNorm, MaxPool3d, trilinear upsampling, ConvTranspose3d, skip
concat), a complex-valued layer (complex weights, modReLU), an xLSTM mLSTM cell (exponential gates with the max
stabiliser, matrix memory), DGCNN's EdgeConv (k nearest neighbours by topk, gathered edge features, max over
neighbours), Performer's FAVOR+ positive random features, a Hyena long convolution (implicit filter, causal FFT
convolution), norm variants (nn.RMSNorm, LayerNorm without bias, GroupNorm(1), LocalResponseNorm, F.normalize,
BatchNorm1d on sequences) and NeuralSort (a relaxed sort's permutation matrix). (Gumbel-softmax with the noise as an
input and MLP-Mixer were tried too and imported on every path; they add no import path the sweep lacks and were left
out for CI time.) Same contract as zoo.py; tiny shapes."""
import math

import torch
from torch import nn
from torch.nn import functional as F

from .zoo import _x, case
from .zoo_families import _distinct


@case("galerkin_transformer_softmax_free_operator")
def _galerkin():
    class Galerkin(nn.Module):
        """Cao (2021): attention Q (LN(K)^T LN(V)) / n per head over grid points, no softmax; the input
        function's values and the grid coordinate are lifted together."""

        def __init__(self, d=8, heads=2):
            super().__init__()
            self.h, self.d = heads, d
            self.lift = nn.Linear(2, d)
            self.qkv = nn.Linear(d, 3 * d)
            self.ln_k, self.ln_v = nn.LayerNorm(d // heads), nn.LayerNorm(d // heads)
            self.out = nn.Linear(d, d)
            self.ff = nn.Sequential(nn.Linear(d, 16), nn.GELU(), nn.Linear(16, d))
            self.proj = nn.Linear(d, 1)

        def forward(self, a):  # a [b, n]: the input function on a uniform grid
            b, n = a.shape
            grid = torch.linspace(0, 1, n).expand(b, n)
            z = self.lift(torch.stack([a, grid], -1))
            q, k, v = self.qkv(z).view(b, n, 3, self.h, self.d // self.h).permute(2, 0, 3, 1, 4)
            k, v = self.ln_k(k), self.ln_v(v)
            att = q @ (k.transpose(-1, -2) @ v) / n
            z = z + self.out(att.transpose(1, 2).reshape(b, n, self.d))
            z = z + self.ff(z)
            return self.proj(z)[..., 0]
    torch.manual_seed(100)
    return _distinct(Galerkin()), (_x(2, 12, seed=1),)


@case("rope_decoder_layer_kv_cache_gqa_rmsnorm_swiglu")
def _rope_cache():
    class Decoder(nn.Module):
        """One decode chunk of 3 tokens after 5 cached ones: rotary angles start at the cache's length,
        K / V of the chunk are appended to the caches, 4 query heads share 2 KV heads."""

        def __init__(self, d=16, hq=4, hkv=2):
            super().__init__()
            self.hq, self.hkv, self.hd = hq, hkv, d // hq
            self.norm1, self.norm2 = nn.RMSNorm(d, eps=1e-5), nn.RMSNorm(d)
            self.q = nn.Linear(d, hq * self.hd, bias=False)
            self.kv = nn.Linear(d, 2 * hkv * self.hd, bias=False)
            self.o = nn.Linear(d, d, bias=False)
            self.gate, self.up, self.down = nn.Linear(d, 24, bias=False), nn.Linear(d, 24, bias=False), \
                nn.Linear(24, d, bias=False)
            inv = 1.0 / (10000 ** (torch.arange(0, self.hd, 2).float() / self.hd))
            self.register_buffer("inv_freq", inv)

        def rope(self, t, start):  # t [b, h, s, hd], rotate-half form (Llama's)
            pos = torch.arange(start, start + t.shape[2]).float()
            ang = pos[:, None] * self.inv_freq[None]
            cos, sin = torch.cat([ang, ang], -1).cos(), torch.cat([ang, ang], -1).sin()
            t1, t2 = t[..., :self.hd // 2], t[..., self.hd // 2:]
            return t * cos + torch.cat([-t2, t1], -1) * sin

        def forward(self, x, k_cache, v_cache):  # x [b, s, d]; caches [b, hkv, past, hd]
            b, s, _ = x.shape
            past = k_cache.shape[2]
            h = self.norm1(x)
            q = self.q(h).view(b, s, self.hq, self.hd).transpose(1, 2)
            k, v = self.kv(h).view(b, s, 2, self.hkv, self.hd).permute(2, 0, 3, 1, 4)
            q, k = self.rope(q, past), self.rope(k, past)
            k_all, v_all = torch.cat([k_cache, k], 2), torch.cat([v_cache, v], 2)
            rep = self.hq // self.hkv
            kk, vv = k_all.repeat_interleave(rep, 1), v_all.repeat_interleave(rep, 1)
            logits = q @ kk.transpose(-1, -2) / math.sqrt(self.hd)
            allowed = torch.arange(past + s)[None, :] <= (past + torch.arange(s))[:, None]
            att = logits.masked_fill(~allowed, float("-inf")).softmax(-1) @ vv
            x = x + self.o(att.transpose(1, 2).reshape(b, s, -1))
            h = self.norm2(x)
            return x + self.down(F.silu(self.gate(h)) * self.up(h)), k_all, v_all
    torch.manual_seed(101)
    return _distinct(Decoder()), (_x(2, 3, 16, seed=1), _x(2, 2, 5, 4, seed=2), _x(2, 2, 5, 4, seed=3))


@case("unet3d_block_groupnorm_trilinear_convtranspose3d")
def _unet3d():
    class Block(nn.Module):
        def __init__(self, c=4):
            super().__init__()
            self.enc = nn.Sequential(nn.Conv3d(2, c, 3, padding=1), nn.GroupNorm(2, c), nn.SiLU())
            self.mid = nn.Sequential(nn.Conv3d(c, 2 * c, 3, padding=1), nn.GroupNorm(4, 2 * c), nn.SiLU())
            self.up = nn.ConvTranspose3d(2 * c, c, 2, stride=2)
            self.dec = nn.Conv3d(3 * c, 2, (3, 1, 3), padding=(1, 0, 1))

        def forward(self, x):  # x [1, 2, 4, 6, 6]
            e = self.enc(x)
            m = self.mid(F.max_pool3d(e, 2))
            u = torch.cat([self.up(m), e, F.interpolate(m[:, :4], scale_factor=2, mode="trilinear",
                                                         align_corners=False)], 1)
            return self.dec(u)
    torch.manual_seed(102)
    return _distinct(Block()), (_x(1, 2, 4, 6, 6, seed=1),)


@case("complex_linear_modrelu")
def _complex():
    class ComplexLayer(nn.Module):
        """A complex dense layer (complex64 weight and bias), modReLU relu(|z| + b) z / |z|, then a second
        complex layer; the real input pairs are made complex and the output split back."""

        def __init__(self):
            super().__init__()
            g = torch.Generator().manual_seed(4)
            self.w1 = nn.Parameter(torch.complex(torch.randn(4, 6, generator=g), torch.randn(4, 6, generator=g)) / 2)
            self.b1 = nn.Parameter(torch.complex(torch.randn(6, generator=g), torch.randn(6, generator=g)) / 4)
            self.m = nn.Parameter(torch.randn(6, generator=g) * 0.3)
            self.w2 = nn.Parameter(torch.complex(torch.randn(6, 3, generator=g), torch.randn(6, 3, generator=g)) / 2)

        def forward(self, re, im):
            z = torch.complex(re, im) @ self.w1 + self.b1
            mag = z.abs() + 1e-6
            z = z * (F.relu(mag + self.m) / mag)
            y = z @ self.w2
            return y.real, y.imag
    return ComplexLayer().eval(), (_x(5, 4, seed=1), _x(5, 4, seed=2))


@case("xlstm_mlstm_exponential_gates_stabilised")
def _mlstm():
    class MLSTM(nn.Module):
        """Beck et al. (2024): C_t = f C + i v k^T, n_t = f n + i k, h = o (C q) / max(|n.q|, 1); the
        exponential input gate and sigmoid forget gate in log space, stabilised by the running max m."""

        def __init__(self, d=6, hd=4):
            super().__init__()
            self.hd = hd
            self.qkv = nn.Linear(d, 3 * hd)
            self.gates = nn.Linear(d, 2)
            self.o = nn.Linear(d, hd)
            self.out = nn.Linear(hd, d)

        def forward(self, x):  # x [b, t, d]
            b, t, _ = x.shape
            c = x.new_zeros(b, self.hd, self.hd)
            n = x.new_zeros(b, self.hd)
            m = x.new_zeros(b)
            hs = []
            for s in range(t):
                q, k, v = self.qkv(x[:, s]).chunk(3, -1)
                k = k / math.sqrt(self.hd)
                i_pre, f_pre = self.gates(x[:, s]).unbind(-1)
                logf = F.logsigmoid(f_pre)
                m_new = torch.maximum(logf + m, i_pre)
                i, f = torch.exp(i_pre - m_new), torch.exp(logf + m - m_new)
                c = f[:, None, None] * c + i[:, None, None] * v[:, :, None] * k[:, None, :]
                n = f[:, None] * n + i[:, None] * k
                m = m_new
                hc = (c @ q[:, :, None])[..., 0]
                den = torch.maximum((n * q).sum(-1).abs(), torch.exp(-m))
                hs.append(torch.sigmoid(self.o(x[:, s])) * hc / den[:, None])
            return self.out(torch.stack(hs, 1))
    torch.manual_seed(104)
    return _distinct(MLSTM()), (_x(2, 3, 6, seed=1),)


@case("dgcnn_edgeconv_knn_topk_gather_max")
def _dgcnn():
    class EdgeConv(nn.Module):
        """Wang et al. (2019): the k nearest neighbours of each point (topk of -distance, self included),
        edge features [x_i, x_j - x_i], a shared MLP, max over the neighbours; twice (the second graph in
        feature space), then a global max pool."""

        def __init__(self, k=3):
            super().__init__()
            self.k = k
            self.h1 = nn.Sequential(nn.Linear(6, 8), nn.LeakyReLU(0.2), nn.Linear(8, 8))
            self.h2 = nn.Sequential(nn.Linear(16, 8), nn.LeakyReLU(0.2))
            self.head = nn.Linear(16, 2)

        def edge(self, x, mlp):  # x [b, n, c]
            d = (x[:, :, None] - x[:, None]).pow(2).sum(-1)
            idx = (-d).topk(self.k, -1).indices  # [b, n, k]
            b, n, c = x.shape
            nb = torch.gather(x[:, None].expand(b, n, n, c), 2, idx[..., None].expand(b, n, self.k, c))
            xi = x[:, :, None].expand(b, n, self.k, c)
            return mlp(torch.cat([xi, nb - xi], -1)).amax(2)

        def forward(self, pts):  # pts [b, n, 3]
            f1 = self.edge(pts, self.h1)
            f2 = self.edge(f1, self.h2)
            return self.head(torch.cat([f1, f2], -1).amax(1))
    torch.manual_seed(105)
    return _distinct(EdgeConv()), (_x(2, 7, 3, seed=1),)


@case("performer_favor_positive_random_features")
def _performer():
    class Performer(nn.Module):
        """Choromanski et al. (2021): phi(x) = exp(w x - |x|^2 / 2 - max) / sqrt(m) with a fixed (buffer)
        orthogonal projection, attention phi(Q) (phi(K)^T V) normalised by phi(Q) phi(K)^T 1."""

        def __init__(self, d=6, m=8):
            super().__init__()
            self.qkv = nn.Linear(d, 3 * d)
            q, _ = torch.linalg.qr(torch.randn(m, d, generator=torch.Generator().manual_seed(7)))
            self.register_buffer("proj", q * math.sqrt(d))
            self.out = nn.Linear(d, d)

        def phi(self, x):
            x = x / x.shape[-1] ** 0.25
            wx = x @ self.proj.T
            # the stabiliser is one number per batch element: it cancels between numerator and denominator
            return torch.exp(wx - (x * x).sum(-1, keepdim=True) / 2 - wx.amax((-2, -1), keepdim=True).detach()) \
                / math.sqrt(self.proj.shape[0])

        def forward(self, x):  # x [b, n, d]
            q, k, v = self.qkv(x).chunk(3, -1)
            qp, kp = self.phi(q), self.phi(k)
            num = qp @ (kp.transpose(1, 2) @ v)
            den = qp @ kp.sum(1)[..., None]
            return self.out(num / den)
    torch.manual_seed(107)
    return _distinct(Performer()), (_x(2, 5, 6, seed=1),)


@case("hyena_implicit_filter_fft_long_conv")
def _hyena():
    class Hyena(nn.Module):
        """Poli et al. (2023), order 2: the filter is an MLP of positional features times an exponential
        window, applied as a causal convolution by rfft / irfft of length 2L; gates by projections."""

        def __init__(self, d=4, length=8):
            super().__init__()
            self.proj = nn.Linear(d, 3 * d)
            self.filt = nn.Sequential(nn.Linear(3, 8), nn.SiLU(), nn.Linear(8, d))
            self.decay = nn.Parameter(torch.tensor([0.3, 0.5, 0.7, 0.9]))
            self.out = nn.Linear(d, d)
            t = torch.linspace(0, 1, length)[:, None]
            self.register_buffer("pos", torch.cat([t, torch.sin(3 * t), torch.cos(3 * t)], -1))
            self.register_buffer("tt", torch.arange(length).float()[:, None])

        def forward(self, u):  # u [b, L, d]
            b, n, d = u.shape
            x1, x2, v = self.proj(u).chunk(3, -1)
            h = self.filt(self.pos) * torch.exp(-self.decay.abs() * self.tt)  # [L, d]
            y = torch.fft.irfft(torch.fft.rfft(x1 * v, n=2 * n, dim=1) * torch.fft.rfft(h, n=2 * n, dim=0),
                                n=2 * n, dim=1)[:, :n]
            return self.out(x2 * y)
    torch.manual_seed(108)
    return _distinct(Hyena()), (_x(2, 8, 4, seed=1),)


@case("norm_variants_rmsnorm_nobias_groupnorm1_lrn")
def _norms():
    class Norms(nn.Module):
        def __init__(self):
            super().__init__()
            self.rms = nn.RMSNorm([5], eps=1e-6)
            self.rms_noeps = nn.RMSNorm(5)
            self.ln = nn.LayerNorm(5, bias=False)
            self.gn = nn.GroupNorm(1, 4)
            self.lrn = nn.LocalResponseNorm(3, alpha=0.5, beta=0.75, k=1.5)
            self.bn = nn.BatchNorm1d(4)

        def forward(self, x):  # x [2, 4, 5]
            return (self.rms(x), self.rms_noeps(x * 3), self.ln(x), self.gn(x), self.lrn(x), self.bn(x),
                    F.normalize(x, p=2.0, dim=1), F.normalize(x, p=1.0, dim=-1))
    torch.manual_seed(109)
    return _distinct(Norms()), (_x(2, 4, 5, seed=1, scale=2.0),)


@case("neuralsort_relaxed_permutation")
def _neuralsort():
    class NeuralSort(nn.Module):
        """Grover et al. (2019): P[i] = softmax(((n + 1 - 2 i) s - A 1) / tau), A = |s_j - s_k|; scores from
        an MLP, the relaxed permutation applied to the values."""

        def __init__(self, tau=0.5):
            super().__init__()
            self.tau = tau
            self.score = nn.Sequential(nn.Linear(3, 8), nn.Tanh(), nn.Linear(8, 1))

        def forward(self, x, vals):  # x [b, n, 3], vals [b, n]
            s = self.score(x)[..., 0]
            n = s.shape[1]
            a = (s[:, :, None] - s[:, None]).abs()
            scaling = (n + 1 - 2 * (torch.arange(n) + 1)).to(s.dtype)
            p = F.softmax((scaling[None, :, None] * s[:, None] - a.sum(-1)[:, None]) / self.tau, -1)
            return p, (p @ vals[..., None])[..., 0]
    torch.manual_seed(110)
    return _distinct(NeuralSort()), (_x(2, 5, 3, seed=1), _x(2, 5, seed=2))

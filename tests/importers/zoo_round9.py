"""Held-out networks for the sweep (round 9, kinds not in earlier rounds), written as users write them: a
rational-quadratic neural spline coupling flow (softmax bins, cumsum knots, searchsorted, logdet), a CLIP
contrastive head (a scalar `logit_scale` parameter, symmetric cross-entropy), a quantisation-aware-trained
MLP (fake_quantize per tensor / per channel), a linear-chain CRF negative log-likelihood (forward algorithm,
gold path by gather), log-domain Sinkhorn optimal transport, a gated PixelCNN layer (masked convolution
weights), SchNet's continuous-filter convolution (RBF distances, cosine cutoff, index_add), LISTA (unrolled
soft thresholding with learned thresholds), an Instant-NGP hash-grid encoding (integer hashing by XOR,
bilinear weights), a log-mel STFT front end, a spectral-normalised MLP (power-iteration buffers) and RoIAlign
by bilinear gathers. (A ConvLSTM, ChebNet and Poincare-ball embeddings were tried too and imported on every
path; they add no import path the sweep lacks and were left out for CI time.) Same contract as zoo.py; tiny
shapes."""
import math

import torch
from torch import nn
from torch.nn import functional as F

from .zoo import _x, case
from .zoo_families import _distinct


@case("neural_spline_flow_searchsorted_logdet")
def _spline_flow():
    class SplineCoupling(nn.Module):
        """Rational-quadratic spline (Durkan et al. 2019) on [-B, B], identity outside; the conditioner
        reads the first half, the spline transforms the second."""

        def __init__(self, d=4, bins=5, bound=3.0):
            super().__init__()
            self.k, self.b, self.h = bins, bound, d // 2
            self.net = nn.Sequential(nn.Linear(self.h, 16), nn.Tanh(), nn.Linear(16, self.h * (3 * bins - 1)))

        def forward(self, x):  # x [6, 4]
            x1, x2 = x[:, :self.h], x[:, self.h:]
            p = self.net(x1).view(x.shape[0], self.h, 3 * self.k - 1)
            w = F.softmax(p[..., :self.k], -1) * 2 * self.b
            hgt = F.softmax(p[..., self.k:2 * self.k], -1) * 2 * self.b
            d = F.softplus(p[..., 2 * self.k:]) + 1e-3
            d = F.pad(d, (1, 1), value=1.0)  # unit slopes at the ends
            cw = F.pad(torch.cumsum(w, -1), (1, 0)) - self.b  # knots [n, h, k + 1]
            ch = F.pad(torch.cumsum(hgt, -1), (1, 0)) - self.b
            inside = (x2 > -self.b) & (x2 < self.b)
            xc = x2.clamp(-self.b + 1e-4, self.b - 1e-4)
            idx = (torch.searchsorted(cw[..., 1:-1].contiguous(), xc[..., None].contiguous())).clamp(0, self.k - 1)
            g = lambda t: t.gather(-1, idx)[..., 0]  # noqa: E731
            x0, y0, wk, hk = g(cw), g(ch), g(w), g(hgt)
            d0, d1 = g(d), d[..., 1:].gather(-1, idx)[..., 0]
            s = hk / wk
            t = (xc - x0) / wk
            den = s + (d1 + d0 - 2 * s) * t * (1 - t)
            y = y0 + hk * (s * t * t + d0 * t * (1 - t)) / den
            dy = s * s * (d1 * t * t + 2 * s * t * (1 - t) + d0 * (1 - t) ** 2) / den ** 2
            y2 = torch.where(inside, y, x2)
            logdet = torch.where(inside, torch.log(dy), torch.zeros_like(dy)).sum(-1)
            return torch.cat([x1, y2], -1), logdet
    torch.manual_seed(90)
    x = _x(6, 4, seed=1, scale=1.5)
    x[0, 3] = 3.5  # one element outside the spline's interval (identity)
    return _distinct(SplineCoupling()).eval(), (x,)


@case("clip_contrastive_scalar_logit_scale")
def _clip():
    class Clip(nn.Module):
        def __init__(self):
            super().__init__()
            self.img, self.txt = nn.Linear(8, 6), nn.Sequential(nn.Linear(5, 6), nn.GELU(), nn.Linear(6, 6))
            self.logit_scale = nn.Parameter(torch.tensor(math.log(1 / 0.07)))  # a 0-d weight

        def forward(self, a, b):  # a [4, 8] images, b [4, 5] texts; the i-th pair matches
            u, v = F.normalize(self.img(a), dim=-1), F.normalize(self.txt(b), dim=-1)
            logits = self.logit_scale.exp() * u @ v.T
            labels = torch.arange(a.shape[0])
            return (F.cross_entropy(logits, labels) + F.cross_entropy(logits.T, labels)) / 2
    torch.manual_seed(91)
    return _distinct(Clip()).eval(), (_x(4, 8), _x(4, 5, seed=1))


@case("qat_fake_quantize_mlp")
def _qat():
    class QatMlp(nn.Module):
        """A quantisation-aware-trained MLP: activations fake-quantised per tensor (uint8, a zero point),
        the weights per output channel (int8); torch's gradient is the straight-through one."""

        def __init__(self):
            super().__init__()
            self.fc1, self.fc2 = nn.Linear(6, 8), nn.Linear(8, 3)
            # the observer's per-channel scales (buffers, as torch.ao's FakeQuantize keeps them)
            self.register_buffer("w_scale", (self.fc1.weight.detach().abs().amax(1) / 100).clamp_min(1e-4))
            self.register_buffer("w_zp", torch.zeros(8, dtype=torch.int32))

        def forward(self, x):  # x [5, 6]
            x = torch.fake_quantize_per_tensor_affine(x, 0.05, 128, 0, 255)
            w = torch.fake_quantize_per_channel_affine(self.fc1.weight, self.w_scale, self.w_zp, 0, -128, 127)
            h = torch.fake_quantize_per_tensor_affine(F.relu(F.linear(x, w, self.fc1.bias)), 0.02, 0, 0, 255)
            return self.fc2(h)
    torch.manual_seed(92)
    x = _x(5, 6)
    x[0, 0] = 9.0  # saturates (outside [-6.4, 6.35]): no gradient there
    return _distinct(QatMlp()).eval(), (x,)


@case("linear_chain_crf_nll_forward_algorithm")
def _crf():
    class BiLstmCrf(nn.Module):
        def __init__(self, d=5, tags=4):
            super().__init__()
            self.emit = nn.Linear(d, tags)
            self.trans = nn.Parameter(torch.randn(tags, tags) * 0.5)
            self.start, self.end = nn.Parameter(torch.randn(tags) * 0.5), nn.Parameter(torch.randn(tags) * 0.5)

        def forward(self, x, tags, mask):  # x [2, 5, 5], tags [2, 5], mask [2, 5] (bool, prefix of ones)
            e = self.emit(x)
            n, t = tags.shape
            # gold path score
            score = self.start[tags[:, 0]] + e[:, 0].gather(1, tags[:, :1])[:, 0]
            last = tags[:, 0]
            for s in range(1, t):
                step = self.trans[tags[:, s - 1], tags[:, s]] + e[:, s].gather(1, tags[:, s:s + 1])[:, 0]
                score = score + step * mask[:, s]
                last = torch.where(mask[:, s], tags[:, s], last)
            score = score + self.end[last]
            # partition function by the forward algorithm
            alpha = self.start + e[:, 0]
            for s in range(1, t):
                nxt = torch.logsumexp(alpha[:, :, None] + self.trans + e[:, s, None, :], 1)
                alpha = torch.where(mask[:, s, None], nxt, alpha)
            log_z = torch.logsumexp(alpha + self.end, 1)
            return (log_z - score).mean()
    torch.manual_seed(93)
    tags = torch.tensor([[0, 2, 1, 3, 3], [1, 1, 0, 2, 0]])
    mask = torch.tensor([[1, 1, 1, 1, 1], [1, 1, 1, 0, 0]], dtype=torch.bool)
    return _distinct(BiLstmCrf()).eval(), (_x(2, 5, 5), tags, mask)


@case("sinkhorn_log_domain_optimal_transport")
def _sinkhorn():
    class SinkhornLoss(nn.Module):
        def __init__(self, eps=0.3, iters=8):
            super().__init__()
            self.proj, self.eps, self.iters = nn.Linear(3, 3), eps, iters

        def forward(self, x, y):  # point clouds x [5, 3], y [4, 3]; uniform marginals
            c = torch.cdist(self.proj(x), y) ** 2
            la, lb = torch.full((5,), -math.log(5.0)), torch.full((4,), -math.log(4.0))
            f, g = torch.zeros(5), torch.zeros(4)
            for _ in range(self.iters):
                f = -self.eps * torch.logsumexp((g[None, :] - c) / self.eps + lb[None, :], 1)
                g = -self.eps * torch.logsumexp((f[:, None] - c) / self.eps + la[:, None], 0)
            plan = torch.exp((f[:, None] + g[None, :] - c) / self.eps + la[:, None] + lb[None, :])
            return (plan * c).sum(), plan
    torch.manual_seed(94)
    return _distinct(SinkhornLoss()).eval(), (_x(5, 3), _x(4, 3, seed=1))


@case("gated_pixelcnn_masked_conv")
def _pixelcnn():
    class MaskedConv(nn.Conv2d):
        def __init__(self, cin, cout, k, kind):
            super().__init__(cin, cout, k, padding=k // 2)
            m = torch.ones_like(self.weight)
            m[:, :, k // 2, k // 2 + (kind == "B"):] = 0
            m[:, :, k // 2 + 1:] = 0
            self.register_buffer("mask", m)

        def forward(self, x):
            return F.conv2d(x, self.weight * self.mask, self.bias, padding=self.padding)

    class GatedPixelCnn(nn.Module):
        def __init__(self):
            super().__init__()
            self.a, self.b = MaskedConv(1, 8, 5, "A"), MaskedConv(4, 8, 3, "B")
            self.cond = nn.Embedding(3, 8)
            self.out = nn.Conv2d(4, 4, 1)

        def forward(self, x, label):  # x [2, 1, 6, 6], label [2] (class-conditional gate)
            def gate(h):
                h = h + self.cond(label)[:, :, None, None]
                return torch.tanh(h[:, :4]) * torch.sigmoid(h[:, 4:])
            h = gate(self.a(x))
            h = h + gate(self.b(h))
            return F.log_softmax(self.out(h), 1)
    torch.manual_seed(96)
    return _distinct(GatedPixelCnn()).eval(), (_x(2, 1, 6, 6), torch.tensor([2, 0]))


@case("schnet_rbf_cosine_cutoff_cfconv")
def _schnet():
    class SchNet(nn.Module):
        def __init__(self, f=6, rbf=8, cutoff=2.5):
            super().__init__()
            self.cutoff = cutoff
            self.register_buffer("mu", torch.linspace(0, cutoff, rbf))
            self.emb = nn.Embedding(4, f)
            self.filt = nn.Sequential(nn.Linear(rbf, f), nn.Softplus(), nn.Linear(f, f))
            self.lin, self.out = nn.Linear(f, f), nn.Sequential(nn.Linear(f, f), nn.Softplus(), nn.Linear(f, 1))

        def forward(self, z, pos, src, dst):  # z [5] atom types, pos [5, 3], edges src -> dst [8]
            d = (pos[src] - pos[dst]).pow(2).sum(-1).add(1e-9).sqrt()
            e = torch.exp(-10.0 * (d[:, None] - self.mu) ** 2)
            cut = 0.5 * (torch.cos(d * math.pi / self.cutoff) + 1) * (d < self.cutoff)
            h = self.emb(z)
            msg = self.lin(h)[src] * self.filt(e) * cut[:, None]
            h = h + torch.zeros_like(h).index_add(0, dst, msg)
            return self.out(h).sum()  # the energy
    torch.manual_seed(97)
    src = torch.tensor([0, 1, 1, 2, 3, 4, 2, 0])
    dst = torch.tensor([1, 0, 2, 1, 4, 3, 0, 2])
    return _distinct(SchNet()).eval(), (torch.tensor([0, 1, 2, 3, 1]), _x(5, 3), src, dst)


@case("lista_unrolled_soft_threshold")
def _lista():
    class Lista(nn.Module):
        def __init__(self, m=5, n=8, layers=4):
            super().__init__()
            self.we, self.s = nn.Linear(m, n, bias=False), nn.Linear(n, n, bias=False)
            self.theta = nn.Parameter(torch.full((layers, n), 0.1) + 0.05 * torch.arange(n))
            self.layers = layers

        def forward(self, y):  # measurements y [3, 5] -> sparse codes [3, 8]
            b = self.we(y)
            z = torch.sign(b) * F.relu(b.abs() - self.theta[0])
            for k in range(1, self.layers):
                u = b + self.s(z)
                z = torch.sign(u) * F.relu(u.abs() - self.theta[k])
            return z
    torch.manual_seed(98)
    return _distinct(Lista()).eval(), (_x(3, 5, scale=2.0),)


@case("instant_ngp_hash_grid_encoding")
def _hash_grid():
    class HashGrid(nn.Module):
        """Multiresolution hash encoding (Mueller et al. 2022) in 2-d: corner coordinates hashed by XOR of
        prime products modulo the table size, features bilinearly interpolated."""

        def __init__(self, levels=2, table=16, f=2):
            super().__init__()
            self.res, self.table = [3, 7][:levels], table
            self.tables = nn.Parameter(torch.randn(levels, table, f) * 0.5)
            self.mlp = nn.Sequential(nn.Linear(levels * f, 8), nn.ReLU(), nn.Linear(8, 1))

        def forward(self, x):  # x [6, 2] in [0, 1)
            feats = []
            for lv, r in enumerate(self.res):
                p = x * r
                p0 = torch.floor(p)
                frac = p - p0
                c = p0.long()
                acc = 0
                for dx in (0, 1):
                    for dy in (0, 1):
                        h = torch.bitwise_xor((c[:, 0] + dx) * 1, (c[:, 1] + dy) * 2654435761) % self.table
                        wgt = (frac[:, 0] if dx else 1 - frac[:, 0]) * (frac[:, 1] if dy else 1 - frac[:, 1])
                        acc = acc + self.tables[lv][h] * wgt[:, None]
                feats.append(acc)
            return self.mlp(torch.cat(feats, -1))
    torch.manual_seed(100)
    x = torch.rand(6, 2, generator=torch.Generator().manual_seed(3))
    return _distinct(HashGrid()).eval(), (x,)


@case("log_mel_stft_frontend_conv")
def _log_mel():
    class LogMel(nn.Module):
        def __init__(self, n_fft=16, hop=4, mels=5):
            super().__init__()
            self.n_fft, self.hop = n_fft, hop
            self.register_buffer("window", torch.hann_window(n_fft))
            fb = torch.relu(1 - (torch.arange(n_fft // 2 + 1)[:, None] - torch.linspace(1, n_fft // 2 - 1, mels)).abs()
                            / 2)
            self.register_buffer("fb", fb)  # [freqs, mels] triangular filters
            self.conv = nn.Conv1d(mels, 3, 3, padding=1)

        def forward(self, wav):  # wav [2, 48]
            spec = torch.stft(wav, self.n_fft, self.hop, window=self.window, center=True, pad_mode="reflect",
                              return_complex=True)
            power = spec.real ** 2 + spec.imag ** 2  # [2, freqs, frames]
            mel = torch.log(power.transpose(1, 2) @ self.fb + 1e-6).transpose(1, 2)
            return self.conv(mel).mean(-1)
    torch.manual_seed(101)
    return _distinct(LogMel()).eval(), (_x(2, 48),)


@case("spectral_norm_mlp_power_iteration")
def _spectral_norm():
    sn = nn.utils.parametrizations.spectral_norm

    class SnMlp(nn.Module):
        def __init__(self):
            super().__init__()
            self.l1, self.l2 = sn(nn.Linear(5, 7)), sn(nn.Linear(7, 2))

        def forward(self, x):
            return self.l2(F.leaky_relu(self.l1(x), 0.2))
    torch.manual_seed(102)
    m = SnMlp()
    m.train()
    for _ in range(5):  # converge the power-iteration vectors (buffers u, v)
        m(_x(3, 5))
    return m.eval(), (_x(3, 5, seed=1),)


@case("roi_align_bilinear_gather")
def _roi_align():
    class RoiAlignHead(nn.Module):
        """RoIAlign (one sample per bin, aligned=True) by bilinear gathers of a feature map, then a linear."""

        def __init__(self, out=2):
            super().__init__()
            self.out, self.conv, self.fc = out, nn.Conv2d(2, 3, 3, padding=1), nn.Linear(3 * out * out, 2)

        def forward(self, img, boxes):  # img [1, 2, 8, 8]; boxes [3, 4] (x1, y1, x2, y2) in pixels
            f = self.conv(img)[0]  # [3, 8, 8]
            _, hh, ww = f.shape
            g = (torch.arange(self.out) + 0.5) / self.out
            xs = boxes[:, 0:1] + (boxes[:, 2:3] - boxes[:, 0:1]) * g - 0.5  # [3, out]
            ys = boxes[:, 1:2] + (boxes[:, 3:4] - boxes[:, 1:2]) * g - 0.5
            x = xs[:, None, :].expand(-1, self.out, -1).clamp(0, ww - 1)
            y = ys[:, :, None].expand(-1, -1, self.out).clamp(0, hh - 1)
            x0, y0 = x.floor().clamp(max=ww - 2), y.floor().clamp(max=hh - 2)
            ax, ay = x - x0, y - y0
            x0, y0 = x0.long(), y0.long()
            flat = f.reshape(f.shape[0], -1)

            def at(yi, xi):
                return flat[:, (yi * ww + xi).reshape(-1)].reshape(f.shape[0], *yi.shape)
            v = (at(y0, x0) * (1 - ax) * (1 - ay) + at(y0, x0 + 1) * ax * (1 - ay)
                 + at(y0 + 1, x0) * (1 - ax) * ay + at(y0 + 1, x0 + 1) * ax * ay)  # [3 ch, rois, out, out]
            return self.fc(v.permute(1, 0, 2, 3).reshape(boxes.shape[0], -1))
    torch.manual_seed(104)
    boxes = torch.tensor([[0.5, 1.0, 5.5, 6.0], [2.0, 2.1, 7.5, 4.3], [1.2, 3.3, 3.1, 7.7]])
    return _distinct(RoiAlignHead()).eval(), (_x(1, 2, 8, 8), boxes)

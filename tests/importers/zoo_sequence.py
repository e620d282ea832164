"""Held-out sequence and structured models for the sweep (round 6, by topic): LSTM over packed
variable-length sequences, a decoder step loop with a KV cache and causal mask, a Mamba-style selective
scan, a mixture of experts with top-k routing, a message-passing net with scatter_reduce(amax) and
index_add, a Glow step (actnorm, invertible 1x1 conv with slogdet, affine coupling), a neural ODE
integrated by RK4, a WaveNet gated causal conv stack, Perceiver latent cross-attention and ALiBi attention.
Same contract as zoo.py; tiny shapes."""
import math

import torch
from torch import nn
from torch.nn import functional as F

from .zoo import _x, case
from .zoo_families import _distinct


@case("lstm_packed_padded_sequences")
def _packed():
    class Enc(nn.Module):
        def __init__(self):
            super().__init__()
            self.lstm = nn.LSTM(3, 4, batch_first=True)
            self.head = nn.Linear(4, 2)

        def forward(self, x):  # [3, 5, 3]; lengths 5, 3, 2 (sorted)
            packed = nn.utils.rnn.pack_padded_sequence(x, torch.tensor([5, 3, 2]), batch_first=True)
            out, (h, c) = self.lstm(packed)
            out, _ = nn.utils.rnn.pad_packed_sequence(out, batch_first=True, total_length=5)
            return self.head(out), h[0] * c[0]
    torch.manual_seed(70)
    return Enc().eval(), (_x(3, 5, 3),)


@case("gru_bidirectional_packed_sequences")
def _packed_bi():
    class Enc(nn.Module):
        def __init__(self):
            super().__init__()
            self.gru = nn.GRU(3, 4, batch_first=True, bidirectional=True)

        def forward(self, x):  # [3, 4, 3]; lengths 4, 2, 1: the reverse direction starts at each one's end
            packed = nn.utils.rnn.pack_padded_sequence(x, torch.tensor([4, 2, 1]), batch_first=True)
            out, h = self.gru(packed)
            out, _ = nn.utils.rnn.pad_packed_sequence(out, batch_first=True, total_length=4)
            return out, h
    torch.manual_seed(80)
    return Enc().eval(), (_x(3, 4, 3),)


@case("decoder_kv_cache_greedy_steps")
def _kv_cache():
    class Decoder(nn.Module):
        """Three decoding steps, each attending over the cache of the keys / values of the steps so far
        (concatenated), the prompt processed with a causal mask first."""

        def __init__(self, d=8, heads=2):
            super().__init__()
            self.d, self.h = d, heads
            self.qkv, self.o = nn.Linear(d, 3 * d), nn.Linear(d, d)
            self.ln = nn.LayerNorm(d)
            self.ff = nn.Sequential(nn.Linear(d, 2 * d), nn.GELU(approximate="tanh"), nn.Linear(2 * d, d))

        def attend(self, x, cache, causal):
            b, t, d = x.shape
            q, k, v = self.qkv(self.ln(x)).view(b, t, 3, self.h, d // self.h).permute(2, 0, 3, 1, 4)
            if cache is not None:
                k, v = torch.cat([cache[0], k], 2), torch.cat([cache[1], v], 2)
            s = q @ k.transpose(-1, -2) / math.sqrt(d // self.h)
            if causal:
                s = s.masked_fill(torch.ones(t, t, dtype=torch.bool).triu(1), float("-inf"))
            y = x + self.o((torch.softmax(s, -1) @ v).transpose(1, 2).reshape(b, t, d))
            return y + self.ff(y), (k, v)

        def forward(self, prompt):  # [2, 3, 8]
            y, cache = self.attend(prompt, None, True)
            outs, tok = [y], y[:, -1:]
            for _ in range(3):
                tok, cache = self.attend(tok, cache, False)
                outs.append(tok)
            return torch.cat(outs, 1)
    torch.manual_seed(71)
    return _distinct(Decoder()), (_x(2, 3, 8),)


@case("mamba_selective_scan")
def _mamba():
    class Mamba(nn.Module):
        """Selective state space: input-dependent dt (softplus), B, C; h_t = exp(dt A) h + dt B x_t, unrolled
        over 5 steps; a depthwise causal conv before and a SiLU gate after."""

        def __init__(self, d=4, n=3):
            super().__init__()
            self.inp = nn.Linear(d, 2 * d)
            self.conv = nn.Conv1d(d, d, 3, padding=2, groups=d)
            self.x_proj = nn.Linear(d, 1 + 2 * n)
            self.dt_proj = nn.Linear(1, d)
            self.a_log = nn.Parameter(torch.log(torch.arange(1, n + 1).float()).repeat(d, 1))
            self.d_skip = nn.Parameter(torch.ones(d))
            self.out = nn.Linear(d, d)
            self.n = n

        def forward(self, x):  # [2, 5, 4]
            b, t, d = x.shape
            u, z = self.inp(x).chunk(2, -1)
            u = F.silu(self.conv(u.transpose(1, 2))[..., :t].transpose(1, 2))
            dt, bm, cm = self.x_proj(u).split([1, self.n, self.n], -1)
            dt = F.softplus(self.dt_proj(dt))  # [b, t, d]
            a = -torch.exp(self.a_log)  # [d, n]
            h, ys = torch.zeros(b, d, self.n), []
            for i in range(t):
                h = torch.exp(dt[:, i, :, None] * a) * h + dt[:, i, :, None] * bm[:, i, None, :] * u[:, i, :, None]
                ys.append((h * cm[:, i, None, :]).sum(-1))
            y = torch.stack(ys, 1) + u * self.d_skip
            return self.out(y * F.silu(z))
    torch.manual_seed(72)
    return _distinct(Mamba()), (_x(2, 5, 4),)


@case("moe_top2_routing")
def _moe():
    class MoE(nn.Module):
        def __init__(self, d=6, e=4, k=2):
            super().__init__()
            self.gate = nn.Linear(d, e, bias=False)
            self.w1 = nn.Parameter(torch.randn(e, d, 8) * 0.3)
            self.w2 = nn.Parameter(torch.randn(e, 8, d) * 0.3)
            self.k = k

        def forward(self, x):  # [5, 6] tokens
            logits = self.gate(x)
            top, idx = torch.topk(logits, self.k, -1)
            weights = torch.zeros_like(logits).scatter(-1, idx, torch.softmax(top, -1))  # dense [tokens, e]
            h = F.silu(torch.einsum("td,edf->tef", x, self.w1))
            y = torch.einsum("tef,efd->ted", h, self.w2)
            aux = (torch.softmax(logits, -1).mean(0) * (weights > 0).float().mean(0)).sum() * 4
            return (weights[..., None] * y).sum(1), aux
    torch.manual_seed(73)
    return _distinct(MoE()), (_x(5, 6),)


@case("mpnn_scatter_amax_index_add")
def _mpnn():
    class MPNN(nn.Module):
        def __init__(self, d=4):
            super().__init__()
            self.msg = nn.Sequential(nn.Linear(2 * d + 1, 8), nn.ReLU(), nn.Linear(8, d))
            self.upd = nn.GRUCell(2 * d, d)
            self.register_buffer("src", torch.tensor([0, 1, 2, 3, 4, 0, 2]), persistent=False)
            self.register_buffer("dst", torch.tensor([1, 2, 3, 4, 0, 3, 0]), persistent=False)

        def forward(self, x, e):  # x [5, 4] nodes, e [7, 1] edge features
            m = self.msg(torch.cat([x[self.src], x[self.dst], e], -1))
            summed = torch.zeros_like(x).index_add(0, self.dst, m)
            idx = self.dst[:, None].expand(-1, m.shape[1])
            mx = torch.full_like(x, -5.0).scatter_reduce(0, idx, m, reduce="amax", include_self=False)
            return self.upd(torch.cat([summed, mx], -1), x)
    torch.manual_seed(74)
    return MPNN().eval(), (_x(5, 4), _x(7, 1, seed=1))


@case("glow_actnorm_invconv_coupling")
def _glow():
    class Step(nn.Module):
        def __init__(self, c=4):
            super().__init__()
            self.loc, self.log_scale = nn.Parameter(torch.randn(1, c, 1, 1) * 0.1), nn.Parameter(torch.randn(1, c, 1, 1) * 0.1)
            q = torch.linalg.qr(torch.randn(c, c))[0]
            self.w = nn.Parameter(q + 0.1 * torch.randn(c, c))
            self.nn = nn.Sequential(nn.Conv2d(c // 2, 8, 3, padding=1), nn.ReLU(), nn.Conv2d(8, c, 3, padding=1))

        def forward(self, x):  # [2, 4, 3, 3]
            hw = x.shape[2] * x.shape[3]
            y = (x + self.loc) * torch.exp(self.log_scale)
            logdet = hw * self.log_scale.sum()
            y = F.conv2d(y, self.w[:, :, None, None])
            logdet = logdet + hw * torch.linalg.slogdet(self.w)[1]
            a, b = y.chunk(2, 1)
            s, t = self.nn(a).chunk(2, 1)
            s = torch.tanh(s)
            b = b * torch.exp(s) + t
            return torch.cat([a, b], 1), logdet + s.flatten(1).sum(1)
    torch.manual_seed(75)
    return Step().eval(), (_x(2, 4, 3, 3),)


@case("neural_ode_rk4_fixed_steps")
def _node():
    class ODE(nn.Module):
        def __init__(self):
            super().__init__()
            self.f = nn.Sequential(nn.Linear(3, 8), nn.Tanh(), nn.Linear(8, 3))

        def forward(self, y):  # [2, 3]; t from 0 to 1 in 4 RK4 steps
            h = 0.25
            for _ in range(4):
                k1 = self.f(y)
                k2 = self.f(y + h / 2 * k1)
                k3 = self.f(y + h / 2 * k2)
                k4 = self.f(y + h * k3)
                y = y + h / 6 * (k1 + 2 * k2 + 2 * k3 + k4)
            return y
    torch.manual_seed(76)
    return ODE().eval(), (_x(2, 3),)


@case("wavenet_gated_causal_dilated")
def _wavenet():
    class WaveNet(nn.Module):
        def __init__(self, c=4):
            super().__init__()
            self.filt = nn.ModuleList(nn.Conv1d(c, c, 2, dilation=d) for d in (1, 2, 4))
            self.gate = nn.ModuleList(nn.Conv1d(c, c, 2, dilation=d) for d in (1, 2, 4))
            self.res = nn.ModuleList(nn.Conv1d(c, c, 1) for _ in range(3))
            self.skip = nn.Conv1d(c, 2, 1)

        def forward(self, x):  # [2, 4, 9]
            skips = 0
            for f, g, r, d in zip(self.filt, self.gate, self.res, (1, 2, 4)):
                xp = F.pad(x, (d, 0))  # causal: pad on the left only
                h = torch.tanh(f(xp)) * torch.sigmoid(g(xp))
                x = x + r(h)
                skips = skips + h
            return self.skip(F.relu(skips)), x  # x: the last residual layer feeds an output too
    torch.manual_seed(77)
    return WaveNet().eval(), (_x(2, 4, 9),)


@case("perceiver_latent_cross_attention")
def _perceiver():
    class Perceiver(nn.Module):
        def __init__(self, d=8):
            super().__init__()
            self.latents = nn.Parameter(torch.randn(3, d) * 0.5)
            self.inp = nn.Linear(5, d)
            self.cross = nn.MultiheadAttention(d, 2, batch_first=True)
            self.self_attn = nn.MultiheadAttention(d, 2, batch_first=True)
            self.ln = nn.LayerNorm(d)

        def forward(self, x):  # [2, 7, 5]
            kv = self.inp(x)
            q = self.latents.expand(x.shape[0], -1, -1)
            h = q + self.cross(q, kv, kv, need_weights=False)[0]
            h = h + self.self_attn(self.ln(h), self.ln(h), self.ln(h), need_weights=False)[0]
            return h.mean(1)
    torch.manual_seed(78)
    return _distinct(Perceiver()), (_x(2, 7, 5),)


@case("alibi_attention_bias")
def _alibi():
    class Alibi(nn.Module):
        def __init__(self, d=8, heads=4):
            super().__init__()
            self.h = heads
            self.qkv, self.o = nn.Linear(d, 3 * d), nn.Linear(d, d)
            slopes = torch.tensor([2 ** (-8 * (i + 1) / heads) for i in range(heads)])
            pos = torch.arange(5)
            self.register_buffer("bias", slopes[:, None, None] * (pos[None, :] - pos[:, None]).float()[None],
                                 persistent=False)

        def forward(self, x):  # [2, 5, 8]
            b, t, d = x.shape
            q, k, v = self.qkv(x).view(b, t, 3, self.h, d // self.h).permute(2, 0, 3, 1, 4)
            s = q @ k.transpose(-1, -2) / math.sqrt(d // self.h) + self.bias
            s = s.masked_fill(torch.ones(t, t, dtype=torch.bool).triu(1), -1e9)
            return self.o((torch.softmax(s, -1) @ v).transpose(1, 2).reshape(b, t, d))
    torch.manual_seed(79)
    return Alibi().eval(), (_x(2, 5, 8),)

"""Held-out language and scientific models for the sweep (round 7, by topic), written as users write them:
a GPT-2 block (Conv1D-style addmm, causal F.scaled_dot_product_attention, tied LM head, shifted token loss
with ignore_index and label smoothing), T5 attention with relative position buckets, a Switch-transformer
top-1 mixture of experts (argmax routing, gather, scatter_add, load-balancing loss), a Mamba-2 style
state-space dual (segment sums by cumsum, exp of a log decay), a 2-d Fourier neural operator with complex
weights (rfft2 / irfft2), DeepONet, an E(n)-equivariant graph net (index_add segment sums), a CTC loss
head, quantile / Huber / smooth-L1 regression losses, and a Hamiltonian net whose forward calls
torch.autograd.grad. Same contract as zoo.py; tiny shapes."""
import math

import torch
from torch import nn
from torch.nn import functional as F

from .zoo import _x, case
from .zoo_families import _distinct


def _tokens(*shape, vocab, seed=0):
    return torch.randint(0, vocab, shape, generator=torch.Generator().manual_seed(seed))


@case("gpt2_block_causal_sdpa_tied_head_loss")
def _gpt2():
    class Conv1D(nn.Module):
        """GPT-2's transposed linear: x @ W + b with W [in, out] (addmm)."""

        def __init__(self, nin, nout):
            super().__init__()
            self.weight, self.bias = nn.Parameter(torch.randn(nin, nout) * 0.2), nn.Parameter(torch.zeros(nout))

        def forward(self, x):
            return torch.addmm(self.bias, x.reshape(-1, x.shape[-1]), self.weight).reshape(*x.shape[:-1], -1)

    class GPT2(nn.Module):
        def __init__(self, vocab=11, d=8, heads=2, ctx=8):
            super().__init__()
            self.heads = heads
            self.wte, self.wpe = nn.Embedding(vocab, d), nn.Embedding(ctx, d)
            self.ln1, self.ln2, self.lnf = nn.LayerNorm(d), nn.LayerNorm(d), nn.LayerNorm(d)
            self.c_attn, self.c_proj = Conv1D(d, 3 * d), Conv1D(d, d)
            self.fc, self.proj = Conv1D(d, 4 * d), Conv1D(4 * d, d)

        def forward(self, ids, labels):  # [2, 6] token ids, labels with -100 = ignored
            b, t = ids.shape
            x = self.wte(ids) + self.wpe(torch.arange(t))
            q, k, v = self.c_attn(self.ln1(x)).split(x.shape[-1], dim=2)
            q, k, v = (z.view(b, t, self.heads, -1).transpose(1, 2) for z in (q, k, v))
            a = F.scaled_dot_product_attention(q, k, v, is_causal=True)
            x = x + self.c_proj(a.transpose(1, 2).reshape(b, t, -1))
            x = x + self.proj(F.gelu(self.fc(self.ln2(x)), approximate="tanh"))
            logits = self.lnf(x) @ self.wte.weight.T  # tied head
            loss = F.cross_entropy(logits[:, :-1].reshape(-1, logits.shape[-1]), labels[:, 1:].reshape(-1),
                                   ignore_index=-100, label_smoothing=0.1)
            return logits, loss
    torch.manual_seed(80)
    labels = _tokens(2, 6, vocab=11, seed=2)
    labels[0, 4:] = -100
    return _distinct(GPT2(), 80), (_tokens(2, 6, vocab=11, seed=1), labels)


def t5_relative_bucket(rel, bidirectional=True, num_buckets=8, max_distance=16):
    """HF T5's _relative_position_bucket: exact buckets for small distances, log-spaced ones beyond."""
    buckets = torch.zeros_like(rel)
    if bidirectional:
        num_buckets //= 2
        buckets = buckets + (rel > 0).to(torch.long) * num_buckets
        rel = torch.abs(rel)
    else:
        rel = -torch.min(rel, torch.zeros_like(rel))
    max_exact = num_buckets // 2
    is_small = rel < max_exact
    large = max_exact + (torch.log(rel.float() / max_exact) / math.log(max_distance / max_exact)
                         * (num_buckets - max_exact)).to(torch.long)
    large = torch.min(large, torch.full_like(large, num_buckets - 1))
    return buckets + torch.where(is_small, rel, large)


@case("t5_relative_position_buckets_rmsnorm")
def _t5():
    class T5Layer(nn.Module):
        """T5 self-attention (no 1/sqrt(d) scaling, bias from bucketed relative positions computed in the
        forward), T5's RMS LayerNorm (pow, mean, rsqrt), gated-GELU feed-forward; decoder-style causal."""

        def __init__(self, d=8, heads=2, buckets=8):
            super().__init__()
            self.heads = heads
            self.q, self.k, self.v, self.o = (nn.Linear(d, d, bias=False) for _ in range(4))
            self.rel_bias = nn.Embedding(buckets, heads)
            self.ln1, self.ln2 = nn.Parameter(torch.ones(d)), nn.Parameter(torch.ones(d))
            self.wi0, self.wi1, self.wo = nn.Linear(d, 16, bias=False), nn.Linear(d, 16, bias=False), \
                nn.Linear(16, d, bias=False)

        @staticmethod
        def rms(x, w):
            return w * (x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + 1e-6))

        def forward(self, x):  # [2, 10, 8]
            b, t, d = x.shape
            pos = torch.arange(t)
            bucket = t5_relative_bucket(pos[None, :] - pos[:, None], bidirectional=False)
            bias = self.rel_bias(bucket).permute(2, 0, 1)[None]
            h = self.rms(x, self.ln1)
            q, k, v = (f(h).view(b, t, self.heads, -1).transpose(1, 2) for f in (self.q, self.k, self.v))
            causal = torch.triu(torch.full((t, t), float("-inf")), diagonal=1)
            a = torch.softmax(q @ k.transpose(-1, -2) + bias + causal, dim=-1) @ v
            x = x + self.o(a.transpose(1, 2).reshape(b, t, d))
            h = self.rms(x, self.ln2)
            return x + self.wo(F.gelu(self.wi0(h), approximate="tanh") * self.wi1(h))
    torch.manual_seed(81)
    return _distinct(T5Layer(), 81), (_x(2, 10, 8),)


@case("switch_moe_top1_scatter_add_balance_loss")
def _switch_moe():
    class SwitchFFN(nn.Module):
        """Top-1 routing: each token to its argmax expert (gate prob times the expert's output), combined with
        scatter_add into the token slots; the Switch load-balancing loss n * sum(frac_tokens * mean_prob)."""

        def __init__(self, d=6, n=3, hidden=8):
            super().__init__()
            self.n = n
            self.router = nn.Linear(d, n, bias=False)
            self.w1 = nn.Parameter(torch.randn(n, d, hidden) * 0.3)
            self.w2 = nn.Parameter(torch.randn(n, hidden, d) * 0.3)

        def forward(self, x):  # [2, 5, 6]
            tok = x.reshape(-1, x.shape[-1])
            probs = torch.softmax(self.router(tok), dim=-1)
            gate, expert = torch.topk(probs, 1, dim=-1)
            h = torch.bmm(tok[:, None, :], self.w1[expert[:, 0]])
            y = torch.bmm(F.relu(h), self.w2[expert[:, 0]])[:, 0] * gate
            out = torch.zeros_like(tok).scatter_add(0, torch.arange(tok.shape[0])[:, None].expand_as(tok), y)
            frac = F.one_hot(expert[:, 0], self.n).float().mean(0)
            aux = self.n * (frac * probs.mean(0)).sum()
            return out.reshape(x.shape) + x, aux
    torch.manual_seed(82)
    return _distinct(SwitchFFN(), 82), (_x(2, 5, 6),)


def segsum(x):
    """Mamba-2's stable segment sum: out[..., i, j] = sum_{j < k <= i} x[..., k], -inf above the diagonal."""
    t = x.shape[-1]
    xs = torch.cumsum(x, dim=-1)
    out = xs[..., :, None] - xs[..., None, :]
    mask = torch.tril(torch.ones(t, t, dtype=torch.bool))
    return out.masked_fill(~mask, float("-inf"))


@case("mamba2_ssd_segsum_exp_log_decay")
def _mamba2():
    class SSD(nn.Module):
        """The quadratic (attention-like) form of the state-space dual: decay A = -exp(A_log), dt by softplus,
        L = exp(segsum(A dt)), y = (C B^T * L) (x dt) + D x, gated by SiLU(z)."""

        def __init__(self, d=6, n=4, heads=2):
            super().__init__()
            self.heads = heads
            self.in_proj = nn.Linear(d, 2 * d + 2 * n + heads)
            self.A_log = nn.Parameter(torch.log(torch.linspace(1.0, 4.0, heads)))
            self.D = nn.Parameter(torch.ones(heads))
            self.dt_bias = nn.Parameter(torch.full((heads,), -1.0))
            self.out = nn.Linear(d, d)
            self.d, self.n = d, n

        def forward(self, u):  # [2, 7, 6]
            b, t, _ = u.shape
            d, n, nh = self.d, self.n, self.heads
            z, x, B, C, dt = torch.split(self.in_proj(u), [d, d, n, n, nh], dim=-1)
            dt = F.softplus(dt + self.dt_bias)  # [b, t, h]
            A = -torch.exp(self.A_log)
            L = torch.exp(segsum((A * dt).transpose(1, 2)))  # [b, h, t, t]
            xh = x.view(b, t, nh, -1)
            scores = torch.einsum("bin,bjn->bij", C, B)[:, None] * L
            y = torch.einsum("bhij,bjhp->bihp", scores, xh * dt[..., None]) + self.D[:, None] * xh
            return self.out(y.reshape(b, t, d) * F.silu(z))
    torch.manual_seed(83)
    return _distinct(SSD(), 83), (_x(2, 7, 6),)


@case("fno2d_complex_weights_rfft2")
def _fno2d():
    class SpectralConv2d(nn.Module):
        """The FNO reference code's layer: complex (torch.cfloat) weights for the lowest modes in both corners
        of rfft2's spectrum, irfft2 back to the grid, plus a 1x1 conv path."""

        def __init__(self, c=3, m=2):
            super().__init__()
            self.m = m
            scale = 1 / (c * c)
            self.w1 = nn.Parameter(scale * torch.rand(c, c, m, m, dtype=torch.cfloat))
            self.w2 = nn.Parameter(scale * torch.rand(c, c, m, m, dtype=torch.cfloat))
            self.pw = nn.Conv2d(c, c, 1)

        def forward(self, x):  # [2, 3, 8, 8]
            b, c, h, w = x.shape
            m = self.m
            xf = torch.fft.rfft2(x)
            out = torch.zeros(b, c, h, w // 2 + 1, dtype=torch.cfloat)
            out[:, :, :m, :m] = torch.einsum("bixy,ioxy->boxy", xf[:, :, :m, :m], self.w1)
            out[:, :, -m:, :m] = torch.einsum("bixy,ioxy->boxy", xf[:, :, -m:, :m], self.w2)
            return F.gelu(torch.fft.irfft2(out, s=(h, w)) + self.pw(x))
    torch.manual_seed(84)
    return SpectralConv2d().eval(), (_x(2, 3, 8, 8),)


@case("deeponet_branch_trunk_einsum")
def _deeponet():
    class DeepONet(nn.Module):
        """G(u)(y) = sum_k branch_k(u) trunk_k(y) + b0: sensors [b, 10], query points [q, 2]."""

        def __init__(self, p=6):
            super().__init__()
            self.branch = nn.Sequential(nn.Linear(10, 12), nn.Tanh(), nn.Linear(12, p))
            self.trunk = nn.Sequential(nn.Linear(2, 12), nn.Tanh(), nn.Linear(12, p), nn.Tanh())
            self.b0 = nn.Parameter(torch.tensor(0.1))

        def forward(self, u, y):
            return torch.einsum("bp,qp->bq", self.branch(u), self.trunk(y)) + self.b0
    torch.manual_seed(85)
    return _distinct(DeepONet(), 85), (_x(3, 10), _x(5, 2, seed=1))


@case("egnn_equivariant_message_passing")
def _egnn():
    class EGCL(nn.Module):
        """E(n)-equivariant graph convolution (Satorras et al.): messages from |x_i - x_j|^2, coordinate update
        by (x_i - x_j) phi_x(m_ij) averaged per node, features by a segment sum (index_add)."""

        def __init__(self, f=4, hdim=8):
            super().__init__()
            self.phi_e = nn.Sequential(nn.Linear(2 * f + 1, hdim), nn.SiLU(), nn.Linear(hdim, hdim), nn.SiLU())
            self.phi_x = nn.Sequential(nn.Linear(hdim, hdim), nn.SiLU(), nn.Linear(hdim, 1, bias=False))
            self.phi_h = nn.Sequential(nn.Linear(f + hdim, hdim), nn.SiLU(), nn.Linear(hdim, f))

        def forward(self, h, x, src, dst):
            diff = x[dst] - x[src]
            m = self.phi_e(torch.cat([h[dst], h[src], (diff ** 2).sum(-1, keepdim=True)], dim=-1))
            deg = torch.zeros(h.shape[0]).index_add(0, dst, torch.ones(dst.shape[0])).clamp(min=1)[:, None]
            x = x + torch.zeros_like(x).index_add(0, dst, diff * self.phi_x(m)) / deg
            agg = torch.zeros(h.shape[0], m.shape[1]).index_add(0, dst, m)
            return h + self.phi_h(torch.cat([h, agg], dim=-1)), x

    class EGNN(nn.Module):
        def __init__(self):
            super().__init__()
            self.l1, self.l2 = EGCL(), EGCL()

        def forward(self, h, x, src, dst):
            h, x = self.l1(h, x, src, dst)
            return self.l2(h, x, src, dst)
    torch.manual_seed(86)
    src = torch.tensor([0, 1, 1, 2, 3, 4, 4, 2])
    dst = torch.tensor([1, 0, 2, 1, 4, 3, 2, 4])
    return _distinct(EGNN(), 86), (_x(5, 4), _x(5, 3, seed=1), src, dst)


@case("ctc_loss_head")
def _ctc():
    class CTCHead(nn.Module):
        """A BiGRU-free acoustic head: conv1d features, log_softmax over 5 classes (blank 0), nn.CTCLoss with
        per-utterance input and target lengths, mean reduction."""

        def __init__(self):
            super().__init__()
            self.conv = nn.Conv1d(3, 8, 3, padding=1)
            self.cls = nn.Linear(8, 5)
            self.ctc = nn.CTCLoss(blank=0, zero_infinity=False)

        def forward(self, feats, targets, in_lens, tgt_lens):  # feats [2, 3, 9]
            h = F.relu(self.conv(feats)).permute(2, 0, 1)  # [T, N, C]
            logp = F.log_softmax(self.cls(h), dim=-1)
            return self.ctc(logp, targets, in_lens, tgt_lens)
    torch.manual_seed(87)
    return _distinct(CTCHead(), 87), (_x(2, 3, 9), torch.tensor([[1, 2, 2, 3], [4, 1, 0, 0]]),
                                      torch.tensor([9, 7]), torch.tensor([4, 2]))


@case("quantile_huber_smooth_l1_regression")
def _quantile():
    class Regressor(nn.Module):
        """Three quantile heads with the pinball loss (maximum of q e and (q - 1) e), Huber and smooth-L1 on the
        median, all part of the model's outputs."""

        def __init__(self):
            super().__init__()
            self.body = nn.Sequential(nn.Linear(4, 8), nn.GELU(), nn.Linear(8, 3))
            self.register_buffer("q", torch.tensor([0.1, 0.5, 0.9]), persistent=False)

        def forward(self, x, y):  # x [6, 4], y [6]
            pred = self.body(x)
            e = y[:, None] - pred
            pinball = torch.maximum(self.q * e, (self.q - 1) * e).mean()
            return (pinball, F.huber_loss(pred[:, 1], y, delta=0.5), F.smooth_l1_loss(pred[:, 1], y, beta=0.3),
                    pred)
    torch.manual_seed(88)
    return _distinct(Regressor(), 88), (_x(6, 4), _x(6, seed=1))


@case("hamiltonian_nn_autograd_grad_in_forward")
def _hnn():
    class HNN(nn.Module):
        """Hamiltonian neural network: H(q, p) an MLP, the vector field (dH/dp, -dH/dq) by torch.autograd.grad
        inside forward (create_graph, so training differentiates through it)."""

        def __init__(self):
            super().__init__()
            self.h = nn.Sequential(nn.Linear(2, 16), nn.Tanh(), nn.Linear(16, 1))

        def forward(self, z):  # [4, 2]
            with torch.enable_grad():
                z = z if z.requires_grad else z.requires_grad_(True)
                H = self.h(z).sum()
                dH = torch.autograd.grad(H, z, create_graph=True)[0]
            return torch.stack([dH[:, 1], -dH[:, 0]], dim=-1)
    torch.manual_seed(89)
    return _distinct(HNN(), 89), (_x(4, 2),)

"""Held-out whole networks for the sweep (round 8, by topic: recurrent and attention variants, graphs,
probabilistic models), written as users write them: a GRU encoder / GRUCell attention decoder seq2seq over
variable-length (masked) batches, RetNet's parallel retention (decay mask, group norm), RWKV's time-mix
recurrence (token shift, WKV loop with a learned decay), sparsemax attention (sort, cumsum, support size),
causal linear attention (elu + 1 features, prefix sums), Transformer-XL's relative shift (pad / view /
slice), slot attention (softmax over slots, GRUCell iterations), GraphSAGE (mean aggregation by index_add
over degrees, edge-weighted scatter_add), DLRM (embeddings, pairwise dot interaction by bmm and triu
indices, a click loss), a YOLO detection head (grid / anchor box decoding), a KAN layer (piecewise-linear
B-spline bases) and a hypernetwork (per-example weights, bmm). Flows with log-dets, VAEs, mixture density
nets, Set Transformer pooling and the Conformer conv module are earlier rounds' (zoo_whole_models.py,
zoo_layers_more.py). Same contract as zoo.py; tiny shapes."""
import math

import torch
from torch import nn
from torch.nn import functional as F

from .zoo import _x, case
from .zoo_families import _distinct


@case("seq2seq_gru_masked_lengths_attention_decoder")
def _seq2seq():
    class Seq2Seq(nn.Module):
        def __init__(self, d=6, h=8, vocab=7):
            super().__init__()
            self.enc = nn.GRU(d, h, batch_first=True)
            self.emb, self.cell, self.out = nn.Embedding(vocab, d), nn.GRUCell(d + h, h), nn.Linear(2 * h, vocab)
            self.attn = nn.Linear(h, h, bias=False)

        def forward(self, src, lengths, tgt):  # src [3, 5, 6]; lengths [3] (steps past them are padding)
            t = src.shape[1]
            keep = (torch.arange(t)[None, :] < lengths[:, None]).to(src.dtype)  # [3, 5]
            enc, _ = self.enc(src * keep[..., None])
            enc = enc * keep[..., None]
            h = enc.sum(1) / keep.sum(1, keepdim=True)  # mean of the valid steps
            ctx, logits = torch.zeros_like(h), []
            for s in range(tgt.shape[1]):  # teacher forcing
                h = self.cell(torch.cat([self.emb(tgt[:, s]), ctx], -1), h)
                score = torch.einsum("bh,bth->bt", self.attn(h), enc).masked_fill(keep == 0, float("-inf"))
                ctx = torch.einsum("bt,bth->bh", score.softmax(-1), enc)
                logits.append(self.out(torch.cat([h, ctx], -1)))
            return torch.stack(logits, 1)
    torch.manual_seed(81)
    return _distinct(Seq2Seq(), 81), (_x(3, 5, 6, seed=1), torch.tensor([5, 3, 2]), torch.tensor([[1, 4, 2], [0, 6, 3],
                                                                                                  [2, 2, 5]]))


@case("retnet_parallel_retention_decay_groupnorm")
def _retnet():
    class Retention(nn.Module):
        def __init__(self, d=8, heads=2):
            super().__init__()
            self.heads, self.qkv, self.g, self.o = heads, nn.Linear(d, 3 * d, bias=False), nn.Linear(d, d), nn.Linear(d, d)
            self.norm = nn.GroupNorm(heads, d)
            self.register_buffer("gamma", 1 - 2.0 ** (-5 - torch.arange(heads, dtype=torch.float32)))

        def forward(self, x):  # x [2, 6, 8]
            b, t, d = x.shape
            q, k, v = (z.view(b, t, self.heads, -1).transpose(1, 2) for z in self.qkv(x).chunk(3, -1))
            n = torch.arange(t, dtype=torch.float32)
            diff = n[:, None] - n[None, :]
            decay = torch.where(diff >= 0, self.gamma[:, None, None] ** diff.clamp(min=0), torch.zeros(()))  # [h, t, t]
            ret = (q @ k.transpose(-1, -2) / math.sqrt(d // self.heads) * decay) @ v  # [b, h, t, dh]
            y = self.norm(ret.transpose(1, 2).reshape(b * t, d)).view(b, t, d)
            return self.o(F.silu(self.g(x)) * y)
    torch.manual_seed(82)
    return _distinct(Retention(), 82), (_x(2, 6, 8, seed=2),)


@case("rwkv_time_mix_wkv_recurrence")
def _rwkv():
    class TimeMix(nn.Module):
        def __init__(self, d=6):
            super().__init__()
            self.decay, self.first = nn.Parameter(torch.linspace(-1.0, 0.5, d)), nn.Parameter(torch.full((d,), 0.3))
            self.mix_k, self.mix_v, self.mix_r = (nn.Parameter(torch.linspace(0.2, 0.8, d) + 0.05 * i) for i in range(3))
            self.key, self.value, self.recept, self.out = (nn.Linear(d, d, bias=False) for _ in range(4))
            self.ln = nn.LayerNorm(d)

        def forward(self, x):  # x [2, 5, 6]
            x = self.ln(x)
            prev = F.pad(x, (0, 0, 1, -1))  # token shift: x_{t-1}, zeros at t = 0
            k = self.key(x * self.mix_k + prev * (1 - self.mix_k))
            v = self.value(x * self.mix_v + prev * (1 - self.mix_v))
            r = torch.sigmoid(self.recept(x * self.mix_r + prev * (1 - self.mix_r)))
            w = -torch.exp(self.decay)
            num = den = torch.zeros_like(x[:, 0])
            outs = []
            for t in range(x.shape[1]):
                e = torch.exp(self.first + k[:, t])
                outs.append((num + e * v[:, t]) / (den + e))
                num = torch.exp(w) * num + torch.exp(k[:, t]) * v[:, t]
                den = torch.exp(w) * den + torch.exp(k[:, t])
            return self.out(r * torch.stack(outs, 1))
    torch.manual_seed(83)
    return _distinct(TimeMix(), 83), (_x(2, 5, 6, seed=3, scale=0.5),)


@case("sparsemax_attention")
def _sparsemax():
    def sparsemax(z, dim=-1):
        zs, _ = torch.sort(z, dim=dim, descending=True)
        r = torch.arange(1, z.shape[dim] + 1, dtype=z.dtype)
        cs = zs.cumsum(dim)
        support = (1 + r * zs > cs).to(z.dtype)
        k = support.sum(dim, keepdim=True)
        tau = ((cs * support).max(dim, keepdim=True).values - 1) / k  # cs at the support's last index
        return torch.clamp(z - tau, min=0)

    class SparseAttn(nn.Module):
        def __init__(self, d=6):
            super().__init__()
            self.q, self.k, self.v = nn.Linear(d, d), nn.Linear(d, d), nn.Linear(d, d)

        def forward(self, x):  # x [2, 5, 6]
            return sparsemax(self.q(x) @ self.k(x).transpose(1, 2)) @ self.v(x)
    torch.manual_seed(86)
    return _distinct(SparseAttn(), 86), (_x(2, 5, 6, seed=6),)


@case("linear_attention_elu_feature_map_causal_cumsum")
def _linear_attention():
    class LinearAttention(nn.Module):
        """Katharopoulos et al.: phi(x) = elu(x) + 1; causal numerator and normaliser as prefix sums."""

        def __init__(self, d=6, heads=2):
            super().__init__()
            self.heads, self.qkv, self.o = heads, nn.Linear(d, 3 * d), nn.Linear(d, d)

        def forward(self, x):  # x [2, 5, 6]
            b, t, d = x.shape
            q, k, v = (z.view(b, t, self.heads, -1) for z in self.qkv(x).chunk(3, -1))
            q, k = F.elu(q) + 1, F.elu(k) + 1
            kv = torch.einsum("bthd,bthe->bthde", k, v).cumsum(1)
            num = torch.einsum("bthd,bthde->bthe", q, kv)
            den = torch.einsum("bthd,bthd->bth", q, k.cumsum(1))[..., None]
            return self.o((num / (den + 1e-6)).reshape(b, t, d))
    torch.manual_seed(93)
    return _distinct(LinearAttention(), 93), (_x(2, 5, 6, seed=17),)


@case("transformer_xl_relative_shift")
def _rel_shift():
    class RelAttention(nn.Module):
        """Transformer-XL's relative positional attention: content + position scores, the position term
        aligned by the pad / view / slice "relative shift", learned u / v biases."""

        def __init__(self, d=6, heads=2):
            super().__init__()
            self.h, self.dh = heads, d // heads
            self.qkv, self.r, self.o = nn.Linear(d, 3 * d, bias=False), nn.Linear(d, d, bias=False), nn.Linear(d, d)
            self.u, self.v = nn.Parameter(torch.randn(heads, d // heads) * 0.1), nn.Parameter(torch.randn(heads, d // heads) * 0.1)

        @staticmethod
        def rel_shift(x):  # [b, h, q, k]: row i shifted left by q - 1 - i
            b, h, q, k = x.shape
            x = F.pad(x, (1, 0)).view(b, h, k + 1, q)[:, :, 1:].view(b, h, q, k)
            return x

        def forward(self, x):  # x [2, 5, 6]
            b, t, d = x.shape
            pos = torch.arange(t - 1, -1, -1.0)
            inv = 1 / (10000 ** (torch.arange(0, d, 2.0) / d))
            r = self.r(torch.cat([torch.sin(pos[:, None] * inv), torch.cos(pos[:, None] * inv)], -1))
            q, k, v = (z.view(b, t, self.h, self.dh).transpose(1, 2) for z in self.qkv(x).chunk(3, -1))
            r = r.view(t, self.h, self.dh).transpose(0, 1)
            ac = (q + self.u[:, None]) @ k.transpose(-1, -2)
            bd = self.rel_shift((q + self.v[:, None]) @ r.transpose(-1, -2)[None])
            mask = torch.triu(torch.ones(t, t, dtype=torch.bool), 1)
            att = ((ac + bd) / math.sqrt(self.dh)).masked_fill(mask, float("-inf")).softmax(-1)
            return self.o((att @ v).transpose(1, 2).reshape(b, t, d))
    torch.manual_seed(94)
    return _distinct(RelAttention(), 94), (_x(2, 5, 6, seed=18),)


@case("slot_attention_iterative_gru")
def _slots():
    class SlotAttention(nn.Module):
        """Locatello et al.: slots compete for inputs (softmax over slots), weighted-mean updates, a GRUCell and
        a residual MLP, three iterations from fixed initial slots."""

        def __init__(self, d=6, slots=3, iters=3):
            super().__init__()
            self.iters, self.slots0 = iters, nn.Parameter(torch.randn(1, slots, d) * 0.5)
            self.q, self.k, self.v = nn.Linear(d, d, bias=False), nn.Linear(d, d, bias=False), nn.Linear(d, d, bias=False)
            self.gru, self.mlp = nn.GRUCell(d, d), nn.Sequential(nn.Linear(d, 2 * d), nn.ReLU(), nn.Linear(2 * d, d))
            self.ln_in, self.ln_s, self.ln_m = nn.LayerNorm(d), nn.LayerNorm(d), nn.LayerNorm(d)

        def forward(self, x):  # x [2, 7, 6] set of inputs
            b, n, d = x.shape
            x = self.ln_in(x)
            k, v = self.k(x), self.v(x)
            s = self.slots0.expand(b, -1, -1)
            for _ in range(self.iters):
                att = torch.einsum("bsd,bnd->bsn", self.q(self.ln_s(s)), k).div(math.sqrt(d)).softmax(1) + 1e-8
                upd = torch.einsum("bsn,bnd->bsd", att / att.sum(-1, keepdim=True), v)
                s = self.gru(upd.reshape(-1, d), s.reshape(-1, d)).view(b, -1, d)
                s = s + self.mlp(self.ln_m(s))
            return s
    torch.manual_seed(95)
    return _distinct(SlotAttention(), 95), (_x(2, 7, 6, seed=19),)


@case("graphsage_mean_index_add_edge_weights")
def _sage():
    src, dst = torch.tensor([0, 1, 2, 3, 4, 0, 2, 1]), torch.tensor([1, 2, 3, 4, 0, 2, 0, 1])

    class SAGE(nn.Module):
        def __init__(self, d=5, h=6):
            super().__init__()
            self.self1, self.nb1, self.self2, self.nb2 = nn.Linear(d, h), nn.Linear(d, h, bias=False), nn.Linear(h, h), \
                nn.Linear(h, h, bias=False)
            self.edge = nn.Linear(1, 1)

        def layer(self, x, lin_self, lin_nb, ew):
            deg = torch.zeros(x.shape[0]).index_add(0, dst, torch.ones(dst.shape[0]))
            agg = torch.zeros(x.shape[0], x.shape[1]).index_add(0, dst, x[src] * ew[:, None])
            return lin_self(x) + lin_nb(agg / deg.clamp(min=1)[:, None])

        def forward(self, x, w):  # x [5, 5] node features; w [8] edge weights
            ew = torch.sigmoid(self.edge(w[:, None]))[:, 0]
            h = F.relu(self.layer(x, self.self1, self.nb1, ew))
            h = F.normalize(self.layer(h, self.self2, self.nb2, ew), dim=-1)
            pooled = torch.zeros(2, h.shape[1]).scatter_add(0, torch.tensor([0, 0, 1, 1, 1])[:, None].expand_as(h), h)
            return pooled
    torch.manual_seed(87)
    return _distinct(SAGE(), 87), (_x(5, 5, seed=7), _x(8, seed=8))


@case("dlrm_embeddings_dot_interaction")
def _dlrm():
    class DLRM(nn.Module):
        """Recommendation: a bottom MLP on dense features, embedding lookups of categorical ones, pairwise
        dot products of all feature vectors (bmm, upper-triangle gather), a top MLP to a click logit."""

        def __init__(self, dense=4, d=4, tables=(7, 5, 6)):
            super().__init__()
            self.bottom = nn.Sequential(nn.Linear(dense, 8), nn.ReLU(), nn.Linear(8, d), nn.ReLU())
            self.embs = nn.ModuleList(nn.Embedding(n, d) for n in tables)
            f = len(tables) + 1
            self.register_buffer("li", torch.triu_indices(f, f, 1)[0])
            self.register_buffer("lj", torch.triu_indices(f, f, 1)[1])
            self.top = nn.Sequential(nn.Linear(d + f * (f - 1) // 2, 8), nn.ReLU(), nn.Linear(8, 1))

        def forward(self, dense, cats, clicks):  # dense [5, 4]; cats [5, 3] ids; clicks [5] in {0, 1}
            z = self.bottom(dense)
            t = torch.stack([z] + [e(cats[:, i]) for i, e in enumerate(self.embs)], 1)  # [5, 4, d]
            inter = torch.bmm(t, t.transpose(1, 2))[:, self.li, self.lj]
            logit = self.top(torch.cat([z, inter], 1))[:, 0]
            return F.binary_cross_entropy_with_logits(logit, clicks), torch.sigmoid(logit)
    torch.manual_seed(96)
    cats = torch.stack([torch.randint(0, n, (5,), generator=torch.Generator().manual_seed(20 + i))
                        for i, n in enumerate((7, 5, 6))], 1)
    return _distinct(DLRM(), 96), (_x(5, 4, seed=21), cats, torch.tensor([1.0, 0, 0, 1, 1]))


@case("yolo_head_grid_anchor_decode")
def _yolo():
    class YoloHead(nn.Module):
        """A YOLOv3-style detection head: a 1x1 conv to anchors x (4 + 1 + classes), boxes decoded as
        (sigmoid(t_xy) + grid) * stride and exp(t_wh) * anchor, objectness times class scores."""

        def __init__(self, c=4, anchors=((1.0, 1.5), (2.0, 1.0)), classes=3, stride=8.0):
            super().__init__()
            self.na, self.no, self.stride = len(anchors), 5 + classes, stride
            self.conv = nn.Conv2d(c, self.na * self.no, 1)
            self.register_buffer("anchors", torch.tensor(anchors).view(1, -1, 1, 1, 2))

        def forward(self, feat):  # feat [2, 4, 3, 4]
            b, _, h, w = feat.shape
            p = self.conv(feat).view(b, self.na, self.no, h, w).permute(0, 1, 3, 4, 2)
            gy, gx = torch.meshgrid(torch.arange(h, dtype=feat.dtype), torch.arange(w, dtype=feat.dtype), indexing="ij")
            grid = torch.stack([gx, gy], -1)[None, None]
            xy = (torch.sigmoid(p[..., :2]) + grid) * self.stride
            wh = torch.exp(p[..., 2:4].clamp(max=4)) * self.anchors * self.stride
            scores = torch.sigmoid(p[..., 4:5]) * torch.sigmoid(p[..., 5:])
            return torch.cat([xy - wh / 2, xy + wh / 2, scores], -1).view(b, -1, 4 + self.no - 5)
    torch.manual_seed(97)
    return _distinct(YoloHead(), 97), (_x(2, 4, 3, 4, seed=22),)


@case("kan_piecewise_linear_bspline_layer")
def _kan():
    class KAN(nn.Module):
        """Kolmogorov-Arnold layer: per (input, output) edge a learned function on a grid (degree-1 B-splines,
        hat functions) plus a SiLU base term."""

        def __init__(self, d=3, out=4, grid=6):
            super().__init__()
            self.register_buffer("knots", torch.linspace(-2, 2, grid))
            self.coef = nn.Parameter(torch.randn(d, out, grid) * 0.3)
            self.base = nn.Linear(d, out)

        def forward(self, x):  # x [5, 3]
            h = self.knots[1] - self.knots[0]
            hat = torch.clamp(1 - (x[..., None] - self.knots).abs() / h, min=0)  # [5, 3, grid]
            return torch.einsum("big,iog->bo", hat, self.coef) + self.base(F.silu(x))
    torch.manual_seed(91)
    return _distinct(KAN(), 91), (_x(5, 3, seed=14) * 0.9 + 0.013,)  # off the knots (the hats' kinks)


@case("hypernetwork_per_example_weights_bmm")
def _hyper():
    class Hyper(nn.Module):
        def __init__(self, c=3, d=4, h=5, out=2):
            super().__init__()
            self.d, self.h, self.out = d, h, out
            self.gen = nn.Sequential(nn.Linear(c, 16), nn.Tanh(), nn.Linear(16, d * h + h * out))

        def forward(self, cond, x):  # cond [3, 3] per example; x [3, 7, 4]: a target net per example
            p = self.gen(cond)
            w1 = p[:, :self.d * self.h].view(-1, self.d, self.h)
            w2 = p[:, self.d * self.h:].view(-1, self.h, self.out)
            return torch.bmm(torch.tanh(torch.bmm(x, w1)), w2)
    torch.manual_seed(92)
    return _distinct(Hyper(), 92), (_x(3, 3, seed=15), _x(3, 7, 4, seed=16))

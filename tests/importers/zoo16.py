"""Round 16's held-out torch models (benchmarks/IMPORT_ZOO.md, Round 16): kinds no earlier round had. Each builder
returns (model in eval mode, example input); test_zoo16.py imports them and checks them against torch's autograd."""
import math

import torch
from torch import nn
from torch.nn import functional as F


def _seeded(cls):
    def build(*args):
        torch.manual_seed(16)
        return cls(*args).eval()
    return build


class Linformer(nn.Module):
    """Linformer (Wang et al. 2020): keys and values projected along the sequence (n=12 -> k=4) before softmax."""
    def __init__(self, n=12, d=8, k=4, heads=2):
        super().__init__()
        self.h, self.qkv, self.out = heads, nn.Linear(d, 3 * d), nn.Linear(d, d)
        self.e, self.f = nn.Linear(n, k, bias=False), nn.Linear(n, k, bias=False)

    def forward(self, x):                                               # (2, 12, 8)
        b, n, d = x.shape
        q, k, v = self.qkv(x).view(b, n, 3, self.h, d // self.h).permute(2, 0, 3, 1, 4)
        k = self.e(k.transpose(-1, -2)).transpose(-1, -2)               # (b, h, 4, dh)
        v = self.f(v.transpose(-1, -2)).transpose(-1, -2)
        a = torch.softmax(q @ k.transpose(-1, -2) / math.sqrt(d // self.h), -1)
        return self.out((a @ v).transpose(1, 2).reshape(b, n, d))


class GatedLinearAttention(nn.Module):
    """Gated linear attention (Yang et al. 2024), recurrent form: S_t = diag(a_t) S_{t-1} + k_t^T v_t, o_t = q_t S_t,
    a data-dependent decay a_t = sigmoid(.)^(1/16) per key channel; an output gate and a group norm."""
    def __init__(self, d=8, dk=4):
        super().__init__()
        self.q, self.k, self.v = nn.Linear(d, dk), nn.Linear(d, dk), nn.Linear(d, d)
        self.a, self.g, self.o = nn.Linear(d, dk), nn.Linear(d, d), nn.Linear(d, d)
        self.norm = nn.GroupNorm(2, d)

    def forward(self, x):                                               # (2, 6, 8)
        q, k, v = self.q(x), self.k(x), self.v(x)
        a = torch.sigmoid(self.a(x)) ** (1 / 16)
        s = x.new_zeros(x.shape[0], k.shape[-1], v.shape[-1])
        outs = []
        for t in range(x.shape[1]):
            s = a[:, t, :, None] * s + k[:, t, :, None] * v[:, t, None, :]
            outs.append(torch.einsum("bk,bkd->bd", q[:, t], s))
        o = torch.stack(outs, 1)
        o = self.norm(o.reshape(-1, o.shape[-1])).reshape(o.shape)
        return self.o(o * F.silu(self.g(x)))


class SwitchCapacity(nn.Module):
    """Switch Transformer's top-1 routing with a capacity (Fedus et al. 2021): each token's position in its expert's
    queue by a cumsum of one-hots, tokens past the capacity dropped (residual only), the gate probability scaling the
    expert's output; plus the load-balancing loss (fraction routed x mean probability)."""
    def __init__(self, d=6, experts=3, capacity=3):
        super().__init__()
        self.router, self.cap = nn.Linear(d, experts), capacity
        self.w1 = nn.Parameter(torch.randn(experts, d, 8) * 0.4)
        self.w2 = nn.Parameter(torch.randn(experts, 8, d) * 0.4)

    def forward(self, x):                                               # (10, 6) tokens
        p = torch.softmax(self.router(x), -1)
        gate, idx = p.max(-1)
        onehot = F.one_hot(idx, p.shape[-1]).to(x.dtype)
        keep = ((torch.cumsum(onehot, 0) * onehot).sum(-1) <= self.cap).to(x.dtype)
        h = torch.einsum("td,edh->teh", x, self.w1)
        y = torch.einsum("teh,ehd->ted", F.gelu(h), self.w2)
        routed = (y * onehot[..., None]).sum(1) * (gate * keep)[:, None]
        aux = p.shape[-1] * (onehot.mean(0) * p.mean(0)).sum()
        return x + routed + aux


class IResNetLogdet(nn.Module):
    """An invertible residual block (i-ResNet, Behrmann et al. 2019): g(x) = W2 elu(W1 x) with each weight scaled to
    spectral norm 0.7 (torch.linalg.matrix_norm(ord=2)), y = x + g(x), log|det(I + J_g)| by the power series
    sum_k (-1)^(k+1) tr(J^k) / k truncated at 5 terms, J written out per example."""
    def __init__(self, d=4):
        super().__init__()
        self.w1, self.w2 = nn.Parameter(torch.randn(6, d)), nn.Parameter(torch.randn(d, 6))
        self.b1 = nn.Parameter(torch.randn(6) * 0.1)

    def forward(self, x):                                               # (5, 4)
        w1 = 0.7 * self.w1 / torch.linalg.matrix_norm(self.w1, ord=2)
        w2 = 0.7 * self.w2 / torch.linalg.matrix_norm(self.w2, ord=2)
        pre = x @ w1.T + self.b1
        y = x + F.elu(pre) @ w2.T
        slope = torch.where(pre > 0, torch.ones_like(pre), torch.exp(pre))  # elu's derivative
        jac = torch.einsum("ij,bj,jk->bik", w2, slope, w1)
        term, logdet = jac, x.new_zeros(x.shape[0])
        for k in range(1, 6):
            logdet = logdet + (-1) ** (k + 1) * torch.diagonal(term, dim1=1, dim2=2).sum(-1) / k
            term = term @ jac
        return torch.cat([y, logdet[:, None]], -1)


class HashGridEncoding(nn.Module):
    """Instant-NGP's multiresolution hash encoding (Mueller et al. 2022), 2-D, 2 levels: integer corners hashed by
    XOR of coordinate x prime (int64) mod the table size, features gathered and bilinearly interpolated; a small MLP
    after. Table entries shared by several corners (collisions) sum their gradients."""
    def __init__(self, size=16, feat=2, levels=(3, 7)):
        super().__init__()
        self.levels, self.size = levels, size
        self.tables = nn.Parameter(torch.randn(len(levels), size, feat) * 0.5)
        self.mlp = nn.Sequential(nn.Linear(len(levels) * feat, 8), nn.Softplus(), nn.Linear(8, 2))

    def forward(self, x):                                               # (9, 2) in [0, 1)
        feats = []
        for li, res in enumerate(self.levels):
            pos = x * res
            base = torch.floor(pos)
            frac = pos - base
            base = base.to(torch.int64)
            out = 0
            for dx in (0, 1):
                for dy in (0, 1):
                    cx, cy = base[:, 0] + dx, base[:, 1] + dy
                    h = torch.bitwise_xor(cx * 1, cy * 2654435761) % self.size
                    wx = frac[:, 0] if dx else 1 - frac[:, 0]
                    wy = frac[:, 1] if dy else 1 - frac[:, 1]
                    out = out + (wx * wy)[:, None] * self.tables[li][h]
            feats.append(out)
        return self.mlp(torch.cat(feats, -1))


class AxialRopeViT(nn.Module):
    """A ViT attention layer with 2-D axial rotary embeddings (RoPE-Mixed / axial RoPE for images, Heo et al. 2024):
    half of each head's channels rotated by the patch row, half by the column."""
    def __init__(self, side=3, d=8, heads=2):
        super().__init__()
        self.h, self.qkv, self.proj = heads, nn.Linear(d, 3 * d), nn.Linear(d, d)
        dh = d // heads
        freqs = 1.0 / (100.0 ** (torch.arange(0, dh // 2, 2).float() / (dh // 2)))
        rows, cols = torch.meshgrid(torch.arange(side).float(), torch.arange(side).float(), indexing="ij")
        ang = torch.cat([rows.reshape(-1, 1) * freqs, cols.reshape(-1, 1) * freqs], -1)  # (n, dh/2)
        self.register_buffer("cos", torch.cos(ang))
        self.register_buffer("sin", torch.sin(ang))

    def rot(self, t):
        t1, t2 = t[..., 0::2], t[..., 1::2]
        return torch.stack([t1 * self.cos - t2 * self.sin, t1 * self.sin + t2 * self.cos], -1).flatten(-2)

    def forward(self, x):                                               # (2, 9, 8)
        b, n, d = x.shape
        q, k, v = self.qkv(x).view(b, n, 3, self.h, d // self.h).permute(2, 0, 3, 1, 4)
        o = F.scaled_dot_product_attention(self.rot(q), self.rot(k), v)
        return self.proj(o.transpose(1, 2).reshape(b, n, d))


class MixtureOfDepths(nn.Module):
    """Mixture-of-Depths (Raposo et al. 2024): a router picks the top half of the tokens (torch.topk), only they go
    through the block (an MLP), scaled by their router weight and scattered back (index_add into the residual)."""
    def __init__(self, d=6):
        super().__init__()
        self.router = nn.Linear(d, 1)
        self.block = nn.Sequential(nn.Linear(d, 12), nn.GELU(), nn.Linear(12, d))

    def forward(self, x):                                               # (2, 8, 6)
        b, n, d = x.shape
        r = self.router(x).squeeze(-1)
        w, idx = torch.topk(r, n // 2, dim=-1)
        picked = torch.gather(x, 1, idx[..., None].expand(-1, -1, d))
        upd = self.block(picked) * torch.sigmoid(w)[..., None]
        flat = (idx + torch.arange(b)[:, None] * n).reshape(-1)
        return x.reshape(-1, d).index_add(0, flat, upd.reshape(-1, d)).reshape(b, n, d)


class GroupSortBjorck(nn.Module):
    """A 1-Lipschitz network (Anil et al. 2019): weights orthonormalised by 4 Bjorck iterations
    (W <- 1.5 W - 0.5 W W^T W), GroupSort activations (each pair sorted: torch.sort)."""
    def __init__(self, d=6):
        super().__init__()
        self.w = nn.ParameterList([nn.Parameter(torch.randn(d, d) / d ** 0.5) for _ in range(2)])
        self.b = nn.Parameter(torch.randn(d) * 0.1)

    @staticmethod
    def bjorck(w):
        w = w / torch.linalg.matrix_norm(w, ord="fro")
        for _ in range(4):
            w = 1.5 * w - 0.5 * w @ w.T @ w
        return w

    def forward(self, x):                                               # (5, 6)
        h = x @ self.bjorck(self.w[0]).T + self.b
        h = torch.sort(h.view(h.shape[0], -1, 2), -1)[0].flatten(1)
        return h @ self.bjorck(self.w[1]).T


class WSConvGN(nn.Module):
    """BiT's weight-standardised convolution (Kolesnikov et al. 2020) + GroupNorm + a squeeze-excite gate + a
    pre-activation residual."""
    def __init__(self, c=4):
        super().__init__()
        self.conv = nn.Conv2d(c, c, 3, padding=1)
        self.gn = nn.GroupNorm(2, c)
        self.se1, self.se2 = nn.Linear(c, 2), nn.Linear(2, c)

    def forward(self, x):                                               # (2, 4, 5, 5)
        w = self.conv.weight
        m = w.mean((1, 2, 3), keepdim=True)
        v = w.var((1, 2, 3), keepdim=True, unbiased=False)
        h = F.conv2d(F.relu(self.gn(x)), (w - m) / torch.sqrt(v + 1e-5), self.conv.bias, padding=1)
        s = torch.sigmoid(self.se2(F.silu(self.se1(h.mean((2, 3))))))
        return x + h * s[:, :, None, None]


class SymplecticLeapfrogHNN(nn.Module):
    """A neural ODE step of a separable Hamiltonian network (H = T(p) + V(q), each an MLP) by 3 leapfrog steps; the
    forces dV/dq and velocities dT/dp written in closed form from the MLPs' weights (tanh)."""
    def __init__(self, d=2):
        super().__init__()
        self.v1, self.v2 = nn.Linear(d, 8), nn.Linear(8, 1, bias=False)
        self.t1, self.t2 = nn.Linear(d, 8), nn.Linear(8, 1, bias=False)

    @staticmethod
    def dmlp(l1, l2, z):                                                # d/dz of l2(tanh(l1 z))
        return ((1 - torch.tanh(l1(z)) ** 2) * l2.weight) @ l1.weight

    def forward(self, x):                                               # (4, 4): (q, p)
        q, p, h = x[:, :2], x[:, 2:], 0.1
        for _ in range(3):
            p = p - 0.5 * h * self.dmlp(self.v1, self.v2, q)
            q = q + h * self.dmlp(self.t1, self.t2, p)
            p = p - 0.5 * h * self.dmlp(self.v1, self.v2, q)
        return torch.cat([q, p], -1)


MODELS = {
    "linformer": (_seeded(Linformer), lambda: torch.randn(2, 12, 8)),
    "gated_linear_attention": (_seeded(GatedLinearAttention), lambda: torch.randn(2, 6, 8)),
    "switch_capacity_moe": (_seeded(SwitchCapacity), lambda: torch.randn(10, 6)),
    "iresnet_logdet_series": (_seeded(IResNetLogdet), lambda: torch.randn(5, 4)),
    "instant_ngp_hash_grid": (_seeded(HashGridEncoding), lambda: torch.rand(9, 2) * 0.98),
    "axial_rope_vit": (_seeded(AxialRopeViT), lambda: torch.randn(2, 9, 8)),
    "mixture_of_depths": (_seeded(MixtureOfDepths), lambda: torch.randn(2, 8, 6)),
    "groupsort_bjorck_lipschitz": (_seeded(GroupSortBjorck), lambda: torch.randn(5, 6)),
    "bit_ws_conv_gn_se": (_seeded(WSConvGN), lambda: torch.randn(2, 4, 5, 5)),
    "hnn_leapfrog_step": (_seeded(SymplecticLeapfrogHNN), lambda: torch.randn(4, 4)),
}

"""Held-out sequence and scientific models for the sweep, in the style users write them: nn.Transformer
(encoder + decoder) with causal and padding masks, a pre-norm TransformerEncoder with key padding and a
masked mean pool, cross-attention with a key_padding_mask, a 3-layer bidirectional LSTM classifier and a
2-layer bidirectional GRU (sequence-first), a causal dilated Conv1d TCN; a PINN with a hard Dirichlet
constraint, a SIREN, a graph attention net (segment softmax by scatter_reduce amax + index_add), a GIN with
a segment-mean readout, a lower-triangular flow (solve_triangular, log|det|), a Verlet integrator with an
MLP force, Gaussian-process regression (cholesky, cholesky_solve), PointNet (T-net bmm, max over
points), a VQ-VAE codebook (argmin, straight-through), capsule dynamic routing.
Same contract as zoo.py: `name -> () -> (model, inputs)`; tiny shapes."""
import math

import torch
from torch import nn
from torch.nn import functional as F

from .zoo import _x, case
from .zoo_families import _distinct


@case("nn_transformer_seq2seq_masks")
def _seq2seq():
    class Seq2Seq(nn.Module):
        def __init__(self, vocab=9, d=8):
            super().__init__()
            self.src_emb, self.tgt_emb = nn.Embedding(vocab, d), nn.Embedding(vocab, d)
            self.core = nn.Transformer(d, 2, num_encoder_layers=1, num_decoder_layers=1, dim_feedforward=16,
                                       dropout=0.0, batch_first=True)
            self.head = nn.Linear(d, vocab)

        def forward(self, src, tgt, src_pad):  # src [2, 5], tgt [2, 4] ids; src_pad [2, 5] bool (True: padding)
            causal = nn.Transformer.generate_square_subsequent_mask(tgt.shape[1])
            # tgt_is_causal=True as torch.export needs it: left None, torch compares the mask with a causal
            # one at run time (a data-dependent branch torch.export refuses)
            h = self.core(self.src_emb(src), self.tgt_emb(tgt), tgt_mask=causal, src_key_padding_mask=src_pad,
                          memory_key_padding_mask=src_pad, tgt_is_causal=True)
            return self.head(h)
    torch.manual_seed(80)
    pad = torch.tensor([[False] * 5, [False, False, False, True, True]])
    return _distinct(Seq2Seq()), (torch.tensor([[1, 2, 3, 4, 5], [6, 7, 8, 0, 0]]),
                                  torch.tensor([[1, 3, 5, 7], [2, 4, 6, 8]]), pad)


@case("transformer_encoder_prenorm_masked_mean_pool")
def _prenorm():
    class Classifier(nn.Module):
        def __init__(self, d=8):
            super().__init__()
            layer = nn.TransformerEncoderLayer(d, 2, 16, dropout=0.0, activation="gelu", batch_first=True,
                                               norm_first=True)
            self.enc = nn.TransformerEncoder(layer, 2, norm=nn.LayerNorm(d), enable_nested_tensor=False)
            self.head = nn.Linear(d, 3)

        def forward(self, x, pad):  # x [2, 5, 8]; pad [2, 5] bool (True: padding)
            h = self.enc(x, src_key_padding_mask=pad)
            keep = (~pad).unsqueeze(-1).to(h.dtype)
            return self.head((h * keep).sum(1) / keep.sum(1))
    torch.manual_seed(81)
    return _distinct(Classifier()), (_x(2, 5, 8), torch.tensor([[False] * 5, [False, False, True, True, True]]))


@case("cross_attention_key_padding_mask")
def _cross():
    class Cross(nn.Module):
        def __init__(self):
            super().__init__()
            self.attn = nn.MultiheadAttention(8, 4, kdim=5, vdim=6, batch_first=True)
            self.ln = nn.LayerNorm(8)

        def forward(self, q, k, v, pad):  # q [2, 3, 8], k [2, 4, 5], v [2, 4, 6]; pad [2, 4] bool
            y, w = self.attn(q, k, v, key_padding_mask=pad, need_weights=True, average_attn_weights=False)
            return self.ln(q + y), w
    torch.manual_seed(82)
    return _distinct(Cross()), (_x(2, 3, 8), _x(2, 4, 5, seed=1), _x(2, 4, 6, seed=2),
                                torch.tensor([[False, False, False, True], [False, True, True, True]]))


@case("lstm_bidirectional_3layer_max_pool_classifier")
def _lstm3():
    class Classifier(nn.Module):
        def __init__(self):
            super().__init__()
            self.emb = nn.Linear(3, 4)
            self.lstm = nn.LSTM(4, 3, num_layers=3, bidirectional=True, batch_first=True)
            self.head = nn.Linear(6, 2)

        def forward(self, x):  # [2, 5, 3]
            h, _ = self.lstm(torch.tanh(self.emb(x)))
            return self.head(h.amax(1))
    torch.manual_seed(83)
    return _distinct(Classifier()), (_x(2, 5, 3),)


@case("gru_bidirectional_2layer_seq_first_h0")
def _gru2():
    class Encoder(nn.Module):
        def __init__(self):
            super().__init__()
            self.gru = nn.GRU(3, 4, num_layers=2, bidirectional=True)
            self.proj = nn.Linear(8, 3)

        def forward(self, x, h0):  # x [5, 2, 3] (time first); h0 [4, 2, 4]
            y, hn = self.gru(x, h0)
            return self.proj(y), hn.sum(0)
    torch.manual_seed(84)
    return _distinct(Encoder()), (_x(5, 2, 3), _x(4, 2, 4, seed=1, scale=0.5))


@case("tcn_causal_dilated_residual")
def _tcn():
    class Block(nn.Module):
        def __init__(self, cin, cout, d):
            super().__init__()
            self.pad = 2 * d
            self.c1 = nn.Conv1d(cin, cout, 3, dilation=d)
            self.c2 = nn.Conv1d(cout, cout, 3, dilation=d)
            self.down = nn.Conv1d(cin, cout, 1) if cin != cout else nn.Identity()

        def forward(self, x):
            h = F.relu(self.c1(F.pad(x, (self.pad, 0))))
            h = F.relu(self.c2(F.pad(h, (self.pad, 0))))
            return F.relu(h + self.down(x))

    class TCN(nn.Module):
        def __init__(self):
            super().__init__()
            self.blocks = nn.Sequential(Block(2, 4, 1), Block(4, 4, 2), Block(4, 4, 4))
            self.head = nn.Linear(4, 1)

        def forward(self, x):  # [2, 2, 12]
            return self.head(self.blocks(x)[:, :, -1])
    torch.manual_seed(85)
    return _distinct(TCN()), (_x(2, 2, 12),)


@case("pinn_hard_dirichlet_constraint")
def _pinn():
    class PINN(nn.Module):  # u(x, t) = sin(pi x) (1 - t) + x (1 - x) t N(x, t): exact on x = 0, 1 and t = 0
        def __init__(self):
            super().__init__()
            self.net = nn.Sequential(nn.Linear(2, 8), nn.Tanh(), nn.Linear(8, 8), nn.Tanh(), nn.Linear(8, 1))

        def forward(self, xt):  # [6, 2] collocation points in [0, 1]^2
            x, t = xt[:, :1], xt[:, 1:]
            return torch.sin(math.pi * x) * (1 - t) + x * (1 - x) * t * self.net(xt)
    torch.manual_seed(86)
    return _distinct(PINN()), (torch.rand(6, 2, generator=torch.Generator().manual_seed(3)),)


@case("siren_sine_layers_fourier_features")
def _siren():
    class Siren(nn.Module):
        def __init__(self, w0=30.0):
            super().__init__()
            self.register_buffer("B", torch.randn(2, 4, generator=torch.Generator().manual_seed(9)))
            self.l1, self.l2, self.out = nn.Linear(8, 8), nn.Linear(8, 8), nn.Linear(8, 1)
            self.w0 = w0
            with torch.no_grad():
                for lin in (self.l1, self.l2):
                    lin.weight.uniform_(-math.sqrt(6 / 8) / w0, math.sqrt(6 / 8) / w0)

        def forward(self, p):  # [5, 2] coordinates
            f = 2 * math.pi * p @ self.B
            h = torch.cat([torch.sin(f), torch.cos(f)], -1)
            h = torch.sin(self.w0 * self.l1(h))
            return self.out(torch.sin(self.w0 * self.l2(h)))
    torch.manual_seed(87)
    return Siren().eval(), (_x(5, 2, scale=0.5),)


_SRC = torch.tensor([0, 1, 1, 2, 3, 3, 4, 0, 2])
_DST = torch.tensor([1, 0, 2, 1, 2, 4, 3, 3, 4])


@case("gat_segment_softmax_scatter_amax")
def _gat():
    class GAT(nn.Module):
        def __init__(self, cin=3, heads=2, c=4):
            super().__init__()
            self.lin = nn.Linear(cin, heads * c, bias=False)
            self.a_src, self.a_dst = nn.Parameter(torch.randn(heads, c)), nn.Parameter(torch.randn(heads, c))
            self.heads, self.c = heads, c

        def forward(self, x):  # [5, 3] node features; a fixed 9-edge graph
            n = x.shape[0]
            h = self.lin(x).view(n, self.heads, self.c)
            e = F.leaky_relu((h * self.a_src).sum(-1)[_SRC] + (h * self.a_dst).sum(-1)[_DST], 0.2)  # [E, H]
            idx = _DST.unsqueeze(1).expand_as(e)
            m = torch.full((n, self.heads), -1e9).scatter_reduce(0, idx, e, "amax", include_self=False)
            w = torch.exp(e - m[_DST])
            den = torch.zeros(n, self.heads).index_add(0, _DST, w)
            alpha = w / den[_DST]
            out = torch.zeros(n, self.heads, self.c).index_add(0, _DST, alpha.unsqueeze(-1) * h[_SRC])
            return F.elu(out.flatten(1))
    torch.manual_seed(88)
    return _distinct(GAT()), (_x(5, 3),)


@case("gin_sum_aggregate_segment_mean_readout")
def _gin():
    class GIN(nn.Module):
        def __init__(self):
            super().__init__()
            self.eps = nn.Parameter(torch.tensor(0.1))
            self.mlp = nn.Sequential(nn.Linear(3, 6), nn.ReLU(), nn.Linear(6, 6))
            self.head = nn.Linear(6, 2)

        def forward(self, x, batch):  # x [5, 3]; batch [5] int: which graph each node is in (2 graphs)
            agg = torch.zeros_like(x).index_add(0, _DST, x[_SRC])
            h = F.relu(self.mlp((1 + self.eps) * x + agg))
            sums = torch.zeros(2, h.shape[1]).scatter_add(0, batch.unsqueeze(1).expand_as(h), h)
            counts = torch.zeros(2).index_add(0, batch, torch.ones(batch.shape[0]))
            return self.head(sums / counts.unsqueeze(1))
    torch.manual_seed(89)
    return _distinct(GIN()), (_x(5, 3), torch.tensor([0, 0, 0, 1, 1]))


@case("triangular_flow_solve_logdet")
def _tri_flow():
    class TriFlow(nn.Module):  # z = L^-1 (x - mu), L lower-triangular with a positive diagonal
        def __init__(self, d=3):
            super().__init__()
            self.lower = nn.Parameter(torch.randn(d, d) * 0.3)
            self.log_diag = nn.Parameter(torch.randn(d) * 0.2)
            self.mu = nn.Parameter(torch.randn(d) * 0.1)

        def forward(self, x):  # [4, 3]
            L = torch.tril(self.lower, -1) + torch.diag(torch.exp(self.log_diag))
            z = torch.linalg.solve_triangular(L, (x - self.mu).T, upper=False).T
            logp = -0.5 * (z ** 2).sum(-1) - 0.5 * z.shape[-1] * math.log(2 * math.pi)
            return logp - torch.logdet(L), z
    torch.manual_seed(90)
    return TriFlow().eval(), (_x(4, 3),)


@case("verlet_mlp_force_unrolled")
def _verlet():
    class Verlet(nn.Module):  # velocity Verlet, 4 steps of a learned force field
        def __init__(self):
            super().__init__()
            self.force = nn.Sequential(nn.Linear(2, 8), nn.Softplus(), nn.Linear(8, 2))
            self.log_mass = nn.Parameter(torch.tensor([0.1, -0.2]))

        def forward(self, q, p):  # [3, 2] each
            dt, inv_m = 0.1, torch.exp(-self.log_mass)
            a = self.force(q) * inv_m
            for _ in range(4):
                p_half = p + 0.5 * dt * a / inv_m
                q = q + dt * p_half * inv_m
                a = self.force(q) * inv_m
                p = p_half + 0.5 * dt * a / inv_m
            return q, p
    torch.manual_seed(91)
    return _distinct(Verlet()), (_x(3, 2), _x(3, 2, seed=1))


@case("gaussian_process_cholesky_posterior")
def _gp():
    class GP(nn.Module):
        def __init__(self):
            super().__init__()
            self.log_ls, self.log_sf, self.log_sn = (nn.Parameter(torch.tensor(v)) for v in (0.2, 0.1, -1.0))

        def k(self, a, b):
            d2 = ((a.unsqueeze(1) - b.unsqueeze(0)) ** 2).sum(-1)
            return torch.exp(2 * self.log_sf) * torch.exp(-0.5 * d2 / torch.exp(2 * self.log_ls))

        def forward(self, xtr, ytr, xte):  # [6, 2], [6, 1], [3, 2]
            K = self.k(xtr, xtr) + torch.exp(2 * self.log_sn) * torch.eye(xtr.shape[0])
            L = torch.linalg.cholesky(K)
            alpha = torch.cholesky_solve(ytr, L)
            ks = self.k(xte, xtr)
            mean = ks @ alpha
            v = torch.linalg.solve_triangular(L, ks.T, upper=False)
            var = torch.exp(2 * self.log_sf) - (v ** 2).sum(0)
            nll = 0.5 * (ytr * alpha).sum() + torch.log(torch.diagonal(L)).sum()
            return mean, var, nll
    return GP().eval(), (_x(6, 2), _x(6, 1, seed=1), _x(3, 2, seed=2))


@case("pointnet_tnet_bmm_max_over_points")
def _pointnet():
    class PointNet(nn.Module):
        def __init__(self):
            super().__init__()
            self.tnet = nn.Sequential(nn.Conv1d(3, 8, 1), nn.BatchNorm1d(8), nn.ReLU())
            self.tfc = nn.Linear(8, 9)
            self.feat = nn.Sequential(nn.Conv1d(3, 8, 1), nn.BatchNorm1d(8), nn.ReLU(), nn.Conv1d(8, 12, 1))
            self.head = nn.Linear(12, 4)

        def forward(self, pts):  # [2, 3, 7]: batch, xyz, points
            t = self.tfc(self.tnet(pts).max(2).values).view(-1, 3, 3) + torch.eye(3)
            aligned = torch.bmm(t, pts)
            return F.log_softmax(self.head(self.feat(aligned).max(2).values), -1)
    torch.manual_seed(92)
    return _distinct(PointNet()), (_x(2, 3, 7),)


@case("vqvae_codebook_straight_through")
def _vq():
    class VQ(nn.Module):
        def __init__(self):
            super().__init__()
            self.enc = nn.Conv2d(2, 4, 3, padding=1)
            self.codebook = nn.Embedding(6, 4)
            self.dec = nn.Conv2d(4, 2, 3, padding=1)

        def forward(self, x):  # [2, 2, 4, 4]
            z = self.enc(x).permute(0, 2, 3, 1)  # [B, H, W, D]
            flat = z.reshape(-1, 4)
            d = (flat ** 2).sum(1, keepdim=True) - 2 * flat @ self.codebook.weight.T \
                + (self.codebook.weight ** 2).sum(1)
            q = self.codebook(d.argmin(1)).view_as(z)
            commit = F.mse_loss(z, q.detach()) + 0.25 * F.mse_loss(q, z.detach())
            q = z + (q - z).detach()  # straight-through estimator
            return self.dec(q.permute(0, 3, 1, 2)), commit
    torch.manual_seed(93)
    return _distinct(VQ()), (_x(2, 2, 4, 4),)


@case("capsule_dynamic_routing_squash")
def _capsules():
    def squash(s):
        n2 = (s ** 2).sum(-1, keepdim=True)
        return n2 / (1 + n2) * s / torch.sqrt(n2 + 1e-8)

    class Caps(nn.Module):
        def __init__(self, n_in=6, d_in=4, n_out=3, d_out=5):
            super().__init__()
            self.W = nn.Parameter(torch.randn(n_in, n_out, d_out, d_in) * 0.3)

        def forward(self, u):  # [2, 6, 4] primary capsules
            u_hat = torch.einsum("ijdk,bik->bijd", self.W, squash(u))
            logits = torch.zeros(u.shape[0], u_hat.shape[1], u_hat.shape[2])
            for _ in range(3):
                c = torch.softmax(logits, dim=2)
                v = squash((c.unsqueeze(-1) * u_hat).sum(1))
                logits = logits + (u_hat * v.unsqueeze(1)).sum(-1)
            return v.norm(dim=-1), v
    torch.manual_seed(94)
    return Caps().eval(), (_x(2, 6, 4),)

"""Round 5 of the sweep's PyTorch models: the kinds of model users bring whole rather than layer by layer
(small transformers with attention masks, GRU / LSTM sequence models, normalising flows, graph nets with
scatter / index_add, UNet-ish conv nets, mixture-density nets, physics models with einsum) and max-pool
indices. Same contract as zoo.py: `name -> () -> (model in eval mode, inputs)`; tiny shapes."""
import math

import torch
from torch import nn
from torch.nn import functional as F

from .zoo import _trained, _x, case
from .zoo_families import _distinct


@case("tiny_causal_lm_padding_mask")
def _tiny_lm():
    class LM(nn.Module):
        def __init__(self):
            super().__init__()
            self.tok, self.pos = nn.Embedding(11, 8), nn.Parameter(torch.randn(5, 8) * 0.1)
            self.qkv, self.out, self.head = nn.Linear(8, 24), nn.Linear(8, 8), nn.Linear(8, 11)
            self.ln1, self.ln2 = nn.LayerNorm(8), nn.LayerNorm(8)
            self.ff = nn.Sequential(nn.Linear(8, 16), nn.GELU(), nn.Linear(16, 8))

        def forward(self, ids, keep):  # ids [2, 5] int; keep [2, 5] bool (False: padding)
            b, t = ids.shape
            h = self.tok(ids) + self.pos
            q, k, v = self.qkv(self.ln1(h)).view(b, t, 3, 2, 4).permute(2, 0, 3, 1, 4)
            causal = torch.ones(t, t, dtype=torch.bool).tril()
            mask = causal & keep[:, None, None, :]
            s = (q @ k.transpose(-1, -2)) / math.sqrt(4)
            s = s.masked_fill(~mask, float("-inf"))
            a = torch.softmax(s, -1) @ v
            h = h + self.out(a.transpose(1, 2).reshape(b, t, 8))
            h = h + self.ff(self.ln2(h))
            return F.log_softmax(self.head(h), -1)
    torch.manual_seed(50)
    return _distinct(LM()), (torch.tensor([[1, 4, 2, 7, 3], [5, 9, 0, 0, 0]]),
                             torch.tensor([[True] * 5, [True, True, False, False, False]]))


@case("sdpa_attention_bool_mask")
def _sdpa():
    class A(nn.Module):
        def __init__(self):
            super().__init__()
            self.proj = nn.Linear(6, 18)

        def forward(self, x):  # [2, 4, 6]
            q, k, v = self.proj(x).view(2, 4, 3, 2, 3).permute(2, 0, 3, 1, 4)
            keep = torch.tensor([[True, True, True, False]] * 4)
            return F.scaled_dot_product_attention(q, k, v, attn_mask=keep), \
                F.scaled_dot_product_attention(q, k, v, is_causal=True)
    torch.manual_seed(51)
    return A().eval(), (_x(2, 4, 6),)


@case("gru_lstm_sequence_tagger")
def _tagger():
    class Tagger(nn.Module):
        def __init__(self):
            super().__init__()
            self.gru = nn.GRU(4, 5, batch_first=True, bidirectional=True)
            self.lstm = nn.LSTM(10, 3, batch_first=True)
            self.out = nn.Linear(3, 2)

        def forward(self, x):  # [2, 4, 4]
            h, _ = self.gru(x)
            y, (hn, cn) = self.lstm(h)
            return self.out(y), hn + cn
    torch.manual_seed(52)
    return _trained(Tagger()), (_x(2, 4, 4),)


@case("gru_cell_unrolled_decoder")
def _gru_cell():
    class Dec(nn.Module):
        def __init__(self):
            super().__init__()
            self.cell, self.lstm = nn.GRUCell(3, 4), nn.LSTMCell(4, 4)
            self.out = nn.Linear(4, 3)

        def forward(self, x, h):  # x [2, 3]; h [2, 4]
            c = torch.zeros_like(h)
            ys = []
            for _ in range(3):  # feeds its own output back
                h = self.cell(x, h)
                h2, c = self.lstm(h, (h, c))
                x = torch.tanh(self.out(h2))
                ys.append(x)
            return torch.stack(ys, 1)
    torch.manual_seed(53)
    return Dec().eval(), (_x(2, 3), _x(2, 4, seed=1))


@case("realnvp_flow_logdet")
def _realnvp():
    class Coupling(nn.Module):
        def __init__(self, flip):
            super().__init__()
            self.flip = flip
            self.net = nn.Sequential(nn.Linear(2, 8), nn.Tanh(), nn.Linear(8, 4))

        def forward(self, x):
            x1, x2 = x.chunk(2, -1)
            if self.flip:
                x1, x2 = x2, x1
            s, t = self.net(x1).chunk(2, -1)
            s = torch.tanh(s)
            y2 = x2 * torch.exp(s) + t
            y = torch.cat([y2, x1] if self.flip else [x1, y2], -1)
            return y, s.sum(-1)

    class Flow(nn.Module):
        def __init__(self):
            super().__init__()
            self.layers = nn.ModuleList([Coupling(i % 2 == 1) for i in range(3)])

        def forward(self, x):  # [5, 4] -> log-likelihood under a standard normal base
            logdet = torch.zeros(x.shape[0])
            for layer in self.layers:
                x, ld = layer(x)
                logdet = logdet + ld
            return -0.5 * (x ** 2).sum(-1) - 2 * math.log(2 * math.pi) + logdet
    torch.manual_seed(54)
    return Flow().eval(), (_x(5, 4),)


@case("planar_radial_flow")
def _planar():
    class Planar(nn.Module):
        def __init__(self):
            super().__init__()
            # scalars as [1] (ONNX keeps 0-d float initializers as constants, not weights)
            self.u, self.w, self.b = nn.Parameter(torch.randn(3) * 0.5), nn.Parameter(torch.randn(3)), \
                nn.Parameter(torch.tensor([0.1]))
            self.z0, self.alpha, self.beta = nn.Parameter(torch.randn(3)), nn.Parameter(torch.tensor([0.7])), \
                nn.Parameter(torch.tensor([0.4]))

        def forward(self, z):  # [4, 3]
            a = torch.tanh(z @ self.w + self.b)
            f = z + self.u * a[:, None]
            logdet = torch.log(torch.abs(1 + (1 - a ** 2) * (self.w @ self.u)))
            r = torch.linalg.vector_norm(f - self.z0, dim=-1)
            h = 1 / (F.softplus(self.alpha) + r)
            g = f + F.softplus(self.beta) * h[:, None] * (f - self.z0)
            return g, logdet
    torch.manual_seed(55)
    return Planar().eval(), (_x(4, 3),)


@case("gcn_index_add_scatter_mean")
def _gcn():
    class GCN(nn.Module):
        def __init__(self):
            super().__init__()
            self.register_buffer("src", torch.tensor([0, 1, 1, 2, 3, 4, 4]))
            self.register_buffer("dst", torch.tensor([1, 0, 2, 3, 2, 0, 3]))
            self.lin1, self.lin2, self.msg = nn.Linear(3, 4), nn.Linear(4, 2), nn.Linear(8, 4)

        def forward(self, x):  # [5, 3] node features
            h = torch.relu(self.lin1(x))
            deg = torch.zeros(5).index_add(0, self.dst, torch.ones(7)) + 1
            agg = torch.zeros(5, 4).index_add(0, self.dst, h[self.src]) + h
            h = agg / deg[:, None]
            m = torch.relu(self.msg(torch.cat([h[self.src], h[self.dst]], -1)))  # edge messages
            idx = self.dst[:, None].expand(-1, 4)
            pooled = torch.zeros(5, 4).scatter_reduce(0, idx, m, "amax", include_self=False)
            mean = torch.zeros(5, 4).scatter_reduce(0, idx, m, "mean", include_self=False)
            return self.lin2(pooled + mean + h).sum(0)
    torch.manual_seed(56)
    return GCN().eval(), (_x(5, 3),)


@case("unet_tiny_skip_connections")
def _unet():
    class Block(nn.Sequential):
        def __init__(self, i, o):
            super().__init__(nn.Conv2d(i, o, 3, padding=1), nn.BatchNorm2d(o), nn.ReLU())

    class UNet(nn.Module):
        def __init__(self):
            super().__init__()
            self.d1, self.d2, self.mid = Block(1, 4), Block(4, 6), Block(6, 6)
            self.up2, self.u2 = nn.ConvTranspose2d(6, 6, 2, stride=2), Block(12, 4)
            self.up1, self.u1 = nn.Upsample(scale_factor=2, mode="bilinear", align_corners=False), Block(8, 4)
            self.head = nn.Conv2d(4, 2, 1)

        def forward(self, x):  # [1, 1, 8, 8]
            a = self.d1(x)
            b = self.d2(F.max_pool2d(a, 2))
            c = self.mid(F.max_pool2d(b, 2))
            b2 = self.u2(torch.cat([self.up2(c), b], 1))
            a2 = self.u1(torch.cat([self.up1(b2), a], 1))
            return torch.sigmoid(self.head(a2))
    torch.manual_seed(57)
    return _trained(UNet()), (_x(1, 1, 8, 8),)


@case("segnet_pool_indices_unpool")
def _segnet():
    class SegNet(nn.Module):
        def __init__(self):
            super().__init__()
            self.enc, self.dec = nn.Conv2d(2, 3, 3, padding=1), nn.Conv2d(3, 2, 3, padding=1)

        def forward(self, x):  # [1, 2, 6, 6]
            h, idx = F.max_pool2d(torch.relu(self.enc(x)), 3, stride=2, padding=1, return_indices=True)
            h2, idx2 = F.max_pool1d(h.flatten(2), 2, return_indices=True)
            up = F.max_unpool2d(h * 1.5, idx, 3, stride=2, padding=1, output_size=(6, 6))
            return self.dec(up), h2 * idx2.float()
    torch.manual_seed(58)
    return SegNet().eval(), (_x(1, 2, 6, 6),)


@case("mixture_density_net_nll")
def _mdn():
    class MDN(nn.Module):
        def __init__(self):
            super().__init__()
            self.body = nn.Sequential(nn.Linear(2, 8), nn.Tanh())
            self.pi, self.mu, self.log_sigma = nn.Linear(8, 3), nn.Linear(8, 3 * 2), nn.Linear(8, 3 * 2)

        def forward(self, x, y):  # x [4, 2]; y [4, 2]
            h = self.body(x)
            log_pi = F.log_softmax(self.pi(h), -1)
            mu, ls = self.mu(h).view(4, 3, 2), self.log_sigma(h).view(4, 3, 2).clamp(-3, 3)
            z = (y[:, None, :] - mu) / ls.exp()
            log_n = (-0.5 * z ** 2 - ls - 0.5 * math.log(2 * math.pi)).sum(-1)
            return -torch.logsumexp(log_pi + log_n, -1).mean()
    torch.manual_seed(59)
    return MDN().eval(), (_x(4, 2), _x(4, 2, seed=1))


@case("physics_pairwise_energy_einsum")
def _physics():
    class Springs(nn.Module):
        def __init__(self):
            super().__init__()
            self.k = nn.Parameter(torch.rand(5, 5) + 0.5)
            self.rest = nn.Parameter(torch.rand(5, 5) + 0.5)
            self.inertia = nn.Parameter(torch.eye(3) + 0.1 * torch.randn(3, 3))

        def forward(self, pos, vel):  # pos, vel [5, 3]
            d = pos[:, None, :] - pos[None, :, :]
            r = torch.sqrt(torch.einsum("ijk,ijk->ij", d, d) + torch.eye(5) + 1e-3)
            off = 1 - torch.eye(5)
            pot = 0.5 * torch.einsum("ij,ij->", self.k * off, (r - self.rest) ** 2)
            kin = 0.5 * torch.einsum("ni,ij,nj->", vel, self.inertia @ self.inertia.T, vel)
            stress = torch.einsum("ij,ijk,ijl->kl", self.k * off, d, d)
            return pot + kin, stress
    torch.manual_seed(60)
    return Springs().eval(), (_x(5, 3), _x(5, 3, seed=1))


@case("conv_seq2seq_glu_dilated")
def _glu_conv():
    class Wave(nn.Module):
        def __init__(self):
            super().__init__()
            self.c1, self.c2 = nn.Conv1d(3, 8, 3, padding=2, dilation=2), nn.Conv1d(4, 8, 3, padding=4, dilation=4)
            self.out = nn.Conv1d(4, 2, 1)

        def forward(self, x):  # [2, 3, 7]
            h = F.glu(self.c1(x), 1)
            h = h + F.glu(self.c2(h), 1)
            return self.out(h).transpose(1, 2).softmax(-1)
    torch.manual_seed(61)
    return Wave().eval(), (_x(2, 3, 7),)


@case("vae_reparameterised_kl")
def _vae():
    class VAE(nn.Module):
        def __init__(self):
            super().__init__()
            self.enc, self.dec = nn.Linear(6, 4), nn.Sequential(nn.Linear(2, 5), nn.ReLU(), nn.Linear(5, 6))

        def forward(self, x, eps):  # x [3, 6]; eps [3, 2] (the noise, an input)
            mu, logvar = self.enc(x).chunk(2, -1)
            z = mu + torch.exp(0.5 * logvar) * eps
            rec = F.binary_cross_entropy_with_logits(self.dec(z), torch.sigmoid(x), reduction="sum")
            kl = -0.5 * torch.sum(1 + logvar - mu ** 2 - logvar.exp())
            return rec + kl
    torch.manual_seed(62)
    return VAE().eval(), (_x(3, 6), _x(3, 2, seed=1))


@case("set_transformer_pooling")
def _set_pool():
    class SetPool(nn.Module):
        def __init__(self):
            super().__init__()
            self.seed = nn.Parameter(torch.randn(1, 2, 6))
            self.mha = nn.MultiheadAttention(6, 2, batch_first=True)
            self.ff = nn.Linear(6, 3)

        def forward(self, x, pad):  # x [2, 4, 6]; pad [2, 4] bool (True: padding)
            s = self.seed.expand(x.shape[0], -1, -1)
            y, _ = self.mha(s, x, x, key_padding_mask=pad)
            return self.ff(y).amax(1)
    torch.manual_seed(63)
    return _distinct(SetPool()), (_x(2, 4, 6), torch.tensor([[False, False, True, True], [False] * 4]))

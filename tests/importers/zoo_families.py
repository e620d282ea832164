"""The sweep's PyTorch models, round 3: the variants users bring of the families in zoo.py
(transformer blocks with masks, recurrent layers with initial states, mobile-net blocks, norms without
affine, losses with options, einsum forms, index ops). Registered into zoo.CASES."""
import math

import torch
from torch import nn
from torch.nn import functional as F

from .zoo import _trained, _x, case


def _distinct(m, seed=0):
    """_trained, and every weight nudged apart: deep-copied layers (nn.TransformerEncoder's) and ones-init
    norm weights start equal, and exporters share equal initializers (one weight, summed gradients)."""
    g = torch.Generator().manual_seed(seed + 200)
    with torch.no_grad():
        for p in m.parameters():
            p.add_(0.05 * torch.randn(p.shape, generator=g))
    return _trained(m, seed)


@case("transformer_decoder_layer_masks")
def _tdl():
    class Dec(nn.Module):
        def __init__(self):
            super().__init__()
            self.layer = nn.TransformerDecoderLayer(8, 2, 16, dropout=0.1, activation="gelu", batch_first=True)

        def forward(self, tgt, memory):
            mask = nn.Transformer.generate_square_subsequent_mask(4)
            return self.layer(tgt, memory, tgt_mask=mask, tgt_is_causal=True)
    torch.manual_seed(20)
    return _trained(Dec()), (_x(2, 4, 8), _x(2, 3, 8, seed=1))


@case("transformer_encoder_postnorm_padding_mask")
def _tel_post():
    class Enc(nn.Module):
        def __init__(self):
            super().__init__()
            layer = nn.TransformerEncoderLayer(8, 2, 16, dropout=0.0, batch_first=True, norm_first=False)
            self.enc = nn.TransformerEncoder(layer, 2, enable_nested_tensor=False)
            self.register_buffer("pad", torch.tensor([[False, False, False, True], [False, False, False, False]]))

        def forward(self, x):
            return self.enc(x, src_key_padding_mask=self.pad)
    torch.manual_seed(21)
    return _distinct(Enc()), (_x(2, 4, 8),)


@case("mha_float_mask_kdim_weights")
def _mha_kv():
    class Attn(nn.Module):
        def __init__(self):
            super().__init__()
            self.mha = nn.MultiheadAttention(8, 2, kdim=6, vdim=5)
            self.register_buffer("mask", torch.randn(3, 5, generator=torch.Generator().manual_seed(3)))

        def forward(self, q, k, v):  # sequence-first [T, B, E]
            o, w = self.mha(q, k, v, attn_mask=self.mask, need_weights=True)
            return o, w
    torch.manual_seed(22)
    return Attn().eval(), (_x(3, 2, 8), _x(5, 2, 6, seed=1), _x(5, 2, 5, seed=2))


@case("sdpa_float_mask_scale")
def _sdpa_f():
    class Attn(nn.Module):
        def forward(self, q, k, v, bias):
            return F.scaled_dot_product_attention(q, k, v, attn_mask=bias, scale=0.3)
    return Attn().eval(), (_x(2, 2, 3, 4), _x(2, 2, 5, 4, seed=1), _x(2, 2, 5, 6, seed=2), _x(3, 5, seed=3))


class _PosEnc(nn.Module):
    """Token embedding (padding index) + sinusoidal buffer + learned positions, then a linear head."""

    def __init__(self, vocab=11, d=8, t=6):
        super().__init__()
        self.tok = nn.Embedding(vocab, d, padding_idx=0)
        self.pos = nn.Embedding(t, d)
        pe = torch.zeros(t, d)
        pos = torch.arange(t).unsqueeze(1)
        div = torch.exp(torch.arange(0, d, 2) * (-math.log(10000.0) / d))
        pe[:, 0::2], pe[:, 1::2] = torch.sin(pos * div), torch.cos(pos * div)
        self.register_buffer("pe", pe)
        self.norm = nn.LayerNorm(d)
        self.head = nn.Linear(d, 3)

    def forward(self, ids):
        t = ids.shape[1]
        h = self.tok(ids) * math.sqrt(self.tok.embedding_dim) + self.pe[:t] + self.pos(torch.arange(t))
        return self.head(self.norm(h))


@case("embedding_positional_encodings")
def _posenc():
    torch.manual_seed(23)
    return _PosEnc().eval(), (torch.tensor([[3, 0, 7, 10, 1], [2, 2, 0, 5, 9]]),)


@case("lstm_initial_state_outputs")
def _lstm_h0():
    class L(nn.Module):
        def __init__(self):
            super().__init__()
            self.lstm = nn.LSTM(3, 4, num_layers=2, batch_first=True)

        def forward(self, x, h0, c0):
            y, (h, c) = self.lstm(x, (h0, c0))
            return y, h, c
    torch.manual_seed(24)
    return L().eval(), (_x(2, 5, 3), _x(2, 2, 4, seed=1), _x(2, 2, 4, seed=2))


@case("gru_initial_state_bidirectional")
def _gru_h0():
    class G(nn.Module):
        def __init__(self):
            super().__init__()
            self.gru = nn.GRU(3, 4, bidirectional=True, bias=False)

        def forward(self, x, h0):
            y, h = self.gru(x, h0)
            return y, h
    torch.manual_seed(25)
    return G().eval(), (_x(5, 2, 3), _x(2, 2, 4, seed=1))


@case("mobilenet_inverted_residual_se")
def _mbv3():
    class Block(nn.Module):
        def __init__(self, c=4, e=8):
            super().__init__()
            self.expand = nn.Sequential(nn.Conv2d(c, e, 1, bias=False), nn.BatchNorm2d(e), nn.Hardswish())
            self.dw = nn.Sequential(nn.Conv2d(e, e, 3, padding=2, dilation=2, groups=e, bias=False),
                                    nn.BatchNorm2d(e), nn.ReLU6())
            self.se = nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Conv2d(e, 2, 1), nn.ReLU(), nn.Conv2d(2, e, 1),
                                    nn.Hardsigmoid())
            self.project = nn.Sequential(nn.Conv2d(e, c, 1, bias=False), nn.BatchNorm2d(c))

        def forward(self, x):
            h = self.dw(self.expand(x))
            return x + self.project(h * self.se(h))
    torch.manual_seed(26)
    return _trained(Block()), (_x(2, 4, 6, 6),)


@case("decoder_upsampling_head")
def _decoder():
    class Up(nn.Module):
        def __init__(self):
            super().__init__()
            self.up = nn.ConvTranspose2d(4, 4, 4, stride=2, padding=1, groups=2)
            self.up1d = nn.ConvTranspose1d(3, 2, 3, stride=3, padding=1, output_padding=1, dilation=2)
            self.conv = nn.Conv2d(4, 8, 3, padding=1)

        def forward(self, x, s):  # x [2, 4, 3, 4], s [2, 3, 5]
            a = F.interpolate(self.up(x), scale_factor=1.5, mode="bilinear", align_corners=False)
            b = F.interpolate(x, size=(5, 6), mode="nearest")
            c = F.pixel_unshuffle(F.pixel_shuffle(self.conv(x), 2), 2)
            d = F.upsample(x, scale_factor=(2, 1), mode="nearest")
            e = F.interpolate(x, size=(5, 7), mode="bicubic", align_corners=False)
            f = F.interpolate(x, scale_factor=2, mode="bicubic", align_corners=True)
            return a, b * 2, c, d, self.up1d(s), F.adaptive_avg_pool2d(a, (2, 5)), e, f
    torch.manual_seed(27)
    return Up().eval(), (_x(2, 4, 3, 4), _x(2, 3, 5, seed=1))


@case("norms_without_affine")
def _norms_plain():
    class Norms(nn.Module):
        def __init__(self):
            super().__init__()
            self.gn = nn.GroupNorm(2, 4, affine=False)
            self.inorm = nn.InstanceNorm1d(4)
            self.inorm_stats = nn.InstanceNorm2d(4, affine=True, track_running_stats=True)
            self.ln = nn.LayerNorm(5, elementwise_affine=False)
            self.ln_nobias = nn.LayerNorm((3, 5), bias=False)
            self.bn1 = nn.BatchNorm1d(4)

        def forward(self, x):  # [2, 4, 3, 5]
            return (self.gn(x), self.inorm(x.flatten(2)), self.inorm_stats(x), self.ln(x), self.ln_nobias(x),
                    self.bn1(x.mean(-1)), F.layer_norm(x, (3, 5), eps=1e-3), F.group_norm(x, 4))
    torch.manual_seed(28)
    return _distinct(Norms()), (_x(2, 4, 3, 5),)


@case("activations_options")
def _acts():
    class Acts(nn.Module):
        def forward(self, x):
            return (F.gelu(x), F.gelu(x, approximate="tanh"), F.silu(x), F.mish(x), F.hardswish(x),
                    F.softplus(x, beta=0.5), F.elu(x, 0.3), F.hardtanh(x, -0.4, 0.8), F.rrelu(x, training=False))
    return Acts().eval(), (_x(3, 8, scale=3.0),)


@case("softplus_beta_threshold")  # apart: the TorchScript exporter drops the threshold (test_sweep_torch)
def _softplus():
    class Soft(nn.Module):
        def forward(self, x):
            return F.softplus(x, beta=0.5, threshold=1.0), F.softplus(x, beta=3.0, threshold=2.0)
    return Soft().eval(), (_x(3, 8, scale=3.0),)


@case("losses_users_differentiate")
def _losses():
    class Losses(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = nn.Linear(4, 5)
            self.register_buffer("cw", torch.tensor([0.5, 1.0, 2.0, 1.5, 0.7]))

        def forward(self, x, y, target):  # x [6, 4]; y [6, 5]; target [6]
            z = self.fc(x)
            logp = F.log_softmax(z, -1)
            return (F.cross_entropy(z, target, weight=self.cw, ignore_index=2, reduction="sum"),
                    F.nll_loss(logp, target, weight=self.cw, ignore_index=4),
                    F.huber_loss(z, y, delta=0.5), F.smooth_l1_loss(z, y, beta=0.7, reduction="sum"),
                    F.kl_div(logp, y.softmax(-1), reduction="batchmean"),
                    F.kl_div(logp, y.log_softmax(-1), reduction="sum", log_target=True),
                    F.binary_cross_entropy_with_logits(z, y.sigmoid(), pos_weight=self.cw),
                    F.l1_loss(z, y), F.mse_loss(z, y, reduction="none"))
    torch.manual_seed(29)
    return Losses().eval(), (_x(6, 4), _x(6, 5, seed=1), torch.tensor([0, 4, 2, 2, 1, 4]))


@case("cross_entropy_soft_targets_smoothing")  # apart: no ONNX exporter keeps these (test_sweep_torch)
def _ce_soft():
    class CE(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = nn.Linear(4, 5)
            self.register_buffer("cw", torch.tensor([0.5, 1.0, 2.0, 1.5, 0.7]))

        def forward(self, x, y, target):
            z = self.fc(x)
            return (F.cross_entropy(z, target, weight=self.cw, label_smoothing=0.2),
                    F.cross_entropy(z, y.softmax(-1), label_smoothing=0.1), F.cross_entropy(z, y.softmax(-1)))
    torch.manual_seed(29)
    return CE().eval(), (_x(6, 4), _x(6, 5, seed=1), torch.tensor([0, 4, 2, 2, 1, 4]))


@case("cross_entropy_spatial")
def _ce_spatial():
    class Seg(nn.Module):
        def __init__(self):
            super().__init__()
            self.head = nn.Conv2d(3, 4, 1)

        def forward(self, x, target):  # x [2, 3, 3, 4]; target [2, 3, 4]
            return F.cross_entropy(self.head(x), target, ignore_index=3)
    torch.manual_seed(30)
    t = torch.randint(0, 4, (2, 3, 4), generator=torch.Generator().manual_seed(1))
    return Seg().eval(), (_x(2, 3, 3, 4), t)


@case("einsum_forms")
def _einsum():
    class Ein(nn.Module):
        def forward(self, a, b):  # a [2, 3, 3]; b [2, 3, 4]
            return (torch.einsum("bii->b", a), torch.einsum("bii->bi", a), torch.einsum("bij,bjk->bik", a, b),
                    torch.einsum("...ij,...jk->...ik", a, b), torch.einsum("i,j->ij", a[0, 0], b[0, 0]),
                    torch.einsum("bij,bij->", b, b), torch.einsum("bji->bij", b), torch.einsum("bij->j", b))
    return Ein().eval(), (_x(2, 3, 3), _x(2, 3, 4, seed=1))


@case("cumulative_ops")
def _cum():
    class Cum(nn.Module):
        def forward(self, x):  # [3, 5]
            return (torch.cumsum(x, -1), torch.cumsum(x.flip(1), 1).flip(1), torch.logcumsumexp(x, 0),
                    torch.cummax(x, 1).values, torch.cumprod(x, 0))
    return Cum().eval(), (_x(3, 5),)


@case("index_ops")
def _index_ops():
    class Idx(nn.Module):
        def __init__(self):
            super().__init__()
            self.register_buffer("rows", torch.tensor([2, 0, 2]))
            self.register_buffer("cols", torch.tensor([1, 3, 0]))

        def forward(self, x, v):  # x [4, 5], v [3]
            a = x.index_put((self.rows, self.cols), v, accumulate=True)
            b = x.index_add(0, self.rows, x[:3] * 2)
            c = torch.take_along_dim(x, self.cols.unsqueeze(0).expand(4, 3), 1)
            d = x.narrow(1, 1, 3)[self.rows[:2]]
            e = x[self.rows, self.cols] * v
            f = x.clone()
            f[1:3, 2] = v[:2]
            return a, b, c, d, e, f
    return Idx().eval(), (_x(4, 5), _x(3, seed=1))


@case("masks_where_topk_sort")
def _masks():
    class M(nn.Module):
        def forward(self, x, m):  # x [3, 6]; m [3, 6]
            y = x.masked_fill(m > 0.5, -1.0) + torch.where(m > 0, x, m)
            top = torch.topk(y, 3, dim=1).values
            low = torch.topk(x, 2, dim=0, largest=False).values
            s, i = torch.sort(x * m, dim=-1, descending=True)
            mx, am = x.max(dim=0)
            return top, low, s, torch.gather(m, 1, i), mx, x.masked_fill(torch.isnan(x), 0.0), torch.clamp(y, max=0.2)
    return M().eval(), (_x(3, 6), _x(3, 6, seed=1))


@case("special_math_distances")
def _special():
    class Special(nn.Module):
        def forward(self, x, y):  # x [2, 4], y [3, 4]
            return (torch.cdist(x, y), torch.cdist(x, y, p=1.0), torch.special.erfc(x), torch.logaddexp(x, x * 2),
                    torch.hypot(x, x + 1), torch.frac(x * 3), torch.special.xlogy(x.abs(), y[:2].abs() + 1),
                    torch.var_mean(x, 1)[0] + torch.var_mean(x, 1)[1], torch.atan2(x, y[:2]), torch.nan_to_num(x),
                    torch.outer(x[0], y[0]), F.pairwise_distance(x, y[:2]))
    return Special().eval(), (_x(2, 4), _x(3, 4, seed=1))


@case("losses_more")
def _losses_more():
    class More(nn.Module):
        def forward(self, x, y):  # x [2, 4], y [3, 4]
            t = torch.tensor([1.0, -1.0])
            return (F.margin_ranking_loss(x[:, 0], y[:2, 0], t), F.triplet_margin_loss(x, y[:2], y[1:]),
                    F.binary_cross_entropy(x.sigmoid(), y[:2].sigmoid()),
                    F.multilabel_soft_margin_loss(x, (y[:2] > 0).float()), F.cosine_embedding_loss(x, y[:2], t),
                    F.hinge_embedding_loss(x, y[:2].sign()), F.multi_margin_loss(x, torch.tensor([1, 3])))
    return More().eval(), (_x(2, 4), _x(3, 4, seed=1))


@case("recurrent_cells_projection")
def _cells():
    class Cells(nn.Module):
        def __init__(self):
            super().__init__()
            self.proj = nn.LSTM(3, 5, num_layers=2, proj_size=2, dropout=0.3)
            self.cell = nn.LSTMCell(3, 4)
            self.gru = nn.GRUCell(4, 3)

        def forward(self, x):  # [T, B, 3]
            h, c, g, outs = None, None, None, []
            for t in range(x.shape[0]):
                h, c = self.cell(x[t]) if h is None else self.cell(x[t], (h, c))
                g = self.gru(h, g)
                outs.append(g)
            return self.proj(x)[0], torch.stack(outs)
    torch.manual_seed(31)
    return Cells().eval(), (_x(3, 2, 3),)


@case("transformer_full_sdpa_gqa")
def _transformer():
    class T(nn.Module):
        def __init__(self):
            super().__init__()
            self.t = nn.Transformer(8, 2, 1, 1, 16, dropout=0.0, batch_first=True)

        def forward(self, src, tgt, q, k, v):
            return self.t(src, tgt), F.scaled_dot_product_attention(q, k, v, enable_gqa=True)
    torch.manual_seed(32)
    return _distinct(T()), (_x(2, 5, 8), _x(2, 3, 8, seed=1), _x(1, 4, 3, 8, seed=2), _x(1, 2, 5, 8, seed=3),
                            _x(1, 2, 5, 8, seed=4))


@case("spatial_transformer_grid_sample")
def _stn():
    class STN(nn.Module):
        def __init__(self):
            super().__init__()
            self.loc = nn.Linear(2 * 4 * 5, 6)

        def forward(self, x, g):  # x [2, 2, 4, 5]; g [2, 3, 3, 2]
            theta = self.loc(x.flatten(1)).view(2, 2, 3) * 0.3 + torch.tensor([[1.0, 0, 0], [0, 1.0, 0]])
            grid = F.affine_grid(theta, [2, 2, 3, 4], align_corners=False)
            return (F.grid_sample(x, grid, align_corners=False), F.grid_sample(x, g.tanh() * 1.2, align_corners=True,
                                                                             padding_mode="border"),
                    F.grid_sample(x, g.tanh(), mode="nearest"))
    torch.manual_seed(33)
    return STN().eval(), (_x(2, 2, 4, 5), _x(2, 3, 3, 2, seed=1))

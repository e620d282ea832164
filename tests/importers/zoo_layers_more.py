"""Round 4 of the sweep's PyTorch models: the torch.nn layers and torch functions rounds 1-3 left out
(encoder / decoder stacks, attention variants, norms over other ranks, resampling modes, transposed
convolutions, fold / unfold, EmbeddingBag, recurrent variants, more losses, special functions,
decompositions). Same contract as zoo.py: `name -> () -> (model in eval mode, inputs)`."""
import torch
from torch import nn
from torch.nn import functional as F

from .zoo import Seq, _trained, _x, case
from .zoo_families import _distinct


@case("transformer_encoder_stack_gelu")
def _enc_stack():
    torch.manual_seed(40)
    layer = nn.TransformerEncoderLayer(8, 2, 16, dropout=0.0, activation="gelu")
    m = nn.TransformerEncoder(layer, 2, norm=nn.LayerNorm(8), enable_nested_tensor=False)
    return _distinct(_trained(m)), (_x(5, 2, 8),)  # sequence first


@case("transformer_decoder_stack_memory_mask")
def _dec_stack():
    class Dec(nn.Module):
        def __init__(self):
            super().__init__()
            layer = nn.TransformerDecoderLayer(8, 2, 12, dropout=0.0, batch_first=True, norm_first=True)
            self.dec = nn.TransformerDecoder(layer, 2)

        def forward(self, tgt, mem):  # tgt [2, 4, 8]; mem [2, 3, 8]
            causal = nn.Transformer.generate_square_subsequent_mask(4)
            pad = torch.tensor([[False, False, True], [False, False, False]])
            return self.dec(tgt, mem, tgt_mask=causal, memory_key_padding_mask=pad, tgt_is_causal=True)
    torch.manual_seed(41)
    return _distinct(_trained(Dec())), (_x(2, 4, 8), _x(2, 3, 8, seed=1))


@case("mha_weights_per_head_seq_first")
def _mha_weights():
    class Attn(nn.Module):
        def __init__(self):
            super().__init__()
            self.mha = nn.MultiheadAttention(8, 4)

        def forward(self, q, kv):  # seq-first: q [3, 2, 8], kv [5, 2, 8]
            y, w = self.mha(q, kv, kv, need_weights=True, average_attn_weights=False)
            y2, w2 = self.mha(q, kv, kv)  # weights averaged over heads
            return y, w, y2 * w2.sum()
    torch.manual_seed(42)
    return Attn().eval(), (_x(3, 2, 8), _x(5, 2, 8, seed=1))


@case("mha_bias_kv_zero_attn_masks")
def _mha_bias_kv():
    class Attn(nn.Module):
        def __init__(self):
            super().__init__()
            self.mha = nn.MultiheadAttention(6, 2, bias=True, add_bias_kv=True, add_zero_attn=True, batch_first=True)

        def forward(self, x):  # [2, 4, 6]
            pad = torch.tensor([[False, False, False, True], [False, True, False, False]])
            mask = torch.triu(torch.ones(4, 4, dtype=torch.bool), 2)
            return self.mha(x, x, x, key_padding_mask=pad, attn_mask=mask, need_weights=False)[0]
    torch.manual_seed(43)
    return Attn().eval(), (_x(2, 4, 6),)


@case("groupnorm_ranks_and_extremes")
def _groupnorm():
    class GN(nn.Module):
        def __init__(self):
            super().__init__()
            self.one, self.each = nn.GroupNorm(1, 6), nn.GroupNorm(6, 6)
            self.plain = nn.GroupNorm(3, 6, affine=False, eps=1e-3)

        def forward(self, x, v):  # x [2, 6, 5]; v [2, 6, 2, 3, 2]
            return self.one(x), self.each(x * 2), self.plain(v), self.one(v)
    torch.manual_seed(44)
    return _trained(GN()), (_x(2, 6, 5), _x(2, 6, 2, 3, 2, seed=1))


@case("instancenorm_1d_3d_running_stats")
def _instancenorm():
    class IN(nn.Module):
        def __init__(self):
            super().__init__()
            self.in1 = nn.InstanceNorm1d(3, affine=True)
            self.in3 = nn.InstanceNorm3d(2)
            self.tracked = nn.InstanceNorm2d(3, affine=True, track_running_stats=True)  # eval: running stats

        def forward(self, x, v, u):  # x [2, 3, 7]; v [2, 2, 3, 3, 4]; u [2, 3, 4, 4]
            return self.in1(x), self.in3(v), self.tracked(u)
    torch.manual_seed(45)
    return _trained(IN()), (_x(2, 3, 7), _x(2, 2, 3, 3, 4, seed=1), _x(2, 3, 4, 4, seed=2))


@case("pixel_shuffle_unshuffle_channel_shuffle")
def _shuffles():
    torch.manual_seed(46)
    return Seq(nn.Conv2d(2, 18, 1), nn.PixelShuffle(3), nn.PixelUnshuffle(2), nn.ChannelShuffle(4),
               nn.Conv2d(8, 3, 1)).eval(), (_x(2, 2, 2, 2),)


@case("upsample_modes_more")
def _upsample_more():
    class Up(nn.Module):
        def forward(self, x, v, s):  # x [1, 2, 3, 4]; v [1, 2, 2, 3, 2]; s [2, 3, 5]
            return (F.interpolate(x, scale_factor=2, mode="nearest-exact"),
                    F.interpolate(x, size=(5, 7), mode="bicubic", align_corners=True),
                    F.interpolate(x, scale_factor=1.5, mode="bilinear"),
                    F.interpolate(x, size=(2, 3), mode="bilinear", align_corners=False),
                    F.interpolate(v, scale_factor=2, mode="trilinear"),
                    F.interpolate(v, size=(3, 4, 3), mode="nearest"),
                    F.interpolate(s, size=8, mode="linear", align_corners=True),
                    nn.Upsample(scale_factor=3, mode="nearest")(s))
    return Up().eval(), (_x(1, 2, 3, 4), _x(1, 2, 2, 3, 2, seed=1), _x(2, 3, 5, seed=2))


@case("conv_transpose_1d_3d")
def _convt_more():
    class CT(nn.Module):
        def __init__(self):
            super().__init__()
            self.t1 = nn.ConvTranspose1d(4, 6, 3, stride=3, padding=1, output_padding=2, groups=2, dilation=2)
            self.t3 = nn.ConvTranspose3d(2, 3, (2, 3, 2), stride=(1, 2, 2), padding=(0, 1, 0), bias=False)

        def forward(self, x, v):  # x [2, 4, 5]; v [1, 2, 3, 3, 2]
            return self.t1(x), self.t3(v)
    torch.manual_seed(47)
    return CT().eval(), (_x(2, 4, 5), _x(1, 2, 3, 3, 2, seed=1))


@case("fold_unfold")
def _fold():
    class FU(nn.Module):
        def __init__(self):
            super().__init__()
            self.unfold = nn.Unfold((2, 3), dilation=(1, 2), padding=1, stride=(2, 1))
            self.fold = nn.Fold((4, 5), (2, 2), stride=1)
            self.fc = nn.Linear(8, 8)

        def forward(self, x):  # [2, 2, 4, 5]
            cols = self.unfold(x)  # [2, 12, L]
            return cols, self.fold(self.fc(F.unfold(x, 2).transpose(1, 2)).transpose(1, 2) * 1.5 / 4)
    torch.manual_seed(48)
    return FU().eval(), (_x(2, 2, 4, 5),)


@case("embedding_bag_modes")
def _embedding_bag():
    class Bags(nn.Module):
        def __init__(self):
            super().__init__()
            self.sum = nn.EmbeddingBag(10, 3, mode="sum")
            self.mean = nn.EmbeddingBag(10, 3, mode="mean", padding_idx=0)
            self.max = nn.EmbeddingBag(10, 3, mode="max")

        def forward(self, idx, offsets, psw, idx2d):  # idx [8]; offsets [3]; psw [8]; idx2d [2, 4]
            return (self.sum(idx, offsets, per_sample_weights=psw), self.mean(idx, offsets), self.max(idx, offsets),
                    self.mean(idx2d), self.sum(idx2d) * 2,
                    F.embedding_bag(idx, self.sum.weight, torch.cat([offsets, torch.tensor([8])]), mode="sum",
                                    include_last_offset=True))
    torch.manual_seed(49)
    idx = torch.tensor([1, 2, 0, 4, 4, 3, 9, 0])
    return Bags().eval(), (idx, torch.tensor([0, 3, 5]), _x(8, seed=1), torch.tensor([[0, 2, 2, 7], [5, 0, 1, 8]]))


@case("rnn_tanh_relu_bidirectional_batch_first")
def _rnn_plain():
    class R(nn.Module):
        def __init__(self):
            super().__init__()
            self.a = nn.RNN(3, 4, num_layers=2, nonlinearity="relu", batch_first=True, bidirectional=True)
            self.b = nn.RNN(8, 2, bias=False)

        def forward(self, x, h0):  # x [2, 5, 3]; h0 [4, 2, 4]
            y, h = self.a(x, h0)
            z, hz = self.b(y.transpose(0, 1))
            return y, h, z, hz
    torch.manual_seed(50)
    return R().eval(), (_x(2, 5, 3), _x(4, 2, 4, seed=1, scale=0.5))


@case("lstm_gru_bidirectional_2layer_batch_first")
def _lstm_bi():
    class R(nn.Module):
        def __init__(self):
            super().__init__()
            self.lstm = nn.LSTM(3, 4, num_layers=2, batch_first=True, bidirectional=True)
            self.gru = nn.GRU(8, 3, num_layers=2, batch_first=True, bidirectional=True)

        def forward(self, x):  # [2, 5, 3]
            y, (h, cell) = self.lstm(x)
            z, hz = self.gru(y)
            return z, h, cell, hz
    torch.manual_seed(51)
    return R().eval(), (_x(2, 5, 3),)


@case("losses_round4")  # not multilabel_margin_loss: torch's own decomposition of it differs from eager torch
def _losses4():
    class L(nn.Module):
        def __init__(self):
            super().__init__()
            self.register_buffer("bw", torch.rand(4, 5, generator=torch.Generator().manual_seed(4)) + 0.5)

        def forward(self, x, y, var):  # x, y [4, 5]; var [4, 5]
            t = (y > 0).float() * 2 - 1
            return (F.poisson_nll_loss(x, y.abs(), log_input=True), F.poisson_nll_loss(x.abs() + 0.5, y.abs(),
                                                                                       log_input=False, full=True),
                    F.soft_margin_loss(x, t),
                    F.l1_loss(x, y, reduction="sum"), F.huber_loss(x, y, reduction="none", delta=2.0),
                    F.triplet_margin_with_distance_loss(x, y, y.flip(0), margin=0.5),
                    F.binary_cross_entropy(x.sigmoid(), (y > 0).float(), weight=self.bw), F.softplus(var).mean())
    return L().eval(), (_x(4, 5), _x(4, 5, seed=1), _x(4, 5, seed=2))


@case("nll_ctc_free_losses_3d")
def _losses_3d():
    class L(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv = nn.Conv1d(3, 5, 1)

        def forward(self, x, target):  # x [2, 3, 6]; target [2, 6]
            z = self.conv(x)
            return (F.cross_entropy(z, target, reduction="none"), F.nll_loss(F.log_softmax(z, 1), target,
                                                                            reduction="sum"),
                    F.cross_entropy(z.transpose(1, 2).reshape(-1, 5), target.reshape(-1), label_smoothing=0.0))
    torch.manual_seed(52)
    return L().eval(), (_x(2, 3, 6), torch.randint(0, 5, (2, 6), generator=torch.Generator().manual_seed(3)))


@case("special_functions")
def _special_fns():
    class S(nn.Module):
        def forward(self, x, p):  # x [3, 4] > 0.2; p [3, 4] in (0.05, 0.95)
            return (torch.lgamma(x), torch.digamma(x), torch.erfinv(p * 2 - 1), torch.special.polygamma(1, x),
                    torch.special.ndtri(p), torch.special.log_ndtr(x - 1), torch.special.ndtr(x - 1),
                    torch.logit(p), torch.special.entr(p), torch.sinc(x - 1), torch.special.xlog1py(x, p),
                    torch.special.gammaln(x + 1), torch.mvlgamma(x + 1, 2), torch.special.i0(x))
    g = torch.Generator().manual_seed(7)
    return S().eval(), (torch.rand(3, 4, generator=g) * 3 + 0.2, torch.rand(3, 4, generator=g) * 0.9 + 0.05)


@case("linalg_qr_eigh")
def _qr_eigh():
    class D(nn.Module):
        def forward(self, a, s):  # a [2, 4, 3]; s [2, 3, 3]
            q, r = torch.linalg.qr(a)
            sym = s + s.transpose(-1, -2)
            w, v = torch.linalg.eigh(sym)
            v = v * torch.sign(v[..., :1, :])  # eigenvectors fixed up to sign: pin it
            return q * torch.sign(r.diagonal(dim1=-2, dim2=-1)).unsqueeze(-2), r.abs(), w, v, torch.linalg.eigvalsh(sym)
    return D().eval(), (_x(2, 4, 3), _x(2, 3, 3, seed=1))


@case("linalg_solve_inv_det_lu")
def _linalg():
    class D(nn.Module):
        def forward(self, a, b):  # a [2, 3, 3] (well conditioned); b [2, 3, 2]
            m = a + 3 * torch.eye(3)
            lu, piv = torch.linalg.lu_factor(m)
            return (torch.linalg.solve(m, b), torch.linalg.inv(m), torch.linalg.det(m), torch.linalg.slogdet(m)[1],
                    torch.linalg.lu_solve(lu, piv, b), torch.cholesky_solve(b, torch.linalg.cholesky(m @ m.mT)),
                    torch.linalg.matrix_norm(m), torch.linalg.vector_norm(b, 3, dim=1))
    return D().eval(), (_x(2, 3, 3, scale=0.5), _x(2, 3, 2, seed=1))


@case("linalg_lu_rectangular_batched")
def _lu_rect():
    class D(nn.Module):
        def forward(self, a, t):  # a [2, 4, 3]; t [3, 5]
            p, lo, up = torch.linalg.lu(a)
            p2, l2, u2 = torch.linalg.lu(t)
            packed, piv = torch.linalg.lu_factor(a)
            return lo, up, l2, u2, p.sum() + p2.sum(), packed, torch.linalg.lu_factor(t)[0]
    return D().eval(), (_x(2, 4, 3), _x(3, 5, seed=1))


@case("conv_padding_modes")
def _conv_pad_modes():
    class C(nn.Module):
        def __init__(self):
            super().__init__()
            self.refl = nn.Conv2d(2, 3, 3, padding=1, padding_mode="reflect")
            self.circ = nn.Conv2d(2, 3, (3, 2), padding=(1, 2), padding_mode="circular")
            self.rep = nn.Conv1d(2, 2, 3, padding=2, padding_mode="replicate")

        def forward(self, x):  # [2, 2, 4, 5]
            return self.refl(x), self.circ(x), self.rep(x[:, :, 0])
    torch.manual_seed(53)
    return C().eval(), (_x(2, 2, 4, 5),)


@case("pools_more")
def _pools_more():
    class P(nn.Module):
        def forward(self, x, v):  # x [2, 3, 6, 6]; v [1, 2, 4, 4, 4]
            return (F.lp_pool2d(x.abs() + 0.1, 2.0, 2), F.lp_pool1d(x[:, :, 0] + 3, 3.0, 3, stride=2),
                    F.avg_pool3d(v, 2, stride=1, padding=1), F.max_pool3d(v, (2, 2, 3), stride=2, padding=(1, 0, 1)),
                    F.adaptive_max_pool3d(v, 2), nn.Softmax2d()(x), F.local_response_norm(x, 2, alpha=0.1),
                    F.avg_pool2d(x, 3, stride=2, ceil_mode=True, count_include_pad=True))
    return P().eval(), (_x(2, 3, 6, 6), _x(1, 2, 4, 4, 4, seed=1))


@case("max_unpool")
def _unpool():
    class U(nn.Module):
        def forward(self, x):  # [1, 2, 4, 4]
            y, idx = F.max_pool2d(x, 2, return_indices=True)
            return F.max_unpool2d(y * 2, idx, 2)
    return U().eval(), (_x(1, 2, 4, 4),)


@case("math_round4")
def _math4():
    class M(nn.Module):
        def forward(self, x, y):  # x, y [3, 4]
            return (torch.addcmul(x, x, y, value=0.5), torch.addcdiv(x, x, y.abs() + 1, value=2.0),
                    torch.lerp(x, y, 0.3), torch.lerp(x, y, y.sigmoid()), torch.linalg.cross(x[:, :3], y[:, :3]),
                    torch.kron(x[:2, :2], y[:2, :2]), torch.trace(x[:, :3] @ y[:, :3].T), torch.std(x, 1),
                    torch.std(x, 0, unbiased=False), torch.renorm(x, 2, 0, 1.5), torch.clamp_min(x, -0.2),
                    torch.copysign(x, y), torch.rad2deg(x), torch.logaddexp2(x, y), torch.float_power(x.abs(), 2.5),
                    torch.cosh(x).log(), torch.asinh(x) + torch.atanh(y.tanh() * 0.9), torch.acosh(x.abs() + 1.1))
    return M().eval(), (_x(3, 4), _x(3, 4, seed=1))


@case("indexing_round4")
def _indexing4():
    class I(nn.Module):
        def __init__(self):
            super().__init__()
            self.register_buffer("idx", torch.tensor([[0, 2, 1, 0], [3, 3, 0, 1], [1, 0, 2, 2]]))

        def forward(self, x, u):  # x [3, 4]; u [3, 4]
            return (x.scatter_reduce(1, self.idx, u, "sum"), x.scatter_reduce(1, self.idx, u, "amax"),
                    x.scatter_reduce(1, self.idx, u, "mean", include_self=False), x.index_fill(1, self.idx[0, :2], -1.0),
                    torch.take(x, self.idx[:2]), torch.rot90(x, 1, (0, 1)), torch.movedim(x.unsqueeze(0), 0, 2),
                    torch.stack(x.chunk(2, 1)), torch.stack(x.unbind(0), 1), torch.tril(x, -1) + torch.triu(x, 2),
                    torch.diag_embed(x), torch.diagonal(x.unsqueeze(-1) * x.unsqueeze(-2), 1, -2, -1))
    return I().eval(), (_x(3, 4), _x(3, 4, seed=1))


@case("reductions_round4")
def _reductions4():
    class R(nn.Module):
        def forward(self, x):  # [3, 5]
            return (torch.median(x, 1).values, torch.kthvalue(x, 2, 0).values, torch.quantile(x, 0.3, dim=1),
                    torch.nanmean(x, 0), torch.nansum(x * 2), torch.std_mean(x, 1)[0], torch.aminmax(x, dim=1).max,
                    torch.logsumexp(x, (0, 1)), torch.norm(x), torch.norm(x, p=1, dim=0), torch.mean(x, (0, 1), True),
                    x.all(1).float() + x.sum(), torch.count_nonzero(x > 0, 1) * x.mean(1))
    return R().eval(), (_x(3, 5),)


@case("unet_block")
def _unet():
    class U(nn.Module):
        def __init__(self):
            super().__init__()
            self.down = nn.Sequential(nn.Conv2d(3, 6, 3, padding=1), nn.BatchNorm2d(6), nn.ReLU(), nn.MaxPool2d(2))
            self.mid = nn.Sequential(nn.Conv2d(6, 6, 3, padding=1), nn.InstanceNorm2d(6, affine=True), nn.LeakyReLU())
            self.up = nn.ConvTranspose2d(6, 3, 2, stride=2)
            self.head = nn.Sequential(nn.Conv2d(6, 4, 3, padding=1), nn.GroupNorm(2, 4), nn.SiLU(),
                                      nn.Upsample(scale_factor=2, mode="bilinear", align_corners=False),
                                      nn.Conv2d(4, 2, 1))

        def forward(self, x):  # [2, 3, 6, 6]
            return self.head(torch.cat([self.up(self.mid(self.down(x))), x], 1))
    torch.manual_seed(54)
    return _trained(U()), (_x(2, 3, 6, 6),)


@case("vit_patch_embed_cls_token")
def _vit():
    class ViT(nn.Module):
        def __init__(self):
            super().__init__()
            self.patch = nn.Conv2d(3, 8, 2, stride=2)
            self.cls = nn.Parameter(torch.randn(1, 1, 8) * 0.1)
            self.pos = nn.Parameter(torch.randn(1, 5, 8) * 0.1)
            self.block = nn.TransformerEncoderLayer(8, 2, 16, dropout=0.0, activation="gelu", batch_first=True,
                                                    norm_first=True)
            self.head = nn.Linear(8, 3)

        def forward(self, img):  # [2, 3, 4, 4] -> 4 patches
            t = self.patch(img).flatten(2).transpose(1, 2)
            t = torch.cat([self.cls.expand(t.shape[0], -1, -1), t], 1) + self.pos
            return self.head(self.block(t)[:, 0])
    torch.manual_seed(55)
    return _distinct(_trained(ViT())), (_x(2, 3, 4, 4),)


@case("conformer_conv_module")
def _conformer():
    class ConvModule(nn.Module):
        def __init__(self):
            super().__init__()
            self.ln = nn.LayerNorm(6)
            self.pw1 = nn.Conv1d(6, 12, 1)
            self.dw = nn.Conv1d(6, 6, 5, padding=2, groups=6)
            self.bn = nn.BatchNorm1d(6)
            self.pw2 = nn.Conv1d(6, 6, 1)

        def forward(self, x):  # [2, 7, 6]
            y = self.ln(x).transpose(1, 2)
            y = F.silu(self.bn(self.dw(F.glu(self.pw1(y), dim=1))))
            return x + self.pw2(y).transpose(1, 2)
    torch.manual_seed(56)
    return _trained(ConvModule()), (_x(2, 7, 6),)


@case("weight_norm_parametrization")
def _weight_norm():
    from torch.nn.utils.parametrizations import weight_norm

    torch.manual_seed(57)
    return Seq(weight_norm(nn.Linear(4, 5)), nn.Tanh(), weight_norm(nn.Linear(5, 2), dim=1)).eval(), (_x(3, 4),)


@case("gated_mlp_swiglu_rmsnorm")
def _swiglu():
    class Block(nn.Module):
        def __init__(self):
            super().__init__()
            self.norm = nn.RMSNorm(6, eps=1e-5)
            self.gate, self.up, self.down = nn.Linear(6, 8, bias=False), nn.Linear(6, 8, bias=False), nn.Linear(8, 6)

        def forward(self, x):  # [2, 3, 6]
            h = self.norm(x)
            return x + self.down(F.silu(self.gate(h)) * self.up(h))
    torch.manual_seed(58)
    return _trained(Block()), (_x(2, 3, 6),)


@case("rotary_embedding_attention")
def _rope():
    class Rope(nn.Module):
        def __init__(self):
            super().__init__()
            self.qkv = nn.Linear(8, 24)
            inv = 1.0 / (10000 ** (torch.arange(0, 4, 2).float() / 4))
            ang = torch.outer(torch.arange(5).float(), inv)
            self.register_buffer("cos", ang.cos().repeat(1, 2))
            self.register_buffer("sin", ang.sin().repeat(1, 2))

        def rot(self, t):
            a, b = t.chunk(2, -1)
            return t * self.cos + torch.cat([-b, a], -1) * self.sin

        def forward(self, x):  # [2, 5, 8] -> 2 heads of 4
            q, k, v = self.qkv(x).view(2, 5, 3, 2, 4).permute(2, 0, 3, 1, 4)
            return F.scaled_dot_product_attention(self.rot(q), self.rot(k), v, is_causal=True).transpose(1, 2).flatten(2)
    torch.manual_seed(59)
    return Rope().eval(), (_x(2, 5, 8),)

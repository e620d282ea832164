"""The import-fidelity sweep's PyTorch models: one small model per layer family users bring.

Each case is `name -> () -> (model in eval mode, example inputs)`; float inputs are differentiated,
integer ones (indices, targets) are data. Shapes are small so each case runs in about a second."""
import torch
from torch import nn
from torch.nn import functional as F

CASES: dict = {}


def case(name):
    def deco(fn):
        CASES[name] = fn
        return fn
    return deco


def _x(*shape, seed=0, scale=1.0):
    return torch.randn(*shape, generator=torch.Generator().manual_seed(seed)) * scale


def _trained(m, seed=0):
    """Non-trivial norm weights and running statistics (at init several layers are the identity)."""
    g = torch.Generator().manual_seed(seed + 100)
    with torch.no_grad():
        for name, b in m.named_buffers():
            if name.endswith("running_mean"):
                b.copy_(torch.rand(b.shape, generator=g) - 0.5)
            elif name.endswith("running_var"):
                b.copy_(torch.rand(b.shape, generator=g) + 0.5)
        for p in m.parameters():  # norm weights unlike each other (exporters share equal initializers)
            if p.ndim == 1:
                p.add_(0.2 * torch.randn(p.shape, generator=g))
    return m.eval()


class Seq(nn.Module):
    def __init__(self, *layers):
        super().__init__()
        self.body = nn.Sequential(*layers)

    def forward(self, x):
        return self.body(x)


_ACTS = {"gelu": nn.GELU(), "gelu_tanh": nn.GELU(approximate="tanh"), "silu": nn.SiLU(), "mish": nn.Mish(),
         "hardswish": nn.Hardswish(), "hardsigmoid": nn.Hardsigmoid(), "elu": nn.ELU(0.7), "selu": nn.SELU(),
         "celu": nn.CELU(1.3), "leaky_relu": nn.LeakyReLU(0.1), "softplus": nn.Softplus(),
         "softplus_beta": nn.Softplus(beta=2.0, threshold=5.0), "relu6": nn.ReLU6(), "sigmoid": nn.Sigmoid(),
         "tanh": nn.Tanh(), "softsign": nn.Softsign(), "logsigmoid": nn.LogSigmoid(), "prelu": nn.PReLU(4)}


def _mlp(act):
    def build():
        torch.manual_seed(1)
        return Seq(nn.Linear(6, 4), act, nn.Linear(4, 3)).eval(), (_x(5, 6, scale=2.0),)
    return build


for _k, _a in _ACTS.items():
    case(f"mlp_{_k}")(_mlp(_a))


@case("conv1d_stride_pad_dilation")
def _conv1d():
    torch.manual_seed(2)
    return Seq(nn.Conv1d(3, 4, 3, stride=2, padding=2, dilation=2), nn.ReLU(),
               nn.Conv1d(4, 4, 3, padding=1, groups=2)).eval(), (_x(2, 3, 11),)


@case("conv2d_groups_depthwise")
def _conv2d():
    torch.manual_seed(3)
    return Seq(nn.Conv2d(4, 6, (3, 2), stride=(2, 1), padding=(1, 0), dilation=(1, 2), groups=2), nn.Tanh(),
               nn.Conv2d(6, 6, 3, padding=1, groups=6), nn.Conv2d(6, 2, 1, bias=False)).eval(), (_x(2, 4, 7, 8),)


@case("conv2d_padding_same")
def _conv_same():
    torch.manual_seed(4)
    return Seq(nn.Conv2d(2, 3, 4, padding="same"), nn.Conv2d(3, 2, 3, padding="valid")).eval(), (_x(1, 2, 6, 5),)


@case("conv_transpose2d")
def _convt():
    torch.manual_seed(5)
    return Seq(nn.ConvTranspose2d(4, 2, 3, stride=2, padding=1, output_padding=1),
               nn.ConvTranspose2d(2, 4, (2, 3), dilation=(1, 2), groups=2)).eval(), (_x(2, 4, 3, 4),)


@case("pools")
def _pools():
    class Pools(nn.Module):
        def forward(self, x):
            a = F.max_pool2d(x, 3, stride=2, padding=1)
            b = F.avg_pool2d(x, 2, stride=2, padding=1, count_include_pad=False)
            c = F.adaptive_avg_pool2d(x, (2, 3))
            d = F.adaptive_avg_pool2d(x, 1)
            return torch.cat([a.flatten(1), b.flatten(1), c.flatten(1), d.flatten(1)], 1)
    return Pools().eval(), (_x(2, 3, 6, 6),)


@case("pools_1d_ceil")
def _pools1d():
    class Pools(nn.Module):
        def forward(self, x):
            return torch.cat([F.max_pool1d(x, 3, stride=2, ceil_mode=True), F.avg_pool1d(x, 3, stride=2)], -1)
    return Pools().eval(), (_x(2, 3, 9),)


@case("batchnorm_layernorm_groupnorm_dropout")
def _norms():
    torch.manual_seed(6)
    m = Seq(nn.Conv2d(3, 4, 3), nn.BatchNorm2d(4), nn.Dropout(0.3), nn.GroupNorm(2, 4), nn.Flatten(),
            nn.Linear(36, 8), nn.BatchNorm1d(8), nn.LayerNorm(8), nn.Dropout(0.5))
    return _trained(m), (_x(3, 3, 5, 5),)


@case("embedding")
def _embedding():
    class Emb(nn.Module):
        def __init__(self):
            super().__init__()
            self.emb = nn.Embedding(10, 4)
            self.fc = nn.Linear(4, 3)

        def forward(self, idx, x):
            return self.fc(self.emb(idx) * x)
    torch.manual_seed(7)
    return Emb().eval(), (torch.tensor([[1, 3, 3], [9, 0, 2]]), _x(2, 3, 4))


def _rnn(kind, layers, batch_first):
    def build():
        torch.manual_seed(8)
        cls = nn.LSTM if kind == "lstm" else nn.GRU
        rnn = cls(3, 4, num_layers=layers, batch_first=batch_first)

        class RNN(nn.Module):
            def __init__(self):
                super().__init__()
                self.rnn = rnn

            def forward(self, x):
                return self.rnn(x)[0]
        return RNN().eval(), (_x(2, 5, 3) if batch_first else _x(5, 2, 3),)
    return build


for _kind in ("lstm", "gru"):
    case(f"{_kind}_1layer")(_rnn(_kind, 1, False))
    case(f"{_kind}_2layer_batch_first")(_rnn(_kind, 2, True))


@case("multihead_attention")
def _mha():
    class Attn(nn.Module):
        def __init__(self):
            super().__init__()
            self.mha = nn.MultiheadAttention(8, 2, batch_first=True)

        def forward(self, x):
            return self.mha(x, x, x, need_weights=False)[0]
    torch.manual_seed(9)
    return Attn().eval(), (_x(2, 4, 8),)


@case("transformer_encoder_layer")
def _tel():
    torch.manual_seed(10)
    m = nn.TransformerEncoderLayer(8, 2, 16, dropout=0.1, batch_first=True, norm_first=True)
    return _trained(m), (_x(2, 4, 8),)


@case("resnet_basic_block")
def _resblock():
    class Basic(nn.Module):
        def __init__(self, cin=3, cout=4):
            super().__init__()
            self.conv1 = nn.Conv2d(cin, cout, 3, stride=2, padding=1, bias=False)
            self.bn1 = nn.BatchNorm2d(cout)
            self.conv2 = nn.Conv2d(cout, cout, 3, padding=1, bias=False)
            self.bn2 = nn.BatchNorm2d(cout)
            self.down = nn.Sequential(nn.Conv2d(cin, cout, 1, stride=2, bias=False), nn.BatchNorm2d(cout))

        def forward(self, x):
            y = F.relu(self.bn1(self.conv1(x)))
            return F.relu(self.bn2(self.conv2(y)) + self.down(x))
    torch.manual_seed(11)
    return _trained(Basic()), (_x(2, 3, 6, 6),)


@case("upsample_nearest_bilinear")
def _upsample():
    class Up(nn.Module):
        def forward(self, x):
            a = F.interpolate(x, scale_factor=2, mode="nearest")
            b = F.interpolate(x, scale_factor=2, mode="bilinear", align_corners=False)
            c = F.interpolate(x, size=(5, 7), mode="bilinear", align_corners=True)
            return a.sum(1).flatten(1), b.flatten(1), c.flatten(1)
    return Up().eval(), (_x(2, 2, 3, 4),)


@case("shapes")
def _shapes():
    class Shapes(nn.Module):
        def forward(self, x):  # [2, 6, 4]
            a, b = x.chunk(2, dim=1)
            c, d, e = torch.split(x, [1, 2, 1], dim=-1)
            y = torch.stack([a, b * 2], dim=0).permute(1, 3, 0, 2).reshape(2, -1)
            z = torch.cat([c, e.flatten(1).unsqueeze(-1).expand(2, 6, 3)[..., :1], d], -1).transpose(0, 1)
            return y, z.squeeze(-1) if z.shape[-1] == 1 else z
    return Shapes().eval(), (_x(2, 6, 4),)


@case("indexing_gather")
def _indexing():
    class Index(nn.Module):
        def __init__(self):
            super().__init__()
            self.register_buffer("idx", torch.tensor([[2, 0, 1], [1, 1, 3]]))

        def forward(self, x):  # [2, 4, 5]
            a = torch.gather(x, 1, self.idx.unsqueeze(-1).expand(2, 3, 5))
            b = x[:, torch.tensor([3, 0]), 1:4]
            c = x[1, :, ::2] + x[..., -1:]
            d = torch.index_select(x, 2, torch.tensor([4, 0, 0]))
            return a, b, c, d, x[:, 2]
    return Index().eval(), (_x(2, 4, 5),)


@case("cumsum_softmax_logsoftmax")
def _soft():
    class Soft(nn.Module):
        def forward(self, x):
            return torch.cumsum(x, 1) * torch.softmax(x, -1) + F.log_softmax(x, 1) + torch.cumsum(x, -1).flip(0)
    return Soft().eval(), (_x(3, 5),)


class _Loss(nn.Module):
    def __init__(self, smoothing=0.0):
        super().__init__()
        self.fc = nn.Linear(4, 5)
        self.smoothing = smoothing
        self.register_buffer("cw", torch.tensor([0.5, 1.0, 2.0, 1.5, 0.7]))

    def forward(self, x, target):
        logits = self.fc(x)
        if self.smoothing:
            return F.cross_entropy(logits, target, label_smoothing=self.smoothing)
        return (F.cross_entropy(logits, target) + F.cross_entropy(logits, target, weight=self.cw, ignore_index=2)
                + F.nll_loss(F.log_softmax(logits, -1), target, reduction="sum")
                + F.mse_loss(logits, x @ x.T[:, :5]))


@case("cross_entropy_in_model")
def _ce():
    torch.manual_seed(12)
    return _Loss().eval(), (_x(5, 4), torch.tensor([0, 4, 2, 2, 1]))


@case("cross_entropy_label_smoothing")
def _ce_smooth():
    torch.manual_seed(12)
    return _Loss(0.1).eval(), (_x(5, 4), torch.tensor([0, 4, 2, 2, 1]))


@case("where_masked_fill")
def _where():
    class Masked(nn.Module):
        def forward(self, x):
            mask = torch.triu(torch.ones(4, 4, dtype=torch.bool), diagonal=1)
            s = x.masked_fill(mask, float("-inf")).softmax(-1)
            return torch.where(x > 0, s, x * 0.5) + x.masked_fill(x < -0.5, 0.0)
    return Masked().eval(), (_x(3, 4, 4),)


@case("einsum_matmul_broadcast")
def _einsum():
    class Ein(nn.Module):
        def __init__(self):
            super().__init__()
            self.w = nn.Parameter(torch.randn(4, 3))
            self.b = nn.Parameter(torch.randn(5, 3, 2))

        def forward(self, x):  # [2, 5, 4]
            y = torch.einsum("bti,io->bto", x, self.w)
            z = torch.einsum("bto,tok->bk", y, self.b)
            return torch.matmul(y.unsqueeze(1), self.b), z, x @ self.w, torch.matmul(x[0, 0], self.w), torch.matmul(x, x[0, 0])
    torch.manual_seed(13)
    return Ein().eval(), (_x(2, 5, 4),)


@case("misc_math")
def _misc():
    class Misc(nn.Module):
        def forward(self, x):
            return (x.pow(2).mean(-1, keepdim=True).rsqrt() * x, x.var(0), x.std(-1), x.norm(dim=-1),
                    torch.clamp(x, min=-0.5), x.amax(1), torch.max(x, 1).values, x.abs().sqrt(), x.exp().log1p())
    return Misc().eval(), (_x(3, 4) + 0.05,)


@case("bidirectional_lstm_gru_rnn")
def _birnn():
    class Bi(nn.Module):
        def __init__(self):
            super().__init__()
            self.lstm = nn.LSTM(3, 4, batch_first=True, bidirectional=True)
            self.gru = nn.GRU(8, 3, bidirectional=True)
            self.rnn = nn.RNN(6, 2, nonlinearity="tanh")

        def forward(self, x):
            y = self.lstm(x)[0]
            y = self.gru(y.transpose(0, 1))[0]
            return self.rnn(y)[0]
    torch.manual_seed(14)
    return Bi().eval(), (_x(2, 4, 3),)


@case("activations_more")
def _more_acts():
    class Acts(nn.Module):
        def forward(self, x):
            return (F.glu(x, -1), F.softshrink(x, 0.3), F.hardshrink(x, 0.3), F.tanhshrink(x), F.softmin(x, 1),
                    F.threshold(x, 0.1, -1.0), F.normalize(x, dim=-1), F.cosine_similarity(x, x.flip(0), dim=-1),
                    torch.logsumexp(x, -1), (F.relu(x) + 1).sqrt(), torch.sigmoid(x) * x.pow(3))
    return Acts().eval(), (_x(3, 4),)


@case("layers_more")
def _layers_more():
    class More(nn.Module):
        def __init__(self):
            super().__init__()
            self.inorm = nn.InstanceNorm2d(4, affine=True)
            self.conv3 = nn.Conv3d(1, 2, (2, 3, 3), padding=(0, 1, 1))
            self.bil = nn.Bilinear(4, 4, 3)

        def forward(self, x):  # [2, 4, 6, 6]
            a = self.inorm(x)
            a = F.pad(a, (1, 1, 2, 0), mode="reflect") + 0
            b = F.pad(x, (1, 2, 1, 0), mode="replicate")
            c = F.pixel_shuffle(x, 2)
            d = F.adaptive_max_pool2d(x, 3)
            e = F.max_pool2d(x, 2, dilation=2)
            f = self.conv3(x[:, :1].unsqueeze(1).expand(2, 1, 3, 6, 6))
            g = self.bil(x.mean((2, 3)), x.amax((2, 3)))
            return a.sum(1), b.mean(1), c.sum(1), d, e, f, g
    torch.manual_seed(15)
    return _trained(More()), (_x(2, 4, 6, 6),)


@case("tensor_ops_more")
def _tensor_more():
    class Ops(nn.Module):
        def forward(self, x):  # [2, 3, 4]
            return (x.repeat(1, 2, 1), x.tile(2), x.unflatten(2, (2, 2)), torch.tril(x[0]),
                    torch.baddbmm(x[:, :, :3], x, x.transpose(1, 2)[:, :, :3]),
                    x.expand_as(torch.empty(3, 2, 3, 4)), torch.diff(x, dim=-1), x.cumprod(-1),
                    torch.sort(x, -1).values, x.min(), x.prod(1), torch.stack([x, x * 2], -1).sum(-1),
                    x.new_zeros(2) + x[0, 0, :2], torch.square(x) - torch.exp2(x))
    return Ops().eval(), (_x(2, 3, 4),)


@case("sdpa_causal")
def _sdpa():
    class Attn(nn.Module):
        def forward(self, q, k, v):
            return F.scaled_dot_product_attention(q, k, v, is_causal=True) + \
                F.scaled_dot_product_attention(q, k, v, attn_mask=torch.ones(4, 4, dtype=torch.bool).tril())
    return Attn().eval(), (_x(2, 2, 4, 8), _x(2, 2, 4, 8, seed=1), _x(2, 2, 4, 8, seed=2))


@case("float64_model")
def _f64():
    torch.manual_seed(16)
    return Seq(nn.Linear(4, 5), nn.Tanh(), nn.Linear(5, 2)).double().eval(), (_x(3, 4).double(),)


@case("scatter_one_hot")
def _scatter_case():
    class Scatter(nn.Module):
        def __init__(self):
            super().__init__()
            self.register_buffer("idx", torch.tensor([[2, 0, 1], [1, 3, 3]]))

        def forward(self, x, src, labels):  # x [2, 4], src [2, 3], labels [3]
            a = x.scatter(1, self.idx[:, :2], src[:, :2])
            b = x.scatter_add(1, self.idx, src * 2)
            c = x.scatter(1, self.idx[:, :1], 0.5)
            onehot = F.one_hot(labels, 4).to(x.dtype)
            return a, b, c, onehot @ x.T
    return Scatter().eval(), (_x(2, 4), _x(2, 3, seed=1), torch.tensor([3, 0, 2]))


@case("floor_round_remainder_roll")
def _rounding():
    class Rounding(nn.Module):
        def __init__(self):
            super().__init__()
            self.lin = nn.Linear(4, 4)

        def forward(self, x, y):  # x [3, 4]; y [3, 4], |y| >= 0.5
            h = self.lin(x) * 3
            return (torch.floor(h) * h, torch.ceil(h) + x, torch.round(h) * x,
                    torch.remainder(h, y), torch.fmod(h, y), torch.remainder(h, 1.5), torch.fmod(h, -0.7),
                    torch.roll(h, 1, 1), torch.roll(h * x, (2, -1), (0, 1)))
    torch.manual_seed(17)
    y = _x(3, 4, seed=1)
    return Rounding().eval(), (_x(3, 4), torch.sign(y) * (y.abs() + 0.5))


@case("trunc")  # apart: the TorchScript ONNX exporter has no aten::trunc (skipped with torch's reason)
def _trunc():
    torch.manual_seed(18)
    return Seq(nn.Linear(4, 3), _Trunc()).eval(), (_x(5, 4, scale=3.0),)


class _Trunc(nn.Module):
    def forward(self, h):
        return torch.trunc(h * 3) * h


@case("adaptive_pools_uneven")
def _adaptive_uneven():
    class Pools(nn.Module):
        def forward(self, x, v):  # x [2, 3, 7, 5] (windows of 2 and 3, overlapping), v [2, 3, 4, 5, 7]
            return (F.adaptive_avg_pool2d(x, (3, 2)), F.adaptive_max_pool2d(x, (4, 3)),
                    F.adaptive_avg_pool1d(x[:, :, 0], 3), F.adaptive_max_pool1d(x[:, :, :, 1], 4),
                    F.adaptive_avg_pool3d(v, (3, 2, 4)), F.adaptive_max_pool2d(x, (7, 2)))
    return Pools().eval(), (_x(2, 3, 7, 5), _x(2, 3, 4, 5, 7, seed=1))


from . import zoo_families  # noqa: E402,F401 - registers round 3's cases into CASES
from . import zoo_layers_more, zoo_whole_models  # noqa: E402,F401 - register their cases into CASES
from . import zoo_sequence, zoo_vision  # noqa: E402,F401 - register the held-out sequence and vision models
from . import zoo_sequence_science_nets, zoo_vision_nets  # noqa: E402,F401 - register the held-out whole networks
from . import zoo_language_scientific, zoo_vision_generative  # noqa: E402,F401 - register round 7's held-out models
from . import zoo_recurrent_graph_probabilistic  # noqa: E402,F401 - registers round 8's held-out networks
from . import zoo_round9  # noqa: E402,F401 - registers round 9's held-out networks
from . import zoo_round10  # noqa: E402,F401 - registers round 10's held-out networks
from . import zoo_round11  # noqa: E402,F401 - registers round 11's held-out networks
from . import zoo_round12  # noqa: E402,F401 - registers round 12's held-out networks

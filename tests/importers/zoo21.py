"""Round 21's held-out torch models (benchmarks/IMPORT_ZOO.md, Round 21): kinds no earlier round had. Each builder
returns a model in eval mode; test_zoo21.py imports them (torch.export, and some through ONNX) and checks them against
torch's autograd."""
import torch
from torch import nn
from torch.nn import functional as F


def _seeded(cls):
    def build(*args):
        torch.manual_seed(21)
        return cls(*args).eval()
    return build


class CondGatedBlock(nn.Module):
    """A data-dependent branch by torch.cond (no Python control flow): a tanh MLP branch when the batch's mean is
    positive, a softplus-gated linear branch otherwise; both close over the module's weights."""

    def __init__(self, d=4):
        super().__init__()
        self.a, self.b, self.g = nn.Linear(d, d), nn.Linear(d, d), nn.Linear(d, d)

    def forward(self, x):                                               # (3, 4)
        def pos(z):
            return torch.tanh(self.a(z)) * z

        def neg(z):
            return F.softplus(self.g(z)) * self.b(z)

        return torch.cond(x.mean() > 0, pos, neg, (x,)) + 0.1 * x


class MaskedMultiheadAttention(nn.Module):
    """nn.MultiheadAttention with a per-head float attn_mask ([B * H, L, S]: ALiBi-style distance slopes plus a causal
    -inf part) and a float key_padding_mask; the per-head attention weights are returned beside the output."""

    def __init__(self, e=8, h=2, b=2, n=5):
        super().__init__()
        self.mha = nn.MultiheadAttention(e, h, batch_first=True)
        dist = (torch.arange(n)[None] - torch.arange(n)[:, None]).float()
        slopes = torch.tensor([0.5, 0.25])[:h]
        bias = -slopes[:, None, None] * dist.abs() + torch.triu(torch.full((n, n), float("-inf")), 1)
        self.register_buffer("mask", bias.repeat(b, 1, 1))
        pad = torch.zeros(b, n)
        pad[1, 3:] = float("-inf")  # the second sequence is 3 long
        self.register_buffer("pad", pad)

    def forward(self, x):                                               # (2, 5, 8)
        out, wts = self.mha(x, x, x, attn_mask=self.mask, key_padding_mask=self.pad, need_weights=True,
                            average_attn_weights=False)
        return torch.cat([out, wts.permute(0, 2, 1, 3).reshape(x.shape[0], x.shape[1], -1)], -1)


class GRULearnedInit(nn.Module):
    """A 2-layer bidirectional GRU whose initial state is computed from the sequence (a context encoder's tanh of the
    time mean), batch_first, with a linear read-out of every step."""

    def __init__(self, d=3, h=4):
        super().__init__()
        self.h = h
        self.init = nn.Linear(d, 4 * h)
        self.gru = nn.GRU(d, h, num_layers=2, bidirectional=True, batch_first=True)
        self.out = nn.Linear(2 * h, 2)

    def forward(self, x):                                               # (2, 4, 3)
        h0 = torch.tanh(self.init(x.mean(1))).reshape(x.shape[0], 4, self.h).transpose(0, 1).contiguous()
        y, _ = self.gru(x, h0)
        return self.out(y)


class ProjectedLSTM(nn.Module):
    """nn.LSTM with proj_size (LSTMP: the hidden state projected to a smaller size each step), 2 layers,
    bidirectional; the outputs and the final projected states."""

    def __init__(self, d=3, h=5, p=2):
        super().__init__()
        self.lstm = nn.LSTM(d, h, num_layers=2, bidirectional=True, proj_size=p)

    def forward(self, x):                                               # (4, 2, 3): (T, B, F)
        y, (hn, cn) = self.lstm(x)
        return torch.cat([y.reshape(-1), hn.reshape(-1), cn.reshape(-1)])


class OpsetSpread(nn.Module):
    """A small block of the ops whose ONNX form changed between opsets 13 and 21 (Split / Squeeze / Unsqueeze /
    ReduceMean's axes as inputs, LayerNormalization, GELU, Pad, Resize, Softmax): exported at each opset."""

    def __init__(self, c=3):
        super().__init__()
        self.conv = nn.Conv1d(c, 4, 3, padding=1)
        self.norm = nn.LayerNorm(8)

    def forward(self, x):                                               # (2, 3, 8)
        y = F.gelu(self.norm(self.conv(x)))
        a, b = y.split(2, 1)
        s = torch.softmax(a, -1) * b.mean(-1, keepdim=True)
        s = F.pad(s, (1, 1), mode="reflect").unsqueeze(1)
        s = F.interpolate(s, scale_factor=(1, 2), mode="bilinear", align_corners=False).squeeze(1)
        return s.amax(-1) + s.sum(-1)


MODELS = {
    "cond_gated_block": (_seeded(CondGatedBlock), lambda: torch.randn(3, 4) + 0.3),
    "masked_mha_alibi_padding": (_seeded(MaskedMultiheadAttention), lambda: torch.randn(2, 5, 8)),
    "gru_bidir_learned_init": (_seeded(GRULearnedInit), lambda: torch.randn(2, 4, 3)),
    "lstm_projected_bidir": (_seeded(ProjectedLSTM), lambda: torch.randn(4, 2, 3)),
    "opset_spread_block": (_seeded(OpsetSpread), lambda: torch.randn(2, 3, 8)),
}

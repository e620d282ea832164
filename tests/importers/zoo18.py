"""Round 18's held-out torch models (benchmarks/IMPORT_ZOO.md, Round 18): kinds no earlier round had. Each builder
returns a model in eval mode; test_zoo18.py imports them (torch.export) and checks them against torch's autograd."""
import math

import torch
from torch import nn
from torch.nn import functional as F


def _seeded(cls):
    def build(*args):
        torch.manual_seed(18)
        return cls(*args).eval()
    return build


class MHAKeyPadding(nn.Module):
    """nn.MultiheadAttention (batch_first, 2 heads, kdim / vdim != embed_dim) with a key_padding_mask (a bool buffer:
    the last keys of the second sequence padded) and attn_mask as a float additive bias."""
    def __init__(self, d=8):
        super().__init__()
        self.mha = nn.MultiheadAttention(d, 2, batch_first=True, kdim=6, vdim=5)
        self.k, self.v = nn.Linear(d, 6), nn.Linear(d, 5)
        self.register_buffer("pad", torch.tensor([[False] * 6, [False] * 4 + [True] * 2]))
        self.register_buffer("bias", torch.randn(6, 6) * 0.3)

    def forward(self, x):                                               # (2, 6, 8)
        out, w = self.mha(x, self.k(x), self.v(x), key_padding_mask=self.pad, attn_mask=self.bias,
                          need_weights=True, average_attn_weights=False)
        return out + w.sum(1) @ x


class CausalTransformerDecoder(nn.Module):
    """nn.TransformerDecoder (2 layers, norm_first, gelu) with a causal tgt_mask (generate_square_subsequent_mask)
    over a learned memory, a memory_key_padding_mask and a final LayerNorm."""
    def __init__(self, d=8):
        super().__init__()
        layer = nn.TransformerDecoderLayer(d, 2, 16, dropout=0.0, activation="gelu", batch_first=True, norm_first=True)
        self.dec = nn.TransformerDecoder(layer, 2, norm=nn.LayerNorm(d))
        self.memory = nn.Parameter(torch.randn(2, 4, d))
        self.register_buffer("mem_pad", torch.tensor([[False] * 4, [False, False, False, True]]))

    def forward(self, x):                                               # (2, 5, 8)
        mask = nn.Transformer.generate_square_subsequent_mask(x.shape[1])
        return self.dec(x, self.memory, tgt_mask=mask, tgt_is_causal=True, memory_key_padding_mask=self.mem_pad)


class MaskedGRULSTM(nn.Module):
    """Variable-length sequences the packed way without packing: nn.GRU then nn.LSTM run step by step (GRUCell /
    LSTMCell), each state carried unchanged past a sequence's length (mask), outputs zeroed there; the last valid
    states concatenated."""
    def __init__(self, d=4, hid=5):
        super().__init__()
        self.gru, self.lstm = nn.GRUCell(d, hid), nn.LSTMCell(hid, hid)
        self.register_buffer("lengths", torch.tensor([5, 3]))

    def forward(self, x):                                               # (2, 5, 4)
        b, t, _ = x.shape
        h = x.new_zeros(b, self.gru.hidden_size)
        hl, cl = h, h
        for s in range(t):
            m = (s < self.lengths).to(x.dtype)[:, None]
            h = m * self.gru(x[:, s], h) + (1 - m) * h
            hn, cn = self.lstm(h * m, (hl, cl))
            hl, cl = m * hn + (1 - m) * hl, m * cn + (1 - m) * cl
        return torch.cat([h, hl, cl], -1)


class FNOLayer2d(nn.Module):
    """A Fourier neural operator layer: rfft2, complex weights (cfloat parameters) on the low modes of both signs
    of the first frequency axis, irfft2 to the input size, plus a 1x1 convolution and GELU."""
    def __init__(self, c=3, modes=2):
        super().__init__()
        self.modes = modes
        scale = 1 / (c * c)
        self.w1 = nn.Parameter(scale * torch.randn(c, c, modes, modes, dtype=torch.cfloat))
        self.w2 = nn.Parameter(scale * torch.randn(c, c, modes, modes, dtype=torch.cfloat))
        self.skip = nn.Conv2d(c, c, 1)

    def forward(self, x):                                               # (2, 3, 8, 8)
        f = torch.fft.rfft2(x, norm="ortho")
        m = self.modes
        top = torch.einsum("bixy,ioxy->boxy", f[:, :, :m, :m], self.w1)
        bot = torch.einsum("bixy,ioxy->boxy", f[:, :, -m:, :m], self.w2)
        mid = torch.zeros(f.shape[0], f.shape[1], f.shape[2] - 2 * m, m, dtype=f.dtype)
        out = torch.cat([top, mid, bot], 2)
        out = F.pad(torch.view_as_real(out), (0, 0, 0, f.shape[3] - m))
        y = torch.fft.irfft2(torch.view_as_complex(out), s=x.shape[-2:], norm="ortho")
        return F.gelu(y + self.skip(x))


class ComplexModReLUNet(nn.Module):
    """A complex-valued network: the input lifted to complex by a learned phase, a complex linear layer (real and
    imaginary weight parameters), modReLU (relu(|z| + b) z / |z|), a second complex layer, |z| and angle out."""
    def __init__(self, d=6, hid=5):
        super().__init__()
        self.wr1, self.wi1 = nn.Parameter(torch.randn(hid, d) * 0.4), nn.Parameter(torch.randn(hid, d) * 0.4)
        self.wr2, self.wi2 = nn.Parameter(torch.randn(3, hid) * 0.4), nn.Parameter(torch.randn(3, hid) * 0.4)
        self.phase, self.b = nn.Parameter(torch.randn(d)), nn.Parameter(torch.full((hid,), -0.1))

    def forward(self, x):                                               # (4, 6)
        z = torch.polar(x.abs() + 0.5, self.phase * x)
        z = z @ torch.complex(self.wr1, self.wi1).T
        a = z.abs()
        z = torch.relu(a + self.b) * z / a
        z = z @ torch.complex(self.wr2, self.wi2).T
        return torch.cat([z.abs(), torch.angle(z), z.real * z.imag], -1)


class MPSTensorNetwork(nn.Module):
    """A matrix product state classifier (Stoudenmire & Schwab 2016): each pixel mapped to (cos, sin) of its value,
    contracted with one rank-3 core per site by einsum, left to right, bond dimension 4, a label index on the
    middle core."""
    def __init__(self, n=6, bond=4, labels=3):
        super().__init__()
        eye = torch.eye(bond)[None].expand(2, bond, bond)
        self.cores = nn.Parameter(eye.repeat(n, 1, 1, 1) + 0.2 * torch.randn(n, 2, bond, bond))
        self.label = nn.Parameter(0.3 * torch.randn(labels, bond, bond))
        self.first = nn.Parameter(torch.randn(bond) * 0.5)

    def forward(self, x):                                               # (3, 6)
        phi = torch.stack([torch.cos(math.pi / 2 * x), torch.sin(math.pi / 2 * x)], -1)   # (b, n, 2)
        v = self.first.expand(x.shape[0], -1)
        n = x.shape[1]
        for s in range(n):
            m = torch.einsum("bp,pij->bij", phi[:, s], self.cores[s])
            v = torch.einsum("bi,bij->bj", v, m)
            if s == n // 2:
                out = torch.einsum("bi,lij->blj", v, self.label)
        return torch.einsum("blj,j->bl", out, v.sum(0)) / n


class StftHilbertFeatures(nn.Module):
    """Audio features from complex spectra: torch.stft (Hann window, centre reflect padding) magnitudes and a
    learned mel-like projection, plus the analytic signal's envelope by an FFT Hilbert transform (fft, one-sided
    mask, ifft, abs)."""
    def __init__(self, n=32):
        super().__init__()
        self.proj = nn.Linear(9, 4)
        self.register_buffer("window", torch.hann_window(16))
        h = torch.zeros(n)
        h[0], h[n // 2], h[1:n // 2] = 1.0, 1.0, 2.0
        self.register_buffer("hilbert", h)

    def forward(self, x):                                               # (2, 32)
        spec = torch.stft(x, 16, hop_length=4, window=self.window, center=True, pad_mode="reflect",
                          return_complex=True)
        mag = torch.log1p(spec.abs() ** 2)
        env = torch.fft.ifft(torch.fft.fft(x) * self.hilbert).abs()
        return torch.cat([self.proj(mag.transpose(1, 2)).flatten(1), env], -1)


MODELS = {
    "mha_key_padding_mask": (_seeded(MHAKeyPadding), lambda: torch.randn(2, 6, 8)),
    "transformer_decoder_causal": (_seeded(CausalTransformerDecoder), lambda: torch.randn(2, 5, 8)),
    "gru_lstm_length_masks": (_seeded(MaskedGRULSTM), lambda: torch.randn(2, 5, 4)),
    "fno_layer_2d_cfloat": (_seeded(FNOLayer2d), lambda: torch.randn(2, 3, 8, 8)),
    "complex_modrelu_net": (_seeded(ComplexModReLUNet), lambda: torch.randn(4, 6)),
    "mps_tensor_network": (_seeded(MPSTensorNetwork), lambda: torch.rand(3, 6)),
    "stft_hilbert_features": (_seeded(StftHilbertFeatures), lambda: torch.randn(2, 32)),
}


class Opset20Ops(nn.Module):
    """For the dynamo ONNX exporter at opset 20: Conv, GroupNorm (InstanceNormalization in the file), LayerNorm
    (LayerNormalization), grid_sample (GridSample, border padding), bilinear then bicubic interpolate (Resize, two
    modes, align_corners both ways), unfold / fold (Col2Im) and means over two axes (ReduceMean, axes an input)."""
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(2, 4, 3, padding=1)
        self.gn, self.ln = nn.GroupNorm(2, 4), nn.LayerNorm(8)
        self.register_buffer("grid", torch.rand(2, 5, 5, 2) * 1.8 - 0.9)

    def forward(self, x):                                               # (2, 2, 8, 8)
        h = self.ln(self.gn(self.conv(x)))
        g = F.grid_sample(h, self.grid, mode="bilinear", padding_mode="border", align_corners=False)
        u = F.interpolate(h, scale_factor=0.5, mode="bilinear", align_corners=False)
        c = F.interpolate(u, size=(6, 6), mode="bicubic", align_corners=True)
        f = F.fold(F.unfold(h, 2, stride=2) * 0.5, (8, 8), 2, stride=2)
        return torch.cat([g.flatten(1), c.flatten(1), f.mean((2, 3)), h.mean((1, 3))], 1)


class ScanRNN(nn.Module):
    """An RNN by torch's scan higher-order op (torch._higher_order_ops.scan) over time (dim 1, reverse=True): the
    step's new state and a second per-step output (ys); the ys' sum plus the last state out. With scan=False the same
    recurrence as a Python loop: the reference (torch 2.13 has no forward mode through scan, and its second
    derivative through scan is wrong: a Hessian-vector product 3.7 off the loop's, which ours matches to 7e-7)."""
    def __init__(self, use_scan=True):
        super().__init__()
        self.cell, self.inp, self.use_scan = nn.Linear(4, 4), nn.Linear(3, 4), use_scan

    def _step(self, h, xt):
        h2 = torch.tanh(self.cell(h) + self.inp(xt))
        return h2, h2 * h2 + h

    def forward(self, x):                                               # (2, 5, 3)
        if self.use_scan:
            from torch._higher_order_ops.scan import scan

            last, ys = scan(self._step, torch.zeros(x.shape[0], 4), x, dim=1, reverse=True)
            return ys.sum(1) + last
        h, total = torch.zeros(x.shape[0], 4), 0
        for t in reversed(range(x.shape[1])):
            h, y = self._step(h, x[:, t])
            total = total + y
        return total + h

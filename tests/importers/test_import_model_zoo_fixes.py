"""What the real-model sweep (benchmarks/model_zoo_sweep.py) found, each on a hand-built torch model that needs
no extra package, against torch.autograd: transformers' KV cache concatenated onto torch.tensor([]) (torch.cat's
legacy rule for a 1-D empty tensor) and T5's tied embedding (one parameter under two names)."""
import torch

import gradserve as gs

from .sweep import check_imported


class EmptyCacheAttention(torch.nn.Module):
    """A KV cache as transformers' DynamicCache starts it: keys = torch.cat([torch.tensor([]), k], dim=-2)."""

    def __init__(self):
        super().__init__()
        g = torch.Generator().manual_seed(0)
        self.wk = torch.nn.Parameter(torch.randn(6, 6, generator=g) * 0.3)
        self.wq = torch.nn.Parameter(torch.randn(6, 6, generator=g) * 0.3)

    def forward(self, x):
        q, k = x @ self.wq, x @ self.wk
        cache = torch.tensor([])
        keys = torch.cat([cache, k], dim=-2)
        return torch.softmax(q @ keys.transpose(-1, -2), -1) @ keys


def test_cat_skips_a_1d_empty_tensor(fake):
    model = EmptyCacheAttention()
    x = torch.randn(2, 5, 6, generator=torch.Generator().manual_seed(1))
    net = gs.from_torch(model, (x,))
    assert check_imported(net, model, (x,)) == 2


class TiedEmbedding(torch.nn.Module):
    """T5's shape: one embedding shared by the encoder's and the decoder's lookups (and an output head)."""

    def __init__(self):
        super().__init__()
        self.shared = torch.nn.Embedding(11, 4)
        self.encoder_embed = torch.nn.Embedding(11, 4)
        self.decoder_embed = torch.nn.Embedding(11, 4)
        self.encoder_embed.weight = self.shared.weight
        self.decoder_embed.weight = self.shared.weight
        self.mix = torch.nn.Linear(4, 4)

    def forward(self, src, tgt):
        h = torch.tanh(self.mix(self.encoder_embed(src))).mean(1, keepdim=True)
        return (self.decoder_embed(tgt) + h) @ self.shared.weight.T


def test_a_tied_weight_is_one_parameter_with_the_summed_gradient(fake):
    model = TiedEmbedding()
    src, tgt = torch.tensor([[1, 4, 4, 7]]), torch.tensor([[4, 2, 9]])
    net = gs.from_torch(model, (src, tgt))
    names = sorted(p.name for p in net.trainable_params())
    assert names == sorted(n for n, _ in model.named_parameters()), names  # torch's own names, once each
    assert check_imported(net, model, (src, tgt)) == 3


class ChannelsLastPool(torch.nn.Module):
    """torchvision ConvNeXt's head: a LayerNorm over channels through permutes, then adaptive pooling to 1 x 1,
    which torch.export writes as as_strided of the pooled tensor (its memory in channels-last order)."""

    def __init__(self):
        super().__init__()
        self.conv = torch.nn.Conv2d(3, 6, 3)
        self.norm = torch.nn.LayerNorm(6)

    def forward(self, x):
        h = self.norm(self.conv(x).permute(0, 2, 3, 1)).permute(0, 3, 1, 2)
        return torch.flatten(torch.nn.functional.adaptive_avg_pool2d(h, 1), 1) * 3


class SlidingWindows(torch.nn.Module):
    """as_strided written by hand: overlapping windows (each element read up to 3 times: its gradient sums)."""

    def forward(self, x):
        return torch.tanh(x.as_strided((4, 3), (2, 1), 1)) * torch.arange(3.0)


def test_as_strided_reads_memory_as_torch_lays_it_out(fake):
    g = torch.Generator().manual_seed(2)
    for model, x in ((ChannelsLastPool(), torch.randn(2, 3, 7, 7, generator=g)),
                     (SlidingWindows(), torch.randn(10, generator=g))):
        ops = {str(n.target) for n in torch.export.export(model, (x,)).run_decompositions().graph.nodes}
        assert "aten.as_strided.default" in ops, ops  # the case is the op, not something torch rewrote
        net = gs.from_torch(model, (x,))
        check_imported(net, model, (x,))


class IntegerSqrt(torch.nn.Module):
    """RAFT's correlation scale: torch.sqrt of an integer tensor (the channel count) is float32."""

    def forward(self, x):
        n = torch.tensor(x.shape[1])
        return x / torch.sqrt(n) + torch.exp(torch.tensor(2)) * torch.sigmoid(torch.tensor(True))


def test_a_float_function_of_an_integer_tensor_is_float32(fake):
    model, x = IntegerSqrt(), torch.randn(2, 6, generator=torch.Generator().manual_seed(3))
    net = gs.from_torch(model, (x,))
    check_imported(net, model, (x,))

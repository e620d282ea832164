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

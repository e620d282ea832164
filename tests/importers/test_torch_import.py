"""gradserve.from_torch (torch.export, Core ATen) against torch.autograd / torch.func."""
import pytest
import torch

import gradserve as gs
from gradserve.importers import UnsupportedModel

from .checks import check_against_torch
from .models import close, cnn, cnn_input, encoder, encoder_input


def test_cnn_with_batchnorm_and_pooling(fake):
    m, x = cnn(), cnn_input()
    net = gs.from_torch(m, (x,))
    assert [p.name for p in net.untrainable_params()][:2] == ["bn.running_mean", "bn.running_var"]
    check_against_torch(net, m, x)


def test_transformer_encoder_block(fake):
    m, x = encoder(), encoder_input()
    check_against_torch(gs.from_torch(m, (x,)), m, x)


def test_torch_encoder_layer_of_pytorch(fake):
    """torch.nn.TransformerEncoderLayer itself (its eval-mode attention decomposes to Core ATen).

    PyTorch has neither forward mode nor double backward for its fused CPU attention kernel, so
    the reference is torch's autodiff of the same exported, decomposed program (equal in value)."""
    torch.manual_seed(4)
    m = torch.nn.TransformerEncoderLayer(8, 2, 16, dropout=0.0, batch_first=True).eval()
    x = encoder_input()
    decomposed = torch.export.export(m, (x,)).run_decompositions().module()
    close(decomposed(x).detach().numpy(), m(x).detach().numpy(), "decomposed program")
    check_against_torch(gs.from_torch(m, (x,)), decomposed, x)


def test_unsupported_op_is_named():
    class Bessels(torch.nn.Module):
        def forward(self, x):
            return torch.special.scaled_modified_bessel_k0(x) * 2

    with pytest.raises(UnsupportedModel, match=r"aten\.special_scaled_modified_bessel_k0.*"
                                               r"node 'special_scaled_modified_bessel_k0'") as e:
        gs.from_torch(Bessels(), (torch.randn(3, 3),))
    assert e.value.op == "aten.special_scaled_modified_bessel_k0.default"


class Decoder(torch.nn.Module):
    """Transposed convolution, padding, group norm, cumsum, top-k: the rest of the layer zoo."""

    def __init__(self):
        super().__init__()
        self.up = torch.nn.ConvTranspose2d(4, 6, 3, stride=2, padding=1, output_padding=1, groups=2)
        self.gn = torch.nn.GroupNorm(3, 6)
        self.head = torch.nn.Linear(5, 3)

    def forward(self, x):
        y = torch.nn.functional.pad(torch.tanh(self.gn(self.up(x))), (1, 0, 0, 1))
        y = torch.cumsum(y, dim=-1).mean(dim=(1, 2))  # [N, W]
        return self.head(torch.topk(y, 5, dim=-1).values).clamp(-1.0, 1.0)


def test_decoder_layers(fake):
    torch.manual_seed(5)
    m = Decoder().eval()
    with torch.no_grad():
        m.gn.weight.add_(0.3 * torch.randn(6))
    x = torch.randn(2, 4, 3, 4, generator=torch.Generator().manual_seed(6)) * 0.5
    check_against_torch(gs.from_torch(m, (x,)), m, x)

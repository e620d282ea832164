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
    class Sorts(torch.nn.Module):
        def forward(self, x):
            return torch.sort(x, dim=-1).values * 2

    with pytest.raises(UnsupportedModel, match=r"aten\.sort.*node") as e:
        gs.from_torch(Sorts(), (torch.randn(3, 4),))
    assert e.value.op.startswith("aten.sort")

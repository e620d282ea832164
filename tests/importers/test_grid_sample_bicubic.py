"""grid_sample mode='bicubic' (torch's grid_sampler_2d mode 2, ONNX GridSample bicubic / cubic) in every padding
mode, with and without align_corners, through torch.export and the TorchScript ONNX exporter: value and the
gradients w.r.t. the image and the grid against torch.autograd."""
import pytest
import torch

import gradserve as gs

from .sweep import check_imported, to_onnx


class Bicubic(torch.nn.Module):
    def __init__(self, padding, align):
        super().__init__()
        self.padding, self.align = padding, align

    def forward(self, x, grid):
        return torch.nn.functional.grid_sample(torch.tanh(x), grid, mode="bicubic", padding_mode=self.padding,
                                               align_corners=self.align)


def _inputs():
    g = torch.Generator().manual_seed(0)
    # grid points inside, at the edges and past them (1.3): every padding rule is read
    return torch.randn(2, 3, 5, 6, generator=g), torch.rand(2, 4, 7, 2, generator=g) * 2.6 - 1.3


@pytest.mark.parametrize("padding", ["zeros", "border", "reflection"])
@pytest.mark.parametrize("align", [False, True])
@pytest.mark.parametrize("path", ["export", "onnx"])
def test_bicubic_grid_sample_matches_torch(fake, padding, align, path):
    model, inputs = Bicubic(padding, align), _inputs()
    net = gs.from_torch(model, inputs) if path == "export" else gs.from_onnx(to_onnx(model, inputs, opset=17))
    check_imported(net, model, inputs)

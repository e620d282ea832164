"""grid_sample mode="bicubic" (torch's grid_sampler_2d mode 2, ONNX GridSample bicubic / cubic) in every
padding mode, with and without align_corners, through torch.export and the TorchScript ONNX exporter; and 3-D
(5-D input: trilinear / nearest, torch's grid_sampler_3d, ONNX GridSample at opset 20): value and the gradients
w.r.t. the image and the grid against torch.autograd."""
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


class Volumetric(torch.nn.Module):
    def __init__(self, mode, padding, align):
        super().__init__()
        self.kw = {"mode": mode, "padding_mode": padding, "align_corners": align}

    def forward(self, x, grid):
        return torch.nn.functional.grid_sample(torch.tanh(x), grid, **self.kw)


@pytest.mark.parametrize("mode,padding,align", [("bilinear", "zeros", False), ("bilinear", "border", True),
                                                ("bilinear", "reflection", False), ("nearest", "zeros", True)])
@pytest.mark.parametrize("path", ["export", "onnx"])
def test_volumetric_grid_sample_matches_torch(fake, mode, padding, align, path):
    """5-D input [N, C, D, H, W], grid [N, Do, Ho, Wo, 3] (x, y, z): trilinear over the 8 corners."""
    g = torch.Generator().manual_seed(1)
    inputs = (torch.randn(2, 3, 4, 5, 6, generator=g), torch.rand(2, 3, 2, 4, 3, generator=g) * 2.6 - 1.3)
    model = Volumetric(mode, padding, align)
    net = gs.from_torch(model, inputs) if path == "export" else gs.from_onnx(to_onnx(model, inputs, "dynamo", 20))
    check_imported(net, model, inputs)

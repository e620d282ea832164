"""Import of grid sampling with reflection padding (torch.export; ONNX GridSample's case is in the node
suite), ONNX CenterCropPad and torch.special i0e / i1 / i1e: values and gradients against torch.autograd
and ONNX's reference evaluator."""
import pytest
import torch
import torch.nn.functional as F

import gradserve as gs

from .sweep import check_imported


class Sample(torch.nn.Module):
    def __init__(self, mode, align):
        super().__init__()
        self.kw = {"mode": mode, "padding_mode": "reflection", "align_corners": align}

    def forward(self, x, grid):
        return F.grid_sample(x, grid, **self.kw)


@pytest.mark.parametrize("mode", ["bilinear", "nearest"])
@pytest.mark.parametrize("align", [False, True])
def test_grid_sample_reflection_matches_torch(fake, mode, align):
    g = torch.Generator().manual_seed(3)
    x = torch.randn(2, 3, 4, 5, generator=g)
    grid = torch.rand(2, 6, 7, 2, generator=g) * 7 - 3.5  # up to two folds on each side
    model = Sample(mode, align)
    check_imported(gs.from_torch(model, (x, grid)), model, (x, grid))

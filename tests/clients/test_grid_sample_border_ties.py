"""grid_sample's grid gradient where a border / reflection clip lands exactly on the image's edge: MindSpore 2.10 CPU
and torch count the edge as outside (clip_coordinates_set_grad: `in <= 0` and `in >= size - 1` pass no gradient),
so the grid's gradient there is 0 along that axis. Such points are common: align_corners=True with a grid of
exactly -1 or 1 (an identity affine_grid's edges). References: torch.nn.functional.grid_sample, and MindSpore's
literals (/work/msvenv, ops.GridSampler3D and mindspore.grad of the sum, run for this test)."""
import numpy as np
import pytest
import torch

import gradserve as gs
from gradserve import Tensor, ops

# (x, y, z) points whose unnormalized positions hit the edges exactly for [D, H, W] = [3, 4, 5]: y = -0.75 -> 0 and
# x = -0.8 -> 0 (align_corners False), z = 2/3 -> 2 = D - 1 (False), (-1, 1, 0.5) and (1, -1, -1) (True: corners)
GRID3 = np.array([[[[[0.1, -0.75, 0.2], [-0.8, 0.3, 0.1], [0.1, 0.2, 1 - 1 / 3], [0.1, 0.75, 0.2], [-1, 1, 0.5],
                     [1, -1, -1]]]]], np.float64)
X3 = np.arange(60, dtype=np.float64).reshape(1, 1, 3, 4, 5) ** 2


def _torch_grads(x, g, pad, ac):
    xt, gt = torch.tensor(x, requires_grad=True), torch.tensor(g, requires_grad=True)
    y = torch.nn.functional.grid_sample(xt, gt, mode="bilinear", padding_mode=pad, align_corners=ac)
    y.sum().backward()
    return y.detach().numpy(), xt.grad.numpy(), gt.grad.numpy()


@pytest.mark.parametrize("pad", ["border", "reflection"])
@pytest.mark.parametrize("ac", [False, True])
def test_3d_grid_gradient_at_the_edges_matches_torch(fake, pad, ac):
    y_ref, gx_ref, gg_ref = _torch_grads(X3, GRID3, pad, ac)
    s = ops.GridSampler3D("bilinear", pad, ac)
    np.testing.assert_allclose(s(Tensor(X3), Tensor(GRID3)).asnumpy(), y_ref, rtol=1e-12)
    gx, gg = gs.grad(lambda a, b: s(a, b).sum(), grad_position=(0, 1))(Tensor(X3), Tensor(GRID3))
    np.testing.assert_allclose(gx.asnumpy(), gx_ref, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(gg.asnumpy(), gg_ref, rtol=1e-12, atol=1e-9)


def test_3d_border_matches_mindspore_literals(fake):
    s = ops.GridSampler3D("bilinear", "border", False)
    gg = gs.grad(lambda a, b: s(a, b).sum(), grad_position=1)(Tensor(X3), Tensor(GRID3))
    want = [[142.5, 0, 1935], [0, 710, 2430], [260, 995, 0], [217.5, 0, 2835], [0, 0, 2700], [0, 0, 0]]  # MindSpore
    np.testing.assert_allclose(gg.asnumpy().reshape(6, 3), want, atol=1e-9)


@pytest.mark.parametrize("pad", ["border", "reflection"])
@pytest.mark.parametrize("ac", [False, True])
def test_2d_identity_grid_matches_torch(fake, pad, ac):
    """An identity affine_grid (align_corners as sampled): its edge points sit exactly on the edges."""
    x = np.random.default_rng(4).standard_normal((2, 3, 4, 5))
    theta = torch.tensor([[[1.0, 0, 0], [0, 1.0, 0]]] * 2, dtype=torch.float64)
    g = torch.nn.functional.affine_grid(theta, [2, 3, 4, 5], align_corners=ac).numpy()
    y_ref, gx_ref, gg_ref = _torch_grads(x, g, pad, ac)
    s = ops.GridSampler2D("bilinear", pad, ac)
    gx, gg = gs.grad(lambda a, b: s(a, b).sum(), grad_position=(0, 1))(Tensor(x), Tensor(g))
    np.testing.assert_allclose(s(Tensor(x), Tensor(g)).asnumpy(), y_ref, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(gx.asnumpy(), gx_ref, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(gg.asnumpy(), gg_ref, rtol=1e-12, atol=1e-9)

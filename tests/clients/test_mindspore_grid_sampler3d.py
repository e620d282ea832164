"""ops.GridSampler3D / ops.grid_sample on 5-D input / GridSampler3DGrad: values and gradients (input and grid)
against torch.nn.functional.grid_sample (every mode, padding and align_corners), plus literals from MindSpore 2.10
CPU's run of the same small case (/work/msvenv, ops.GridSampler3D and mindspore.grad)."""
import numpy as np
import pytest
import torch

import gradserve as gs
from gradserve import Tensor, ops
from gradserve.ops.operations._grad_ops import GridSampler3DGrad

RNG = np.random.default_rng(3)


def _torch(x, g, dy, mode, pad, ac):
    xt, gt = torch.tensor(x, requires_grad=True), torch.tensor(g, requires_grad=True)
    y = torch.nn.functional.grid_sample(xt, gt, mode=mode, padding_mode=pad, align_corners=ac)
    (y * torch.tensor(dy)).sum().backward()
    return y.detach().numpy(), xt.grad.numpy(), gt.grad.numpy()


@pytest.mark.parametrize("mode", ["bilinear", "nearest"])
@pytest.mark.parametrize("pad", ["zeros", "border", "reflection"])
@pytest.mark.parametrize("ac", [False, True])
def test_values_and_gradients_match_torch(fake, mode, pad, ac):
    x = RNG.standard_normal((2, 2, 3, 4, 5)).astype(np.float32)
    g = RNG.uniform(-1.3, 1.3, (2, 2, 3, 2, 3)).astype(np.float32)  # some points outside [-1, 1]
    dy = RNG.standard_normal((2, 2, 2, 3, 2)).astype(np.float32)
    y_ref, gx_ref, gg_ref = _torch(x, g, dy, mode, pad, ac)
    sampler = ops.GridSampler3D(mode, pad, ac)
    np.testing.assert_allclose(sampler(Tensor(x), Tensor(g)).asnumpy(), y_ref, rtol=1e-5, atol=1e-6)
    gx, gg = gs.grad(lambda a, b: (sampler(a, b) * Tensor(dy)).sum(), grad_position=(0, 1))(Tensor(x), Tensor(g))
    np.testing.assert_allclose(gx.asnumpy(), gx_ref, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(gg.asnumpy(), gg_ref, rtol=1e-4, atol=1e-4)
    dx, dg = GridSampler3DGrad(mode, pad, ac)(Tensor(dy), Tensor(x), Tensor(g))
    np.testing.assert_allclose(dx.asnumpy(), gx_ref, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(dg.asnumpy(), gg_ref, rtol=1e-4, atol=1e-4)
    y5 = ops.grid_sample(Tensor(x), Tensor(g), mode, pad, ac)
    np.testing.assert_allclose(y5.asnumpy(), y_ref, rtol=1e-5, atol=1e-6)


X = np.arange(8, dtype=np.float32).reshape(1, 1, 2, 2, 2)
G = np.array([[[[[-0.5, 0.25, 0.1], [1.2, -0.9, 0.6]]]]], np.float32)


@pytest.mark.parametrize("mode,pad,ac,y,gx,gg", [  # MindSpore 2.10 CPU's output, grad of the sum
    ("bilinear", "zeros", False, [3.9, 0.8099998], [0.1, 0, 0.3, 0, 0.15, 0.162, 0.45, 0], [1, 2, 4, -2.7, 1.35, -0.9]),
    ("bilinear", "reflection", True, [3.7, 4.2],
     [0.1455625, 0.21318749, 0.2119375, 0.0793125, 0.23068753, 0.73556244, 0.2618125, 0.12193751],
     [0.5, 1, 2, -0.5, 1, 2]),
    ("nearest", "border", False, [6, 5], [0, 0, 0, 0, 0, 1, 1, 0], [0] * 6),
])
def test_matches_mindspore_literals(fake, mode, pad, ac, y, gx, gg):
    sampler = ops.GridSampler3D(mode, pad, ac)
    np.testing.assert_allclose(sampler(Tensor(X), Tensor(G)).asnumpy().ravel(), y, rtol=1e-5, atol=1e-6)
    dx, dg = gs.grad(lambda a, b: sampler(a, b).sum(), grad_position=(0, 1))(Tensor(X), Tensor(G))
    np.testing.assert_allclose(dx.asnumpy().ravel(), gx, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(dg.asnumpy().ravel(), gg, rtol=1e-5, atol=1e-6)


def test_bad_grid_and_mode_are_named(fake):
    with pytest.raises(ValueError, match=r"GridSampler3D.*\[N, D_out, H_out, W_out, 3\].*\[1, 1, 1, 2, 2\]"):
        ops.GridSampler3D()(Tensor(X), Tensor(np.zeros((1, 1, 1, 2, 2), np.float32)))
    with pytest.raises(ValueError, match="\"bicubic\" of input 'interpolation_mode' of 'GridSampler3D'"):  # MS 2.10's
        ops.GridSampler3D("bicubic")(Tensor(X), Tensor(G))
    with pytest.raises(ValueError, match="\"mirror\" of input 'padding_mode' of 'GridSampler2D'"):
        ops.GridSampler2D("bilinear", "mirror")(Tensor(X[0]), Tensor(G[0, ..., :2]))

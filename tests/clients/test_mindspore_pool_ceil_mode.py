"""Pooling with ceil_mode=True (a last, partial window per axis): values and gradients against PyTorch's
pooling, whose ceil_mode and count_include_pad rules MindSpore 2.10 follows (its ops / nn pools gave the same
values as torch for these cases in its venv: avg 2-d / 3-d with and without counted padding, divisor_override,
max 2-d, nn.AvgPool1d / MaxPool1d / AvgPool3d / MaxPool3d, ops.AvgPool3D / MaxPool3D)."""
import numpy as np
import pytest
import torch

import gradserve as gs
from gradserve import Tensor, nn, ops

F = torch.nn.functional
X = (np.arange(2 * 6 * 8, dtype=np.float32).reshape(2, 1, 6, 8) % 11) - 3  # 6 x 8 under (3, 2, 1): 4 x 5, not 3 x 4


@pytest.mark.parametrize("kind, kw", [
    ("avg", dict(count_include_pad=True)),   # only the given padding counts, not ceil_mode's extra
    ("avg", dict(count_include_pad=False)),
    ("avg", dict(divisor_override=2)),
    ("max", {}),
])
def test_2d_values_and_gradients_match_torch(fake, kind, kw):
    mine, theirs = (ops.avg_pool2d, F.avg_pool2d) if kind == "avg" else (ops.max_pool2d, F.max_pool2d)
    want = theirs(torch.tensor(X, requires_grad=True), 3, 2, 1, ceil_mode=True, **kw)
    got = mine(Tensor(X), 3, 2, 1, ceil_mode=True, **kw)
    assert got.shape == (2, 1, 4, 5)
    np.testing.assert_allclose(got.asnumpy(), want.detach().numpy(), rtol=1e-6, atol=1e-6)
    w = np.linspace(-1, 1, want.numel(), dtype=np.float32).reshape(want.shape)
    tx = torch.tensor(X, requires_grad=True)
    (theirs(tx, 3, 2, 1, ceil_mode=True, **kw) * torch.tensor(w)).sum().backward()
    g = ops.grad(lambda t: ops.sum(mine(t, 3, 2, 1, ceil_mode=True, **kw) * Tensor(w)))(Tensor(X))
    np.testing.assert_allclose(g.asnumpy(), tx.grad.numpy(), rtol=1e-5, atol=1e-6)


def test_cells_and_3d(fake):
    x3 = np.repeat(X[..., None], 3, -1)  # depth 3 under (2, 2, 0): 2 windows, not 1
    t3 = torch.tensor(x3)
    np.testing.assert_allclose(nn.AvgPool3d(3, 2, "pad", 1, ceil_mode=True)(Tensor(x3)).asnumpy(),
                               F.avg_pool3d(t3, 3, 2, 1, ceil_mode=True).numpy(), rtol=1e-6, atol=1e-6)
    np.testing.assert_array_equal(ops.MaxPool3D(2, 2, ceil_mode=True)(Tensor(x3)).asnumpy(),
                                  F.max_pool3d(t3, 2, 2, 0, ceil_mode=True).numpy())
    x1 = X[:, 0]
    np.testing.assert_allclose(nn.AvgPool1d(3, 2, "pad", 1, ceil_mode=True)(Tensor(x1)).asnumpy(),
                               F.avg_pool1d(torch.tensor(x1), 3, 2, 1, ceil_mode=True).numpy(), rtol=1e-6)
    np.testing.assert_array_equal(nn.MaxPool1d(2, 2, "pad", ceil_mode=True)(Tensor(x1[:, :5])).asnumpy(),
                                  F.max_pool1d(torch.tensor(x1[:, :5]), 2, 2, 0, ceil_mode=True).numpy())


def test_max_pool_with_argmax_v2_matches_torch(fake):
    vals, idx = ops.MaxPoolWithArgmaxV2((3, 2), (2, 1), 1, 1, True, gs.int32)(Tensor(X))
    tv, ti = F.max_pool2d(torch.tensor(X), (3, 2), (2, 1), 1, 1, ceil_mode=True, return_indices=True)
    np.testing.assert_array_equal(vals.asnumpy(), tv.numpy())
    assert idx.asnumpy().dtype == np.int32
    np.testing.assert_array_equal(idx.asnumpy(), ti.numpy())

"""mirror_pad / MirrorPad, reverse_sequence / ReverseSequence, MaxUnpool2D / 3D, ResizeNearestNeighbor(V2),
ResizeLinear1D (ops/_doc_resize_pad.py). Expected values: NumPy, torch, or the output MindSpore's docs print
("docs")."""
import numpy as np
import pytest
import torch
import torch.nn.functional as F

import gradserve as gs
from gradserve import Tensor, ops

RNG = np.random.default_rng(5)


@pytest.mark.parametrize("mode", ["REFLECT", "SYMMETRIC"])
def test_mirror_pad_matches_numpy(fake, mode):
    x = RNG.standard_normal((3, 4, 5))
    pads = [[1, 2], [0, 3], [2, 1]]
    got = ops.MirrorPad(mode)(Tensor(x), Tensor(pads)).asnumpy()
    np.testing.assert_array_equal(got, np.pad(x, pads, mode.lower()))  # NumPy
    w = RNG.standard_normal(np.pad(x, pads).shape)
    grad = ops.grad(lambda t: (ops.mirror_pad(t, Tensor(pads), mode) * Tensor(w)).sum())(Tensor(x)).asnumpy()
    tx = torch.from_numpy(x).requires_grad_()
    if mode == "REFLECT":  # torch's reflect pad is REFLECT: its gradient folds the mirrored cells back alike
        padded = F.pad(tx[None], (2, 1, 0, 3, 1, 2), mode="reflect")[0]
        (padded * torch.from_numpy(w)).sum().backward()
        np.testing.assert_allclose(grad, tx.grad.numpy(), rtol=1e-12)
    with pytest.raises(ValueError, match="padding"):
        ops.mirror_pad(Tensor(x), Tensor([[3, 0], [0, 0], [0, 0]]), "REFLECT")


def test_reverse_sequence(fake):
    x = RNG.standard_normal((3, 4, 2)).astype(np.float32)
    lengths = np.array([1, 4, 2])
    want = x.copy()
    for b, n in enumerate(lengths):
        want[b, :n] = x[b, :n][::-1]
    np.testing.assert_array_equal(ops.ReverseSequence(seq_dim=1)(Tensor(x), Tensor(lengths)).asnumpy(), want)
    m = np.arange(1, 10, dtype=np.float32).reshape(3, 3)
    got = ops.reverse_sequence(Tensor(m), Tensor([1, 2, 3]), seq_dim=0, batch_dim=1).asnumpy()
    np.testing.assert_array_equal(got, [[1, 5, 9], [4, 2, 6], [7, 8, 3]])  # docs


def test_max_unpool_and_resizes_match_torch(fake):
    x = torch.from_numpy(RNG.standard_normal((1, 2, 4, 6)).astype(np.float32))
    pooled, idx = F.max_pool2d(x, 2, 2, return_indices=True)
    got = ops.MaxUnpool2D(ksize=2, strides=2)(Tensor(pooled.numpy()), Tensor(idx.numpy())).asnumpy()
    np.testing.assert_array_equal(got, F.max_unpool2d(pooled, idx, 2, 2).numpy())  # torch
    got = ops.ResizeNearestNeighbor((3, 4))(Tensor(x.numpy())).asnumpy()
    np.testing.assert_array_equal(got, F.interpolate(x, size=(3, 4), mode="nearest").numpy())  # torch
    got = ops.ResizeNearestNeighborV2()(Tensor(x.numpy()), Tensor([2, 9], gs.int32)).asnumpy()
    np.testing.assert_array_equal(got, F.interpolate(x, size=(2, 9), mode="nearest").numpy())
    line = torch.from_numpy(RNG.standard_normal((2, 3, 5)).astype(np.float32))
    got = ops.ResizeLinear1D("align_corners")(Tensor(line.numpy()), (8,)).asnumpy()
    np.testing.assert_allclose(got, F.interpolate(line, size=8, mode="linear", align_corners=True).numpy(),
                               rtol=1e-6, atol=1e-6)  # torch
    # (align_corners computes: test_mindspore_suite44; V1's half_pixel_centers, MindSpore 2.10's rows: test_mindspore_left22)

"""MindSpore 2.10 nn cells and functions from its documented examples (nn/_doc_cells.py, ops/_doc_nn.py) and the
Cell repr. Expected values: torch (the same definitions), the output MindSpore's docs print ("docs"), or
MindSpore 2.10's run on CPU ("MindSpore run")."""
import numpy as np
import pytest
import torch
import torch.nn.functional as F

import gradserve as gs
from gradserve import Tensor, nn, ops

RNG = np.random.default_rng(3)


@pytest.mark.parametrize("size", [2, (None, 2), (1, 2), (3, 5), 4])
def test_adaptive_pools_match_torch(fake, size):
    x = RNG.standard_normal((2, 3, 7, 9)).astype(np.float32)
    torch_size = tuple(x.shape[2 + i] if s is None else s for i, s in enumerate(
        (size, size) if isinstance(size, int) else size))
    want_avg = F.adaptive_avg_pool2d(torch.from_numpy(x), torch_size).numpy()
    want_max = F.adaptive_max_pool2d(torch.from_numpy(x), torch_size).numpy()
    np.testing.assert_allclose(nn.AdaptiveAvgPool2d(size)(Tensor(x)).asnumpy(), want_avg, rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(nn.AdaptiveMaxPool2d(size)(Tensor(x)).asnumpy(), want_max)
    assert ops.adaptive_avg_pool2d(Tensor(x[0]), size).shape == want_avg.shape[1:]  # (C, H, W)


def test_adaptive_avg_pool_gradient_matches_torch(fake):
    x = RNG.standard_normal((1, 2, 5, 7))
    w = RNG.standard_normal((1, 2, 3, 3))
    got = ops.grad(lambda t: (ops.adaptive_avg_pool2d(t, 3) * Tensor(w)).sum())(Tensor(x)).asnumpy()
    tx = torch.from_numpy(x).requires_grad_()
    (F.adaptive_avg_pool2d(tx, 3) * torch.from_numpy(w)).sum().backward()
    np.testing.assert_allclose(got, tx.grad.numpy(), rtol=1e-10)


def test_channel_shuffle_softmax2d_image_gradients(fake):
    x = np.arange(16).astype(np.int32).reshape(1, 4, 2, 2)
    np.testing.assert_array_equal(nn.ChannelShuffle(2)(Tensor(x)).asnumpy(),
                                  F.channel_shuffle(torch.from_numpy(x), 2).numpy())  # torch
    s = RNG.standard_normal((2, 3, 2, 4)).astype(np.float32)
    np.testing.assert_allclose(nn.Softmax2d()(Tensor(s)).asnumpy(), torch.softmax(torch.from_numpy(s), -3).numpy(),
                               rtol=1e-6)
    dy, dx = nn.ImageGradients()(Tensor(np.array([[[[1, 2], [3, 4]]]]), gs.int32))
    assert dy.asnumpy().tolist() == [[[[2, 2], [0, 0]]]] and dx.asnumpy().tolist() == [[[[1, 0], [1, 0]]]]  # docs
    lrn = nn.LRN()(Tensor(np.array([[[[0.1], [0.2]], [[0.3], [0.4]]]]), gs.float32)).asnumpy()
    np.testing.assert_allclose(lrn, [[[[0.09534626], [0.1825742]], [[0.2860388], [0.3651484]]]], rtol=1e-6)  # docs


def test_losses_match_torch(fake):
    a, b = RNG.standard_normal((4, 5)).astype(np.float32), RNG.standard_normal((4, 5)).astype(np.float32)
    y = np.array([1, -1, 1, -1], np.int32)
    for margin in (0.0, 0.3):
        want = F.cosine_embedding_loss(torch.from_numpy(a), torch.from_numpy(b), torch.from_numpy(y), margin).item()
        assert float(nn.CosineEmbeddingLoss(margin)(Tensor(a), Tensor(b), Tensor(y))) == pytest.approx(want, rel=1e-5)
    target = np.array([1, 0, 4, 2])
    weight = np.array([1.0, 0.5, 2.0, 1.5, 0.7], np.float32)
    for p in (1, 2):
        want = F.multi_margin_loss(torch.from_numpy(a), torch.from_numpy(target), p, 0.8,
                                   torch.from_numpy(weight), reduction="none").numpy()
        got = nn.MultiMarginLoss(p, 0.8, "none", Tensor(weight))(Tensor(a), Tensor(target)).asnumpy()
        np.testing.assert_allclose(got, want, rtol=1e-5)
    assert float(nn.MultiMarginLoss()(Tensor(np.ones((3, 3), np.float32)), Tensor(np.array([1, 2, 1])))) == \
        pytest.approx(0.6666667)  # docs
    t = np.abs(RNG.standard_normal((4, 5))).astype(np.float32) * 3
    for log_input in (True, False):
        for full in (False, True):
            x = np.abs(a) if not log_input else a
            want = F.poisson_nll_loss(torch.from_numpy(x), torch.from_numpy(t), log_input, full).item()
            got = nn.PoissonNLLLoss(log_input, full)(Tensor(x), Tensor(t))
            assert float(got) == pytest.approx(want, rel=1e-5)


def test_image_quality_and_regularizer(fake):
    a = RNG.random((2, 3, 13, 14)).astype(np.float32)
    b = np.clip(a + 0.1 * RNG.standard_normal(a.shape), 0, 1).astype(np.float32)
    ones = Tensor(np.ones([1, 3, 16, 16], np.float32))
    np.testing.assert_allclose(nn.SSIM()(ones, ones).asnumpy(), [1.0])  # docs
    img1, img2 = Tensor([[[[1, 2, 3, 4], [1, 2, 3, 4]]]]), Tensor([[[[3, 4, 5, 6], [3, 4, 5, 6]]]])
    np.testing.assert_allclose(nn.PSNR()(img1, img2).asnumpy(), [-6.0206], rtol=1e-5)  # docs
    mse = ((a.astype(np.float64) - b) ** 2).mean(axis=(1, 2, 3))
    np.testing.assert_allclose(nn.PSNR()(Tensor(a), Tensor(b)).asnumpy(), 10 * np.log10(1 / mse), rtol=1e-5)  # NumPy
    # SSIM against MindSpore 2.10's own run (GRAPH_MODE) on this seed's images: fixed values
    got = nn.SSIM()(Tensor(_seeded()[0]), Tensor(_seeded()[1])).asnumpy()
    np.testing.assert_allclose(got, [0.95151895, 0.93486667], rtol=1e-6)  # MindSpore run
    got = nn.SSIM(max_val=2.0, filter_size=4, filter_sigma=0.8)(Tensor(_seeded()[0]), Tensor(_seeded()[1])).asnumpy()
    np.testing.assert_allclose(got, [0.94157857, 0.9323087], rtol=1e-6)  # MindSpore run
    w = Tensor(np.array([[1.0, -2.0], [-3.0, 4.0]], np.float32))
    assert float(nn.L1Regularizer(0.5)(w)) == 5.0  # docs


def _seeded():
    rng = np.random.default_rng(3)
    a = rng.random((2, 3, 13, 14)).astype(np.float32)
    return a, np.clip(a + 0.1 * rng.standard_normal(a.shape), 0, 1).astype(np.float32)


def test_get_activation_and_cell_repr():
    assert repr(nn.get_activation("sigmoid")) == "Sigmoid()"  # docs
    # case-sensitive in MindSpore 2.10: "LeakyReLU" is its KeyError (checked)
    assert isinstance(nn.get_activation("leakyrelu"), nn.LeakyReLU) and nn.get_activation(None) is None
    with pytest.raises(KeyError, match="nope"):
        nn.get_activation("nope")
    assert isinstance(nn.Dense(2, 3, activation="softmax").activation, nn.Softmax)
    assert repr(nn.SequentialCell([nn.ReLU(), nn.SequentialCell([nn.ReLU()])])) == (
        "SequentialCell(\n  (0): ReLU()\n  (1): SequentialCell(\n    (0): ReLU()\n  )\n)")  # MindSpore run

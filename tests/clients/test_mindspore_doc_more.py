"""More MindSpore 2.10 functions, primitives and cells from its documented examples (ops/_doc_more.py, the
DiceLoss / MultiClassDiceLoss / IGamma / SparseToDense / AdaptiveMaxPool3d cells). Expected values: NumPy,
torch, SciPy, or the output MindSpore's docs print ("docs")."""
import numpy as np
import pytest
import scipy.special as sp
import torch
import torch.nn.functional as F

import gradserve as gs
from gradserve import Tensor, nn, ops

RNG = np.random.default_rng(11)


def test_clip_by_norm_and_global_norm(fake):
    x = RNG.standard_normal((3, 4)).astype(np.float32) * 3
    total = np.linalg.norm(x)
    got = ops.clip_by_norm(Tensor(x), max_norm=1.0).asnumpy()
    np.testing.assert_allclose(got, x / (total + 1e-6), rtol=1e-5)  # NumPy: scaled to norm 1
    np.testing.assert_allclose(ops.clip_by_norm(Tensor(x), max_norm=100.0).asnumpy(), x)  # under the limit: as is
    xs = [RNG.standard_normal((2, 2)).astype(np.float32) for _ in range(2)]
    norm = np.sqrt(sum((t ** 2).sum() for t in xs))
    got = ops.clip_by_global_norm(tuple(Tensor(t) for t in xs), 1.0)
    for g, t in zip(got, xs):
        np.testing.assert_allclose(g.asnumpy(), t / max(norm, 1.0), rtol=1e-5)  # NumPy
    t = np.array([[2.0, 3.0], [1.0, 2.0]], np.float32)
    np.testing.assert_allclose(ops.clip_by_global_norm((Tensor(t),), 1.0)[0].asnumpy(), t / np.sqrt(18), rtol=1e-6)


def test_losses_distances_dense_match_torch(fake):
    a, b = RNG.standard_normal(5).astype(np.float32), RNG.standard_normal(5).astype(np.float32)
    y = np.sign(RNG.standard_normal(5)).astype(np.float32)
    want = F.margin_ranking_loss(torch.from_numpy(a), torch.from_numpy(b), torch.from_numpy(y), 0.2).item()
    assert float(ops.margin_ranking_loss(Tensor(a), Tensor(b), Tensor(y), 0.2)) == pytest.approx(want, rel=1e-6)
    x = RNG.standard_normal((5, 3)).astype(np.float32)
    for p in (1.0, 2.0, 3.5):
        np.testing.assert_allclose(ops.Pdist(p)(Tensor(x)).asnumpy(), F.pdist(torch.from_numpy(x), p).numpy(),
                                   rtol=1e-5)  # torch
    w, bias = RNG.standard_normal((4, 3)).astype(np.float32), RNG.standard_normal(4).astype(np.float32)
    np.testing.assert_allclose(ops.dense(Tensor(x), Tensor(w), Tensor(bias)).asnumpy(), x @ w.T + bias, rtol=1e-5)


def test_adaptive_max_pool3d_matches_torch(fake):
    x = RNG.standard_normal((2, 5, 4, 7)).astype(np.float32)
    for size in [(1, 1, 2), (2, 3, 3), (5, 4, 7)]:
        want, want_idx = F.adaptive_max_pool3d(torch.from_numpy(x), size, return_indices=True)
        got, idx = nn.AdaptiveMaxPool3d(size, True)(Tensor(x))
        np.testing.assert_array_equal(got.asnumpy(), want.numpy())  # torch
        np.testing.assert_array_equal(idx.asnumpy(), want_idx.numpy())
    doc = np.arange(0, 36).reshape((1, 3, 3, 4)).astype(np.float32)
    values, where = ops.adaptive_max_pool3d(Tensor(doc), (1, 1, 2), True)
    assert values.asnumpy().tolist() == [[[[33.0, 35.0]]]] and where.asnumpy().tolist() == [[[[33, 35]]]]  # docs


def test_row_updates_and_index_put(fake):
    x = np.array([[1, 2], [3, 4], [5, 6]], np.float32)
    v = np.array([[0.5, 1.0], [1.0, 1.5]], np.float32)
    want = x.copy()
    want[[0, 2]] += v
    np.testing.assert_array_equal(ops.inplace_add(Tensor(x), Tensor(v), (0, 2)).asnumpy(), want)  # NumPy
    want = x.copy()
    want[[2, 0]] -= v
    np.testing.assert_array_equal(ops.InplaceSub((2, 0))(Tensor(x), Tensor(v)).asnumpy(), want)
    want = x.copy()
    want[[1, 2]] = v
    np.testing.assert_array_equal(ops.InplaceUpdateV2()(Tensor(x), (1, 2), Tensor(v)).asnumpy(), want)
    x1 = Tensor(np.array([[1, 2, 3], [4, 5, 6]]).astype(np.int32))
    idx = [Tensor(np.array([0, 0]).astype(np.int32)), Tensor(np.array([0, 1]).astype(np.int32))]
    got = ops.IndexPut(accumulate=1)(x1, Tensor(np.array([3]).astype(np.int32)), idx)
    assert got.asnumpy().tolist() == [[4, 5, 3], [4, 5, 6]]  # docs
    dense = ops.SparseToDense()(Tensor([[0, 1], [1, 2], [1, 2]]), Tensor([1, 2, 3], dtype=gs.float32), (3, 4))
    want = np.zeros((3, 4), np.float32)
    want[0, 1], want[1, 2] = 1, 3
    # a repeated index takes its last value: MindSpore 2.10's output for this call (checked in its venv)
    np.testing.assert_array_equal(dense.asnumpy(), want)


def test_scalars_and_tuples():
    assert ops.scalar_cast(255.0, gs.int64) == 255  # docs
    assert isinstance(ops.ScalarCast()(2, gs.float64), float)
    with pytest.raises(ValueError, match="int64, float64, bool"):  # MindSpore 2.10 CPU: ValueError for Float32
        ops.ScalarCast()(2, gs.float32)
    assert ops.scalar_cast(0.0, gs.bool_) is False
    out = ops.tuple_to_array((1, 2, 3))
    assert isinstance(out, Tensor) and out.dtype == gs.int64 and out.asnumpy().tolist() == [1, 2, 3]  # docs


def test_dice_losses_igamma_sparse_to_dense(fake):
    logits = np.array([[0.2, 0.5], [0.3, 0.1], [0.9, 0.6]], np.float32)
    labels = np.array([[0, 1], [1, 0], [0, 1]], np.float32)
    assert float(nn.DiceLoss(smooth=1e-5)(Tensor(logits), Tensor(labels))) == pytest.approx(0.38596618)  # docs
    logits3 = np.array([[0.2, 0.5, 0.7], [0.3, 0.1, 0.5], [0.9, 0.6, 0.3]], np.float32)
    labels3 = np.array([[0, 1, 0], [1, 0, 0], [0, 0, 1]], np.float32)
    got = nn.MultiClassDiceLoss(weights=None, ignore_indiex=None, activation="softmax")(Tensor(logits3), Tensor(labels3))
    assert float(got) == pytest.approx(0.54958105, rel=1e-6)  # docs
    a, x = np.array([2.0, 4.0, 6.0, 8.0]), np.array([2.0, 3.0, 4.0, 5.0])
    np.testing.assert_allclose(nn.IGamma()(Tensor(a), Tensor(x)).asnumpy(), sp.gammainc(a, x), rtol=1e-10)  # SciPy
    coo = gs.COOTensor(Tensor([[0, 1], [1, 2]]), Tensor([1, 2], dtype=gs.int32), (3, 4))
    assert nn.SparseToDense()(coo).asnumpy().tolist() == [[0, 1, 0, 0], [0, 0, 2, 0], [0, 0, 0, 0]]  # docs

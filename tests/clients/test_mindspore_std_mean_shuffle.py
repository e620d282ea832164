"""ops.std_mean / var_mean, ops.div's rounding_mode, TruncateMod, TensorShape, nn.Tanhshrink,
multilabel_soft_margin_loss / nn.MultiLabelSoftMarginLoss, shuffle / RandomShuffle and standard_laplace /
StandardLaplace. Expected values come from NumPy and PyTorch (named per test), the error classes from
MindSpore 2.10 (its venv)."""
import numpy as np
import pytest
import torch

import gradserve as gs
from gradserve import Tensor, context, nn, ops
from gradserve.ops import functional as F
from gradserve.ops import operations as P

X = np.arange(12, dtype=np.float32).reshape(3, 4) ** 1.5


@pytest.mark.parametrize("axis,keepdims", [(None, False), (1, True), ((0, 1), False), (0, False)])
def test_std_mean_and_var_mean_match_numpy(on_real_server, axis, keepdims):
    std, mean = ops.std_mean(Tensor(X), axis=axis, ddof=False, keepdims=keepdims)
    np.testing.assert_allclose(std.asnumpy(), np.std(X, axis=axis, keepdims=keepdims), rtol=1e-5)
    np.testing.assert_allclose(mean.asnumpy(), np.mean(X, axis=axis, keepdims=keepdims), rtol=1e-6)
    var, _ = ops.var_mean(Tensor(X), axis=axis, ddof=1, keepdims=keepdims)
    np.testing.assert_allclose(var.asnumpy(), np.var(X, axis=axis, ddof=1, keepdims=keepdims), rtol=1e-5)


def test_div_rounding_modes_match_numpy(on_real_server):
    a, b = np.array([7, -7, 5], np.int32), np.array([2, 2, 3], np.int32)
    assert ops.div(Tensor(a), Tensor(b)).asnumpy().tolist() == (a / b).astype(np.float32).tolist()
    floor = F.div(Tensor(a), Tensor(b), rounding_mode="floor")
    trunc = ops.div(Tensor(a), Tensor(b), rounding_mode="trunc")
    assert floor.dtype == gs.int32 and floor.asnumpy().tolist() == np.floor_divide(a, b).tolist()
    assert trunc.asnumpy().tolist() == np.trunc(a / b).astype(np.int32).tolist()
    with pytest.raises(ValueError, match="rounding_mode"):
        ops.div(Tensor(a), Tensor(b), rounding_mode="ceil")


def test_truncate_mod_is_fmod(on_real_server):
    x = np.array([1, 4, -7, 9], np.int32)
    out = P.TruncateMod()(Tensor(x), Tensor(np.array([3, -3, 3, 4], np.int32)))
    assert out.asnumpy().tolist() == np.fmod(x, [3, -3, 3, 4]).tolist()
    out = P.TruncateMod()(Tensor(x.astype(np.float32)), 2.5)
    np.testing.assert_allclose(out.asnumpy(), np.fmod(x.astype(np.float32), 2.5))
    with pytest.raises(TypeError, match="bool"):  # MindSpore 2.10: TypeError for bool and bool
        P.TruncateMod()(Tensor(np.array([True])), Tensor(np.array([True])))


def test_tensor_shape_and_tanhshrink(on_real_server):
    shape = P.TensorShape()(Tensor(np.zeros((2, 3), np.float32)))
    assert shape.dtype == gs.int64 and shape.asnumpy().tolist() == [2, 3]
    x = np.array([-3.0, -1.0, 0.0, 0.5, 2.0], np.float32)
    np.testing.assert_allclose(nn.Tanhshrink()(Tensor(x)).asnumpy(), x - np.tanh(x), rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("mode", [context.GRAPH_MODE, context.PYNATIVE_MODE])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("weighted", [False, True])
def test_multilabel_soft_margin_loss_matches_torch(on_real_server, mode, reduction, weighted):
    context.set_context(mode=mode)
    rng = np.random.default_rng(0)
    x = (rng.standard_normal((4, 5)) * 3).astype(np.float32)
    y = (rng.random((4, 5)) > 0.5).astype(np.float32)
    w = np.array([1.0, 1.5, 0.8, 0.2, 2.0], np.float32)
    want = torch.nn.functional.multilabel_soft_margin_loss(torch.tensor(x), torch.tensor(y),
                                                           torch.tensor(w) if weighted else None, reduction=reduction)
    got = nn.MultiLabelSoftMarginLoss(Tensor(w) if weighted else None, reduction)(Tensor(x), Tensor(y))
    np.testing.assert_allclose(got.asnumpy(), want.numpy(), rtol=1e-5, atol=1e-6)
    fn = ops.multilabel_soft_margin_loss(Tensor(x), Tensor(y), Tensor(w) if weighted else None, reduction)
    np.testing.assert_allclose(fn.asnumpy(), want.numpy(), rtol=1e-5, atol=1e-6)


class ShuffleNet(nn.Cell):
    def __init__(self, seed, seed2):
        super().__init__()
        self.op = P.RandomShuffle(seed, seed2)

    def construct(self, x):
        return self.op(x)


@pytest.mark.parametrize("mode", [context.GRAPH_MODE, context.PYNATIVE_MODE])
def test_random_shuffle_permutes_the_first_axis(on_real_server, mode):
    context.set_context(mode=mode)
    x = np.arange(24, dtype=np.float32).reshape(6, 4)
    out = ShuffleNet(3, 1)(Tensor(x)).asnumpy()
    assert sorted(out[:, 0].tolist()) == x[:, 0].tolist()  # a permutation of the rows
    assert all((row - row[0] == np.arange(4)).all() for row in out)  # rows kept whole
    again = ShuffleNet(3, 1)(Tensor(x)).asnumpy()  # same seeds, a new op: the same order (MindSpore's rule)
    np.testing.assert_array_equal(out, again)
    assert ShuffleNet(3, 1)(Tensor(np.float32(2.5))).asnumpy() == np.float32(2.5)  # 0-d as it is


def test_shuffle_seed_errors_are_mindspores(on_real_server):
    x = Tensor(np.zeros((3, 2), np.float32))
    with pytest.raises(TypeError):
        ops.shuffle(2, seed=3)
    with pytest.raises(ValueError):
        ops.shuffle(x, seed=-3)
    for bad in (1.6, True):
        with pytest.raises(TypeError):
            ops.shuffle(x, seed=bad)


def test_standard_laplace_seeded_draws_repeat(on_real_server):
    a = P.StandardLaplace(10, 10)((5, 6, 8)).asnumpy()
    b = P.StandardLaplace(10, 10)((5, 6, 8)).asnumpy()
    assert a.shape == (5, 6, 8) and a.dtype == np.float32
    np.testing.assert_array_equal(a, b)
    big = ops.standard_laplace((200, 500), seed=8).asnumpy()
    assert abs(big.mean()) < 0.05 and abs(np.abs(big).mean() - 1.0) < 0.05  # Laplace(0, 1): E|x| = 1

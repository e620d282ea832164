"""`gradserve.mint` (MindSpore's `mindspore.mint`): PyTorch-style spellings over the ops here.

Expected values: MindSpore 2.10 (CPU, PyNative), run for this task in its own venv with the same inputs
(`from mindspore import mint`); each list below is its output.
"""
import numpy as np
import pytest

from gradserve import Tensor, context, grad, mint, nn
from gradserve.common import dtype as mstype
from gradserve.mint import special
from gradserve.mint.nn import functional as F

X = np.array([[1.0, -2.5, 3.0], [0.5, 4.0, -1.0]], np.float32)
Y = np.array([[2.0, 1.5, -1.0], [3.0, -2.0, 0.5]], np.float32)
NONFINITE = np.array([np.nan, np.inf, -np.inf, 3.14], np.float32)


def _close(out, expected, dtype="float32"):
    assert str(out.asnumpy().dtype) == dtype
    np.testing.assert_allclose(out.asnumpy(), expected, rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("mode", [context.GRAPH_MODE, context.PYNATIVE_MODE])
def test_max_min_overloads_match_mindspore(on_real_server, mode):
    context.set_context(mode=mode)
    x, y = Tensor(X), Tensor(Y)
    values, indices = mint.max(x, 1, True)
    _close(values, [[3.0], [4.0]])
    _close(indices, [[2], [1]], "int64")
    values, indices = mint.min(x, dim=0)
    _close(values, [0.5, -2.5, -1.0])
    _close(indices, [1, 0, 1], "int64")
    _close(mint.max(x, y), [[2.0, 1.5, 3.0], [3.0, 4.0, 0.5]])
    _close(mint.max(x), 4.0)


def test_torch_style_keywords_match_mindspore(on_real_server):
    x, y = Tensor(X), Tensor(Y)
    _close(mint.mean(x, dim=1, keepdim=True), [[0.5], [1.1666666269302368]])
    _close(mint.prod(x, 1), [-7.5, -2.0])
    _close(mint.transpose(x, 0, 1), X.T)
    _close(mint.gather(x, 1, Tensor(np.array([[0, 2], [1, 1]], np.int64))), [[1.0, 3.0], [4.0, 4.0]])
    _close(mint.div(x, y, rounding_mode="floor"), [[0.0, -2.0, -3.0], [0.0, -2.0, -2.0]])
    _close(mint.div(x, y, rounding_mode="trunc"), [[0.0, -1.0, -3.0], [0.0, -2.0, -2.0]])
    _close(mint.remainder(input=x, other=y), [[1.0, 0.5, 0.0], [0.5, 0.0, 0.0]])
    _close(mint.remainder(2, y), [[0.0, 0.5, 0.0], [2.0, 0.0, 0.0]])
    _close(mint.add(x, y, alpha=2), [[5.0, 0.5, 1.0], [6.5, 0.0, 0.0]])
    _close(mint.sub(x, y, alpha=0.5), [[0.0, -3.25, 3.5], [-1.0, 5.0, -1.25]])
    _close(mint.cdist(x, y), [[5.74456262588501, 3.240370273590088], [2.915475845336914, 6.67083215713501]])
    assert mint.allclose(x, x + 1e-9)


def test_nan_to_num_values_and_gradient_match_mindspore(on_real_server):
    x = Tensor(NONFINITE)
    _close(mint.nan_to_num(x, 1.0, 2.0, -3.0), [1.0, 2.0, -3.0, 3.14])
    big = float(np.finfo(np.float32).max)
    _close(mint.nan_to_num(x), [0.0, big, -big, 3.14])
    _close(grad(lambda a: mint.nan_to_num(a, 1.0, 2.0, -3.0).sum())(x), [0.0, 0.0, 0.0, 1.0])


def test_functional_and_special_match_mindspore(on_real_server):
    x, y = Tensor(X), Tensor(Y)
    target = Tensor(np.array([[1, 0, 1], [0, 1, 0.5]], np.float32))
    _close(F.glu(x, dim=0), [[0.622459352016449, -2.4550344944000244, 0.8068243265151978]])
    _close(F.smooth_l1_loss(x, y), 2.6666667461395264)  # 'mean' by default, as PyTorch
    _close(F.binary_cross_entropy_with_logits(x, target, pos_weight=Tensor(np.array([1, 2, 3], np.float32))),
           0.612468957901001)
    _close(F.linear(x, y, Tensor(np.array([1, 2], np.float32))), [[-3.75, 11.5], [9.0, -5.0]])
    shuffled = F.pixel_shuffle(Tensor(np.arange(32, dtype=np.float32).reshape(1, 8, 2, 2)), 2)
    _close(shuffled[0, 0], [[0, 4, 1, 5], [8, 12, 9, 13], [2, 6, 3, 7], [10, 14, 11, 15]])
    _close(shuffled[0, 1], [[16, 20, 17, 21], [24, 28, 25, 29], [18, 22, 19, 23], [26, 30, 27, 31]])
    s = Tensor(np.array([0.0, 0.5, -1.5], np.float32))
    _close(special.sinc(s), [1.0, 0.6366197466850281, -0.21220658719539642])
    _close(grad(lambda a: special.sinc(a).sum())(s), [0.0, -1.2732396125793457, -0.14147107303142548])
    _close(grad(lambda a: F.glu(a, 0).sum())(x), [[0.622459352016449, 0.9820137619972229, 0.2689414322376251],
                                                 [0.23500370979309082, -0.04415683448314667, 0.5898358821868896]])


def test_mint_nn_layers(on_real_server):
    x = Tensor(X)
    target = Tensor(np.array([[1, 0, 1], [0, 1, 0.5]], np.float32))
    _close(mint.nn.BCEWithLogitsLoss()(x, target), 0.3743712604045868)  # MindSpore 2.10
    _close(mint.nn.Identity(3, k=2)(x), X)
    assert isinstance(mint.nn.Linear(3, 4), nn.Cell)
    assert mint.nn.Linear(3, 4)(Tensor(np.ones((2, 3), np.float32))).shape == (2, 4)
    assert bool(mint.equal(x, Tensor(X))) and not bool(mint.equal(x, Tensor(X[:1])))


def test_pixel_shuffle_refuses_channels_not_divisible(on_real_server):
    with pytest.raises(ValueError, match="pixel_shuffle"):
        F.pixel_shuffle(Tensor(np.ones((1, 6, 2, 2), np.float32)), 2)


def test_reductions_take_dtype_and_round_takes_decimals(on_real_server):
    x = Tensor(X)
    _close(mint.sum(x, dtype=mstype.float64), X.astype(np.float64).sum(), "float64")  # NumPy's
    _close(mint.mean(x, 1, True), X.mean(axis=1, keepdims=True))
    _close(mint.prod(x, dim=0), X.prod(axis=0))
    _close(mint.round(Tensor(np.array([1.25, -2.5, 0.5], np.float32))), [1.0, -2.0, 0.0])  # half to even
    _close(mint.round(Tensor(np.array([1.26, -2.04], np.float32)), decimals=1), [1.3, -2.0])

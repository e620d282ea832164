"""ops.nll_loss / nn.NLLLoss and the optimizers nn.Adam(use_amsgrad=True), nn.FTRL, nn.ProximalAdagrad.

Expected values are MindSpore 2.10's (CPU, PyNative), run for this task in its own venv: the losses, their
gradients (ops.grad of the summed loss) and each parameter after every step.
"""
import numpy as np
import pytest

from gradserve import Parameter, Tensor, nn, ops

X2 = np.array([[-0.5, -1.2, -2.0], [-0.3, -0.9, -1.7], [-1.1, -0.2, -2.5], [-0.8, -1.4, -0.6]], np.float32)
T2 = np.array([0, 2, 1, -100], np.int32)
W = np.array([0.5, 1.5, 2.0], np.float32)
X3 = np.arange(12, dtype=np.float32).reshape(2, 3, 1, 2) * -0.1  # [N, C, d1, d2]
T3 = np.array([[[0, 1]], [[2, 0]]], np.int32)


def _loss_and_grad(x, t, **kw):
    f = lambda x: ops.nll_loss(x, Tensor(t), **kw)  # noqa: E731
    g = ops.grad(lambda x: f(x).sum())(Tensor(x))
    return f(Tensor(x)).asnumpy(), g.asnumpy()


# (kwargs, loss, d sum(loss) / d x) of X2 / T2: MindSpore's
_G_PLAIN = [[-1.0, 0, 0], [0, 0, -1.0], [0, -1.0, 0], [0, 0, 0]]
_G_W = [[-0.5, 0, 0], [0, 0, -2.0], [0, -1.5, 0], [0, 0, 0]]
_G_WS = [[-0.43333334, -0.1, -0.13333334], [-0.033333335, -0.1, -1.7333333], [-0.033333335, -1.3, -0.13333334],
         [0, 0, 0]]
CASES_2D = [
    (dict(reduction="mean"), 0.8, np.array(_G_PLAIN) / 3),
    (dict(reduction="mean", weight=W), 0.9875, np.array(_G_W) / 4),
    (dict(reduction="mean", weight=W, label_smoothing=0.2), 1.07,
     [[-0.108333334, -0.025, -0.033333335], [-0.008333334, -0.025, -0.43333334],
      [-0.008333334, -0.325, -0.033333335], [0, 0, 0]]),
    (dict(reduction="sum"), 2.4, _G_PLAIN),
    (dict(reduction="sum", weight=W), 3.95, _G_W),
    (dict(reduction="sum", weight=W, label_smoothing=0.2), 4.28, _G_WS),
    (dict(reduction="none"), [0.5, 1.7, 0.2, 0.0], _G_PLAIN),
    (dict(reduction="none", weight=W), [0.25, 3.4, 0.3, 0.0], _G_W),
    (dict(reduction="none", weight=W, label_smoothing=0.2), [0.60333335, 3.0466666, 0.63, 0.0], _G_WS),
]


@pytest.mark.parametrize("kw, loss, grad", CASES_2D, ids=lambda v: str(v) if isinstance(v, dict) else "")
def test_nll_loss_2d_each_reduction_weight_and_smoothing(on_real_server, kw, loss, grad):
    kw = {k: Tensor(v) if k == "weight" else v for k, v in kw.items()}
    y, g = _loss_and_grad(X2, T2, **kw)
    np.testing.assert_allclose(y, np.array(loss, np.float32), rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(g, np.array(grad, np.float32), rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("reduction, loss, grad_row0", [
    ("mean", 1.1, [-0.46666667, -0.016666668, -0.016666668]),
    ("sum", 2.2, [-0.93333334, -0.033333335, -0.033333335]),
    ("none", [0.57333332, 1.6266667, 0.0, 0.0], [-0.93333334, -0.033333335, -0.033333335]),
])
def test_nll_loss_ignore_index_with_smoothing_drops_the_whole_row(on_real_server, reduction, loss, grad_row0):
    y, g = _loss_and_grad(X2, np.array([0, 2, 1, 1], np.int32), reduction=reduction, ignore_index=1,
                          label_smoothing=0.1)
    np.testing.assert_allclose(y, np.array(loss, np.float32), rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(g[0], grad_row0, rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(g[1], grad_row0[::-1], rtol=1e-6, atol=1e-7)
    np.testing.assert_array_equal(g[2:], 0.0)  # rows whose target is ignore_index: no smoothing term either


def test_nll_loss_1d_input_scalar_target(on_real_server):
    y, g = _loss_and_grad(np.array([-0.4, -1.3, -0.9], np.float32), np.array(2, np.int32))
    np.testing.assert_allclose(y, 0.9, rtol=1e-6)
    np.testing.assert_allclose(g, [0.0, 0.0, -1.0], rtol=1e-6)


X5 = np.arange(24, dtype=np.float32).reshape(2, 3, 2, 2, 1) * -0.05  # [N, C, d1, d2, d3]
T5 = np.array([[[[0], [1]], [[2], [2]]], [[[1], [-100]], [[0], [2]]]], np.int32)


def test_nll_loss_4d_weighted_mean(on_real_server):
    y, g = _loss_and_grad(X3, T3, reduction="mean", weight=Tensor(W))
    np.testing.assert_allclose(y, 0.6222222, rtol=1e-6)
    want = np.zeros_like(X3)
    want[0, 0, 0, 0], want[0, 1, 0, 1], want[1, 0, 0, 1], want[1, 2, 0, 0] = -1 / 9, -1 / 3, -1 / 9, -4 / 9
    np.testing.assert_allclose(g, want, rtol=1e-6, atol=1e-8)


def test_nll_loss_4d_none_keeps_the_spatial_axes(on_real_server):
    y, g = _loss_and_grad(X3, T3, reduction="none", weight=Tensor(W), label_smoothing=0.3)
    np.testing.assert_allclose(y, [[[0.11000001, 0.465]], [[1.75, 0.635]]], rtol=1e-6)
    np.testing.assert_allclose(g[:, :, 0, :], [[[-0.4, -0.05], [-0.15, -1.2], [-0.2, -0.2]],
                                               [[-0.05, -0.4], [-0.15, -0.15], [-1.6, -0.2]]], rtol=1e-6)


def test_nll_loss_5d_sum_with_smoothing_and_an_ignored_element(on_real_server):
    y, g = _loss_and_grad(X5, T5, reduction="sum", label_smoothing=0.3)
    np.testing.assert_allclose(y, 3.89, rtol=1e-6)
    hot = np.where(np.arange(3)[None, :, None, None, None] == T5[:, None], -0.8, -0.1).astype(np.float32)
    hot[1, :, 0, 1, 0] = 0.0  # target -100: ignored
    np.testing.assert_allclose(g, hot, rtol=1e-6)
    y, _ = _loss_and_grad(X5, T5, reduction="none", weight=Tensor(W), label_smoothing=0.3)
    np.testing.assert_allclose(y[..., 0], [[[0.11000001, 0.39249998], [0.85, 0.94]],
                                           [[1.19, 0.0], [0.635, 2.02]]], rtol=1e-6)


def test_nll_loss_cell(on_real_server):
    loss = nn.NLLLoss(weight=Tensor(W), ignore_index=2, reduction="sum")
    np.testing.assert_allclose(loss(Tensor(X2), Tensor(np.array([0, 2, 1, 1], np.int32))).asnumpy(), 2.6499999,
                               rtol=1e-6)
    np.testing.assert_allclose(nn.NLLLoss()(Tensor(X5), Tensor(T5)).asnumpy(), 0.5642857, rtol=1e-6)


@pytest.mark.parametrize("make, err, words", [
    (lambda: nn.NLLLoss(ignore_index=1.0), TypeError, "ignore_index"),
    (lambda: nn.NLLLoss(weight=np.ones(3)), TypeError, "weight"),
    (lambda: nn.NLLLoss(reduction="avg"), ValueError, "reduction"),
    (lambda: nn.NLLLoss(weight=Tensor(np.ones(3, np.int32))), TypeError, "float16 or float32"),
    (lambda: ops.nll_loss(Tensor(X2), Tensor(T2.astype(np.float32))), TypeError, "int32 or int64"),
    (lambda: ops.nll_loss(Tensor(X2), Tensor(np.zeros(3, np.int32))), ValueError, r"shape \[4\]"),
    (lambda: ops.nll_loss(X2, Tensor(T2)), TypeError, "'inputs' must be a Tensor"),
    (lambda: ops.nll_loss(Tensor(X2), Tensor(T2), weight=Tensor(np.ones(4, np.float32))), ValueError,
     r"'weight' must have shape \[3\]"),
])
def test_nll_loss_bad_arguments(on_real_server, make, err, words):
    # MindSpore raises these types (its GatherD / MaskedFill / Mul messages name its kernels, ours the argument)
    with pytest.raises(err, match=words):
        make()

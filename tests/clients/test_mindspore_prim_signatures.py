"""MindSpore 2.10's own signatures for LayerNorm, Pad / pad, Argmax / Argmin / argmin and HSigmoid's rounding.

Expected values are MindSpore 2.10's (CPU, PyNative, run for this task) unless a line says otherwise; the
LayerNorm gradient is PyTorch's.
"""
import numpy as np
import pytest
import torch

import gradserve as ms
from gradserve import Tensor, ops

# layer_norm and pad run on the service (no client-side kernel): one real server for the module
pytestmark = pytest.mark.usefixtures("on_real_server")

X = np.arange(6, dtype=np.float32).reshape(2, 3) ** 2   # [[0, 1, 4], [9, 16, 25]]


def test_layernorm_returns_y_mean_variance():
    g, b = Tensor(np.ones(3, np.float32)), Tensor(np.zeros(3, np.float32))
    y, mean, var = ops.LayerNorm(1, 1)(Tensor(X), g, b)
    np.testing.assert_allclose(y.asnumpy(), [[-0.9805806, -0.39223224, 1.372813],
                                             [-1.1706691, -0.10179722, 1.2724665]], rtol=1e-5)
    np.testing.assert_allclose(mean.asnumpy(), [[1.6666666], [16.666666]], rtol=1e-6)
    np.testing.assert_allclose(var.asnumpy(), [[2.8888888], [42.88889]], rtol=1e-6)
    y = ops.LayerNorm(begin_norm_axis=-1, begin_params_axis=-1, epsilon=1e-3)(Tensor(X), g, b)[0]
    np.testing.assert_allclose(y.asnumpy(), [[-0.980411, -0.39216438, 1.3725755],
                                             [-1.1706554, -0.10179603, 1.2724518]], rtol=1e-5)


def test_layernorm_params_over_fewer_axes_and_its_gradient():
    """begin_params_axis=2 past begin_norm_axis=1: gamma / beta broadcast over axis 1 (PyTorch: layer_norm
    without weights, then * gamma + beta)."""
    rng = np.random.default_rng(0)
    x, w = rng.standard_normal((2, 3, 4)).astype(np.float32), rng.standard_normal((2, 3, 4)).astype(np.float32)
    gamma, beta = rng.standard_normal(4).astype(np.float32), rng.standard_normal(4).astype(np.float32)
    ln = ops.LayerNorm(1, 2, 1e-5)

    def f(a, gm, bt):
        return (ln(a, gm, bt)[0] * Tensor(w)).sum()

    got = ops.grad(f, grad_position=(0, 1, 2))(Tensor(x), Tensor(gamma), Tensor(beta))
    tx, tg, tb = (torch.tensor(v, requires_grad=True) for v in (x, gamma, beta))
    ref = torch.nn.functional.layer_norm(tx, (3, 4), eps=1e-5) * tg + tb
    (ref * torch.tensor(w)).sum().backward()
    for a, t in zip(got, (tx, tg, tb)):
        np.testing.assert_allclose(a.asnumpy(), t.grad.numpy(), rtol=1e-4, atol=1e-5)


def test_pad_and_Pad():
    x = Tensor(X)
    np.testing.assert_array_equal(ops.Pad(((1, 0), (0, 2)))(x).asnumpy(),
                                  [[0, 0, 0, 0, 0], [0, 1, 4, 0, 0], [9, 16, 25, 0, 0]])
    np.testing.assert_array_equal(ops.pad(x, (1, 2)).asnumpy(), [[0, 0, 1, 4, 0, 0], [0, 9, 16, 25, 0, 0]])
    np.testing.assert_array_equal(ops.pad(x, (1, 2, 0, 1), value=3.0).asnumpy(),
                                  [[3, 0, 1, 4, 3, 3], [3, 9, 16, 25, 3, 3], [3, 3, 3, 3, 3, 3]])
    np.testing.assert_array_equal(ops.pad(x, (1, 1), mode="reflect").asnumpy(), [[1, 0, 1, 4, 1], [16, 9, 16, 25, 16]])
    np.testing.assert_array_equal(ops.pad(x, (1, 1), mode="replicate").asnumpy(), [[0, 0, 1, 4, 4], [9, 9, 16, 25, 25]])
    np.testing.assert_array_equal(ops.pad(x, (-1, 1)).asnumpy(), [[1, 4, 0], [16, 25, 0]])
    np.testing.assert_array_equal(ops.pad(x, (1, 1), mode="circular").asnumpy(), [[4, 0, 1, 4, 0], [25, 9, 16, 25, 9]])
    with pytest.raises(ValueError, match="'wrap' is not supported"):
        ops.pad(x, (1, 1), mode="wrap")


def test_pad_gradient_routes_to_the_kept_elements():
    w = np.arange(12, dtype=np.float32).reshape(3, 4)
    g = ops.grad(lambda a: (ops.Pad(((1, 0), (0, 1)))(a) * Tensor(w)).sum())(Tensor(X)).asnumpy()
    np.testing.assert_array_equal(g, w[1:, :3])   # the window the input lands in


def test_argmax_argmin_index_dtypes_and_flattening():
    x = Tensor(X)
    assert ops.Argmax()(x).dtype == ms.int32 and ops.Argmin()(x).dtype == ms.int32
    assert ops.Argmin(output_type=ms.int64)(x).dtype == ms.int64
    assert ops.argmax(x).dtype == ms.int64 and x.argmax().dtype == ms.int64
    assert ops.argmin(x).dtype == ms.int32 and x.argmin().dtype == ms.int32
    assert int(ops.argmax(x)) == 5 and int(ops.argmin(x)) == 0    # None: of the flattened
    np.testing.assert_array_equal(ops.Argmax(axis=0)(x).asnumpy(), [1, 1, 1])
    np.testing.assert_array_equal(ops.argmin(x, 1, keepdims=True).asnumpy(), [[0], [0]])


def test_hsigmoid_rounds_as_mindspore():
    y = ops.HSigmoid()(Tensor(np.array([-1, -2, 0, 2, 1], np.float32))).asnumpy()
    np.testing.assert_array_equal(y, np.array([0.33333334, 0.16666667, 0.5, 0.8333333, 0.6666667], np.float32))

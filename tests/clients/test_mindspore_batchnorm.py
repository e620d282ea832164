"""MindSpore's batch-norm spellings: ops.BatchNorm(...)(x, scale, bias, mean, variance) gives five
outputs (y first), ops.batch_norm takes (x, running_mean, running_var, weight, bias). Expected
values from NumPy by the documented formula y = (x - mean) / sqrt(var + eps) * scale + bias, and
gradients by central finite differences in float64."""
import numpy as np
import pytest

from gradserve import Tensor, ops

RNG = np.random.default_rng(7)
X = RNG.standard_normal((3, 2, 4))
SCALE, BIAS = np.array([1.5, -0.5]), np.array([0.25, 2.0])
MEAN, VAR = np.array([0.3, -1.0]), np.array([2.0, 0.5])
W = RNG.standard_normal((3, 2, 4))   # a cotangent: loss = sum(y * W)
EPS = 1e-5


def ref(x, mean, var):
    c = (1, -1, 1)
    return (x - mean.reshape(c)) / np.sqrt(var.reshape(c) + EPS) * SCALE.reshape(c) + BIAS.reshape(c)


def batch_stats(x):
    return x.mean((0, 2)), x.var((0, 2))   # biased variance


def fd_grad(f, x, h=1e-6):
    g = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        d = np.zeros_like(x)
        d[i] = h
        g[i] = (f(x + d) - f(x - d)) / (2 * h)
    return g


@pytest.mark.parametrize("training", [False, True])
def test_five_outputs(on_real_server, training):
    outs = ops.BatchNorm(is_training=training)(Tensor(X), Tensor(SCALE), Tensor(BIAS), Tensor(MEAN), Tensor(VAR))
    assert isinstance(outs, tuple) and len(outs) == 5
    m, v = batch_stats(X) if training else (MEAN, VAR)
    np.testing.assert_allclose(outs[0].asnumpy(), ref(X, m, v), rtol=1e-10)
    for got, want in zip(outs[1:], (m, v, m, v)):
        np.testing.assert_allclose(got.asnumpy(), want, rtol=1e-10)


@pytest.mark.parametrize("training", [False, True])
def test_gradient_of_output_zero(on_real_server, training):
    bn = ops.BatchNorm(is_training=training)

    def loss(x):
        outs = bn(x, Tensor(SCALE), Tensor(BIAS), Tensor(MEAN), Tensor(VAR))
        return ops.sum(outs[0] * Tensor(W)) + ops.sum(outs[1]) * 10.0   # the statistics pass no gradient

    def ref_loss(x):
        m, v = batch_stats(x) if training else (MEAN, VAR)
        return float((ref(x, m, v) * W).sum())

    np.testing.assert_allclose(ops.grad(loss)(Tensor(X)).asnumpy(), fd_grad(ref_loss, X), rtol=1e-5, atol=1e-7)


def test_functional_takes_mindspore_order(on_real_server):
    y = ops.batch_norm(Tensor(X), Tensor(MEAN), Tensor(VAR), Tensor(SCALE), Tensor(BIAS))
    np.testing.assert_allclose(y.asnumpy(), ref(X, MEAN, VAR), rtol=1e-10)
    yt = ops.batch_norm(Tensor(X), Tensor(MEAN), Tensor(VAR), Tensor(SCALE), Tensor(BIAS), training=True)
    np.testing.assert_allclose(yt.asnumpy(), ref(X, *batch_stats(X)), rtol=1e-10)
    plain = ops.batch_norm(Tensor(X), Tensor(MEAN), Tensor(VAR), None, None)
    np.testing.assert_allclose(plain.asnumpy(), (X - MEAN.reshape(1, -1, 1)) / np.sqrt(VAR.reshape(1, -1, 1) + EPS),
                               rtol=1e-10)


def test_nhwc_is_refused():
    with pytest.raises(ValueError, match="NHWC"):
        ops.BatchNorm(data_format="NHWC")

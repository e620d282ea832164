"""nn.Identity / ReLU6 / Softmin / Softsign / SoftShrink / Threshold / Unflatten / GLU, nn.BCELoss /
BCEWithLogitsLoss / HuberLoss / MAELoss / RMSELoss and ops.glu / huber_loss / threshold: values against NumPy
formulas, a gradient against finite differences."""
import numpy as np
import pytest

from gradserve import Tensor, nn, ops

X = np.array([[-7.0, -0.3, 0.0, 0.2], [0.6, 1.5, 6.5, 9.0]], np.float32)
Y = np.array([[-6.0, 0.1, 0.0, 1.7], [0.6, -1.5, 4.0, 8.5]], np.float32)


def sigmoid(v):
    return 1 / (1 + np.exp(-v))


@pytest.mark.parametrize("cell, expected", [
    (lambda: nn.Identity(3, key="ignored"), X),
    (lambda: nn.ReLU6(), np.clip(X, 0, 6)),
    (lambda: nn.Softmin(axis=-1), np.exp(-X) / np.exp(-X).sum(-1, keepdims=True)),
    (lambda: nn.Softsign(), X / (1 + np.abs(X))),
    (lambda: nn.SoftShrink(0.5), np.where(X > 0.5, X - 0.5, np.where(X < -0.5, X + 0.5, 0))),
    (lambda: nn.Threshold(0.1, 20.0), np.where(X > 0.1, X, 20.0)),
    (lambda: nn.GLU(axis=1), X[:, :2] * sigmoid(X[:, 2:])),
    (lambda: nn.Unflatten(1, (2, 2)), X.reshape(2, 2, 2)),
])
def test_simple_cells(fake, cell, expected):
    np.testing.assert_allclose(cell()(Tensor(X)).asnumpy(), expected, rtol=1e-6, atol=1e-7)


def test_losses(fake):
    d = np.abs(X - Y)
    huber = np.where(d < 1.0, 0.5 * d ** 2, 1.0 * (d - 0.5))
    np.testing.assert_allclose(nn.HuberLoss()(Tensor(X), Tensor(Y)).asnumpy(), huber.mean(), rtol=1e-6)
    np.testing.assert_allclose(ops.huber_loss(Tensor(X), Tensor(Y), "none", 2.0).asnumpy(),
                               np.where(d < 2.0, 0.5 * d ** 2, 2.0 * (d - 1.0)), rtol=1e-6)
    np.testing.assert_allclose(nn.MAELoss(reduction="sum")(Tensor(X), Tensor(Y)).asnumpy(), d.sum(), rtol=1e-6)
    np.testing.assert_allclose(nn.RMSELoss()(Tensor(X), Tensor(Y)).asnumpy(), np.sqrt((d ** 2).mean()), rtol=1e-6)
    p, t = sigmoid(X), (Y > 0).astype(np.float32)
    bce = -(t * np.log(p) + (1 - t) * np.log(1 - p))
    np.testing.assert_allclose(nn.BCELoss(reduction="none")(Tensor(p), Tensor(t)).asnumpy(), bce, rtol=1e-4)
    np.testing.assert_allclose(nn.BCEWithLogitsLoss()(Tensor(X), Tensor(t)).asnumpy(), bce.mean(), rtol=1e-5)


def test_huber_gradient_against_finite_differences(fake):
    x, y = X.astype(np.float64).ravel()[:4], Y.astype(np.float64).ravel()[:4]
    got = ops.grad(lambda a: ops.huber_loss(a, Tensor(y), "sum"))(Tensor(x)).asnumpy()

    def f(v):
        d = np.abs(v - y)
        return np.where(d < 1.0, 0.5 * d ** 2, d - 0.5).sum()
    fd = [(f(x + h) - f(x - h)) / 2e-6 for h in np.eye(4) * 1e-6]
    np.testing.assert_allclose(got, fd, rtol=1e-5, atol=1e-6)


def test_glu_refuses_an_odd_axis(fake):
    with pytest.raises(ValueError, match="must be divisible by output_num = 2"):  # (MindSpore 2.10's text)
        ops.glu(Tensor(np.ones((2, 3), np.float32)))

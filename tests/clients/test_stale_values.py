"""Stale values (review39): after set_data (same shape and another), ops.assign / assign_add, item assignment
into a Parameter, optimizer steps and set_data after them, every following call (PyNative and GRAPH_MODE: the Cell,
grad, value_and_grad, jit, TrainOneStepCell) uses the new values; a PyNative retrace with two equal-shaped
Parameters swapped between attributes is not taken for the last registration. Expected values: NumPy by hand
(d/dx sum(x @ w) = 1 w^T, d/dw = x^T 1; SGD w - lr x^T 1)."""
import numpy as np
import pytest
import gradserve as ms
from gradserve import Parameter, Tensor, nn, ops, context

pytestmark = pytest.mark.usefixtures("on_real_server")
RNG = np.random.default_rng(0)
X = RNG.standard_normal((2, 3)).astype(np.float32)


class Lin(nn.Cell):
    def __init__(self, w):
        super().__init__()
        self.w = Parameter(Tensor(w), name="w")

    def construct(self, x):
        return ops.matmul(x, self.w).sum()


class Two(nn.Cell):
    def __init__(self, a, b):
        super().__init__()
        self.a = Parameter(Tensor(a), name="a")
        self.b = Parameter(Tensor(b), name="b")

    def construct(self, x):
        return (x * self.a).sum() + 3.0 * (x * self.b).sum()


@pytest.fixture(params=["py", "graph"])
def mode(request):
    old = context.get_context("mode")
    context.set_context(mode=context.PYNATIVE_MODE if request.param == "py" else context.GRAPH_MODE)
    yield request.param
    context.set_context(mode=old)


def check(net, w, x=X):
    want = float((x @ w).sum())
    assert float(net(Tensor(x)).asnumpy()) == pytest.approx(want, rel=1e-5)
    g = ops.grad(net, grad_position=0, weights=net.trainable_params())
    gx, (gw,) = g(Tensor(x))
    np.testing.assert_allclose(gx.asnumpy(), np.ones((x.shape[0], w.shape[1])) @ w.T, rtol=1e-5)
    np.testing.assert_allclose(gw.asnumpy(), x.T @ np.ones((x.shape[0], w.shape[1])), rtol=1e-5)
    v, (gx2, (gw2,)) = ops.value_and_grad(net, grad_position=0, weights=net.trainable_params())(Tensor(x))
    assert float(v.asnumpy()) == pytest.approx(want, rel=1e-5)
    np.testing.assert_allclose(gx2.asnumpy(), gx.asnumpy(), rtol=1e-6)
    jf = ms.jit(lambda t: net(t))
    assert float(jf(Tensor(x)).asnumpy()) == pytest.approx(want, rel=1e-5)


def test_set_data_same_and_new_shape(mode):
    w0 = RNG.standard_normal((3, 4)).astype(np.float32)
    net = Lin(w0)
    for _ in range(2):
        check(net, w0)
    w1 = w0 * 2 - 1
    net.w.set_data(Tensor(w1))
    for _ in range(2):
        check(net, w1)
    w2 = RNG.standard_normal((3, 5)).astype(np.float32)
    net.w.set_data(Tensor(w2))
    for _ in range(2):
        check(net, w2)
    w3 = RNG.standard_normal((3, 5)).astype(np.float32)
    net.w.set_data(Tensor(w3))
    check(net, w3)
    net.w.set_data(Tensor(w0))
    check(net, w0)


def test_assign_and_inplace(mode):
    w0 = RNG.standard_normal((3, 4)).astype(np.float32)
    net = Lin(w0)
    check(net, w0)
    w1 = w0 + 5
    ops.assign(net.w, Tensor(w1))
    check(net, w1)
    ops.assign_add(net.w, Tensor(np.ones_like(w0)))
    check(net, w1 + 1)
    net.w[0, 0] = 7.0
    w2 = w1 + 1
    w2[0, 0] = 7.0
    check(net, w2)


@pytest.mark.parametrize("mode", ["py"], indirect=True)
def test_swapped_parameters_between_pynative_retraces(mode):
    a0 = RNG.standard_normal(3).astype(np.float32)
    b0 = RNG.standard_normal(3).astype(np.float32)
    net = Two(a0, b0)
    x = RNG.standard_normal(3).astype(np.float32)
    for _ in range(2):
        assert float(net(Tensor(x)).asnumpy()) == pytest.approx(float(x @ a0 + 3 * x @ b0), rel=1e-5)
    net.a, net.b = net.b, net.a
    for _ in range(2):
        assert float(net(Tensor(x)).asnumpy()) == pytest.approx(float(x @ b0 + 3 * x @ a0), rel=1e-5)


def test_train_step_then_set_data(mode):
    w0 = RNG.standard_normal((3, 4)).astype(np.float32)
    net = Lin(w0)
    opt = nn.SGD(net.trainable_params(), learning_rate=0.1)
    step = nn.TrainOneStepCell(net, opt)
    w = w0.copy()
    for _ in range(3):
        loss = step(Tensor(X))
        assert float(loss.asnumpy()) == pytest.approx(float((X @ w).sum()), rel=1e-5)
        w = w - 0.1 * (X.T @ np.ones((2, 4)))
        np.testing.assert_allclose(net.w.asnumpy(), w, rtol=1e-5)
    check(net, w)
    w5 = RNG.standard_normal((3, 4)).astype(np.float32)
    net.w.set_data(Tensor(w5))
    loss = step(Tensor(X))
    assert float(loss.asnumpy()) == pytest.approx(float((X @ w5).sum()), rel=1e-5)
    w6 = RNG.standard_normal((3, 6)).astype(np.float32)
    net.w.set_data(Tensor(w6))
    loss = step(Tensor(X))
    assert float(loss.asnumpy()) == pytest.approx(float((X @ w6).sum()), rel=1e-5)
    np.testing.assert_allclose(net.w.asnumpy(), w6 - 0.1 * (X.T @ np.ones((2, 6))), rtol=1e-5)

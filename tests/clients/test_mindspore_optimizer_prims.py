"""MindSpore's in-place optimizer primitives ApplyProximalGradientDescent, ApplyAdagradDA, SparseApplyRMSProp, and
nn.SGD's momentum buffers (`accum`), step by step.

Expected values are MindSpore 2.10's (CPU, PyNative), run for this task in its own venv, unless a line says
otherwise: the outputs and the Parameters after the update.
"""
import numpy as np
import pytest

import gradserve as gs
from gradserve import Parameter, Tensor, context, nn, ops
from gradserve.ops import operations as P

VAR = np.array([[0.5, -0.2, 0.05], [1.0, 0.3, -0.7]], np.float32)
DELTA = np.array([[0.3, -0.6, 0.2], [0.1, 0.9, -0.4]], np.float32)


class ProxNet(nn.Cell):
    def __init__(self, alpha, l1, l2):
        super().__init__()
        self.var = Parameter(Tensor(VAR), name="var")
        self.alpha, self.l1, self.l2 = alpha, l1, l2
        self.op = P.ApplyProximalGradientDescent()

    def construct(self, delta):
        return self.op(self.var, self.alpha, self.l1, self.l2, delta)


@pytest.mark.parametrize("mode", [context.GRAPH_MODE, context.PYNATIVE_MODE])
def test_proximal_gradient_descent_with_l1_shrinks_to_zero(on_real_server, mode):
    context.set_context(mode=mode)
    net = ProxNet(0.1, 0.5, 0.2)
    out = net(Tensor(DELTA)).asnumpy()
    ms = np.array([[0.4117647, -0.0882353, 0.0], [0.92156863, 0.15686275, -0.5980392]], np.float32)
    np.testing.assert_allclose(out, ms, rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(net.var.asnumpy(), ms, rtol=1e-6, atol=1e-7)  # the Parameter itself updated


def test_proximal_gradient_descent_tensor_hyperparameters_without_l1(on_real_server):
    var = Parameter(Tensor(VAR), name="var")
    f32 = gs.float32
    out = P.ApplyProximalGradientDescent()(var, Tensor(0.1, f32), Tensor(0.0, f32), Tensor(0.3, f32), Tensor(DELTA))
    ms = np.array([[0.4563107, -0.13592233, 0.029126214], [0.9611651, 0.20388351, -0.6407767]], np.float32)
    np.testing.assert_allclose(out.asnumpy(), ms, rtol=1e-6)


def test_adagrad_da_updates_var_and_both_accumulators(on_real_server):
    var = Parameter(Tensor(VAR), name="var")
    acc = Parameter(Tensor(np.array([[0.1, -0.3, 0.0], [0.2, 0.5, -0.1]], np.float32)), name="acc")
    sq = Parameter(Tensor(np.array([[0.2, 0.1, 0.3], [0.1, 0.2, 0.4]], np.float32)), name="sq")
    f32 = gs.float32
    out = P.ApplyAdagradDA()(var, acc, sq, Tensor(DELTA), Tensor(0.01, f32), Tensor(0.05, f32), Tensor(0.02, f32),
                             Tensor(3, gs.int32))
    # where the accumulator is >= 0: MindSpore 2.10's values. Where it is negative ([0, 1] and [1, 2]) the
    # documented rule, sign(acc) max(|acc| - l1 step, 0), by hand in NumPy: MindSpore 2.10's CPU kernel gives
    # 0.015467723 and 0.008679031 there (acc - l1 step, not the shrink its documentation states)
    new_acc = np.array([[0.4, -0.9, 0.2], [0.3, 1.4, -0.5]])
    documented = -0.01 * np.sign(new_acc) * np.maximum(np.abs(new_acc) - 0.05 * 3, 0) / \
        (0.02 * 3 * 0.01 + np.sqrt([[0.29, 0.46, 0.34], [0.11, 1.01, 0.56]]))
    ms = np.array([[-0.004637217, documented[0, 1], -0.000856611], [-0.004514503, -0.012430543, documented[1, 2]]])
    np.testing.assert_allclose(out.asnumpy(), ms, rtol=2e-6)
    np.testing.assert_allclose(acc.asnumpy(), [[0.4, -0.9, 0.2], [0.3, 1.4, -0.5]], rtol=1e-6)
    np.testing.assert_allclose(sq.asnumpy(), [[0.29, 0.46, 0.34], [0.11, 1.01, 0.56]], rtol=1e-6)


class RMSNet(nn.Cell):
    def __init__(self, dtype):
        super().__init__()
        self.op = P.SparseApplyRMSProp(0.6, 0.3, 1e-5)
        self.var = Parameter(Tensor(np.array([[0.6, 0.3], [0.1, 0.5], [0.7, 0.2]]), dtype), name="var")
        self.ms = Parameter(Tensor(np.array([[0.2, 0.4], [0.1, 0.3], [0.5, 0.5]]), dtype), name="ms")
        self.mom = Parameter(Tensor(np.array([[0.3, 0.1], [0.3, 0.6], [0.1, 0.1]]), dtype), name="mom")

    def construct(self, lr, grad, indices):
        return self.op(self.var, self.ms, self.mom, lr, grad, indices)


# rows in a permuted order; zero gradients keep their ms (MindSpore 2.10's CPU kernel) while mom still decays
RMS_GRAD = np.array([[0.0, 0.5], [0.3, 0.0], [1.5, -2.0]])
RMS_MS = {
    "float32": ([[0.4720235, 0.27], [-0.066546164, 0.39495295], [0.66999996, 0.13047203]],
                [[0.156, 0.4], [0.96, 1.78], [0.5, 0.4]],
                [[0.12797652, 0.030000001], [0.16654617, 0.10504705], [0.030000001, 0.069527976]]),
    "float16": ([[0.4722, 0.27], [-0.0665, 0.395], [0.6704, 0.1304]],
                [[0.156, 0.4], [0.96, 1.78], [0.5, 0.4]],
                [[0.1279, 0.03], [0.1665, 0.1051], [0.03, 0.0695]]),
}


@pytest.mark.parametrize("dtype", ["float32", "float16"])
def test_sparse_apply_rms_prop(on_real_server, dtype):
    dt = getattr(gs, dtype)
    net = RMSNet(dt)
    out = net(Tensor(0.05, dt), Tensor(RMS_GRAD, dt), Tensor(np.array([2, 0, 1], np.int32)))
    for got, param, want in zip(out, (net.var, net.ms, net.mom), RMS_MS[dtype]):
        want = np.array(want, dtype)
        assert got.asnumpy().dtype == want.dtype
        # float16: MindSpore's own rounding (each of ms, mom, var rounded once) is matched exactly
        np.testing.assert_array_equal(got.asnumpy(), want) if dtype == "float16" else \
            np.testing.assert_allclose(got.asnumpy(), want, rtol=1e-6)
        np.testing.assert_array_equal(param.asnumpy(), got.asnumpy())


def test_sparse_apply_rms_prop_refuses_repeated_rows(on_real_server):
    net = RMSNet(gs.float32)
    with pytest.raises(ValueError, match="repeat a row"):
        net.op(net.var, net.ms, net.mom, 0.05, Tensor(RMS_GRAD, gs.float32), Tensor(np.array([1, 1, 0], np.int32)))


class Lin(nn.Cell):
    def __init__(self):
        super().__init__()
        self.w = Parameter(Tensor(np.array([[0.5, -0.3], [0.2, 0.1]], np.float32)), name="w")
        self.b = Parameter(Tensor(np.array([0.1, -0.2], np.float32)), name="b")

    def construct(self, x):
        return ops.matmul(x, self.w) + self.b


def test_sgd_accum_is_the_momentum_buffer(on_real_server):
    net = Lin()
    opt = nn.SGD(net.trainable_params(), learning_rate=0.1, momentum=0.1, dampening=0.3, weight_decay=0.1)
    x = Tensor(np.array([[1.0, 2.0], [-1.0, 0.5]], np.float32))
    step = gs.value_and_grad(lambda x: (net(x) ** 2).sum(), None, opt.parameters)
    np.testing.assert_array_equal(opt.accum[0].asnumpy(), np.zeros((2, 2), np.float32))  # before any step
    ms = [  # accum[0], accum[1], w, b after each of three steps
        ([[2.65, -0.93], [3.72, -1.04]], [1.41, -0.32], [[0.235, -0.207], [-0.172, 0.204]], [-0.041, -0.168]),
        ([[0.57825, -0.25869], [-0.31344, 0.10138006]], [-0.57867, 0.19984005],
         [[0.177175, -0.181131], [-0.140656, 0.193862]], [0.016867, -0.187984]),
        ([[0.27093965, -0.13860479], [-0.44699115, 0.13886815]], [-0.50175476, 0.15898694],
         [[0.15008105, -0.16727053], [-0.09595689, 0.1799752]], [0.06704248, -0.2038827]),
    ]
    for a0, a1, w, b in ms:
        _, g = step(x)
        opt(g)
        for got, want in zip((opt.accum[0], opt.accum[1], net.w, net.b), (a0, a1, w, b)):
            np.testing.assert_allclose(got.asnumpy(), want, rtol=2e-5, atol=1e-6)


# three steps of each on Lin's squared output; the Parameters after them (MindSpore 2.10, CPU, PyNative)
OPTIMIZERS = {
    "adagrad": (lambda p: nn.Adagrad(p, accum=0.1, learning_rate=0.05, weight_decay=0.01),
                [[0.39243236, -0.20940453], [0.09688255, 0.16960244]], [0.00490726, -0.18636407]),
    "rmsprop": (lambda p: nn.RMSProp(p, learning_rate=0.05, decay=0.8, momentum=0.3, epsilon=1e-6),
                [[0.2527612, -0.17976871], [-0.03987258, 0.19512612]], [-0.0312324, -0.19430992]),
    "rmsprop_centered": (lambda p: nn.RMSProp(p, learning_rate=0.05, decay=0.8, momentum=0.0, epsilon=1e-6,
                                              centered=True, weight_decay=0.1),
                         [[0.27520457, -0.19517991], [-0.01480976, 0.17834401]], [-0.00649006, -0.19101644]),
}


@pytest.mark.parametrize("name", list(OPTIMIZERS))
def test_adagrad_and_rmsprop_three_steps(on_real_server, name):
    make, w, b = OPTIMIZERS[name]
    net = Lin()
    opt = make(net.trainable_params())
    x = Tensor(np.array([[1.0, 2.0], [-1.0, 0.5]], np.float32))
    step = gs.value_and_grad(lambda x: (net(x) ** 2).sum(), None, opt.parameters)
    for _ in range(3):
        opt(step(x)[1])
    np.testing.assert_allclose(net.w.asnumpy(), w, rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(net.b.asnumpy(), b, rtol=1e-5, atol=1e-7)
    if name == "adagrad":
        assert len(opt.accum) == 2 and (opt.accum[0].asnumpy() > 0.1).all()  # 0.1 + the squared gradients


class ProxAdagradNet(nn.Cell):
    def __init__(self, var, accum):
        super().__init__()
        self.var = Parameter(Tensor(np.array(var, np.float32)), name="var")
        self.accum = Parameter(Tensor(np.array(accum, np.float32)), name="accum")
        self.op = P.ApplyProximalAdagrad()

    def construct(self, lr, l1, l2, grad):
        return self.op(self.var, self.accum, lr, l1, l2, grad)


@pytest.mark.parametrize("mode", [context.GRAPH_MODE, context.PYNATIVE_MODE])
def test_proximal_adagrad_shrinks_by_the_adaptive_rate(on_real_server, mode):
    # MindSpore 2.10 (its kernel, not its documentation's lr): shrink and l2 take lr / sqrt(accum)
    context.set_context(mode=mode)
    net = ProxAdagradNet([0.1, -0.5, 2.0], [0.2, 0.3, 0.1])
    var, accum = net(0.05, 0.3, 0.7, Tensor(np.array([0.1, -0.4, 1.5], np.float32)))
    np.testing.assert_allclose(var.asnumpy(), [5.23575433e-02, -4.26391542e-01, 1.89795744e+00], rtol=1e-6)
    np.testing.assert_allclose(accum.asnumpy(), [0.21, 0.46, 2.35], rtol=1e-6)
    np.testing.assert_allclose(net.var.asnumpy(), var.asnumpy())  # the Parameters themselves updated
    np.testing.assert_allclose(net.accum.asnumpy(), accum.asnumpy())


def test_proximal_adagrad_tensor_l1(on_real_server):
    net = ProxAdagradNet([0.1], [0.2])
    var, _ = net(Tensor(np.float32(0.02)), Tensor(np.float32(0.1)), 0.0, Tensor(np.array([0.1], np.float32)))
    np.testing.assert_allclose(var.asnumpy(), [9.12712887e-02], rtol=1e-6)  # MindSpore 2.10

"""Parameters assigned inside construct (`self.p = v`, ops.assign / assign_add, P.Assign()(p, v),
P.AssignAdd()): the update lands in the Parameter after the call, in graph and PyNative mode and when
the call is a derivative of the net; no derivative reaches the assigned value, and each read of the
Parameter passes its gradient to the Parameter itself (MindSpore's Load).

Every expected number below was printed by MindSpore 2.10 (CPU, /work/wt/_msvenv) running the same
classes with `mindspore` in place of `gradserve`."""
import numpy as np
import pytest

import gradserve as ms
from gradserve import Parameter, Tensor, nn, ops
from gradserve.ops import operations as P

MODES = [ms.GRAPH_MODE, ms.PYNATIVE_MODE]
X = np.array([3.0, 4.0], np.float32)


def f32(v):
    return Tensor(np.array(v, np.float32))


def param(v, name):
    return Parameter(f32(v), name=name)


class SetAttr(nn.Cell):
    def __init__(self):
        super().__init__()
        self.p = param([1.0, 2.0], "p")

    def construct(self, x):
        self.p = x * 2
        return (self.p * x).sum()


class AssignFn(SetAttr):
    def construct(self, x):
        ops.assign(self.p, x * 2)
        return (self.p * x).sum()


class ReadBefore(SetAttr):
    def construct(self, x):
        y = (self.p * x).sum()
        ops.assign(self.p, self.p * 3)
        return y + self.p.sum()


class AssignAddPrim(SetAttr):
    def construct(self, x):
        P.AssignAdd()(self.p, x)
        return (self.p * self.p).sum()


# class -> (value, p after, d/dx, d/dp): MindSpore 2.10 graph mode, each column from a fresh net
CASES = {SetAttr: (50.0, [6, 8], [6, 8], [3, 4]),
         AssignFn: (50.0, [6, 8], [6, 8], [3, 4]),
         ReadBefore: (20.0, [3, 6], [1, 2], [4, 5]),
         AssignAddPrim: (52.0, [4, 6], [0, 0], [8, 12])}


@pytest.mark.parametrize("cls", list(CASES), ids=lambda c: c.__name__)
def test_value_gradients_and_write_back(on_real_server, cls):
    value, p_after, gx, gp = CASES[cls]
    net = cls()
    np.testing.assert_allclose(float(net(Tensor(X))), value)
    np.testing.assert_allclose(net.p.asnumpy(), p_after)
    net = cls()
    np.testing.assert_allclose(ops.grad(net)(Tensor(X)).asnumpy(), gx)
    np.testing.assert_allclose(net.p.asnumpy(), p_after)  # the derivative's forward run assigned it too
    net = cls()
    np.testing.assert_allclose(ops.grad(net, None, net.trainable_params())(Tensor(X))[0].asnumpy(), gp)
    np.testing.assert_allclose(net.p.asnumpy(), p_after)


@pytest.mark.parametrize("cls", [SetAttr, AssignFn, AssignAddPrim], ids=lambda c: c.__name__)
def test_pynative_mode_writes_back_too(on_real_server, cls):
    ms.set_context(mode=ms.PYNATIVE_MODE)
    value, p_after, gx, gp = CASES[cls]  # MindSpore 2.10 PyNative prints the same numbers for these
    net = cls()
    np.testing.assert_allclose(float(net(Tensor(X))), value)
    np.testing.assert_allclose(net.p.asnumpy(), p_after)
    net = cls()
    np.testing.assert_allclose(ops.grad(net, None, net.trainable_params())(Tensor(X))[0].asnumpy(), gp)
    np.testing.assert_allclose(net.p.asnumpy(), p_after)


class Step(nn.Cell):
    def __init__(self):
        super().__init__()
        self.p = param([1.0, 2.0], "p")
        self.c = Parameter(Tensor(np.array(0.0, np.float32)), name="c", requires_grad=False)

    def construct(self, x):
        self.p = self.p + 1
        ops.assign_add(self.c, Tensor(1.0, ms.float32))
        return (x * self.p).sum()


@pytest.mark.parametrize("mode", MODES)
def test_every_call_updates_again(on_real_server, mode):
    """Repeated calls (the cached graph in graph mode) and derivative calls each run the update once."""
    ms.set_context(mode=mode)
    net, x = Step(), Tensor(X)
    assert float(net(x)) == 18.0
    assert (net.p.asnumpy().tolist(), float(net.c.asnumpy())) == ([2, 3], 1.0)
    np.testing.assert_allclose(ops.grad(net)(x).asnumpy(), [3, 4])
    assert (net.p.asnumpy().tolist(), float(net.c.asnumpy())) == ([3, 4], 2.0)
    g = ops.GradOperation(get_by_list=True)(net, net.trainable_params())(x)
    np.testing.assert_allclose(g[0].asnumpy(), [3, 4])
    assert (net.p.asnumpy().tolist(), float(net.c.asnumpy())) == ([4, 5], 3.0)
    v, g = ops.value_and_grad(net, None, net.trainable_params())(x)
    np.testing.assert_allclose([float(v), *g[0].asnumpy()], [39, 3, 4])
    assert (net.p.asnumpy().tolist(), float(net.c.asnumpy())) == ([5, 6], 4.0)
    assert float(net(x)) == 46.0  # 3 * 6 + 4 * 7
    assert net.p.asnumpy().tolist() == [6, 7]


class Inner(nn.Cell):
    def __init__(self):
        super().__init__()
        self.step = Parameter(Tensor(np.array(0, np.int32)), name="step", requires_grad=False)
        self.add = P.AssignAdd()

    def construct(self, x):
        self.add(self.step, Tensor(np.array(1, np.int32)))
        return x * 2


class Outer(nn.Cell):
    def __init__(self):
        super().__init__()
        self.inner = Inner()
        self.p = param([1.0, 2.0], "p")
        self.assign = P.Assign()

    def construct(self, x):
        y = self.inner(x)
        self.assign(self.p, self.p * y)
        return self.p, y.sum()


def test_sub_cell_counter_sens_and_value_and_grad(on_real_server):
    """An int32 step counter in a sub-cell, the assigned value returned, sens_param, value_and_grad."""
    net, x = Outer(), f32([0.5, 3.0])
    p, s = net(x)
    np.testing.assert_allclose([*p.asnumpy(), float(s)], [1, 12, 7])
    assert (net.p.asnumpy().tolist(), int(net.inner.step.asnumpy())) == ([1, 12], 1)
    p, _ = net(x)
    np.testing.assert_allclose(p.asnumpy(), [1, 72])
    assert (net.p.asnumpy().tolist(), int(net.inner.step.asnumpy())) == ([1, 72], 2)
    g = ops.GradOperation(get_all=True, sens_param=True)(net)(x, (f32([1.0, 1.0]), f32(2.0)))
    np.testing.assert_allclose(g[0].asnumpy(), [4, 4])
    assert (net.p.asnumpy().tolist(), int(net.inner.step.asnumpy())) == ([1, 432], 3)
    v, (gx, (gp,)) = ops.value_and_grad(net, 0, net.trainable_params())(x)
    np.testing.assert_allclose([*v[0].asnumpy(), float(v[1]), *gx.asnumpy(), *gp.asnumpy()],
                               [1, 2592, 7, 2, 2, 1, 1])
    assert (net.p.asnumpy().tolist(), int(net.inner.step.asnumpy())) == ([1, 2592], 4)
    assert net.inner.step.dtype == ms.int32


class Scalar(Outer):
    def construct(self, x):
        y = self.inner(x)
        self.assign(self.p, self.p * y)
        return (self.p * y).sum()


def test_jvp_runs_the_update_once(on_real_server):
    """jvp's value and tangent are MindSpore's (15553, 2 after two calls and a gradient); MindSpore builds jvp
    as a double vjp and so runs the forward -- and the update -- twice (p = 15552, step 5 there); here once."""
    net, x = Scalar(), f32([0.5, 3.0])
    assert [float(net(x)), float(net(x))] == [73.0, 433.0]
    g = ops.GradOperation(get_all=True, sens_param=True)(net)(x, f32(2.0))
    np.testing.assert_allclose(g[0].asnumpy(), [4, 1728])
    out, tan = ops.jvp(net, x, f32([1.0, 0.0]))
    np.testing.assert_allclose([float(out), float(tan)], [15553, 2])
    assert (net.p.asnumpy().tolist(), int(net.inner.step.asnumpy())) == ([1, 2592], 4)


def test_assigned_shape_and_name_errors(on_real_server):
    class Bad(SetAttr):
        def construct(self, x):
            ops.assign(self.p, ops.ones((3,), ms.float32))
            return x

    with pytest.raises(ValueError, match=r"Parameter 'p' of shape \[2\]"):
        Bad()(Tensor(X))


def test_an_exported_graph_has_the_functions_outputs_alone():
    doc = ms.trace_graph(SetAttr(), [X])  # the graph a user sends himself: no Parameter write-back there
    assert isinstance(doc["outputs"], str)


class Sub(SetAttr):
    def __init__(self):
        super().__init__()
        self.sub = P.AssignSub()

    def construct(self, x):
        self.sub(self.p, x)
        ops.assign_sub(self.p, f32([1.0, 1.0]))
        return (self.p * x).sum()


def test_assign_sub(on_real_server):
    net, x = Sub(), Tensor(X)
    assert float(net(x)) == -21.0
    assert net.p.asnumpy().tolist() == [-3, -3]
    np.testing.assert_allclose(ops.grad(net, 0, net.trainable_params())(x)[1][0].asnumpy(), [3, 4])
    assert net.p.asnumpy().tolist() == [-7, -8]


class Lin(nn.Cell):
    def __init__(self):
        super().__init__()
        self.w = Parameter(Tensor(np.array([[0.5, -0.3], [0.2, 0.1]], np.float32)), name="w")
        self.b = param([0.1, 0.0], "b")

    def construct(self, x, y):
        d = ops.matmul(x, self.w) + self.b - y
        return (d * d).mean()


class TrainStep(nn.Cell):
    """MindSpore's hand-written training step: gradients of the weights, then ops.assign of each."""

    def __init__(self, net):
        super().__init__()
        self.net = net
        self.weights = ms.ParameterTuple(net.trainable_params())
        self.grad = ops.GradOperation(get_by_list=True)

    def construct(self, x, y):
        loss = self.net(x, y)
        grads = self.grad(self.net, self.weights)(x, y)
        for w, g in zip(self.weights, grads):
            ops.assign(w, w - 0.1 * g)
        return loss


@pytest.mark.parametrize("mode", MODES)
def test_a_training_step_that_assigns_its_weights(on_real_server, mode):
    ms.set_context(mode=mode)
    x = f32([[1.0, 2.0], [3.0, -1.0], [0.5, 0.5]])
    y = f32([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
    net = Lin()
    step = TrainStep(net)
    losses = [float(step(x, y)) for _ in range(5)]
    np.testing.assert_allclose(losses, [1.247083, 0.579878, 0.333561, 0.237247, 0.195933], rtol=2e-6)
    np.testing.assert_allclose(net.w.asnumpy(), [[0.183342, 0.18999], [0.383771, -0.047131]], rtol=1e-5)
    np.testing.assert_allclose(net.b.asnumpy(), [0.08323, 0.258237], rtol=1e-5)


class RunMax(nn.Cell):
    """A running max from -inf: the read after the assignment is the assigned value, never inf - inf."""

    def __init__(self):
        super().__init__()
        self.best = Parameter(f32([-np.inf, 1.0]), name="best", requires_grad=False)
        self.w = param([2.0, 3.0], "w")

    def construct(self, x):
        ops.assign(self.best, ops.maximum(self.best, x))
        self.w = self.w * 2
        return self.best * 2 + self.w * x


def test_a_parameter_holding_inf(on_real_server):
    net, x = RunMax(), f32([0.5, 0.25])
    np.testing.assert_allclose(net(x).asnumpy(), [3.0, 3.5])  # MindSpore 2.10
    assert (net.best.asnumpy().tolist(), net.w.asnumpy().tolist()) == ([0.5, 1.0], [4, 6])
    gx, (gw,) = ops.grad(net, 0, net.trainable_params())(x)
    np.testing.assert_allclose([*gx.asnumpy(), *gw.asnumpy()], [8, 12, 0.5, 0.25])
    assert net.w.asnumpy().tolist() == [8, 12]


class AssignReturn(SetAttr):
    def construct(self, x):
        out = ops.assign(self.p, x * 2)
        return (out * x).sum()


class AssignAddReturn(SetAttr):
    def construct(self, x):
        out = P.AssignAdd()(self.p, x * 2)
        return (out * x).sum()


@pytest.mark.parametrize("cls, value, p_after, gx, gp", [
    (AssignReturn, 50.0, [6, 8], [6, 8], [3, 4]),        # Assign's output: a Load of p
    (AssignAddReturn, 61.0, [7, 10], [13, 18], [3, 4]),  # AssignAdd's: p + 2x itself
], ids=["Assign", "AssignAdd"])
def test_what_assign_returns(on_real_server, cls, value, p_after, gx, gp):
    net = cls()  # MindSpore 2.10's numbers
    assert float(net(Tensor(X))) == value
    assert net.p.asnumpy().tolist() == p_after
    net = cls()
    g, (g_p,) = ops.grad(net, 0, net.trainable_params())(Tensor(X))
    np.testing.assert_allclose([*g.asnumpy(), *g_p.asnumpy()], gx + gp)
    assert net.p.asnumpy().tolist() == p_after

"""A Cell's Parameter attribute rebound after its first call (`net.w = Parameter(...)`, `net.a, net.b = net.b, net.a`).

Expected values: MindSpore 2.10 CPU (/work/msvenv), the same programs run in each mode (2026-12-05). In GRAPH_MODE
MindSpore reuses the graph compiled on the first call: forward, a GradOperation / value_and_grad built before, a
jit function and a TrainOneStepCell all keep computing with the OLD Parameter objects (the new one is seen only by
a graph compiled afresh: a GradOperation cell built after the rebinding). In PyNative the forward reads the new
Parameter, a grad over the old parameter list gets zeros (they are not used), and a jit function (compiled) keeps
the old one. MindSpore's documentation does not describe this; these tests pin what MindSpore does.
"""
import numpy as np
import pytest

import gradserve as ms
from gradserve import nn, ops

F32 = np.float32
GRAPH, PYNATIVE = "graph", "pynative"


def _mode(mode):
    ms.set_context(mode=ms.GRAPH_MODE if mode == GRAPH else ms.PYNATIVE_MODE)


def _x():
    return ms.Tensor(np.array([3.0, 4.0], F32))


def _new_w():
    return ms.Parameter(ms.Tensor(np.array([10.0, 20.0], F32)), name="w")


class Linear(nn.Cell):
    def __init__(self):
        super().__init__()
        self.w = ms.Parameter(ms.Tensor(np.array([1.0, 2.0], F32)), name="w")

    def construct(self, x):
        return (x * self.w).sum()


class Square(nn.Cell):
    def __init__(self):
        super().__init__()
        self.w = ms.Parameter(ms.Tensor(np.array([1.0, 2.0], F32)), name="w")

    def construct(self, x):
        return (x * self.w * self.w).sum()


class WeightGrad(nn.Cell):
    def __init__(self, net):
        super().__init__()
        self.net, self.params = net, net.trainable_params()
        self.grad = ops.GradOperation(get_by_list=True)

    def construct(self, x):
        return self.grad(self.net, self.params)(x)


class Two(nn.Cell):
    def __init__(self):
        super().__init__()
        self.a = ms.Parameter(ms.Tensor(np.array([1.0, 2.0], F32)), name="a")
        self.b = ms.Parameter(ms.Tensor(np.array([5.0, 7.0], F32)), name="b")

    def construct(self, x):
        return (x * self.a).sum() + 10 * (x * self.b).sum()


@pytest.mark.parametrize("cell, mode, before, after", [(Linear, GRAPH, 11.0, 11.0), (Linear, PYNATIVE, 11.0, 110.0),
                                                      (Square, GRAPH, 19.0, 19.0), (Square, PYNATIVE, 19.0, 1900.0)])
def test_forward_after_rebinding(fake, cell, mode, before, after):
    _mode(mode)
    net = cell()
    assert float(net(_x()).asnumpy()) == before
    net.w = _new_w()
    assert float(net(_x()).asnumpy()) == after
    np.testing.assert_array_equal(net.w.asnumpy(), [10.0, 20.0])  # the attribute is the new Parameter either way


@pytest.mark.parametrize("mode, after", [(GRAPH, [6.0, 16.0]), (PYNATIVE, [0.0, 0.0])])
def test_weight_grad_built_before_rebinding(fake, mode, after):
    _mode(mode)
    net = Square()
    grad = WeightGrad(net)
    np.testing.assert_allclose(grad(_x())[0].asnumpy(), [6.0, 16.0])
    net.w = _new_w()
    np.testing.assert_allclose(grad(_x())[0].asnumpy(), after)


@pytest.mark.parametrize("mode", [GRAPH, PYNATIVE])
def test_weight_grad_built_after_rebinding_sees_the_new_parameter(fake, mode):
    _mode(mode)
    net = Square()
    net(_x())
    net.w = _new_w()
    np.testing.assert_allclose(WeightGrad(net)(_x())[0].asnumpy(), [60.0, 160.0])  # 2 * x * w_new


@pytest.mark.parametrize("mode, value, grads", [(GRAPH, 19.0, [6.0, 16.0]), (PYNATIVE, 1900.0, [0.0, 0.0])])
def test_value_and_grad_after_rebinding(fake, mode, value, grads):
    _mode(mode)
    net = Square()
    vg = ms.value_and_grad(net, None, net.trainable_params())
    v, (g,) = vg(_x())
    assert float(v.asnumpy()) == 19.0
    np.testing.assert_allclose(g.asnumpy(), [6.0, 16.0])
    net.w = _new_w()
    v, (g,) = vg(_x())
    assert float(v.asnumpy()) == value
    np.testing.assert_allclose(g.asnumpy(), grads)


@pytest.mark.parametrize("mode, after", [(GRAPH, 441.0), (PYNATIVE, 153.0)])
def test_swapping_two_parameters(fake, mode, after):
    _mode(mode)
    net = Two()
    assert float(net(_x()).asnumpy()) == 441.0
    net.a, net.b = net.b, net.a
    assert float(net(_x()).asnumpy()) == after


@pytest.mark.parametrize("mode", [GRAPH, PYNATIVE])
def test_jit_function_keeps_the_parameter_it_compiled_with(fake, mode):
    _mode(mode)
    net = Linear()

    @ms.jit
    def f(x):
        return net(x)
    assert float(f(_x()).asnumpy()) == 11.0
    net.w = _new_w()
    assert float(f(_x()).asnumpy()) == 11.0


@pytest.mark.parametrize("mode, loss, opt_after", [(GRAPH, 1.12, [0.16, 0.08]), (PYNATIVE, 1900.0, [0.4, 0.4])])
def test_train_one_step_after_rebinding(fake, mode, loss, opt_after):
    _mode(mode)
    net = Square()
    opt = nn.SGD(net.trainable_params(), learning_rate=0.1)
    step = nn.TrainOneStepCell(net, opt)
    assert float(step(_x()).asnumpy()) == 19.0
    np.testing.assert_allclose(net.w.asnumpy(), [0.4, 0.4], rtol=1e-6)  # 1 - 0.1*6, 2 - 0.1*16
    net.w = _new_w()
    np.testing.assert_allclose(float(step(_x()).asnumpy()), loss, rtol=1e-6)
    np.testing.assert_allclose(opt.parameters[0].asnumpy(), opt_after, rtol=1e-6)
    np.testing.assert_array_equal(net.w.asnumpy(), [10.0, 20.0])  # the new Parameter is not trained

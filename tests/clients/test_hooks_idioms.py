"""Gradient hooks in common program shapes, against MindSpore 2.10 (CPU, PyNative; /work/msvenv, run for this
task: each expected value and call log below is what it printed): loops, a handle removed midway, Parameter
hooks, a CellList, recompute, sens_param, has_aux. Each value is also derived by hand in its docstring.
"""
import numpy as np
import pytest

import gradserve as ms
from gradserve import Parameter, Tensor, nn, ops

from clients._hook_cells import NestedSquares as _Outer, Power

pytestmark = pytest.mark.usefixtures("on_real_server")  # grads run on the service

XV = np.array([1.0, 2.0], np.float32)


def _recorder(seen):
    return lambda g: seen.append(g.asnumpy().tolist())


def test_hooks_registered_in_a_loop_and_one_removed_midway(pynative):
    """x doubled three times, each result hooked, in sum(x8^2) = 64 x^2: the last gets 2 x8 = 16x, the one before
    2 * 16x, then 4 * 16x; gradient 128x. With the second hook's handle removed in the loop: 16x and 64x."""
    seen = []

    def looped(x, drop=None):
        i = 0
        while i < 3:
            x = x * 2
            handle = x.register_hook(_recorder(seen))
            if i == drop:
                handle.remove()
            i += 1
        return (x * x).sum()
    np.testing.assert_allclose(ms.grad(looped)(Tensor(XV)).asnumpy(), [128.0, 256.0])
    assert seen == [[16.0, 32.0], [32.0, 64.0], [64.0, 128.0]]  # MindSpore
    seen.clear()
    np.testing.assert_allclose(ms.grad(lambda x: looped(x, drop=1))(Tensor(XV)).asnumpy(), [128.0, 256.0])
    assert seen == [[16.0, 32.0], [64.0, 128.0]]  # MindSpore


def test_an_input_hook_removed_between_calls(pynative):
    """grad(sum(x^3)) = 3x^2: the hook sees [3, 12]; removed, the next call calls nothing (MindSpore)."""
    seen = []
    x = Tensor(XV)
    handle = x.register_hook(_recorder(seen))
    f = lambda t: (t * t * t).sum()  # noqa: E731
    np.testing.assert_allclose(ms.grad(f)(x).asnumpy(), [3.0, 12.0])
    assert seen == [[3.0, 12.0]]
    handle.remove()
    np.testing.assert_allclose(ms.grad(f)(x).asnumpy(), [3.0, 12.0])
    assert seen == [[3.0, 12.0]]


def test_a_parameter_hook_sees_the_weight_gradient(pynative):
    """sum(w x w) with w = [3, 4]: d/dw = 2wx = [6, 16], d/dx = w^2 = [9, 16] (MindSpore, both grad forms)."""
    class Net(nn.Cell):
        def __init__(self):
            super().__init__()
            self.w = Parameter(Tensor(np.array([3.0, 4.0], np.float32)), name="w")

        def construct(self, x):
            return (self.w * x * self.w).sum()
    net, seen = Net(), []
    handle = net.w.register_hook(_recorder(seen))
    (gw,) = ms.grad(net, grad_position=None, weights=net.trainable_params())(Tensor(XV))
    np.testing.assert_allclose(gw.asnumpy(), [6.0, 16.0])
    assert seen == [[6.0, 16.0]]
    seen.clear()
    gx, (gw,) = ms.grad(net, grad_position=0, weights=net.trainable_params())(Tensor(XV))
    np.testing.assert_allclose(gx.asnumpy(), [9.0, 16.0])
    np.testing.assert_allclose(gw.asnumpy(), [6.0, 16.0])
    assert seen == [[6.0, 16.0]]
    handle.remove()


def test_a_backward_hook_in_a_cell_list_and_under_recompute(pynative):
    """ReLU then Tanh over a CellList, Tanh hooked: grad_output 1, grad_input 1 - tanh(x)^2 = [0.41997433,
    0.07065082] (MindSpore). Square under recompute in sum(Sq(x)^2): grad_output 2y = [2, 8], grad_input 4x^3."""
    class Stack(nn.Cell):
        def __init__(self):
            super().__init__()
            self.layers = nn.CellList([nn.ReLU(), nn.Tanh()])

        def construct(self, x):
            for layer in self.layers:
                x = layer(x)
            return x.sum()
    net, seen = Stack(), []
    net.layers[1].register_backward_hook(lambda c, gi, go: seen.append((gi[0].asnumpy(), go[0].asnumpy())))
    want = 1 - np.tanh(XV.astype(np.float64)) ** 2
    np.testing.assert_allclose(ms.grad(net)(Tensor(XV)).asnumpy(), want, rtol=1e-6)
    assert len(seen) == 1
    np.testing.assert_allclose(seen[0][0], [0.41997433, 0.07065082], rtol=1e-6)
    np.testing.assert_allclose(seen[0][1], [1.0, 1.0])

    class Recomputed(nn.Cell):
        def __init__(self):
            super().__init__()
            self.sq = Power(2)
            self.sq.recompute()

        def construct(self, x):
            return (self.sq(x) ** 2).sum()
    net2, seen2 = Recomputed(), []
    net2.sq.register_backward_hook(lambda c, gi, go: seen2.append((gi[0].asnumpy().tolist(), go[0].asnumpy().tolist())))
    np.testing.assert_allclose(ms.grad(net2)(Tensor(XV)).asnumpy(), [4.0, 32.0])
    assert seen2 == [([4.0, 32.0], [2.0, 8.0])]


def test_hooks_with_sens_param_and_has_aux(pynative):
    """3y, y = x^2 hooked, under a sens [1, 10]: y gets [3, 30], x 2x [3, 30] = [6, 120]. sum(y y) with y as aux:
    the hook sees 2y = [2, 8] once, the gradient 4x^3, the aux y (MindSpore, grad and value_and_grad)."""
    seen = []

    def scaled(x):
        y = x ** 2
        y.register_hook(_recorder(seen))
        return y * 3
    got = ops.GradOperation(sens_param=True)(scaled)(Tensor(XV), Tensor(np.array([1.0, 10.0], np.float32)))
    np.testing.assert_allclose(got.asnumpy(), [6.0, 120.0])
    assert seen == [[3.0, 30.0]]
    seen.clear()

    def with_aux(x):
        y = x ** 2
        y.register_hook(_recorder(seen))
        return (y * y).sum(), y
    g, (aux,) = ms.grad(with_aux, has_aux=True)(Tensor(XV))
    np.testing.assert_allclose(g.asnumpy(), [4.0, 32.0])
    np.testing.assert_allclose(aux.asnumpy(), [1.0, 4.0])
    assert seen == [[2.0, 8.0]]
    seen.clear()
    (value, aux), g = ms.value_and_grad(with_aux, has_aux=True)(Tensor(XV))
    np.testing.assert_allclose(value.asnumpy(), 17.0)
    np.testing.assert_allclose(g.asnumpy(), [4.0, 32.0])
    assert seen == [[2.0, 8.0]]


def _cell_recorder(seen, tag):
    return lambda c, gi, go: seen.append((tag, gi[0].asnumpy().tolist(), go[0].asnumpy().tolist()))


def test_backward_hooks_of_nested_cells_each_read_their_gradients(pynative):
    """Outer(x) = sum(Mid(x)^2), Mid(a) = 2 Inner(a), Inner(a) = a^2: Mid's grad_output 2m = 4x^2 = [4, 16],
    Inner's 2 * that = [8, 32], both grad_inputs 16x^3 = [16, 128]; MindSpore calls Inner's hook, then Mid's. In a
    grad of a grad the second pass brings Mid 8x = [8, 16], Inner [16, 32], and both inputs 48x^2 (MindSpore)."""
    net, seen = _Outer(), []
    net.m.i.register_backward_hook(_cell_recorder(seen, "i"))
    net.m.register_backward_hook(_cell_recorder(seen, "m"))
    np.testing.assert_allclose(ms.grad(net)(Tensor(XV)).asnumpy(), [16.0, 128.0])
    assert seen == [("i", [16.0, 128.0], [8.0, 32.0]), ("m", [16.0, 128.0], [4.0, 16.0])]
    seen.clear()
    np.testing.assert_allclose(ms.grad(ms.grad(net))(Tensor(XV)).asnumpy(), [48.0, 192.0])
    assert seen == [("i", [16.0, 128.0], [8.0, 32.0]), ("m", [16.0, 128.0], [4.0, 16.0]),
                    ("i", [48.0, 192.0], [16.0, 32.0]), ("m", [48.0, 192.0], [8.0, 16.0])]


def test_nested_cell_hooks_changing_gradients(pynative):
    """Inner's hook reading and returning 10 * grad_input: Mid's hook sees [160, 1280], the gradient (MindSpore);
    Mid's hook returning 10 * grad_input without reading: the same gradient. (Mid's hook computing with
    grad_output: test_hooks_round4.)"""
    net, seen = _Outer(), []
    net.m.i.register_backward_hook(lambda c, gi, go: (seen.append(("i", gi[0].asnumpy().tolist())), (gi[0] * 10,))[1])
    net.m.register_backward_hook(_cell_recorder(seen, "m"))
    np.testing.assert_allclose(ms.grad(net)(Tensor(XV)).asnumpy(), [160.0, 1280.0])
    assert seen == [("i", [16.0, 128.0]), ("m", [160.0, 1280.0], [4.0, 16.0])]
    net2, seen2 = _Outer(), []
    net2.m.i.register_backward_hook(_cell_recorder(seen2, "i"))
    net2.m.register_backward_hook(lambda c, gi, go: (gi[0] * 10,))
    np.testing.assert_allclose(ms.grad(net2)(Tensor(XV)).asnumpy(), [160.0, 1280.0])
    assert seen2 == [("i", [16.0, 128.0], [8.0, 32.0])]


def test_a_tensor_hook_inside_a_hooked_cell(pynative):
    """Sq(a) = 3 a^2 with a^2 hooked inside, Sq hooked, in sum(Sq(x)^2): grad_output 2 Sq = 6x^2 = [6, 24]; a^2's
    gradient 3 * that = [18, 72]; grad_input 36x^3 = [36, 288]; MindSpore calls the Tensor hook, then the cell's."""
    seen = []

    class Sq(nn.Cell):
        def construct(self, a):
            y = a * a
            y.register_hook(lambda g: seen.append(("t", g.asnumpy().tolist())))
            return y * 3

    class Net(nn.Cell):
        def __init__(self):
            super().__init__()
            self.sq = Sq()

        def construct(self, x):
            return (self.sq(x) ** 2).sum()
    net = Net()
    net.sq.register_backward_hook(_cell_recorder(seen, "c"))
    np.testing.assert_allclose(ms.grad(net)(Tensor(XV)).asnumpy(), [36.0, 288.0])
    assert seen == [("t", [18.0, 72.0]), ("c", [36.0, 288.0], [6.0, 24.0])]

"""Gradient hooks, round 9, against MindSpore 2.10 (CPU; /work/msvenv, run for this task: each expected value and
call log below is what it printed for the same program, PyNative).

- a Tensor hook registered, inside a Cell's backward hook, on a Tensor computed from grad_output, in a grad of a
  grad: MindSpore calls it once, in the second pass (the first pass never reaches a Tensor its own backward
  computes); gradserve called it in the first pass too, with zeros;
- a Cell backward hook that records grad_output and returns 10 grad_output, in a grad of a grad: MindSpore calls it
  once (the second pass does not reach the cell: the first derivative is 10 grad_output, a constant); gradserve
  called it twice for a cell with Parameters, the second time when it traced the program again with the cell in
  the form giving the hook grad_output at hand.
(Left as it was: with grad_output a constant (the loss a plain sum), MindSpore refuses that register_hook
(RuntimeError "The tensor requires grad is false, which can not register tensor hook"), where gradserve calls
the Tensor hook once with [1, 1].)
"""
import numpy as np
import pytest

from gradserve import Parameter, Tensor, nn, ops


pytestmark = pytest.mark.usefixtures("on_real_server")  # grads run on the service

X = np.array([1.0, 2.0], np.float32)


class SquareScaled(nn.Cell):
    """x * x * w, w = [2, 3] a Parameter."""

    def __init__(self):
        super().__init__()
        self.w = Parameter(Tensor(np.array([2.0, 3.0], np.float32)), name="w_round9")

    def construct(self, x):
        return x * x * self.w


class SquareTripled(nn.Cell):
    """x * x * 3, no Parameter."""

    def construct(self, x):
        return x * x * 3


@pytest.mark.parametrize("cell, first", [(SquareScaled, [8.0, 48.0]), (SquareTripled, [12.0, 48.0])])
def test_a_tensor_hook_registered_in_a_backward_hook_is_called_in_the_second_pass_only(pynative, cell, first):
    """f = sum(net(x)^2), the backward hook returning t = 2 grad_output with a reading hook on t: grad_output is
    2 net(x), so f' = 4 net(x) ([8, 48] and [12, 48], the hook not called); f'' = d/dx sum(t) = [8, 8], the hook on
    t seeing [1, 1] once (MindSpore 2.10, all four; gradserve called it with [0, 0] first)."""
    log: list = []

    def cell_hook(c, grad_input, grad_output):
        t = grad_output[0] * 2
        t.register_hook(lambda g: log.append(g.asnumpy().tolist()))
        return (t,)

    net = cell()
    net.register_backward_hook(cell_hook)

    def f(x):
        return (net(x) ** 2).sum()
    np.testing.assert_allclose(ops.grad(f)(Tensor(X)).asnumpy(), first)
    assert log == []
    np.testing.assert_allclose(ops.grad(ops.grad(f))(Tensor(X)).asnumpy(), [8.0, 8.0])
    assert log == [[1.0, 1.0]]


@pytest.mark.parametrize("cell", [SquareScaled, SquareTripled])
def test_a_backward_hook_computing_with_a_constant_grad_output_is_called_once_in_a_grad_of_a_grad(pynative, cell):
    """f = sum(net(x)), the backward hook recording grad_output ([1, 1]) and returning 10 grad_output: f' = [10, 10],
    f'' = [0, 0], the hook called once at either order (MindSpore 2.10, all four)."""
    log: list = []

    def cell_hook(c, grad_input, grad_output):
        log.append([g.asnumpy().tolist() for g in grad_output])
        return (grad_output[0] * 10,)

    net = cell()
    net.register_backward_hook(cell_hook)

    def f(x):
        return net(x).sum()
    np.testing.assert_allclose(ops.grad(f)(Tensor(X)).asnumpy(), [10.0, 10.0])
    assert log == [[[1.0, 1.0]]]
    log.clear()
    np.testing.assert_allclose(ops.grad(ops.grad(f))(Tensor(X)).asnumpy(), [0.0, 0.0])
    assert log == [[[1.0, 1.0]]]

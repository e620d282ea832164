"""Gradient hooks, round 8, against MindSpore 2.10 (CPU; /work/msvenv, run for this task: each expected value and
call log below is what it printed for the same program).

- GRAPH_MODE: a Tensor hook on a point only the untaken branch of an `if` uses is called, with zeros, on every
  call (MindSpore 2.10 GRAPH_MODE: a `print` in the hook shows it, the taken branch's hook with its gradient),
  whichever branch the cached program's call takes;
- computing with grad_output in the backward hook of a cell holding Parameters, in a grad of a grad;
- (a reading hook on a cell inside a cell whose backward hook computes with grad_output, in a grad of a grad:
  MindSpore 2.10 gives [200, 200], the inner hook seeing [16, 128] then [80, 160]; still refused by name,
  tests/clients/test_hooks_round4.py::test_an_outer_hook_computing_with_grad_output_over_hooked_cells.)
"""
import numpy as np
import pytest

from gradserve import Parameter, Tensor, nn, ops


pytestmark = pytest.mark.usefixtures("on_real_server")  # grads run on the service

X = np.array([1.0, 2.0, 3.0], np.float32)
U = np.array([4.0, 5.0, 6.0], np.float32)


class GraphIfStoring(nn.Cell):
    """w = 2u, v = 3u, each hooked by a hook storing its gradient; sum(x w) if sum(x) > 0 else sum(x v)."""

    def __init__(self, log):
        super().__init__()
        self.log = log

    def construct(self, x, u):
        w = u * 2.0
        w.register_hook(lambda g: self.log.append(("w", g.asnumpy().tolist())))
        v = u * 3.0
        v.register_hook(lambda g: self.log.append(("v", g.asnumpy().tolist())))
        if x.sum() > 0:
            out = (x * w).sum()
        else:
            out = (x * v).sum()
        return out


def test_graph_mode_a_hook_on_the_untaken_branch_is_called_with_zeros_on_each_cached_call(graph_mode):
    """MindSpore 2.10 GRAPH_MODE (a print in each hook, the same program): x = [1, 2, 3]: v's hook sees zeros, w's
    [1, 2, 3], the gradients [8, 10, 12] and [2, 4, 6]; x = -[1, 2, 3]: v's hook sees [-1, -2, -3], w's zeros,
    [12, 15, 18] and [-3, -6, -9]; then x = [1, 2, 3] again as the first (v's hook first in MindSpore's order)."""
    log: list = []
    grad = ops.grad(GraphIfStoring(log), grad_position=(0, 1))
    for scale, gx, gu, seen in [
            (1.0, [8.0, 10.0, 12.0], [2.0, 4.0, 6.0], {"v": [0.0, 0.0, 0.0], "w": [1.0, 2.0, 3.0]}),
            (-1.0, [12.0, 15.0, 18.0], [-3.0, -6.0, -9.0], {"v": [-1.0, -2.0, -3.0], "w": [0.0, 0.0, 0.0]}),
            (1.0, [8.0, 10.0, 12.0], [2.0, 4.0, 6.0], {"v": [0.0, 0.0, 0.0], "w": [1.0, 2.0, 3.0]})]:
        log.clear()
        dx, du = grad(Tensor(X * np.float32(scale)), Tensor(U))
        np.testing.assert_allclose(dx.asnumpy(), gx)
        np.testing.assert_allclose(du.asnumpy(), gu)
        assert sorted(log) == sorted(seen.items()), scale


class Scale(nn.Cell):
    """x * w, w = [1, 2, 3] a Parameter."""

    def __init__(self):
        super().__init__()
        self.w = Parameter(Tensor(np.array([1.0, 2.0, 3.0], np.float32)), name="w_round8")

    def construct(self, x):
        return x * self.w


def test_a_hook_of_a_cell_with_parameters_computing_with_grad_output_in_a_grad_of_a_grad(pynative):
    """sum((x w)^3), the hook returning 10 grad_output: f' = 30 (x w)^2 = [30, 480, 2430]; the second pass's
    grad_output is d/d(xw) sum(30 (x w)^2) = 60 x w, the hook's 10 times that [600, 2400, 5400]; w's second-pass
    gradient d/dw sum(30 x^2 w^2) = 60 x^2 w = [60, 480, 1620] (MindSpore 2.10, all; gradserve refused the grad of
    a grad by name)."""
    lin = Scale()
    lin.register_backward_hook(lambda c, gi, go: (go[0] * 10,))
    np.testing.assert_allclose(ops.grad(lambda x: (lin(x) ** 3).sum())(Tensor(X)).asnumpy(), [30.0, 480.0, 2430.0])
    np.testing.assert_allclose(ops.grad(ops.grad(lambda x: (lin(x) ** 3).sum()))(Tensor(X)).asnumpy(),
                               [600.0, 2400.0, 5400.0])
    g, (gw,) = ops.grad(ops.grad(lambda x: (lin(x) ** 3).sum()), grad_position=0,
                        weights=lin.trainable_params())(Tensor(X))
    np.testing.assert_allclose(g.asnumpy(), [600.0, 2400.0, 5400.0])
    np.testing.assert_allclose(gw.asnumpy(), [60.0, 480.0, 1620.0])
    # a grad call after them (the hook known to compute with grad_output): f' as above, w's 3 x^3 w^2 untouched
    g, (gw,) = ops.grad(lambda x: (lin(x) ** 3).sum(), grad_position=0, weights=lin.trainable_params())(Tensor(X))
    np.testing.assert_allclose(g.asnumpy(), [30.0, 480.0, 2430.0])
    np.testing.assert_allclose(gw.asnumpy(), [3.0, 96.0, 729.0])



def test_a_grad_of_the_gradients_of_a_cell_with_parameters_whose_hook_computes_with_grad_output(pynative):
    """The inner grad asks w's gradient too (3 x^3 w^2): d/dx sum(dw) = [60, 480, 1620] (the hook's 10 times the
    second pass's grad_output 6 x^2 w replaces all of x's), and d/dx sum(dx + dw) = [660, 2880, 7020] (MindSpore
    2.10, both)."""
    lin = Scale()
    lin.register_backward_hook(lambda c, gi, go: (go[0] * 10,))
    inner = ops.grad(lambda x: (lin(x) ** 3).sum(), grad_position=0, weights=lin.trainable_params())
    np.testing.assert_allclose(ops.grad(lambda x: inner(x)[1][0].sum())(Tensor(X)).asnumpy(),
                               [60.0, 480.0, 1620.0])
    np.testing.assert_allclose(ops.grad(lambda x: inner(x)[0].sum() + inner(x)[1][0].sum())(Tensor(X)).asnumpy(),
                               [660.0, 2880.0, 7020.0])

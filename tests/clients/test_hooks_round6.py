"""Gradient hooks in higher-order PyNative grads (round 6), against MindSpore 2.10 (CPU, PyNative; /work/msvenv,
run for this task: each expected value and call log below is what it printed; logs rounded to 4 decimals).

- a vjp of a grad whose function has a hook that reads and changes its gradient: MindSpore's forward call runs the
  first pass (its hooks called there), vjp_fn the second (gradserve refused it: the vjp_fn's run left out the first
  pass);
- a reading hook inside a cell whose backward hook computes with grad_output, in a grad of a grad (refused).
"""
import numpy as np
import pytest

import gradserve as ms
from gradserve import Tensor

from clients._hook_cells import NestedSquares
from clients.test_hooks_read_and_change import _chain
from clients.test_hooks_round5 import XV, Y1X5, Z1, _sin_chain
from clients.test_mindspore_hooks import pynative  # noqa: F401 (the fixture: PyNative for one test)

pytestmark = pytest.mark.usefixtures("on_real_server")  # grads run on the service


def _sin_chain_own_hooks(log):
    """test_hooks_read_and_change's _chain: z's hook (records, returns 5 g) and y's (records) are two functions."""
    return _chain(log, True)


@pytest.mark.parametrize("make", [lambda log: _sin_chain(log, "readchange", "read"), _sin_chain_own_hooks])
@pytest.mark.parametrize("sens, want, log", [
    ([1.0, 1.0], [-0.62035, 81.86979], [("z", [1.0, 1.0]), ("y", [-5.7132, 27.0039])]),
    ([1.0, 10.0], [-0.62035, 818.69781], [("z", [1.0, 10.0]), ("y", [-5.7132, 270.0388])])])
def test_a_vjp_of_a_grad_with_a_reading_and_changing_hook(pynative, make, sens, want, log):
    """z's hook records and returns 5 g, y's records (test_hooks_round5's third row; one factory's hooks, or two
    functions): MindSpore's forward call of the vjp runs the grad, the first pass (z [1, 2], y 5 x cos(y)), vjp_fn
    the second with the sens given; with sens [1, 1] the answer is grad(grad(f))'s. Twice: the first vjp where
    the hook's code is new (its forward call finds it changes its gradient, as a grad call does: vjp_fn calls it
    again, traced with the forward's values, its log then one entry longer, z [1, 2] again), then known (vjp_fn
    emits the ops its forward's call traced: the log is MindSpore's)."""
    for known in (False, True):
        got = []
        out, vjp_fn = ms.vjp(lambda x: ms.grad(make(got))(x), Tensor(XV))
        np.testing.assert_allclose(out.asnumpy(), [6.2444935, -26.902546], rtol=1e-5)  # f' (MindSpore; _chain)
        assert [t for t, _ in got] == ["z", "y"]
        (g,) = vjp_fn(Tensor(np.array(sens, np.float32)))
        np.testing.assert_allclose(g.asnumpy(), want, rtol=1e-5, atol=5e-4)
        if known:
            assert [t for t, _ in got] == ["z", "y"] + [t for t, _ in log]
            for (_, v), (_, w) in zip(got, [Z1, Y1X5] + log):
                np.testing.assert_allclose(v, w, atol=2e-4)
        else:
            np.testing.assert_allclose(got[1][1], Y1X5[1], atol=2e-4)


def test_a_reading_hook_inside_a_cell_hook_computing_with_grad_output_in_a_grad_of_a_grad(pynative):
    """m's hook returning 10 grad_output, m.i's reading grad_input (test_hooks_round4's case, refused there): f' =
    40x^2 = [40, 160], f'' = [200, 200]; i's hook sees 16x^3 = [16, 128] in the first pass, [80, 160] in the
    second (MindSpore 2.10). Twice: the hooks' code unknown, then known."""
    for _ in range(2):
        net, seen = NestedSquares(), []
        net.m.i.register_backward_hook(lambda c, gi, go: seen.append(gi[0].asnumpy().tolist()))
        net.m.register_backward_hook(lambda c, gi, go: (go[0] * 10,))
        np.testing.assert_allclose(ms.grad(ms.grad(net))(Tensor(XV)).asnumpy(), [200.0, 200.0])
        assert seen == [[16.0, 128.0], [80.0, 160.0]]

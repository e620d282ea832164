"""Gradient hooks in a third-order (and fourth-order) PyNative grad, against MindSpore 2.10 (CPU, /work/msvenv,
run for this task: each expected value and call log below is what it printed).

MindSpore calls a value-reading hook once per pass: the first derivative's gradient at its point, then the one
each further derivative's backward brings there (a pass that does not reach the point calls nothing). Each value
is also derived by hand in the docstrings.
"""
import numpy as np
import pytest

import gradserve as ms
from gradserve import Tensor, ops

from clients._hook_cells import SquareSum
from clients.test_hooks_read_and_change import _tripling

pytestmark = pytest.mark.usefixtures("on_real_server")  # grads run on the service

XV = np.array([1.0, 2.0], np.float32)


def _grad3(f):
    return ms.grad(ms.grad(ms.grad(f)))


def _cube_then_square(hook):
    """f(x) = sum(y * y), y = x^3 hooked. Pass 1 brings y 2y = [2, 16]; f' = 2y 3x^2 = 6x^5, whose backward brings
    y 3x^2 = [6, 24]; f'' = 30x^4 = 3x^2 6x^2 (through y) + 2y 6x, so pass 3 brings y 12x = [12, 24] (through the
    direct term); f''' = 120x^3 = [120, 960]; a fourth pass brings y [12, 12] (MindSpore's) and
    the fourth derivative is 360x^2."""
    def f(x):
        y = x ** 3
        y.register_hook(hook)
        return (y * y).sum()
    return f


def test_a_reading_hook_runs_once_a_pass_of_a_third_order_grad(pynative):
    seen = []
    f = _cube_then_square(lambda g: seen.append(g.asnumpy().tolist()))
    np.testing.assert_allclose(_grad3(f)(Tensor(XV)).asnumpy(), [120.0, 960.0])  # MindSpore; 120x^3
    assert seen == [[2.0, 16.0], [6.0, 24.0], [12.0, 24.0]]  # MindSpore's three calls
    seen.clear()
    np.testing.assert_allclose(ms.grad(ms.grad(f))(Tensor(XV)).asnumpy(), [30.0, 480.0])  # 30x^4
    assert seen == [[2.0, 16.0], [6.0, 24.0]]


def test_a_storing_hook_holds_each_pass_in_a_fourth_order(pynative):
    stored = []
    f = _cube_then_square(stored.append)
    np.testing.assert_allclose(ms.grad(_grad3(f))(Tensor(XV)).asnumpy(), [360.0, 1440.0])  # MindSpore; 360x^2
    assert [s.asnumpy().tolist() for s in stored] == [[2.0, 16.0], [6.0, 24.0], [12.0, 24.0], [12.0, 12.0]]


def test_two_points_a_pass_not_reaching_one(pynative):
    """f(x) = sum(sin(y) x), y = x^2, z = sin(y): the second pass brings z 1 (f' = 2x^2 cos(y) + z), a constant in
    the third, which calls z's hook no more: z, y, z, y, y (MindSpore's log and f''' = [-21.275908, 152.39757])."""
    log = []

    def f(x):
        y = x ** 2
        y.register_hook(lambda g: log.append(("y", g.asnumpy().tolist())))
        z = ops.sin(y)
        z.register_hook(lambda g: log.append(("z", g.asnumpy().tolist())))
        return (z * x).sum()
    got = _grad3(f)(Tensor(XV)).asnumpy()
    x = XV.astype(np.float64)
    y = x * x
    # f'' = 6x cos(y) - 4x^3 sin(y); f''' = 6 cos(y) - 12x^2 sin(y) - 12x^2 sin(y) - 8x^4 cos(y)
    np.testing.assert_allclose(got, 6 * np.cos(y) - 24 * y * np.sin(y) - 8 * y * y * np.cos(y), rtol=1e-4)
    np.testing.assert_allclose(got, [-21.275908, 152.39757], rtol=1e-5)
    want = [("z", [1.0, 2.0]), ("y", [0.5403022766113281, -1.3072872161865234]), ("z", [1.0, 1.0]),
            ("y", [-1.1426396369934082, 5.400776386260986]), ("y", [-7.2100348472595215, 29.998226165771484])]
    assert [t for t, _ in log] == [t for t, _ in want]
    for (_, g), (_, w) in zip(log, want):
        np.testing.assert_allclose(g, w, rtol=1e-5, atol=1e-6)


def test_a_printing_hook_prints_each_pass(pynative, capsys):
    """f(x) = sum(x^3 x): y's gradient is x, then 1; f'' = 12x^2 does not reach y, so a third order prints twice
    (MindSpore's lines) and gives 24x."""
    def f(x):
        y = x ** 3
        y.register_hook(lambda g: print("grad", g))
        return (y * x).sum()
    np.testing.assert_allclose(_grad3(f)(Tensor(XV)).asnumpy(), [24.0, 48.0])
    lines = [ln for ln in capsys.readouterr().out.splitlines() if ln.startswith("grad")]
    assert lines == ["grad [1. 2.]", "grad [1. 1.]"]


def test_hook_backward_and_a_cell_backward_hook_in_a_third_order(pynative):
    """y = x^3 at a HookBackward, and as SquareSum(3)'s inner cell's output, hooked: grad_output as the Tensor
    hook's gradients above; grad_input 6x^5 = [6, 192], 30x^4 = [30, 480], 120x^3 = [120, 960] (MindSpore's)."""
    seen = []
    hb = ops.HookBackward(lambda g: seen.append(g[0].asnumpy().tolist()))

    def f(x):
        y = hb(x ** 3)
        return (y * y).sum()
    np.testing.assert_allclose(_grad3(f)(Tensor(XV)).asnumpy(), [120.0, 960.0])
    assert seen == [[2.0, 16.0], [6.0, 24.0], [12.0, 24.0]]

    net, cell_seen = SquareSum(3), []
    net.inner.register_backward_hook(
        lambda c, gi, go: cell_seen.append((gi[0].asnumpy().tolist(), go[0].asnumpy().tolist())))
    np.testing.assert_allclose(_grad3(net)(Tensor(XV)).asnumpy(), [120.0, 960.0])
    assert cell_seen == [([6.0, 192.0], [2.0, 16.0]), ([30.0, 480.0], [6.0, 24.0]), ([120.0, 960.0], [12.0, 24.0])]


def test_a_hook_reading_and_tripling_its_gradient_in_a_third_order(pynative):
    """f(x) = sum(y y), y = x^2, g -> 3g after recording: f' = 12x^3 (y brought 2y), f'' = 84x^2 (y brought 12x,
    tripled), f''' = 216x (y brought 12, tripled): MindSpore's [216, 432] and calls [2, 8], [12, 24], [12, 12]."""
    seen = []
    f = _tripling(seen)
    ms.grad(f)(Tensor(XV))  # (its code known to change its gradient: test_hooks_read_and_change)
    seen.clear()
    np.testing.assert_allclose(_grad3(f)(Tensor(XV)).asnumpy(), [216.0, 432.0])
    assert seen == [[2.0, 8.0], [12.0, 24.0], [12.0, 12.0]]


def test_a_hooked_input_runs_once_a_pass(pynative):
    """x hooked before a third-order grad of sum(x^4): the passes bring x 4x^3 = [4, 32], 12x^2 = [12, 48] and
    24x = [24, 48] (MindSpore's three calls; the result is 24x)."""
    seen = []
    x = Tensor(XV)
    handle = x.register_hook(lambda g: seen.append(g.asnumpy().tolist()))
    np.testing.assert_allclose(_grad3(lambda t: (t ** 4).sum())(x).asnumpy(), [24.0, 48.0])
    handle.remove()
    assert seen == [[4.0, 32.0], [12.0, 48.0], [24.0, 48.0]]

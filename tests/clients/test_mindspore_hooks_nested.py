"""Gradient hooks inside a grad of a grad, against MindSpore 2.10 (CPU, /work/msvenv, run for this task).

PyNative MindSpore runs a Tensor hook (and a Cell's backward hook) in both passes: once with the first
derivative's gradient at the hooked point, once with the gradient the second derivative's backward brings there
(the point is on its path only where the first derivative depends on the point's value). GRAPH_MODE refuses a
hook reading values there (its compiler raises) but keeps a hook that changes the gradient, in both passes.
Each expected value below is MindSpore's; each is also derived by hand (noted) and checked with NumPy here.
"""
import numpy as np
import pytest

import gradserve as ms
from gradserve import Tensor, ops

from clients._hook_cells import SquareSum

pytestmark = pytest.mark.usefixtures("on_real_server")  # grads run on the service

XV = np.array([1.0, 2.0], np.float32)


def _square_then_square(hook):
    """f(x) = sum(y * y) with y = x^2 hooked: f' = 4x^3, f'' = 12x^2; y's gradient: 2y, then (second pass) 4x."""
    def f(x):
        y = x ** 2
        y.register_hook(hook)
        return (y * y).sum()
    return f


def _two_points(log):
    """f(x) = sum(sin(x^2) * x), y = x^2 and z = sin(y) hooked. First pass: dz = x, dy = x cos(y); the first
    derivative is 2x^2 cos(y) + z, so the second pass brings z 1 and y -2x^2 sin(y) + cos(y) (through z)."""
    def rec(tag):
        return lambda g: log.append((tag, g.asnumpy().copy()))

    def f(x):
        y = x ** 2
        y.register_hook(rec("y"))
        z = ops.sin(y)
        z.register_hook(rec("z"))
        return (z * x).sum()
    return f


def _two_points_expected(x):
    y = x ** 2
    order = [("z", x), ("y", x * np.cos(y)), ("z", np.ones_like(x)), ("y", -2 * x ** 2 * np.sin(y) + np.cos(y))]
    second = 6 * x * np.cos(y) - 4 * x ** 3 * np.sin(y)  # d/dx (2x^2 cos(x^2) + sin(x^2)), summed per entry
    return order, second


def _assert_log(log, want):
    assert [t for t, _ in log] == [t for t, _ in want]
    for (_, g), (_, w) in zip(log, want):
        np.testing.assert_allclose(g, w, rtol=1e-5, atol=1e-6)


def test_a_reading_hook_runs_in_both_passes_of_a_grad_of_a_grad(pynative):
    seen = []
    f = _square_then_square(lambda g: seen.append(g.asnumpy().tolist()))
    g2 = ms.grad(ms.grad(f))(Tensor(XV))
    np.testing.assert_allclose(g2.asnumpy(), [12.0, 48.0])  # MindSpore; 12x^2
    assert seen == [[2.0, 8.0], [4.0, 8.0]]                 # MindSpore; 2y = 2x^2, then 4x
    seen.clear()
    np.testing.assert_allclose(ms.grad(f)(Tensor(XV)).asnumpy(), [4.0, 32.0])  # first order: once, 4x^3
    assert seen == [[2.0, 8.0]]


def test_a_storing_hook_holds_each_pass_gradient(pynative):
    stored = []
    ms.grad(ms.grad(_square_then_square(stored.append)))(Tensor(XV))
    assert [s.asnumpy().tolist() for s in stored] == [[2.0, 8.0], [4.0, 8.0]]  # MindSpore's two Tensors


def test_a_printing_hook_prints_in_both_passes(pynative, capsys):
    """f(x) = sum(x^3 * x), y = x^3 hooked: y's gradient is x, then 1 (the first derivative is 3x^3 + y)."""
    def f(x):
        y = x ** 3
        y.register_hook(lambda g: print("grad", g))
        return (y * x).sum()
    g2 = ms.grad(ms.grad(f))(Tensor(XV))
    np.testing.assert_allclose(g2.asnumpy(), 12 * XV ** 2)  # MindSpore [12, 48]; d/dx 4x^3
    lines = [ln for ln in capsys.readouterr().out.splitlines() if ln.startswith("grad")]
    assert lines == ["grad [1. 2.]", "grad [1. 1.]"]       # MindSpore's printed lines


@pytest.mark.parametrize("mode", ["pynative", "graph"])
def test_a_modifying_hook_changes_both_passes(mode):
    """g * 3 at y: f' = 3 * 2y * 2x = 12x^3; the second pass triples y's gradient 12x too: f'' = 12x^2 + 3 * 12x
    * 2x = 84x^2 (MindSpore, both modes: [12, 96], then [84, 336])."""
    ms.set_context(mode=ms.PYNATIVE_MODE if mode == "pynative" else ms.GRAPH_MODE)
    f = _square_then_square(lambda g: g * 3)
    np.testing.assert_allclose(ms.grad(f)(Tensor(XV)).asnumpy(), 12 * XV ** 3)
    np.testing.assert_allclose(ms.grad(ms.grad(f))(Tensor(XV)).asnumpy(), 84 * XV ** 2)


def test_two_points_run_in_backward_order_each_pass(pynative):
    """MindSpore: z, y with the first pass's gradients, then z, y with the second's."""
    want, second = _two_points_expected(XV.astype(np.float64))
    log = []
    g2 = ms.grad(ms.grad(_two_points(log)))(Tensor(XV))
    _assert_log(log, want)
    np.testing.assert_allclose(g2.asnumpy(), second, rtol=1e-5)  # MindSpore [-0.12407017, 16.373957]
    log.clear()
    g2 = ops.GradOperation()(ops.GradOperation()(_two_points(log)))(Tensor(XV))
    _assert_log(log, want)
    np.testing.assert_allclose(g2.asnumpy(), second, rtol=1e-5)


def test_a_vjp_of_a_grad_and_a_grad_of_a_vjp_run_both_passes(pynative):
    want, second = _two_points_expected(XV.astype(np.float64))
    log = []
    f = _two_points(log)
    (g2,) = ms.vjp(lambda x: ms.grad(f)(x), Tensor(XV))[1](Tensor(np.ones(2, np.float32)))
    _assert_log(log, want)
    np.testing.assert_allclose(g2.asnumpy(), second, rtol=1e-5)
    log.clear()
    g2 = ms.grad(lambda x: ms.vjp(f, x)[1](Tensor(np.array(1.0, np.float32)))[0].sum())(Tensor(XV))
    _assert_log(log, want)  # (the vjp's forward call, off the second derivative's path, calls no hook)
    np.testing.assert_allclose(g2.asnumpy(), second, rtol=1e-5)


def test_a_point_off_the_second_pass_path_runs_once(pynative):
    """f(x) = sum(y): y's gradient is 1 whatever y, so the second derivative's backward never reaches y and
    MindSpore calls the hook once, with [1, 1]; f'' summed per entry is 2."""
    seen = []

    def f(x):
        y = x ** 2
        y.register_hook(lambda g: seen.append(g.asnumpy().tolist()))
        return y.sum()
    np.testing.assert_allclose(ms.grad(ms.grad(f))(Tensor(XV)).asnumpy(), [2.0, 2.0])
    assert seen == [[1.0, 1.0]]


def test_a_cell_backward_hook_runs_in_both_passes(pynative):
    """Sq(a) = a * a in f(x) = sum(Sq(x)^2): first pass grad_output 2y = [2, 8], grad_input 2y * 2x = [4, 32];
    second pass grad_output 4x = [4, 8], grad_input 12x^2 = [12, 48] (MindSpore's, both)."""
    net, seen = SquareSum(2), []  # (Sq: its inner Power(2))
    net.inner.register_backward_hook(lambda c, gi, go: seen.append((gi[0].asnumpy().tolist(), go[0].asnumpy().tolist())))
    g2 = ms.grad(ms.grad(net))(Tensor(XV))
    np.testing.assert_allclose(g2.asnumpy(), [12.0, 48.0])
    assert seen == [([4.0, 32.0], [2.0, 8.0]), ([12.0, 48.0], [4.0, 8.0])]


def test_a_jvp_over_a_grad_with_a_reading_hook_is_refused_by_name(pynative):
    """MindSpore 2.10 refuses jvp over a function with a Tensor hook (ValueError, PyNative); gradserve says why."""
    log = []
    f = _two_points(log)
    with pytest.raises(RuntimeError, match="gradient hook .* reads its gradient's value"):
        ms.jvp(lambda x: ms.grad(f)(x), Tensor(XV), Tensor(np.ones(2, np.float32)))


def test_hook_backward_runs_in_both_passes(pynative):
    """ops.HookBackward at y in sum(y * y), y = x^2: MindSpore gives its hook (2y,) then (4x,), as a Tensor hook."""
    seen = []
    hb = ops.HookBackward(lambda g: seen.append(g[0].asnumpy().tolist()))

    def f(x):
        y = hb(x ** 2)
        return (y * y).sum()
    np.testing.assert_allclose(ms.grad(ms.grad(f))(Tensor(XV)).asnumpy(), [12.0, 48.0])
    assert seen == [[2.0, 8.0], [4.0, 8.0]]


def test_a_hooked_argument_of_the_inner_grad_runs_once_a_pass(pynative):
    """y = 2x hooked, then grad(sum(y^3))(y) = 3y^2 summed: the inner pass brings y 3y^2 = [12, 48], the outer
    6y = [12, 24] (the hook applies where y is made and as the inner function's argument: one call a pass, as
    MindSpore); d/dx sum(3 (2x)^2) = 24x."""
    seen = []

    def outer(x):
        y = x * 2
        y.register_hook(lambda g: seen.append(g.asnumpy().tolist()))
        return ms.grad(lambda t: (t * t * t).sum())(y).sum()
    np.testing.assert_allclose(ms.grad(outer)(Tensor(XV)).asnumpy(), 24 * XV)
    assert seen == [[12.0, 48.0], [12.0, 24.0]]


def test_a_hooked_input_runs_in_both_passes(pynative):
    """x hooked before grad(grad(sum(x^3)))(x): the inner pass brings x 3x^2 = [3, 12], the outer 6x = [6, 12]
    (MindSpore's two calls; f'' = 6x). A first-order grad calls it once, with 3x^2."""
    seen = []
    x = Tensor(XV)
    x.register_hook(lambda g: seen.append(g.asnumpy().tolist()))

    def f(t):
        return (t * t * t).sum()
    np.testing.assert_allclose(ms.grad(ms.grad(f))(x).asnumpy(), 6 * XV)
    assert seen == [[3.0, 12.0], [6.0, 12.0]]
    seen.clear()
    np.testing.assert_allclose(ms.grad(f)(x).asnumpy(), 3 * XV ** 2)
    assert seen == [[3.0, 12.0]]

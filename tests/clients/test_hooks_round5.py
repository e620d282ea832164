"""Gradient hooks in higher-order PyNative grads (round 5), against MindSpore 2.10 (CPU, PyNative; /work/msvenv,
run for this task: each expected value and call log below is what it printed; gradients printed to 3 decimals,
hence atol 5e-4, logs to 4).

- a later pass that reaches a hooked point with zeros calls its hook with them, a middle pass of a third order
  too (gradserve took all-zero gradients there for a pass not reaching the point): the engine's grad `reached`
  flags tell the two apart;
- a hook that reads its gradient and returns a new one runs once a pass in a grad of a grad, before or after a
  reading hook, its first call too (gradserve ran it twice, or three times behind another such hook).
"""
import numpy as np
import pytest

import gradserve as ms
from gradserve import Tensor, ops


pytestmark = pytest.mark.usefixtures("on_real_server")  # grads run on the service

XV = np.array([1.0, 2.0], np.float32)


def _grad_n(f, n):
    for _ in range(n):
        f = ms.grad(f)
    return f


@pytest.mark.parametrize("name, body, calls", [
    ("y*0*x", lambda y, x: y * 0 * x, 2),
    ("y*y*0", lambda y, x: y * y * 0, 3),
    ("x^3*y*0", lambda y, x: x * x * x * y * 0, 3)])
def test_a_middle_pass_reaching_a_point_with_zeros_calls_its_hook(pynative, name, body, calls):
    """f = sum(body(y, x) + x^4), y = x^2 hooked: every pass brings y zeros (a product with the user's 0), and
    MindSpore calls the hook in each pass whose backward passes y: y*0*x's third pass does not (f'' keeps no y:
    d/dx of y*0 through y is 0 * 2x), the others' does. f''' = 24x (only x^4 counts)."""
    seen = []

    def f(x):
        y = x * x
        y.register_hook(lambda g: seen.append(g.asnumpy().tolist()))
        return (body(y, x) + x ** 4).sum()
    np.testing.assert_allclose(_grad_n(f, 3)(Tensor(XV)).asnumpy(), 24 * XV)
    np.testing.assert_allclose(_grad_n(f, 3)(Tensor(XV)).asnumpy(), [24.0, 48.0])  # MindSpore's
    seen.clear()
    _grad_n(f, 3)(Tensor(XV))
    assert seen == [[0.0, 0.0]] * calls  # MindSpore's


def _sin_chain(log, z_hook, y_hook):
    """f(x) = sum(sin(y) x), y = x^2, z = sin(y): z's hook met first in the backward, y's after it. A hook kind:
    "read" records its gradient, "change" returns 5 g, "readchange" records then returns 5 g."""
    def hook(tag, kind):
        def fn(g):
            if kind != "change":
                log.append((tag, g.asnumpy().round(4).tolist()))
            return g * 5 if kind != "read" else None
        return fn

    def f(x):
        y = x ** 2
        y.register_hook(hook("y", y_hook))
        z = ops.sin(y)
        z.register_hook(hook("z", z_hook))
        return (z * x).sum()
    return f


Z1, Z2 = ("z", [1.0, 2.0]), ("z", [1.0, 1.0])
Y1, Y1X5 = ("y", [0.5403, -1.3073]), ("y", [2.7015, -6.5364])  # x cos(y), and 5 times that (z's hook changing)


@pytest.mark.parametrize("z_hook, y_hook, order, want, log", [
    ("read", "readchange", 2, [-67.938, 566.223], [Z1, Y1, Z2, ("y", [-7.8744, 29.6185])]),
    ("read", "readchange", 3, [-1028.976, 12255.015], [Z1, Y1, Z2, ("y", [-7.8744, 29.6185]),
                                                      ("y", [-79.2744, 568.323])]),
    ("readchange", "read", 2, [-0.620, 81.870], [Z1, Y1X5, Z2, ("y", [-5.7132, 27.0039])]),
    ("readchange", "read", 3, [-106.380, 761.988], [Z1, Y1X5, Z2, ("y", [-5.7132, 27.0039]),
                                                   ("y", [-36.0502, 149.9911])]),
    ("read", "change", 2, [-67.938, 566.223], [Z1, Z2]),
    ("read", "change", 3, [-1028.976, 12255.015], [Z1, Z2]),
    ("readchange", "readchange", 2, [-339.690, 2831.117], [Z1, Y1X5, Z2, ("y", [-39.372, 148.0923])]),
    ("readchange", "readchange", 3, [-5144.879, 61275.074], [Z1, Y1X5, Z2, ("y", [-39.372, 148.0923]),
                                                            ("y", [-396.3718, 2841.6152])]),
    ("change", "readchange", 2, [-339.690, 2831.117], [Y1X5, ("y", [-39.372, 148.0923])]),
    ("change", "readchange", 3, [-5144.879, 61275.074], [Y1X5, ("y", [-39.372, 148.0923]),
                                                        ("y", [-396.3718, 2841.6152])])])
def test_changing_and_reading_hooks_run_once_a_pass(pynative, z_hook, y_hook, order, want, log):
    """Twice each: the first call of the hooks' code (the first parametrisation) and a later one log the same."""
    for _ in range(2):
        got = []
        out = _grad_n(_sin_chain(got, z_hook, y_hook), order)(Tensor(XV)).asnumpy()
        np.testing.assert_allclose(out, want, rtol=1e-5, atol=5e-4)
        assert [t for t, _ in got] == [t for t, _ in log]
        for (_, g), (_, w) in zip(got, log):
            np.testing.assert_allclose(g, w, atol=2e-4)


def test_a_reader_then_a_changer_by_hand(pynative):
    """The first row above by hand: z's reader sees x, y's hook x cos(y) and returns 5 times it, so f' =
    10x^2 cos(y) + sin(y); the second pass brings y cos(y) - 10x^2 sin(y) (the y hook's second log entry),
    which the hook makes 5 times, through y = x^2 (2x): f'' = 20x cos(y) + 10x (cos(y) - 10x^2 sin(y))."""
    x = XV.astype(np.float64)
    y = x * x
    log = []
    f = _sin_chain(log, "read", "readchange")
    np.testing.assert_allclose(ms.grad(f)(Tensor(XV)).asnumpy(), 10 * y * np.cos(y) + np.sin(y), rtol=1e-5)
    log.clear()
    got = ms.grad(ms.grad(f))(Tensor(XV)).asnumpy()
    np.testing.assert_allclose(got, 20 * x * np.cos(y) + 10 * x * (np.cos(y) - 10 * y * np.sin(y)), rtol=1e-5)
    np.testing.assert_allclose(log[3][1], np.cos(y) - 10 * y * np.sin(y), atol=1e-4)

"""Reverse mode through a `while` on traced values, through the SDK on a real server: per-example gradients
(vmap of grad) where each example runs its own number of trips, against central finite differences of the
same loop in NumPy float64 (the engine's recorded-trajectory reverse sweep, engine/ops/control_flow.py)."""
import numpy as np

from gradserve import Tensor, ops


def g(x):
    while x < 10:
        x = x * 2 + ops.sin(x)
    return x


def g_np(x):
    while x < 10:
        x = x * 2 + np.sin(x)
    return x


def test_per_example_gradients_with_their_own_trip_counts(on_real_server):
    xs = np.array([0.3, 1.5, 4.0, 12.0])  # 4, 3, 2 and 0 trips
    h = 1e-6
    want = [(g_np(a + h) - g_np(a - h)) / (2 * h) for a in xs]
    np.testing.assert_allclose(ops.vmap(ops.grad(g))(Tensor(xs)).asnumpy(), want, rtol=1e-7)

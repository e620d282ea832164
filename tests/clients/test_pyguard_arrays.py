"""PyNative: a function reading a small NumPy array (a module global wrapped as `gs.Tensor(W)`) reuses its trace
while the array holds the bytes the trace read (a kept copy, <= 256 KiB: gradserve._pyguard); a write in place or a
new array is read anew, as MindSpore 2.10's PyNative runs the Python each call. Expected values: NumPy's math
(d/dx tanh(W x) = diag(1 - tanh(W x)^2) W)."""
import numpy as np
import pytest

import gradserve as gs
from gradserve import _trace, ops

pytestmark = pytest.mark.usefixtures("on_real_server")

W = np.random.default_rng(0).standard_normal((3, 3)).astype(np.float32)
BIG = np.random.default_rng(1).standard_normal((260, 260)).astype(np.float32)  # 270400 bytes: over the limit
XS = np.random.default_rng(2).standard_normal((4, 3)).astype(np.float32)


def f(x):
    return ops.tanh(ops.matmul(gs.Tensor(W), x))


def f_big(x):
    return ops.tanh(ops.matmul(gs.Tensor(BIG[:3, :3] if BIG.shape[0] > 3 else BIG), x))


def _jacobians(w):
    t = np.tanh(XS @ w.T)
    return (1 - t * t)[:, :, None] * w[None]


def _traces() -> int:
    return _trace.trace_counts["traces"]


@pytest.mark.parametrize("derivative", [ops.jacrev, ops.jacfwd])
def test_a_small_global_array_is_guarded_by_its_bytes(on_real_server, pynative, derivative):
    global W
    kept = W.copy()
    try:
        g = ops.vmap(derivative(f))
        before = _traces()
        for _ in range(6):
            np.testing.assert_allclose(g(gs.Tensor(XS)).asnumpy(), _jacobians(W), rtol=1e-5, atol=1e-6)
        assert _traces() - before <= 2  # (traced, traced recording its guards, then reused)
        W[0, 0] += 1.0  # in place: the next call reads it
        np.testing.assert_allclose(g(gs.Tensor(XS)).asnumpy(), _jacobians(W), rtol=1e-5, atol=1e-6)
        W = W * 2.0  # a new array
        np.testing.assert_allclose(g(gs.Tensor(XS)).asnumpy(), _jacobians(W), rtol=1e-5, atol=1e-6)
    finally:
        W = kept


def test_a_large_array_is_still_read_on_every_call(on_real_server, pynative):
    g = ops.vmap(ops.jacrev(f_big))
    before = _traces()
    for _ in range(4):
        g(gs.Tensor(XS))
    assert _traces() - before == 4  # (over 256 KiB: not guardable, traced afresh each call as before)
    BIG[0, 0] += 1.0
    np.testing.assert_allclose(g(gs.Tensor(XS)).asnumpy(), _jacobians(BIG[:3, :3]), rtol=1e-5, atol=1e-6)

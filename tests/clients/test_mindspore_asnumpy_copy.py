"""Tensor.asnumpy() shares the Tensor's memory, as MindSpore 2.10's on CPU (checked in its venv for this task: a
write through it changes the Tensor, a Parameter, an op's result; `a.flags.owndata` is False there). A trace that
took such a Tensor as a constant (a Cell attribute, a jit function's closure) or a frozen Parameter sees the write
on its next call, as MindSpore's PyNative does; the SDK's own reads (_host_copy) cannot be written through."""
import numpy as np
import pytest

import gradserve as ms
from gradserve import Parameter, Tensor, nn, ops

pytestmark = pytest.mark.usefixtures("on_real_server")


def test_a_write_into_asnumpy_changes_the_tensor():
    # MindSpore 2.10: t.asnumpy()[0] = 9 -> t is [9, 2]; p.asnumpy()[...] = 5 -> [5, 5]; an op's result alike
    t = Tensor(np.array([1.0, 2.0], np.float32))
    a = t.asnumpy()
    a[0] = 9.0
    np.testing.assert_array_equal(t.asnumpy(), [9.0, 2.0])
    assert np.shares_memory(a, t.asnumpy())
    p = Parameter(Tensor(np.array([1.0, 2.0], np.float32)), name="p")
    p.asnumpy()[...] = 5.0
    np.testing.assert_array_equal(p.asnumpy(), [5.0, 5.0])
    r = ops.add(t, 1)
    r.asnumpy()[0] = -1.0
    np.testing.assert_array_equal(r.asnumpy(), [-1.0, 3.0])
    np.testing.assert_array_equal((t * 2).asnumpy(), [18.0, 4.0])  # the op reads the written value


class _Scale(nn.Cell):
    def __init__(self):
        super().__init__()
        self.w = Parameter(Tensor(np.array([2.0, 3.0], np.float32)), name="w")
        self.c = Tensor(np.array([1.0, 1.0], np.float32))  # not a Parameter: the trace's constant
        self.f = Parameter(Tensor(np.array([1.0, 1.0], np.float32)), name="f", requires_grad=False)

    def construct(self, x):
        return ops.sum(x * self.w * self.c * self.f)


def test_reused_traces_see_writes_through_asnumpy():
    # MindSpore 2.10 PyNative, the same calls in order: grad / value [2, 3] 5; after w[0] = 50: [50, 3] 53;
    # after c[1] = 10: [50, 30] 80; after f[1] = 3: [50, 90] 140; after x[0] = 2: [50, 90] 190
    net = _Scale()
    x = Tensor(np.array([1.0, 1.0], np.float32))
    steps = [(None, [2.0, 3.0], 5.0), (lambda: net.w.asnumpy().__setitem__(0, 50.0), [50.0, 3.0], 53.0),
             (lambda: net.c.asnumpy().__setitem__(1, 10.0), [50.0, 30.0], 80.0),
             (lambda: net.f.asnumpy().__setitem__(1, 3.0), [50.0, 90.0], 140.0),
             (lambda: x.asnumpy().__setitem__(0, 2.0), [50.0, 90.0], 190.0)]
    for write, grad, value in steps:
        if write is not None:
            write()
        for _ in range(2):  # (the second call reuses the trace the first made)
            np.testing.assert_array_equal(ms.grad(net)(x).asnumpy(), grad)
            assert net(x).asnumpy() == value


def test_a_jit_closure_sees_a_write_through_asnumpy():
    # MindSpore 2.10: f(ones) -> [1, 2]; after k.asnumpy()[0] = 7 -> [7, 2]
    k = Tensor(np.array([1.0, 2.0], np.float32))

    @ms.jit
    def f(x):
        return x * k
    ones = Tensor(np.ones(2, np.float32))
    np.testing.assert_array_equal(f(ones).asnumpy(), [1.0, 2.0])
    k.asnumpy()[0] = 7.0
    np.testing.assert_array_equal(f(ones).asnumpy(), [7.0, 2.0])
    np.testing.assert_array_equal(f(ones).asnumpy(), [7.0, 2.0])


def test_a_large_result_is_writable_and_its_own():
    # a result big enough for the shared memory path: asnumpy() is writable, and a later call's result is another
    x = Tensor(np.ones((256, 256), np.float32))
    r1 = x * 2
    a = r1.asnumpy()
    a[0, 0] = -5.0
    r2 = x * 2
    assert r1.asnumpy()[0, 0] == -5.0 and r2.asnumpy()[0, 0] == 2.0
    assert not np.shares_memory(r1.asnumpy(), r2.asnumpy())


def test_a_write_into_a_view_results_array_leaves_its_source():
    # MindSpore 2.10: y = x.reshape(3, 2) / x.view(3, 2) / x.flatten() / x[0]; y.asnumpy()[...] = 99 leaves x as it
    # was (x[0, 0] stays 0.0), and y too (checked for reshape, x[0], transpose: y.asnumpy() of a view is a copy)
    for view in (lambda x: x.reshape(3, 2), lambda x: x.view(3, 2), lambda x: x.flatten(), lambda x: x[0],
                 lambda x: ops.expand_dims(x, 0), lambda x: x.transpose(1, 0)):
        x = Tensor(np.arange(6, dtype=np.float32).reshape(2, 3))
        y = view(x)
        y.asnumpy().reshape(-1)[0] = 99.0
        assert x.asnumpy()[0, 0] == 0.0 and y.asnumpy().reshape(-1)[0] == 0.0


def test_from_numpy_shares_the_array():
    # MindSpore 2.10: t = Tensor.from_numpy(n); n[1] = 200 -> t [1, 200], t * 2 [2, 400]; t.asnumpy()[0] = 7 -> n
    # [7, 200]; a jit function's closure on it sees a later write (f(ones) [1, 2] -> [5, 2] after k[0] = 5)
    n = np.array([1.0, 2.0], np.float32)
    t = Tensor.from_numpy(n)
    n[1] = 200.0
    np.testing.assert_array_equal(t.asnumpy(), [1.0, 200.0])
    np.testing.assert_array_equal((t * 2).asnumpy(), [2.0, 400.0])
    t.asnumpy()[0] = 7.0
    np.testing.assert_array_equal(n, [7.0, 200.0])
    k = np.array([1.0, 2.0], np.float32)
    kt = Tensor.from_numpy(k)

    @ms.jit
    def f(x):
        return x * kt
    ones = Tensor(np.ones(2, np.float32))
    np.testing.assert_array_equal(f(ones).asnumpy(), [1.0, 2.0])
    k[0] = 5.0
    np.testing.assert_array_equal(f(ones).asnumpy(), [5.0, 2.0])


def test_a_write_into_the_source_is_seen_by_its_views():
    # MindSpore 2.10 (checked for this file's second version): y = x.reshape(3, 2) / x[0] / x.transpose(1, 0) shares
    # x's storage; a write through x.asnumpy() is seen by y, made before the asnumpy() call or after it (y[0, 0]
    # reads 99); np.asarray(x) is taken as asnumpy()
    views = (lambda x: x.reshape(3, 2), lambda x: x.view(3, 2), lambda x: x.flatten(), lambda x: x[0],
             lambda x: ops.expand_dims(x, 0), lambda x: x.transpose(1, 0))
    for view in views:
        for before, hand_out in ((True, Tensor.asnumpy), (False, Tensor.asnumpy), (False, np.asarray)):
            x = Tensor(np.arange(6, dtype=np.float32).reshape(2, 3))
            y = view(x) if before else None
            a = hand_out(x)
            y = y if before else view(x)
            a[0, 0] = 99.0
            assert x.asnumpy()[0, 0] == 99.0
            assert y.asnumpy().reshape(-1)[0] == 99.0, (view(x).shape, before)

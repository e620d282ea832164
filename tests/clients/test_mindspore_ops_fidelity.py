"""MindSpore ops at their kinks and special points, and the ops MindSpore programs use that the SDK
composes (full, full_like, scalar_to_tensor, clamp, xlogy, atan2, lerp, true_divide, Tensor methods).

Expected values are MindSpore 2.10's (CPU, GRAPH_MODE, ops.grad of the sum), run for this task, unless a
line says finite differences. Where gradserve differs on purpose the test says so.
"""
import numpy as np
import pytest

import gradserve as gs
from gradserve import Tensor, mint, nn, ops


def f32(*v):
    return Tensor(np.array(v, np.float32))


def grads(fn, *args):
    out = ops.grad(lambda *a: ops.sum(fn(*a)), tuple(range(len(args))))(*args)
    return [g.asnumpy() for g in (out if isinstance(out, tuple) else (out,))]


X = (0.0, 1.0, 2.0, 3.0, 4.0)  # 1 and 3 are the bounds below


def test_maximum_minimum_split_ties(fake):
    np.testing.assert_array_equal(grads(ops.maximum, f32(1, 2, 3), f32(1, 1, 4)), [[0.5, 1, 0], [0.5, 0, 1]])
    np.testing.assert_array_equal(grads(ops.minimum, f32(1, 2, 3), f32(1, 1, 4)), [[0.5, 0, 1], [0.5, 1, 0]])


def test_clamp_gives_the_full_gradient_on_the_bounds(fake):
    np.testing.assert_array_equal(grads(lambda a: ops.clamp(a, 1.0, 3.0), f32(*X)), [[0, 1, 1, 1, 0]])
    np.testing.assert_array_equal(grads(lambda a: ops.clamp(a, 1.0), f32(*X)), [[0, 1, 1, 1, 1]])
    np.testing.assert_array_equal(grads(lambda a: ops.clamp(a, None, 3.0), f32(*X)), [[1, 1, 1, 1, 0]])
    np.testing.assert_array_equal(grads(lambda a: f32(*X).clamp(1.0, 3.0) * a, f32(1, 1, 1, 1, 1)),
                                  [[1, 1, 2, 3, 3]])  # Tensor.clamp's value
    lo, hi = f32(*[1.0] * 5), f32(*[3.0] * 5)
    np.testing.assert_array_equal(grads(ops.clamp, f32(*X), lo, hi),
                                  [[0, 1, 1, 1, 0], [1, 0, 0, 0, 0], [0, 0, 0, 0, 1]])
    np.testing.assert_array_equal(grads(lambda a, h: ops.clamp(a, None, h), f32(*X), hi),
                                  [[1, 1, 1, 1, 0], [0, 0, 0, 0, 1]])


def test_clip_by_value_splits_on_the_bounds(fake):
    # MindSpore 2.10 builds clip_by_value from maximum / minimum: ties on the bounds are split
    np.testing.assert_array_equal(grads(lambda a: ops.clip_by_value(a, 1.0, 3.0), f32(*X)), [[0, 0.5, 1, 0.5, 0]])
    lo, hi = f32(*[1.0] * 5), f32(*[3.0] * 5)
    np.testing.assert_array_equal(grads(ops.clip_by_value, f32(*X), lo, hi),
                                  [[0, 0.5, 1, 0.5, 0], [1, 0.5, 0, 0, 0], [0, 0, 0, 0.5, 1]])


def test_hardtanh_splits_on_the_bounds(fake):
    np.testing.assert_array_equal(grads(ops.hardtanh, f32(-2, -1, 0, 1, 2)), [[0, 0.5, 1, 0.5, 0]])
    np.testing.assert_array_equal(ops.hardtanh(f32(-2, -1, 0, 1, 2)).asnumpy(), [-1, -1, 0, 1, 1])


def test_relu_relu6_leaky_relu_at_their_kinks(fake):
    xr = f32(-1, 0, 1, 6, 7)
    np.testing.assert_array_equal(grads(ops.relu, xr), [[0, 0, 1, 1, 1]])
    np.testing.assert_array_equal(grads(ops.relu6, xr), [[0, 0, 1, 1, 0]])
    np.testing.assert_array_equal(ops.relu6(xr).asnumpy(), [0, 0, 1, 6, 6])
    np.testing.assert_allclose(grads(lambda a: ops.leaky_relu(a, 0.2), f32(-1, 0, 1)), [[0.2, 0.6, 1]], rtol=1e-6)
    np.testing.assert_allclose(ops.leaky_relu(f32(-1, 0, 1), 0.2).asnumpy(), [-0.2, 0, 1], rtol=1e-6)
    np.testing.assert_allclose(grads(nn.LeakyReLU(0.2), f32(-1, 0, 1)), [[0.2, 0.6, 1]], rtol=1e-6)
    # alpha > 1: MindSpore takes minimum(alpha * x, x)
    np.testing.assert_allclose(grads(lambda a: ops.leaky_relu(a, 2.0), f32(-1, 0, 1)), [[2, 1.5, 1]], rtol=1e-6)
    np.testing.assert_allclose(ops.leaky_relu(f32(-1, 0, 1), 2.0).asnumpy(), [-2, 0, 1], rtol=1e-6)


def test_xlogy_values_and_gradients(fake):
    x, y = f32(0, 0, 1, 2, 0, 0), f32(0, 2, 3, 0.5, -1, 0.5)
    # xlogy(0, y) = 0 for every y (MindSpore's documentation, JAX, PyTorch; MindSpore 2.10's CPU kernel
    # gives NaN at (0, 0) and (0, -1), a divergence listed in docs/mindspore_support.md)
    np.testing.assert_allclose(ops.xlogy(x, y).asnumpy(), [0, 0, np.log(3), 2 * np.log(0.5), 0, 0], rtol=1e-6)
    gx, gy = grads(ops.xlogy, x, y)
    np.testing.assert_allclose(gx, [0, np.log(2), np.log(3), np.log(0.5), 0, np.log(0.5)], rtol=1e-6)
    # d/dy = x / y; at (0, 0) 0 here where MindSpore gives 0 / 0 = NaN
    np.testing.assert_allclose(gy, [0, 0, 1 / 3, 4, 0, 0], rtol=1e-6)
    assert ops.xlogy(Tensor(np.array([2], np.int32)), 3).dtype == gs.float32


def test_atan2_values_and_gradients(fake):
    y, x = f32(1, 0, -1, 1, -1), f32(0, 1, 2, -1, -1)
    np.testing.assert_allclose(ops.atan2(y, x).asnumpy(), np.arctan2(y.asnumpy(), x.asnumpy()), rtol=1e-6)
    gy, gx = grads(ops.atan2, y, x)
    r2 = x.asnumpy() ** 2 + y.asnumpy() ** 2
    np.testing.assert_allclose(gy, x.asnumpy() / r2, rtol=1e-6)  # MindSpore: (1, 0) -> 0, (0, 1) -> 1
    np.testing.assert_allclose(gx, -y.asnumpy() / r2, rtol=1e-6)  # (1, 0) -> -1, (-1, 2) -> 0.2
    np.testing.assert_allclose(y.arctan2(x).asnumpy(), ops.atan2(y, x).asnumpy())


def test_lerp(fake):
    s, e = f32(1, 2), f32(3, 5)
    np.testing.assert_allclose(ops.lerp(s, e, f32(0.25, 0.5)).asnumpy(), [1.5, 3.5])
    np.testing.assert_allclose(grads(ops.lerp, s, e, f32(0.25, 0.5)), [[0.75, 0.5], [0.25, 0.5], [2, 3]])
    np.testing.assert_allclose(grads(lambda a, b: ops.lerp(a, b, 0.25), s, e), [[0.75, 0.75], [0.25, 0.25]])


def test_true_divide(fake):
    a, b = Tensor(np.array([1, 2], np.int32)), Tensor(np.array([2, 4], np.int32))
    out = ops.true_divide(a, b)
    assert out.dtype == gs.float32
    np.testing.assert_array_equal(out.asnumpy(), [0.5, 0.5])
    np.testing.assert_allclose(grads(ops.true_divide, f32(1, 2), f32(4, 8)), [[0.25, 0.125], [-0.0625, -0.03125]])


def test_full_full_like_scalar_to_tensor(fake):
    out = ops.full((2, 2), 3)
    assert out.dtype == gs.int64 and out.asnumpy().tolist() == [[3, 3], [3, 3]]
    assert ops.full((2,), 3.0, dtype=gs.float16).dtype == gs.float16
    # mint.full takes a number's dtype; ops.full without dtype is int64 (MindSpore 2.10's ops.full source and
    # docs: full((2, 3), 1.2) prints Int64 ones; checked on MindSpore 2.10 CPU: full((2,), True) is Int64 too)
    assert mint.full((2,), True).dtype == gs.bool_
    assert mint.full(3, 1.5).asnumpy().tolist() == [1.5, 1.5, 1.5]
    assert ops.full((2,), True).dtype == gs.int64
    np.testing.assert_array_equal(ops.full_like(f32(1, 2), 5).asnumpy(), [5.0, 5.0])
    like_int = ops.full_like(Tensor(np.array([1, 2], np.int32)), 2.7)
    assert like_int.dtype == gs.int32 and like_int.asnumpy().tolist() == [2, 2]
    t = ops.scalar_to_tensor(3)
    assert t.dtype == gs.float32 and t.shape == () and float(t.asnumpy()) == 3.0
    assert int(ops.scalar_to_tensor(3.5, gs.int32).asnumpy()) == 3
    # a 0-d Tensor fill value carries its gradient (d/dv sum(full((2, 3), v)) = 6)
    np.testing.assert_array_equal(grads(lambda v: ops.full((2, 3), v), Tensor(np.float32(2.0))), [6.0])


def test_tensor_methods(fake):
    t, u = f32(1, 2, 3), f32(2, 2, 2)
    for name, ref in (("add", [3, 4, 5]), ("sub", [-1, 0, 1]), ("mul", [2, 4, 6]), ("div", [0.5, 1, 1.5]),
                      ("pow", [1, 4, 9]), ("multiply", [2, 4, 6]), ("divide", [0.5, 1, 1.5]),
                      ("subtract", [-1, 0, 1]), ("maximum", [2, 2, 3]), ("minimum", [1, 2, 2])):
        np.testing.assert_allclose(getattr(t, name)(u).asnumpy(), ref, err_msg=name)
    np.testing.assert_allclose(t.mul(2).asnumpy(), [2, 4, 6])
    np.testing.assert_allclose(t.clip(1.5, 2.5).asnumpy(), [1.5, 2, 2.5])
    np.testing.assert_array_equal(t.ge(2).asnumpy(), [False, True, True])
    np.testing.assert_allclose(t.log1p().asnumpy(), np.log1p([1, 2, 3]), rtol=1e-6)
    m = Tensor(np.array([[1.0, -2.0], [3.0, 0.5]], np.float32))
    np.testing.assert_allclose(m.amax(1).asnumpy(), [1, 3])
    np.testing.assert_allclose(m.prod(0, True).asnumpy(), [[3, -1]])
    np.testing.assert_allclose(m.tile((1, 2)).asnumpy(), np.tile(m.asnumpy(), (1, 2)))
    np.testing.assert_allclose(m.softmax(0).asnumpy().sum(0), [1, 1], rtol=1e-6)
    np.testing.assert_allclose(m.floor().asnumpy(), [[1, -2], [3, 0]])
    with pytest.raises(TypeError, match='Failed calling Add with "Add\\(\\)\\(input=Tensor, other=string\\)"'):
        t.add("x")  # (MindSpore 2.10's text for Tensor.add and + of a str, checked in its venv)

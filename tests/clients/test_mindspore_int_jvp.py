"""jvp on integer inputs: MindSpore computes it (its jvp is a vjp of a vjp, and integers carry integer
derivatives there) and returns integer values and tangents. Values by hand: x*y at x=1, y=2 with
tangents (1, 2): y*dx + x*dy = 4; 3x^2 with tangent v: 6*x*v."""
import numpy as np

from gradserve import Tensor, jit, ops, vmap


def _i(v):
    return Tensor(np.asarray(v, np.int32))


def test_jvp_of_integer_inputs_gives_integer_tangents(fake):
    a, b = _i(np.ones((2, 3))), _i(np.full((2, 3), 2))
    out, tan = ops.jvp(lambda x, y: x * y, (a, b), (a, b))
    assert out.dtype == tan.dtype == a.dtype
    np.testing.assert_array_equal(out.asnumpy(), np.full((2, 3), 2))
    np.testing.assert_array_equal(tan.asnumpy(), np.full((2, 3), 4))
    x, v = np.array([1, 2, 3]), np.array([1, 1, 2])
    out, tan = ops.jvp(lambda t: t * t * 3, _i(x), _i(v))
    np.testing.assert_array_equal(out.asnumpy(), 3 * x * x)
    np.testing.assert_array_equal(tan.asnumpy(), 6 * x * v)


def test_integer_jvp_inside_jit_and_vmap_over_tuples(fake):
    # (MindSpore's tests/st/vmap test_vmap_with_tuple_input)
    def fn2(x, y):
        return ops.jvp(lambda p, q: p * q, x, y)

    @jit
    def wrapped(*args):
        return vmap(fn2)(args, args)

    a, b = _i(np.ones((2, 3))), _i(np.full((2, 3), 2))
    val, tan = wrapped(a, b)
    np.testing.assert_array_equal(val.asnumpy(), np.full((2, 3), 2))
    np.testing.assert_array_equal(tan.asnumpy(), np.full((2, 3), 4))


def test_float_jvp_keeps_forward_mode(fake):
    out, tan = ops.jvp(lambda t: ops.sin(t), Tensor(np.array([0.5], np.float32)), Tensor(np.array([2.0], np.float32)))
    np.testing.assert_allclose(tan.asnumpy(), 2 * np.cos(0.5), rtol=1e-6)

"""ops.i0 / bessel_i0 / bessel_i0e / bessel_i1 / bessel_i1e, ops.cond, ops.logspace, ops.rrelu and ops.reduce_sum /
reduce_min: expected values printed by MindSpore 2.10 on CPU (its venv, /work/wt/_msvenv) for the same inputs;
the Bessel derivatives by central finite differences in float64."""
import math

import numpy as np
import pytest

from gradserve import Tensor, context, float64, nn, ops

XS = np.array([-6.0, -1.0, 0.0, 0.5, 2.0, 3.75, 4.0, 8.0], np.float32)
MS_VALUES = {
    "bessel_i0": [67.23441, 1.266066, 1.0, 1.0634835, 2.2795854, 9.118947, 11.301921, 427.56418],
    "bessel_i0e": [0.16665745, 0.46575963, 1.0, 0.64503539, 0.30850834, 0.21445708, 0.20700191, 0.14343180],
    "bessel_i1": [-61.341961, -0.56515908, 0.0, 0.25789434, 1.5906372, 7.7800155, 9.7594671, 399.87338],
    "bessel_i1e": [-0.15205152, -0.20791042, 0.0, 0.15642083, 0.21526933, 0.18296844, 0.17875087, 0.13414258],
}


@pytest.mark.parametrize("name", sorted(MS_VALUES))
def test_bessel_values_match_mindspore(on_real_server, name):
    np.testing.assert_allclose(getattr(ops, name)(Tensor(XS)).asnumpy(), MS_VALUES[name], rtol=1e-6, atol=1e-7)
    assert ops.i0(Tensor(XS[:3])).asnumpy().tolist() == ops.bessel_i0(Tensor(XS[:3])).asnumpy().tolist()


@pytest.mark.parametrize("name", ["bessel_i0", "bessel_i1e"])
def test_bessel_derivative_is_finite_and_matches_differences(on_real_server, name):
    x = np.array([-5.0, -0.3, 0.0, 1.0, 3.74, 3.76, 9.0])
    fn = getattr(ops, name)
    grad = ops.grad(lambda t: fn(t).sum())(Tensor(x)).asnumpy()
    h = 1e-6
    fd = (fn(Tensor(x + h)).asnumpy() - fn(Tensor(x - h)).asnumpy()) / (2 * h)
    assert np.all(np.isfinite(grad))
    np.testing.assert_allclose(grad, fd, rtol=1e-3, atol=1e-5)  # the polynomials' slopes: ~1e-6 relative


A = np.array([[[2.0, 1.0, 0.0], [1.0, 3.0, 1.0], [0.0, 1.0, 4.0]],
              [[1.0, 2.0, 3.0], [0.0, 1.0, 4.0], [5.0, 6.0, 0.0]]], np.float32)


@pytest.mark.parametrize("p, want", [
    (None, [3.7320504, 331.975]), ("fro", [5.0662279, 384.62488]), ("nuc", [12.0, 531.50098]),
    (math.inf, [4.4444447, 517.00049]), (-math.inf, [1.3333335, 50.000046]), (1, [4.4444447, 441.00043]),
    (-1, [1.3333335, 60.000057]), (2, [3.7320504, 331.975]), (-2, [0.26794916, 0.0030122423]),
])
def test_cond_of_a_batch_matches_mindspore(on_real_server, p, want):
    np.testing.assert_allclose(ops.cond(Tensor(A), p).asnumpy(), want, rtol=2e-5)


def test_cond_refuses_an_unknown_norm(on_real_server):
    with pytest.raises(ValueError, match="p must be one of"):
        ops.cond(Tensor(A), 3)


@pytest.mark.parametrize("mode", [context.GRAPH_MODE, context.PYNATIVE_MODE])
def test_logspace_and_reduce_names(on_real_server, mode):
    context.set_context(mode=mode)

    class Net(nn.Cell):
        def construct(self, x):
            return ops.logspace(0.1, 1.0, 5, base=2), ops.reduce_sum(x, 1), ops.reduce_min(x, (0, 1))

    ls, rs, rm = Net()(Tensor(np.arange(6, dtype=np.float32).reshape(2, 3)))
    np.testing.assert_allclose(ls.asnumpy(), [1.0717734, 1.2526644, 1.4640857, 1.7111901, 2.0], rtol=1e-6)
    assert rs.asnumpy().tolist() == [3.0, 12.0] and rm.asnumpy().tolist() == 0.0
    assert ops.logspace(1.0, 3.0, 3, base=2, dtype=float64).asnumpy().tolist() == [2.0, 4.0, 8.0]
    with pytest.raises(TypeError, match="dtype must be float16, float32 or float64"):
        ops.logspace(1.0, 3.0, 3, dtype="int32")


def test_rrelu_keeps_non_negatives_and_scales_negatives_within_bounds(on_real_server):
    x = Tensor(np.array([[1.0, 4.0], [2.0, 0.0]], np.float32))
    assert ops.rrelu(x).asnumpy().tolist() == [[1.0, 4.0], [2.0, 0.0]]  # MindSpore's own test's values
    neg = ops.rrelu(Tensor(np.full(200, -3.0, np.float32)), 0.2, 0.4).asnumpy()
    assert np.all(neg <= -0.6 + 1e-6) and np.all(neg >= -1.2 - 1e-6) and len(set(neg.tolist())) > 1


@pytest.mark.parametrize("mode", [context.GRAPH_MODE, context.PYNATIVE_MODE])
def test_rrelu_in_a_construct_draws_slopes_per_run(on_real_server, mode):
    context.set_context(mode=mode)

    class Net(nn.Cell):
        def construct(self, x):
            return ops.rrelu(x, 0.2, 0.4)

    net, x = Net(), Tensor(np.full(100, -1.0, np.float32))
    a, b = net(x).asnumpy(), net(x).asnumpy()
    assert np.all((a <= -0.2 + 1e-6) & (a >= -0.4 - 1e-6)) and not np.array_equal(a, b)
    grad = ops.grad(lambda t: net(t).sum())(x).asnumpy()
    assert np.all((grad >= 0.2 - 1e-6) & (grad <= 0.4 + 1e-6))


def test_logspace_refuses_a_base_mindspore_refuses(fake):
    # MindSpore 2.10 (its venv): base must be an int (2.5, True: TypeError) and >= 0 (-2: ValueError); a
    # negative base gave NaN here at the non-integer exponents, ([1, nan, -2] for logspace(0, 1, 3, base=-2))
    for base, error in ((2.5, TypeError), (True, TypeError), (-2, ValueError)):
        with pytest.raises(error, match="base"):
            ops.logspace(0.0, 1.0, 3, base=base)

"""Round 12 of the silently-wrong-number hunt: benchmarks/ms_differential.py --round 12 (linear algebra and its
gradients, the FFT family, cumulative ops, sorting / counting, special functions near their edges, vmap of them;
first and higher order), run as the same text in MindSpore 2.10 CPU (/work/msvenv) and in the SDK, beside probes
by hand. The harness's own checks and a regression test per wrong answer found. Expected values: MindSpore 2.10.0
CPU runs by hand (written down here), torch 2.13 float64, SciPy, or closed forms (each test says which)."""
import math

import numpy as np
import pytest

from clients._ms_shim import mindspore_is_gradserve  # noqa: F401  (puts benchmarks/ on sys.path)
import _ms_differential_gen12 as gen12  # noqa: E402
from clients import _ms_rounds  # noqa: E402


# ----------------------------------------------------------------------------------------- the harness
def test_round12_programs_are_reproducible_compile_and_draw_every_form():
    _ms_rounds.checked_programs(gen12.programs12, 12,
        forms={"linalg12", "fft12", "cum12", "sort12", "special12", "vmap12"},
        modes={"value", "grad", "jvp", "jit_grad", "grad_grad", "jvp_grad", "hessian", "jacrev", "jacfwd"},
        spellings=("ops.slogdet(m)", "'complex64'", "1.001", "'ortho'", "ops.irfft(", "exclusive=True",
                   "ops.searchsorted(", "ops.unique_consecutive(", "ops.erfinv(", "ops.vmap(g, in_axes=1"))


# ----------------------------------------------------------------------------------------- wrong answers fixed
def _grad(ops, fn, x):
    return ops.grad(lambda t: fn(t).sum())(x).asnumpy()


@pytest.mark.parametrize("name, x, expected", [
    # MindSpore 2.10.0 CPU, run by hand (closed forms: J0' = -J1, J1' = J0 - J1 / x; SciPy's j0 / j1 agree)
    ("bessel_j0", [-3.0, 3.0, 1.0], [0.339059, -0.339059, -0.440051]),
    ("bessel_j1", [-3.0, 3.0, 1.0], [-0.373072, -0.373072, 0.325147]),
    # closed forms (SciPy): Y0' = -Y1, K0' = -K1, K1' = -K0 - K1 / x at the branch edges 3 and 2
    ("bessel_y0", [3.0], [-0.324674]),
    ("bessel_k0", [2.0], [-0.139866]),
    ("bessel_k1", [2.0], [-0.183827]),
])
def test_bessel_gradients_at_the_edges_of_their_approximations_are_whole(mindspore_is_gradserve, name, x, expected):
    """The J / Y approximations switch at |x| = 3 and K's at 2; each branch read its argument through
    minimum / maximum with the edge, whose gradient at a tie is split: bessel_j0's gradient at -3 was 0.169529
    (half of MindSpore's 0.339059), bessel_j1's -0.186536 for -0.373072."""
    import mindspore as ms
    from mindspore import Tensor, ops
    got = _grad(ops, getattr(ops, name), Tensor(np.array(x, np.float32), ms.float32))
    np.testing.assert_allclose(got, expected, rtol=2e-4, atol=1e-6)


def test_erfinv_gradient_is_inf_at_plus_minus_one_and_nan_beyond(mindspore_is_gradserve):
    """erfinv's value at +-1 is +-inf and NaN beyond, but its gradient there was 0 (the edge values were
    constants). Expected: MindSpore 2.10.0 CPU, run by hand: gradient [inf, inf, nan] at [-1, 1, 1.5] (torch
    2.13 the same); inside, sqrt(pi) / 2 exp(erfinv(y)^2) (closed form) and its derivative unchanged."""
    from mindspore import Tensor, ops
    for dtype in (np.float32, np.float64):
        x = Tensor(np.array([-1.0, 1.0, 1.5, -2.0, 0.5, 0.0], dtype))
        value = ops.erfinv(x).asnumpy()
        np.testing.assert_array_equal(value[:4], [-np.inf, np.inf, np.nan, np.nan])
        got = _grad(ops, ops.erfinv, x)
        np.testing.assert_array_equal(got[:4], [np.inf, np.inf, np.nan, np.nan])
        inside = math.sqrt(math.pi) / 2 * np.exp(value[4:].astype(np.float64) ** 2)
        np.testing.assert_allclose(got[4:], inside, rtol=1e-5)
    second = ops.grad(ops.grad(lambda t: ops.erfinv(t).sum()))(Tensor(np.array([0.3], np.float64))).asnumpy()
    e = 0.2724627147267544  # erfinv(0.3) (SciPy); d2/dy2 = 2 e (sqrt(pi) / 2 exp(e^2))^2
    np.testing.assert_allclose(second, [2 * e * (math.sqrt(math.pi) / 2 * math.exp(e * e)) ** 2], rtol=1e-6)


def test_searchsorted_puts_a_nan_value_after_every_number_and_compares_floats_in_an_int_sequence(
        mindspore_is_gradserve):
    """A NaN value was inserted at 0 (no entry is < NaN); MindSpore 2.10.0 CPU (run by hand), torch 2.13 and
    NumPy put it at the end: ops.searchsorted([1, 3, 5], [nan, 4]) = [3, 2] on both sides. Float values into an
    int32 sequence were truncated to int32 first: [2.5, 3.0, 3.5, -0.5] into [1, 3, 5] gave [1, 1, 1, 0] for
    NumPy's [1, 1, 2, 0] (MindSpore 2.10's CPU kernel refuses mixed dtypes: "Unknown Error!")."""
    import mindspore as ms
    from mindspore import Tensor, ops
    seq = Tensor(np.array([1.0, 3.0, 5.0], np.float32))
    values = Tensor(np.array([np.nan, 4.0], np.float32))
    for side in ("left", "right"):
        np.testing.assert_array_equal(ops.searchsorted(seq, values, side=side).asnumpy(), [3, 2])
    ints = Tensor(np.array([1, 3, 5], np.int32), ms.int32)
    mixed = Tensor(np.array([2.5, 3.0, 3.5, -0.5], np.float32))
    np.testing.assert_array_equal(ops.searchsorted(ints, mixed).asnumpy(), [1, 1, 2, 0])
    np.testing.assert_array_equal(ops.searchsorted(ints, mixed, right=True).asnumpy(), [1, 2, 2, 0])


def test_numpy_nancumsum_widens_small_integers_as_cumsum(mindspore_is_gradserve):
    """mindspore.numpy.nancumsum of uint8 [200, 100] wrapped in uint8 ([200, 44], s121:6 found the dtype);
    MindSpore 2.10.0 CPU (run by hand): int32 [200, 300], as its mindspore.numpy.cumsum; bool [True, True]
    int32 [1, 2]; NaNs still count as 0 ([[1, nan], [2, 3]] flattened: [1, 1, 3, 6]), dtype= still wins."""
    import mindspore as ms
    import mindspore.numpy as mnp
    from mindspore import Tensor
    out = mnp.nancumsum(Tensor(np.array([200, 100], np.uint8)))
    assert out.dtype == ms.int32
    np.testing.assert_array_equal(out.asnumpy(), [200, 300])
    out = mnp.nancumsum(Tensor(np.array([True, True])))
    assert out.dtype == ms.int32
    np.testing.assert_array_equal(out.asnumpy(), [1, 2])
    x = Tensor(np.array([[1.0, np.nan], [2.0, 3.0]], np.float32))
    np.testing.assert_array_equal(mnp.nancumsum(x).asnumpy(), [1, 1, 3, 6])
    np.testing.assert_array_equal(mnp.nancumsum(x, 0).asnumpy(), [[1, 0], [3, 3]])
    out = mnp.nancumsum(Tensor(np.array([100, 100], np.int8)), dtype=ms.float32)
    assert out.dtype == ms.float32
    np.testing.assert_array_equal(out.asnumpy(), [100, 200])


def test_pinv_gradient_of_a_near_singular_float32_matrix_keeps_its_sign(mindspore_is_gradserve):
    """s121:297: pinv of a 3x3 float32 matrix whose second row is the first times 1.001 plus 1e-3 times another:
    the closed-form cotangent ran in float32 and its (I - A pinv(A)) terms cancelled: the gradient of sum(pinv)
    at [0, 0] was 119.4 where MindSpore 2.10.0 CPU (the program's run) and torch 2.13 float64 give -124.45. Now
    the rule runs in float64. Expected: the same function in float64 here (torch 2.13 float64 agrees)."""
    from mindspore import Tensor, ops
    rs = np.random.RandomState(992510869)
    a = rs.standard_normal((3, 3)).astype(np.float32)
    w = np.random.RandomState(7).uniform(0.5, 1.5, (3, 3)).astype(np.float32)

    def loss(t):
        m = ops.cat((t[:1], t[:1] * 1.001 + t[1:2] * 1e-3, t[2:]), 0)
        return (ops.pinv(m) * Tensor(w.astype(t.asnumpy().dtype))).sum()
    got = ops.grad(loss)(Tensor(a)).asnumpy()
    exact = ops.grad(loss)(Tensor(a.astype(np.float64))).asnumpy()
    assert got.dtype == np.float32
    np.testing.assert_allclose(got, exact, rtol=2e-3, atol=2e-2)

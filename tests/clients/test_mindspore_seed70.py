"""Sample seed 70 of MindSpore's own tests (benchmarks/mindspore_suite/README.md, "Sample seed 70").

Expected values and texts: MindSpore 2.10 (CPU), run for this task in its own venv (/work/ms_suite70/probe/p*.py,
each printed on both sides and diffed, PyNative and GRAPH_MODE alike); the literals below are its outputs. The
cholesky_solve gradient is checked against JAX instead (MindSpore's is wrong math there: see the test)."""
import numpy as np
import pytest

import gradserve as ms
from gradserve import Tensor, mint, nn, ops
from gradserve.ops import operations as P
from gradserve.ops.operations.array_ops import SegmentMean

_X = [7, -7, 7, -7, 0, 5, -5, 0, 1, -1]
_Y = [2, 2, -2, -2, 0, 0, 0, 3, 3, 3]


@pytest.fixture(params=["graph", "pynative"])
def mode(fake, request):
    ms.set_context(mode=ms.GRAPH_MODE if request.param == "graph" else ms.PYNATIVE_MODE)
    yield request.param
    ms.set_context(mode=ms.PYNATIVE_MODE)


@pytest.mark.parametrize("dtype", [np.int8, np.int16, np.int32, np.int64])
def test_realdiv_of_signed_integers_truncates_and_saturates(mode, dtype):
    # MindSpore 2.10: the integer dtype kept, rounded toward zero; x / 0 the dtype's max / min by x's sign, 0 / 0 = 0
    info = np.iinfo(dtype)
    got = P.RealDiv()(Tensor(np.array(_X, dtype)), Tensor(np.array(_Y, dtype)))
    assert got.asnumpy().dtype == dtype
    np.testing.assert_array_equal(got.asnumpy(), [3, -3, -3, 3, 0, info.max, info.min, 0, 0, 0])


@pytest.mark.parametrize("dtype", [np.uint8, np.uint16, np.uint32, np.uint64])
def test_realdiv_of_unsigned_integers(mode, dtype):
    x, y = np.abs(np.array(_X)).astype(dtype), np.abs(np.array(_Y)).astype(dtype)
    got = P.RealDiv()(Tensor(x), Tensor(y))
    assert got.asnumpy().dtype == dtype
    m = np.iinfo(dtype).max
    np.testing.assert_array_equal(got.asnumpy(), np.array([3, 3, 3, 3, 0, m, m, 0, 0, 0], dtype))


def test_realdiv_promotes_first(mode):
    i32 = Tensor(np.array([7, -7], np.int32))
    b = Tensor(np.array([True, False, True]))
    i = Tensor(np.array([3, 2, 0], np.int32))
    cases = [  # (x, y, MindSpore 2.10's dtype, values)
        (i32, 2, ms.int32, [3, -3]),
        (7, Tensor(np.array([2, -2], np.int32)), ms.int32, [3, -3]),
        (Tensor(np.array([7, -7], np.int8)), Tensor(np.array([2, 2], np.int32)), ms.int32, [3, -3]),
        (b, i, ms.int32, [0, 0, 2147483647]),
        (i, b, ms.int32, [3, 2147483647, 0]),
        (b, 2, ms.int64, [0, 0, 0]),
        (Tensor(-9), Tensor(4), ms.int64, -2),
        (Tensor(np.array([-9, 9], np.int16)), Tensor(np.array([4, 0], np.int64)), ms.int64, [-2, 2**63 - 1]),
        (Tensor(np.array([200, 9], np.uint8)), Tensor(np.array([-3, 0], np.int8)), ms.int16, [-66, 32767]),
        (7, 2, ms.int64, 3),
        (i32, 2.0, ms.float32, [3.5, -3.5]),
        (b, 2.0, ms.float32, [0.5, 0.0, 0.5]),
    ]
    for x, y, dtype, want in cases:
        got = P.RealDiv()(x, y)
        assert got.dtype == dtype, (x, y, got.dtype)
        np.testing.assert_array_equal(got.asnumpy(), want)


def test_realdiv_integers_in_a_cell(mode):
    class Net(nn.Cell):
        def construct(self, x, y):
            return P.RealDiv()(x, y) * 2

    got = Net()(Tensor(np.array([7, -7], np.int32)), Tensor(np.array([2, 2], np.int32)))
    assert got.dtype == ms.int32
    np.testing.assert_array_equal(got.asnumpy(), [6, -6])


def test_realdiv_of_two_bools_is_a_type_error(mode):
    with pytest.raises(TypeError, match=r"For primitive\[RealDiv\], the input argument\[x\] must be a type of "
                                        r"\{Tensor\[BFloat16\].*but got Tensor\[Bool\]\."):
        P.RealDiv()(Tensor(np.array([True, False])), Tensor(np.array([True, True])))


def test_realdiv_of_floats_and_other_divisions_of_integers_unchanged(mode):
    # P.Div, ops.div and `/` give the float quotient of integers (MindSpore 2.10 too)
    x, y = Tensor(np.array([7, -7], np.int32)), Tensor(np.array([2, 0], np.int32))
    for got in (P.Div()(x, y), ops.div(x, y), x / y):
        assert got.dtype == ms.float32
        np.testing.assert_array_equal(got.asnumpy(), [3.5, -np.inf])
    got = P.RealDiv()(Tensor(np.array([1., 3.], np.float32)), Tensor(np.array([4., 0.], np.float32)))
    np.testing.assert_array_equal(got.asnumpy(), [0.25, np.inf])


class _RealDiv(nn.Cell):
    def construct(self, x, y):
        return P.RealDiv()(x, y)


@pytest.mark.parametrize("dtype, dy", [
    # MindSpore 2.10's dy = -(ct / y) * out: float16's last bit (1 * (3 / 7) / 7 would be -0.06121826)
    (np.float16, [-0.111083984375, -0.061187744140625]),
    (np.float64, [-0.1111111111111111, -0.06122448979591836]),
])
def test_div_gradient_in_mindspores_order(mode, dtype, dy):
    x, y = Tensor(np.array([1., 3.], dtype)), Tensor(np.array([3., 7.], dtype))
    gx, gy = ops.GradOperation(get_all=True)(_RealDiv())(x, y)
    want_dx = np.array([0.333251953125, 0.142822265625] if dtype == np.float16 else [1 / 3, 1 / 7], dtype)
    np.testing.assert_array_equal(gx.asnumpy(), want_dx)
    np.testing.assert_array_equal(gy.asnumpy(), np.array(dy, dtype))


def test_mint_glu_checks(mode):
    t = Tensor(np.ones((3, 4), np.float32))
    with pytest.raises(RuntimeError, match=r"^For GLU, halving dimension must be even, but dimension 0 is size 3\.$"):
        mint.nn.GLU(0)(t)
    with pytest.raises(RuntimeError, match=r"dimension -2 is size 3\.$"):
        mint.nn.functional.glu(t, -2)
    with pytest.raises(IndexError, match=r"^For GLU, dimension should be in range of \[-2, 1\], but got 2\.$"):
        mint.nn.GLU(2)(t)
    with pytest.raises(RuntimeError, match=r"^For GLU, scalar input is not supported because halving size must be "
                                           r"even, but got a scalar\.$"):
        mint.nn.GLU()(Tensor(2.0))
    with pytest.raises(TypeError, match=r"Select CPU operator\[GLU\] fail! Unsupported data type!"):
        mint.nn.GLU()(Tensor(np.ones((2, 2), np.int32)))
    with pytest.raises(ValueError, match=r"For 'Split', x_shape\[0\] must be divisible by output_num = 2"):
        ops.glu(t, 0)  # (ops.glu keeps Split's ValueError, as MindSpore's)
    got = mint.nn.GLU(-1)(Tensor(np.array([[0.5, -1.2, 3.0, 3.0]], np.float32)))
    np.testing.assert_allclose(got.asnumpy(), [[0.4762870669364929, -1.1430890560150146]], rtol=1e-6)


def test_eye_checks(mode):
    with pytest.raises(ValueError, match=r"^Eye error: n value can not be negative\.$"):
        mint.eye(-1, 2)
    with pytest.raises(ValueError, match=r"^Eye error: m value can not be negative\.$"):
        mint.eye(2, -1)
    with pytest.raises(ValueError, match=r"^Eye error: n value can not be negative\.$"):
        ops.eye(-1, 2, ms.float32)
    with pytest.raises(TypeError, match=r'^Failed calling Eye with "Eye\(\)\(n=float, m=int, dtype=mindspore\.dtype\)"'):
        mint.eye(2.0, 2)
    np.testing.assert_array_equal(mint.eye(Tensor(2), 3).asnumpy(), np.eye(2, 3))


_SEG = [0, 0, 2, 2, 2]


@pytest.mark.parametrize("dtype, data, want", [
    # MindSpore 2.10: the integer sum over the count, rounded toward zero, the dtype kept (an empty segment 0)
    (np.int8, [-3, 2, -4, -7, 9], [0, 0, 0]),
    (np.int32, [-3, 2, -4, -7, 9], [0, 0, 0]),
    (np.int64, [-3, 2, -4, -7, 9], [0, 0, 0]),
    (np.uint8, [3, 2, 4, 7, 9], [2, 0, 6]),
    (np.int32, [-1, 0, -5, 0, 0], [0, 0, -1]),
    (np.int32, [1, 2, 4, 7, 9], [1, 0, 6]),
])
def test_segment_mean_of_integers(mode, dtype, data, want):
    got = SegmentMean()(Tensor(np.array(data, dtype)), Tensor(np.array(_SEG, np.int32)))
    assert got.asnumpy().dtype == dtype
    np.testing.assert_array_equal(got.asnumpy(), want)


def test_segment_mean_complex_float_and_bool(mode):
    got = SegmentMean()(Tensor(np.array([1 + 1j, 2, 3j], np.complex64)), Tensor(np.array([0, 0, 2], np.int32)))
    assert got.dtype == ms.complex64
    np.testing.assert_array_equal(got.asnumpy(), [1.5 + 0.5j, 0j, 3j])
    got = SegmentMean()(Tensor(np.array([1, 2, 4, 7, 9], np.float64)), Tensor(np.array(_SEG, np.int32)))
    np.testing.assert_allclose(got.asnumpy(), [1.5, 0.0, 20 / 3], rtol=1e-15)
    with pytest.raises(TypeError, match=r"For primitive\[SegmentMean\], the input argument\[x_type\] must be a "
                                        r"type of \{Tensor\[Complex128\].*but got Tensor\[Bool\]\.$"):
        SegmentMean()(Tensor(np.array([True, False, True])), Tensor(np.array([0, 0, 1], np.int32)))


def test_segment_ids_negative_or_unsorted(mode):
    d = Tensor(np.ones((5, 2), np.float32))
    with pytest.raises(ValueError, match=r"^For 'SegmentOp', the values of segment_ids must be nonnegative, but "
                                         r"got -1\.$"):
        SegmentMean()(d, Tensor(np.array([-1, 0, 2, 2, 2], np.int32)))
    with pytest.raises(ValueError, match=r"^For 'SegmentOp', the values of segment_ids must be nonnegative"):
        ops.SegmentSum()(Tensor(np.ones(3, np.float32)), Tensor(np.array([-1, 0, 1], np.int32)))
    # an id that drops below the one before: the order's text first (MindSpore 2.10's for [0, 0, -1] too)
    for ids in ([1, 0, 2, 2, 2], [0, 0, 1, 1, -1]):
        with pytest.raises(ValueError, match=r"^For 'SegmentOp', segment_ids must be a tensor with element values "
                                             r"sorted in ascending order\.$"):
            SegmentMean()(d, Tensor(np.array(ids, np.int32)))


@pytest.mark.jax_x64
def test_cholesky_solve_gradient_of_the_factor_is_triangular(fake):
    # MindSpore 2.10's gradient with respect to the factor is the unmasked formula: nonzero above the diagonal of
    # a lower factor (-2.02 at [0, 1] here), although its forward reads only the lower triangle (garbage above it
    # leaves the answer as is, on both sides). That is wrong math; gradserve keeps the derivative of what is
    # computed, checked against JAX's cho_solve (its triangular_solve masks the same way).
    jax = pytest.importorskip("jax")
    from jax.scipy.linalg import cho_solve

    a = np.array([[4., 2., 0.6], [2., 5., 1.5], [0.6, 1.5, 3.]])
    lower = np.linalg.cholesky(a)
    factor = lower + np.triu(np.full((3, 3), 7.), 1)  # the garbage MindSpore's forward ignores
    b = np.array([[1., 2.], [3., -1.], [0.5, 0.25]])
    gb, gl = ops.grad(ops.cholesky_solve, (0, 1))(Tensor(b), Tensor(factor))
    jb, jl = jax.grad(lambda bb, ll: cho_solve((ll, True), bb).sum(), (0, 1))(b, factor)
    np.testing.assert_allclose(gb.asnumpy(), np.asarray(jb), rtol=1e-10)
    np.testing.assert_allclose(gl.asnumpy(), np.asarray(jl), rtol=1e-10, atol=1e-12)
    assert not np.triu(gl.asnumpy(), 1).any()
    np.testing.assert_allclose(ops.cholesky_solve(Tensor(b), Tensor(factor)).asnumpy(), np.linalg.solve(a, b),
                               rtol=1e-12)

"""mindspore.uint16 / uint32 / uint64: tensors keep their dtype end to end (the whole uint64 range), arithmetic
wraps, reductions keep the dtype, and no operand converts implicitly to or from them. The values recorded here
came from MindSpore 2.10 (CPU, PyNative) running the same programs in its venv."""
import numpy as np
import pytest

import gradserve as gs
from gradserve import Tensor, ops

WIDE = [(np.uint16, gs.uint16), (np.uint32, gs.uint32), (np.uint64, gs.uint64)]


@pytest.mark.parametrize("npt, mst", WIDE)
def test_wide_uints_keep_their_dtype_and_wrap(fake, npt, mst):
    x = Tensor(np.array([3, 5], npt))
    assert x.dtype == mst and str(mst) == "UInt" + npt.__name__[4:]
    top = np.iinfo(npt).max
    # MindSpore 2.10: x + x [6 10], sum 8 (same dtype), -x wraps to [max - 2, max - 4], x / 2 Float32 [1.5 2.5],
    # cumsum [3 8], max 5, x == 3 [True False]
    assert (x + x).dtype == mst and x.sum().dtype == mst
    np.testing.assert_array_equal((x + x).asnumpy(), [6, 10])
    assert int(x.sum().asnumpy()) == 8
    np.testing.assert_array_equal((-x).asnumpy(), np.array([top - 2, top - 4], npt))
    assert (x / 2).dtype == gs.float32
    np.testing.assert_allclose((x / 2).asnumpy(), [1.5, 2.5])
    np.testing.assert_array_equal(ops.cumsum(x, axis=0).asnumpy(), [3, 8])
    np.testing.assert_array_equal((x == 3).asnumpy(), [True, False])
    # MindSpore 2.10: d sum(cast(x, float32)^2) / dx = [2 4] in x's dtype
    g = gs.grad(lambda v: ops.sum(ops.cast(v, gs.float32) ** 2))(Tensor(np.array([1, 2], npt)))
    assert g.dtype == mst
    np.testing.assert_array_equal(g.asnumpy(), [2, 4])


def test_no_implicit_conversion(fake):
    """MindSpore 2.10: 'Type implicit conversion between Int32 and UInt16 is not supported.' (TypeError);
    bool joins them (uint16 + bool is UInt16)."""
    a = Tensor(np.array([3], np.uint16))
    for other in (np.int32, np.uint8, np.float32):
        with pytest.raises(TypeError, match="implicit conversion"):
            a + Tensor(np.array([2], other))
    with pytest.raises(TypeError, match="implicit conversion between UInt64 and UInt32"):
        Tensor(np.array([3], np.uint64)) + Tensor(np.array([2], np.uint32))
    both = a + Tensor(np.array([True]))
    assert both.dtype == gs.uint16 and int(both.asnumpy()[0]) == 4


def test_wide_uints_on_the_server(on_real_server_each_transport):
    """UINT16 / UINT32 / UINT64 through the real codecs (REST binary and JSON, gRPC contents): 2**64 - 1 intact."""
    x = Tensor(np.array([2 ** 64 - 1, 5], np.uint64))
    np.testing.assert_array_equal((x - Tensor(np.array([1, 1], np.uint64))).asnumpy(),
                                  np.array([2 ** 64 - 2, 4], np.uint64))
    for npt in (np.uint16, np.uint32):
        y = Tensor(np.array([np.iinfo(npt).max, 7], npt)) * Tensor(np.array([1, 3], npt))
        assert y.asnumpy().dtype == npt
        np.testing.assert_array_equal(y.asnumpy(), [np.iinfo(npt).max, 21])


def test_invert_and_is_signed(fake):
    # MindSpore 2.10: invert of uint64 [0, 5, 2**64 - 1] is [2**64 - 1, 2**64 - 6, 0]; is_signed False for every
    # unsigned dtype, bool and float16, True for signed integers, float32 / float64 and complex64
    x = Tensor(np.array([0, 5, 2 ** 64 - 1], np.uint64))
    np.testing.assert_array_equal(ops.invert(x).asnumpy(), np.array([2 ** 64 - 1, 2 ** 64 - 6, 0], np.uint64))
    # in a graph too: a constant above 2**53 is sent exactly (it was a fill of a float value, refused)
    jitted = gs.jit(lambda t: ops.invert(t) + Tensor(np.array([2 ** 64 - 10], np.uint64)))
    np.testing.assert_array_equal(jitted(x).asnumpy(), np.array([2 ** 64 - 11, 2 ** 64 - 16, 2 ** 64 - 10], np.uint64))
    signed = {np.int8: True, np.int64: True, np.uint8: False, np.uint16: False, np.uint64: False, np.float16: False,
              np.float32: True, np.float64: True, np.bool_: False, np.complex64: True}
    assert {t: Tensor(np.ones(1, t)).is_signed() for t in signed} == signed


def test_floor_mod_of_integers_past_two_to_the_53_is_exact(fake):
    """x % y of integers is their exact remainder (it went through float64: 2**64 - 1 % 7 gave 1023, not 1).
    MindSpore 2.10 refuses FloorMod of uint64 and rounds int64 past 2**53 the same way; NumPy is the reference."""
    u = np.array([2 ** 64 - 1, 2 ** 63 + 7, 5, 2 ** 63 - 1, 0], np.uint64)
    s = np.array([2 ** 63 - 1, -2 ** 63 + 5, 5, 2 ** 62 + 1, -7], np.int64)
    for a, b in ((u, np.uint64(7)), (s, np.int64(3)), (s, np.int64(-3))):
        want = np.mod(a, b)
        for run in (lambda t: t % Tensor(np.full(5, b)), lambda t: ops.floor_mod(t, Tensor(np.full(5, b)))):
            got = run(Tensor(a)).asnumpy()
            assert got.dtype == a.dtype
            np.testing.assert_array_equal(got, want)
        np.testing.assert_array_equal(gs.numpy.remainder(Tensor(a), Tensor(np.full(5, b))).asnumpy(), want)


def test_floor_div_of_64_bit_integers_is_exact(fake):
    """x // y of int64 / uint64 is the exact floor quotient (through float64 alone, uint64 2**64 - 1 // 1 was 0
    and int64 2**63 - 1 // 1 was -2**63: MindSpore 2.10's answers too). NumPy is the reference."""
    u = np.array([2 ** 64 - 1, 2 ** 63 + 7, 2 ** 53 + 1, 5, 0, 2 ** 64 - 2, 2 ** 63, 2 ** 63 - 1], np.uint64)
    ud = np.array([1, 3, 2 ** 63, 2 ** 64 - 1, 7, 2 ** 63 + 1, 2 ** 63, 2 ** 63], np.uint64)
    s = np.array([2 ** 63 - 1, -2 ** 63 + 5, 2 ** 53 + 1, -(2 ** 63 - 1), 1, -2 ** 63, 7, -7, 2 ** 62], np.int64)
    sd = np.array([1, 3, -2 ** 63, -2 ** 63, -2 ** 63, -2 ** 63, 2 ** 62 + 3, -(2 ** 63 - 1), -3], np.int64)
    for a, b in ((u, ud), (u, np.full(8, 7, np.uint64)), (s, sd), (s, np.full(9, -3, np.int64)),
                 (s, np.full(9, 2 ** 53 + 3, np.int64))):
        want = np.floor_divide(a, b)
        for run in (lambda p, q: p // q, ops.floor_div, gs.jit(lambda p, q: ops.floor_div(p, q))):
            got = run(Tensor(a), Tensor(b)).asnumpy()
            assert got.dtype == a.dtype
            np.testing.assert_array_equal(got, want, err_msg=f"{a} // {b}")


def test_clamp_of_64_bit_integers_by_number_bounds_past_two_to_the_53_is_exact(fake):
    """ops.clamp's number bounds went to the engine's clip op as floats: 2^62 + 1 became 2^62 (NumPy's clip is
    the reference: exact)."""
    for a, lo, hi in ((np.array([2 ** 63 - 1, -2 ** 63, 2 ** 62 + 7, 5, 2 ** 53], np.int64), -(2 ** 62) - 1, 2 ** 62 + 1),
                      (np.array([2 ** 64 - 1, 0, 2 ** 62 + 7, 5, 2 ** 53], np.uint64), 2 ** 53 + 1, 2 ** 63 + 1)):
        got = ops.clamp(Tensor(a), lo, hi).asnumpy()
        assert got.dtype == a.dtype
        np.testing.assert_array_equal(got, np.clip(a, a.dtype.type(lo), a.dtype.type(hi)))

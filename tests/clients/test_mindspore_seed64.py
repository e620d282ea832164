"""MindSpore test sample seed 64 (benchmarks/mindspore_suite/README.md): behaviours probed beside the sample's
files (ops.sgn, ops.sign, ops.argsort / sort). Expected values are MindSpore 2.10.0 CPU's outputs, copied here
as literals (probes /work/ms_suite64/probe/p1.py, p2.py, p9.py on the machine that ran them). No server but for
the last test (the sort runs on one): the others run eagerly (PyNative)."""
import numpy as np
import pytest

import gradserve as ms
from gradserve import Tensor, ops


@pytest.fixture(autouse=True)
def _pynative():
    ms.set_context(mode=ms.PYNATIVE_MODE)


def test_sgn_complex128_divides_each_part_by_the_modulus():
    # MindSpore 2.10: [(0.6+0.8j), (0.7071067811865475+0.7071067811865475j), (1+0j)] (the base: 0.6000000000000001,
    # 0.9999999999999999 for 1e30: NumPy's complex division multiplies by 1 / |x|)
    out = ops.sgn(Tensor(np.array([3 + 4j, 1 + 1j, 1e30 + 0j], np.complex128))).asnumpy()
    assert out.dtype == np.complex128
    assert out.tolist() == [(0.6 + 0.8j), (0.7071067811865475 + 0.7071067811865475j), (1 + 0j)]


def test_sgn_complex_zero_and_nonfinite():
    # MindSpore 2.10 (complex64): 0 -> 0j, -5j -> -1j, nan+1j and inf+0j -> nan+nanj, -2+0j (complex128) -> -1
    out = ops.sgn(Tensor(np.array([0j, -5j, complex(np.nan, 1), complex(np.inf, 0)], np.complex64))).asnumpy()
    assert out[0] == 0 and out[1] == -1j
    assert np.isnan(out[2].real) and np.isnan(out[2].imag) and np.isnan(out[3].real) and np.isnan(out[3].imag)
    assert ops.sgn(Tensor(np.array([-2 + 0j], np.complex128))).asnumpy().tolist() == [(-1 + 0j)]


def test_sgn_complex_matches_the_method():
    x = Tensor(np.array([3 + 4j, 7 - 24j], np.complex64))
    # MindSpore 2.10's docs: [0.6+0.8j, 0.28-0.96j]
    np.testing.assert_allclose(x.sgn().asnumpy(), [0.6 + 0.8j, 0.28 - 0.96j], rtol=1e-6)
    np.testing.assert_array_equal(x.sgn().asnumpy(), ops.sgn(x).asnumpy())


@pytest.mark.parametrize("value", [[1.0, -1.0], (1.0,), 1.0])
def test_sgn_of_a_non_tensor_is_mindsporess_type_error(value):
    with pytest.raises(TypeError, match=r"For sgn, the input must be a Tensor, but got <class '"
                                        + type(value).__name__ + "'>"):
        ops.sgn(value)


@pytest.mark.parametrize("dtype,name", [(np.int8, "Int8"), (np.int16, "Int16"), (np.uint8, "UInt8"),
                                        (np.uint16, "UInt16"), (np.uint32, "UInt32"), (np.uint64, "UInt64")])
def test_sign_refuses_the_dtypes_mindspore_refuses(dtype, name):
    # MindSpore 2.10: "For Primitive Sign, the type of input must be in {Bool, Int32, ...}, but got UInt8." (the base
    # answered [1, 0, 1])
    x = Tensor(np.array([2, 0, 3]).astype(dtype))
    for f in (ops.sign, ops.sgn):
        with pytest.raises(TypeError, match=r"For Primitive Sign, the type of input must be in \{Bool, Int32, Int64, "
                                            r"Float16, Float32, Float64, BFloat16, Complex64, Complex128\}, but got "
                                            + name + r"\."):
            f(x)


def test_sign_of_the_dtypes_mindspore_takes():
    # MindSpore 2.10: int32 / int64 [-1, 0, 1], float32 [-1, 0, -0, 1, 0 (nan), -1]
    assert ops.sign(Tensor(np.array([-2, 0, 3], np.int32))).asnumpy().tolist() == [-1, 0, 1]
    assert ops.sgn(Tensor(np.array([-2, 0, 3], np.int64))).asnumpy().tolist() == [-1, 0, 1]
    out = ops.sgn(Tensor(np.array([-2., 0., 3., np.nan, -np.inf], np.float32))).asnumpy()
    assert out.tolist() == [-1.0, 0.0, 1.0, 0.0, -1.0]


def test_argsort_and_sort_refuse_bool():
    # MindSpore 2.10: TypeError "... Select CPU operator[Sort] fail! Unsupported data type! ..." (the base: [1, 0, 2])
    b = Tensor(np.array([True, False, True]))
    for f in (ops.argsort, ops.sort, lambda t: t.argsort()):
        with pytest.raises(TypeError, match=r"Select CPU operator\[Sort\] fail! Unsupported data type!"):
            f(b)


def test_argsort_axis_and_rank_errors_are_mindspores():
    a = Tensor(np.array([[3., 1.], [0., 2.]], np.float32))
    with pytest.raises(ValueError, match=r"For primitive\[Sort\], the axis must be in \[-2,1\], but got 2\."):
        ops.argsort(a, 2)
    with pytest.raises(ValueError, match=r"For Sort, the check range left must be smaller than right number but "
                                         r"got left: 0 and right: -1\."):
        ops.argsort(Tensor(3.0))


def test_argsort_orders_as_mindspore(on_real_server):
    # MindSpore 2.10 (p1.py, p9.py): stable in both directions; NaN by its CPU kernel's order (the sort runs on the
    # server). A guard: the base gave these too.
    ms.set_context(mode=ms.PYNATIVE_MODE)
    ties = Tensor(np.array([2, 1, 2, 1, 2, 1, 0, 2], np.int32))
    assert ops.argsort(ties).asnumpy().tolist() == [6, 1, 3, 5, 0, 2, 4, 7]
    assert ops.argsort(ties, 0, True).asnumpy().tolist() == [0, 2, 4, 7, 1, 3, 5, 6]
    a = Tensor(np.array([[3., 1., 2., 1.], [0., -0., np.nan, -1.]], np.float32))
    assert ops.argsort(a).asnumpy().tolist() == [[1, 3, 2, 0], [0, 1, 2, 3]]
    assert ops.argsort(a, 0, True).asnumpy().tolist() == [[0, 0, 0, 0], [1, 1, 1, 1]]
    assert ops.argsort(a).dtype == ms.int32


# -- Unique / unique_consecutive (p10.py - p12.py)

def test_unique_keeps_each_nan_apart():
    # MindSpore 2.10: [2.5, nan, -0.0, nan], idx [0, 1, 2, 2, 0, 3] (the base merged the NaNs: 3 values, idx ... 1)
    y, idx = ops.unique(Tensor(np.array([2.5, np.nan, -0.0, 0.0, 2.5, np.nan], np.float32)))
    out = y.asnumpy()
    assert out.shape == (4,) and out[0] == 2.5 and np.isnan(out[1]) and out[2] == 0 and np.signbit(out[2])
    assert np.isnan(out[3])
    assert idx.dtype == ms.int32 and idx.asnumpy().tolist() == [0, 1, 2, 2, 0, 3]
    import gradserve.numpy as mnp
    y, idx = mnp.unique(Tensor(np.array([2.5, np.nan, 1.0, 2.5, np.nan], np.float32)), return_inverse=True)
    assert y.shape == (4,) and idx.asnumpy().tolist() == [0, 1, 2, 0, 3]  # MindSpore 2.10's mindspore.numpy


@pytest.mark.parametrize("dtype", [np.bool_, np.uint32, np.uint64])
def test_unique_refuses_the_dtypes_its_cpu_kernel_lacks(dtype):
    # MindSpore 2.10: TypeError "... Select CPU operator[Unique] fail! Unsupported data type! ..." (the base answered)
    with pytest.raises(TypeError, match=r"Select CPU operator\[Unique\] fail! Unsupported data type!"):
        ops.unique(Tensor(np.array([1, 1, 0]).astype(dtype)))


def test_unique_consecutive_takes_mindspore_2_10_keywords():
    x = Tensor(np.array([5, 1, 5, 3, 1, 3], np.int32))
    out, idx, counts = ops.unique_consecutive(x, return_inverse=True, return_counts=True)  # the base: TypeError
    assert out.asnumpy().tolist() == [5, 1, 5, 3, 1, 3]
    assert idx.dtype == ms.int64 and idx.asnumpy().tolist() == [0, 1, 2, 3, 4, 5]
    assert counts.asnumpy().tolist() == [1, 1, 1, 1, 1, 1]
    m = Tensor(np.array([[1, 2], [1, 2], [3, 4]], np.int32))
    assert ops.unique_consecutive(m, dim=0).asnumpy().tolist() == [[1, 2], [3, 4]]
    out, idx = x.unique_consecutive(return_inverse=True)  # the Tensor method (the base: AttributeError)
    assert idx.asnumpy().tolist() == [0, 1, 2, 3, 4, 5]
    y, idx, counts = ops.unique_consecutive(Tensor(np.array([1., 1., np.nan, np.nan], np.float32)), True, True)
    assert idx.asnumpy().tolist() == [0, 0, 1, 2] and counts.asnumpy().tolist() == [2, 1, 1]  # NaN runs apart
    for kw in ("return_idx", "axis"):  # the 1.x names: MindSpore 2.10's TypeError
        with pytest.raises(TypeError, match=f"unexpected keyword argument '{kw}'"):
            ops.unique_consecutive(x, **{kw: True if kw == "return_idx" else 0})

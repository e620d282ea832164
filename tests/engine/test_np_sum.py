"""engine/ops/np_sum.py: the sum kernel of the NumPy out-kernels gives NumPy's own bits.

The reference is np.add.reduce itself (what the generic step loop computes); the kernel's two
rewrites (fold, front) rely on NumPy's summation order, so this checks the cases they cover, on
contiguous and strided layouts, into a buffer and not, and special values.
"""
import numpy as np
import pytest

from engine.ops.np_sum import FOLD_MAX, sum_kernel

RNG = np.random.default_rng(11)


def spread(shape, dtype):
    """Values over many magnitudes and both signs, so any change of summation order shows."""
    x = RNG.standard_normal(shape) * 10.0 ** RNG.uniform(-6, 6, size=shape)
    return x.astype(dtype)


def layouts(x):
    """The same values as C order, Fortran order, a reversed view and a strided slice."""
    yield "C", np.ascontiguousarray(x)
    yield "F", np.asfortranarray(x)
    yield "reversed", np.ascontiguousarray(x[::-1])[::-1]
    big = np.zeros(tuple(2 * d for d in x.shape), x.dtype)
    big[tuple(slice(None, None, 2) for _ in x.shape)] = x
    yield "strided", big[tuple(slice(None, None, 2) for _ in x.shape)]


def same_bits(a, b):
    a, b = np.asarray(a), np.asarray(b)
    return a.shape == b.shape and a.dtype == b.dtype and a.tobytes() == b.tobytes()


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("n", range(1, FOLD_MAX + 3))
@pytest.mark.parametrize("axis", [0, 1, 2, -1])
@pytest.mark.parametrize("keepdims", [False, True])
def test_sum_kernel_equals_numpy_bitwise(dtype, n, axis, keepdims):
    shape = [40, 30, 20]
    shape[axis] = n
    x0 = spread(tuple(shape), dtype)
    k = sum_kernel(x0.shape, (axis,), keepdims, dtype)
    for name, x in layouts(x0):
        ref = np.add.reduce(x, (axis,), None, None, keepdims)
        assert same_bits(k(x), ref), (name, n, axis)
        # into a C-order buffer, as the plan's arena gives it (NumPy's own order may depend on the
        # output's layout, so the reference writes into one too)
        o, ref_o = np.empty(ref.shape, dtype), np.empty(ref.shape, dtype)
        np.add.reduce(x, (axis,), None, ref_o, keepdims)
        assert k(x, o) is o and same_bits(o, ref_o), (name, n, axis)


FRONT_CASES = [((32, 32, 16), 1), ((32, 32, 3), 1), ((8, 32, 16), 1), ((4, 20, 5, 3), 1), ((4, 20, 5, 3), 2),
               ((16, 9, 1, 7), 1), ((64, 12), 0)]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("shape,axis", FRONT_CASES)
@pytest.mark.parametrize("keepdims", [False, True])
def test_front_kernel_equals_numpy_bitwise(dtype, shape, axis, keepdims):
    x0 = spread(shape, dtype)
    x0.flat[::5] = -0.0  # whole runs of negative zeros in some outputs
    x0[(slice(None),) * axis + (slice(None, 2),)] = -0.0
    k = sum_kernel(shape, (axis,), keepdims, dtype)
    # an axis with longer ones on both sides takes the front path; (64, 12) over axis 0 is NumPy's fast case
    assert k.__name__ == ("front" if 0 < axis < len(shape) - 1 else "<lambda>")
    for name, x in layouts(x0):
        ref = np.add.reduce(x, (axis,), None, None, keepdims)
        assert same_bits(k(x), ref), name
        o, ref_o = np.empty(ref.shape, dtype), np.empty(ref.shape, dtype)
        np.add.reduce(x, (axis,), None, ref_o, keepdims)
        assert k(x, o) is o and same_bits(o, ref_o), name


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_special_values_keep_numpy_bits(dtype):
    x = spread((200, 3), dtype)
    x[0] = [-0.0, -0.0, -0.0]  # NumPy's inner loop starts from +0.0: the sum is +0
    x[1] = [np.inf, -np.inf, 1.0]
    x[2] = [np.nan, 1.0, 2.0]
    x[3] = [np.finfo(dtype).max, np.finfo(dtype).max, -np.finfo(dtype).max]  # overflows in this order
    k = sum_kernel(x.shape, (1,), False, dtype)
    assert k.__name__ == "fold"  # the case the fold covers
    with np.errstate(all="ignore"):
        got, ref = k(x), np.add.reduce(x, 1)
    assert same_bits(got, ref)
    assert not np.signbit(got[0]) and np.isinf(got[3])
    y = np.ascontiguousarray(np.moveaxis(x, 1, 0))  # summed over an outer axis: +0 too
    with np.errstate(all="ignore"):
        got, ref = sum_kernel(y.shape, (0,), False, dtype)(y), np.add.reduce(y, 0)
    assert same_bits(got, ref) and not np.signbit(got[0])


def test_size_one_axes_beside_the_short_one():
    x = spread((300, 1, 5, 1), "float32")
    for keepdims in (False, True):
        k = sum_kernel(x.shape, (1, 2, 3), keepdims, "float32")
        assert k.__name__ == "fold"
        assert same_bits(k(x), np.add.reduce(x, (1, 2, 3), None, None, keepdims))


@pytest.mark.parametrize("case", [((64, 3), (0, 1), "float32"),  # two axes of length > 1
                                  ((5, 3), (1,), "float32"),  # too few rows to pay for the adds
                                  ((100, 3), (1,), "float16"),  # NumPy sums float16 in float32
                                  ((100, 3), (1,), "complex64"),
                                  ((100, 9), (1,), "float32")])  # pairwise above 8 terms
def test_other_cases_call_numpy(case):
    shape, axes, dtype = case
    k = sum_kernel(shape, axes, False, dtype)
    assert k.__name__ == "<lambda>"  # np.add.reduce itself
    x = np.ones(shape, dtype)
    assert same_bits(k(x), np.add.reduce(x, axes))


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("shape,axis", [((), None), ((32, 3), None), ((7, 5, 3), (0, 2)), ((1000, 7), (0,)),
                                        ((3, 17), (1,)), ((1, 1), None)])
def test_mean_kernel_equals_np_mean_bitwise(dtype, shape, axis):
    """The mean out-kernel divides by the count in the dtype (where the dtype holds it exactly), np.mean
    in float64 then rounds: the same bits (division rounded twice through float64 is correctly rounded)."""
    from engine.ir import AVal, Eqn, Var
    from engine.ops.reductions import _np_mean_out

    ref = np.mean(spread(shape, dtype), axis=axis)
    out = Var(AVal(tuple(np.shape(ref)), dtype))
    k, _, _ = _np_mean_out(Eqn("mean", (Var(AVal(shape, dtype)),), {"axis": axis, "keepdims": False}, (out,)))
    for _ in range(50):
        x = spread(shape, dtype)
        ref = np.mean(x, axis=axis)
        o = np.empty(np.shape(ref), dtype)
        assert k(x, o) is o
        assert o.dtype == ref.dtype and o.tobytes() == np.asarray(ref).tobytes()

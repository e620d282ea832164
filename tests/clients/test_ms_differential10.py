"""Round 10 of the silently-wrong-number hunt: benchmarks/ms_differential.py --round 10 (dtype promotion of every
binary op family with Python numbers and int8-64 / uint8 / bool / float16-64 / complex64 operands, integer division
signs, bitwise ops and shifts, rounding, clamp, where / masked_fill, reductions over Tensor / ops / mint /
mindspore.numpy, NaN handling, in-place writes through views), run as the same text in MindSpore 2.10 CPU
(/work/msvenv) and in the SDK, beside probes by hand. The harness's own checks and a regression test per wrong answer
found. Expected values: MindSpore 2.10.0 CPU runs by hand (written down here), or closed forms / NumPy (each test
says which)."""
import numpy as np
import pytest

from clients._ms_shim import mindspore_is_gradserve  # noqa: F401  (puts benchmarks/ on sys.path)
import _ms_differential_gen10 as gen10  # noqa: E402
from clients import _ms_rounds  # noqa: E402
import ms_differential as msd  # noqa: E402

U8 = np.array([7, 200, 3, 0, 5], np.uint8)
I8 = np.array([-7, 7, 100, 0, -100], np.int8)


# ----------------------------------------------------------------------------------------- the harness
def test_round10_programs_are_reproducible_compile_and_draw_every_form():
    first = _ms_rounds.checked_programs(gen10.programs10, 10,
        forms={"promo10", "intdiv", "bitwise", "rounding", "clamp", "where", "reduce10", "nans", "inplace10"},
        spellings=("'complex64'", "'uint8'", "'int8'", "'bool'", "'float16'", "'nans'", "'halves'", "'wide'", "mnp.",
                   "mint.", "keepdims=True", "@ms.jit", "rounding_mode='trunc'", "decimals="))
    families = {p["api"].split(".")[1] for p in first if p["api"].startswith("promo10")}
    assert families == set(gen10._FAMILIES)
    # integer / bool programs run for their values (and dtypes); float ones also under the first-order forms
    assert {p["mode"] for p in first if p["api"].startswith(("bitwise", "promo10.shift"))} == {"value"}
    assert {p["mode"] for p in first if p["api"].startswith("nans")} >= {"value", "grad", "vjp", "jit_grad"}


def test_the_new_domains_draw_the_same_numbers_on_both_sides(mindspore_is_gradserve):
    """T(..., 'nans') puts NaN at every third entry and +-inf last; 'wide' integers go through int64 (so uint8 wraps
    defined: NumPy 1.26 on MindSpore's side and NumPy 2 on ours agree); 'halves' rounds to halves."""
    rs = np.random.RandomState(12)
    a = rs.standard_normal((2, 3)).ravel()
    a[::3], a[-1] = np.nan, -np.inf
    np.testing.assert_array_equal(msd.make_tensor("float32", (2, 3), 12, "nans").asnumpy(),
                                  a.reshape(2, 3).astype(np.float32))
    rs = np.random.RandomState(13)
    want = np.round(rs.standard_normal((4,)) * 40, 3).astype(np.int64).astype(np.uint8)
    np.testing.assert_array_equal(msd.make_tensor("uint8", (4,), 13, "wide").asnumpy(), want)


# ----------------------------------------------------------------------------------------- wrong answers fixed
def test_true_division_by_an_int_out_of_the_tensors_range_divides_by_its_value(mindspore_is_gradserve):
    """uint8 / -3 took -3 as uint8 253 (0.0277 for 7 / -3), int8 / 300 as 44 (-0.159 for -7 / 300). Expected:
    MindSpore 2.10.0 CPU, run by hand: u8 [7, 200, 3, 0, 5] / -3 = [-2.3333, -66.6667, -1, -0, -1.6667] (also
    ops.true_divide, ops.div, mint.div, and under ms.jit: the same closed form), -300 / int8 [-7, 7, 100, 0, -100] =
    [42.857, -42.857, -3, -inf, 3], uint8 / 300 = [0.02333, 0.6667, 0.01, 0, 0.01667]; ops.xlogy(-3, uint8 [7, 200,
    3, 5]) = -3 log(x) = [-5.8377, -15.8950, -3.2958, -4.8283]."""
    import mindspore as ms
    from mindspore import Tensor, mint, ops
    u, i = Tensor(U8), Tensor(I8)
    want = U8.astype(np.float64) / -3
    for got in (u / -3, ops.div(u, -3), ops.true_divide(u, -3), mint.div(u, -3), ms.jit(lambda x: x / -3)(u)):
        assert got.dtype == ms.float32
        np.testing.assert_allclose(got.asnumpy(), want, rtol=1e-6)
    with np.errstate(divide="ignore"):
        np.testing.assert_allclose(ops.div(-300, i).asnumpy(), -300 / I8.astype(np.float64), rtol=1e-6)
    np.testing.assert_allclose((u / 300).asnumpy(), U8 / 300.0, rtol=1e-6)
    np.testing.assert_allclose((300 / Tensor(U8[[0, 1, 2, 4]])).asnumpy(), [42.857143, 1.5, 100.0, 60.0], rtol=1e-6)
    np.testing.assert_allclose(ops.xlogy(-3, Tensor(np.array([7, 200, 3, 5], np.uint8))).asnumpy(),
                               [-5.8377304, -15.894952, -3.295837, -4.828314], rtol=1e-6)
    # in range, unchanged: the number takes the Tensor's dtype and the quotient is float32
    np.testing.assert_allclose((u / 2).asnumpy(), U8 / 2.0)


def test_fmod_and_trunc_division_by_an_out_of_range_int_use_its_value_then_wrap(mindspore_is_gradserve):
    """fmod(uint8 [7, 200, 3, 0, 5], -3) was fmod(x, 253) = x; int8 fmod 300 took 44 (100 -> 12). Expected: MindSpore
    2.10.0 CPU, run by hand: fmod(u8, -3) = [1, 2, 0, 0, 2], fmod(-300, uint8 [7, 200, 3, 5]) = [250, 156, 0, 0] (-6,
    -100 wrapped), fmod(int8, 300) = int8 unchanged; div(-300, int8 [-7, 7, 100, -100], rounding_mode='trunc') = [42,
    -42, -3, 3] (was [6, -6, 0, 0]), div(uint8 [253, 44, 200, 0], -3, rounding_mode='trunc') = [172, 242, 190, 0]."""
    from mindspore import Tensor, ops
    u, i = Tensor(U8), Tensor(I8)
    for got, want in ((ops.fmod(u, -3), [1, 2, 0, 0, 2]),
                      (ops.fmod(-300, Tensor(np.array([7, 200, 3, 5], np.uint8))), [250, 156, 0, 0]),
                      (ops.fmod(i, 300), I8),
                      (ops.div(-300, Tensor(np.array([-7, 7, 100, -100], np.int8)), rounding_mode="trunc"),
                       [42, -42, -3, 3]),
                      (ops.div(Tensor(np.array([253, 44, 200, 0], np.uint8)), -3, rounding_mode="trunc"),
                       [172, 242, 190, 0])):
        np.testing.assert_array_equal(got.asnumpy(), want)
    assert ops.fmod(u, -3).dtype == u.dtype and ops.fmod(i, 300).dtype == i.dtype
    # add / mul / floor_divide still wrap the number into the dtype first, as MindSpore 2.10 (uint8 + 300: + 44)
    np.testing.assert_array_equal((u + 300).asnumpy(), (U8 + np.uint8(44)))
    np.testing.assert_array_equal(ops.floor_divide(-3, Tensor(np.array([7, 200], np.uint8))).asnumpy(), [36, 1])


def test_hypot_of_integers_and_float16_does_not_overflow(mindspore_is_gradserve):
    """hypot squared in the operands' dtype: uint8 200 squared wrapped (hypot(200, -2) was 8.246, hypot(int8 100,
    -2.5) 4.717), float16 300 squared overflowed (hypot(300, 400) was inf). Expected: MindSpore 2.10.0 CPU for
    hypot(uint8 [7, 200, 3], float32 [2, -2, 3]) = [7.28011, 200.01, 4.2426405]; the closed form sqrt(x^2 + y^2)
    for float16 [300, 3], [400, 4] = [500, 5] (MindSpore 2.10's CPU refuses float16 and integer hypot), and its
    gradient x / hypot = [0.6, 0.8] / [0.447, 0.894] (closed form)."""
    from mindspore import Tensor, ops
    np.testing.assert_allclose(ops.hypot(Tensor(np.array([7, 200, 3], np.uint8)),
                                         Tensor(np.array([2.0, -2.0, 3.0], np.float32))).asnumpy(),
                               [7.28011, 200.01, 4.2426405], rtol=1e-6)
    np.testing.assert_allclose(ops.hypot(Tensor(I8), -2.5).asnumpy(), np.hypot(I8.astype(np.float64), 2.5), rtol=1e-6)
    h = ops.hypot(Tensor(np.array([300, 3], np.float16)), Tensor(np.array([400, 4], np.float16)))
    assert str(h.dtype) == "Float16"
    np.testing.assert_array_equal(h.asnumpy(), [500, 5])
    gx, gy = ops.grad(lambda a, b: ops.hypot(a, b).sum(), (0, 1))(Tensor(np.array([3.0, 0.5], np.float16)),
                                                                     Tensor(np.array([4.0, 1.0], np.float16)))
    np.testing.assert_allclose(gx.asnumpy(), [0.6, 0.5 / np.hypot(0.5, 1)], rtol=2e-3)
    np.testing.assert_allclose(gy.asnumpy(), [0.8, 1 / np.hypot(0.5, 1)], rtol=2e-3)


def test_floor_divide_of_complex_floors_the_quotients_real_part(mindspore_is_gradserve):
    """complex // complex cast both to float64 first (their real parts): (-7+1j) // (2-1j) was -4 (-7 // 2), 3j // 2
    0 and (-0.5-2j) // 3j -inf (a division by the real part 0). Expected: MindSpore 2.10.0 CPU, run by hand, floor of
    the quotient's real part as a complex: [-3, 0, -1] (closed forms: (-7+1j) / (2-1j) = -3-1j, 3j / 2 = 1.5j,
    (-0.5-2j) / 3j = -0.667+0.167j); an int8 dividend too (-7 // (2-1j): -2.8-1.4j, -3)."""
    from mindspore import Tensor, ops
    c = Tensor(np.array([-7 + 1j, 3j, -0.5 - 2j], np.complex64))
    d = Tensor(np.array([2 - 1j, 2, 3j], np.complex64))
    for got in (ops.floor_divide(c, d), c // d):
        assert got.asnumpy().dtype == np.complex64
        np.testing.assert_array_equal(got.asnumpy(), [-3, 0, -1])
    np.testing.assert_array_equal(ops.floor_divide(Tensor(np.array([-7], np.int8)), d[:1]).asnumpy(), [-3])


def test_subtract_a_python_bool_keeps_the_integer_dtype(mindspore_is_gradserve):
    """ops.subtract(int8, True) was int64 (uint8 [0] - True gave int64 -1). Expected: MindSpore 2.10.0 CPU, run by
    hand: int8 [-3, 1, 5] - True = int8 [-4, 0, 4], uint8 [0] - True = uint8 [255] (as ops.sub); a bool Tensor operand
    is still int64 (MindSpore: sub(input, alpha * other), 1 * a bool Tensor is int64)."""
    import mindspore as ms
    from mindspore import Tensor, ops
    i8 = Tensor(np.array([-3, 1, 5], np.int8))
    got = ops.subtract(i8, True)
    assert got.dtype == ms.int8
    np.testing.assert_array_equal(got.asnumpy(), [-4, 0, 4])
    np.testing.assert_array_equal(ops.subtract(Tensor(np.array([0], np.uint8)), True).asnumpy(), [255])
    assert ops.subtract(i8, Tensor(np.array([True, False, True]))).dtype == ms.int64


def test_tensor_var_and_std_of_integers_are_float(mindspore_is_gradserve):
    """Tensor.var of uint8 [[3, 1, 3], [2, 0, 200]] was 124.5 (its mean truncated to the uint8 34 and the deviations
    wrapped). Expected: NumPy's var, 5457.139 (std 73.8725), as ops.var gives; MindSpore 2.10.0 CPU's Tensor.var gives
    39.17 here (the same wrapping) and 5457.83 for int32 (its mean truncated): both off the documented variance.
    int8 [[3, -1, 3], [2, 0, -5]].var(1): NumPy [3.5556, 8.6667]."""
    from mindspore import Tensor
    x = np.array([[3, 1, 3], [2, 0, 200]], np.uint8)
    np.testing.assert_allclose(Tensor(x).var().asnumpy(), np.var(x.astype(np.float64)), rtol=1e-6)
    np.testing.assert_allclose(Tensor(x).std().asnumpy(), np.std(x.astype(np.float64)), rtol=1e-6)
    y = np.array([[3, -1, 3], [2, 0, -5]], np.int8)
    np.testing.assert_allclose(Tensor(y).var(1).asnumpy(), np.var(y.astype(np.float64), 1), rtol=1e-6)


def test_numpy_clip_maximum_compare_in_the_promoted_dtype_and_keep_the_tensors(mindspore_is_gradserve):
    """mindspore.numpy.clip(bool [True, False], -1, None) was [True, True] (-1 taken as bool True first) and
    clip(int8, 0-d int64 1, 0-d int64 2) int64. Expected: MindSpore 2.10.0 CPU, run by hand: [True, False] and int8
    [1, 1, 2] (its maximum / minimum compare in the promoted dtype, then cast to the dtype of the operand that is not
    0-d); clip(int8 [1, 5], 0.5, 2.5) = int8 [1, 2] and clip(uint8 [0, 1, 250], -1, None) unchanged, as before."""
    import mindspore as ms
    import mindspore.numpy as mnp
    from mindspore import Tensor
    got = mnp.clip(Tensor(np.array([True, False])), -1, None)
    assert got.dtype == ms.bool_
    np.testing.assert_array_equal(got.asnumpy(), [True, False])
    i8 = Tensor(np.array([-3, 1, 5], np.int8))
    got = mnp.clip(i8, Tensor(np.array(1, np.int64)), Tensor(np.array(2, np.int64)))
    assert got.dtype == ms.int8
    np.testing.assert_array_equal(got.asnumpy(), [1, 1, 2])
    np.testing.assert_array_equal(mnp.clip(Tensor(np.array([1, 5], np.int8)), 0.5, 2.5).asnumpy(), [1, 2])
    np.testing.assert_array_equal(mnp.clip(Tensor(np.array([0, 1, 250], np.uint8)), -1, None).asnumpy(), [0, 1, 250])
    assert mnp.maximum(i8, Tensor(np.array([1, 1, 1], np.int64))).dtype == ms.int64  # neither 0-d: promoted


def test_an_item_assignment_into_an_indexed_result_writes_back_into_its_source(mindspore_is_gradserve):
    """PyNative: `row = x[0]; row[1:] = ...` left x as it was here. Expected: MindSpore 2.10.0 CPU, run by hand
    (its getitem result remembers its parent; an item assignment writes back): x[0][1:] = 7 through a chain gives
    [[1, 7, 3], [4, 5, 6]]; x[..., 1] then [0] = 9 gives [[1, 9, 3], ...]; a mask x[x > 2] then [0] = 9 gives
    [[1, 2, 9], ...]; x[[0, 1]] then [0] = 9 gives row 0 all 9; `row[0] += 5` too; a copy / x * 1 does not write
    back; a Parameter's row is written into the Parameter. Under jit nothing is written back (MindSpore's graph mode)."""
    import mindspore as ms
    from mindspore import Tensor

    def x():
        return Tensor(np.array([[1.0, 2, 3], [4, 5, 6]], np.float32))
    a = x()
    row = a[0]
    tail = row[1:]
    tail[0] = 7
    np.testing.assert_array_equal(a.asnumpy(), [[1, 7, 3], [4, 5, 6]])
    np.testing.assert_array_equal(row.asnumpy(), [1, 7, 3])
    for index, want in ((np.s_[..., 1], [[1, 9, 3], [4, 5, 6]]), ([0, 1], [[9, 9, 9], [4, 5, 6]]),
                        (np.s_[:, ::2], [[9, 2, 9], [4, 5, 6]]), (np.s_[1:, None], [[1, 2, 3], [9, 9, 9]])):
        a = x()
        part = a[index]
        part[0] = 9
        np.testing.assert_array_equal(a.asnumpy(), want)
    a = x()
    part = a[a > 2]
    part[0] = 9
    np.testing.assert_array_equal(a.asnumpy(), [[1, 2, 9], [4, 5, 6]])
    a = x()
    row = a[0]
    row[0] += 5
    np.testing.assert_array_equal(a.asnumpy(), [[6, 2, 3], [4, 5, 6]])
    for made in (lambda t: t.copy(), lambda t: t * 1):
        a = x()
        other = made(a)
        other[0] = 9
        np.testing.assert_array_equal(a.asnumpy(), x().asnumpy())
    a = x()  # a write into x after row was taken stays (MindSpore 2.10: row shares x's storage; x becomes
    row = a[0]  # [[5, 7, 3], ...]); only the elements written through row go back (the whole old row did)
    a[0, 0] = 5
    row[1] = 7
    np.testing.assert_array_equal(a.asnumpy(), [[5, 7, 3], [4, 5, 6]])
    p = ms.Parameter(x(), name="p")
    row = p[0]
    row[1] = 0
    np.testing.assert_array_equal(p.asnumpy(), [[1, 0, 3], [4, 5, 6]])

    @ms.jit
    def g(t):
        r = t[0]
        r[1:] = 0
        return t * 1, r
    whole, r = g(x())
    np.testing.assert_array_equal(whole.asnumpy(), x().asnumpy())
    np.testing.assert_array_equal(r.asnumpy(), [1, 0, 0])



def test_numpy_around_of_integers_keeps_their_dtype(mindspore_is_gradserve):
    """mindspore.numpy.around / round of int32 [15, -25] was float32. Expected: MindSpore 2.10.0 CPU, run by hand:
    int32 [15, -25] (seed 102's programs 151 / 243, int32 and int64); decimals=-1 as NumPy's around: [20, -20] (half
    to even; MindSpore 2.10 refuses decimals < 0)."""
    import mindspore as ms
    import mindspore.numpy as mnp
    from mindspore import Tensor
    for dt, msdt in ((np.int32, ms.int32), (np.int64, ms.int64)):
        x = Tensor(np.array([15, -25], dt))
        for got in (mnp.around(x), mnp.round(x), mnp.around(x, 1)):
            assert got.dtype == msdt
            np.testing.assert_array_equal(got.asnumpy(), [15, -25])
        np.testing.assert_array_equal(mnp.around(x, -1).asnumpy(), np.around(np.array([15, -25], dt), -1))
    y = np.array([2.675, 0.5, -1.5], np.float32)  # floats as before: NumPy's multiply-rint-divide
    np.testing.assert_allclose(mnp.around(Tensor(y), 2).asnumpy(), np.around(y, 2), rtol=1e-6)

"""gradserve.numpy eager (the SDK's NumPy), traced (a jit graph the engine runs) and against an independent
reference: each case's value is NumPy's own function computed here, its dtype MindSpore 2.10's (its venv, run
for this review: the literal per case). Eager and traced must agree bit for bit.

Cases the review found wrong: a Python float beside an integer Tensor took the Tensor's dtype (add(int32, 2.5)
was int32 [5, -5, ...], power(int32, 0.5) all 1s: MindSpore 2.10 gives float32); sum of int32 stayed int32,
nansum of narrow integers widened, trace of integers did not (MindSpore: int64, kept, int64); argmax was int32
and refused bool (MindSpore: Tensor.argmax of bool as int32, int64); heaviside gave 0 for NaN (NumPy: NaN) and
broadcast only one way."""
import numpy as np
import pytest

import gradserve as gs
import gradserve.numpy as mnp
from gradserve import Tensor

F = np.array([[1.5, -2.0, 0.0], [3.25, 7.0, -0.5]], np.float32)
G = np.array([[0.5, -1.0, 2.0], [1.0, 4.0, -3.0]], np.float32)
I = np.array([[3, -7, 0], [12, 5, -2]], np.int32)
J = np.array([[2, 3, -4], [5, -6, 7]], np.int32)
U8 = np.array([200, 100, 3, 255], np.uint8)
I8 = np.array([100, 100, -128, 27], np.int8)
B = np.array([[True, False, True], [False, False, True]])
V = np.array([1.0, 2.0, -3.0], np.float32)
NANS = np.array([[np.nan, 1.0, 3.0], [2.0, np.nan, -1.0]], np.float32)

# (gradserve.numpy name, Tensor arguments, other arguments, NumPy's function, MindSpore 2.10's dtype)
CASES = [
    ("add", (I,), {"x2": 2.5}, lambda a: np.add(a, 2.5), "float32"),
    ("subtract", (I,), {"x2": 2.5}, lambda a: np.subtract(a, 2.5), "float32"),
    ("divide", (I,), {"x2": 2.5}, lambda a: np.divide(a, 2.5), "float32"),
    ("power", (np.abs(I),), {"x2": 0.5}, lambda a: np.power(a, 0.5), "float32"),
    ("floor_divide", (I,), {"x2": 2.5}, lambda a: np.floor_divide(a, 2.5), "float32"),
    ("remainder", (I,), {"x2": 2.5}, lambda a: np.remainder(a, 2.5), "float32"),
    ("add", (U8,), {"x2": 3}, lambda a: a.astype(np.int32) + 3, "int32"),
    ("maximum", (I,), {"x2": 2.5}, lambda a: np.maximum(a, 2), "int32"),  # MindSpore 2.10: 2.5 as int32
    ("clip", (I,), {"a_min": -1.5, "a_max": 2.5}, lambda a: np.clip(a, -1, 2), "int32"),  # (the same)
    ("add", (I, J), {}, np.add, "int32"),
    ("multiply", (I8, I8), {}, np.multiply, "int8"),
    ("floor_divide", (I, J), {}, np.floor_divide, "int32"),
    ("remainder", (I, J), {}, np.remainder, "int32"),
    ("fmod", (I, J), {}, np.fmod, "int32"),
    ("gcd", (I, J), {}, np.gcd, "int32"),
    ("lcm", (I, J), {}, np.lcm, "int32"),
    ("arctan2", (F, G), {}, np.arctan2, "float32"),
    ("hypot", (F, G), {}, np.hypot, "float32"),
    ("logaddexp2", (F, G), {}, np.logaddexp2, "float32"),
    ("heaviside", (F, G), {}, np.heaviside, "float32"),
    ("heaviside", (np.array([[-1.0, 0.0, 2.0]], np.float32), np.array([[0.5], [0.25]], np.float32)), {},
     np.heaviside, "float32"),
    ("sum", (I,), {"axis": 1}, lambda a: np.sum(a, axis=1), "int64"),
    ("sum", (I,), {"initial": 5}, lambda a: np.sum(a, initial=5), "int64"),
    ("sum", (I,), {"initial": 0.5}, lambda a: np.sum(a) + 0.5, "float32"),
    ("sum", (U8,), {}, lambda a: np.sum(a, dtype=np.int64), "int64"),
    ("sum", (B,), {"axis": 0}, lambda a: np.sum(a, axis=0), "int64"),
    ("nansum", (U8,), {}, lambda a: np.sum(a, dtype=np.uint8), "uint8"),  # (MindSpore 2.10: in its dtype)
    ("nansum", (I8,), {}, lambda a: np.sum(a, dtype=np.int8), "int8"),
    ("nansum", (I,), {"axis": 0}, lambda a: np.sum(a, axis=0), "int32"),
    ("nansum", (NANS,), {"axis": 1}, lambda a: np.nansum(a, axis=1), "float32"),
    ("nanmean", (NANS,), {"axis": 0}, lambda a: np.nanmean(a, axis=0), "float32"),
    ("nanvar", (NANS,), {"axis": -1}, lambda a: np.nanvar(a, axis=-1), "float32"),
    ("trace", (I,), {}, np.trace, "int64"),
    ("trace", (F,), {"offset": 1}, lambda a: np.trace(a, 1), "float32"),
    ("argmax", (F,), {}, np.argmax, "int64"),
    ("argmax", (I,), {"axis": -1}, lambda a: np.argmax(a, -1), "int64"),
    ("argmax", (B,), {"axis": 1}, lambda a: np.argmax(a, 1), "int64"),
    ("argmin", (F,), {"axis": 0}, lambda a: np.argmin(a, 0), "int32"),
    ("argmin", (B,), {}, np.argmin, "int32"),
    ("amax", (F,), {"axis": (0, 1)}, lambda a: np.amax(a, axis=(0, 1)), "float32"),
    ("ptp", (I,), {"axis": 1}, lambda a: np.ptp(a, axis=1), "int32"),
    ("var", (F,), {"ddof": 1}, lambda a: np.var(a, ddof=1), "float32"),
    ("std", (F,), {"axis": 0, "keepdims": True}, lambda a: np.std(a, axis=0, keepdims=True), "float32"),
    ("cumsum", (I,), {"axis": 1}, lambda a: np.cumsum(a, axis=1), "int32"),
    ("cumsum", (U8,), {}, lambda a: np.cumsum(a, dtype=np.int32), "int32"),
    ("cumprod", (F,), {"axis": 0}, lambda a: np.cumprod(a, axis=0), "float32"),
    ("diff", (F,), {"n": 2}, lambda a: np.diff(a, n=2), "float32"),
    ("diff", (V,), {"prepend": 0.5, "append": 9}, lambda a: np.diff(a, prepend=0.5, append=9), "float32"),
    ("outer", (V, V), {}, np.outer, "float32"),
    ("inner", (F, G), {}, np.inner, "float32"),
    ("kron", (F, V), {}, np.kron, "float32"),
    ("cross", (V, V[::-1].copy()), {}, np.cross, "float32"),
    ("roll", (F,), {"shift": (1, 2), "axis": (0, 1)}, lambda a: np.roll(a, (1, 2), axis=(0, 1)), "float32"),
    ("rot90", (F,), {"k": -1}, lambda a: np.rot90(a, k=-1), "float32"),
    ("flip", (F,), {"axis": -1}, lambda a: np.flip(a, -1), "float32"),
    ("repeat", (F,), {"repeats": [1, 3], "axis": 0}, lambda a: np.repeat(a, [1, 3], axis=0), "float32"),
    ("tile", (V,), {"reps": (2, 2)}, lambda a: np.tile(a, (2, 2)), "float32"),
    ("take", (F, np.array([0, 4, 5], np.int32)), {}, lambda a, i: np.take(a, i), "float32"),
    ("take_along_axis", (F, np.array([[2, 0], [1, 1]], np.int32)), {"axis": 1}, np.take_along_axis, "float32"),
    ("convolve", (V, np.array([0.5, -1.5], np.float32)), {}, np.convolve, "float32"),
    ("polyval", (V, F), {}, np.polyval, "float32"),
    ("polyint", (V,), {}, lambda a: np.polyint(a), "float32"),
    ("cov", (F,), {}, np.cov, "float32"),
    ("corrcoef", (F,), {}, np.corrcoef, "float32"),
    ("trapz", (F,), {"dx": 0.5, "axis": 0}, lambda a: np.trapezoid(a, dx=0.5, axis=0), "float32"),
    ("interp", (np.array([-1.0, 0.5, 1.5, 9.0], np.float32), np.array([0.0, 1.0, 2.0], np.float32),
                np.array([1.0, 3.0, 0.0], np.float32)), {}, np.interp, "float32"),
    ("searchsorted", (np.array([1.0, 2.0, 2.0, 5.0], np.float32), np.array([2.0, 0.0, 6.0], np.float32)),
     {"side": "right"}, lambda a, v: np.searchsorted(a, v, side="right"), "int32"),
    ("where", (B, F), {"y": 0.5}, lambda c, a: np.where(c, a, 0.5), "float32"),
    ("where", (B, I), {"y": 0.5}, lambda c, a: np.where(c, a, 0.5), "float32"),
    ("tril", (F,), {"k": -1}, lambda a: np.tril(a, -1), "float32"),
    ("diagonal", (F,), {"offset": 1}, lambda a: np.diagonal(a, 1), "float32"),
    ("vander", (V,), {"N": 2, "increasing": True}, lambda a: np.vander(a, 2, True), "float32"),
    ("pad", (I,), {"pad_width": 1, "mode": "mean"}, lambda a: np.pad(a, 1, mode="mean"), "int32"),
    ("pad", (F,), {"pad_width": ((1, 0), (0, 2)), "mode": "reflect"},
     lambda a: np.pad(a, ((1, 0), (0, 2)), mode="reflect"), "float32"),
    ("nancumsum", (NANS,), {"axis": 1}, lambda a: np.nancumsum(a, axis=1), "float32"),
]


def _run(name, arrays, kw, traced):
    fn = getattr(mnp, name)
    ts = [Tensor(a) for a in arrays]
    if traced:
        return gs.jit(lambda *t: fn(*t, **kw))(*ts)
    return fn(*ts, **kw)


@pytest.mark.parametrize("name, arrays, kw, ref, ms_dtype", CASES,
                         ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)])
def test_eager_traced_and_numpy_agree(fake, name, arrays, kw, ref, ms_dtype):
    eager, traced = (_run(name, arrays, kw, t) for t in (False, True))
    assert eager._dtype == traced._dtype == ms_dtype, (eager._dtype, traced._dtype)
    np.testing.assert_array_equal(eager.asnumpy(), traced.asnumpy())
    want = np.asarray(ref(*arrays))
    assert eager.shape == want.shape
    np.testing.assert_allclose(eager.asnumpy().astype(np.float64), want.astype(np.float64), rtol=2e-6, atol=1e-6,
                               equal_nan=True)


def test_heaviside_of_nan_is_nan():
    # (eager alone: the fake server's JSON answer holds no NaN)
    x = np.array([np.nan, -1.0, 0.0, 2.0], np.float32)
    np.testing.assert_array_equal(mnp.heaviside(Tensor(x), 0.5).asnumpy(), np.heaviside(x, np.float32(0.5)))


@pytest.mark.parametrize("name, axis", [("sum", 2), ("mean", -3), ("amax", 5), ("var", (0, 2)), ("nansum", 2),
                                        ("count_nonzero", -3)])
def test_an_axis_out_of_range_is_refused(name, axis):
    # MindSpore 2.10 and NumPy refuse (ValueError / AxisError); it wrapped: sum(x, axis=2) of a 2-D x was axis 0
    with pytest.raises(ValueError, match="out of bounds"):
        getattr(mnp, name)(Tensor(F), axis=axis)

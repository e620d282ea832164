"""MindSpore 2.10 `ops` names gradserve lacked that run on MindSpore's CPU (h-opsgap): class forms and other names
of ops gradserve has (ops/_opsgap.py). Each case's value, dtype and the gradient of its sum against MindSpore 2.10
(CPU, PyNative) runs: the MS table below, from /work/ms_suite_opsgap/ms_ref.py; refusal texts are MindSpore's.
"""
import numpy as np
import pytest

from gradserve import Tensor, ops
from gradserve.ops.operations import array_ops

X = np.array([[1., -2., 3.], [0.5, 0.25, -1.]], np.float32)
Y = np.array([[2., 1., -3.], [0.25, 1., 2.]], np.float32)
SQ = np.array([[2., 1., 0.5], [0.3, -1., 2.], [1.5, 0., 3.]], np.float32)
F = np.arange(1, 25, dtype=np.float32).reshape(1, 4, 2, 3) / 10
G = np.arange(1, 33, dtype=np.float32).reshape(1, 2, 4, 4) / 10
COL = np.array([[1.], [2.]], np.float32)
MASK = np.array([[True, False, True], [False, False, True]])
NONFINITE = np.array([np.nan, np.inf, -np.inf, 0.5], np.float32)
T = Tensor

# name -> (function, inputs); the gradient is with respect to the first input
CASES = {
    "Triu": (lambda a: ops.Triu(1)(a), [SQ]),
    "Triu_neg": (lambda a: ops.Triu(-1)(a), [X]),
    "Trace": (lambda a: ops.Trace()(a), [SQ]),
    "Trace_int": (lambda a: ops.Trace()(a), [np.array([[1, 2], [3, 4]], np.int32)]),
    "Sinc": (lambda a: ops.Sinc()(a), [X]),
    "Sinc_int": (lambda a: ops.Sinc()(a), [np.array([0, 1, 2], np.int32)]),
    "NanToNum": (lambda a: ops.NanToNum(nan=1.0, posinf=2.0, neginf=-3.0)(a), [NONFINITE]),
    "NanToNum_def": (lambda a: ops.NanToNum()(a), [NONFINITE]),
    "SmoothL1Loss": (lambda a, b: ops.SmoothL1Loss(beta=0.5, reduction="mean")(a, b), [X, Y]),
    "SmoothL1Loss_none": (lambda a, b: ops.SmoothL1Loss()(a, b), [X, Y]),
    "FastGelu": (lambda a: ops.FastGelu()(a), [X]),
    "MaskedFill": (lambda a, m, v: ops.MaskedFill()(a, m, v), [X, MASK, np.array(5.0, np.float32)]),
    "MaskedFill_f": (lambda a, m: ops.MaskedFill()(a, m, 5.0), [X, MASK]),
    "Expand": (lambda a, s: ops.Expand()(a, s), [COL, np.array([2, 3], np.int32)]),
    "Pack": (lambda a, b: ops.Pack(axis=1)([a, b]), [X, Y]),
    "Unpack": (lambda a: ops.Unpack(axis=1)(a), [X]),
    "SpaceToDepth": (lambda a: ops.SpaceToDepth(2)(a), [G]),
    "DepthToSpace": (lambda a: ops.DepthToSpace(2)(a), [F]),
    "absolute": (lambda a: ops.absolute(a), [X]),
    "diff_ext": (lambda a: ops.diff_ext(a, n=1, dim=0), [X]),
    "diff_ext2": (lambda a, p: ops.diff_ext(a, 2, -1, p, None), [X, Y]),
    "expand_as": (lambda a, o: ops.expand_as(a, o), [COL, X]),
    "float_power_ext": (lambda a: ops.float_power_ext(a, 2.5), [np.array([1., 2., 0.5], np.float32)]),
    "float_power_ext_i": (lambda a: ops.float_power_ext(a, 2), [np.array([1, 2], np.int32)]),
    "reverse": (lambda a: ops.reverse(a, [1]), [X]),
    "soft_shrink": (lambda a: ops.soft_shrink(a, 0.7), [X]),
    "view_as": (lambda a, o: ops.view_as(a, o), [X, np.ones((3, 2), np.float32)]),
    "pows": (lambda a: ops.pows(a, 3.0), [X]),
    "pows_i": (lambda a: ops.pows(a, 2), [np.array([1, 2], np.int32)]),
    "matrix_determinant": (lambda a: ops.matrix_determinant(a), [SQ]),
    "log_matrix_determinant": (lambda a: ops.log_matrix_determinant(a), [SQ]),
    "isnan_ext": (lambda a: ops.isnan_ext(a), [np.array([np.nan, 1.], np.float32)]),
    "shape_": (lambda a: ops.shape_(a), [X]),
    "UnravelIndex": (lambda i, d: ops.UnravelIndex()(i, d),
                     [np.array([5, 1, 11], np.int32), np.array([3, 4], np.int32)]),
    "UnravelIndex64": (lambda i, d: ops.UnravelIndex()(i, d), [np.array(7, np.int64), np.array([2, 2, 2], np.int64)]),
}

MS = {  # MindSpore 2.10 CPU, PyNative (/work/ms_suite_opsgap/ms_ref.py): (value, dtype, gradient of the sum)
    'Triu': ([[0.0, 1.0, 0.5], [0.0, 0.0, 2.0], [0.0, 0.0, 0.0]],
        'Float32', [[0.0, 1.0, 1.0], [0.0, 0.0, 1.0], [0.0, 0.0, 0.0]]),
    'Triu_neg': ([[1.0, -2.0, 3.0], [0.5, 0.25, -1.0]], 'Float32', [[1.0, 1.0, 1.0], [1.0, 1.0, 1.0]]),
    'Trace': (4.0, 'Float32', [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]]),
    'Trace_int': (5, 'Int32', None),
    'Sinc': ([[-2.7827534e-08, 2.7827534e-08, -2.5305382e-09], [0.63661975, 0.9003163, -2.7827534e-08]],
        'Float32', [[-1.0, -0.5, -0.33333334], [-1.2732396, -0.7728381, 1.0]]),
    'Sinc_int': ([1.0, -2.7827534e-08, 2.7827534e-08], 'Float32', None),
    'NanToNum': ([1.0, 2.0, -3.0, 0.5], 'Float32', [0.0, 0.0, 0.0, 1.0]),
    'NanToNum_def': ([0.0, 3.4028235e+38, -3.4028235e+38, 0.5], 'Float32', None),
    'SmoothL1Loss': (2.09375,
        'Float32', [[-0.16666667, -0.16666667, 0.16666667], [0.083333336, -0.16666667, -0.16666667]]),
    'SmoothL1Loss_none': ([[0.5, 2.5, 5.5], [0.03125, 0.28125, 2.5]],
        'Float32', [[-1.0, -1.0, 1.0], [0.25, -0.75, -1.0]]),
    'FastGelu': ([[0.84579575, -0.064341374, 2.9819288], [0.35038844, 0.15119965, -0.15420423]],
        'Float32', [[1.0677797, -0.07381535, 1.0245483], [0.8792219, 0.7065005, -0.06777961]]),
    'MaskedFill': ([[5.0, -2.0, 5.0], [0.5, 0.25, 5.0]], 'Float32', [[0.0, 1.0, 0.0], [1.0, 1.0, 0.0]]),
    'MaskedFill_f': ([[5.0, -2.0, 5.0], [0.5, 0.25, 5.0]], 'Float32', None),
    'Expand': ([[1.0, 1.0, 1.0], [2.0, 2.0, 2.0]], 'Float32', [[3.0], [3.0]]),
    'Pack': ([[[1.0, -2.0, 3.0], [2.0, 1.0, -3.0]], [[0.5, 0.25, -1.0], [0.25, 1.0, 2.0]]],
        'Float32', [[1.0, 1.0, 1.0], [1.0, 1.0, 1.0]]),
    'Unpack': ([[1.0, 0.5], [-2.0, 0.25], [3.0, -1.0]], 'None', [[1.0, 1.0, 1.0], [1.0, 1.0, 1.0]]),
    'SpaceToDepth': ([[[[0.1, 0.3], [0.9, 1.1]], [[1.7, 1.9], [2.5, 2.7]], [[0.2, 0.4], [1.0, 1.2]], [[1.8, 2.0],
        [2.6, 2.8]], [[0.5, 0.7], [1.3, 1.5]], [[2.1, 2.3], [2.9, 3.1]], [[0.6, 0.8], [1.4, 1.6]], [[2.2, 2.4],
        [3.0, 3.2]]]],
        'Float32', [[[[1.0, 1.0, 1.0, 1.0], [1.0, 1.0, 1.0, 1.0], [1.0, 1.0, 1.0, 1.0], [1.0, 1.0, 1.0, 1.0]],
            [[1.0, 1.0, 1.0, 1.0], [1.0, 1.0, 1.0, 1.0], [1.0, 1.0, 1.0, 1.0], [1.0, 1.0, 1.0, 1.0]]]]),
    'DepthToSpace': ([[[[0.1, 0.7, 0.2, 0.8, 0.3, 0.9], [1.3, 1.9, 1.4, 2.0, 1.5, 2.1], [0.4, 1.0, 0.5, 1.1, 0.6,
        1.2], [1.6, 2.2, 1.7, 2.3, 1.8, 2.4]]]],
        'Float32', [[[[1.0, 1.0, 1.0], [1.0, 1.0, 1.0]], [[1.0, 1.0, 1.0], [1.0, 1.0, 1.0]], [[1.0, 1.0, 1.0], [1.0,
            1.0, 1.0]], [[1.0, 1.0, 1.0], [1.0, 1.0, 1.0]]]]),
    'absolute': ([[1.0, 2.0, 3.0], [0.5, 0.25, 1.0]], 'Float32', [[1.0, -1.0, 1.0], [1.0, 1.0, -1.0]]),
    'diff_ext': ([[-0.5, 2.25, -4.0]], 'Float32', [[-1.0, -1.0, -1.0], [1.0, 1.0, 1.0]]),
    'diff_ext2': ([[-3.0, 8.0, -7.0, 8.0], [0.25, -2.5, 1.25, -1.0]],
        'Float32', [[0.0, -1.0, 1.0], [0.0, -1.0, 1.0]]),
    'expand_as': ([[1.0, 1.0, 1.0], [2.0, 2.0, 2.0]], 'Float32', [[3.0], [3.0]]),
    'float_power_ext': ([1.0, 5.656854249492381, 0.1767766952966369],
        'Float64', [2.5, 7.071067810058594, 0.8838834762573242]),
    'float_power_ext_i': ([1.0, 4.0], 'Float64', None),
    'reverse': ([[3.0, -2.0, 1.0], [-1.0, 0.25, 0.5]], 'Float32', [[1.0, 1.0, 1.0], [1.0, 1.0, 1.0]]),
    'soft_shrink': ([[0.3, -1.3, 2.3], [0.0, 0.0, -0.3]], 'Float32', [[1.0, 1.0, 1.0], [0.0, 0.0, 1.0]]),
    'view_as': ([[1.0, -2.0], [3.0, 0.5], [0.25, -1.0]], 'Float32', [[1.0, 1.0, 1.0], [1.0, 1.0, 1.0]]),
    'pows': ([[1.0, -8.0, 27.0], [0.125, 0.015625, -1.0]], 'Float32', [[3.0, 12.0, 27.0], [0.75, 0.1875, 3.0]]),
    'pows_i': ([1, 4], 'Int32', None),
    'matrix_determinant': (-3.15,
        'Float32', [[-3.0000002, 2.1000001, 1.5000001], [-3.0, 5.25, 1.5000001], [2.5, -3.8500001, -2.3000002]]),
    'log_matrix_determinant': ([-0.99999994, 1.1474025],
        'None', [[0.952381, -0.6666667, -0.4761905], [0.95238096, -1.6666666, -0.4761905], [-0.7936508, 1.2222222,
            0.73015875]]),
    'isnan_ext': ([True, False], 'Bool', None),
    'shape_': ([2, 3], None, None),
    'UnravelIndex': ([[1, 0, 2], [1, 1, 3]], 'Int32', None),
    'UnravelIndex64': ([1, 1, 1], 'Int64', None),
}


def _call(name):
    fn, args = CASES[name]
    return fn(*[T(a) for a in args])


def _numpy(out):
    if isinstance(out, tuple) and out and isinstance(out[0], Tensor):
        return [o.asnumpy() for o in out], None
    if isinstance(out, tuple):
        return list(out), None
    return out.asnumpy(), str(out.dtype)


@pytest.mark.parametrize("name", sorted(CASES))
def test_value_and_dtype_match_mindspore(name, on_real_server):  # some eager ops run on the service
    want, want_dtype, _ = MS[name]
    got, dtype = _numpy(_call(name))
    if want_dtype not in (None, "None"):
        assert dtype == want_dtype
    np.testing.assert_allclose(np.asarray(got, np.float64), np.asarray(want, np.float64), rtol=2e-6, atol=1e-7)


def _summed(fn):
    def total(*a):
        out = fn(*a)
        return sum(o.sum() for o in out) if isinstance(out, tuple) else out.sum()
    return total


@pytest.mark.parametrize("name", sorted(n for n in CASES if MS[n][2] is not None))
def test_gradient_matches_mindspore(name, on_real_server):  # grads run on the service
    fn, args = CASES[name]
    got = ops.grad(_summed(fn), grad_position=0)(*[T(a) for a in args])
    np.testing.assert_allclose(got.asnumpy(), np.asarray(MS[name][2], np.float64), rtol=2e-6, atol=1e-6)


@pytest.mark.parametrize("make, error, text", [  # MindSpore 2.10's exception classes and texts
    (lambda: ops.Trace()(T(F)), RuntimeError, "For Primitive[Trace], the rank of the input must be 2, but got 4!"),
    (lambda: ops.Triu(1.5), TypeError, "For 'Triu', the type of 'diagonal' should be one of '[Tensor, int]', but "
                                       "got <class 'float'>."),
    (lambda: ops.Expand()(T(COL), (2, 3)), TypeError,
     "For Primitive[Expand], the type of input argument[shape] must be Tensor but got Tuple[Int64*2]."),
    (lambda: ops.DepthToSpace(1), ValueError, "For 'DepthToSpace', the 'block_size' should be >= : 2, but got 1."),
    (lambda: ops.DepthToSpace(2)(T(np.ones((1, 3, 2, 2), np.float32))), ValueError,
     "For DepthToSpace, the square of block_size must be smaller than the input channel, but got the block_size is "
     "2, and the input channel is 3."),
    (lambda: ops.DepthToSpace(2)(T(np.ones((1, 6, 2, 2), np.float32))), ValueError,
     "For primitive[DepthToSpace], the x_shape[1] % (block_size*block_size) must be equal to 0, but got 2."),
    (lambda: ops.DepthToSpace(2)(T(np.ones((4, 2, 2), np.float32))), ValueError,
     "For primitive[DepthToSpace], the x rank must be equal to 4, but got 3."),
    (lambda: ops.SpaceToDepth(1), ValueError, "The 'block_size' should be >= SpaceToDepth: 2, but got 1."),
    (lambda: ops.SpaceToDepth(2)(T(np.zeros((1, 4, 4), np.float32))), ValueError,
     "For primitive[SpaceToDepth], the x rank must be equal to 4, but got 3."),
    (lambda: ops.UnravelIndex()(T(np.array([12], np.int32)), T(np.array([3, 4], np.int32))), ValueError,
     "Index out of boundary."),
    (lambda: ops.UnravelIndex()(T(np.array([-1], np.int32)), T(np.array([3, 4], np.int32))), ValueError,
     "Index must be greater than 0."),
    (lambda: ops.UnravelIndex()(T(np.array([1.], np.float32)), T(np.array([3, 4], np.int32))), TypeError,
     "For primitive[UnravelIndex], the input type must be same. name:[dims]:Tensor[Int32]. "
     "name:[indices]:Tensor[Float32]."),
])
def test_refusals_are_mindspores(make, error, text):
    with pytest.raises(error) as info:
        make()
    assert str(info.value) == text


def test_one_definition_each():
    assert array_ops.SpaceToDepth is ops.SpaceToDepth
    assert ops.absolute is ops.abs and ops.reverse is ops.flip and ops.pows is ops.pow
    assert issubclass(ops.Pack, ops.Stack) and issubclass(ops.Unpack, ops.Unstack)

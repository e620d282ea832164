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


# -- ResizeBicubic (ops/_resize_bicubic.py) and NuclearNorm --------------------------------------------------------
IMG = (np.arange(1, 25, dtype=np.float32).reshape(1, 2, 3, 4) ** 1.5) / 10
WEIGHT = np.linspace(-1, 1, 96, dtype=np.float32).reshape(1, 2, 6, 8)

RESIZE = {  # MindSpore 2.10 CPU (/work/ms_suite_opsgap/ms_ref2.py): (align_corners, half_pixel_centers),
    # size, channel 0 of the value, the gradient of sum(out * WEIGHT[..., :h, :w])
    'ResizeBicubic': ((False, False), (6, 8), [[0.1, 0.1692239, 0.2828427, 0.39208442, 0.5196153, 0.6820051, 0.8,
            0.8262861], [0.46070766, 0.56103885, 0.7175886, 0.8600527, 1.017421, 1.2137154, 1.3537912, 1.385326],
            [1.118034, 1.2580204, 1.4696939, 1.6553234, 1.8520257, 2.0932274, 2.2627416, 2.3012462], [2.0044577,
            2.1738725, 2.4272532, 2.6465585, 2.8750699, 3.1529996, 3.346964, 3.3912039], [2.7, 2.8855753, 3.1622777,
            3.4009366, 3.6482873, 3.9481683, 4.1569223, 4.204607], [2.8483093, 3.038159, 3.3209574, 3.5645876,
            3.8166869, 4.122069, 4.3345017, 4.3830466]],
        [[[[-1.9192536, -2.751552, -2.5019734, -2.9535365], [-2.009529, -2.8341386, -2.5190792, -2.8898845],
            [-0.92845404, -1.1939143, -0.9157894, -0.8355264]], [[0.07910157, 0.2237767, 0.34013155, 0.59909546],
            [0.9657998, 1.5957958, 1.7125, 2.3995886], [2.6241775, 4.0955586, 4.1368423, 5.4802637]]]]),
    'ResizeBicubic_ac': ((True, False), (6, 8), [[0.1, 0.15814479, 0.24215415, 0.3531249, 0.43439007, 0.57208014,
            0.7008894, 0.8], [0.38138875, 0.45986032, 0.5703311, 0.70947015, 0.80723673, 0.96925086, 1.1180758,
            1.2316194], [0.7867204, 0.8901521, 1.0331709, 1.2071065, 1.3253704, 1.5176748, 1.691492, 1.8230861],
            [1.4945449, 1.6245828, 1.8025504, 2.0145328, 2.1557271, 2.3822613, 2.5846272, 2.7369752], [2.158905,
            2.304191, 2.5024266, 2.7371106, 2.8924603, 3.1404343, 3.360952, 3.5266132], [2.7, 2.8558748, 3.068259,
            3.318985, 3.484478, 3.7479026, 3.9815784, 4.1569223]],
        [[[[-2.3946211, -3.6307173, -3.4079304, -2.0469398], [-2.4550245, -3.6108215, -3.231066, -1.862376],
            [-0.4858921, -0.60590816, -0.38312227, -0.13821064]], [[0.13821073, 0.38312232, 0.6059082, 0.4858921],
            [1.8623761, 3.2310662, 3.6108212, 2.4550252], [2.0469398, 3.4079306, 3.6307168, 2.3946214]]]]),
    'ResizeBicubic_hp': ((False, True), (6, 8), [[-0.004645381, 0.03714309, 0.12555699, 0.22911294, 0.34159437,
            0.47695827, 0.6248089, 0.6946598], [0.2398156, 0.29314256, 0.4059791, 0.53210264, 0.66357946, 0.8182268,
            0.9843633, 1.0628554], [0.7569223, 0.8346761, 0.9992147, 1.1731124, 1.3447996, 1.5402669, 1.745111,
            1.8418946], [1.5039688, 1.6026745, 1.8115596, 2.0272012, 2.234912, 2.4674447, 2.7078924, 2.8215003],
            [2.382803, 2.4962332, 2.7362823, 2.9821534, 3.216968, 3.4779418, 3.746211, 3.8729658], [2.7979355,
            2.9183266, 3.173108, 3.433269, 3.6808949, 3.955311, 4.23673, 4.369698]],
        [[[[-3.743529, -3.475621, -3.3073466, -3.2186642], [-2.2386558, -2.0168998, -1.8558966, -1.7364709],
            [-0.93598896, -0.7403546, -0.5720802, -0.41112414]], [[0.41112414, 0.57208014, 0.74035466, 0.9359889],
            [1.7364713, 1.8558967, 2.0168998, 2.2386558], [3.2186646, 3.3073468, 3.4756212, 3.7435293]]]]),
    'ResizeBicubic_down': ((False, True), (2, 3), [[0.27991724, 0.5964267, 1.0044426], [2.4676657, 3.0988119,
            3.778407]],
        [[[[-0.653209, -0.52687114, -0.5223564, -0.6238025], [-0.3198099, -0.25748914, -0.25506452, -0.30401754],
            [-0.5378072, -0.43205392, -0.42753914, -0.5084007]], [[0.0027588455, 0.012089959, 0.016604727,
            0.032165367], [0.03246911, 0.03195294, 0.034377538, 0.048261497], [0.11816059, 0.10690719, 0.11142196,
            0.14756711]]]]),
}


@pytest.mark.parametrize("name", sorted(RESIZE))
def test_resize_bicubic_matches_mindspore(name, on_real_server):
    flags, size, want, want_grad = RESIZE[name]
    resize = ops.ResizeBicubic(*flags)
    out = resize(T(IMG), T(np.array(size, np.int32)))
    assert tuple(out.shape) == (1, 2, *size) and out.dtype == IMG.dtype
    np.testing.assert_allclose(out.asnumpy()[0, 0], want, rtol=1e-5, atol=1e-6)
    weight = T(WEIGHT[:, :, :size[0], :size[1]])
    grad = ops.grad(lambda a: (resize(a, T(np.array(size, np.int32))) * weight).sum())(T(IMG))
    np.testing.assert_allclose(grad.asnumpy(), want_grad, rtol=1e-5, atol=1e-6)


def test_resize_bicubic_keeps_float64_and_refuses_as_mindspore():
    out = ops.ResizeBicubic()(T(IMG.astype(np.float64)), (4, 5))  # MindSpore 2.10: a tuple size works, Float64 out
    assert out.dtype == np.float64
    np.testing.assert_allclose(out.asnumpy()[0, 0, 1], [0.7205377, 0.9366135, 1.2109629, 1.5412939, 1.7671822],
                               rtol=1e-5)  # MindSpore 2.10 (float64 input)
    with pytest.raises(ValueError, match="For primitive.ResizeBicubic., the image rank must be equal to 4, but got 3."):
        ops.ResizeBicubic()(T(IMG[0]), (4, 5))
    with pytest.raises(ValueError, match="the size value must be greater than 0, but got 0."):
        ops.ResizeBicubic()(T(IMG), T(np.array([0, 5], np.int32)))
    with pytest.raises(ValueError, match="half_pixel_centers must be false when align_corners is true, but "
                                         "half_pixel_centers got True."):
        ops.ResizeBicubic(True, True)(T(IMG), (4, 5))
    with pytest.raises(ValueError, match="the number of size must be equal to 2, but got 3."):
        ops.ResizeBicubic()(T(IMG), T(np.array([4, 5, 6], np.int32)))


CUBE = np.cos(np.arange(24, dtype=np.float32)).reshape(2, 3, 4)


@pytest.mark.parametrize("x, dim, keepdim", [
    (X[:, :2].T @ X[:, :2] + np.eye(2, dtype=np.float32), None, False), (SQ, None, False), (CUBE, [2, 0], True),
    (np.diag([3., 4.]).astype(np.float32), [-1, -2], False), (np.eye(2), None, False)])
def test_nuclear_norm_is_the_sum_of_singular_values(x, dim, keepdim, on_real_server):
    """numpy.linalg.svd as the reference: MindSpore 2.10 on CPU agrees on SQ (6.6125183) and CUBE ([2.5822272,
    2.5486712, 2.3231647]) but answers 1 for eye(2) and 3 for diag(3, 4), and refuses the gradient (no bprop); the
    gradient of a nuclear norm at distinct nonzero singular values is U V^T."""
    nn = ops.NuclearNorm(dim=dim, keepdim=keepdim)
    planes = np.moveaxis(x, [d % x.ndim for d in dim or (0, 1)], [-2, -1]).astype(np.float64)
    u, s, vt = np.linalg.svd(planes)
    want = s.sum(-1)
    out = nn(T(x))
    assert out.dtype == x.dtype
    np.testing.assert_allclose(out.asnumpy().reshape(want.shape), want, rtol=1e-5)
    if dim is None and x.dtype == np.float32 and len(set(np.round(s, 4))) == len(s):
        grad = ops.grad(lambda a: nn(a))(T(x))
        np.testing.assert_allclose(grad.asnumpy(), u @ vt, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("make, error, text", [  # MindSpore 2.10's exception classes and texts
    (lambda: ops.NuclearNorm()(T(CUBE)), ValueError,
     "For 'NuclearNorm', when dim is not set, or dim is None, the input_size must be equal to 2, but got 3."),
    (lambda: ops.NuclearNorm()(T(np.ones((2, 2), np.int32))), TypeError,
     "For primitive[NuclearNorm], the input argument[x] must be a type of {Tensor[Float32], Tensor[Float64]}, but "
     "got Tensor[Int32]."),
    (lambda: ops.NuclearNorm(dim=[0]), ValueError,
     "For 'NuclearNorm', the 'length of dim_size' must be int and must = 2, but got '1' with type 'int'."),
    (lambda: ops.NuclearNorm(dim=[1, 1])(T(SQ)), ValueError,
     "For 'NuclearNorm', the elements in attribute dim must be different."),
])
def test_nuclear_norm_refusals_are_mindspores(make, error, text):
    with pytest.raises(error) as info:
        make()
    assert str(info.value) == text


# -- Col2Im, iou, DataFormatVecPermute -----------------------------------------------------------------------------
COL2IM = {  # MindSpore 2.10 CPU (/work/ms_suite_opsgap/ms_ref3.py): channel 0 of the value and of the gradient
    'unit': ([[0.0, 0.5620555, 1.566284, 0.98935825], [-0.39545292, -0.6755042, -0.36246085, -0.087044954],
        [0.65028787, 0.5487523, -0.97024876, -0.8462204]],
             [[1.0, 0.5403023, -0.4161468, -0.6536436, 0.28366217, 0.96017027], [0.5403023, -0.4161468, -0.9899925,
        0.28366217, 0.96017027, 0.75390226], [-0.6536436, 0.28366217, 0.96017027, -0.14550003, -0.91113025,
        -0.8390715], [0.28366217, 0.96017027, 0.75390226, -0.91113025, -0.8390715, 0.004425698]]),
    'pad': ([[-0.99177885, -0.13235176, -0.6435381, 0.7625584, 0.29636857, 0.95637596], [-0.28790334, -0.9589243,
        -0.96139747, -0.2794155, -0.75098723, 0.6569866], [0.7451132, -0.6636339, -0.15862267, -0.9880316,
        -0.91652155, -0.40403765], [0.9129453, 0.41211846, 0.8366556, -0.54402107, -0.008851309, -0.9999902]],
            [[0.0, 0.0, 0.0, 0.0, 0.0, 0.75390226, -0.91113025, 0.004425698, 0.0, 0.9887046, -0.54772925,
        -0.53283304], [0.0, 0.0, 0.0, 0.0, 0.96017027, -0.14550003, -0.8390715, 0.0, 0.6603167, 0.40808207,
        -0.99996084, 0.0], [0.0, 0.5403023, -0.9899925, 0.28366217, 0.0, 0.9074468, -0.7596879, -0.27516335, 0.0,
        0.0, 0.0, 0.0], [1.0, -0.4161468, -0.6536436, 0.0, 0.84385395, 0.13673723, -0.9576595, 0.0, 0.0, 0.0, 0.0,
        0.0]]),
}
IOU = [[0.6666667, 0.125], [0.44444445, 0.23529412], [0.14285715, 0.6]]  # MindSpore 2.10
IOF = [[0.6666667, 0.33333334], [0.44444445, 0.44444445], [0.16666667, 0.75]]  # MindSpore 2.10
ANCHORS = np.array([[0, 0, 1, 1.], [1, 1, 3, 4]], np.float32)
GT = np.array([[0, 0, 1, 2.], [0, 0, 2, 2], [1, 0, 3, 3]], np.float32)


@pytest.mark.parametrize("name, cols, flags, size", [
    ("unit", np.sin(np.arange(48, dtype=np.float32)).reshape(1, 2, 4, 6), ([2, 2], [1, 1], [0, 0], [1, 1]), [3, 4]),
    ("pad", np.sin(np.arange(96, dtype=np.float32)).reshape(1, 2, 4, 12), ([2, 2], [1, 1], [1, 1], [2, 2]), [4, 6])])
def test_col2im_matches_mindspore(name, cols, flags, size, on_real_server):
    fold = ops.Col2Im(*flags)
    weight = T(np.cos(np.arange(2 * size[0] * size[1], dtype=np.float32)).reshape(1, 2, *size))
    out = fold(T(cols), T(np.array(size, np.int32)))
    np.testing.assert_allclose(out.asnumpy()[0, 0], COL2IM[name][0], rtol=1e-5, atol=1e-6)
    grad = ops.grad(lambda a: (fold(a, T(np.array(size, np.int32))) * weight).sum())(T(cols))
    np.testing.assert_allclose(grad.asnumpy()[0, 0], COL2IM[name][1], rtol=1e-5, atol=1e-6)


def test_iou_matches_mindspore(on_real_server):
    np.testing.assert_allclose(ops.iou(T(ANCHORS), T(GT)).asnumpy(), IOU, rtol=1e-6)
    np.testing.assert_allclose(ops.iou(T(ANCHORS), T(GT), mode="iof").asnumpy(), IOF, rtol=1e-6)


def test_data_format_vec_permute_matches_mindspore(on_real_server):
    out = ops.DataFormatVecPermute()(T(np.array([1, 2, 3, 4], np.int32)))
    assert out.dtype == np.int32 and out.asnumpy().tolist() == [1, 4, 2, 3]  # MindSpore 2.10
    out = ops.DataFormatVecPermute("NCHW", "NHWC")(T(np.array([1, 2, 3, 4], np.int64)))
    assert out.dtype == np.int64 and out.asnumpy().tolist() == [1, 3, 4, 2]  # MindSpore 2.10
    out = ops.DataFormatVecPermute()(T(np.arange(8, dtype=np.int32).reshape(4, 2)))
    assert out.asnumpy().tolist() == [[0, 1], [6, 7], [2, 3], [4, 5]]  # MindSpore 2.10
    assert ops.DataFormatVecPermute("NHWC", "NHWC")(T(np.array([1, 2, 3, 4], np.int32))).asnumpy().tolist() == \
        [1, 2, 3, 4]  # MindSpore 2.10


@pytest.mark.parametrize("make, error, text", [  # MindSpore 2.10's exception classes and texts
    (lambda: ops.DataFormatVecPermute()(T(np.array([5, 6], np.int32))), ValueError,
     "For DataFormatVecPermute, input shape must be (4, ) or (4, 2), but got [const vector]{2}."),
    (lambda: ops.DataFormatVecPermute()(T(np.arange(4, dtype=np.int32).reshape(2, 2))), ValueError,
     "For DataFormatVecPermute, input shape must be (4, ) or (4, 2), but got [const vector]{2, 2}."),
    (lambda: ops.DataFormatVecPermute()(T(np.array([1, 2, 3, 4], np.float32))), TypeError,
     "For primitive[DataFormatVecPermute], the input argument[x] must be a type of {Tensor[Int32], Tensor[Int64]}, "
     "but got Tensor[Float32]."),
    (lambda: ops.DataFormatVecPermute("NDHWC", "NCHW"), ValueError,
     "For 'DataFormatVecPermute', the 'src_format' must be str and must be in '['NHWC', 'NCHW']', but got 'NDHWC'."),
])
def test_data_format_vec_permute_refusals_are_mindspores(make, error, text):
    with pytest.raises(error) as info:
        make()
    assert str(info.value) == text


# -- conv3d_transpose ----------------------------------------------------------------------------------------------
CONV3DT = {  # MindSpore 2.10 CPU (/work/ms_suite_opsgap/ms_ref4.py): keywords, shape, the value's first 8, the
    # gradients' first 8 (input, weight) of sum(out * cos(0.7 k)) and the three sums
    'valid': ({}, [1, 2, 4, 3, 4], [0.71919006, 0.9045839, 0.44841465, 0.24008638, -1.1560006, -1.8960092,
        -1.0154339, -0.28282452], [4.307737, 5.3341923, 3.8518925, -2.9983413, -5.1445136, -4.871135, 0.46852016,
        -3.0723324], [1.1984351, 0.3274541, -1.4355508, -0.80147934, -1.4038954, -1.4276106, 1.1387813, 1.5073619],
        (0.3834437, -0.01751077, 0.2302729)),
    'stride': (dict(stride=2, padding=1, pad_mode="pad"), [1, 2, 4, 2, 4], [0.4001508, 0.6580841, 0.5545274,
        -0.039829195, -0.41823035, 0.49106705, -0.20982812, 0.2814674], [1.4509753, 0.6224313, -0.37447196,
        0.6381223, 1.1742473, -0.59592116, -0.18178105, 1.6623782], [1.8774828, 0.92546755, 1.8901843, 0.8603874,
        1.744266, 0.8128427, 1.4358196, 0.7429149], (-6.933987, 3.166356, 7.871885)),
    'same': (dict(pad_mode="same"), [1, 2, 3, 2, 3], [0.71919006, 0.9045839, 0.44841465, -1.1560006, -1.8960092,
        -1.0154339, 0.2813558, 0.8044255], [3.4705553, 4.5929227, 1.6439319, 0.99874634, -0.19067585, -0.8009319,
        -4.32411, -2.308967], [1.0486908, 1.4267355, -0.15755773, -0.6765345, -2.204911, -0.047513187, 1.8177981,
        0.5887747], (-6.458672, 1.069091, 11.35375)),
    'group': (dict(group=2), [1, 4, 4, 3, 4], [0.0, 0.841471, 1.3639461, 0.49129546, 0.14112, -1.0307305,
        -2.5792778, -1.4183066], [4.307737, 5.3341923, 3.8518925, -2.9983413, -5.1445136, -4.871135, 0.46852016,
        -3.0723324], [1.1984351, 0.3274542, -1.4355508, -0.8014795, -1.4038954, -1.4276106, 1.1387813, 1.5073618],
        (0.3834443, 0.1697698, -1.117815)),
}


@pytest.mark.parametrize("name", sorted(CONV3DT))
def test_conv3d_transpose_matches_mindspore(name, on_real_server):
    kw, shape, first, gx_first, gw_first, sums = CONV3DT[name]
    x = T(np.sin(np.arange(36, dtype=np.float32)).reshape(1, 2, 3, 2, 3))
    w = T(np.cos(np.arange(32, dtype=np.float32)).reshape(2, 2, 2, 2, 2))
    out = ops.conv3d_transpose(x, w, **kw)
    assert list(out.shape) == shape
    weight = T(np.cos(np.arange(out.size, dtype=np.float32) * 0.7).reshape(out.shape))
    gx, gw = ops.grad(lambda a, b: (ops.conv3d_transpose(a, b, **kw) * weight).sum(), grad_position=(0, 1))(x, w)
    for got, want in ((out, first), (gx, gx_first), (gw, gw_first)):
        np.testing.assert_allclose(got.asnumpy().reshape(-1)[:8], want, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose([out.asnumpy().sum(), gx.asnumpy().sum(), gw.asnumpy().sum()], sums, rtol=1e-4,
                               atol=1e-5)


def test_conv3d_transpose_output_padding_needs_pad_mode_pad():
    with pytest.raises(ValueError) as info:  # MindSpore 2.10's text (Conv3DTranspose's own check)
        ops.conv3d_transpose(T(np.ones((1, 2, 3, 2, 3), np.float32)), T(np.ones((2, 2, 2, 2, 2), np.float32)),
                             stride=2, output_padding=1)
    assert str(info.value) == ("For 'Conv3DTranspose', the 'output_padding' must be zero or (0, 0, 0) when "
                               "'pad_mode' is not \"pad\", but got 'output_padding' is 1 and 'pad_mode' is valid.")


# -- ApplyAddSign, ApplyPowerSign (ops/_apply_sign.py) -------------------------------------------------------------
SIGN_M = np.array([[0.2, -1., -3.], [0.25, 0.5, 0.]], np.float32)
SIGN_G = np.array([[2., 1., -3.], [-0.25, 1., 2.]], np.float32)
SIGN_VAR = np.array([[1., -2., 3.], [0.5, 0., -1.]], np.float32)
SIGN_NEW_M = [[0.38000005, -0.79999995, -3.0], [0.19999999, 0.55, 0.20000005]]  # MindSpore 2.10 (both ops)


@pytest.mark.parametrize("op, args, want", [  # MindSpore 2.10 CPU (/work/ms_suite_opsgap/ms_ref5.py): the new var
    (ops.ApplyAddSign, (0.1, 1.0, 0.5, 0.9), [[0.7, -2.05, 3.45], [0.5125, -0.15, -1.3]]),
    (ops.ApplyAddSign, tuple(np.float32(v) for v in (0.1, 1.0, 0.5, 0.9)), [[0.7, -2.05, 3.45], [0.5125, -0.15, -1.3]]),
    (ops.ApplyPowerSign, (0.1, np.e, 0.5, 0.9), [[0.22143054, -2.0256882, 4.1678543], [0.506422, -0.38928473,
                                                                                        -1.7785695]])])
def test_add_sign_and_power_sign_update_in_place_as_mindspore(op, args, want):
    from gradserve import Parameter
    var, m = Parameter(T(SIGN_VAR.copy()), name="var"), Parameter(T(SIGN_M.copy()), name="m")
    scalars = [T(a) if isinstance(a, np.floating) else a for a in args]
    new_var, new_m = op()(var, m, *scalars, T(SIGN_G))
    for got in (new_var, var):
        np.testing.assert_allclose(got.asnumpy(), want, rtol=1e-6)
    for got in (new_m, m):
        np.testing.assert_allclose(got.asnumpy(), SIGN_NEW_M, rtol=1e-6)

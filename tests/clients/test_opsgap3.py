"""MindSpore 2.10 `ops` names that run on MindSpore's CPU and gradserve lacked, round 3 (h-opsgap3): EditDistance,
ExtractGlimpse, choice_with_mask and the random primitives' forms (ops/_opsgap3.py). Expected values, dtypes and
refusal texts: MindSpore 2.10.0 CPU (PyNative) runs, /work/ms_suite_opsgap3/probe_ed*.py, probe_eg*.py,
probe_rand.py, probe_r2.py, probe_r3.py, written below by hand. MindSpore's seeded draws repeat across its runs but
come from its own generator: for the random ops only shapes, dtypes, ranges, laws and refusals are held here.
"""
import numpy as np
import pytest

import gradserve as gs
from gradserve import Tensor, ops


def _i64(a):
    return Tensor(np.array(a, np.int64))


def _v(a, dtype=np.float32):
    return Tensor(np.array(a, dtype))


# MindSpore's docstring example: hypothesis (shape [1, 1, 2]) and truth (shape [2, 2, 2])
DOC = (_i64([[0, 0, 0], [1, 0, 1], [1, 1, 1]]), _v([1, 2, 3]), _i64([1, 1, 2]),
       _i64([[0, 1, 0], [0, 0, 1], [1, 1, 0], [1, 0, 1]]), _v([1, 3, 2, 1]), _i64([2, 2, 2]))
KITTEN = (_i64([[0, 0], [0, 1], [0, 2]]), _v([1, 2, 3], np.int32), _i64([1, 3]),
          _i64([[0, 0], [0, 1], [0, 2], [0, 3]]), _v([1, 3, 3, 4], np.int32), _i64([1, 4]))
# row 0: hypothesis [1, 2], truth empty; row 1: hypothesis empty, truth [5]
EMPTY_TRUTH = (_i64([[0, 0], [0, 1]]), _v([1, 2]), _i64([2, 2]), _i64([[1, 0]]), _v([5]), _i64([2, 2]))


def _one(dtype):
    return (_i64([[0, 0], [0, 1]]), _v([1, 2], dtype), _i64([1, 2]), _i64([[0, 0]]), _v([1], dtype), _i64([1, 1]))


@pytest.mark.parametrize("normalize, args, want", [
    (True, DOC, [[1, 1], [1, 1]]), (False, DOC, [[1, 1], [1, 1]]),
    (False, KITTEN, [2]), (True, KITTEN, [0.5]),
    (True, EMPTY_TRUTH, [np.inf, 1]), (False, EMPTY_TRUTH, [2, 1]),
    # both empty in row 0, normalized: 0
    (True, (_i64([[1, 0]]), _v([1]), _i64([2, 2]), _i64([[1, 0]]), _v([5]), _i64([2, 2])), [0, 1]),
    # the output takes the larger of the two shapes' leading dims
    (False, (_i64([[0, 0]]), _v([1]), _i64([1, 5]), _i64([[2, 0]]), _v([1]), _i64([3, 1])), [1, 0, 1]),
    # values in the order given, not sorted by the last index: [3, 1, 2] against [1, 2, 3]
    (False, (_i64([[0, 2], [0, 0], [0, 1]]), _v([3, 1, 2]), _i64([1, 3]), _i64([[0, 0], [0, 1], [0, 2]]),
             _v([1, 2, 3]), _i64([1, 3])), [2]),
    # the last index is not read (gaps, or past the shape)
    (False, (_i64([[0, 0], [0, 5]]), _v([1, 2]), _i64([1, 6]), _i64([[0, 0], [0, 1]]), _v([1, 2]), _i64([1, 6])),
     [0]),
    (True, (_i64([[0, 3]]), _v([1]), _i64([1, 2]), _i64([[0, 0]]), _v([1]), _i64([1, 1])), [0]),
    # batches interleaved
    (False, (_i64([[0, 0], [1, 0], [0, 1]]), _v([1, 2, 3]), _i64([2, 2]), _i64([[0, 0], [0, 1], [1, 0]]),
             _v([1, 3, 2]), _i64([2, 2])), [0, 0]),
    (True, (_i64([[0, 1, 0, 0], [0, 1, 0, 1]]), _v([1, 2], np.float16), _i64([1, 2, 1, 2]), _i64([[0, 1, 0, 0]]),
            _v([2], np.float16), _i64([1, 2, 1, 2])), [[[0], [1]]]),
    (False, _one(np.int8), [1]), (False, _one(np.float64), [1]), (False, _one(np.uint64), [1]),
])
def test_edit_distance_matches_mindspore(normalize, args, want):
    got = ops.EditDistance(normalize)(*args)
    assert got.dtype == gs.float32
    np.testing.assert_array_equal(got.asnumpy(), np.array(want, np.float32))


def _refusal(call, error, text):
    with pytest.raises(error) as info:
        call()
    assert str(info.value).startswith(text)


def _swap(args, i, value):
    return tuple(value if k == i else a for k, a in enumerate(args))


@pytest.mark.parametrize("call, error, text", [
    (lambda: ops.EditDistance(1), TypeError,
     "For 'EditDistance', the type of 'normalize' should be 'bool', but got type 'int'."),
    (lambda: ops.EditDistance()(*_swap(_one(np.float32), 0, _v([[0, 0], [0, 1]], np.int32))), TypeError,
     "For primitive[EditDistance], the input argument[hypothesis_indices] must be a type of {Tensor[Int64]}, but "
     "got Tensor[Int32]."),
    (lambda: ops.EditDistance()(*_swap(_one(np.float32), 2, _v([1, 2], np.int32))), TypeError,
     "For primitive[EditDistance], the input argument[hypothesis_shape] must be a type of {Tensor[Int64]}, but got "
     "Tensor[Int32]."),
    (lambda: ops.EditDistance()(*_swap(_one(np.float32), 4, _v([1], np.int32))), TypeError,
     "Dtype of hypothesis_values and truth_values must be the same, but got hypothesis_values: Tensor[Float32], "
     "truth_values: Tensor[Int32]."),
    (lambda: ops.EditDistance()(_i64([[0, 0]]), _v([1]), _i64([1, 1]), _i64([[0, 0, 0]]), _v([1]), _i64([1, 1, 1])),
     ValueError, "hypothesis_shape should be equal to truth_shape but got hypothesis_shape: 2 and truth_shape: 3."),
    (lambda: ops.EditDistance()(_i64([[0, 0]]), _v([[1]]), _i64([1, 1]), _i64([[0, 0]]), _v([1]), _i64([1, 1])),
     ValueError, "For primitive[EditDistance], the hypothesis_values rank must be equal to 1, but got 2."),
    (lambda: ops.EditDistance()(*_swap(_one(np.float32), 1, _v([1]))), ValueError,
     "hypothesis_values shape should be equal to hypothesis_indices shape[0] but got hypothesis_values shape: 1 and "
     "hypothesis_indices shape[0]: 2."),
    (lambda: ops.EditDistance()(_i64([[0, 0, 0]]), _v([1]), _i64([1, 2]), _i64([[0, 0]]), _v([1]), _i64([1, 1])),
     ValueError, "hypothesis_shape should be equal to hypothesis_indices shape[1] but got hypothesis_shape: 2 and "
                 "hypothesis_indices shape[1]: 3."),
    (lambda: ops.EditDistance()(_i64([[3, 0]]), _v([1]), _i64([1, 2]), _i64([[0, 0]]), _v([1]), _i64([1, 1])),
     ValueError, "For 'EditDistance', the 0th hypothesis_value in 0th dimension index: 3 of 'output' out of bounds: "
                 "[0, 1)."),
    (lambda: ops.EditDistance()(_i64([[0]]), _v([1]), _i64([1]), _i64([[0]]), _v([1]), _i64([1])), RuntimeError,
     "For 'EditDistance', output's shape size must be greater than 0."),
    (lambda: ops.EditDistance(False)(*_one(np.bool_)), TypeError,
     "Select CPU operator[EditDistance] fail! Unsupported data type!\nThe supported data types are input[Int64 Int8 "
     "Int64 Int64 Int8 Int64], output[Float32]; input[Int64 Int16 Int64 Int64 Int16 Int64], output[Float32]"),
])
def test_edit_distance_refusals_are_mindspores(call, error, text):
    _refusal(call, error, text)


def test_edit_distance_gradient_is_zero(on_real_server):
    # MindSpore 2.10 refuses (RuntimeError "Illegal primitive EditDistance's bprop not defined"); the distance is
    # piecewise constant in the values, so gradserve's zero gradient is the math (values read, not traced through)
    args = _one(np.float32)
    got = gs.grad(lambda v: ops.EditDistance(False)(args[0], v, *args[2:]).sum())(args[1])
    assert got.shape == (2,) and got.asnumpy().tolist() == [0.0, 0.0]


IMG = Tensor(np.arange(30, dtype=np.float32).reshape(1, 5, 6, 1))


def _glimpse(centered, normalized, size, offset, x=IMG):
    op = ops.ExtractGlimpse(centered, normalized, False, "zero")
    out = op(x, Tensor(np.array(size, np.int32)), Tensor(np.array(offset, np.float32)))
    assert out.dtype == gs.float32
    return out.asnumpy()[..., 0].tolist()


@pytest.mark.parametrize("centered, normalized, size, offset, want", [
    # MindSpore's docstring example's placement, on a 5 x 6 image
    (False, False, (2, 2), (1, 1), [[0, 1], [6, 7]]),
    (False, False, (3, 2), (0, 0), [[0, 0], [0, 0], [0, 6]]),
    (False, False, (3, 3), (1.4, 2.6), [[1, 2, 3], [7, 8, 9], [13, 14, 15]]),
    (False, False, (3, 3), (0.3, 0.7), [[0, 0, 0], [0, 1, 2], [6, 7, 8]]),
    (False, True, (3, 3), (0.3, 0.7), [[2, 3, 4], [8, 9, 10], [14, 15, 16]]),
    (False, True, (2, 2), (1, 1), [[29, 0], [0, 0]]),
    (True, True, (2, 3), (0.5, -0.5), [[12, 13, 14], [18, 19, 20]]),
    (True, True, (3, 3), (-0.3, -0.7), [[0, 1, 2], [6, 7, 8], [12, 13, 14]]),
    (True, True, (4, 4), (-1, -1), [[0, 0, 0, 0], [0, 0, 0, 0], [0, 0, 0, 1], [0, 0, 6, 7]]),
    # centered pixel offsets are halved too (MindSpore's kernel, not TensorFlow's rule)
    (True, False, (3, 3), (1.4, 2.6), [[8, 9, 10], [14, 15, 16], [20, 21, 22]]),
    (True, False, (2, 2), (1, 1), [[14, 15], [20, 21]]),
    (True, False, (3, 3), (-0.3, -0.7), [[1, 2, 3], [7, 8, 9], [13, 14, 15]]),
    (True, False, (2, 2), (10, 10), [[0, 0], [0, 0]]),
])
def test_extract_glimpse_matches_mindspore(centered, normalized, size, offset, want, on_real_server):
    assert _glimpse(centered, normalized, size, [offset]) == [want]


def test_extract_glimpse_batches_and_channels(on_real_server):
    # MindSpore 2.10: arange(24) (2, 3, 4, 1), size (2, 2), offsets [[1, 1], [2, 3]], not centered / normalized
    x = Tensor(np.arange(24, dtype=np.float32).reshape(2, 3, 4, 1))
    assert _glimpse(False, False, (2, 2), [[1, 1], [2, 3]], x) == [[[0, 1], [4, 5]], [[18, 19], [22, 23]]]
    # channels: arange(60) + 10 as (1, 5, 6, 2), size (2, 2, 2) (the first two are read), offsets [[1, 1]]
    x2 = Tensor(np.arange(60, dtype=np.float32).reshape(1, 5, 6, 2) + 10)
    got = ops.ExtractGlimpse(False, False, False, "zero")(x2, Tensor(np.array((2, 2, 2), np.int32)), _v([[1, 1]]))
    assert got.asnumpy().ravel().tolist() == [10, 11, 12, 13, 22, 23, 24, 25]


def test_extract_glimpse_uniform_noise_is_mindspores_law(on_real_server):
    # MindSpore 2.10, a window wholly outside the image: min -0.9999, max 0.9999, mean 0.0008 / 0.0102,
    # deviation 0.5775 / 0.5821 per channel for uniform_noise=True (U[-1, 1): 0.5774), whatever the image holds
    x = Tensor(np.arange(60, dtype=np.float32).reshape(1, 5, 6, 2) + 10)
    for uniform_noise in (True, False):
        out = ops.ExtractGlimpse(False, False, uniform_noise, "uniform")(
            x, Tensor(np.array((100, 100), np.int32)), _v([[-1000, -1000]])).asnumpy()
        assert out.shape == (1, 100, 100, 2) and out.min() >= -1 and out.max() <= 1  # (float32)
        assert abs(out.mean()) < 0.03 and abs(out.std() - 0.5774) < 0.02


def test_extract_glimpse_gaussian_noise_is_mindspores_law(on_real_server):
    # MindSpore 2.10, noise='gaussian' on a window wholly outside: N(10, 0.5) whatever the image (mean 9.993 .. 10.007,
    # deviation 0.495 .. 0.506 for images of mean 0, 3, 40, 78 and 100; Kolmogorov-Smirnov p 0.68 against N(10, 0.5));
    # a window partly inside keeps the image's pixels (MindSpore: the 3s of a constant image, 9.2 .. 10.7 around them)
    for x in (np.zeros((1, 5, 6, 2), np.float32), np.full((1, 5, 6, 2), 100, np.float32)):
        out = ops.ExtractGlimpse(False, False, False, "gaussian")(
            Tensor(x), Tensor(np.array((100, 100), np.int32)), _v([[-1000, -1000]])).asnumpy()
        assert abs(out.mean() - 10) < 0.02 and abs(out.std() - 0.5) < 0.02
        assert 6.5 < out.min() and out.max() < 13.5  # (7 deviations: 1e-12 a draw)
    part = ops.ExtractGlimpse(False, False, False, "gaussian")(
        Tensor(np.full((1, 5, 6, 1), 3, np.float32)), Tensor(np.array((4, 4), np.int32)), _v([[0, 0]])).asnumpy()
    assert (part[0, 2:, 2:] == 3).all() and (part[0, :2] > 7).all() and (part[0, :, :2] > 7).all()


def test_extract_glimpse_gradient_reaches_the_window(on_real_server):
    # the window (not centered, pixel offsets (0, 0), size (3, 3)) starts at 0 - 1.5 -> -1 (truncated toward zero,
    # as MindSpore's [[0, 0], [0, 0], [0, 6]] for size (3, 2)): the sum's gradient is 1 on the image's rows 0..1 and
    # columns 0..1, the window's row and column -1 being outside
    def f(v):
        return ops.ExtractGlimpse(False, False, False, "zero")(v, Tensor(np.array((3, 3), np.int32)),
                                                              _v([[0, 0]])).sum()
    want = np.zeros((1, 5, 6, 1), np.float32)
    want[0, :2, :2] = 1
    np.testing.assert_array_equal(gs.grad(f)(IMG).asnumpy(), want)


@pytest.mark.parametrize("call, error, text", [
    (lambda: ops.ExtractGlimpse(False, False, True, "zero"), ValueError,
     "For 'ExtractGlimpse', the value of 'noise' must be uniform when uniform_noise is True, but got zero."),
    (lambda: ops.ExtractGlimpse(False, False, False, "foo"), ValueError,
     "For 'ExtractGlimpse', the 'noise' must be str and must be in '['uniform', 'gaussian', 'zero']', but got "
     "'foo'."),
    (lambda: ops.ExtractGlimpse(1), TypeError,
     "For 'ExtractGlimpse', the type of 'centered' should be 'bool', but got type 'int'."),
    (lambda: ops.ExtractGlimpse(False, False, False, "zero")(Tensor(np.zeros((1, 5, 6, 1))), _v((2, 2), np.int32),
                                                             _v([[1, 1]])), TypeError,
     "For primitive[ExtractGlimpse], the input argument[x] must be a type of {Tensor[Float32]}, but got "
     "Tensor[Float64]."),
    (lambda: ops.ExtractGlimpse(False, False, False, "zero")(IMG, _v((2, 2), np.int64), _v([[1, 1]])), TypeError,
     "For primitive[ExtractGlimpse], the input argument[size] must be a type of {Tensor[Int32]}, but got "
     "Tensor[Int64]."),
    (lambda: ops.ExtractGlimpse(False, False, False, "zero")(IMG, _v((2, 2), np.int32), _v([[1, 1]], np.float64)),
     TypeError, "For primitive[ExtractGlimpse], the input argument[offsets] must be a type of {Tensor[Float32]}, "
                "but got Tensor[Float64]."),
    (lambda: ops.ExtractGlimpse(False, False, False, "zero")(IMG, _v((2, 2), np.int32), _v([[1, 1], [2, 2]])),
     ValueError, "The first dimension of offsets must be consistent with the first dimension of x, but got 2."),
    (lambda: ops.ExtractGlimpse(False, False, False, "zero")(IMG, _v((2, 2), np.int32), _v([[1, 1, 1]])),
     ValueError, "The second dimension of offsets must be 2, but got 3."),
    (lambda: ops.ExtractGlimpse(False, False, False, "zero")(IMG[0], _v((2, 2), np.int32), _v([[1, 1]])),
     RuntimeError, "For 'ExtractGlimpse', the shape of parameter 'x' must be 4, but got 3."),
    (lambda: ops.ExtractGlimpse(False, False, False, "zero")(IMG, _v((0, 2), np.int32), _v([[1, 1]])),
     ValueError, "For 'ExtractGlimpse', the value of parameter 'size' must be greater than zero, but got"),
])
def test_extract_glimpse_refusals_are_mindspores(call, error, text):
    _refusal(call, error, text)


MASK = Tensor(np.array([[1, 0, 1], [0, 1, 1]], bool))


def test_choice_with_mask_shapes_and_picks(on_real_server):
    # MindSpore 2.10 choice_with_mask(MASK, count=4, seed=5): int32 (4, 2) [[0, 0], [1, 1], [1, 2], [0, 2]] and
    # bool (4,) all True: every True element once, in a random order
    coords, mask = ops.choice_with_mask(MASK, count=4, seed=5)
    assert (coords.dtype, coords.shape, mask.dtype, mask.shape) == (gs.int32, (4, 2), gs.bool_, (4,))
    assert mask.asnumpy().all() and sorted(map(tuple, coords.asnumpy().tolist())) == [(0, 0), (0, 2), (1, 1), (1, 2)]
    coords, mask = ops.choice_with_mask(MASK, count=2)
    picked = list(map(tuple, coords.asnumpy().tolist()))
    assert mask.asnumpy().all() and len(set(picked)) == 2 and set(picked) <= {(0, 0), (0, 2), (1, 1), (1, 2)}
    # the default count 256 on [1, 0, 1]: (256, 1) int32 and (256,) bool, two True rows first, the rest zeros
    coords, mask = ops.choice_with_mask(Tensor(np.array([1, 0, 1], bool)))
    assert coords.shape == (256, 1) and mask.asnumpy().tolist() == [True, True] + [False] * 254
    assert sorted(coords.asnumpy()[:2, 0].tolist()) == [0, 2] and not coords.asnumpy()[2:].any()


@pytest.mark.parametrize("call, error, text", [
    (lambda: ops.choice_with_mask(_v([1, 0, 1]), count=2), TypeError,
     "For primitive[RandomChoiceWithMask], the input argument[input_x] must be a type of {Tensor[Bool]}, but got "
     "Tensor[Float32]."),
    (lambda: ops.choice_with_mask(Tensor(np.ones((1,) * 6, bool)), count=2), ValueError,
     "For 'RandomChoiceWithMask', input[0] rank should be between 1 and 5, but got:6"),
])
def test_choice_with_mask_refusals_are_mindspores(call, error, text):
    _refusal(call, error, text)


@pytest.mark.parametrize("call, error, text", [
    (lambda: ops.choice_with_mask(Tensor(np.array(True)), count=2), ValueError,
     "For 'RandomChoiceWithMask', input[0] rank should be between 1 and 5, but got:0"),
    (lambda: ops.choice_with_mask(Tensor(np.array([1, 0, 1], bool)), count=0), ValueError,
     "For 'RandomChoiceWithMask', the 'count' must be int and must > 0, but got '0' with type 'int'."),
    (lambda: ops.choice_with_mask(Tensor(np.array([1, 0, 1], bool)), count=2, seed=-1), ValueError,
     "For 'choice_with_mask', the 'seed' must be int and must >= 0, but got '-1' with type 'int'."),
    (lambda: ops.Bernoulli(seed=1.5), TypeError, "For 'Bernoulli', the type of 'seed' should be 'int', but got type "
                                                 "'float'."),
    (lambda: ops.Bernoulli(seed=1)(_v([0, 0, 0], np.float16), 0.5), TypeError,
     "For primitive[Bernoulli], the input argument[x] must be a type of {Tensor[Bool], Tensor[Float32], "
     "Tensor[Float64], Tensor[Int16], Tensor[Int32], Tensor[Int64], Tensor[Int8], Tensor[UInt8]}, but got "
     "Tensor[Float16]."),
    (lambda: ops.Bernoulli(seed=1)(_v([0, 0, 0]), _v([0.5] * 3, np.float16)), TypeError,
     "For primitive[Bernoulli], the input argument[p] must be a type of {Tensor[Float32], Tensor[Float64]}, but got "
     "Tensor[Float16]."),
    (lambda: ops.Bernoulli(seed=1)(_v([0, 0, 0]), 1), TypeError,
     "For primitive[Bernoulli], the input argument[p] must be a type of {Float32, Float64}, but got Int64."),
    (lambda: ops.Bernoulli(seed=1)(_v([0, 0, 0]), "a"), TypeError,
     "For primitive[Bernoulli], the input argument[p] must be a type of {Float32, Float64}, but got String."),
    (lambda: ops.bernoulli(_v([0, 0, 0]), 1), TypeError,
     "For primitive[Bernoulli], the input argument[p] must be a type of {Tensor[Float32], Tensor[Float64]}, but got "
     "Tensor[Int64]."),
    (lambda: ops.RandpermV2(seed=1)(-1), ValueError,
     "For 'RandpermV2', the input 'n' must be greater than 0, but got data: -1."),
    (lambda: ops.RandpermV2(seed=1)(0), ValueError,
     "For 'RandpermV2', the input 'n' must be greater than 0, but got data: 0."),
    (lambda: ops.RandpermV2(seed=1, dtype=gs.bool_), TypeError,
     "For primitive[RandpermV2], the input argument[dtype] must be a type of {Float16, Float32, Float64, Int16, "
     "Int32, Int64, Int8, UInt8}, but got Bool."),
    (lambda: ops.RandpermV2(seed=-2)(4), ValueError,
     "For 'RandpermV2', the input 'seed' must be greater than 0 or equal to 0 or -1, but got data: -2."),
    (lambda: ops.RandpermV2(seed=1, dtype=gs.int8)(129), ValueError,
     "For 'RandpermV2', the value of 'n' is 129, it's too lagrge for input 'dtype'. "),
    (lambda: ops.RandpermV2(seed=1, dtype=gs.uint8)(257), ValueError,
     "For 'RandpermV2', the value of 'n' is 257, it's too lagrge for input 'dtype'. "),
    (lambda: ops.RandpermV2(seed=1, dtype=gs.float16)(70000), ValueError,
     "For 'RandpermV2', the value of 'n' is 70000, it's too lagrge for input 'dtype'. "),
    (lambda: ops.UniformInt(seed=1)((2,), Tensor(1, gs.int64), Tensor(5, gs.int64)), TypeError,
     "For primitive[UniformInt], the input argument[minval] must be a type of {Tensor[Int32]}, but got "
     "Tensor[Int64]."),
    (lambda: ops.UniformInt(seed=1)((2,), 1, 5), TypeError,
     "For primitive[UniformInt], the input[1] should be a Tensor, but got Int64."),
    (lambda: ops.UniformInt(seed=1)((2,), _v([1], np.int32), _v([5], np.int32)), ValueError,
     "For UniformInt, the min value should be a scalar tensor, while the shape is: (1)"),
    (lambda: ops.UniformInt(seed=1)((2,), Tensor(5, gs.int32), Tensor(5, gs.int32)), RuntimeError,
     "For 'Random', invalid min/max values: (5/5)"),
    (lambda: ops.UniformInt(seed=1)((2,), Tensor(6, gs.int32), Tensor(5, gs.int32)), RuntimeError,
     "For 'Random', invalid min/max values: (6/5)"),
    (lambda: ops.laplace((2,), Tensor(0.0, gs.float64), Tensor(1.0, gs.float64), seed=1), TypeError,
     "For 'laplace', the value data type 'Float32' is not consistent with assigned tensor data type Float64."),
    (lambda: ops.laplace((2,), 0.0, 1.0, seed=1), TypeError,
     "For Primitive[Dtype], the input argument[input_x] must be a Tensor, CSRTensor or COOTensor, but got "
     "<class 'float'>."),
])
def test_random_refusals_are_mindspores(call, error, text):
    _refusal(call, error, text)


def test_random_forms_shapes_dtypes_and_ranges(on_real_server):
    # MindSpore 2.10 (values its own generator's): Bernoulli keeps x's dtype (int64 / bool / float32), RandpermV2 a
    # permutation in its dtype, UniformInt int32 in [min, max)
    for dtype, want in ((np.int64, gs.int64), (np.bool_, gs.bool_), (np.float32, gs.float32)):
        got = ops.Bernoulli(seed=1)(Tensor(np.zeros(50, dtype)), 0.5)
        assert got.dtype == want and got.shape == (50,) and set(got.asnumpy().astype(int).tolist()) <= {0, 1}
    assert ops.Bernoulli()(_v(np.zeros(20)), 1.0).asnumpy().tolist() == [1.0] * 20
    assert ops.Bernoulli(seed=3)(_v(np.zeros(20)), _v(np.zeros(20))).asnumpy().tolist() == [0.0] * 20
    for dtype, want in ((gs.int64, gs.int64), (gs.int32, gs.int32), (gs.float32, gs.float32)):
        got = ops.RandpermV2(seed=5, dtype=dtype)(Tensor(6, gs.int64))
        assert got.dtype == want and sorted(got.asnumpy().tolist()) == list(range(6))
    assert sorted(ops.RandpermV2(dtype=gs.int8)(100).asnumpy().tolist()) == list(range(100))
    got = ops.UniformInt(seed=5)((2, 3), Tensor(1, gs.int32), Tensor(10, gs.int32))
    assert got.dtype == gs.int32 and got.shape == (2, 3) and got.asnumpy().min() >= 1 and got.asnumpy().max() < 10
    got = ops.UniformInt()(Tensor(np.array([4000], np.int32)), Tensor(-3, gs.int32), Tensor(2, gs.int32)).asnumpy()
    assert got.shape == (4000,) and set(got.tolist()) == {-3, -2, -1, 0, 1}


def test_seeded_ops_repeat_their_draws(on_real_server):
    # as MindSpore's: two ops (or calls) given the same seed draw the same values; one op draws anew on each call
    first = ops.UniformInt(seed=3)((50,), Tensor(0, gs.int32), Tensor(1000, gs.int32)).asnumpy()
    op = ops.UniformInt(seed=3)
    again, second = op((50,), Tensor(0, gs.int32), Tensor(1000, gs.int32)).asnumpy(), \
        op((50,), Tensor(0, gs.int32), Tensor(1000, gs.int32)).asnumpy()
    assert (first == again).all() and not (again == second).all()
    # a seeded functional op: MindSpore 2.10 keeps one generator per (op, seed) and advances it at each call (two calls differ; the same sequence after the same set_seed: its venv)
    gs.set_seed(1)
    a, a2 = (ops.normal((20,), Tensor(0.0, gs.float32), Tensor(1.0, gs.float32), seed=7).asnumpy() for _ in "ab")
    gs.set_seed(1)
    b = ops.normal((20,), Tensor(0.0, gs.float32), Tensor(1.0, gs.float32), seed=7).asnumpy()
    assert (a == b).all() and not (a == a2).all()
    p1, p2 = ops.RandpermV2(seed=4)(30).asnumpy(), ops.RandpermV2(seed=4)(30).asnumpy()
    assert (p1 == p2).all()


def test_laplace_and_normal_laws_broadcast_and_gradients(on_real_server):
    # MindSpore 2.10: the draws are of `shape`, then broadcast with mean / scale: laplace((2,), zeros (3, 1), 1)
    # gives (3, 2) with three equal rows; normal((2,), float64 Tensors) is float64, of Python floats or int32
    # Tensors float32; a negative scale negates the draws
    rows = ops.laplace((2,), Tensor(np.zeros((3, 1), np.float32)), Tensor(1.0, gs.float32), seed=1).asnumpy()
    assert rows.shape == (3, 2) and rows.dtype == np.float32 and (rows == rows[0]).all()
    assert ops.normal((2,), Tensor(0.0, gs.float64), Tensor(1.0, gs.float64), seed=1).dtype == gs.float64
    assert ops.normal((2,), 0.0, 1.0, seed=1).dtype == gs.float32
    assert ops.normal((2,), Tensor(0, gs.int32), Tensor(1, gs.int32), seed=1).dtype == gs.float32
    gs.set_seed(4)  # (each: the first draw of seed 9's sequence, which advances per call as MindSpore 2.10's)
    pos = ops.normal((4,), Tensor(0.0, gs.float32), Tensor(1.0, gs.float32), seed=9).asnumpy()
    gs.set_seed(4)
    neg = ops.normal((4,), Tensor(0.0, gs.float32), Tensor(-1.0, gs.float32), seed=9).asnumpy()
    np.testing.assert_array_equal(neg, -pos)
    # the laws: laplace(0, 2) has mean 0 and variance 2 * 2^2 = 8; normal(1, 3) mean 1, variance 9
    big = ops.laplace((20000,), Tensor(0.0, gs.float32), Tensor(2.0, gs.float32), seed=2).asnumpy()
    assert abs(big.mean()) < 0.1 and abs(big.var() - 8) < 0.5
    big = ops.normal((20000,), Tensor(1.0, gs.float32), Tensor(3.0, gs.float32), seed=2).asnumpy()
    assert abs(big.mean() - 1) < 0.1 and abs(big.var() - 9) < 0.5
    # MindSpore 2.10: grad of normal((2,), m, s, seed=1).sum() is (2, the draws' sum), laplace's the same
    for f in (ops.normal, ops.laplace):
        gs.set_seed(5)  # (the grad's run draws the first values of seed 11's sequence again: one generator per seed)
        out = f((2,), Tensor(1.0, gs.float32), Tensor(2.0, gs.float32), seed=11).asnumpy()
        gs.set_seed(5)
        dm, ds = gs.grad(lambda m, s, f=f: f((2,), m, s, seed=11).sum(), (0, 1))(Tensor(1.0, gs.float32),
                                                                                Tensor(2.0, gs.float32))
        assert float(dm.asnumpy()) == 2.0
        np.testing.assert_allclose(float(ds.asnumpy()), ((out - 1) / 2).sum(), rtol=1e-5)


def test_graph_mode_reads_each_calls_values(on_real_server):
    # the values are read per call inside a GRAPH_MODE construct (the trace is specialised on them): a second call
    # with other values gets its own answer (the expected values: the MindSpore runs above)
    gs.set_context(mode=gs.GRAPH_MODE)
    hyp = (_i64([[0, 0], [0, 1]]), _v([1, 2]))

    class Distance(gs.nn.Cell):
        def __init__(self):
            super().__init__()
            self.op, self.shape = ops.EditDistance(False), _i64([1, 2])

        def construct(self, truth_values):
            return self.op(*hyp, self.shape, _i64([[0, 0]]), truth_values, self.shape)

    class Glimpse(gs.nn.Cell):
        def __init__(self):
            super().__init__()
            self.op = ops.ExtractGlimpse(False, False, False, "zero")

        def construct(self, x, offsets):
            return self.op(x, Tensor(np.array((2, 2), np.int32)), offsets)

    net = Distance()
    assert net(_v([1])).asnumpy().tolist() == [1] and net(_v([7])).asnumpy().tolist() == [2]
    glimpse = Glimpse()
    assert glimpse(IMG, _v([[1, 1]])).asnumpy().ravel().tolist() == [0, 1, 6, 7]
    assert glimpse(IMG, _v([[3, 3]])).asnumpy().ravel().tolist() == [14, 15, 20, 21]

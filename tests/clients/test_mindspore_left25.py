"""MindSpore leftovers, round 25 (h-left25; benchmarks/mindspore_suite/README.md, "Leftovers, round 25").

Expected values: MindSpore 2.10 (CPU), run for this task in its own venv (/work/msvenv; the probes are
/work/ms_suite_left25/p1.py, p1b.py, p1c.py, p1d.py, PyNative); stated beside each."""
import numpy as np
import pytest

import gradserve as ms
from gradserve import Tensor

nan = np.nan
P = ms.ops

# -- 1. NaN in the max / min reductions: MindSpore's CPU kernels scan from the first reduced element and keep a later
# one only where it compares greater (less): a NaN first element is the answer (index 0), any other NaN is skipped
_MID = np.array([1.0, nan, 3.0, 2.0], np.float32)
_FIRST = np.array([nan, 1.0, 3.0, 2.0], np.float32)
_TWO = np.array([[1.0, nan, 3.0], [4.0, 0.5, nan]], np.float32)

# (name, f, x, value, gradient of the value): MindSpore 2.10 PyNative (p1.py); gradserve propagated NaN
_REDUCTIONS = [
    ("ops.max axis", lambda x: P.max(x, 0)[0], _MID, 3.0, [0, 0, 1, 0]),
    ("ops.max axis first", lambda x: P.max(x, 0)[0], _FIRST, nan, [1, 0, 0, 0]),
    ("ops.max rows", lambda x: P.max(x, 1)[0], _TWO, [3.0, 4.0], [[0, 0, 1], [1, 0, 0]]),
    ("ops.min rows", lambda x: P.min(x, 1)[0], _TWO, [1.0, 0.5], [[1, 0, 0], [0, 1, 0]]),
    ("ArgMaxWithValue", lambda x: P.ArgMaxWithValue(axis=-1)(x)[1], _MID, 3.0, [0, 0, 1, 0]),
    ("ArgMinWithValue", lambda x: P.ArgMinWithValue(axis=-1)(x)[1], _TWO, [1.0, 0.5], [[1, 0, 0], [0, 1, 0]]),
    ("ReduceMax", lambda x: P.ReduceMax()(x, -1), _TWO, [3.0, 4.0], [[0, 0, 1], [1, 0, 0]]),
    ("ReduceMax first", lambda x: P.ReduceMax()(x, -1), _FIRST, nan, [nan, nan, nan, nan]),
    ("ReduceMin", lambda x: P.ReduceMin()(x, -1), _MID, 1.0, [1, 0, 0, 0]),
    ("ReduceMax all", lambda x: P.ReduceMax()(x), _TWO, 4.0, [[0, 0, 0], [1, 0, 0]]),
    ("ReduceMin first", lambda x: P.ReduceMin()(x), _FIRST, nan, [nan, nan, nan, nan]),
    ("ops.max all", lambda x: P.max(x)[0], _TWO, 4.0, [[0, 0, 0], [1, 0, 0]]),
    ("ops.max all first", lambda x: P.max(x)[0], _FIRST, nan, [1, 0, 0, 0]),
    ("mint.max", lambda x: ms.mint.max(x), _MID, 3.0, [0, 0, 1, 0]),
    ("mint.max dim", lambda x: ms.mint.max(x, -1)[0], _TWO, [3.0, 4.0], [[0, 0, 1], [1, 0, 0]]),
    ("mint.min first", lambda x: ms.mint.min(x), _FIRST, nan, [1, 0, 0, 0]),
    ("Tensor.max", lambda x: x.max(), _TWO, 4.0, [[0, 0, 0], [1, 0, 0]]),
    ("Tensor.max axis", lambda x: x.max(axis=-1), _MID, 3.0, [0, 0, 1, 0]),
    ("Tensor.min", lambda x: x.min(), _MID, 1.0, [1, 0, 0, 0]),
    ("amax", lambda x: P.amax(x, -1), _TWO, [3.0, 4.0], [[0, 0, 1], [1, 0, 0]]),
    ("amax first", lambda x: P.amax(x, -1), _FIRST, nan, [nan, nan, nan, nan]),
    ("amin", lambda x: P.amin(x, -1), _TWO, [1.0, 0.5], [[1, 0, 0], [0, 1, 0]]),
    ("mint.amax", lambda x: ms.mint.amax(x, -1), _MID, 3.0, [0, 0, 1, 0]),
]


@pytest.mark.parametrize("name,f,x,value,grad", _REDUCTIONS, ids=[r[0] for r in _REDUCTIONS])
def test_a_max_or_min_reduction_skips_a_nan_unless_it_comes_first(on_real_server, pynative, name, f, x, value, grad):
    np.testing.assert_array_equal(f(Tensor(x)).asnumpy(), np.array(value, np.float32))
    np.testing.assert_array_equal(P.GradOperation()(f)(Tensor(x)).asnumpy(), np.array(grad, np.float32))


# (f, x, indices): MindSpore 2.10 PyNative (p1b.py, p1c.py)
_LONG = np.array([5.0, nan, 2.0, nan, 7.0, 1.0, 3.0, nan, 0.0, 4.0], np.float32)
_INDICES = [
    (lambda x: P.argmax(x, -1), _TWO, [2, 0]),
    (lambda x: P.argmin(x, -1), _TWO, [0, 1]),
    (lambda x: P.argmax(x, -1), _LONG, 4),
    (lambda x: P.max(x, -1)[1], _LONG, 4),
    (lambda x: P.min(x, -1)[1], _LONG, 8),
    (lambda x: x.argmax(-1), _MID, 2),
    (lambda x: P.argmax(x, -1), _FIRST, 0),
    (lambda x: P.ArgMaxWithValue(axis=0)(x)[0], np.array([[5.0, nan], [1.0, 3.0]], np.float32), [0, 0]),
    (lambda x: P.ArgMaxWithValue(axis=0)(x)[0], np.array([[nan, 2.0], [1.0, 3.0]], np.float32), [0, 1]),
]


@pytest.mark.parametrize("f,x,indices", _INDICES)
def test_the_index_of_a_max_or_min_is_the_scans(on_real_server, pynative, f, x, indices):
    np.testing.assert_array_equal(f(Tensor(x)).asnumpy(), np.array(indices))


def test_a_reduction_over_two_axes_and_a_long_one_scan_from_the_first_element(on_real_server, pynative):
    a = np.array([[nan, 2.0], [1.0, 3.0]], np.float32)
    c = np.array([[5.0, nan], [1.0, 3.0]], np.float32)
    # MindSpore 2.10 (p1c.py): ReduceMax of a over axis 0 [nan, 3] (gradient [[nan, 0], [nan, 1]]); of c over (0, 1) 5
    np.testing.assert_array_equal(P.ReduceMax()(Tensor(a), 0).asnumpy(), [nan, 3.0])
    np.testing.assert_array_equal(P.GradOperation()(lambda t: P.ReduceMax()(t, 0))(Tensor(a)).asnumpy(),
                                  [[nan, 0.0], [nan, 1.0]])
    np.testing.assert_array_equal(P.ReduceMax()(Tensor(c), (0, 1)).asnumpy(), 5.0)
    np.testing.assert_array_equal(P.GradOperation()(lambda t: P.ReduceMax()(t, (0, 1)))(Tensor(c)).asnumpy(),
                                  [[1.0, 0.0], [0.0, 0.0]])
    v = np.arange(1000, dtype=np.float32)
    v[999] = nan  # MindSpore 2.10: 998 (a NaN last is skipped, 1,000 elements as 4)
    assert float(P.ReduceMax()(Tensor(v)).asnumpy()) == 998.0
    w = np.arange(1000, dtype=np.float32).reshape(10, 100)
    w[0, 0], w[5, 3] = nan, nan  # MindSpore 2.10: over axis 0 [nan, 901, 902, 903, 904, ...]
    np.testing.assert_array_equal(P.ReduceMax()(Tensor(w), 0).asnumpy()[:5], [nan, 901.0, 902.0, 903.0, 904.0])


@pytest.mark.parametrize("f", [lambda z: P.max(z)[0], lambda z: z.max(), lambda z: ms.mint.max(z),
                               lambda z: P.min(z)[0]])
def test_a_nan_answer_over_all_elements_shares_its_gradient_among_the_nans(on_real_server, pynative, f):
    # MindSpore 2.10 (p1d.py): [nan, 1, nan, 2] -> nan, gradient [0.5, 0, 0.5, 0] (ops.max / Tensor.max / mint.max /
    # ops.min alike); ties of a number split as before ([1, 3, 3, nan] -> 3, [0, 0.5, 0.5, 0], p1c.py)
    x = Tensor(np.array([nan, 1.0, nan, 2.0], np.float32))
    assert np.isnan(f(x).asnumpy())
    np.testing.assert_array_equal(P.GradOperation()(f)(x).asnumpy(), [0.5, 0.0, 0.5, 0.0])


@pytest.mark.parametrize("f", [lambda z: P.max(z)[0], lambda z: z.max(), lambda z: ms.mint.max(z), P.amax])
def test_ties_over_all_elements_still_split_the_gradient(on_real_server, pynative, f):
    t = Tensor(np.array([1.0, 3.0, 3.0, nan], np.float32))  # MindSpore 2.10 (p1c.py): 3, [0, 0.5, 0.5, 0]
    assert float(f(t).asnumpy()) == 3.0
    np.testing.assert_array_equal(P.GradOperation()(f)(t).asnumpy(), [0.0, 0.5, 0.5, 0.0])


def test_integers_and_nan_free_floats_reduce_as_before(on_real_server, pynative):
    x = np.array([[3, 1, 3], [0, 5, 2]], np.int32)
    np.testing.assert_array_equal(P.ReduceMax()(Tensor(x), 1).asnumpy(), [3, 5])
    np.testing.assert_array_equal(P.argmax(Tensor(x), 1).asnumpy(), [0, 1])
    y = np.array([[-np.inf, -np.inf], [2.0, 2.0]], np.float32)  # ties: the first index (MindSpore's and NumPy's)
    np.testing.assert_array_equal(P.max(Tensor(y), 1)[1].asnumpy(), [0, 0])

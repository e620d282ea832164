"""MindSpore leftovers, round 25 (h-left25; benchmarks/mindspore_suite/README.md, "Leftovers, round 25").

Expected values: MindSpore 2.10 (CPU), run for this task in its own venv (/work/msvenv; the probes are
/work/ms_suite_left25/p1.py, p1b.py, p1c.py, p1d.py, PyNative); stated beside each."""
import operator

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


# -- 3. a Python bool as an eager op's int argument (the ops round 24's readers did not cover) ------------------------
# MindSpore 2.10 PyNative's TypeError, its first line (p3.py); gradserve read True as 1 (each ran before this round)
_X = np.arange(8, dtype=np.float32).reshape(2, 4)
_I = np.array([[0, 1], [1, 0]], np.int32)
_BOOL_ARGS = [
    (lambda x: P.repeat_interleave(x, 2, True), "For 'repeat_elements', the type of 'axis' must be 'int', but got 'bool'."),
    (lambda x: x.repeat(True, 1),
     "repeat(): argument 'repeats' (position 1) must be tuple of int but found type of bool at pos 0."),
    (lambda x: P.topk(x, True), "For primitive[TopK], the input argument[k] must be a type of {Int32, Int64}, but got Bool."),
    (lambda x: P.narrow(x, 1, 0, True), "The input value must be 'int',  but got 'bool'."),
    (lambda x: P.chunk(x, 2, True), 'Failed calling Split with "Split(axis=bool, output_num=int)(input_x=Tensor)".'),
    (lambda x: P.chunk(x, True, 0), 'Failed calling Split with "Split(axis=int, output_num=bool)(input_x=Tensor)".'),
    (lambda x: P.diagonal(x, 0, True, 0),
     'Failed calling Diagonal with "Diagonal(offset=int, dim1=bool, dim2=int)(input=Tensor)".'),
    (lambda x: P.triu(x, True), 'Failed calling Triu with "Triu(diagonal=bool)(input=Tensor)".'),
    (lambda x: P.tril(x, True), "For 'Tril', the type of 'diagonal' should be 'int', but got type 'bool'."),
    (lambda x: P.one_hot(Tensor(np.array([0, 1], np.int32)), True, Tensor(1.0), Tensor(0.0)),
     'Failed calling OneHot with "OneHot(axis=int)(indices=Tensor, depth=bool, on_value=Tensor, off_value=Tensor)".'),
    (lambda x: P.sort(x, True), "For 'Sort', the type of 'axis' should be 'int', but got type 'bool'."),
    (lambda x: P.argsort(x, True), "For 'Sort', the type of 'axis' should be 'int', but got type 'bool'."),
    (lambda x: P.cummax(x, True), 'Failed calling Cummax with "Cummax(axis=bool)(input=Tensor)".'),
    (lambda x: P.cummin(x, True), "For 'cummin', the date type of 'axis' must be Int, but got True."),
    (lambda x: P.flatten(x, start_dim=True), "For 'flatten', both 'start_dim' and 'end_dim' must be int."),
    (lambda x: P.unbind(x, True), "For 'Unstack', the type of 'axis' should be 'int', but got type 'bool'."),
    (lambda x: P.unstack(x, True), "For 'Unstack', the type of 'axis' should be 'int', but got type 'bool'."),
    (lambda x: P.gather_elements(x, True, Tensor(_I)),
     'Failed calling GatherD with "GatherD()(x=Tensor, dim=bool, index=Tensor)".'),
    (lambda x: P.median(x, True), "For 'Median', the type of 'axis' should be 'int', but got type 'bool'."),
    (lambda x: P.cross(Tensor(np.ones((3, 3), np.float32)), Tensor(np.ones((3, 3), np.float32)), True),
     'Failed calling Cross with "Cross(dim=bool)(input=Tensor, other=Tensor)".'),
    (lambda x: P.eye(True, 2), 'Failed calling Eye with "Eye()(n=bool, m=int, dtype=mindspore.dtype)".'),
    (lambda x: ms.mint.eye(True), 'Failed calling Eye with "Eye()(n=bool, m=bool, dtype=mindspore.dtype)".'),
    (lambda x: x.flatten(True), 'Failed calling flatten with "flatten(bool)".'),
    (lambda x: x.unsqueeze(True), 'Failed calling unsqueeze with "unsqueeze(bool)".'),
    (lambda x: Tensor(np.array([1.0, 2.0], np.float32)).expand((True, 2)),
     "broadcast_to(): argument 'shape' (position 1) must be tuple of int but found type of tuple at pos 0."),
    (lambda x: x.narrow(True, 0, 1), 'Failed calling narrow with "narrow(bool, int, int)".'),
    (lambda x: x.gather(Tensor(np.array([0], np.int32)), True), 'Failed calling gather with "gather(Tensor, bool)".'),
    (lambda x: x.std(True), 'Failed calling std with "std(bool)".'),
    (lambda x: x.var(True), 'Failed calling var with "var(bool)".'),
    (lambda x: x.index_select(True, Tensor(np.array([0], np.int32))),
     'Failed calling index_select with "index_select(bool, Tensor)".'),
    (lambda x: ms.mint.flatten(x, True),
     'Failed calling FlattenExt with "FlattenExt()(input=Tensor, start_dim=bool, end_dim=int)".'),
    (lambda x: ms.mint.transpose(x, True, 0),
     'Failed calling TransposeExtView with "TransposeExtView()(input=Tensor, dim0=bool, dim1=int)".'),
    (lambda x: ms.mint.full((True, 2), 1.0),
     'Failed calling FillScalar with "FillScalar()(size=Tuple<bool, int>, fill_value=float, dtype=mindspore.dtype)".'),
    (lambda x: ms.nn.Flatten(True)(x), "For 'flatten', both 'start_dim' and 'end_dim' must be int."),
    (lambda x: ms.nn.Softmax(True)(x), 'Failed calling Softmax with "Softmax(axis=Tuple<bool>)(input=Tensor)".'),
    (lambda x: ms.nn.LogSoftmax(True)(x), 'Failed calling LogSoftmax with "LogSoftmax(axis=bool)(logits=Tensor)".'),
]


@pytest.mark.parametrize("call,text", _BOOL_ARGS)
def test_a_bool_as_an_int_argument_is_mindspores_type_error(on_real_server, pynative, call, text):
    with pytest.raises(TypeError) as e:
        call(Tensor(_X))
    assert str(e.value).split("\n")[0] == text


def test_the_bool_forms_mindspore_reads_as_int_still_run(on_real_server, pynative):
    x = Tensor(_X)  # MindSpore 2.10 (p3.py): ops.narrow(x, True, 0, 1) (2, 1), ops.movedim / swapaxes(x, True, 0) (4, 2)
    assert P.narrow(x, True, 0, 1).shape == (2, 1)
    assert P.movedim(x, True, 0).shape == (4, 2)
    assert P.swapaxes(x, True, 0).shape == (4, 2)
    assert P.topk(x, 1, True)[0].shape == (2, 1)
    assert ms.ops.full((2, 2), 1.0).shape == (2, 2) and ms.mint.full((2, 2), 1.0).dtype == ms.float32
    with pytest.raises(TypeError, match=r"For primitive\[FillV2\]"):  # ops.full's own text (p3.py)
        ms.ops.full((True, 2), 1.0)


# -- 2. what a gradient hook returns (PyNative) ------------------------------------------------------------------------
class _Inner(ms.nn.Cell):
    def construct(self, x):
        return x * 2


class _Hooked(ms.nn.Cell):
    def __init__(self, ret):
        super().__init__()
        self.inner = _Inner()
        self.inner.register_backward_hook(lambda cell, gin, gout: ret(gin[0]))

    def construct(self, x):
        return self.inner(x) * 3


def _tensor_hooked(ret):
    def f(x):
        y = x * 2
        y.register_hook(ret)
        return y * 3
    return f


_X2 = np.array([1.0, 2.0], np.float32)
_CONSISTENT = ("The output type of function: hook_backward_grad is not consistent with the expected, it should be Tensor "
               "shape:[[const vector]{2}]Float32, but got ")
# MindSpore 2.10 PyNative (p2.py): its exception class and first line; gradserve answered the dtype ones (Int32 / Float64
# as Float32 [1, 1]) and the two-tuple ([6, 6]), and refused the others with a ShapeError of its own
_CELL_HOOK_RESULTS = [
    (lambda d: 2, TypeError, "The output type of function: hook_backward_grad should be a tensor but got int."),
    (lambda d: 2.5, TypeError, "The output type of function: hook_backward_grad should be a tensor but got float."),
    (lambda d: True, TypeError, "The output type of function: hook_backward_grad should be a tensor but got bool."),
    (lambda d: ms.ops.ones((3,), ms.float32), ValueError, _CONSISTENT + "Tensor shape:[[const vector]{3}]Float32"),
    (lambda d: ms.ops.ones(d.shape, ms.int32), ValueError, _CONSISTENT + "Tensor shape:[[const vector]{2}]Int32"),
    (lambda d: ms.ops.ones(d.shape, ms.float64), ValueError, _CONSISTENT + "Tensor shape:[[const vector]{2}]Float64"),
    (lambda d: Tensor(3.0), ValueError, _CONSISTENT + "Tensor shape:[[const vector]{}]Float32"),
    (lambda d: (d, d), TypeError, "The backward hook return value size is 2 not equal to expect grad input size 1"),
]


@pytest.mark.parametrize("ret,cls,text", _CELL_HOOK_RESULTS)
def test_a_cell_backward_hooks_result_is_checked_as_mindspores(on_real_server, pynative, ret, cls, text):
    with pytest.raises(cls) as e:
        ms.ops.GradOperation()(_Hooked(ret))(Tensor(_X2))
    assert str(e.value).split("\n")[0] == text


@pytest.mark.parametrize("ret,name", [(lambda d: 2, "int"), (lambda d: 2.5, "float"), (lambda d: True, "bool"),
                                      (lambda d: (d * 2,), "tuple"), (lambda d: (d, d), "tuple")])
def test_a_tensor_hook_returning_no_tensor_is_mindspores_runtime_error(on_real_server, pynative, ret, name):
    # MindSpore 2.10 PyNative (p2.py); gradserve took the one-tuple as the gradient ([12, 12])
    with pytest.raises(RuntimeError) as e:
        ms.ops.GradOperation()(_tensor_hooked(ret))(Tensor(_X2))
    assert str(e.value).split("\n")[0] == f"Tensor hook should be return Tensor, but get type: {name}."


def test_hooks_returning_what_mindspore_takes_still_run(on_real_server, pynative):
    # MindSpore 2.10 PyNative (p2.py): a cell hook's (d * 2,) [12, 12], None [6, 6]; a Tensor hook's Int32 ones [2, 2]
    # (Float32), None [6, 6]
    g = ms.ops.GradOperation()
    np.testing.assert_array_equal(g(_Hooked(lambda d: (d * 2,)))(Tensor(_X2)).asnumpy(), [12.0, 12.0])
    np.testing.assert_array_equal(g(_Hooked(lambda d: None))(Tensor(_X2)).asnumpy(), [6.0, 6.0])
    out = g(_tensor_hooked(lambda d: ms.ops.ones(d.shape, ms.int32)))(Tensor(_X2))
    np.testing.assert_array_equal(out.asnumpy(), [2.0, 2.0])
    assert out.dtype == ms.float32
    np.testing.assert_array_equal(g(_tensor_hooked(lambda d: None))(Tensor(_X2)).asnumpy(), [6.0, 6.0])


# -- 5. a joined number read by an op vs by the user: an explicit entry for the user's int / operator.index -----------
_LOW, _HIGH = np.array([1.0, 2.0], np.float32), np.array([2.0, 2.0], np.float32)


def _halved(y):
    return int(y) // 1  # (a user's helper: rewritten too, its int is the user's)


def _user_reads_of_int_or_float(x):
    if x.sum() > 3:
        y = 1
    else:
        y = 2.0
    return x * _halved(y) + x * operator.index(int(y))


def _op_reads_int_or_float(x):
    if x.sum() > 3:
        y = 1
    else:
        y = 2.0
    return ms.ops.ones((2, y))


def test_a_users_int_of_a_joined_number_runs_and_an_ops_read_is_refused(on_real_server, graph_mode):
    # MindSpore 2.10 ms.jit (round 22's p1 family): x * int(y) runs with the path's number ([2, 4] / [3, 4] for one
    # product; twice here); ops.ones((2, y)) is its TypeError on every input
    np.testing.assert_array_equal(ms.jit(_user_reads_of_int_or_float)(Tensor(_LOW)).asnumpy(), [4.0, 8.0])
    np.testing.assert_array_equal(ms.jit(_user_reads_of_int_or_float)(Tensor(_HIGH)).asnumpy(), [4.0, 4.0])
    for x in (_LOW, _HIGH):
        with pytest.raises(TypeError, match="refuses it on every path"):
            ms.jit(_op_reads_int_or_float)(Tensor(x))

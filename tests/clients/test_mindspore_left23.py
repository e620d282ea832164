"""MindSpore leftovers, round 23 (h-left23; benchmarks/mindspore_suite/README.md, "Leftovers, round 23").

Expected values and error texts: MindSpore 2.10 (CPU), run for this task in its own venv (/work/msvenv; the probes are
/work/ms_suite_left23/p1.py and p1b.py, GRAPH_MODE + ms.jit); stated beside each."""
import numpy as np
import pytest

import gradserve as ms
from gradserve import Tensor

_X = np.arange(6, dtype=np.float32).reshape(2, 3)
_UP, _DOWN = Tensor(1.0), Tensor(-1.0)  # the `if`'s condition c > 0: True / False


# -- 1. a reduction's axis / keep_dims given a number joined by a traced `if` of bool / int kinds --------------------
def _joined(c):
    if c > 0:
        y = True
    else:
        y = 0
    return y


def _sum_axis(x, c):
    return x.sum(axis=_joined(c))


def _ops_sum_dim(x, c):
    return ms.ops.sum(x, dim=_joined(c))


def _reduce_sum_axis(x, c):
    return ms.ops.ReduceSum()(x, _joined(c))


def _reduce_max_axis(x, c):
    return ms.ops.ReduceMax()(x, _joined(c))


def _mean_axis(x, c):
    return ms.ops.mean(x, _joined(c))


def _sum_axis_tuple(x, c):
    return x.sum(axis=(_joined(c),))


def _prod_dim(x, c):
    return x.prod(_joined(c))  # (MindSpore 2.10's Tensor.prod has no axis= keyword: h-mint22's signature)


def _prod_dim_joined_ints(x, c):
    if c > 0:
        y = 1
    else:
        y = 0
    return x.prod(y)


def _any_axis(x, c):
    return (x > 1).any(axis=_joined(c))


def _logsumexp_axis(x, c):
    return ms.ops.logsumexp(x, _joined(c))


def _norm_dim(x, c):
    return ms.ops.norm(x, dim=_joined(c))


def _squeeze_axis(x, c):
    return ms.ops.squeeze(x.reshape(1, 6), _joined(c))


def _reduce_sum_keep_dims(x, c):
    return ms.ops.ReduceSum(keep_dims=_joined(c))(x, 1)


def _sum_keepdims_positional(x, c):
    return x.sum(1, _joined(c))


@pytest.mark.parametrize("fn", [_sum_axis, _ops_sum_dim, _reduce_sum_axis, _reduce_max_axis, _mean_axis,
                                _sum_axis_tuple, _any_axis, _logsumexp_axis, _norm_dim, _squeeze_axis,
                                _reduce_sum_keep_dims, _sum_keepdims_positional])
def test_joined_bool_int_as_a_reductions_axis_or_keep_dims_is_refused(on_real_server, graph_mode, fn):
    # MindSpore 2.10 ms.jit, either path: TypeError 'Failed calling sum with "sum(axis=bool)"', 'Failed calling
    # ReduceSum with "ReduceSum(keep_dims=bool, skip_mode=bool)(x=Tensor, axis=bool)"', '... SumExt()(... dim=
    # tuple<bool> ...', 'Failed calling Squeeze with "Squeeze(axis=bool)..."', '... ReduceSum(keep_dims=int, ...',
    # (x.sum(1, y): "For 'SumExt', the input 'dtype' expect a type, but got AbstractScalar(Type: Int64, ...")
    # gradserve summed along the path's axis (True: 1, 0: 0)
    for c in (_UP, _DOWN):
        with pytest.raises(TypeError, match="refuses it on every path"):
            ms.jit(fn)(Tensor(_X), c)


def test_prod_of_a_joined_number_takes_the_int_path_and_refuses_a_bool_one(on_real_server, graph_mode):
    # MindSpore 2.10 ms.jit on arange(1, 7) as (2, 3): y = 1 / 0 by path gives [6, 120] / [4, 10, 18]; y = True / 0
    # is TypeError 'Failed calling prod with "prod(bool)".' on either path (h-mint22's signature check took the
    # traced int for a Tensor and refused it: 'prod(Tensor)')
    x = Tensor(np.arange(1, 7, dtype=np.float32).reshape(2, 3))
    np.testing.assert_array_equal(ms.jit(_prod_dim_joined_ints)(x, _UP).asnumpy(), [6.0, 120.0])
    np.testing.assert_array_equal(ms.jit(_prod_dim_joined_ints)(x, _DOWN).asnumpy(), [4.0, 10.0, 18.0])
    for c in (_UP, _DOWN):
        with pytest.raises(TypeError, match=r'Failed calling prod with "prod\(bool\)"\.'):
            ms.jit(_prod_dim)(x, c)


def _sum_axis_joined_ints(x, c):
    if c > 0:
        y = 1
    else:
        y = 0
    return x.sum(axis=y, keepdims=True)


def _sum_keepdims_joined_bools(x, c):
    if c > 0:
        y = True
    else:
        y = False
    return x.sum(axis=1, keepdims=y)


def test_joined_numbers_of_one_kind_as_axis_or_keep_dims_run(on_real_server, graph_mode):
    # MindSpore 2.10 ms.jit: [[3], [12]] / [[3, 5, 7]]; keepdims True / False: [[3], [12]] / [3, 12]; grad all ones
    f, g = ms.jit(_sum_axis_joined_ints), ms.jit(_sum_keepdims_joined_bools)
    np.testing.assert_array_equal(f(Tensor(_X), _UP).asnumpy(), [[3.0], [12.0]])
    np.testing.assert_array_equal(f(Tensor(_X), _DOWN).asnumpy(), [[3.0, 5.0, 7.0]])
    np.testing.assert_array_equal(g(Tensor(_X), _UP).asnumpy(), [[3.0], [12.0]])
    np.testing.assert_array_equal(g(Tensor(_X), _DOWN).asnumpy(), [3.0, 12.0])
    np.testing.assert_array_equal(ms.grad(f)(Tensor(_X), _UP).asnumpy(), np.ones((2, 3)))


# -- 2. a Python bool as an eager op's shape / axis (PyNative) --------------------------------------------------------
_V = np.array([1.0, 2.0], np.float32)
_BOOL_ARGS = [  # (call, MindSpore 2.10 PyNative's TypeError text, its first line; /work/ms_suite_left23/p2.py)
    (lambda x, v: ms.ops.zeros((True, 2)),
     'Failed calling Zeros with "Zeros()(size=Tuple<bool, int>, dtype=mindspore.dtype)".'),
    (lambda x, v: ms.ops.zeros(True), 'Failed calling Zeros with "Zeros()(size=bool, dtype=mindspore.dtype)".'),
    (lambda x, v: ms.ops.ones((2, True)),
     'Failed calling Ones with "Ones()(shape=Tuple<int, bool>, dtype=mindspore.dtype)".'),
    (lambda x, v: ms.ops.tile(v, (True,)), 'Failed calling Tile with "Tile()(input=Tensor, dims=Tuple<bool>)".'),
    (lambda x, v: ms.ops.tile(v, (2, True)), 'Failed calling Tile with "Tile()(input=Tensor, dims=Tuple<int, bool>)".'),
    (lambda x, v: ms.ops.broadcast_to(v, (True, 2)),
     'Failed calling BroadcastTo with "BroadcastTo(shape=Tuple<bool, int>)(input=Tensor)".'),
    (lambda x, v: ms.ops.fill(ms.float32, (True, 2), 1.0),
     "For primitive[FillV2], the input argument[input[shape]] must be a type of {Int32, Int64}, but got Bool."),
    (lambda x, v: ms.ops.full((True, 2), 1.0),
     "For primitive[FillV2], the input argument[input[shape]] must be a type of {Int32, Int64}, but got Bool."),
]


@pytest.mark.parametrize("call, text", _BOOL_ARGS)
def test_a_bool_in_an_eager_shape_is_mindspores_type_error(on_real_server, pynative, call, text):
    # MindSpore 2.10 PyNative refuses each; gradserve read True as 1 ((1, 2) zeros, a tile by 1)
    with pytest.raises(TypeError) as e:
        call(Tensor(_X), Tensor(_V))
    assert str(e.value).split("\n")[0] == text


@pytest.mark.parametrize("call", [lambda x: x.sum(axis=True), lambda x: x.sum(axis=(True,)),
                                  lambda x: ms.ops.sum(x, dim=True), lambda x: ms.ops.ReduceSum()(x, True),
                                  lambda x: x.mean(axis=True), lambda x: ms.ops.ReduceMean()(x, True),
                                  lambda x: ms.ops.squeeze(x.reshape(1, 6), True)])
def test_a_bool_as_an_eager_reductions_axis_is_refused(on_real_server, pynative, call):
    # MindSpore 2.10 PyNative: TypeError 'Failed calling sum with "sum(axis=bool)"', '... sum(axis=Tuple<bool>)',
    # 'Failed calling SumExt with "SumExt()(input=Tensor, dim=bool, ...', 'Failed calling ReduceSum with "ReduceSum(
    # keep_dims=bool, skip_mode=bool)(x=Tensor, axis=bool)"', '... mean(axis=bool)', '... ReduceMean(...)(x=Tensor,
    # axis=bool)', 'Failed calling Squeeze with "Squeeze(axis=bool)(input=Tensor)"'; gradserve summed along axis 1
    with pytest.raises(TypeError, match="MindSpore 2.10 refuses a bool there"):
        call(Tensor(_X))


def test_ints_as_eager_shapes_and_axes_still_run(on_real_server, pynative):
    # NumPy: zeros((1, 2)), tile([1, 2], (2,)) and the sum along axis 1
    assert ms.ops.zeros((1, 2)).shape == (1, 2)
    np.testing.assert_array_equal(ms.ops.tile(Tensor(_V), (2,)).asnumpy(), np.tile(_V, 2))
    np.testing.assert_array_equal(Tensor(_X).sum(axis=1).asnumpy(), _X.sum(axis=1))


# -- 3. ReduceSum(skip_mode=True) with an empty axis: (), [] and an empty Tensor ---------------------------------------
def _empty_axes():
    return [(), [], Tensor(np.zeros((0,), np.int64)), Tensor(np.zeros((0,), np.int32))]


class _SkipTimes(ms.nn.Cell):
    def __init__(self, axis, keep_dims):
        super().__init__()
        self.op, self.axis = ms.ops.ReduceSum(keep_dims=keep_dims, skip_mode=True), axis

    def construct(self, x):
        return self.op(x, self.axis) * (x + 1)


@pytest.mark.parametrize("keep_dims", [False, True])
def test_skip_mode_empty_axis_in_pynative_is_the_broadcast_total_with_an_identity_gradient(on_real_server, pynative,
                                                                                           keep_dims):
    # MindSpore 2.10 PyNative, each form of the empty axis and keep_dims: all 15 (2, 3); the gradient of
    # ReduceSum(x, ()) * (x + 1) is 15 + x + 1 (its bprop: dout itself); gradserve gave x ((), []) or the 0-d 15
    # (an empty Tensor) and 2x + 1 / 36 as gradients
    for axis in _empty_axes():
        out = ms.ops.ReduceSum(keep_dims=keep_dims, skip_mode=True)(Tensor(_X), axis)
        np.testing.assert_array_equal(out.asnumpy(), np.full((2, 3), 15.0))
        grad = ms.ops.GradOperation()(_SkipTimes(axis, keep_dims))(Tensor(_X))
        np.testing.assert_array_equal(grad.asnumpy(), 15.0 + _X + 1)


@pytest.mark.parametrize("keep_dims", [False, True])
def test_skip_mode_empty_axis_in_a_graph_is_x(on_real_server, graph_mode, keep_dims):
    # MindSpore 2.10 GRAPH_MODE: the Cell's gradient is 2x + 1 (the forward is x there) for each form; ms.jit of
    # ReduceSum(skip_mode=True)(x, ()) / (x, empty Tensor) gives x
    for axis in _empty_axes():
        grad = ms.ops.GradOperation()(_SkipTimes(axis, keep_dims))(Tensor(_X))
        np.testing.assert_array_equal(grad.asnumpy(), 2 * _X + 1)
        out = ms.jit(lambda x, a=axis: ms.ops.ReduceSum(keep_dims=keep_dims, skip_mode=True)(x, a))(Tensor(_X))
        np.testing.assert_array_equal(out.asnumpy(), _X)


def test_skip_mode_with_an_axis_reduces(on_real_server, pynative):
    # MindSpore 2.10: ReduceSum(skip_mode=True)(x, (1,)) is [3, 12]; without skip_mode an empty Tensor axis is 15
    np.testing.assert_array_equal(ms.ops.ReduceSum(skip_mode=True)(Tensor(_X), (1,)).asnumpy(), [3.0, 12.0])
    assert float(ms.ops.ReduceSum()(Tensor(_X), Tensor(np.zeros((0,), np.int64))).asnumpy()) == 15.0


# -- 5. an InsertGradientOf hook returning a Python number -------------------------------------------------------------
class _Hooked(ms.nn.Cell):
    def __init__(self, number):
        super().__init__()
        self.hook = ms.ops.InsertGradientOf(lambda dx: number)

    def construct(self, x):
        return self.hook(x) * 3


def test_a_hooks_non_whole_float_for_an_integer_input_is_refused_not_truncated(on_real_server, pynative):
    # MindSpore 2.10 PyNative: the gradient is Tensor(2.5, Float32) for an int32 x (/work/ms_suite_left23/p5b.py);
    # gradserve cast it to x's dtype: Int32 2
    with pytest.raises(TypeError, match="would truncate it"):
        ms.ops.GradOperation()(_Hooked(2.5))(Tensor(np.array(1, np.int32)))
    # a float32 x: MindSpore 2.10 gives 2.5 (Float32) there too
    g = ms.ops.GradOperation()(_Hooked(2.5))(Tensor(np.array(1.5, np.float32)))
    assert float(g.asnumpy()) == 2.5

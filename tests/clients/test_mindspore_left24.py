"""MindSpore leftovers, round 24 (h-left24; benchmarks/mindspore_suite/README.md, "Leftovers, round 24").

Expected values and error texts: MindSpore 2.10 (CPU), run for this task in its own venv (/work/msvenv; the probes are
/work/ms_suite_left24/p1.py, p1b.py, p1c.py (PyNative), p1g.py (a GRAPH_MODE Cell) and p2.py); stated beside each."""
import numpy as np
import pytest

import gradserve as ms
from gradserve import Tensor

_X = np.arange(8, dtype=np.float32).reshape(2, 4)
_V = np.array([1.0, 2.0], np.float32)
_I0 = np.array([0], np.int32)


# -- 1. a Python bool where an op takes an int axis / dims / shape entries ---------------------------------------------
# MindSpore 2.10 PyNative's TypeError, the first line of each (p1.py, p1b.py, p1c.py); gradserve read True as 1
_BOOL_AXES = [
    (lambda x, v: ms.ops.expand_dims(v, True),
     'Failed calling ExpandDims with "ExpandDims()(input_x=Tensor, axis=bool)".'),
    (lambda x, v: ms.ops.unsqueeze(v, True),
     'Failed calling ExpandDims with "ExpandDims()(input_x=Tensor, axis=bool)".'),
    (lambda x, v: ms.ops.transpose(x, (True, 0)),
     'Failed calling Transpose with "Transpose()(input=Tensor, dims=Tuple<bool, int>)".'),
    (lambda x, v: ms.ops.permute(x, (True, 0)),
     'Failed calling Transpose with "Transpose()(input=Tensor, dims=Tuple<bool, int>)".'),
    (lambda x, v: ms.ops.concat((x, x), True),
     'Failed calling Concat with "Concat(axis=bool)(tensors=Tuple<Tensor, Tensor>)".'),
    (lambda x, v: ms.ops.cat([x, x], True),
     'Failed calling Concat with "Concat(axis=bool)(tensors=List<Tensor, Tensor>)".'),
    (lambda x, v: ms.ops.stack((x, x), True), "For 'Stack', the type of 'axis' should be 'int', but got type 'bool'."),
    (lambda x, v: ms.ops.argmax(x, True),
     'Failed calling Argmax with "Argmax(axis=bool, output_type=mindspore.dtype)(input_x=Tensor)".'),
    (lambda x, v: ms.ops.Argmax(axis=True)(x),
     'Failed calling Argmax with "Argmax(axis=bool, output_type=mindspore.dtype)(input_x=Tensor)".'),
    (lambda x, v: ms.ops.argmin(x, True),
     'Failed calling Argmin with "Argmin(axis=bool, output_type=mindspore.dtype)(x=Tensor)".'),
    (lambda x, v: x.argmax(True), 'Failed calling argmax with "argmax(bool)".'),
    (lambda x, v: x.argmax(axis=True), 'Failed calling argmax with "argmax(axis=bool)".'),
    (lambda x, v: x.argmin(True), 'Failed calling argmin with "argmin(bool)".'),
    (lambda x, v: ms.ops.cumsum(x, True),
     'Failed calling CumSum with "CumSum(exclusive=bool, reverse=bool)(input=Tensor, axis=bool)".'),
    (lambda x, v: ms.ops.cumprod(x, True),
     'Failed calling CumProd with "CumProd(exclusive=bool, reverse=bool)(x=Tensor, axis=bool)".'),
    (lambda x, v: x.cumsum(True), 'Failed calling cumsum with "cumsum(bool)".'),
    (lambda x, v: x.cumsum(axis=True), 'Failed calling cumsum with "cumsum(axis=bool)".'),
    (lambda x, v: ms.ops.softmax(x, True), 'Failed calling Softmax with "Softmax(axis=bool)(input=Tensor)".'),
    (lambda x, v: ms.ops.log_softmax(x, True),
     'Failed calling LogSoftmax with "LogSoftmax(axis=bool)(logits=Tensor)".'),
    (lambda x, v: x.view(True, 8), 'Failed calling view with "view(bool, int)".'),
    (lambda x, v: x.view((True, 8)), 'Failed calling view with "view(Tuple<bool, int>)".'),
    (lambda x, v: x.max(axis=True), 'Failed calling max with "max(axis=bool)".'),
    (lambda x, v: x.max(True), 'Failed calling max with "max(bool)".'),
    (lambda x, v: x.max(dim=True), 'Failed calling max with "max(dim=bool)".'),
    (lambda x, v: x.min(axis=True), 'Failed calling min with "min(axis=bool)".'),
    (lambda x, v: ms.ops.max(x, True),
     'Failed calling ArgMaxWithValue with "ArgMaxWithValue(axis=bool, keep_dims=bool)(input=Tensor)".'),
    (lambda x, v: ms.ops.min(x, True),
     'Failed calling ArgMinWithValue with "ArgMinWithValue(axis=bool, keep_dims=bool)(input=Tensor)".'),
    (lambda x, v: ms.ops.flip(x, (True,)), 'Failed calling ReverseV2 with "ReverseV2(axis=Tuple<bool>)(input=Tensor)".'),
    (lambda x, v: ms.ops.gather(x, Tensor(_I0), True),
     'Failed calling Gather with "Gather(batch_dims=int)(input_params=Tensor, input_indices=Tensor, axis=bool)".'),
    (lambda x, v: ms.ops.roll(x, 1, True), 'Failed calling Roll with "Roll(shifts=int, dims=bool)(input=Tensor)".'),
    (lambda x, v: ms.ops.roll(x, (1,), (True,)),
     'Failed calling Roll with "Roll(shifts=Tuple<int>, dims=Tuple<bool>)(input=Tensor)".'),
]


@pytest.mark.parametrize("call, text", _BOOL_AXES)
def test_a_bool_as_an_eager_ops_int_axis_is_mindspores_type_error(on_real_server, pynative, call, text):
    with pytest.raises(TypeError) as e:
        call(Tensor(_X), Tensor(_V))
    assert str(e.value).split("\n")[0] == text


class _InCell(ms.nn.Cell):
    def construct(self, x, v):
        return ms.ops.concat((x, ms.ops.softmax(x, True)), 0)


def test_a_bool_axis_in_a_graph_cell_is_refused_too(on_real_server, graph_mode):
    # MindSpore 2.10 GRAPH_MODE refuses each of p1g.py's calls in a construct with a TypeError (its graph texts write
    # "tuple<bool, int>" / "axis=Bool" for some; Softmax's is as PyNative's)
    with pytest.raises(TypeError, match=r'Failed calling Softmax with "Softmax\(axis=bool\)'):
        _InCell()(Tensor(_X), Tensor(_V))


def test_int_axes_still_run(on_real_server, pynative):
    # NumPy's values for the int forms of the calls above
    x = Tensor(_X)
    assert ms.ops.expand_dims(Tensor(_V), 1).shape == (2, 1)
    np.testing.assert_array_equal(ms.ops.transpose(x, (1, 0)).asnumpy(), _X.T)
    np.testing.assert_array_equal(ms.ops.permute(x, (1, 0)).asnumpy(), _X.T)
    np.testing.assert_array_equal(ms.ops.concat((x, x), 1).asnumpy(), np.concatenate((_X, _X), 1))
    np.testing.assert_array_equal(ms.ops.argmax(x, 1).asnumpy(), np.argmax(_X, 1))
    np.testing.assert_array_equal(x.cumsum(1).asnumpy(), np.cumsum(_X, 1))
    np.testing.assert_array_equal(x.view(1, 8).asnumpy(), _X.reshape(1, 8))
    np.testing.assert_array_equal(x.max(axis=1).asnumpy(), _X.max(1))
    np.testing.assert_array_equal(ms.ops.roll(x, 1, 1).asnumpy(), np.roll(_X, 1, 1))
    np.testing.assert_array_equal(ms.ops.flip(x, (1,)).asnumpy(), _X[:, ::-1])


# -- 2. a user's ReduceSum / ReduceMean / ...()(x, None) ---------------------------------------------------------------
# MindSpore 2.10 (p2.py, PyNative and a GRAPH_MODE Cell alike) refuses each with this TypeError; gradserve reduced all
_NONE_AXIS = [
    (ms.ops.ReduceSum, 'Failed calling ReduceSum with "ReduceSum(keep_dims=bool, skip_mode=bool)(x=Tensor, axis=None)".'),
    (ms.ops.ReduceMean, 'Failed calling ReduceMean with "ReduceMean(keep_dims=bool)(x=Tensor, axis=None)".'),
    (ms.ops.ReduceMax, 'Failed calling ReduceMax with "ReduceMax(keep_dims=bool)(x=Tensor, axis=None)".'),
    (ms.ops.ReduceMin, 'Failed calling ReduceMin with "ReduceMin(keep_dims=bool)(x=Tensor, axis=None)".'),
    (ms.ops.ReduceProd, 'Failed calling ReduceProd with "ReduceProd(keep_dims=bool)(x=Tensor, axis=None)".'),
    (ms.ops.ReduceAny, 'Failed calling ReduceAny with "ReduceAny(keep_dims=bool)(x=Tensor, axis=None)".'),
]


@pytest.mark.parametrize("prim, text", _NONE_AXIS)
@pytest.mark.parametrize("keep_dims", [False, True])
def test_a_users_none_axis_of_a_reduce_primitive_is_mindspores_type_error(on_real_server, pynative, prim, text,
                                                                           keep_dims):
    x = Tensor(_X > 1) if prim is ms.ops.ReduceAny else Tensor(_X)
    with pytest.raises(TypeError) as e:
        prim(keep_dims=keep_dims)(x, None)
    assert str(e.value).split("\n")[0] == text


class _SumNone(ms.nn.Cell):
    def __init__(self):
        super().__init__()
        self.sum = ms.ops.ReduceSum()

    def construct(self, x):
        return self.sum(x, None)


def test_a_none_axis_in_a_graph_cell_and_under_grad_is_refused(on_real_server, graph_mode):
    # MindSpore 2.10 GRAPH_MODE: the Cell's call gives the same TypeError (p2.py g)
    with pytest.raises(TypeError, match=r'Failed calling ReduceSum with "ReduceSum\(keep_dims=bool, skip_mode=bool\)'
                                        r'\(x=Tensor, axis=None\)"'):
        ms.grad(_SumNone())(Tensor(_X))


def test_reduce_all_none_and_the_other_none_forms_still_reduce_everything(on_real_server, pynative):
    # MindSpore 2.10 (p2.py): ReduceAll()(x > 1, None) False, ReduceSum()(x) and (x, ()) 28, x.sum(None) /
    # ops.sum(x, None) 28, ops.mean(x, None) 3.5
    x = Tensor(_X)
    assert not bool(ms.ops.ReduceAll()(Tensor(_X > 1), None).asnumpy())
    assert float(ms.ops.ReduceSum()(x).asnumpy()) == 28.0
    assert float(ms.ops.ReduceSum()(x, ()).asnumpy()) == 28.0
    assert float(x.sum(None).asnumpy()) == 28.0
    assert float(ms.ops.sum(x, None).asnumpy()) == 28.0
    assert float(ms.ops.mean(x, None).asnumpy()) == 3.5

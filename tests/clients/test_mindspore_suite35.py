"""Sample seed 35 of MindSpore's own tests (benchmarks/mindspore_suite/README.md, "Sample seed 35").

Expected values and error texts: MindSpore 2.10 (CPU), run for this task in its own venv (PyNative unless said;
GRAPH_MODE where a test says so); the call that gave each is stated beside it."""
import numpy as np
import pytest

import gradserve as ms
from gradserve import Tensor, nn, ops
from gradserve.ops import operations as P
from gradserve.ops.operations import _inner_ops as inner


# -- silently different before -----------------------------------------------------------------------------
def test_in_is_an_element_equal_somewhere(on_real_server):
    # `v in Tensor([1, 2])` ran Python's fallback through __iter__: [1] (a list) was found, and a Tensor of two
    # elements raised ValueError. MindSpore 2.10: (v == t).any() for a number or Tensor (broadcast), False otherwise
    t = Tensor([1, 2])
    cases = [(1, True), (3, False), (Tensor(1), True), (Tensor(3), False), (Tensor([1]), True), (Tensor([3]), False),
             (Tensor([1, 2]), True), (Tensor([2, 1]), False), (Tensor([1, 3]), True), (1.0, True), (2.5, False),
             (True, True), ([1], False), ([3], False), (Tensor([[1]]), True)]
    assert [v in t for v, _ in cases] == [want for _, want in cases]
    t2 = Tensor([[1, 2], [3, 4]])
    assert [v in t2 for v in (Tensor([1, 2]), Tensor([1, 4]), Tensor([9, 9]), 4, Tensor([3]))] == [
        True, True, False, True, True]


def test_avg_pool_gradient_sums_windows_in_ascending_output_order(on_real_server):
    # d AvgPool(kernel 3, stride 2, SAME) of a (1, 1, 6, 6) input at sens 1..9, MindSpore 2.10 (GRAPH_MODE and
    # PyNative alike): element [2, 4] (four windows) is 2.2777777 and [4, 4] 5.138889, each window's share added
    # in ascending output order; gradserve added them last window first: 2.277778 and 5.1388893 (one ulp off)
    x = Tensor((np.arange(36).reshape(1, 1, 6, 6) % 7 - 3).astype(np.float32))
    pool = P.AvgPool(kernel_size=3, strides=2, pad_mode="SAME")
    sens = Tensor(np.arange(1, 10).reshape(1, 1, 3, 3).astype(np.float32))
    g = ops.GradOperation(sens_param=True)(lambda v: pool(v))(x, sens).asnumpy()[0, 0]
    want = np.array([[0.11111111, 0.11111111, 0.33333334, 0.22222222, 0.7222222, 0.5],
                     [0.11111111, 0.11111111, 0.33333334, 0.22222222, 0.7222222, 0.5],
                     [0.5555556, 0.5555556, 1.3333334, 0.7777778, 2.2777777, 1.5],
                     [0.44444445, 0.44444445, 1.0, 0.5555556, 1.5555556, 1.0],
                     [1.611111, 1.611111, 3.5, 1.888889, 5.138889, 3.25],
                     [1.1666666, 1.1666666, 2.5, 1.3333334, 3.5833335, 2.25]], np.float32)
    assert g.dtype == np.float32 and (g == want).all(), g  # (bit for bit: MindSpore's own test compares with ==)


# -- missing names / attributes ------------------------------------------------------------------------------
def test_nn_softmax_holds_the_primitive(on_real_server):
    # MindSpore 2.10: nn.Softmax(1).softmax.axis == (1,), nn.Softmax().softmax.axis == (-1,), P.Softmax((0, 1)).axis
    # == (0, 1); nn.Softmax(0) of [[0, 1, 2], [3, 4, 5]] is 0.04742587 / 0.95257413 in each column
    assert nn.Softmax(1).softmax.axis == (1,) and nn.Softmax().softmax.axis == (-1,)
    assert P.Softmax((0, 1)).axis == (0, 1)
    x = Tensor(np.arange(6).reshape(2, 3).astype(np.float32))
    np.testing.assert_allclose(nn.Softmax(0)(x).asnumpy(), [[0.04742587] * 3, [0.95257413] * 3], rtol=1e-6)
    np.testing.assert_allclose(nn.Softmax(1).construct(x).asnumpy(), [[0.09003057, 0.24472846, 0.66524094]] * 2,
                               rtol=1e-6)


def test_set_dtype_casts_in_place_and_returns_the_dtype(on_real_server):
    # MindSpore 2.10: a = Tensor([[1.5, 2.7, -3.2]]) (float64); a.set_dtype(int32) returns mindspore.int32 (not a),
    # a is then Int32 [[1, 2, -3]]; float32 [1.5, 2.5] set to float64: [1.5, 2.5], + 1 -> [2.5, 3.5]
    a = Tensor(np.array([[1.5, 2.7, -3.2]]))
    r = a.set_dtype(ms.int32)
    assert r == ms.int32 and r is not a and a.dtype == ms.int32 and a.shape == (1, 3)
    assert a.asnumpy().tolist() == [[1, 2, -3]]
    b = Tensor(np.array([1.5, 2.5], np.float32))
    b.set_dtype(ms.float64)
    assert b.dtype == ms.float64 and (b + 1).asnumpy().tolist() == [2.5, 3.5]


def test_filter_returned_by_a_construct(on_real_server):
    # MindSpore 2.10: a construct returning filter(is_odd, [1, 2, 3]): GRAPH_MODE gives the list [1, 3]; PyNative
    # the filter object itself (its items [1, 3]); gradserve refused it ("cannot make a Tensor of dtype object")
    class Net(nn.Cell):
        def construct(self, items):
            return filter(lambda v: v % 2 == 1, items)

    for mode in (ms.GRAPH_MODE, ms.PYNATIVE_MODE):
        ms.set_context(mode=mode)
        assert list(Net()([1, 2, 3])) == [1, 3]


def test_is_instance(on_real_server):
    # MindSpore 2.10, _inner_ops.IsInstance()(inst, type_), each pair's answer from its run
    table = [([1], ms.list_, True), ((1,), ms.list_, False), (1.0, ms.float_, True), (1, ms.float_, False),
             (1, ms.int_, True), (True, ms.int_, False), (1, ms.int32, False), (1, ms.int64, True),
             (1.0, ms.float32, True), (1.0, ms.float64, False), (1, ms.number, True), (True, ms.number, True),
             (Tensor(1), ms.int_, False), (1, ms.bool_, False), (True, ms.bool_, True), ([1], ms.tuple_, False),
             ((1,), ms.tuple_, True), (None, ms.list_, False)]
    assert [inner.IsInstance()(v, t) for v, t, _ in table] == [want for _, _, want in table]
    with pytest.raises(TypeError, match="For 'IsInstance', the type of 'type_' should be 'Type', but got type 'type'"):
        inner.IsInstance()(1, int)


# -- errors as MindSpore's ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("mode", ["graph", "pynative"])
def test_scatter_nd_of_scalar_indices(on_real_server, mode):
    # MindSpore 2.10, both modes: ops.scatter_nd(Tensor(3, int64), ones(2), shape) -> RuntimeError "... The input
    # [shape] must not be a scalar." (gradserve: ValueError)
    ms.set_context(mode=ms.GRAPH_MODE if mode == "graph" else ms.PYNATIVE_MODE)
    for shape in ((-23, 9, 36, -4), (5, 3)):
        with pytest.raises(RuntimeError, match="must not be a scalar"):
            ops.scatter_nd(Tensor(np.array(3, np.int64)), Tensor(np.ones(2, np.float32)), shape)


def test_tensor_of_unsupported_input_data():
    # MindSpore 2.10: Tensor of a ragged or None-holding list -> TypeError "For Tensor, the input_data is [[3], [4, 5]]
    # that contain unsupported element." (gradserve: NumPy's ValueError); of an object / structured array ->
    # TypeError "initializing tensor by numpy array failed, ..." (the structured one naming <class 'numpy.void'>)
    for data in ([[3], [[4]]], [[3], [4, 5]], [[], [4]], [[], None], [None, []], [1, None]):
        with pytest.raises(TypeError) as info:
            Tensor(data)
        assert f"For Tensor, the input_data is {data} that contain unsupported element." in str(info.value)
    with pytest.raises(TypeError, match="initializing tensor by numpy array failed") as info:
        Tensor(np.array([("x", 1), ("y", 2)], dtype=[("name", "<U10"), ("value", "<i4")]))
    assert "<class 'numpy.void'>" in str(info.value)
    with pytest.raises(TypeError, match="initializing tensor by numpy array failed"):
        Tensor(np.array([[1, 2], [3, Tensor(5)]], dtype=object))
    assert Tensor([[], []]).shape == (2, 0) and Tensor([[1], [2]]).asnumpy().tolist() == [[1], [2]]

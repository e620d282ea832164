"""Sample seed 27 of MindSpore's own tests (benchmarks/mindspore_suite/README.md, "Sample seed 27") and seed 26's
leftovers.

Expected values: MindSpore 2.10 (CPU), run for this task in its own venv (the literals below are its outputs,
the call that gave each stated beside it), or NumPy where said."""
import numpy as np
import pytest

import gradserve as ms
from gradserve import Parameter, Tensor, nn, ops

_NO_CAST = "Data type conversion is not supported for a 'Parameter', nor for the input tensor of an in-place operator"


@pytest.mark.parametrize("fn", [ops.assign, ops.assign_add, ops.assign_sub])
@pytest.mark.parametrize("kind", ["parameter", "tensor"])
def test_assign_never_casts_the_written_dtype(fn, kind, on_real_server):
    # MindSpore 2.10, ops.assign / assign_add / assign_sub(<kind> of dtype a, Tensor of dtype b): TypeError
    # "Data type conversion is not supported for a 'Parameter', nor for the input tensor of an in-place operator,
    # so data type Float32, which cannot be converted to data type Float64 automatically." where the promoted
    # dtype is not a's; float32 <- int32, float64 <- float32, float32 <- float16 run (the value cast to a)
    refused = [(ms.float32, ms.float64), (ms.float16, ms.float32), (ms.int32, ms.float32), (ms.int32, ms.int64),
               (ms.bool_, ms.int32), (ms.int8, ms.uint8)]
    for a, b in refused:
        x = Parameter(Tensor(np.ones(3), a), name="p") if kind == "parameter" else Tensor(np.ones(3), a)
        with pytest.raises(TypeError, match=f"{_NO_CAST}, so data type {a}, which cannot be converted to data "
                                            f"type {b} automatically"):
            fn(x, Tensor(np.array([1.5, 2, 3]), b))
        np.testing.assert_array_equal(x.asnumpy(), np.ones(3))  # left as it was
    value = np.array([1.5, 2, 3])
    want = {ops.assign: value, ops.assign_add: 1 + value, ops.assign_sub: 1 - value}[fn]
    for a, b in [(ms.float32, ms.int32), (ms.float64, ms.float32), (ms.float32, ms.float16)]:
        x = Parameter(Tensor(np.ones(3), a), name="p") if kind == "parameter" else Tensor(np.ones(3), a)
        fn(x, Tensor(value, b))
        assert x.dtype == a
        # (int32 of 1.5 is 1: MindSpore's float32 <- int32 assign gave [1, 2, 3])
        np.testing.assert_array_equal(x.asnumpy(), want if b != ms.int32 else
                                      {ops.assign: [1, 2, 3], ops.assign_add: [2, 3, 4], ops.assign_sub: [0, -1, -2]}[fn])


def test_assign_into_a_bool_tensor(on_real_server):
    # MindSpore 2.10: ops.assign(Tensor([False, True, False]), Tensor([True] * 3)) writes [True, True, True]
    x = Tensor(np.array([False, True, False]))
    ops.assign(x, Tensor(np.array([True, True, True])))
    np.testing.assert_array_equal(x.asnumpy(), [True, True, True])


class _Weighted(nn.Cell):
    def __init__(self):
        super().__init__()
        self.w = Parameter(Tensor(np.array([1., 2., 3.], np.float32)), name="w")

    def construct(self, x):
        return (self.w * x).sum()


def test_set_data_takes_a_new_shape(on_real_server):
    # MindSpore 2.10 (PyNative): net.w.set_data(Tensor([[1, 2], [3, 4]], float64)) makes w float32 of shape (2, 2):
    # net(2) is 12 before and 20 after, ms.grad(net, None, weights)(2) is ([[2, 2], [2, 2]],)
    net = _Weighted()
    x = Tensor(np.float32(2))
    assert float(net(x)) == 12.0
    net.w.set_data(Tensor(np.array([[1, 2], [3, 4]], np.float64)))
    assert net.w.shape == (2, 2) and net.w.dtype == ms.float32
    assert float(net(x)) == 20.0
    (g,) = ms.grad(net, grad_position=None, weights=net.trainable_params())(x)
    np.testing.assert_array_equal(g.asnumpy(), np.full((2, 2), 2, np.float32))


def test_set_data_new_shape_retraces_a_jit_function(on_real_server):
    # a jit function's trace holds its Parameters' shapes: after set_data with another shape it traces again
    # (NumPy: sum([1, 2, 3] * 2) = 12, then sum(ones((2, 2)) * 2) = 8)
    p = Parameter(Tensor(np.array([1., 2., 3.], np.float32)), name="p")

    @ms.jit
    def f(x):
        return (p * x).sum()

    assert float(f(Tensor(np.float32(2)))) == 12.0
    p.set_data(Tensor(np.ones((2, 2), np.float32)))
    assert float(f(Tensor(np.float32(2)))) == 8.0


@pytest.mark.parametrize("dtype", [np.int32, np.int64])
def test_fractional_avg_pool_of_integers_truncates_the_mean(dtype, on_real_server):
    # tests/st/ops/cpu/test_fractionalavgpool_op.py (int32 / int64 cases). MindSpore 2.10,
    # ops.FractionalAvgPool([1.0, 1.5, 1.5, 1.0])(x), x = (arange(1, 17) * [1, -1] * 8 * 3).reshape(1, 4, 4, 1):
    # y [-1, -1, -1, -1] of x's dtype (each 2x2 region's mean -1.5 truncated toward zero), sequences [0, 2, 4];
    # the arange(1, 17) input of its test gives [3, 5, 11, 13] (3.5, 5.5, 11.5, 13.5 truncated)
    pool = ops.FractionalAvgPool([1.0, 1.5, 1.5, 1.0])
    x = (np.arange(1, 17) * np.array([1, -1] * 8) * 3).reshape([1, 4, 4, 1]).astype(dtype)
    y, rows, cols = pool(Tensor(x))
    assert y.dtype == ms.int32 if dtype == np.int32 else y.dtype == ms.int64
    np.testing.assert_array_equal(y.asnumpy().ravel(), [-1, -1, -1, -1])
    np.testing.assert_array_equal(rows.asnumpy(), [0, 2, 4])
    np.testing.assert_array_equal(cols.asnumpy(), [0, 2, 4])
    y, _, _ = pool(Tensor(np.arange(1, 17).reshape([1, 4, 4, 1]).astype(dtype)))
    np.testing.assert_array_equal(y.asnumpy().ravel(), [3, 5, 11, 13])


def test_fractional_avg_pool_refuses_float16(on_real_server):
    # MindSpore 2.10: "For primitive[FractionalAvgPool], the input argument[x] must be a type of {Tensor[Float32],
    # Tensor[Float64], Tensor[Int32], Tensor[Int64]}, but got Tensor[Float16]."
    with pytest.raises(TypeError, match=r"must be a type of \{Tensor\[Float32\].*but got Tensor\[Float16\]"):
        ops.FractionalAvgPool([1.0, 1.5, 1.5, 1.0])(Tensor(np.ones((1, 4, 4, 1), np.float16)))


def test_tensor_select_both_forms(on_real_server):
    # tests/st/tensor/overload/test_select.py. MindSpore 2.10: x = [[2, 3, 4, 5], [3, 2, 4, 5]] float32,
    # x.select(0, 0) [2, 3, 4, 5], x.select(1, 0) [2, 3], x.select(1, 3) [5, 5], x.select(-1, -1) [5, 5];
    # a = [2, 3], a.select([True, False], [1, 2]) [2, 2], a.select(cond, 1.0) [2, 1]; a python y of another kind
    # than the Tensor's dtype: TypeError "For 'Tensor.select', if the argument 'y' is int, then the tensor type
    # should be int32 but got Float32"; select(1, <Tensor>) a TypeError
    x = Tensor(np.array([[2, 3, 4, 5], [3, 2, 4, 5]], np.float32))
    for (dim, index), want in {(0, 0): [2, 3, 4, 5], (1, 0): [2, 3], (1, 3): [5, 5], (-1, -1): [5, 5]}.items():
        np.testing.assert_array_equal(x.select(dim, index).asnumpy(), want)
    cond, a, y = Tensor(np.array([True, False])), Tensor(np.array([2, 3], np.float32)), Tensor(np.array([1, 2], np.float32))
    np.testing.assert_array_equal(a.select(cond, y).asnumpy(), [2, 2])
    np.testing.assert_array_equal(a.select(cond, 1.0).asnumpy(), [2, 1])
    with pytest.raises(TypeError, match="if the argument 'y' is int, then the tensor type should be int32 but got Float32"):
        a.select(cond, 1)
    with pytest.raises(TypeError, match="if the argument 'y' is float, then the tensor type should be float32 but got Int32"):
        Tensor(np.array([2, 3], np.int32)).select(cond, 1.0)
    with pytest.raises(TypeError):
        a.select(1, y)


def test_tensor_methods_that_are_ops(on_real_server):
    # MindSpore 2.10 (same calls): ndimension 2; adjoint of [[2, 3, 4, 5], [3, 2, 4, 5]] its transpose;
    # count_nonzero(axis=[0, 1], keep_dims=True, dtype=int32) of it [[8]]; [1, 2, 3].logcumsumexp(0)
    # [1, 2.3132617, 3.407606]; [1.0].ldexp([1, 2, 3, 4]) [2, 4, 8, 16]; ones(2, 2).addr([1, 2], [3, 4]) [[4, 5], [7, 9]]
    x = np.array([[2, 3, 4, 5], [3, 2, 4, 5]], np.float32)
    assert Tensor(x).ndimension() == 2
    np.testing.assert_array_equal(Tensor(x).adjoint().asnumpy(), x.T)
    c = Tensor(x).count_nonzero(axis=[0, 1], keep_dims=True, dtype=ms.int32)
    assert c.dtype == ms.int32
    np.testing.assert_array_equal(c.asnumpy(), [[8]])
    np.testing.assert_allclose(Tensor(np.array([1.0, 2.0, 3.0], np.float32)).logcumsumexp(0).asnumpy(),
                               [1.0, 2.3132617, 3.407606], rtol=1e-6)
    # (exact powers of 2: MindSpore 2.10's [1.0].ldexp([1, 2, 3, 4, 10, -3]) is [2, 4, 8, 16, 1024, 0.125] bit for bit,
    # ops.exp2([1, 3, 10.5]) [2.0, 8.0, 1448.1546878700494]; exp(3 ln 2) was 7.999999999999998 here)
    np.testing.assert_array_equal(Tensor(np.array([1.0])).ldexp(Tensor(np.array([1, 2, 3, 4, 10, -3]))).asnumpy(),
                                  [2, 4, 8, 16, 1024, 0.125])
    np.testing.assert_allclose(ops.exp2(Tensor(np.array([1., 3., 10.5]))).asnumpy(), [2.0, 8.0, 1448.1546878700494],
                               rtol=1e-15, atol=0)
    assert float(ops.exp2(Tensor(np.array([3.]))).asnumpy()[0]) == 8.0
    np.testing.assert_array_equal(Tensor(np.ones((2, 2), np.float32)).addr(Tensor(np.array([1., 2.], np.float32)),
                                                                         Tensor(np.array([3., 4.], np.float32))).asnumpy(),
                                  [[4, 5], [7, 9]])


def test_upsample_and_gather_ext_names(on_real_server):
    # tests/st/ops/test_func_upsample.py (area, 3-D input: its expected values, from MindSpore 2.10) and
    # ops.function.array_func.gather_ext's documented example
    x3 = np.array([[[0.476130, 0.196372, 0.320748, 0.574267], [0.558406, 0.186530, 0.144793, 0.017598],
                    [0.043675, 0.360826, 0.367078, 0.607198]]], np.float32)
    np.testing.assert_allclose(ops.upsample(Tensor(x3), 2, None, "area").asnumpy(),
                               [[[0.336251, 0.447508], [0.372468, 0.081196], [0.202250, 0.487138]]], atol=1e-6)
    np.testing.assert_allclose(ops.upsample(Tensor(x3), None, 0.3, "area").asnumpy(),
                               [[[0.391879], [0.226832], [0.344694]]], atol=1e-6)
    x = Tensor(np.array([[-0.1, 0.3, 3.6], [0.4, 0.5, -3.2]], np.float32))
    out = ops.function.array_func.gather_ext(x, 1, Tensor(np.array([[0, 0], [1, 1]], np.int32)))
    np.testing.assert_allclose(out.asnumpy(), [[-0.1, -0.1], [0.5, 0.5]])


def test_get_context_attr_key_and_empty_adaptive_max_pool3d(on_real_server):
    # tests/st/tensor/overload/test_nonzero.py calls ms.get_context(attr_key='device_target');
    # tests/st/ops/test_adaptive_max_pool3d.py: MindSpore 2.10 raises RuntimeError for an input with an empty axis
    assert ms.get_context(attr_key="device_target") == ms.get_context("device_target")
    for shape in [(0, 3, 3, 4), (2, 0, 3, 4), (1, 2, 3, 0)]:
        with pytest.raises(RuntimeError, match="empty axis"):
            nn.AdaptiveMaxPool3d([1, 1, 2])(Tensor(np.ones(shape, np.float32)))


def test_gather_d_index_shorter_than_input(on_real_server):
    # tests/st/ops/test_ops_gather_ext.py. MindSpore 2.10, x = arange(12).reshape(3, 4) float32,
    # index [[0, 2], [1, 0]] int64: gather_d / gather_elements / array_func.gather_ext(x, 1, index)
    # [[0, 2], [5, 4]], (x, 0, index) [[0, 9], [4, 1]]; the gradient of the first's sum (NumPy: one per element
    # read) [[1, 0, 1, 0], [1, 1, 0, 0], [0, 0, 0, 0]]
    x = Tensor(np.arange(12).reshape(3, 4).astype(np.float32))
    index = Tensor(np.array([[0, 2], [1, 0]], np.int64))
    for fn in (ops.gather_d, ops.gather_elements, ops.function.array_func.gather_ext):
        np.testing.assert_array_equal(fn(x, 1, index).asnumpy(), [[0, 2], [5, 4]])
        np.testing.assert_array_equal(fn(x, 0, index).asnumpy(), [[0, 9], [4, 1]])
    g = ms.grad(lambda t: ops.gather_d(t, 1, index).sum())(x)
    np.testing.assert_array_equal(g.asnumpy(), [[1, 0, 1, 0], [1, 1, 0, 0], [0, 0, 0, 0]])


@pytest.mark.parametrize("dtype", [np.float32, np.int32])
def test_fractional_avg_pool_grad(dtype, on_real_server):
    # tests/st/ops/cpu/test_fractionalavgpool_op.py's grad halves. MindSpore 2.10,
    # _grad_ops.FractionalAvgPoolGrad(overlapping)([1, 4, 4, 1], [[5, 7], [9, 11]] as (1, 2, 2, 1), [0, 2, 4], [0, 2, 4])
    from gradserve.ops.operations import _grad_ops as G
    shape, seq = Tensor(np.array([1, 4, 4, 1], np.int64)), Tensor(np.array([0, 2, 4], np.int64))
    bp = Tensor(np.array([5, 7, 9, 11]).reshape(1, 2, 2, 1).astype(dtype))
    plain = [[1.25, 1.25, 1.75, 1.75], [1.25, 1.25, 1.75, 1.75], [2.25, 2.25, 2.75, 2.75], [2.25, 2.25, 2.75, 2.75]]
    overlapping = [[0.5555555820465088, 0.5555555820465088, 1.7222222089767456, 1.1666666269302368],
                   [0.5555555820465088, 0.5555555820465088, 1.7222222089767456, 1.1666666269302368],
                   [2.055555582046509, 2.055555582046509, 5.972222328186035, 3.9166667461395264], [1.5, 1.5, 4.25, 2.75]]
    if dtype == np.int32:  # (MindSpore's int32 results: the float sums truncated)
        plain = [[1, 1, 1, 1], [1, 1, 1, 1], [2, 2, 2, 2], [2, 2, 2, 2]]
        overlapping = [[0, 0, 1, 1], [0, 0, 1, 1], [2, 2, 5, 3], [1, 1, 4, 2]]
    for flag, want in ((False, plain), (True, overlapping)):
        out = G.FractionalAvgPoolGrad(overlapping=flag)(shape, bp, seq, seq)
        assert out.shape == (1, 4, 4, 1) and out.dtype == (ms.int32 if dtype == np.int32 else ms.float32)
        np.testing.assert_allclose(out.asnumpy().reshape(4, 4), want, rtol=1e-6)
    # uneven regions, 5 x 3 input, 2 channels (MindSpore 2.10's float32 output)
    out = G.FractionalAvgPoolGrad(overlapping=True)(
        Tensor(np.array([1, 5, 3, 2], np.int64)), Tensor(np.arange(1, 13).reshape(1, 3, 2, 2).astype(np.float32)),
        Tensor(np.array([0, 1, 3, 5], np.int64)), Tensor(np.array([0, 2, 3], np.int64)))
    want = [[[0.16666667, 0.33333334], [0.16666667, 0.33333334], [1.6666666, 2.3333333]],
            [[0.7222222, 1.0], [0.7222222, 1.0], [4.5555553, 5.6666665]],
            [[0.5555556, 0.6666667], [0.5555556, 0.6666667], [2.8888888, 3.3333333]],
            [[2.0555556, 2.3333333], [2.0555556, 2.3333333], [9.888889, 11.0]],
            [[1.5, 1.6666666], [1.5, 1.6666666], [7.0, 7.6666665]]]
    np.testing.assert_allclose(out.asnumpy()[0], want, rtol=1e-6)


def test_jit_refuses_two_parameters_of_one_name(on_real_server):
    # seed 26's tests/st/compiler/graph_syntax/test_parameter_ref.py::test_cell_parameter_as_input3. MindSpore 2.10:
    # a jit function given two distinct Parameters named 'myname' (a Cell's own and one passed to construct) raises
    # ValueError "The parameter ..., its name 'myname' already exists. Please set a unique name for the parameter."
    # (also a plain jit function given two Parameters named 'q'); the same Parameter twice runs (2 * 2 * 3 = 12)
    class ParamNet(nn.Cell):
        def __init__(self):
            super().__init__()
            self.param = Parameter(Tensor(2, ms.float32), name="myname")

        @ms.jit
        def func(self, same_param, other):
            return self.param * same_param * other

        def construct(self, other):
            return self.func(self.param, other)

    net = ParamNet()
    with pytest.raises(ValueError, match="its name 'myname' already exists. Please set a unique name"):
        net(Parameter(Tensor(1), name="myname"))
    assert float(net(Tensor(3, ms.float32))) == 12.0

    @ms.jit
    def f(a, b):
        return a * b

    with pytest.raises(ValueError, match="its name 'q' already exists"):
        f(Parameter(Tensor(2.0), name="q"), Parameter(Tensor(3.0), name="q"))
    p = Parameter(Tensor(2.0), name="q")
    assert float(f(p, p)) == 4.0


def test_untyped_storage(on_real_server):
    # tests/st/tensor/storage/test_storage.py (MindSpore 2.10 CPU passes these): a float32 scalar's storage has 4
    # bytes; resize_(0) leaves none and data_ptr() 0; resize_(12) 12 bytes; copy_ of 3 * 2's storage into 2 * 1's
    # makes b.item() 6.0; a Parameter written so reads the new value too
    a = Tensor(1.0)
    storage = (a * 1).untyped_storage()
    assert storage.size() == 4 and storage.nbytes() == 4 and storage.data_ptr() != 0
    storage.resize_(0)
    assert storage.size() == 0 and storage.nbytes() == 0 and storage.data_ptr() == 0
    storage.resize_(12)
    assert storage.size() == 12 and storage.data_ptr() != 0
    a = Tensor(2.0)
    b, c = a * 1, a * 3
    assert b.item() == 2.0
    b.untyped_storage().copy_(c.untyped_storage())
    assert b.item() == 6.0
    p = Parameter(Tensor(np.array([1.0, 2.0], np.float32)), name="p")
    p.untyped_storage().copy_(Tensor(np.array([5.0, 7.0], np.float32)).untyped_storage())
    np.testing.assert_array_equal(p.asnumpy(), [5.0, 7.0])


def test_adaptive_avg_pool_dtypes(on_real_server):
    # MindSpore 2.10: adaptive_avg_pool2d of int32 / int64 a TypeError "For primitive[AdaptiveAvgPool2D], the input
    # argument[x] must be a type of {Tensor[Float16], Tensor[Float32], Tensor[Float64]}, but got Tensor[Int32]."
    # (here it gave truncated integer means); adaptive_avg_pool1d takes float16 / float32 only ("For
    # adaptive_avg_pool1d, the input dtype must be float16 or float32, but got Float64."); 2-D float64 runs
    # (NumPy: the 2x2 block means of arange(32).reshape(1, 2, 4, 4) start 2.5, 4.5, 10.5)
    with pytest.raises(TypeError, match=r"AdaptiveAvgPool2D.*but got Tensor\[Int32\]"):
        ops.adaptive_avg_pool2d(Tensor(np.ones((1, 2, 4, 4), np.int32)), 2)
    for dtype, name in ((np.float64, "Float64"), (np.int32, "Int32")):
        with pytest.raises(TypeError, match=f"must be float16 or float32, but got {name}"):
            ops.adaptive_avg_pool1d(Tensor(np.ones((1, 2, 4), dtype)), 2)
    out = ops.adaptive_avg_pool2d(Tensor(np.arange(32).reshape(1, 2, 4, 4).astype(np.float64)), 2)
    assert out.dtype == ms.float64
    np.testing.assert_array_equal(out.asnumpy().ravel()[:3], [2.5, 4.5, 10.5])


def test_assign_keeps_the_variable_shape(on_real_server):
    # MindSpore 2.10 (same calls on Parameter(ones(3))): ops.assign of a (2, 2) value "For 'Assign','value' must
    # have the same rank as 'variable'. But got 'value' rank: 2, 'variable' rank: 1."; of a (1,) value "... must
    # have the same shape as 'variable'. But got 'value' shape: (1), 'variable' shape: (3)."; assign_add of (1,)
    # the same for 'AssignAdd'; p.assign_value((2, 2) value) reshapes p (set_data's rule)
    def fresh():
        return Parameter(Tensor(np.ones(3, np.float32)), name="p")

    with pytest.raises(ValueError, match=r"For 'Assign','value' must have the same rank as 'variable'\. But got "
                                         r"'value' rank: 2, 'variable' rank: 1\."):
        ops.assign(fresh(), Tensor(np.ones((2, 2), np.float32)))
    p = fresh()
    with pytest.raises(ValueError, match=r"same shape as 'variable'\. But got 'value' shape: \(1\), 'variable' "
                                         r"shape: \(3\)\..*Parameter 'p'"):
        ops.assign(p, Tensor(np.ones((1,), np.float32)))
    assert p.shape == (3,)
    with pytest.raises(ValueError, match=r"For 'AssignAdd','value' must have the same shape"):
        ops.assign_add(p, Tensor(np.ones((1,), np.float32)))
    np.testing.assert_array_equal(p.asnumpy(), np.ones(3))
    p.assign_value(Tensor(np.ones((2, 2), np.float32)))
    assert p.shape == (2, 2)

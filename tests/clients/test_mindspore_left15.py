"""MindSpore leftovers of stop 45 (h-msleft15): every expected value, dtype and error below is MindSpore 2.10.0's
on CPU (its venv, /work/msvenv, run for this task, one probe a process), unless said otherwise."""
import hashlib

import numpy as np
import pytest

import gradserve as ms
from gradserve import Parameter, Tensor, jit, mint, mutable, nn, ops
from gradserve.common.parameter import ParameterTuple
from gradserve.ops import functional as F

pytestmark = pytest.mark.usefixtures("on_real_server")

_ROW = np.array([5, 1, 9, 3, 7, 2, 8, 6, 4, 0], np.float32)


# -- 1. TopK(sorted=False): libstdc++'s nth_element arrangement, as MindSpore's CPU kernel leaves it --------------
def test_topk_unsorted_gives_the_cpu_kernels_order():
    # MindSpore 2.10: TopK(sorted=False)(row, k) indices for k = 1, 2, 3, 4, 5, 9 (values row[indices])
    want = {1: [2], 2: [2, 6], 3: [4, 6, 2], 4: [4, 6, 2, 7], 5: [0, 7, 2, 6, 4], 9: [1, 0, 2, 3, 4, 5, 6, 7, 8]}
    for k, idx in want.items():
        v, i = ops.TopK(sorted=False)(Tensor(_ROW), k)
        assert i.dtype == ms.int32 and i.asnumpy().tolist() == idx, k
        np.testing.assert_array_equal(v.asnumpy(), _ROW[idx])
    # ops.topk(largest=False, sorted=False): that kernel on -x (k = 1, 2, 3, 5)
    small = {1: [9], 2: [1, 9], 3: [1, 9, 5], 5: [1, 9, 3, 5, 8]}
    for k, idx in small.items():
        v, i = ops.topk(Tensor(_ROW), k, largest=False, sorted=False)
        assert i.asnumpy().tolist() == idx, k
        np.testing.assert_array_equal(v.asnumpy(), _ROW[idx])


def test_topk_unsorted_ties_rows_dims_ints_and_the_tensor_method():
    # ties at the k-th value: MindSpore's docs take the smaller indices; its CPU kernel gives [3, 5, 0] for the first
    # row (values [3, 3, 3]): kept in place where it agrees with the docs (3, 0), 5 -> 1; values as the kernel's
    x2 = np.array([[3, 3, 1, 3, 2, 3], [1, 2, 3, 4, 5, 6]], np.float32)
    v, i = ops.TopK(sorted=False)(Tensor(x2), 3)
    assert i.asnumpy().tolist() == [[3, 1, 0], [3, 5, 4]]
    np.testing.assert_array_equal(v.asnumpy(), [[3, 3, 3], [4, 6, 5]])
    v, i = ops.topk(Tensor(x2.T.copy()), 1, dim=0, sorted=False)  # the kernel: [[3, 5]]; the docs' tie: 0
    assert i.asnumpy().tolist() == [[0, 5]] and v.asnumpy().tolist() == [[3, 6]]
    x = Tensor(np.array([_ROW, np.arange(10, dtype=np.float32)]))
    assert x.topk(3, sorted=False)[1].asnumpy().tolist() == [[4, 6, 2], [8, 9, 7]]
    assert x.topk(4, largest=False, sorted=False)[1].asnumpy().tolist() == [[1, 9, 3, 5], [1, 0, 2, 3]]
    y = np.array([[3, 1, 4, 1, 5, 9, 2, 6], [2, 7, 1, 8, 2, 8, 1, 8]], np.int32)
    v, i = ops.TopK(sorted=False)(Tensor(y), 3)  # (the second row's three 8s are all taken: the kernel's order)
    assert v.dtype == ms.int32 and v.asnumpy().tolist() == [[5, 6, 9], [8, 8, 8]]
    assert i.asnumpy().tolist() == [[4, 7, 5], [5, 3, 7]]
    assert ops.topk(Tensor(y.T.copy()), 3, dim=0, sorted=False)[1].asnumpy().tolist() == [[4, 5], [7, 3], [5, 7]]


def test_topk_unsorted_past_the_depth_limit():
    # an organ pipe of 1000 (0..499, 499..0), k = 500: introselect spends its depth limit and heap-selects; the
    # sha256 of MindSpore 2.10's int32 indices (as int64 bytes), its first twelve and last six
    x = np.concatenate([np.arange(500), np.arange(500)[::-1]]).astype(np.float32)[None]
    idx = ops.TopK(sorted=False)(Tensor(x), 500)[1].asnumpy()
    assert idx[0, :12].tolist() == [308, 616, 615, 614, 613, 612, 611, 610, 609, 608, 607, 606]
    assert idx[0, -6:].tolist() == [744, 260, 742, 741, 740, 739]
    assert hashlib.sha256(idx.astype(np.int64).tobytes()).hexdigest() == \
        "288797526e936af485450d07132a3f44d0d266209256690ad83470f407d977d2"


def test_topk_unsorted_gradient_reaches_the_picked_elements():
    x = Tensor(np.array([_ROW, np.arange(10, dtype=np.float32)]))
    w = Tensor(np.array([1.0, 10.0, 100.0], np.float32))
    g = ops.grad(lambda t: (ops.TopK(sorted=False)(t, 3)[0] * w).sum())(x)
    want = np.zeros((2, 10), np.float32)
    want[0, [4, 6, 2]] = [1, 10, 100]
    want[1, [8, 9, 7]] = [1, 10, 100]
    np.testing.assert_array_equal(g.asnumpy(), want)
    g = ops.grad(lambda t: (ops.topk(t, 3, largest=False, sorted=False)[0] * w).sum())(x)
    want = np.zeros((2, 10), np.float32)
    want[0, [1, 9, 5]] = [1, 10, 100]
    want[1, [1, 0, 2]] = [1, 10, 100]
    np.testing.assert_array_equal(g.asnumpy(), want)


# -- 2. remainder / % of complex, max / min of bool, nn.Vjp, mutable counts, masked writes, mint.squeeze ---------
def test_remainder_of_complex_floors_the_real_part_of_the_quotient():
    x = Tensor(np.array([5 + 3j, 7 - 2j, -3 + 4j, 2.5 + 0.5j], np.complex64))
    y = Tensor(np.array([2 + 0j, 1 + 2j, 2 - 1j, 3 + 3j], np.complex64))
    for out in (ops.remainder(x, y), mint.remainder(x, y), x.remainder(y)):
        assert out.dtype == ms.complex64
        np.testing.assert_array_equal(out.asnumpy(), [1 + 3j, 7 - 2j, 1 + 2j, 2.5 + 0.5j])
    np.testing.assert_array_equal(ops.remainder(x, 2.0).asnumpy(), [1 + 3j, 1 - 2j, 1 + 4j, 0.5 + 0.5j])
    np.testing.assert_array_equal(ops.remainder(5.0, y[:2]).asnumpy(), [1 + 0j, 4 - 2j])
    # `%` (FloorMod) has no complex kernel: TypeError "Select CPU operator[FloorMod] fail! Unsupported data type!"
    for call in (lambda: x % y, lambda: x % 2, lambda: ops.floor_mod(x, y)):
        with pytest.raises(TypeError, match=r"Select CPU operator\[FloorMod\] fail! Unsupported data type!"):
            call()


def test_max_and_min_of_bool():
    b = Tensor(np.array([True, False]))
    # over all elements: RuntimeError "Reduce does not support this kernel data type: ..."
    for call in (lambda: ops.max(b), lambda: ops.min(b), lambda: b.max(), lambda: b.min(), lambda: mint.max(b),
                 lambda: mint.min(b)):
        with pytest.raises(RuntimeError, match=r"Reduce does not support this kernel data type: \[Kernel Attr\] "
                                               r"all same: 0, input\(Bool,Unknown,Bool\) , output\(Bool\)\."):
            call()
    # along an axis: TypeError (ArgMaxWithValue / MaxDim "Select CPU operator[...] fail! Unsupported data type!")
    for call in (lambda: ops.max(b, 0), lambda: b.max(0), lambda: mint.max(b, 0), lambda: ops.min(b, 0)):
        with pytest.raises(TypeError):
            call()


class _Square(nn.Cell):
    def construct(self, x):
        return x * x


def test_vjp_of_a_tuple_of_cotangents_for_one_tensor():
    # nn.Vjp(net)(x, (v, v)): TypeError "Type Join Failed: Abstract type AbstractTuple cannot join with AbstractTensor."
    x, v = Tensor(np.array([1.0, 2.0], np.float32)), Tensor(np.ones(2, np.float32))
    with pytest.raises(TypeError, match="Type Join Failed: Abstract type AbstractTuple cannot join with "
                                        "AbstractTensor."):
        nn.Vjp(_Square())(x, (v, v))
    out, g = nn.Vjp(_Square())(x, v)
    np.testing.assert_array_equal(g.asnumpy(), [2.0, 4.0])


def test_a_list_held_in_a_name_times_a_mutable_int():
    # MindSpore 2.10, jit: (True, True, 10) and (True, True, x): dynamic length whichever side the count is on
    @jit
    def f():
        a = [1, 2]
        b = a * mutable(5)
        return F.is_sequence_shape_unknown(b), F.is_sequence_value_unknown(b), len(b)

    @jit
    def g(x):
        c = (1, 2)
        d = mutable(3) * c
        return F.is_sequence_shape_unknown(d), F.is_sequence_value_unknown(d), x

    assert f() == (True, True, 10)
    got = g(Tensor(1.0))
    assert got[:2] == (True, True)
    # outside a trace: plain Python
    a = [1, 2]
    assert a * mutable(2) == [1, 2, 1, 2] and mutable(2) * a == [1, 2, 1, 2] and type(mutable(3) * 2) is int


def _write_and_square(x, m, v):
    y = x * 1
    y[m > 0] = v
    return (y * y).sum()


def test_item_assignment_through_a_traced_bool_mask_with_a_tensor_value():
    x = Tensor(np.array([1.0, 2.0, 3.0, 4.0], np.float32))
    m = Tensor(np.array([1, 0, 1, 0], np.float32))
    v = Tensor(np.array([10.0, 20.0], np.float32))
    # PyNative: a value of the mask's count; gradients ([0, 4, 0, 8], [20, 40])
    gx, gv = ops.grad(_write_and_square, (0, 2))(x, m, v)
    np.testing.assert_array_equal(gx.asnumpy(), [0, 4, 0, 8])
    np.testing.assert_array_equal(gv.asnumpy(), [20, 40])
    # jit: the value is broadcast to x's shape, then selected (1020.0; gradients [0, 4, 0, 8], [20, 0, 60, 0])
    w = Tensor(np.array([10.0, 20.0, 30.0, 40.0], np.float32))
    assert float(jit(_write_and_square)(x, m, w).asnumpy()) == 1020.0
    gx, gw = ops.grad(jit(_write_and_square), (0, 2))(x, m, w)
    np.testing.assert_array_equal(gx.asnumpy(), [0, 4, 0, 8])
    np.testing.assert_array_equal(gw.asnumpy(), [20, 0, 60, 0])
    with pytest.raises(ValueError, match=r"For 'BroadcastTo', in order to broadcast, each dimension pair must be "
                                         r"equal or input dimension is 1 or target dimension is -1\. But got "
                                         r"x_shape: \[const vector\]\{2\}, target shape: \[const vector\]\{4\}\."):
        jit(_write_and_square)(x, m, v)


def test_mint_squeeze_of_an_axis_not_of_size_one_keeps_the_tensor():
    x = Tensor(np.ones((2, 3), np.float32))  # MindSpore 2.10: (2, 3) from mint / ops / Tensor.squeeze
    assert mint.squeeze(x, 0).shape == (2, 3) and ops.squeeze(x, 0).shape == (2, 3) and x.squeeze(0).shape == (2, 3)
    assert mint.squeeze(Tensor(np.ones((2, 1, 3), np.float32)), (0, 1)).shape == (2, 3)


# -- 3. ScalarAffine, Parameters of one name, train.summary ------------------------------------------------------
def test_scalar_affine_values_and_checks():
    from gradserve.nn.probability import bijector as msb

    b = msb.ScalarAffine(2.0, 1.0)
    x = Tensor(np.array([2.0, 3.0, 4.0, 5.0], np.float32))
    np.testing.assert_array_equal(b.forward(x).asnumpy(), [5, 7, 9, 11])
    np.testing.assert_array_equal(b.inverse(x).asnumpy(), [0.5, 1, 1.5, 2])
    fl, il = b.forward_log_jacobian(x), b.inverse_log_jacobian(x)
    assert fl.shape == () and fl.dtype == ms.float32 and float(fl.asnumpy()) == pytest.approx(0.6931472, abs=1e-7)
    assert float(il.asnumpy()) == pytest.approx(-0.6931472, abs=1e-7)
    assert isinstance(b, msb.Bijector) and isinstance(b, nn.Cell) and b.is_constant_jacobian and b.is_injective
    assert repr(b) == "ScalarAffine(scale = 2.0, shift = 1.0)" and b.name == "ScalarAffine"
    assert repr(msb.ScalarAffine([1.0, -2.0], 0.5)) == "ScalarAffine(batch_shape = (2,))"
    np.testing.assert_array_equal(b("forward", x).asnumpy(), [5, 7, 9, 11])
    np.testing.assert_array_equal(ops.grad(lambda t: b.forward(t).sum())(x).asnumpy(), [2, 2, 2, 2])
    r = b.forward(Tensor(np.array([2.0, 3.0], np.float64)))
    assert r.dtype == ms.float64 and r.asnumpy().tolist() == [5, 7]
    errors = [(dict(scale="scale"), "Unable to convert input of type <class 'str'> to a Tensor of type Float32"),
              (dict(name=0.1), "For 'ScalarAffine', the type of 'name' should be 'str', but got type 'float'."),
              (dict(scale=True), "Input cannot be Type Bool"),
              (dict(scale=1), "For 'ScalarAffine', the 'dtype of scale' should be one of [mindspore.float16, "),
              (dict(scale=np.float64(2.0)), "shift should have the same dtype as other arguments.")]
    for kw, text in errors:
        with pytest.raises(TypeError) as ei:
            msb.ScalarAffine(**kw)
        assert str(ei.value).startswith(text), kw
    with pytest.raises(TypeError, match="For input value of bijector, input type must be a Tensor or Parameter."):
        b.forward(2.0)
    with pytest.raises(TypeError, match="the type must be or be subclass of Float, but got Int32"):
        b.forward(Tensor(np.array([2, 3], np.int32)))
    with pytest.raises(Exception, match="Invalid name"):
        b("sample", x)


class _Bijected(nn.Cell):
    def __init__(self):
        super().__init__()
        from gradserve.nn.probability import bijector as msb

        self.b1, self.b2 = msb.ScalarAffine(2.0, 1.0), msb.ScalarAffine()

    def construct(self, x):
        return (self.b1("inverse", self.b1("forward", x)), self.b2("inverse", self.b2("forward", x)),
                self.b1("forward_log_jacobian", x), self.b1("inverse_log_jacobian", x))


def test_scalar_affine_in_a_graph_mode_construct(graph_mode):
    x = np.array([2.0, 3.0, 4.0, 5.0], np.float32)
    a, b, f, i = _Bijected()(Tensor(x))  # MindSpore 2.10 GRAPH_MODE: x, x, 0.693147, -0.693147
    np.testing.assert_allclose(a.asnumpy(), x, rtol=1e-7)
    np.testing.assert_array_equal(b.asnumpy(), x)
    assert float(f.asnumpy()) == pytest.approx(0.693147, abs=1e-6) and float(i.asnumpy()) == pytest.approx(-0.693147, abs=1e-6)


class _Named(nn.Cell):
    def __init__(self):
        super().__init__()
        self.param = Parameter(Tensor(np.array([1.0], np.float32)), name="name_a")

    def construct(self, x):
        return x + self.param


class _TwoTuples(nn.Cell):
    def __init__(self, net1, net2):
        super().__init__()
        self.param1 = ParameterTuple(net1.get_parameters())
        self.param2 = ParameterTuple(net2.get_parameters())

    def construct(self, x):
        return x + self.param1[0] + self.param2[0]


def test_parameters_of_one_name_gathered_in_parameter_tuples(pynative):
    x = Tensor(np.array([1.0], np.float32))
    assert _TwoTuples(_Named(), _Named())(x).asnumpy().tolist() == [3.0]  # PyNative runs it: [3.]
    n = _Named()
    ms.set_context(mode=ms.GRAPH_MODE)
    assert _TwoTuples(n, n)(x).asnumpy().tolist() == [3.0]  # one Parameter in both: [3.]
    with pytest.raises(RuntimeError, match="its name 'name_a' already exists. Please set a unique name for the "
                                           "parameter."):
        _TwoTuples(_Named(), _Named())(x)
    # one tuple of two such Parameters: ValueError when made, in either mode
    with pytest.raises(ValueError, match=r"The value Parameter \(name=name_a, shape=\(1,\), dtype=Float32, "
                                         r"requires_grad=True\) , its name 'name_a' already exists\."):
        ParameterTuple(list(_Named().get_parameters()) + list(_Named().get_parameters()))


def test_summaries_are_refused_by_name():
    from gradserve.train import SummaryCollector
    from gradserve.train.summary import SummaryRecord

    for make, name in ((SummaryRecord, "mindspore.train.summary.SummaryRecord"),
                       (SummaryCollector, "mindspore.train.SummaryCollector")):
        with pytest.raises(NotImplementedError, match=f"{name} is not implemented by gradserve"):
            make("./summary_dir")


def test_top_typeof():
    from gradserve.common import dtype as mstype
    from gradserve.ops.operations._inner_ops import TopTypeof

    t = TopTypeof()
    r = t(Tensor(1.0))
    assert r is mstype.tensor_type and r is ms.tensor_type and isinstance(r, mstype.TensorType)
    assert (repr(r), str(r)) == ("mindspore.tensor", "Tensor")
    assert isinstance(t(Parameter(Tensor(1.0), name="p")), mstype.TensorType)
    # MindSpore 2.10's (repr, str) of the others; a float's is float32
    want = [(1, ("mindspore.int", "Int")), (True, ("mindspore.bool", "Bool")), ((1,), ("mindspore.tuple_", "Tuple")),
            ("s", ("mindspore.string_", "String")), (1.0, ("mindspore.float32", "Float32")),
            ([1], ("mindspore.list_", "List")), ({"a": 1}, ("mindspore.Dictionary", "Dictionary")),
            (None, ("mindspore.type_none", "None")), (slice(1), ("mindspore.Slice", "Slice")),
            (..., ("mindspore.Ellipsis", "Ellipsis"))]
    for v, rs in want:
        assert (repr(t(v)), str(t(v))) == rs and not isinstance(t(v), mstype.TensorType), v

    def judge(data, tuple_index):  # MindSpore's raise test: a bool Tensor index counts its dims
        dims = 0
        for index in tuple_index:
            dims += index.ndim if isinstance(t(index), mstype.TensorType) and index.dtype == mstype.bool_ else 1
        if dims > data.ndim:
            raise IndexError(f"dim of index:{dims}, dim of data:{data.ndim}")

    @jit
    def bool_index(data, index):
        judge(data, (0, index))
        return data

    data = Tensor(np.array([[0, 1], [2, 3]], np.int32))
    with pytest.raises(IndexError, match="dim of index:3, dim of data:2"):  # MindSpore 2.10 jit: the same IndexError
        bool_index(data, Tensor(np.array([[0, 1], [0, 1]], bool)))
    assert bool_index(data, Tensor(np.array([0, 1], np.int32))).asnumpy().tolist() == [[0, 1], [2, 3]]

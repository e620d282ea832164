"""Sample seed 33 of MindSpore's own tests (benchmarks/mindspore_suite/README.md, "Sample seed 33").

Expected values and error texts: MindSpore 2.10 (CPU), run for this task in its own venv (PyNative unless said;
GRAPH_MODE / @jit where a test says so); the call that gave each is stated beside it."""
import numpy as np
import pytest

import gradserve as ms
from gradserve import Parameter, Tensor, jit, nn, ops
from gradserve._c_expression import security
from gradserve._checkparam import args_type_check
from gradserve.common import mutable as common_mutable
from gradserve.common.mutable import mutable
from gradserve.ops import operations as P
from gradserve.ops.auto_generate import UpsampleNearest3DGrad, tracev2_grad_op


# -- silently different before -----------------------------------------------------------------------------
def test_topk_unsorted_of_the_whole_axis_keeps_the_input_order(on_real_server):
    # tests/st/ops/cpu/test_topk_op.py: gradserve gave the values sorted. MindSpore 2.10, TopK(False)(x, 6) of
    # x = [[0.3, 0.9, 0.1, 0.5, 0.7, 0.2], [5, 1, 4, 2, 6, 3]] -> x itself, indices [[0..5], [0..5]] (int32);
    # ops.topk(..., largest=False, sorted=False) the same; ops.topk(arange(6).reshape(3, 2), 3, dim=0,
    # sorted=False) -> the input, indices [[0, 0], [1, 1], [2, 2]]
    x = np.array([[0.3, 0.9, 0.1, 0.5, 0.7, 0.2], [5, 1, 4, 2, 6, 3]], np.float32)
    for v, i in (P.TopK(False)(Tensor(x), 6), ops.topk(Tensor(x), 6, largest=False, sorted=False),
                 Tensor(x).topk(6, sorted=False)):
        np.testing.assert_array_equal(v.asnumpy(), x)
        assert i.dtype == ms.int32 and i.asnumpy().tolist() == [list(range(6))] * 2
    v, i = ops.topk(Tensor(np.arange(6, dtype=np.float32).reshape(3, 2)), 3, dim=0, sorted=False)
    assert v.asnumpy().tolist() == [[0, 1], [2, 3], [4, 5]] and i.asnumpy().tolist() == [[0, 0], [1, 1], [2, 2]]
    # sorted=True is unchanged: TopK(True)(x, 3) -> [[0.9, 0.7, 0.5], [6, 5, 4]], [[1, 4, 3], [4, 0, 2]]
    v, i = P.TopK(True)(Tensor(x), 3)
    np.testing.assert_allclose(v.asnumpy(), [[0.9, 0.7, 0.5], [6, 5, 4]], rtol=1e-7)
    assert i.asnumpy().tolist() == [[1, 4, 3], [4, 0, 2]]
    # the gradient of the unsorted values goes back to the same places
    w = Tensor(np.arange(6, dtype=np.float32))
    g = ms.grad(lambda a: (ops.topk(a, 6, sorted=False)[0] * w).sum())(Tensor(x))
    assert g.asnumpy().tolist() == [list(range(6))] * 2


# -- missing names -----------------------------------------------------------------------------------------
def test_tracev2_grad_places_dout_on_the_diagonal(on_real_server):
    # MindSpore 2.10: tracev2_grad_op([1, 2, 3], Tensor([2, 3, 4]), -1, 2, 0) and ([5, 7], Tensor([3, 4, 2]), 1, 0, 1)
    got = tracev2_grad_op(Tensor(np.array([1., 2., 3.], np.float32)), Tensor(np.array([2, 3, 4])), -1, 2, 0)
    assert got.asnumpy().tolist() == [[[0, 1, 0, 0], [0, 2, 0, 0], [0, 3, 0, 0]], [[0, 0, 1, 0], [0, 0, 2, 0], [0, 0, 3, 0]]]
    got = tracev2_grad_op(Tensor(np.array([5., 7.], np.float32)), Tensor(np.array([3, 4, 2])), 1, 0, 1)
    assert got.asnumpy().tolist() == [[[0, 0], [5, 7], [0, 0], [0, 0]], [[0, 0], [0, 0], [5, 7], [0, 0]],
                                      [[0, 0], [0, 0], [0, 0], [5, 7]]]
    # a tuple shape: MindSpore's TypeError ("The valid calling should be: ... shape=<Tensor> ...")
    with pytest.raises(TypeError, match="shape=<Tensor>"):
        tracev2_grad_op(Tensor(np.array([5., 7.], np.float32)), (3, 4, 2), 1, 0, 1)


def test_upsample_nearest3d_grad(on_real_server):
    # MindSpore 2.10: UpsampleNearest3DGrad()(arange(24).reshape(1, 1, 2, 3, 4), (1, 1, 1, 2, 3), [2, 3, 4], None)
    # -> [[[[[68, 40, 44], [58, 32, 34]]]]]; with input_size (1, 1, 1, 2, 2), scales [2.0, 1.5, 2.0] ->
    # [[[[[68, 84], [58, 66]]]]]
    dy = Tensor(np.arange(24, dtype=np.float32).reshape(1, 1, 2, 3, 4))
    assert UpsampleNearest3DGrad()(dy, (1, 1, 1, 2, 3), [2, 3, 4], None).asnumpy().tolist() == [[[[[68, 40, 44], [58, 32, 34]]]]]
    assert UpsampleNearest3DGrad()(dy, (1, 1, 1, 2, 2), None, [2.0, 1.5, 2.0]).asnumpy().tolist() == [[[[[68, 84], [58, 66]]]]]


def test_nearest_interpolate_refuses_integer_inputs(on_real_server):
    # MindSpore 2.10 CPU, interpolate_ext / mint / ops.interpolate, mode nearest: int8..int64 and bool are its
    # TypeError ("Select CPU operator[UpsampleNearest3D] fail! Unsupported data type!"); uint8, float16/32/64 run
    for dt in ("int32", "int64", "bool"):
        with pytest.raises(TypeError, match=r"UpsampleNearest3D\] fail! Unsupported data type"):
            ops.function.nn_func.interpolate_ext(Tensor(np.ones((2, 2, 2, 2, 2), dt)), [3, 4, 5], None, "nearest")
    with pytest.raises(TypeError, match=r"UpsampleNearest2D\] fail!"):
        ops.interpolate(Tensor(np.ones((1, 1, 2, 2), np.int32)), [3, 4], mode="nearest")
    got = ops.function.nn_func.interpolate_ext(Tensor(np.ones((2, 2, 2, 2, 2), np.uint8)), [3, 4, 5], None, "nearest")
    assert got.shape == (2, 2, 3, 4, 5) and got.dtype == ms.uint8


def test_adam_offload_and_sparse_gather(on_real_server):
    # MindSpore 2.10: w = [[1, -2], [3, 0.5]], loss sum(x @ w) + sum(w ** 2) at x = [[1, 2]], three steps of
    # nn.AdamOffload(lr=0.1, weight_decay=0.01) -> [[0.7009059, -1.7009019], [2.7002754, 0.2009079]]; with
    # use_nesterov -> [[0.5503970, -1.5503577], [2.5437753, 0.0504166]]
    expect = {False: [[0.7009059, -1.7009019], [2.7002754, 0.2009079]],
              True: [[0.5503970, -1.5503577], [2.5437753, 0.0504166]]}
    for nesterov, want in expect.items():
        w = Parameter(Tensor(np.array([[1., -2.], [3., 0.5]], np.float32)), name="w")
        opt = nn.AdamOffload([w], learning_rate=0.1, use_nesterov=nesterov, weight_decay=0.01)
        x = Tensor(np.array([[1., 2.]], np.float32))
        step = ms.value_and_grad(lambda: ops.matmul(x, w).sum() + (w ** 2).sum(), None, opt.parameters)
        for _ in range(3):
            opt(step()[1])
        np.testing.assert_allclose(w.asnumpy(), want, rtol=2e-6, atol=1e-7)
    # SparseGatherV2()(params, indices, axis): Gather's values ([[2, 7], [4, 54], [2, 55]] of MindSpore's doc)
    params = Tensor(np.array([[1, 2, 7, 42], [3, 4, 54, 22], [2, 2, 55, 3]], np.float32))
    got = P.SparseGatherV2()(params, Tensor(np.array([1, 2], np.int32)), 1)
    assert got.asnumpy().tolist() == [[2, 7], [4, 54], [2, 55]]


def test_checkparam_args_type_check_and_security():
    # MindSpore 2.10: @args_type_check(a=int, b=(tuple, list)); f("x") -> TypeError "The parameter 'a' must be
    # <class 'int'>, but got <class 'str'>"; f(1, b=3) -> "... 'b' must be (<class 'tuple'>, <class 'list'>), but
    # got <class 'int'>"; None passes. _c_expression.security.enable_security() -> False
    @args_type_check(a=int, b=(tuple, list))
    def f(a, b=None):
        return a

    with pytest.raises(TypeError, match=r"^The parameter 'a' must be <class 'int'>, but got <class 'str'>$"):
        f("x")
    with pytest.raises(TypeError, match=r"'b' must be \(<class 'tuple'>, <class 'list'>\), but got <class 'int'>"):
        f(1, b=3)
    assert f(None, [1]) is None and f(2) == 2
    assert security.enable_security() is False


def test_common_mutable_module_keeps_the_function():
    # MindSpore: `from mindspore.common.mutable import mutable` imports the function; `mindspore.common.mutable`
    # stays the function too
    assert mutable is common_mutable and callable(mutable)


# -- errors as MindSpore's ---------------------------------------------------------------------------------
def test_graph_isinstance_refusal_text(on_real_server, graph_mode):
    # MindSpore 2.10, jit: isinstance(Tensor(1), [1, tuple]) / (..., Tensor(1)) / (x, (int, (float, 3))) ->
    # TypeError "isinstance() arg 2 must be a type or tuple of types." (Python 3.11's own text names unions)
    @jit
    def bad_list():
        return isinstance(Tensor(1), [1, tuple])

    @jit
    def nested(x):
        return isinstance(x, (int, (float, 3)))

    @jit
    def good(x):
        return isinstance(x, (int, (float, Tensor)))

    for call in (bad_list, lambda: nested(Tensor(1))):
        with pytest.raises(TypeError, match=r"^isinstance\(\) arg 2 must be a type or tuple of types\.$"):
            call()
    assert good(Tensor(1)) is True


def test_graph_map_zip_enumerate_are_sequences(on_real_server, graph_mode):
    # MindSpore 2.10, jit: map over a tuple -> tuple, over a list -> list; zip / enumerate -> tuples of tuples
    # (gradserve returned Python's iterators, which a jit function could not return)
    @jit
    def f(x):
        return map(lambda v: v + 1, (x, x)), zip((x, 1), (2, 3)), map(lambda v: v * 2, [1, 2]), enumerate((5, 6))

    a, b, c, e = f(Tensor(np.ones(2, np.float32)))
    assert isinstance(a, tuple) and [v.asnumpy().tolist() for v in a] == [[2, 2], [2, 2]]
    assert isinstance(b, tuple) and b[1] == (1, 3) and b[0][1] == 2
    assert c == [2, 4] and e == ((0, 5), (1, 6))


def test_jvp_vjp_argument_errors(on_real_server):
    # MindSpore 2.10: ops.jvp(net, 1, 1) -> TypeError "The inputs type must be a Tensor, tuple or list of
    # Tensors."; jvp(net, x, (v, v)) -> ValueError "v has invalid length: should be 1, but got 2"; a tuple of
    # cotangents for a one-Tensor output (ops.vjp's vjp_fn((v,)), nn.Vjp(net)(x, (v,))) -> TypeError "Type Join
    # Failed: Abstract type AbstractTuple cannot join with AbstractTensor." (gradserve took the 1-tuple)
    net = lambda a: a ** 3  # noqa: E731
    x = Tensor(np.array([[1, 2], [3, 4]], np.float32))
    v = Tensor(np.ones((2, 2), np.float32))
    with pytest.raises(TypeError, match=r"The inputs type must be a Tensor, tuple or list of Tensors\."):
        ops.jvp(net, 1, 1)
    with pytest.raises(ValueError, match="v has invalid length: should be 1, but got 2"):
        ops.jvp(net, x, (v, v))
    join = r"Type Join Failed: Abstract type AbstractTuple cannot join with AbstractTensor\."
    with pytest.raises(TypeError, match=join):
        ops.vjp(net, x)[1]((v,))
    with pytest.raises(TypeError, match=join):
        nn.Vjp(lambda a: a ** 3)(x, (v,))
    # the Tensor cotangent still works: 3 x^2 v
    assert ops.vjp(net, x)[1](v)[0].asnumpy().tolist() == [[3, 12], [27, 48]]


def test_adam_refusal_texts():
    # MindSpore 2.10 nn.Adam: use_lazy with use_offload -> ValueError "For 'Adam', 'use_lazy' and 'use_offload' can
    # not both be True.But got use_lazy=True, use_offload=True."; use_amsgrad with either -> "For lazy Adam and
    # Adam with offload, there is no parameter named 'use_amsgrad'.but got 'use_amsgrad'=True."
    w = [Parameter(Tensor(np.ones(2, np.float32)), name="w")]
    with pytest.raises(ValueError, match=r"^For 'Adam', 'use_lazy' and 'use_offload' can not both be True\.But got "
                                         r"use_lazy=True, use_offload=True\.$"):
        nn.Adam(w, use_lazy=True, use_offload=True)
    for kw in ("use_lazy", "use_offload"):
        with pytest.raises(ValueError, match=r"^For lazy Adam and Adam with offload, there is no parameter named "
                                             r"'use_amsgrad'\.but got 'use_amsgrad'=True\.$"):
            nn.Adam(w, use_amsgrad=True, **{kw: True})


def test_len_of_a_0d_tensor_and_fftwithsize_texts(on_real_server):
    # MindSpore 2.10: len(Tensor(100)) -> TypeError "Not support len of a 0-D tensor" (PyNative), "... tensor."
    # in a jit function; FFTWithSize(2, True, True)(ones((2, 1), complex64)) -> ValueError "For 'FFTWithSize', the
    # last dimension of the input cannot be 1, but got: 1"; with signal_sizes=(2, 1) the shape is (2, 1)
    x = Tensor(np.array(100))
    with pytest.raises(TypeError, match=r"^Not support len of a 0-D tensor$"):
        len(x)

    @jit
    def f(t):
        return len(t)

    with pytest.raises(TypeError, match=r"^Not support len of a 0-D tensor\.$"):
        f(x)
    z = Tensor(np.ones((2, 1), np.complex64))
    with pytest.raises(ValueError, match=r"For 'FFTWithSize', the last dimension of the input cannot be 1, but got: 1"):
        P.FFTWithSize(2, True, True)(z)
    assert P.FFTWithSize(2, True, True, signal_sizes=(2, 1))(z).shape == (2, 1)


def test_log_module_and_mindrecord_placeholders(caplog):
    # MindSpore's tests import `from mindspore import log as logger` and mindrecord's FileReader / TFRecordToMR at
    # load time; log is Python logging at MindSpore's default level (GLOG_v 2: WARNING), mindrecord's names refuse
    # when used
    from gradserve import log as logger
    from gradserve.mindrecord import TFRecordToMR

    with caplog.at_level("WARNING", logger="gradserve"):
        logger.warning("tensorflow module not found.")
        logger.info("not shown at WARNING")
    assert [r.getMessage() for r in caplog.records] == ["tensorflow module not found."]
    assert logger.get_level() in ("0", "1", "2", "3", "4")
    with pytest.raises(NotImplementedError, match=r"mindspore\.mindrecord\.TFRecordToMR is not implemented"):
        TFRecordToMR("a.tfrecord", "b.mindrecord", {})

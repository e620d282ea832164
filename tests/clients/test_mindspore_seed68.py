"""Sample seed 68 of MindSpore's own tests (benchmarks/mindspore_suite/README.md, "Sample seed 68").

Expected values: MindSpore 2.10 (CPU), run for this task in its own venv (/work/ms_suite68/probe/p*.py, each
printed on both sides and diffed); the literals below are its outputs."""
import numpy as np
import pytest

import gradserve as ms
from gradserve import Tensor, nn, ops

_Z = [1.5 + 2j, -1j, 0j, 1e-30j]


def test_tensor_of_a_complex_tensor_to_bool_is_its_real_part():
    # MindSpore 2.10: Tensor(Tensor(complex), bool) is ops.cast's (the real part's truth): [True False False False];
    # from a Python list or a NumPy array it is "nonzero": [True True False True]
    for dt in (np.complex64, np.complex128):
        got = Tensor(Tensor(np.array(_Z, dt)), ms.bool_)
        np.testing.assert_array_equal(got.asnumpy(), [True, False, False, False])
        assert Tensor(Tensor(np.array(_Z, dt)), dtype=ms.bool_).dtype == ms.bool_
    np.testing.assert_array_equal(Tensor(_Z, ms.bool_).asnumpy(), [True, True, False, True])
    np.testing.assert_array_equal(Tensor(np.array(_Z), ms.bool_).asnumpy(), [True, True, False, True])
    np.testing.assert_array_equal(Tensor(Tensor(np.array(_Z)), ms.int32).asnumpy(), [1, 0, 0, 0])


@pytest.mark.parametrize("data, dtype, want", [
    # MindSpore 2.10's values (its NumPy 1 wraps Python ints past the dtype)
    ([127, 128, -129, 300], ms.int8, [127, -128, 127, 44]),
    ([2.7, 300.0], ms.int8, [2, 44]),
    ([-1, 255], ms.uint8, [255, 255]),
    ([2**31], ms.int32, [-2**31]),
    ([2**63], ms.int64, [-2**63]),
    (300, ms.int8, 44),
])
def test_python_ints_past_the_dtype_wrap(data, dtype, want):
    got = Tensor(data, dtype)
    assert got.dtype == dtype
    np.testing.assert_array_equal(got.asnumpy(), np.array(want))


def test_ints_past_64_bits_stay_refused():
    for v in (2**64, -2**63 - 1):  # (MindSpore 2.10: RuntimeError, "Cannot construct Tensor ...")
        with pytest.raises(RuntimeError, match="Cannot construct a Tensor of int64"):
            Tensor(v, ms.int64)


def test_adjoint_and_friends_of_under_two_dims():
    # MindSpore 2.10 (both modes): Tensor.adjoint / ops.adjoint / mT / mH of a 1-D Tensor, swapaxes' check
    x = Tensor(np.array([1, 2], np.int32))
    for f in (lambda: x.adjoint(), lambda: ops.adjoint(x), lambda: x.mT, lambda: x.mH):
        with pytest.raises(ValueError, match=r"^The 'axis' must be in the range of \[-1, 1\), but got -2\.$"):
            f()
    with pytest.raises(ValueError, match=r"^The 'axis' must be in the range of \[-0, 0\), but got -1\.$"):
        Tensor(np.float32(2)).adjoint()


_T = lambda *s, dt=np.float32: Tensor(np.arange(1, 1 + int(np.prod(s))).reshape(s).astype(dt))  # noqa: E731


@pytest.mark.parametrize("call, cls, text", [
    # MindSpore 2.10 PyNative's classes and texts (gradserve computed the first three: broadcast / promoted)
    (lambda: ops.dense(_T(2, 3), _T(2, 4, 3)), ValueError, "The dim of w should be equal to 1 or 2."),
    (lambda: ops.dense(_T(2, 3), _T(4, 3), _T(2, 4)), ValueError,
     "The dim of b should be equal to 0 or 1 if the dim of w is 2."),
    (lambda: ops.dense(_T(2, 3), _T(4, 3), _T(4, dt=np.float16)), TypeError,
     "For Dense, all dtypes should be the same, but got 'input' with dtype: Float32 and 'bias' with dtype: Float16."),
    (lambda: ops.dense(_T(2, 3), _T(3), _T(2)), ValueError, "The dim of b should be equal to 0 if the dim of w is 1."),
    (lambda: ops.dense(_T(2, 4), _T(3)), ValueError, "The dim of x should be at least 1 if the dim of w is 1."),
    (lambda: ops.dense(Tensor(np.float32(2)), _T(4, 3)), ValueError,
     "The dim of x should be at least 1 if the dim of w is 2."),
    (lambda: ops.dense(_T(4), _T(2, 3)), ValueError,
     "Dense shape error, got x_col: 4, w_row: 3. In Dense x_col and w_row should be equal. if the dim of w is 2."),
    (lambda: ops.dense(_T(2, 3), _T(4, 3, dt=np.float64)), TypeError,
     "For 'Dense', the type of 'x2' should be same as 'x1', but got 'x1' with type Tensor[Float32] and 'x2' with "
     "type Tensor[Float64]."),
    (lambda: ms.mint.nn.functional.linear(_T(2, 3), _T(4, 3), _T(2, 4)), ValueError,
     "The dim of b should be equal to 0 or 1 if the dim of w is 2."),
])
def test_dense_refusals(call, cls, text):
    with pytest.raises(cls) as info:
        call()
    assert str(info.value) == text


def test_dense_list_input_is_a_failed_call():
    with pytest.raises(TypeError, match=r'^Failed calling Dense with "Dense\(\)\(input=List<List<float, float, '
                                        r'float>>, weight=Tensor, bias=None\)"'):
        ops.dense([[1., 2., 3.]], _T(4, 3))


def test_dense_values(on_real_server):
    # tests/st/ops/test_func_dense.py's shapes; MindSpore 2.10: dense(T(2, 3), T(3), 1.0) [15, 33],
    # dense(T(2, 3), T(4, 3), 1.0) [[15, 33, 51, 69], [33, 78, 123, 168]], dense(T(2, 2, 3), T(3)) [[14, 32], [50, 68]]
    np.testing.assert_array_equal(ops.dense(_T(2, 3), _T(3), Tensor(np.float32(1))).asnumpy(), [15, 33])
    np.testing.assert_array_equal(ops.dense(_T(2, 3), _T(4, 3), Tensor(np.float32(1))).asnumpy(),
                                  [[15, 33, 51, 69], [33, 78, 123, 168]])
    np.testing.assert_array_equal(ops.dense(_T(2, 2, 3), _T(3)).asnumpy(), [[14, 32], [50, 68]])


class _IsArg(nn.Cell):
    def construct(self, a, b, c):
        return a is b, a is c, b is c


class _Mul(nn.Cell):
    def construct(self, a, b):
        return a * b


@pytest.mark.parametrize("order, pynative, graph", [
    # MindSpore 2.10: PyNative runs construct on the caller's objects; GRAPH_MODE's inputs are never one
    ("ttu", (True, False, False), (False, False, False)),
    ("tut", (False, True, False), (False, False, False)),
    ("tuu", (False, False, True), (False, False, False)),
    ("ttt", (True, True, True), (False, False, False)),
    ("tuv", (False, False, False), (False, False, False)),
])
def test_a_tensor_given_twice_to_a_cell(on_real_server, order, pynative, graph):
    objs = {"t": Tensor(np.array([1., 2.], np.float32)), "u": Tensor(np.array([3., 5.], np.float32)),
            "v": Tensor(np.array([3., 5.], np.float32))}
    args = [objs[k] for k in order]
    net, old = _IsArg(), ms.get_context("mode")
    try:
        ms.set_context(mode=ms.PYNATIVE_MODE)
        assert net(*args) == pynative
        assert net(objs["t"], objs["u"], objs["v"]) == (False, False, False)  # (another key: not the cached trace)
        assert net(*args) == pynative
        ms.set_context(mode=ms.GRAPH_MODE)
        assert _IsArg()(*args) == graph
    finally:
        ms.set_context(mode=old)


class _JitIs(nn.Cell):
    @ms.jit
    def construct(self, a, b):
        return a is b, a + b


def test_a_tensor_given_twice_to_a_jit_construct(on_real_server):
    # MindSpore 2.10 PyNative: a @jit construct's inputs are two graph inputs: (False, [2, 4])
    t, old = Tensor(np.array([1., 2.], np.float32)), ms.get_context("mode")
    try:
        ms.set_context(mode=ms.PYNATIVE_MODE)
        same, total = _JitIs()(t, t)
        assert same is False
        np.testing.assert_array_equal(total.asnumpy(), [2., 4.])
    finally:
        ms.set_context(mode=old)


def test_grad_of_a_tensor_given_twice(on_real_server):
    # MindSpore 2.10 PyNative: grad(a * b, (0, 1)) at (t, t) is (2t, 2t); GRAPH_MODE (t, t)
    t, old = Tensor(np.array([1., 2.], np.float32)), ms.get_context("mode")
    try:
        ms.set_context(mode=ms.PYNATIVE_MODE)
        for g in ms.grad(_Mul(), grad_position=(0, 1))(t, t):
            np.testing.assert_allclose(g.asnumpy(), [2., 4.])
        np.testing.assert_allclose(_Mul()(t, t).asnumpy(), [1., 4.])
        ms.set_context(mode=ms.GRAPH_MODE)
        for g in ms.grad(_Mul(), grad_position=(0, 1))(t, t):
            np.testing.assert_allclose(g.asnumpy(), [1., 2.])
    finally:
        ms.set_context(mode=old)


def test_tensor_msort(on_real_server):
    # MindSpore 2.10 has Tensor.msort (gradserve had ops.msort only); its value, NaN placement included
    a = np.array([[3., np.nan, 1.], [-1., 2., np.inf], [0., -0., 5.]], np.float32)
    np.testing.assert_array_equal(Tensor(a).msort().asnumpy(), [[-1., np.nan, 1.], [0., -0., 5.], [3., 2., np.inf]])


def test_new_ones_refusals():
    from gradserve.ops.function.array_func import new_ones, new_zeros
    x = Tensor(np.ones((2, 3), np.float32))
    with pytest.raises(TypeError) as info:  # (MindSpore 2.10; gradserve took the Tensor's values before)
        new_ones(x, Tensor(np.array([2, 3])))
    assert str(info.value) == \
        'Failed calling NewOnes with "NewOnes()(input=Tensor, size=Tensor, dtype=mindspore.dtype)".'
    with pytest.raises(ValueError) as info:
        new_ones(x, (-1, 2))
    assert str(info.value) == ("For primitive[Ones], the 0th dimension of input shape must be greater than or equal "
                               "to 0, but got -1.")
    with pytest.raises(ValueError, match=r"^For primitive\[Zeros\], the 1th dimension"):
        new_zeros(x, (1, -2))


def test_basic_index_views_are_not_contiguous(on_real_server):
    # MindSpore 2.10 (PyNative, and eager in GRAPH_MODE): x[:, 1], x[0], x[:, ::2], x.T, x.view(3, 2) of a (2, 3)
    # Tensor: is_contiguous() False, True, False, False, True (gradserve said True for every slice)
    x = Tensor(np.array([[1, 2, 3], [4, 5, 6]], np.float32))
    got = [x[:, 1].is_contiguous(), x[0].is_contiguous(), x[:, ::2].is_contiguous(), x.T.is_contiguous(),
           x.view(3, 2).is_contiguous()]
    assert got == [False, True, False, False, True]
    assert x[1:].is_contiguous() and x[..., None].is_contiguous() and x[:, 1].contiguous().is_contiguous()
    np.testing.assert_array_equal(x[:, 1].contiguous().asnumpy(), [2., 5.])

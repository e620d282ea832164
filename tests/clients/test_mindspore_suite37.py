"""Sample seed 37 of MindSpore's own tests (benchmarks/mindspore_suite/README.md, "Sample seed 37").

Expected values and error texts: MindSpore 2.10 (CPU), run for this task in its own venv (PyNative unless a mode is
named); the call that gave each is stated beside it."""
import numpy as np
import pytest

import gradserve as ms
from gradserve import Tensor, context, mint, nn, ops
from gradserve.ops import operations as P
from gradserve.ops.operations.random_ops import Uniform


# -- silently different before -----------------------------------------------------------------------------
def test_mish_float16_rounds_once(on_real_server):
    # st/ops/cpu/test_mish_op.py: float16 Mish was computed in float16 steps (791 of 2955 values in [-5, 5] an ulp
    # off; before: -0.03827, -0.1626, -0.2263, 0.1726, 0.5493, 1.9277). MindSpore 2.10, P.Mish()(Tensor(x16))
    x = np.array([-4.8359375, -2.82421875, -0.52001953125, 0.25390625, 0.6875, 1.9853515625], np.float16)
    want = [-0.038238525390625, -0.1627197265625, -0.2264404296875, 0.1724853515625, 0.548828125, 1.9287109375]
    for f in (P.Mish(), ops.mish, nn.Mish()):
        out = f(Tensor(x))
        assert out.dtype == ms.float16 and out.asnumpy().tolist() == want
    np.testing.assert_allclose(ops.mish(Tensor(x.astype(np.float32))).asnumpy(), want, rtol=2e-3)


class _FloatSlice(nn.Cell):
    def construct(self, x):
        return x[1.2:]


def test_float_slice_bound_is_an_error(on_real_server):
    # ut/python/pipeline/parse/test_debug_info.py: x[1.2:] was x[1:]. MindSpore 2.10: GRAPH_MODE construct TypeError
    # naming the line, PyNative (and GRAPH_MODE's top level) RuntimeError
    x = Tensor(np.array([1, 2, 3], np.int64))
    try:
        context.set_context(mode=context.GRAPH_MODE)
        with pytest.raises(TypeError, match=r"Slice indices must be integers or bool\. But got a Float32 number") as e:
            _FloatSlice()(x)
        assert "return x[1.2:]" in str(e.value)
        with pytest.raises(RuntimeError, match=r"Slice index type must be int, tensor or none\."):
            x[:1.5]
    finally:
        context.set_context(mode=context.PYNATIVE_MODE)
    with pytest.raises(RuntimeError, match=r"Slice index type must be int, tensor or none\."):
        _FloatSlice()(x)
    assert x[True:].asnumpy().tolist() == [2, 3] and x[Tensor(np.int32(1)):].asnumpy().tolist() == [2, 3]


# -- missing names ---------------------------------------------------------------------------------------
_TABLE = np.arange(24, dtype=np.float32).reshape(6, 4) / 4 - 2
_IDX = np.array([[1, 2, 5, 0], [3, 7, 4, 4]], np.int32)  # 7: past the vocabulary, a row of zeros
_VAL = np.array([[1.0, -2.0, 0.5, 0.0], [3.0, 1.0, 0.0, -1.5]], np.float32)
_FLD = np.array([[0, 0, 2, 1], [1, 1, 0, 2]], np.int32)
# MindSpore 2.10, nn.MultiFieldEmbeddingLookup(6, 4, 3, operator=op) with embedding_table = _TABLE, PyNative and GRAPH_MODE
_MERGED = {
    "SUM": [[[-1.0, -1.25, -1.5, -1.75], [0.0] * 4, [1.5, 1.625, 1.75, 1.875]],
            [[0.0] * 4, [3.0, 3.75, 4.5, 5.25], [-3.0, -3.375, -3.75, -4.125]]],
    "MAX": [[[0.0, -0.5, -0.5, -0.25], [0.0] * 4, [1.5, 1.625, 1.75, 1.875]],
            [[0.0] * 4, [3.0, 3.75, 4.5, 5.25], [-3.0, -3.375, -3.75, -4.125]]],
    "MEAN": [[[-1 / 3, -5 / 12, -0.5, -7 / 12], [0.0] * 4, [3.0, 3.25, 3.5, 3.75]],
             [[0.0] * 4, [0.75, 0.9375, 1.125, 1.3125], [-2.0, -2.25, -2.5, -2.75]]]}
# the gradient of the output's sum with respect to input_values (ms.grad, grad_position=1)
_DVAL = {"SUM": [[-2.5, 1.5, 13.5, -6.5], [5.5, 0.0, 9.5, 9.5]], "MAX": [[-0.75, 0.25, 13.5, 0.0], [5.5, 0.0, 0.0, 9.5]],
         "MEAN": [[-2 / 9, -1 / 9, 0.0, 0.0], [0.34375, -1.03125, 0.0, 0.0]]}


@pytest.mark.parametrize("op", ["SUM", "MAX", "MEAN"])
def test_multi_field_embedding_lookup(on_real_server, op):
    net = nn.MultiFieldEmbeddingLookup(6, 4, 3, operator=op)
    net.embedding_table.set_data(Tensor(_TABLE))
    idx, val, fld = Tensor(_IDX), Tensor(_VAL), Tensor(_FLD)
    out = net(idx, val, fld)
    assert out.shape == (2, 3, 4) and out.dtype == ms.float32
    np.testing.assert_allclose(out.asnumpy(), _MERGED[op], rtol=1e-6)
    dval = ms.grad(lambda i, v, f: net(i, v, f).sum(), grad_position=1)(idx, val, fld)
    np.testing.assert_allclose(dval.asnumpy(), _DVAL[op], rtol=1e-6, atol=1e-7)


def test_multi_field_embedding_lookup_checks(on_real_server):
    # MindSpore 2.10's classes and texts
    net = nn.MultiFieldEmbeddingLookup(6, 4, 3)
    idx, val, fld = Tensor(_IDX), Tensor(_VAL), Tensor(_FLD)
    cases = [((Tensor(_IDX.astype(np.int16)), val, fld), TypeError,
              "the 'input_indices' should be one of [mindspore.int32, mindspore.int64], but got 'mindspore.int16'."),
             ((idx, Tensor(_VAL.astype(np.float16)), fld), TypeError,
              "the 'input_values' should be Float32, but got 'mindspore.float16'."),
             ((idx, val, Tensor(_FLD.astype(np.int64))), TypeError, "the 'field_ids' should be Int32, but got 'mindspore.int64'."),
             ((Tensor(_IDX[0]), val, fld), ValueError, "the dimension of 'input_indices' must be 2d, but got 1")]
    for args, cls, text in cases:
        with pytest.raises(cls) as e:
            net(*args)
        assert str(e.value) == "For 'MultiFieldEmbeddingLookup', " + text
    with pytest.raises(ValueError, match=r"the 'operator' must be str and must be in '\['SUM', 'MAX', 'MEAN'\]', but got 'MIN'"):
        nn.MultiFieldEmbeddingLookup(6, 4, 3, operator="MIN")
    with pytest.raises(ValueError, match=r"the 'field_size' must be int and must > 0, but got '0' with type 'int'"):
        nn.MultiFieldEmbeddingLookup(6, 4, 0)


def test_maximum_grad_grad(on_real_server):
    # st/dynamic_shape/test_maximum_grad_grad.py. MindSpore 2.10: the flags change nothing, a tie (x1 = x2 = 3) takes dx1
    x, y = Tensor(np.array([1, 2, 4, 3], np.float32)), Tensor(np.array([2, 4, 3, 3], np.float32))
    dx, dy = Tensor(np.array([5, 6, 7, 8], np.float32)), Tensor(np.array([1, 2, 9, 10], np.float32))
    for flags in ((True, True), (False, False)):
        a, b, c = ops.auto_generate.MaximumGradGrad(*flags)(x, y, dx, dy)
        assert a.asnumpy().tolist() == [0] * 4 and b.asnumpy().tolist() == [0] * 4
        assert c.asnumpy().tolist() == [1.0, 2.0, 7.0, 8.0]
    # broadcast: out (1, 2); integers stay integers
    c = ops.auto_generate.MaximumGradGrad()(Tensor(np.array([[1., 5.]], np.float32)), Tensor(np.array([3.], np.float32)),
                                            Tensor(np.array([[1., 2.]], np.float32)), Tensor(np.array([4.], np.float32)))[2]
    assert c.asnumpy().tolist() == [[4.0, 2.0]]
    i32 = [Tensor(np.array(v, np.int32)) for v in ([1, 5], [3, 2], [1, 2], [4, 6])]
    c = ops.auto_generate.MaximumGradGrad()(*i32)[2]
    assert c.dtype == ms.int32 and c.asnumpy().tolist() == [4, 2]


def test_uniform_primitive(on_real_server):
    # st/ops/cpu/test_uniform_op.py. MindSpore 2.10: shape and dtype of x, values in [minval, maxval); its checks
    for dt in (ms.float16, ms.float32, ms.float64):
        y = Uniform(minval=1.0, maxval=2.0)(Tensor(np.zeros((3, 4)), dt))
        assert y.shape == (3, 4) and y.dtype == dt and 1 <= y.asnumpy().min() and y.asnumpy().max() < 2
    a, b = (Uniform(1.0, 2.0, seed=5)(Tensor(np.zeros(3), ms.float32)) for _ in range(2))
    assert a.asnumpy().tolist() == b.asnumpy().tolist()  # a seeded op repeats its draws (MindSpore's too)
    with pytest.raises(TypeError, match=r"must be a type of \{Tensor\[Float16\], Tensor\[Float32\], Tensor\[Float64\]\}, "
                                        r"but got Tensor\[Int32\]"):
        Uniform(1.0, 2.0)(Tensor(np.zeros(3), ms.int32))
    with pytest.raises(ValueError, match=r"For 'Uniform', the 'minval' should be <= maxval: 1.0, but got 2.0."):
        Uniform(2.0, 1.0)
    with pytest.raises(TypeError, match=r"For 'Uniform', the 'minval' must be float, but got 'int'"):
        Uniform(1, 2)


def test_small_names(on_real_server):
    # nn.Norm (st/ops/cpu/test_norm_op.py; MindSpore 2.10: Norm()(x) 12.806249, axis () squeezes every axis,
    # keep_dims keeps (1, 1), axis=1 of (2, 1, 3) squeezes only axis 1)
    x = Tensor(np.array([[4, 4, 9, 1], [2, 1, 3, 6]], np.float32))
    np.testing.assert_allclose(nn.Norm()(x).asnumpy(), 12.806249, rtol=1e-6)
    assert nn.Norm()(x).shape == () and nn.Norm(axis=(0, 1), keep_dims=True)(x).shape == (1, 1)
    assert nn.Norm(axis=1)(Tensor(np.ones((2, 1, 3), np.float32))).shape == (2, 3)
    np.testing.assert_allclose(nn.Norm(axis=0)(x).asnumpy(), [4.472136, 4.1231055, 9.486833, 6.0827627], rtol=1e-6)
    # mint.nonzero (st/ops/test_ops_nonzero.py) and P.Erfinv (st/ops/cpu/test_erfinv_op.py: values of scipy.special.erfinv,
    # as its test compares)
    m = Tensor(np.array([[0, 2], [3, 0]], np.float32))
    assert mint.nonzero(m).asnumpy().tolist() == [[0, 1], [1, 0]]
    assert [t.asnumpy().tolist() for t in mint.nonzero(m, as_tuple=True)] == [[0, 1], [1, 0]]
    np.testing.assert_allclose(P.Erfinv()(Tensor(np.array([0.5, -0.9], np.float32))).asnumpy(),
                               [0.4769362762, -1.1630871537], rtol=1e-6)


class _NoConstruct(nn.Cell):
    def construct1(self, x):
        return 5


def test_cell_without_construct(on_real_server):
    # ut/python/pipeline/parse/test_grammar_constraints.py. MindSpore 2.10 (both modes): AttributeError
    with pytest.raises(AttributeError, match=r"^For 'Cell', the method 'construct' is not defined\.$"):
        _NoConstruct()(Tensor(np.ones(3, np.float32)))

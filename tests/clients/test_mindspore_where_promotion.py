"""ops.where / mint.where / Tensor.where / ops.select, ops.clamp with Tensor bounds and ops.masked_fill with mixed
dtypes: MindSpore 2.10 promotes by the rule of its binary ops (a float beats an integer or bool, the wider within
a kind, float16 x bfloat16 is float32; a Python float with an integer Tensor is float32, a Python int with a bool
Tensor int64). Every expected dtype and value below was printed by MindSpore 2.10 (CPU; PyNative and GRAPH_MODE
agree) running the same calls in its venv. (Its CPU Select kernel refuses bfloat16 and some int/bool pairs in
PyNative, a kernel gap GRAPH_MODE does not have; those pairs are not asserted here.)"""
import numpy as np
import pytest

import gradserve as gs
from gradserve import Tensor, mint, ops

COND = [True, False, True]
NP = {"int32": np.int32, "int64": np.int64, "float16": np.float16, "float32": np.float32, "float64": np.float64,
      "bool": np.bool_}


def t(values, dt):
    return Tensor(np.array(values, NP[dt]))


# (x dtype, y dtype, result dtype, where(COND, [1, 2, 3], [4, 5, 6]) in it; a bool Tensor of them is all True)
PAIRS = [("int32", "int64", "int64", [1, 5, 3]), ("int32", "float16", "float16", [1, 5, 3]),
         ("int64", "float32", "float32", [1, 5, 3]), ("float32", "int32", "float32", [1, 5, 3]),
         ("float16", "float32", "float32", [1, 5, 3]), ("float32", "float64", "float64", [1, 5, 3]),
         ("float16", "bool", "float16", [1, 1, 3]), ("bool", "int64", "int64", [1, 5, 1]),
         ("bool", "float64", "float64", [1, 5, 1])]


@pytest.mark.parametrize("xd, yd, out, values", PAIRS)
def test_where_promotes_tensor_pairs(fake, xd, yd, out, values):
    c = Tensor(np.array(COND))
    want = np.array(values, NP[out])
    for r in (ops.where(c, t([1, 2, 3], xd), t([4, 5, 6], yd)), mint.where(c, t([1, 2, 3], xd), t([4, 5, 6], yd)),
              t([1, 2, 3], xd).where(c, t([4, 5, 6], yd)), ops.select(c, t([1, 2, 3], xd), t([4, 5, 6], yd))):
        assert r.dtype == gs.dtype.get(out)
        np.testing.assert_array_equal(r.asnumpy(), want)


def test_where_float16_bfloat16_is_float32(fake):
    """MindSpore 2.10: where(c, float16, bfloat16) Float32 [1. 5. 3.]."""
    r = ops.where(Tensor(np.array(COND)), t([1, 2, 3], "float16"), Tensor(np.array([4, 5, 6]), gs.bfloat16))
    assert r.dtype == gs.float32
    np.testing.assert_array_equal(r.asnumpy(), [1, 5, 3])


# (tensor dtype, Python number, result dtype, where(COND, x, s), where(COND, s, x)) with x = [1, 2, 3]
SCALARS = [("int32", 2.5, "float32", [1, 2.5, 3], [2.5, 2, 2.5]),
           ("int64", 2.5, "float32", [1, 2.5, 3], [2.5, 2, 2.5]),
           ("int32", 2, "int32", [1, 2, 3], [2, 2, 2]),
           ("float16", 2.5, "float16", [1, 2.5, 3], [2.5, 2, 2.5]),
           ("int32", True, "int32", [1, 1, 3], [1, 2, 1]),
           ("bool", 2, "int64", [1, 2, 1], [2, 1, 2]),
           ("bool", 2.5, "float32", [1, 2.5, 1], [2.5, 1, 2.5]),
           ("bool", True, "bool", [1, 1, 1], [1, 1, 1])]


@pytest.mark.parametrize("xd, s, out, xs, sx", SCALARS)
def test_where_with_a_python_number(fake, xd, s, out, xs, sx):
    c = Tensor(np.array(COND))
    for f in (ops.where, mint.where):
        a, b = f(c, t([1, 2, 3], xd), s), f(c, s, t([1, 2, 3], xd))
        assert a.dtype == b.dtype == gs.dtype.get(out)
        np.testing.assert_array_equal(a.asnumpy(), np.array(xs, NP[out]))
        np.testing.assert_array_equal(b.asnumpy(), np.array(sx, NP[out]))


@pytest.mark.parametrize("xd, yd", [("float32", "int32"), ("float16", "float32"), ("float32", "float64"),
                                    ("float64", "float32")])
def test_where_gradients_in_each_operands_dtype(fake, xd, yd):
    """MindSpore 2.10: grad of 2 * sum(where(c, x, y)) w.r.t. (x, y) is ([2 0 2] in x's dtype, [0 2 0] in y's)."""
    c = Tensor(np.array(COND))
    gx, gy = gs.grad(lambda x, y: ops.where(c, x, y).sum() * 2, grad_position=(0, 1))(
        t([1, 5, 3], xd), t([2, 3, 4], yd))
    assert (gx.dtype, gy.dtype) == (gs.dtype.get(xd), gs.dtype.get(yd))
    np.testing.assert_array_equal(gx.asnumpy(), [2, 0, 2])
    np.testing.assert_array_equal(gy.asnumpy(), [0, 2, 0])


# clamp([1, 5, 3] of x dtype, [2, 2, 2], [4, 4, 4] of bound dtype): [2, 4, 3] in the result dtype
CLAMPS = [("float32", "int32", "float32"), ("int32", "float32", "float32"), ("float32", "float64", "float64"),
          ("float16", "float32", "float32")]


@pytest.mark.parametrize("xd, bd, out", CLAMPS)
def test_clamp_tensor_bounds_promote(fake, xd, bd, out):
    for f in (ops.clamp, mint.clamp, ops.clip):  # (ops.clip is MindSpore 2.10's alias of clamp)
        r = f(t([1, 5, 3], xd), t([2, 2, 2], bd), t([4, 4, 4], bd))
        assert r.dtype == gs.dtype.get(out)
        np.testing.assert_array_equal(r.asnumpy(), [2, 4, 3])


def test_clamp_fractional_tensor_bound_of_an_integer_input(fake):
    """MindSpore 2.10: clamp(int32 [1 5 3], float32 [2.5]*3, float32 [4.5]*3) is Float32 [2.5 4.5 3.] (the bounds
    are not truncated to the input's integers)."""
    r = ops.clamp(t([1, 5, 3], "int32"), t([2.5] * 3, "float32"), t([4.5] * 3, "float32"))
    assert r.dtype == gs.float32
    np.testing.assert_array_equal(r.asnumpy(), [2.5, 4.5, 3])


@pytest.mark.parametrize("xd, vd", [("float32", "float64"), ("float16", "float32"), ("int32", "int64")])
def test_masked_fill_keeps_the_input_dtype(fake, xd, vd):
    """MindSpore 2.10: masked_fill(x [1 5 3], COND, Tensor(7, value dtype)) is [7 5 7] in x's dtype."""
    r = ops.masked_fill(t([1, 5, 3], xd), Tensor(np.array(COND)), Tensor(np.array(7, NP[vd])))
    assert r.dtype == gs.dtype.get(xd)
    np.testing.assert_array_equal(r.asnumpy(), [7, 5, 7])


@pytest.mark.parametrize("xd, vd", [("int32", "float32"), ("float32", "int64"), ("float16", "bool"), ("bool", "int32")])
def test_masked_fill_refuses_a_value_of_another_kind(fake, xd, vd):
    """MindSpore 2.10 (GRAPH_MODE and PyNative) raises TypeError for a value Tensor that is not of x's kind
    (integer / float / bool): int32 x with a float32 value would otherwise be silently truncated."""
    with pytest.raises(TypeError, match="masked_fill"):
        ops.masked_fill(t([1, 5, 3], xd), Tensor(np.array(COND)), Tensor(np.array(7, NP[vd])))


@pytest.mark.parametrize("xd, bd", [("float16", "float32"), ("float32", "float64"), ("int64", "float32")])
def test_clamp_gradients_with_promoted_bounds(fake, xd, bd):
    """MindSpore 2.10: grad of sum(clamp(x [1 5 3], y [2.5]*3, y + 2)) w.r.t. (x, y) is ([0 0 1], [1 1 0]), y's in
    y's dtype. (MindSpore gives x's in the promoted dtype, not x's own; the values are the same, the dtype here is
    x's, as for every other op's cast.)"""
    gx, gy = gs.grad(lambda x, y: ops.clamp(x, y, y + 2).sum(), grad_position=(0, 1))(
        t([1, 5, 3], xd), t([2.5] * 3, bd))
    assert gy.dtype == gs.dtype.get(bd)
    np.testing.assert_array_equal(gx.asnumpy(), [0, 0, 1])
    np.testing.assert_array_equal(gy.asnumpy(), [1, 1, 0])


# Python-number bounds: clamp promotes as with Tensor bounds (a float with an int32 input is float32: torch.clamp
# gives the same, computed below); clip_by_value / hardtanh keep the input's dtype (MindSpore's documentation of
# both: "the same dtype and shape as the input")
@pytest.mark.parametrize("lo, hi", [(2.5, None), (1.5, 3.5), (None, 2.5), (2, 3)])
def test_clamp_number_bounds_promote_as_torch(fake, lo, hi):
    import torch
    x = np.array([1, 2, 3, 4], np.int32)
    want = torch.clamp(torch.from_numpy(x), lo, hi).numpy()
    for f in (ops.clamp, ops.clip, mint.clamp):
        r = f(Tensor(x), lo, hi)
        assert r.asnumpy().dtype == want.dtype, f
        np.testing.assert_array_equal(r.asnumpy(), want)


def test_clip_by_value_and_hardtanh_keep_an_integer_inputs_dtype(fake):
    x = np.array([-3, 1, 2, 3, 4], np.int32)
    want = np.clip(x, 1.5, 3.5).astype(np.int32)  # (the clipped value in x's dtype: [1 1 2 3 3])
    for r in (ops.clip_by_value(Tensor(x), 1.5, 3.5), ops.hardtanh(Tensor(x), 1.5, 3.5),
              mint.nn.functional.hardtanh(Tensor(x), 1.5, 3.5)):
        assert r.asnumpy().dtype == np.int32
        np.testing.assert_array_equal(r.asnumpy(), want)
    f = ops.clip_by_value(Tensor(np.array([0.5, 2.0], np.float16)), Tensor(np.float32(1.0)), 1.5)
    assert f.asnumpy().dtype == np.float16
    np.testing.assert_array_equal(f.asnumpy(), [1.0, 1.5])


def test_nn_hardtanh_is_ops_hardtanh_in_the_inputs_dtype(fake):
    """nn.Hardtanh(min_val, max_val): the input clipped to [min_val, max_val], its dtype kept (MindSpore's
    documentation); values against NumPy's clip."""
    x = np.array([-3.0, -0.5, 0.25, 2.0], np.float32)
    np.testing.assert_array_equal(gs.nn.Hardtanh()(Tensor(x)).asnumpy(), np.clip(x, -1.0, 1.0))
    r = gs.nn.Hardtanh(-1.5, 2.5)(Tensor(np.array([-3, 0, 3], np.int32)))
    assert r.asnumpy().dtype == np.int32
    np.testing.assert_array_equal(r.asnumpy(), np.clip(np.array([-3, 0, 3]), -1.5, 2.5).astype(np.int32))

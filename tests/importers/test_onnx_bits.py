"""ONNX BitShift and BitCast (engine/importers/bits.py) bit for bit against onnx.reference over values the node
tests do not reach: every integer width and sign, amounts from negative to past the width, and floats' edges
(subnormals, signed zeros, infinities, the largest and smallest normals). NonMaxSuppression is refused by name."""
import numpy as np
import pytest

onnx = pytest.importorskip("onnx")
from onnx import helper, numpy_helper  # noqa: E402
from onnx.reference import ReferenceEvaluator  # noqa: E402

from engine import evaluate  # noqa: E402
from engine.importers import UnsupportedModel  # noqa: E402

from .onnx_node_suite import convert  # noqa: E402

INTS = ["int8", "uint8", "int16", "uint16", "int32", "uint32", "int64", "uint64"]


def _model(node, ins, out_dtype, opset):
    t = lambda n, a: helper.make_tensor_value_info(n, helper.np_dtype_to_tensor_dtype(a.dtype), a.shape)  # noqa: E731
    g = helper.make_graph([node], "g", [t(n, a) for n, a in ins],
                          [helper.make_tensor_value_info("z", helper.np_dtype_to_tensor_dtype(np.dtype(out_dtype)),
                                                         None)])
    return helper.make_model(g, opset_imports=[helper.make_opsetid("", opset)])


def _both(model, arrays):
    want = ReferenceEvaluator(model).run(None, dict(zip([i.name for i in model.graph.input], arrays)))[0]
    with np.errstate(all="ignore"):
        got = np.asarray(evaluate(convert(model), *arrays))
    return got, want


@pytest.mark.parametrize("direction", ["LEFT", "RIGHT"])
@pytest.mark.parametrize("dtype", INTS)
def test_bitshift_matches_onnx_reference(dtype, direction):
    info, rng = np.iinfo(dtype), np.random.default_rng(0)
    bits = info.bits
    x = np.concatenate([np.array([info.min, info.max, 0, 1, -1 if info.min else 2], dtype),
                        rng.integers(info.min, info.max, 27, dtype=dtype, endpoint=True)])
    s = np.resize(np.array(list(range(bits + 2)) + ([-1, -bits, info.max] if info.min else [info.max]), dtype),
                  x.shape)
    node = helper.make_node("BitShift", ["x", "s"], ["z"], direction=direction)
    got, want = _both(_model(node, [("x", x), ("s", s)], dtype, 28), [x, s])
    assert got.dtype == want.dtype and np.array_equal(got, want), (x[got != want], s[got != want])
    # a broadcast amount (one per row)
    xs, ss = x[:30].reshape(6, 5), s[:6].reshape(6, 1) % bits
    got, want = _both(_model(node, [("x", xs), ("s", ss)], dtype, 28), [xs, ss])
    assert np.array_equal(got, want)


def _float_edges(dtype):
    fi = np.finfo(dtype)
    v = [0.0, -0.0, np.inf, -np.inf, fi.max, -fi.max, fi.tiny, -fi.tiny, fi.smallest_subnormal,
         -fi.smallest_subnormal, fi.tiny - fi.smallest_subnormal, fi.eps, 1.0, -2.5, 3.75, 1 / 3, 1e-3]
    rng = np.random.default_rng(1)
    with np.errstate(over="ignore"):  # float16 overflows to inf: one more edge
        spread = (rng.standard_normal(40) * 10.0 ** rng.integers(-6, 6, 40)).astype(dtype)
    return np.concatenate([np.array(v, dtype), spread,
                           rng.integers(0, 2 ** (8 * fi.bits // 8) - 1, 40, dtype=f"u{fi.bits // 8}", endpoint=True)
                           .view(dtype)])


@pytest.mark.parametrize("fdt,idt", [("float16", "int16"), ("float32", "int32"), ("float32", "uint32"),
                                     ("float64", "int64"), ("float64", "uint64")])
def test_bitcast_floats_and_integers_match_onnx_reference(fdt, idt):
    f = _float_edges(fdt)
    f = f[~np.isnan(f)]  # a NaN's sign and payload: below
    to_int = helper.make_node("BitCast", ["x"], ["z"], to=helper.np_dtype_to_tensor_dtype(np.dtype(idt)))
    got, want = _both(_model(to_int, [("x", f)], idt, 26), [f])
    assert got.dtype == want.dtype and np.array_equal(got, want), (f[got != want], got[got != want])
    i = want  # and back: every pattern of a finite or infinite float
    to_float = helper.make_node("BitCast", ["x"], ["z"], to=helper.np_dtype_to_tensor_dtype(np.dtype(fdt)))
    got, want = _both(_model(to_float, [("x", i)], fdt, 26), [i])
    assert np.array_equal(got.view(idt), want.view(idt))


def test_bitcast_of_a_nan_gives_the_canonical_quiet_nan():
    """Arithmetic cannot read a NaN's sign or payload: every NaN becomes np.nan's pattern (documented)."""
    f = np.array([np.nan, 1.0], np.float32)
    node = helper.make_node("BitCast", ["x"], ["z"], to=onnx.TensorProto.INT32)
    got, _ = _both(_model(node, [("x", f)], "int32", 26), [f])
    assert got.tolist() == [0x7FC00000, 0x3F800000]


def test_bitcast_refuses_other_widths_and_nms_is_refused_by_name():
    x = np.zeros(3, np.float32)
    bad = _model(helper.make_node("BitCast", ["x"], ["z"], to=onnx.TensorProto.INT64), [("x", x)], "int64", 26)
    with pytest.raises(UnsupportedModel, match="BitCast.*same width"):
        convert(bad)
    b, s = np.zeros((1, 2, 4), np.float32), np.zeros((1, 1, 2), np.float32)
    nms = _model(helper.make_node("NonMaxSuppression", ["b", "s"], ["z"]), [("b", b), ("s", s)], "int64", 11)
    with pytest.raises(UnsupportedModel, match="NonMaxSuppression.*depends on the values"):
        convert(nms)

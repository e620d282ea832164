"""ONNX ops rounds 1-7 left refused: integer Div of run-time tensors (truncates toward zero), dilated
AveragePool, BatchNormalization with training_mode=1 (batch statistics, running-statistics outputs),
QuantizeLinear / DequantizeLinear (int8 / uint8, per-tensor and per-axis, the QDQ form) and Unique of a
constant. Values against onnx.reference; gradients against a central difference (check_graph) or PyTorch."""
import numpy as np
import pytest
import torch
from onnx import TensorProto, helper, numpy_helper
from onnx.reference import ReferenceEvaluator

from engine import evaluate, vjp

from .test_onnx_helper_graphs import _convert, check_graph, x

N = helper.make_node
R = np.random.default_rng(3)


def _typed_model(nodes, inputs: dict, inits: dict, outs, opset):
    """A model whose inputs keep their NumPy dtypes (the helper graphs' builder declares floats)."""
    vi = [helper.make_tensor_value_info(k, helper.np_dtype_to_tensor_dtype(v.dtype), list(v.shape))
          for k, v in inputs.items()]
    init = [numpy_helper.from_array(v, k) for k, v in inits.items()]
    g = helper.make_graph(nodes, "g", vi, [helper.make_tensor_value_info(o, TensorProto.UNDEFINED, None) for o in outs],
                          initializer=init)
    return helper.make_model(g, opset_imports=[helper.make_opsetid("", opset)])


def _run_both(nodes, inputs, inits, outs, opset):
    m = _typed_model(nodes, inputs, inits, outs, opset)
    got = evaluate(_convert(m), *inputs.values())
    return (got if isinstance(got, tuple) else (got,)), ReferenceEvaluator(m).run(None, inputs)


@pytest.mark.parametrize("dt", [np.int32, np.int64])
def test_integer_div_of_run_time_tensors_truncates_toward_zero(dt):
    a = np.array([7, -7, 7, -7, 6, -6, 0, 123456789, -5, 1], dt)
    b = np.array([2, 2, -2, -2, 3, -3, 5, 1000, 7, -9], dt)
    (got,), (want,) = _run_both([N("Div", ["a", "b"], ["y"])], {"a": a, "b": b}, {}, ["y"], 14)
    assert got.dtype == want.dtype and np.array_equal(got, want), (got, want)
    assert not np.array_equal(want, a // b)  # the cases where floor and truncation differ are here


def test_integer_div_of_int64_past_two_to_the_53_is_exact():
    """Through float64 alone the quotient rounds: (2^62 + 1) / 1 gave 2^62. Expected: Python's exact integers,
    truncated toward zero (onnx.reference divides in float64 as well)."""
    a = np.array([2 ** 62 + 1, -(2 ** 62 + 1), 2 ** 63 - 1, -(2 ** 63) + 1, 9007199254740993, -7, 5, 2 ** 62], np.int64)
    b = np.array([1, 3, -2, 7, -1, 2, -(2 ** 62), -(2 ** 62) - 3], np.int64)
    g = _convert(_typed_model([N("Div", ["a", "b"], ["y"])], {"a": a, "b": b}, {}, ["y"], 14))
    want = [abs(int(p)) // abs(int(q)) * (1 if (p < 0) == (q < 0) else -1) for p, q in zip(a, b)]
    assert evaluate(g, a, b).tolist() == want


@pytest.mark.parametrize("v", [2 ** 62 + 1, 2 ** 63 - 1, -(2 ** 63), -(2 ** 53) - 1])
def test_a_uniform_integer_constant_past_two_to_the_53_is_kept_exactly(v):
    """An initializer of one repeated value is a fill, whose value travels as a float: 2^62 + 1 became 2^62 (off
    by one, silently) and 2^63 - 1 failed the import; such values must stay a constant."""
    a = np.array([1, -2], np.int64)
    (got,), (want,) = _run_both([N("Add", ["a", "c"], ["y"])], {"a": a}, {"c": np.full(2, v, np.int64)}, ["y"], 17)
    with np.errstate(over="ignore"):
        wrapped = (a + np.full(2, v, np.int64)).tolist()  # (2^63 - 1 + 1 wraps, in onnx.reference too)
    assert got.dtype == np.int64 and got.tolist() == want.tolist() == wrapped


POOLS = {
    "avgpool dilated 19": dict(kernel_shape=[2, 3], dilations=[2, 1]),
    "avgpool dilated strided pads exclude pad 19": dict(kernel_shape=[3, 2], dilations=[2, 2], strides=[2, 1],
                                                        pads=[1, 1, 2, 0]),
    "avgpool dilated ceil include pad 19": dict(kernel_shape=[2, 2], dilations=[2, 3], strides=[2, 2], pads=[1, 0, 0, 1],
                                                ceil_mode=1, count_include_pad=1),
}


@pytest.mark.parametrize("dt", [np.int64, np.uint64])
def test_clip_of_64_bit_integers_by_constant_bounds_past_two_to_the_53_is_exact(dt):
    """Clip's constant bounds went through the engine's clip op as floats: a uint64 clipped at 2^63 - 1 came out
    2^63 (an int64's bound 2^62 + 1, 2^62)."""
    info = np.iinfo(dt)
    a = np.array([info.max, info.min, 2 ** 62 + 7, 2 ** 62, 5, 2 ** 53 + 1], dt)
    lo, hi = np.array(3 if dt == np.uint64 else -(2 ** 62) - 1, dt), np.array(2 ** 62 + 1, dt)
    (got,), (want,) = _run_both([N("Clip", ["a", "lo", "hi"], ["y"])], {"a": a}, {"lo": lo, "hi": hi}, ["y"], 13)
    assert got.dtype == want.dtype and np.array_equal(got, want), (got, want)


@pytest.mark.parametrize("dt,v", [(np.int64, 2 ** 62 + 1), (np.int64, -(2 ** 53) - 1), (np.uint64, 2 ** 64 - 1)])
def test_pad_of_64_bit_integers_by_a_constant_past_two_to_the_53_is_exact(dt, v):
    """Pad's constant value travelled as a float: 2^62 + 1 padded as 2^62, uint64's maximum was refused."""
    a = np.array([1, 2, 3], dt)
    (got,), (want,) = _run_both([N("Pad", ["a", "p", "v"], ["y"], mode="constant")], {"a": a},
                                {"p": np.array([1, 2], np.int64), "v": np.array(v, dt)}, ["y"], 18)
    assert got.dtype == want.dtype and np.array_equal(got, want), (got, want)


@pytest.mark.parametrize("dt", [np.uint8, np.uint16, np.uint32, np.uint64, np.int8, np.int32])
def test_bitwise_not_of_unsigned_and_signed_integers(dt):
    a = np.array([0, 1, 5, np.iinfo(dt).max, np.iinfo(dt).min], dt)
    (got,), (want,) = _run_both([N("BitwiseNot", ["a"], ["y"])], {"a": a}, {}, ["y"], 18)
    assert got.dtype == want.dtype and np.array_equal(got, want), (got, want)


@pytest.mark.parametrize("name", list(POOLS))
def test_dilated_average_pool(name):
    check_graph(name, [N("AveragePool", ["x"], ["y"], **POOLS[name])], {"x": x(1, 2, 7, 6)}, None, 19)


def test_batch_norm_training_mode_batch_statistics_and_running_outputs():
    """Outputs vs onnx.reference; Y's gradients w.r.t. x, scale and bias vs torch's train-mode batch_norm."""
    xs, sc, bi = x(4, 3, 5, 2), x(3), x(3)
    mean, var = x(3), np.abs(x(3)) + 0.5
    nodes = [N("BatchNormalization", ["x", "s", "b", "m", "v"], ["y", "rm", "rv"], training_mode=1, momentum=0.8,
               epsilon=1e-3)]
    m = _typed_model(nodes, {"x": xs}, {"s": sc, "b": bi, "m": mean, "v": var}, ["y", "rm", "rv"], 15)
    g = _convert(m)
    got = evaluate(g, xs)
    for a, b in zip(got, ReferenceEvaluator(m).run(None, {"x": xs})):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)
    ct = x(*xs.shape)
    _, grads = evaluate(vjp(g), xs, ct, np.zeros(3, np.float32), np.zeros(3, np.float32))
    xt, st, bt = (torch.tensor(v, requires_grad=True) for v in (xs, sc, bi))
    yt = torch.nn.functional.batch_norm(xt, None, None, st, bt, training=True, eps=1e-3)
    want = torch.autograd.grad(yt, [xt], torch.tensor(ct))
    np.testing.assert_allclose(grads[0], want[0].numpy(), rtol=1e-3, atol=1e-4)


def _qdq(q_type):
    """x -> QuantizeLinear (per-tensor) -> DequantizeLinear -> Conv with int8 per-output-channel weights
    dequantized: the QDQ form onnxruntime's quantize_static writes."""
    zp = np.array(3 if q_type == np.uint8 else -2, q_type)
    wq = R.integers(-127, 128, (4, 2, 3, 3)).astype(np.int8)
    inits = {"xs": np.array(0.02, np.float32), "xz": zp, "wq": wq, "ws": (R.random(4) * 0.01 + 0.005).astype(np.float32),
             "wz": np.zeros(4, np.int8)}
    nodes = [N("QuantizeLinear", ["x", "xs", "xz"], ["xq"]), N("DequantizeLinear", ["xq", "xs", "xz"], ["xd"]),
             N("DequantizeLinear", ["wq", "ws", "wz"], ["wd"], axis=0), N("Conv", ["xd", "wd"], ["y"], pads=[1, 1, 1, 1])]
    return nodes, inits


@pytest.mark.parametrize("q_type", [np.uint8, np.int8])
def test_qdq_model_values(q_type):
    nodes, inits = _qdq(q_type)
    xs = (x(1, 2, 5, 5) * 4).astype(np.float32)  # past the int8 / uint8 ranges at 0.02: saturation is exercised
    m = _typed_model(nodes, {"x": xs}, inits, ["xq", "y"], 19)
    got = evaluate(_convert(m), xs)
    want = ReferenceEvaluator(m).run(None, {"x": xs})
    np.testing.assert_array_equal(got[0], want[0].astype(np.int32))  # carried as int32
    assert want[0].min() == np.iinfo(q_type).min and want[0].max() == np.iinfo(q_type).max
    np.testing.assert_allclose(got[1], want[1], rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("x_type, q_type", [(np.float16, np.int16), (np.float16, np.uint16), (np.float32, np.int32)])
def test_quantize_saturates_where_the_bounds_round_in_the_input_dtype(x_type, q_type):
    """The type's bounds are not all values of x's dtype (int16's 32767 is 32768 in float16, int32's 2^31 - 1 is
    2^31 in float32): saturation in that dtype gave 32768 as an int16, and 1e10 as an int32 wrapped to -2^31.
    Expected: the spec's saturate(round(x / scale) + zero_point), by hand (onnx.reference wraps these too)."""
    info = np.iinfo(q_type)
    xs = np.array([4e4, -4e4, 6e4, 2.5, -3.5], x_type) if x_type == np.float16 else \
        np.array([1e10, -1e10, 3e9, 2.5, -3.5], x_type)
    m = _typed_model([N("QuantizeLinear", ["x", "s", "z"], ["y"])], {"x": xs},
                     {"s": np.array(1.0, x_type), "z": np.array(1, q_type)}, ["y"], 21)
    got = np.asarray(evaluate(_convert(m), xs)).astype(np.int64)
    want = np.clip(np.rint(xs.astype(np.float64)) + 1, info.min, info.max).astype(np.int64)
    np.testing.assert_array_equal(got, want)


def test_dequantize_per_axis_gradient_wrt_scale():
    """(q - zp) * scale: d/dscale is q - zp summed over the rest (a central difference)."""
    q = R.integers(0, 255, (3, 4)).astype(np.uint8)
    s = x(4)
    m = _typed_model([N("DequantizeLinear", ["q", "s", "z"], ["y"], axis=1)], {"s": s},
                     {"q": q, "z": np.array([0, 128, 7, 255], np.uint8)}, ["y"], 19)
    g = _convert(m)
    np.testing.assert_allclose(evaluate(g, s), ReferenceEvaluator(m).run(None, {"s": s})[0], rtol=1e-6)
    ct = x(3, 4)
    _, (gs,) = evaluate(vjp(g), s, ct)
    np.testing.assert_allclose(gs, ((q.astype(np.float64) - [0, 128, 7, 255]) * ct).sum(0), rtol=1e-5)


@pytest.mark.parametrize("attrs", [{}, {"sorted": 0}, {"axis": 0, "sorted": 1}])
def test_unique_of_a_constant_is_folded(attrs):
    c = np.array([[2.0, 1.0], [0.5, 1.0], [2.0, 1.0], [-1.0, 3.0]], np.float32)
    c = c if "axis" in attrs else c.reshape(-1)  # onnx.reference takes flat indices along axis 0 of a 2-d input
    outs = ["u", "i", "inv", "n"]
    nodes = [N("Unique", ["c"], outs, **attrs), N("Cast", ["i"], ["fi"], to=TensorProto.FLOAT),
             N("ReduceSum", ["u"], ["su"], keepdims=0), N("Mul", ["x", "su"], ["y"])]
    xs = x(3)
    got, want = _run_both(nodes, {"x": xs}, {"c": c}, ["u", "i", "inv", "n", "y"], 11)
    for a, b in zip(got, want):
        np.testing.assert_allclose(a, b)


def test_unique_of_a_run_time_tensor_is_refused_naming_why():
    from engine.importers import UnsupportedModel

    m = _typed_model([N("Unique", ["x"], ["u"], name="uq")], {"x": x(5)}, {}, ["u"], 11)
    with pytest.raises(UnsupportedModel, match=r"op Unique \(node 'uq', opset 11\): input 'x' must be a constant here \(Unique's output shape depends"):
        _convert(m)

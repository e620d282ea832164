"""Round 10: ONNX quantisation at opsets 19-21 (float8 e4m3fn / e5m2 and their fnuz forms, int4 / uint4
weights, blocked scales and zero points): each graph's value against onnx.reference, and the gradient w.r.t.
the float scale (a weight of the imported model) against a central difference of onnx.reference's loss."""
import numpy as np
import pytest
from onnx import TensorProto as T, helper, numpy_helper
from onnx.reference import ReferenceEvaluator

import gradserve as gs
from gradserve import Tensor, ops

N = helper.make_node
R = np.random.default_rng(3)


def _model(nodes, x, inits, out_type=T.FLOAT, opset=21):
    g = helper.make_graph(nodes, "q", [helper.make_tensor_value_info("x", T.FLOAT, list(x.shape))],
                          [helper.make_tensor_value_info("y", out_type, None)], initializer=inits)
    return helper.make_model(g, opset_imports=[helper.make_opsetid("", opset)])


def _t(name, dt, values):
    values = np.asarray(values)
    return helper.make_tensor(name, dt, list(values.shape), values.reshape(-1).tolist())


def _reference(m, x):
    return np.asarray(ReferenceEvaluator(m).run(None, {"x": x})[0]).astype(np.float32)


def _weight_qdq(kind):
    """A quantised weight initializer dequantised into a MatMul: (nodes, initializers, scale name)."""
    if kind == "int4 blocked axis 0":  # [8, 4] int4, blocks of 3 rows (the last block short), int4 zero points
        q, s = R.integers(-8, 8, (8, 4)), R.uniform(0.05, 0.2, (3, 4)).astype(np.float32)
        inits = [_t("wq", T.INT4, q), _t("s", T.FLOAT, s), _t("zp", T.INT4, R.integers(-2, 3, (3, 4)))]
        return [N("DequantizeLinear", ["wq", "s", "zp"], ["w"], axis=0, block_size=3)], inits
    if kind == "uint4 blocked axis 1":
        q, s = R.integers(0, 16, (8, 4)), R.uniform(0.05, 0.2, (8, 2)).astype(np.float32)
        inits = [_t("wq", T.UINT4, q), _t("s", T.FLOAT, s), _t("zp", T.UINT4, R.integers(6, 10, (8, 2)))]
        return [N("DequantizeLinear", ["wq", "s", "zp"], ["w"], axis=1, block_size=2)], inits
    if kind == "uint4 per axis":
        q, s = R.integers(0, 16, (8, 4)), R.uniform(0.05, 0.2, (4,)).astype(np.float32)
        inits = [_t("wq", T.UINT4, q), _t("s", T.FLOAT, s), _t("zp", T.UINT4, [8, 7, 8, 9])]
        return [N("DequantizeLinear", ["wq", "s", "zp"], ["w"], axis=1)], inits
    dt = {"float8 e4m3fn per axis": T.FLOAT8E4M3FN, "float8 e5m2 per tensor": T.FLOAT8E5M2,
          "float8 e4m3fnuz blocked": T.FLOAT8E4M3FNUZ}[kind]
    w = (R.standard_normal((8, 4)) * 3).astype(np.float32)
    if kind.endswith("per axis"):
        s, attrs = R.uniform(0.05, 0.2, (4,)).astype(np.float32), {"axis": 1}
    elif kind.endswith("per tensor"):
        s, attrs = np.float32(0.1), {}
    else:
        s, attrs = R.uniform(0.05, 0.2, (2, 4)).astype(np.float32), {"axis": 0, "block_size": 4}
    inits = [helper.make_tensor("wq", dt, [8, 4], w.reshape(-1).tolist()), _t("s", T.FLOAT, s)]
    return [N("DequantizeLinear", ["wq", "s"], ["w"], **attrs)], inits


@pytest.mark.parametrize("kind", ["int4 blocked axis 0", "uint4 blocked axis 1", "uint4 per axis",
                                  "float8 e4m3fn per axis", "float8 e5m2 per tensor", "float8 e4m3fnuz blocked"])
def test_quantised_weight_matmul_value_and_scale_gradient(fake, kind):
    nodes, inits = _weight_qdq(kind)
    x = R.standard_normal((3, 8)).astype(np.float32)
    m = _model(nodes + [N("MatMul", ["x", "w"], ["y"])], x, inits)
    net = gs.from_onnx(m.SerializeToString())
    want = _reference(m, x)
    np.testing.assert_allclose(net(Tensor(x)).asnumpy(), want, rtol=1e-5, atol=1e-6)
    s = numpy_helper.to_array(next(i for i in inits if i.name == "s")).astype(np.float64)
    # quantised storage is not a weight; the scale is (a 0-d one is a constant, as every 0-d initializer)
    assert [p.name for p in net.trainable_params()] == (["s"] if s.ndim else [])
    if not s.ndim:
        return
    c = R.standard_normal(want.shape).astype(np.float32)
    got = ops.grad(lambda t: (net(t) * Tensor(c)).sum(), grad_position=None, weights=net.trainable_params())(
        Tensor(x))[0].asnumpy()
    fd = np.zeros(s.shape)
    for idx in np.ndindex(*s.shape):
        vals = []
        for h in (1e-3, -1e-3):
            sp = s.copy()
            sp[idx] += h
            mp = _model(nodes + [N("MatMul", ["x", "w"], ["y"])], x,
                        [i for i in inits if i.name != "s"] + [_t("s", T.FLOAT, sp.astype(np.float32))])
            vals.append(float((_reference(mp, x).astype(np.float64) * c).sum()))
        fd[idx] = (vals[0] - vals[1]) / 2e-3
    np.testing.assert_allclose(got, fd, rtol=2e-3, atol=2e-3)


# x / scale at the float8 grid's edges: ties (to even), the largest finite value and past it, subnormals
_EDGES = np.array([1.0625, 1.1875, -1.0625, 460.0, 470.0, -500.0, 0.001, 2.0 ** -10, 3 * 2.0 ** -10, 0.0,
                   57344.0, 61440.0, 1e5, -3.3, 0.3, 15.5, 2.0 ** -16, 2.0 ** -17, np.inf, -np.inf], np.float32)


@pytest.mark.parametrize("dt,saturate", [(T.FLOAT8E4M3FN, 1), (T.FLOAT8E5M2, 1), (T.FLOAT8E5M2, 0),
                                         (T.FLOAT8E4M3FN, 0), (T.FLOAT8E4M3FNUZ, 1), (T.FLOAT8E5M2FNUZ, 1)])
def test_quantize_to_float8_rounds_and_saturates_as_onnx_reference(dt, saturate):
    from engine import evaluate

    from .test_onnx_helper_graphs import _convert

    x = np.concatenate([_EDGES, (R.standard_normal(30) * 50).astype(np.float32)])[None]
    nodes = [N("QuantizeLinear", ["x", "s", "z"], ["q"], saturate=saturate),
             N("DequantizeLinear", ["q", "s", "z"], ["y"])]
    inits = [_t("s", T.FLOAT, np.float32(1.0)), helper.make_tensor("z", dt, [], [0.0])]
    m = _model(nodes, x, inits, opset=19)
    # the engine itself (not the SDK): JSON carries no nan / inf, which overflow without saturation gives
    np.testing.assert_array_equal(np.asarray(evaluate(_convert(m), x)), _reference(m, x))
    q_only = _model(nodes[:1], x, inits, out_type=dt, opset=19)
    q_only.graph.output[0].name = "q"
    np.testing.assert_array_equal(np.asarray(evaluate(_convert(q_only), x)), _reference(q_only, x))


def test_float8_fake_quantisation_gradient_is_zero_where_saturated(fake):
    # Q -> DQ to float8 with saturate=1: the straight-through gradient is 1 where x / scale rounds inside the
    # type's finite range and 0 where it saturates (the integer types' rule, torch's fake_quantize backward)
    x = np.array([[1.0, -3.0, 400.0, 460.0, 470.0, -1000.0, 5e4]], np.float32)
    nodes = [N("QuantizeLinear", ["x", "s", "z"], ["q"], saturate=1), N("DequantizeLinear", ["q", "s", "z"], ["y"])]
    inits = [_t("s", T.FLOAT, np.float32(1.0)), helper.make_tensor("z", T.FLOAT8E4M3FN, [], [0.0])]
    net = gs.from_onnx(_model(nodes, x, inits, opset=19).SerializeToString())
    g = ops.grad(lambda t: net(t).sum())(Tensor(x)).asnumpy()
    # e4m3fn's largest finite value is 448: 460 rounds to it (inside), 470 rounds to 480 (saturated)
    np.testing.assert_array_equal(g, [[1, 1, 1, 1, 0, 0, 0]])


@pytest.mark.parametrize("dt", [T.INT4, T.UINT4])
def test_quantize_blocked_int4_then_dequantize_as_onnx_reference(fake, dt):
    x = (R.standard_normal((4, 6)) * 3).astype(np.float32)
    zp = R.integers(-2, 3, (2, 6)) if dt == T.INT4 else R.integers(6, 10, (2, 6))
    inits = [_t("s", T.FLOAT, R.uniform(0.2, 0.6, (2, 6)).astype(np.float32)), _t("z", dt, zp)]
    nodes = [N("QuantizeLinear", ["x", "s", "z"], ["q"], axis=0, block_size=2),
             N("DequantizeLinear", ["q", "s", "z"], ["y"], axis=0, block_size=2)]
    m = _model(nodes, x, inits)
    net = gs.from_onnx(m.SerializeToString())
    np.testing.assert_allclose(net(Tensor(x)).asnumpy(), _reference(m, x), rtol=1e-6, atol=1e-7)
    # Q -> DQ with one scale is fake quantisation: the straight-through gradient, 1 inside the type's range
    q = np.rint(x / np.repeat(numpy_helper.to_array(inits[0]), 2, 0)) + np.repeat(zp, 2, 0)
    lo, hi = (-8, 7) if dt == T.INT4 else (0, 15)
    g = ops.grad(lambda t: net(t).sum())(Tensor(x)).asnumpy()
    np.testing.assert_array_equal(g, ((q >= lo) & (q <= hi)).astype(np.float32))


def test_blocked_scale_of_the_wrong_shape_is_refused(fake):
    from gradserve.importers import UnsupportedModel

    x = R.standard_normal((4, 6)).astype(np.float32)
    inits = [_t("s", T.FLOAT, np.ones((3, 6), np.float32))]
    m = _model([N("QuantizeLinear", ["x", "s"], ["y"], axis=0, block_size=2)], x, inits, out_type=T.UINT8)
    with pytest.raises(UnsupportedModel, match=r"blocked quantization: scale / zero point of shape \[3, 6\], "
                                               r"want \[2, 6\]"):
        gs.from_onnx(m.SerializeToString())

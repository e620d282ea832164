"""ONNX Resize coordinate_transformation_mode=tf_crop_and_resize (roi, extrapolation_value) against
onnx.reference (the value, and the vjp against the reference's own Jacobian: the op is affine in its input),
and ScatterND reduction mul / max / min (opsets 16 / 18) against onnx.reference and torch.scatter_reduce's
gradients."""
import numpy as np
import pytest
import torch
from onnx import TensorProto, helper, numpy_helper
from onnx.reference import ReferenceEvaluator

from engine import evaluate, vjp
from engine.importers import onnx_to_graph
from engine.serialize import graph_from_json, tensor_to_json

RNG = np.random.default_rng(17)
F = TensorProto.FLOAT


def _model(node, inputs, inits, opset):
    g = helper.make_graph([node], "g", inputs, [helper.make_tensor_value_info("y", F, None)], initializer=inits)
    return helper.make_model(g, opset_imports=[helper.make_opsetid("", opset)])


def _convert(m):
    return graph_from_json(onnx_to_graph(m.SerializeToString(), encode=lambda a: tensor_to_json(a, b64=True)))


@pytest.mark.parametrize("mode,roi,sizes,fill", [
    ("linear", [0.2, 0.1, 0.9, 0.8], [3, 4], 0.0),
    ("linear", [-0.2, 0.3, 0.7, 1.3], [4, 5], 7.5),  # the crop reaches outside: extrapolated
    ("nearest", [0.0, -0.1, 0.6, 0.95], [5, 3], -2.0),  # (no output exactly on the edge: float rounding)
    ("cubic", [0.1, 0.2, 0.8, 0.9], [4, 4], 0.0),
])
def test_tf_crop_and_resize_matches_the_onnx_reference(mode, roi, sizes, fill):
    shape = (1, 2, 6, 7)
    node = helper.make_node("Resize", ["x", "roi", "", "sizes"], ["y"], mode=mode, axes=[2, 3],
                            coordinate_transformation_mode="tf_crop_and_resize", extrapolation_value=fill)
    inits = [numpy_helper.from_array(np.array(roi, np.float32), "roi"),
             numpy_helper.from_array(np.array(sizes, np.int64), "sizes")]
    m = _model(node, [helper.make_tensor_value_info("x", F, shape)], inits, 18)
    ref = ReferenceEvaluator(m)
    x = RNG.standard_normal(shape).astype(np.float32)
    want = ref.run(None, {"x": x})[0]
    g = _convert(m)
    np.testing.assert_allclose(np.asarray(evaluate(g, x)), want, rtol=1e-5, atol=1e-5)
    # the Jacobian column of input k: the reference's response to a unit input there, less its constant part
    base = ref.run(None, {"x": np.zeros(shape, np.float32)})[0]
    jac = np.stack([(ref.run(None, {"x": e.reshape(shape).astype(np.float32)})[0] - base).reshape(-1)
                    for e in np.eye(x.size)], 1)
    ct = RNG.standard_normal(want.shape).astype(np.float32)
    _, (gx,) = evaluate(vjp(g), x, ct)
    np.testing.assert_allclose(np.asarray(gx).reshape(-1), ct.reshape(-1) @ jac, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("reduction,torch_reduce", [("mul", "prod"), ("max", "amax"), ("min", "amin")])
def test_scatternd_reductions_match_the_reference_and_torch_gradients(reduction, torch_reduce):
    data = RNG.uniform(0.5, 1.5, (4, 5)).astype(np.float32)
    idx = np.array([[0, 1], [2, 3], [0, 1], [3, 4]], np.int64)  # (0, 1) twice: both updates combine there
    upd = RNG.uniform(0.5, 1.5, 4).astype(np.float32)
    node = helper.make_node("ScatterND", ["x", "idx", "u"], ["y"], reduction=reduction)
    m = _model(node, [helper.make_tensor_value_info("x", F, data.shape), helper.make_tensor_value_info("u", F, [4])],
               [numpy_helper.from_array(idx, "idx")], 18)
    want = ReferenceEvaluator(m).run(None, {"x": data, "u": upd})[0]
    g = _convert(m)
    np.testing.assert_allclose(np.asarray(evaluate(g, data, upd)), want, rtol=1e-6)
    tx, tu = (torch.tensor(a, dtype=torch.float64, requires_grad=True) for a in (data, upd))
    flat = torch.tensor(idx[:, 0] * 5 + idx[:, 1])
    y = tx.reshape(-1).scatter_reduce(0, flat, tu, torch_reduce, include_self=True).reshape(4, 5)
    np.testing.assert_allclose(y.detach().numpy(), want, rtol=1e-6)
    ct = RNG.standard_normal(want.shape).astype(np.float32)
    gx_want, gu_want = torch.autograd.grad(y, [tx, tu], [torch.tensor(ct, dtype=torch.float64)])
    _, (gx, gu) = evaluate(vjp(g), data, upd, ct)
    np.testing.assert_allclose(np.asarray(gx), gx_want.numpy(), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(np.asarray(gu), gu_want.numpy(), rtol=1e-5, atol=1e-6)

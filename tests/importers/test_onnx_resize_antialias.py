"""ONNX Resize antialias=1 (opset 18: the linear / cubic kernel stretched by 1 / scale when downscaling),
keep_aspect_ratio_policy and half_pixel_symmetric coordinates against onnx.reference: the value, and the vjp against the reference's own Jacobian (Resize is linear in its input, so
the reference's response to each unit input is a column of it)."""
import numpy as np
import pytest
from onnx import TensorProto, helper
from onnx.reference import ReferenceEvaluator

from engine import evaluate, vjp
from engine.importers import onnx_to_graph
from engine.serialize import graph_from_json, tensor_to_json

SHAPE = (1, 2, 9, 11)


def _resize_model(mode, exclude_outside, coord, scales=None, sizes=None, **extra):
    inits = [helper.make_tensor("roi", TensorProto.FLOAT, [0], [])]
    if scales is not None:
        inits.append(helper.make_tensor("scales", TensorProto.FLOAT, [4], scales))
        names = ["x", "roi", "scales"]
    else:
        inits.append(helper.make_tensor("sizes", TensorProto.INT64, [4], sizes))
        names = ["x", "roi", "", "sizes"]
    attrs = {"antialias": 1, **extra}
    node = helper.make_node("Resize", names, ["y"], mode=mode, exclude_outside=exclude_outside,
                            coordinate_transformation_mode=coord, **attrs)
    g = helper.make_graph([node], "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, list(SHAPE))],
                          [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)], initializer=inits)
    return helper.make_model(g, opset_imports=[helper.make_opsetid("", 18)])


CASES = [("linear", 0, "half_pixel", [1, 1, 0.5, 0.37], None),
         ("linear", 1, "pytorch_half_pixel", None, [1, 2, 4, 3]),
         ("linear", 0, "align_corners", None, [1, 2, 5, 4]),
         ("cubic", 0, "half_pixel", [1, 1, 0.6, 0.25], None),
         ("cubic", 1, "asymmetric", None, [1, 2, 3, 7]),
         ("linear", 0, "half_pixel", [1, 1, 1.5, 0.5], None),  # up one axis (no stretch), down the other
         ("cubic", 0, "half_pixel", [1, 1, 2.0, 1.0], None),  # upscaling: plain cubic, taps normalised
         # without antialias: one scale for both axes from the sizes (the smaller / larger), and
         # half_pixel_symmetric coordinates (an output length rounded down is centred)
         ("linear", 0, "half_pixel", None, [1, 2, 5, 3], {"antialias": 0, "keep_aspect_ratio_policy": "not_larger"}),
         ("nearest", 0, "asymmetric", None, [1, 2, 5, 3], {"antialias": 0, "keep_aspect_ratio_policy": "not_smaller"}),
         ("linear", 0, "half_pixel_symmetric", [1, 1, 0.7, 1.3], None, {"antialias": 0}),
         ("cubic", 0, "half_pixel_symmetric", [1, 1, 0.45, 0.6], None)]


@pytest.mark.parametrize("case", CASES)
def test_resize_matches_the_onnx_reference(case):
    m = _resize_model(*case[:5], **(case[5] if len(case) > 5 else {}))
    ref = ReferenceEvaluator(m)
    rng = np.random.default_rng(0)
    x = rng.standard_normal(SHAPE).astype(np.float32)
    want = ref.run(None, {"x": x})[0]
    g = graph_from_json(onnx_to_graph(m.SerializeToString(), encode=lambda a: tensor_to_json(a, b64=True)))
    got = np.asarray(evaluate(g, x))
    assert got.shape == want.shape
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)

    cols = []
    for j in range(x.size):  # the reference's Jacobian, one unit input at a time
        e = np.zeros(x.size, np.float32)
        e[j] = 1.0
        cols.append(ref.run(None, {"x": e.reshape(SHAPE)})[0].reshape(-1))
    jac = np.stack(cols, 1)
    v = rng.standard_normal(want.shape).astype(np.float32)
    _, (ct,) = evaluate(vjp(g), x, v)
    np.testing.assert_allclose(np.asarray(ct).reshape(-1), jac.T @ v.reshape(-1), rtol=1e-5, atol=1e-5)

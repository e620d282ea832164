"""timm's "same" padding as the TorchScript exporter writes it (tf_efficientnetv2's conv_stem): the pad amounts
computed from the input's Shape through Ceil and Clip, which the importer folds to constants (it refused the Pad
as data-dependent before). Forward against onnx.reference; the vjp is the interior of the cotangent."""
import numpy as np
from onnx import TensorProto, helper, numpy_helper
from onnx.reference import ReferenceEvaluator

from engine import evaluate, vjp
from engine.importers import onnx_to_graph
from engine.serialize import graph_from_json, tensor_to_json

N = helper.make_node


def _c(name, v):
    return N("Constant", [], [name], value=numpy_helper.from_array(np.asarray(v), name))


def _same_pad_model(opset: int):
    """pad = clip((ceil(n / 2) - 1) * 2 + 3 - n, 0) along H (stride 2, kernel 3); Clip's bounds as inputs (opset
    11+: min only, max absent) or attributes (opset 6)."""
    clip = (N("Clip", ["e"], ["p"], min=0.0) if opset < 11 else N("Clip", ["e", "zero", ""], ["p"]))
    nodes = [N("Shape", ["x"], ["s"]), _c("i2", np.array(2, np.int64)), N("Gather", ["s", "i2"], ["h"]),
             N("Cast", ["h"], ["hf"], to=TensorProto.FLOAT), _c("two", np.float32(2)), _c("one", np.float32(1)),
             _c("three", np.float32(3)), _c("zero", np.float32(0)),
             N("Div", ["hf", "two"], ["q"]), N("Ceil", ["q"], ["cq"]), N("Sub", ["cq", "one"], ["a"]),
             N("Mul", ["a", "two"], ["b"]), N("Add", ["b", "three"], ["c"]), N("Sub", ["c", "hf"], ["e"]), clip,
             N("Cast", ["p"], ["pi"], to=TensorProto.INT64), _c("ax", np.array([0], np.int64)),
             N("Unsqueeze", ["pi", "ax"], ["pu"]) if opset >= 13 else N("Unsqueeze", ["pi"], ["pu"], axes=[0]),
             _c("z1", np.zeros(1, np.int64)),
             N("Concat", ["z1", "z1", "pu", "z1", "z1", "z1", "pu", "z1"], ["pads8"], axis=0),
             N("Pad", ["x", "pads8"], ["y"])]
    g = helper.make_graph(nodes, "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 2, 7, 5])],
                          [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)])
    return helper.make_model(g, opset_imports=[helper.make_opsetid("", opset)])


def test_same_padding_from_shape_ceil_clip_folds_and_pads():
    x = np.random.default_rng(0).standard_normal((1, 2, 7, 5)).astype(np.float32)
    for opset in (17, 13, 11):
        m = _same_pad_model(opset)
        g = graph_from_json(onnx_to_graph(m.SerializeToString(), encode=lambda a: tensor_to_json(a, b64=True)))
        got = np.asarray(evaluate(g, x))
        want = ReferenceEvaluator(m).run(None, {"x": x})[0]
        assert got.shape == want.shape == (1, 2, 11, 5)  # (ceil(7 / 2) - 1) * 2 + 3 - 7 = 2 rows on each side
        np.testing.assert_array_equal(got, want)
        ct = np.random.default_rng(1).standard_normal(got.shape).astype(np.float32)
        _, (gx,) = evaluate(vjp(g), x, ct)
        np.testing.assert_array_equal(np.asarray(gx), ct[:, :, 2:9])  # Pad's adjoint: the interior, exactly

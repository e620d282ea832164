"""ONNX models in bfloat16 (BFLOAT16 inputs, initializers and Cast targets): each imported graph's value against
onnx.reference (which computes on ml_dtypes' bfloat16), and the gradient w.r.t. a bfloat16 weight in bfloat16."""
import ml_dtypes
import numpy as np
import pytest
from onnx import TensorProto as T, helper, numpy_helper
from onnx.reference import ReferenceEvaluator

import gradserve as gs
from gradserve import Tensor, ops

N = helper.make_node
BF16 = np.dtype(ml_dtypes.bfloat16)
X = np.array([[1.1, -0.5, 2.0], [0.25, 0.75, -1.5]], np.float32)
W = np.array([[0.5, 1.5], [-1.1, 2.2], [0.3, 0.7]], np.float32)


def _model(nodes, x_type, inits, out_type):
    g = helper.make_graph(nodes, "bf", [helper.make_tensor_value_info("x", x_type, [2, 3])],
                          [helper.make_tensor_value_info("y", out_type, None)], initializer=inits)
    return helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)])


def _matmul_tanh():
    w = numpy_helper.from_array(W.astype(BF16), "w")
    assert w.data_type == T.BFLOAT16
    return _model([N("MatMul", ["x", "w"], ["m"]), N("Tanh", ["m"], ["y"])], T.BFLOAT16, [w], T.BFLOAT16)


def test_bfloat16_inputs_and_weights_import_and_match_onnx_reference(fake):
    m = _matmul_tanh()
    x = X.astype(BF16)
    net = gs.from_onnx(m.SerializeToString())
    got = net(Tensor(x))
    assert got.dtype == gs.bfloat16
    want = ReferenceEvaluator(m).run(None, {"x": x})[0]
    np.testing.assert_array_equal(got.asnumpy().astype(np.float32), np.asarray(want).astype(np.float32))
    assert [p.name for p in net.trainable_params()] == ["w"] and net.trainable_params()[0].dtype == gs.bfloat16
    (gw,) = ops.grad(lambda t: net(t).sum(), grad_position=None, weights=net.trainable_params())(Tensor(x))
    assert gw.dtype == gs.bfloat16
    # d/dw sum(tanh(x @ w)) = x^T (1 - y^2) in float64 on the same bfloat16 values: within bfloat16's rounding
    y = np.tanh(x.astype(np.float64) @ W.astype(BF16).astype(np.float64))
    np.testing.assert_allclose(gw.asnumpy().astype(np.float64), x.astype(np.float64).T @ (1 - y * y), rtol=2 ** -6,
                               atol=2 ** -7)


def test_cast_to_bfloat16_rounds_as_onnx_reference(fake):
    """float32 -> BFLOAT16 (round to nearest even, ties included) -> square -> float32."""
    x = np.array([[1.00390625, 1.01171875, -2.7], [1.5e19, 1e-3, 0.1]], np.float32)
    m = _model([N("Cast", ["x"], ["b"], to=T.BFLOAT16), N("Mul", ["b", "b"], ["s"]), N("Cast", ["s"], ["y"], to=T.FLOAT)],
               T.FLOAT, [], T.FLOAT)
    got = gs.from_onnx(m.SerializeToString())(Tensor(x)).asnumpy()
    want = ReferenceEvaluator(m).run(None, {"x": x})[0]
    assert got.dtype == np.float32
    np.testing.assert_array_equal(got, want)

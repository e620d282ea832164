"""ONNX Loop whose trip count M is a graph input (known only at run time): a while that stops at M, bounded by
the caller's loop_max_trips; value and gradient against the same loop run by torch.autograd."""
import numpy as np
import pytest
import torch
from onnx import TensorProto, helper

from engine import evaluate
from engine.importers import UnsupportedModel, onnx_to_graph
from engine.serialize import graph_from_json, tensor_to_json
from engine.transforms import grad

F, I64, B = TensorProto.FLOAT, TensorProto.INT64, TensorProto.BOOL


def _loop_model():
    """y = Loop(M) { x <- x * w + sin(x) }, w a weight; the body passes its condition through."""
    body = helper.make_graph(
        [helper.make_node("Mul", ["x_in", "w"], ["xw"]), helper.make_node("Sin", ["x_in"], ["s"]),
         helper.make_node("Add", ["xw", "s"], ["x_out"]), helper.make_node("Identity", ["c_in"], ["c_out"])],
        "body", [helper.make_tensor_value_info("i", I64, []), helper.make_tensor_value_info("c_in", B, []),
                 helper.make_tensor_value_info("x_in", F, [3])],
        [helper.make_tensor_value_info("c_out", B, []), helper.make_tensor_value_info("x_out", F, [3])])
    loop = helper.make_node("Loop", ["M", "", "x"], ["y"], body=body)
    w = helper.make_tensor("w", F, [3], [0.9, -0.5, 0.7])
    g = helper.make_graph([loop], "g", [helper.make_tensor_value_info("M", I64, []),
                                        helper.make_tensor_value_info("x", F, [3])],
                          [helper.make_tensor_value_info("y", F, [3])], initializer=[w])
    return helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)]).SerializeToString()


def _convert(limits):
    return graph_from_json(onnx_to_graph(_loop_model(), encode=lambda a: tensor_to_json(a, b64=True), limits=limits))


def _torch(m, x, v):
    xt, w = torch.tensor(x, requires_grad=True), torch.tensor([0.9, -0.5, 0.7])
    y = xt
    for _ in range(m):
        y = y * w + torch.sin(y)
    (gx,) = torch.autograd.grad(y, xt, torch.tensor(v), allow_unused=True)
    return y.detach().numpy(), np.zeros(3, np.float32) if gx is None else gx.numpy()


@pytest.mark.parametrize("m", [0, 1, 4, 6])
def test_trip_count_from_a_graph_input_runs_m_trips(m):
    g = _convert({"loop_max_trips": 6})
    x = np.array([0.3, -1.2, 2.0], np.float32)
    v = np.array([1.0, -2.0, 0.5], np.float32)
    want_y, want_gx = _torch(m, x, v)
    got = evaluate(g, np.asarray(m, np.int64), x)
    np.testing.assert_allclose(np.asarray(got), want_y, rtol=1e-5, atol=1e-6)
    gx = evaluate(grad(g, grad_position=1, sens_param=True), np.asarray(m, np.int64), x, v)
    np.testing.assert_allclose(np.asarray(gx), want_gx, rtol=1e-5, atol=1e-6)


def test_more_trips_than_the_bound_is_an_error_not_a_shorter_loop():
    g = _convert({"loop_max_trips": 6})
    with pytest.raises(Exception, match="max_trips=6"):
        evaluate(g, np.asarray(7, np.int64), np.zeros(3, np.float32))


def test_without_a_bound_the_loop_is_refused_naming_the_input_and_the_option():
    with pytest.raises(UnsupportedModel, match="input 'M' \\(the trip count M.*must be a constant.*loop_max_trips"):
        _convert({})


def test_sdk_and_rest_take_the_bound(fake, server):
    import gradserve as gs
    from gradserve import Tensor

    x = np.array([0.3, -1.2, 2.0], np.float32)
    net = gs.from_onnx(_loop_model(), loop_max_trips=5)
    np.testing.assert_allclose(net(Tensor(np.asarray(3, np.int64)), Tensor(x)).asnumpy(),
                               _torch(3, x, np.ones(3, np.float32))[0], rtol=1e-5, atol=1e-6)
    with server.client() as h:
        refused = h.post("/v1/graphs", content=_loop_model(), headers={"content-type": "application/onnx"})
        assert refused.status_code == 400 and "loop_max_trips" in refused.json()["error"]["message"], refused.text
        bad = h.post("/v1/graphs?loop_max_trips=-1", content=_loop_model(),
                     headers={"content-type": "application/onnx"})
        assert bad.status_code == 400 and "loop_max_trips" in bad.json()["error"]["message"], bad.text
        r = h.post("/v1/graphs?loop_max_trips=5", content=_loop_model(), headers={"content-type": "application/onnx"})
    assert r.status_code == 201, r.text
    v = np.array([1.0, -2.0, 0.5], np.float32)
    want_y, want_gx = _torch(4, x, v)
    c = gs.Client(server.url)
    np.testing.assert_allclose(c.eval(r.json()["graph_id"], [np.asarray(4, np.int64), x]).value, want_y,
                               rtol=1e-5, atol=1e-6)
    got = c.grad(r.json()["graph_id"], [np.asarray(4, np.int64), x], grad_position=1, sens=v).value
    np.testing.assert_allclose(got, want_gx, rtol=1e-5, atol=1e-6)

"""gradserve.from_onnx against torch.autograd (the models exported by torch.onnx), and the
refusals an untrusted ONNX model meets."""
import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper

import gradserve as gs
from engine.importers import ModelLimitExceeded, UnsupportedModel, onnx_to_graph
from engine.serialize import graph_from_json, tensor_to_json

from .checks import check_against_torch
from .models import cnn, cnn_input, encoder, encoder_input, to_onnx

ENC = lambda a: tensor_to_json(a, b64=True)  # noqa: E731


def test_cnn_with_batchnorm_and_pooling(fake):
    m, x = cnn(), cnn_input()
    data = to_onnx(m, x)
    assert "BatchNormalization" in {n.op_type for n in onnx.load_from_string(data).graph.node}
    net = gs.from_onnx(data)
    assert [p.name for p in net.untrainable_params()] == ["bn.running_mean", "bn.running_var"]
    check_against_torch(net, m, x)


def test_transformer_encoder_block(fake):
    m, x = encoder(), encoder_input()
    check_against_torch(gs.from_onnx(onnx.load_from_string(to_onnx(m, x))), m, x)


def test_path_and_dynamic_shapes(fake, tmp_path):
    import torch

    m, x = cnn(), cnn_input()
    path = tmp_path / "cnn.onnx"
    torch.onnx.export(m, (x,), str(path), dynamo=False, do_constant_folding=False, input_names=["x"],
                      dynamic_axes={"x": {0: "batch"}})
    with pytest.raises(gs.importers.UnsupportedModel, match=r"input 'x' has a dynamic shape.*input_shapes"):
        gs.from_onnx(str(path))
    net = gs.from_onnx(str(path), input_shapes={"x": [3, 3, 12, 12]})
    x3 = torch.randn(3, 3, 12, 12)
    np.testing.assert_allclose(net(gs.Tensor(x3.numpy())).asnumpy(), m(x3).detach().numpy(), rtol=1e-4, atol=1e-5)


# -- refusals ---------------------------------------------------------------------------------------------
def _model(nodes, inputs, outputs, inits=(), opset=17, domains=()):
    g = helper.make_graph(nodes, "g", inputs, outputs, initializer=list(inits))
    return helper.make_model(g, opset_imports=[helper.make_opsetid("", opset)] +
                             [helper.make_opsetid(d, 1) for d in domains])


X = helper.make_tensor_value_info("x", TensorProto.FLOAT, [2, 3])
Y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [2, 3])


def test_unsupported_op_names_op_node_and_opset():
    m = _model([helper.make_node("Multinomial", ["x"], ["y"], name="draw0")], [X], [Y], opset=13)  # random: unmapped
    with pytest.raises(UnsupportedModel, match=r"op Multinomial \(node 'draw0', opset 13\) is not supported") as e:
        onnx_to_graph(m.SerializeToString(), encode=ENC)
    assert (e.value.op, e.value.node, e.value.version) == ("Multinomial", "draw0", 13)


def test_custom_domain_and_external_data_are_refused(tmp_path):
    m = _model([helper.make_node("Evil", ["x"], ["y"], domain="com.evil", name="e")], [X], [Y], domains=["com.evil"])
    with pytest.raises(UnsupportedModel, match=r"op com\.evil\.Evil \(node 'e'\) is in a custom domain"):
        onnx_to_graph(m.SerializeToString(), encode=ENC)
    w = helper.make_tensor("w", TensorProto.FLOAT, [2, 3], np.ones(6, np.float32))
    w.data_location = TensorProto.EXTERNAL
    del w.float_data[:]
    w.external_data.add(key="location", value=str(tmp_path / "secret.bin"))
    (tmp_path / "secret.bin").write_bytes(np.ones(6, np.float32).tobytes())
    m = _model([helper.make_node("Add", ["x", "w"], ["y"])], [X], [Y], inits=[w])
    with pytest.raises(UnsupportedModel, match="external data"):
        onnx_to_graph(m.SerializeToString(), encode=ENC)


def test_subgraphs_of_other_ops_are_refused_with_the_op_named():
    """If / Loop / Scan import (test_control_flow_import.py, test_onnx_helper_graphs.py); a sub-graph on any
    other op is refused."""
    body = helper.make_graph([helper.make_node("Identity", ["x"], ["a"])], "t", [], [Y])
    m = _model([helper.make_node("SequenceMap", ["x"], ["y"], body=body, name="map0")], [X], [Y])
    with pytest.raises(UnsupportedModel, match=r"op SequenceMap \(node 'map0'.*sub-graph: only If, Loop and Scan"):
        onnx_to_graph(m.SerializeToString(), encode=ENC)


def test_limits_apply_before_decoding():
    w = helper.make_tensor("w", TensorProto.FLOAT, [2, 3], np.ones(6, np.float32))
    m = _model([helper.make_node("Add", ["x", "w"], ["t"]), helper.make_node("Relu", ["t"], ["y"])], [X], [Y], [w])
    with pytest.raises(ModelLimitExceeded, match="max_nodes=1"):
        onnx_to_graph(m.SerializeToString(), encode=ENC, limits={"max_nodes": 1})
    with pytest.raises(ModelLimitExceeded, match="max_elements=5"):
        onnx_to_graph(m.SerializeToString(), encode=ENC, limits={"max_elements": 5})
    big = _model([helper.make_node("ConstantOfShape", ["s"], ["y"])], [], [Y],
                 [helper.make_tensor("s", TensorProto.INT64, [2], [100000, 100000])])
    with pytest.raises(ModelLimitExceeded, match="max_elements"):
        onnx_to_graph(big.SerializeToString(), encode=ENC, limits={"max_elements": 1 << 20})


def test_malformed_node_is_named():
    m = _model([helper.make_node("Add", ["x"], ["y"], name="add1")], [X], [Y])
    with pytest.raises(UnsupportedModel, match=r"op Add \(node 'add1', opset 17\) is malformed"):
        onnx_to_graph(m.SerializeToString(), encode=ENC)


def test_garbage_is_a_clear_error():
    with pytest.raises(UnsupportedModel, match="not an ONNX model"):
        onnx_to_graph(b"\xff\xfe not protobuf", encode=ENC)


def test_shape_arithmetic_is_folded_and_graph_loads():
    """Shape -> Gather -> Concat -> Reshape (what exporters emit) becomes one static reshape."""
    nodes = [helper.make_node("Shape", ["x"], ["s"]),
             helper.make_node("Gather", ["s", "i0"], ["b"], axis=0),
             helper.make_node("Unsqueeze", ["b", "ax"], ["b1"]),
             helper.make_node("Concat", ["b1", "m1"], ["shape"], axis=0),
             helper.make_node("Reshape", ["x", "shape"], ["y"])]
    inits = [helper.make_tensor("i0", TensorProto.INT64, [], [0]), helper.make_tensor("ax", TensorProto.INT64, [1], [0]),
             helper.make_tensor("m1", TensorProto.INT64, [1], [-1])]
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [2, 3])
    doc = onnx_to_graph(_model(nodes, [X], [y], inits).SerializeToString(), encode=ENC)
    assert [n["op"] for n in doc["nodes"]] == []  # reshape to its own shape: nothing to do
    graph_from_json(doc)


def test_dynamo_exported_encoder(fake):
    """torch.onnx.export's default (dynamo) exporter: other op patterns (Gelu, transposed weight
    initializers named val_*). Weights are matched to torch's by value (a weight or its transpose)."""
    import io

    import torch

    from gradserve import Tensor, ops

    from .checks import GradDot, SumSq
    from .models import close

    m, x = encoder(), encoder_input()
    f = io.BytesIO()
    torch.onnx.export(m, (x,), f, dynamo=True, verbose=False)
    net = gs.from_onnx(f.getvalue())
    tparams = dict(m.named_parameters())
    match = {}
    for q in net.trainable_params():
        a = q.asnumpy()
        hit = [(n, t) for n, p in tparams.items() for t in ((False, True) if p.ndim == 2 else (False,))
               if (p.T if t else p).shape == a.shape and np.array_equal((p.T if t else p).detach().numpy(), a)]
        assert len(hit) == 1, (q.name, hit)
        match[q.name] = hit[0]
    assert sorted(n for n, _ in match.values()) == sorted(tparams)

    xn = x.numpy()
    c = np.random.default_rng(5).uniform(0.5, 1.5, (2, 5, 8)).astype(np.float32)
    loss = SumSq(net, c)
    gx, gw = ops.grad(loss, grad_position=0, weights=net.trainable_params())(Tensor(xn))
    xt = x.clone().requires_grad_(True)
    want = torch.autograd.grad(((m(xt) * torch.from_numpy(c)) ** 2).sum() / 2, [xt] + list(tparams.values()),
                               create_graph=True)
    close(gx.asnumpy(), want[0].detach().numpy(), "grad x")
    wmap = dict(zip(tparams, want[1:]))
    for q, g in zip(net.trainable_params(), gw):
        n, t = match[q.name]
        close(g.asnumpy(), (wmap[n].T if t else wmap[n]).detach().numpy(), f"grad {q.name} ({n})")
    v = torch.randn(x.shape, generator=torch.Generator().manual_seed(7))
    hv = ops.grad(GradDot(loss, Tensor(v.numpy())), grad_position=0)(Tensor(xn))
    close(hv.asnumpy(), torch.autograd.grad((want[0] * v).sum(), xt)[0].numpy(), "hessian-vector product")

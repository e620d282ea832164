"""com.microsoft contrib ops (engine/importers/onnx_contrib.py) against the formulas of onnxruntime's
ContribOperators.md written in torch (float64): values, and the vjp of every input against torch.autograd."""
import math

import numpy as np
import pytest
import torch
from onnx import TensorProto, helper

from engine import evaluate, vjp
from engine.importers import onnx_to_graph
from engine.importers.graph_writer import UnsupportedModel
from engine.serialize import graph_from_json, tensor_to_json

RNG = np.random.default_rng(5)


def _erf_gelu(x):
    return 0.5 * x * (1 + torch.erf(x / math.sqrt(2)))


def _tanh_gelu(x):
    return 0.5 * x * (1 + torch.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x ** 3)))


def _ln(s, g, b, eps):
    m = s.mean(-1, keepdim=True)
    inv = 1 / torch.sqrt(((s - m) ** 2).mean(-1, keepdim=True) + eps)
    return (s - m) * inv * g + b, m, inv


def _skip_ln(x, skip, g, b, bias):
    s = x + skip + bias
    return _ln(s, g, b, 1e-5) + (s,)


def _skip_rms(x, skip, g):
    s = x + skip
    inv = 1 / torch.sqrt((s * s).mean(-1, keepdim=True) + 1e-6)
    return s * inv * g, None, inv, s  # (no mean output)


def _mha(x, wt, b, mask=None, causal=False, heads=2):
    bsz, s, h = x.shape
    q, k, v = ((x @ wt + b).reshape(bsz, s, 3, heads, h // heads).permute(2, 0, 3, 1, 4))
    sc = q @ k.transpose(-1, -2) / math.sqrt(h // heads)
    if mask is not None:
        sc = sc + (1 - mask.reshape(bsz, 1, 1, s)) * -10000.0
    if causal:
        sc = sc + torch.triu(torch.full((s, s), -10000.0, dtype=sc.dtype), 1)
    return (torch.softmax(sc, -1) @ v).transpose(1, 2).reshape(bsz, s, h)


# op, attrs, input shapes, reference(*inputs) -> outputs, outputs named (empty: left out)
CASES = {
    "Gelu": ({}, [(2, 3, 4)], _erf_gelu, ["y"]),
    "BiasGelu": ({}, [(2, 3, 4), (4,)], lambda x, b: _erf_gelu(x + b), ["y"]),
    "FastGelu": ({}, [(2, 3, 4), (4,)], lambda x, b: _tanh_gelu(x + b), ["y"]),
    "FastGelu_nobias": ({}, [(3, 4)], _tanh_gelu, ["y"]),
    "QuickGelu": ({"alpha": 1.5}, [(3, 4)], lambda x: x * torch.sigmoid(1.5 * x), ["y"]),
    "BiasAdd": ({}, [(2, 3, 4), (4,), (2, 3, 4)], lambda x, b, s: x + b + s, ["y"]),
    "LayerNormalization": ({"epsilon": 1e-5}, [(2, 3, 4), (4,), (4,)], lambda x, g, b: _ln(x, g, b, 1e-5)[0], ["y"]),
    "SkipLayerNormalization": ({"epsilon": 1e-5}, [(2, 3, 4), (2, 3, 4), (4,), (4,), (4,)], _skip_ln,
                               ["y", "mean", "inv", "sum"]),
    "SkipSimplifiedLayerNormalization": ({"epsilon": 1e-6}, [(2, 3, 4), (2, 3, 4), (4,)], _skip_rms,
                                         ["y", "", "inv", "sum"]),
    "SimplifiedLayerNormalization": ({"epsilon": 1e-6, "axis": -1}, [(2, 3, 4), (4,)],
                                     lambda x, g: (x / torch.sqrt((x * x).mean(-1, keepdim=True) + 1e-6) * g,
                                                   1 / torch.sqrt((x * x).mean(-1, keepdim=True) + 1e-6)),
                                     ["y", "inv"]),
    "FusedMatMul": ({"alpha": 0.5, "transA": 1, "transB": 1}, [(2, 4, 3), (5, 4)],
                    lambda a, b: 0.5 * a.transpose(-1, -2) @ b.T, ["y"]),
    "Attention": ({"num_heads": 2}, [(2, 3, 8), (8, 24), (24,)], _mha, ["y"]),
    "Attention_causal": ({"num_heads": 2, "unidirectional": 1}, [(2, 3, 8), (8, 24), (24,)],
                         lambda x, wt, b: _mha(x, wt, b, causal=True), ["y"]),
}


def _model(op: str, attrs: dict, shapes: list, outs: list):
    f = TensorProto.FLOAT
    ins = [f"x{k}" for k in range(len(shapes))]
    node = helper.make_node(op, ins, outs, domain="com.microsoft", **attrs)
    g = helper.make_graph([node], "g", [helper.make_tensor_value_info(n, f, s) for n, s in zip(ins, shapes)],
                          [helper.make_tensor_value_info(o, f, None) for o in outs if o])
    return helper.make_model(g, opset_imports=[helper.make_opsetid("", 17), helper.make_opsetid("com.microsoft", 1)])


def _convert(m):
    return graph_from_json(onnx_to_graph(m.SerializeToString(), encode=lambda a: tensor_to_json(a, b64=True)))


@pytest.mark.parametrize("case", sorted(CASES))
def test_contrib_op_matches_its_formula_and_torch_gradients(case):
    attrs, shapes, ref, outs = CASES[case]
    g = _convert(_model(case.split("_")[0], attrs, shapes, outs))
    xs = [RNG.standard_normal(s).astype(np.float32) for s in shapes]
    ts = [torch.tensor(x, dtype=torch.float64, requires_grad=True) for x in xs]
    want = ref(*ts)
    want = [want] if isinstance(want, torch.Tensor) else [w for w, o in zip(want, outs) if o]
    got = evaluate(g, *xs)
    got = list(got) if isinstance(got, tuple) else [got]
    assert len(got) == len(want)
    for k, (a, b) in enumerate(zip(got, want)):
        np.testing.assert_allclose(np.asarray(a), b.detach().numpy(), rtol=1e-5, atol=1e-5, err_msg=f"output {k}")
    cts = [RNG.standard_normal(w.shape).astype(np.float32) for w in want]
    grads = torch.autograd.grad(want, ts, [torch.tensor(c, dtype=torch.float64) for c in cts])
    _, gx = evaluate(vjp(g), *xs, *cts)
    for k, (a, b) in enumerate(zip(gx, grads)):
        np.testing.assert_allclose(np.asarray(a), b.numpy(), rtol=1e-4, atol=1e-5, err_msg=f"grad of input {k}")


def test_unknown_contrib_op_is_refused_naming_it():
    with pytest.raises(UnsupportedModel, match="com.microsoft.NotAnOp .*known: Attention, BiasAdd"):
        onnx_to_graph(_model("NotAnOp", {}, [(2,)], ["y"]).SerializeToString(), encode=tensor_to_json)


def test_contrib_attention_mask_index():
    """A [B, S] 0 / 1 mask (an int input: not differentiated): the masked keys get -10000 added."""
    m = _model("Attention", {"num_heads": 2}, [(2, 3, 8), (8, 24), (24,)], ["y"])
    m.graph.node[0].input.append("mask")
    m.graph.input.append(helper.make_tensor_value_info("mask", TensorProto.INT32, [2, 3]))
    xs = [RNG.standard_normal(s).astype(np.float32) for s in [(2, 3, 8), (8, 24), (24,)]]
    mask = np.array([[1, 1, 0], [1, 0, 1]], np.int32)
    want = _mha(*(torch.tensor(x, dtype=torch.float64) for x in xs), mask=torch.tensor(mask, dtype=torch.float64))
    np.testing.assert_allclose(np.asarray(evaluate(_convert(m), *xs, mask)), want.numpy(), rtol=1e-5, atol=1e-5)

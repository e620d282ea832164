"""com.microsoft MatMulNBits and GroupQueryAttention (engine/importers/onnx_contrib_llm.py), as
onnxruntime-genai / optimum export them, against their ContribOperators.md formulas written in torch (float64):
values, and the vjp of every float input against torch.autograd."""
import math

import numpy as np
import pytest
import torch
from onnx import TensorProto, helper, numpy_helper

from engine import evaluate, vjp
from engine.importers import onnx_to_graph
from engine.importers.graph_writer import UnsupportedModel
from engine.serialize import graph_from_json, tensor_to_json

RNG = np.random.default_rng(11)
F = TensorProto.FLOAT


def _convert(nodes, inputs, outputs, inits=()):
    g = helper.make_graph(nodes, "g", inputs, [helper.make_tensor_value_info(o, F, None) for o in outputs],
                          initializer=list(inits))
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 17), helper.make_opsetid("com.microsoft", 1)])
    return graph_from_json(onnx_to_graph(m.SerializeToString(), encode=lambda a: tensor_to_json(a, b64=True)))


def _check(g, xs, want, ts):
    """Values, then the vjp of every float input against torch's."""
    got = evaluate(g, *xs)
    got = list(got) if isinstance(got, tuple) else [got]
    assert len(got) == len(want)
    for k, (a, b) in enumerate(zip(got, want)):
        np.testing.assert_allclose(np.asarray(a), b.detach().numpy(), rtol=1e-5, atol=1e-5, err_msg=f"output {k}")
    cts = [RNG.standard_normal(tuple(w.shape)).astype(np.float32) for w in want]
    grads = torch.autograd.grad(want, [t for t in ts if t.requires_grad],
                                [torch.tensor(c, dtype=torch.float64) for c in cts])
    _, gx = evaluate(vjp(g), *xs, *cts)
    gx = [a for a, t in zip(gx, ts) if t.requires_grad]
    for k, (a, b) in enumerate(zip(gx, grads)):
        np.testing.assert_allclose(np.asarray(a), b.numpy(), rtol=1e-4, atol=1e-5, err_msg=f"grad of input {k}")


def _pack4(fields):
    """4-bit fields [..., 2m] -> bytes [..., m], the even field in the low nibble (ContribOperators.md)."""
    return (fields[..., 0::2] | (fields[..., 1::2] << 4)).astype(np.uint8)


@pytest.mark.parametrize("with_zero_points", [False, True])
def test_matmul_nbits_dequantises_blocks_and_differentiates_a_and_scales(with_zero_points):
    k, n, bs = 40, 3, 16  # K not a multiple of the block: the last block is padded
    blocks = 3
    q = RNG.integers(0, 16, (n, blocks * bs))
    zp = RNG.integers(0, 16, (n, blocks + 1))  # one padding field: each row's zero points fill whole bytes
    a = RNG.standard_normal((2, 5, k)).astype(np.float32)
    scales = RNG.uniform(0.05, 0.2, n * blocks).astype(np.float32)
    bias = RNG.standard_normal(n).astype(np.float32)
    inits = [numpy_helper.from_array(_pack4(q).reshape(n, blocks, bs // 2), "B")]
    ins = ["A", "B", "scales", "zp" if with_zero_points else "", "", "bias"]
    if with_zero_points:
        inits.append(numpy_helper.from_array(_pack4(zp).reshape(-1), "zp"))
    node = helper.make_node("MatMulNBits", ins, ["Y"], domain="com.microsoft", K=k, N=n, bits=4, block_size=bs)
    g = _convert([node], [helper.make_tensor_value_info("A", F, a.shape),
                          helper.make_tensor_value_info("scales", F, scales.shape),
                          helper.make_tensor_value_info("bias", F, bias.shape)], ["Y"], inits)
    ts = [torch.tensor(x, dtype=torch.float64, requires_grad=True) for x in (a, scales, bias)]
    zero = zp[:, :blocks] if with_zero_points else np.full((n, blocks), 8)
    centred = torch.tensor((q.reshape(n, blocks, bs) - zero[:, :, None]).astype(np.float64))
    wdq = (centred * ts[1].reshape(n, blocks, 1)).reshape(n, blocks * bs)[:, :k]
    _check(g, [a, scales, bias], [ts[0] @ wdq.T + ts[2]], ts)


def _rot_half(x, cos, sin):
    h = x.shape[-1] // 2
    x1, x2 = x[..., :h], x[..., h:]
    return torch.cat([x1 * cos - x2 * sin, x2 * cos + x1 * sin], -1)


def _gqa_reference(q, k, v, pk, pv, seqlens, cos, sin, hq, hkv):
    """ContribOperators.md's GroupQueryAttention: rotary at positions past + i, present = past ++ new, each
    query head h reads kv head h // (hq / hkv), causal over the past and limited to seqlens_k[b] + 1 keys."""
    b, s, _ = q.shape
    d = q.shape[-1] // hq
    past = pk.shape[2]
    heads = lambda x, h: x.reshape(b, s, h, d).transpose(1, 2)  # noqa: E731
    q, k, v = heads(q, hq), heads(k, hkv), heads(v, hkv)
    c, sn = cos[past:past + s], sin[past:past + s]
    q, k = _rot_half(q, c, sn), _rot_half(k, c, sn)
    pres_k, pres_v = torch.cat([pk, k], 2), torch.cat([pv, v], 2)
    kk, vv = (t.repeat_interleave(hq // hkv, 1) for t in (pres_k, pres_v))
    sc = q @ kk.transpose(-1, -2) / math.sqrt(d)
    t = past + s
    j, i = torch.arange(t)[None, :], torch.arange(s)[:, None]
    seen = (j <= i + past)[None, None] & (torch.arange(t)[None, None, None, :] <=
                                          torch.tensor(seqlens).reshape(b, 1, 1, 1))
    sc = sc.masked_fill(~seen, -math.inf)
    y = (torch.softmax(sc, -1) @ vv).transpose(1, 2).reshape(b, s, hq * d)
    return y, pres_k, pres_v


def test_group_query_attention_decode_step_with_rotary_and_a_short_row():
    """seqlens_k a graph input (values), then a constant (gradients: an int input is not differentiated)."""
    b, s, past, hq, hkv, d = 2, 3, 4, 4, 2, 8
    shapes = {"q": (b, s, hq * d), "k": (b, s, hkv * d), "v": (b, s, hkv * d), "pk": (b, hkv, past, d),
              "pv": (b, hkv, past, d), "cos": (16, d // 2), "sin": (16, d // 2)}
    xs = {n: RNG.standard_normal(sh).astype(np.float32) for n, sh in shapes.items()}
    seqlens = np.array([past + s - 1, past + s - 2], np.int32)  # row 1 sees one key fewer
    node = helper.make_node("GroupQueryAttention", ["q", "k", "v", "pk", "pv", "seqlens_k", "total", "cos", "sin"],
                            ["y", "present_k", "present_v"], domain="com.microsoft", num_heads=hq,
                            kv_num_heads=hkv, do_rotary=1)
    inputs = [helper.make_tensor_value_info(n, F, sh) for n, sh in shapes.items()]
    total = numpy_helper.from_array(np.array(past + s, np.int32), "total")
    ts = [torch.tensor(x, dtype=torch.float64, requires_grad=True) for x in xs.values()]
    want = _gqa_reference(*ts[:5], seqlens, *ts[5:], hq, hkv)
    g = _convert([node], inputs + [helper.make_tensor_value_info("seqlens_k", TensorProto.INT32, [b])],
                 ["y", "present_k", "present_v"], [total])
    for k, (a, w) in enumerate(zip(evaluate(g, *xs.values(), seqlens), want)):
        np.testing.assert_allclose(np.asarray(a), w.detach().numpy(), rtol=1e-5, atol=1e-5, err_msg=f"output {k}")
    g = _convert([node], inputs, ["y", "present_k", "present_v"],
                 [total, numpy_helper.from_array(seqlens, "seqlens_k")])
    _check(g, list(xs.values()), list(want), ts)


def test_group_query_attention_packed_prompt_without_rotary():
    b, s, hq, hkv, d = 1, 4, 2, 1, 4
    x = RNG.standard_normal((b, s, (hq + 2 * hkv) * d)).astype(np.float32)
    node = helper.make_node("GroupQueryAttention", ["qkv", "", "", "", "", "seqlens_k", "total"], ["y"],
                            domain="com.microsoft", num_heads=hq, kv_num_heads=hkv, scale=0.3)
    seqlens = numpy_helper.from_array(np.array([s - 1], np.int32), "seqlens_k")
    total = numpy_helper.from_array(np.array(s, np.int32), "total")
    g = _convert([node], [helper.make_tensor_value_info("qkv", F, x.shape)], ["y"], [seqlens, total])
    t = torch.tensor(x, dtype=torch.float64, requires_grad=True)
    q, k, v = t.split([hq * d, hkv * d, hkv * d], -1)
    heads = lambda z, h: z.reshape(b, s, h, d).transpose(1, 2)  # noqa: E731
    q, k, v = heads(q, hq), heads(k, hkv).repeat_interleave(2, 1), heads(v, hkv).repeat_interleave(2, 1)
    sc = (q @ k.transpose(-1, -2) * 0.3).masked_fill(torch.triu(torch.ones(s, s, dtype=torch.bool), 1), -math.inf)
    _check(g, [x], [(torch.softmax(sc, -1) @ v).transpose(1, 2).reshape(b, s, hq * d)], [t])


def test_group_query_attention_refuses_a_sliding_window_by_name():
    node = helper.make_node("GroupQueryAttention", ["q", "k", "v", "", "", "seqlens_k", "total"], ["y"],
                            domain="com.microsoft", num_heads=2, kv_num_heads=2, local_window_size=2)
    inputs = [helper.make_tensor_value_info(n, F, (1, 2, 8)) for n in "qkv"]
    inputs.append(helper.make_tensor_value_info("seqlens_k", TensorProto.INT32, [1]))
    with pytest.raises(UnsupportedModel, match="GroupQueryAttention node .*local_window_size"):
        _convert([node], inputs, ["y"], [numpy_helper.from_array(np.array(2, np.int32), "total")])

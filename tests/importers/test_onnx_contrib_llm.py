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


def _gqa_reference(q, k, v, pk, pv, seqlens, cos, sin, hq, hkv, window=-1, position_ids=None, bias=None, sink=None):
    """onnxruntime's CPU GroupQueryAttention (gqa_attention_base.h, group_query_attention.cc) row by row: row b
    holds seqlens[b] + 1 keys, the last S new, so its past is past_b = seqlens[b] + 1 - S of the past buffer;
    query i sits at past_b + i (rotary there, or at position_ids), sees keys up to it and, with a window W >= 0,
    none before past_b + i - W; present = the row's first past_b past keys, the new ones, zeros after; each query
    head h reads kv head h // (hq / hkv); a sink (smooth_softmax: 0, head_sink: one per head) adds exp(sink) to the
    softmax's denominator only."""
    b, s, _ = q.shape
    d = q.shape[-1] // hq
    past = pk.shape[2]
    t = past + s
    heads = lambda x, h: x.reshape(b, s, h, d).transpose(1, 2)  # noqa: E731
    q, k, v = heads(q, hq), heads(k, hkv), heads(v, hkv)
    ys, pres_k, pres_v = [], [], []
    for r in range(b):
        pb = int(seqlens[r]) + 1 - s
        at = torch.arange(pb, pb + s) if position_ids is None else torch.tensor(position_ids[r])
        qr, kr = (_rot_half(x[r], cos[at], sin[at]) for x in (q, k))
        zeros = torch.zeros(hkv, t - pb - s, d, dtype=q.dtype)
        kk = torch.cat([pk[r, :, :pb], kr, zeros], 1)
        vv = torch.cat([pv[r, :, :pb], v[r], zeros], 1)
        pres_k.append(kk)
        pres_v.append(vv)
        sc = qr @ kk.repeat_interleave(hq // hkv, 0).transpose(-1, -2) / math.sqrt(d)
        if bias is not None:
            sc = sc + bias[r]
        j, pos = torch.arange(t)[None, :], torch.arange(pb, pb + s)[:, None]
        seen = (j <= pos) & ((j >= pos - window) if window >= 0 else True)
        sc = sc.masked_fill(~seen, -math.inf)
        if sink is None:
            p = torch.softmax(sc, -1)
        else:
            top = torch.maximum(sc.amax(-1, keepdim=True), sink[:, None, None])
            e = torch.exp(sc - top)
            p = e / (torch.exp(sink[:, None, None] - top) + e.sum(-1, keepdim=True))
        ys.append((p @ vv.repeat_interleave(hq // hkv, 0)).transpose(0, 1).reshape(s, hq * d))
    return torch.stack(ys), torch.stack(pres_k), torch.stack(pres_v)


def _gqa_case(seqlens, window=-1, position_ids=None, with_bias=False, sink=None):
    """A decode step (S = 3 after a past buffer of 4) with rotary: the node, its float inputs, torch tensors,
    the reference's outputs. sink: "smooth" (smooth_softmax=1) or "head" (a head_sink input)."""
    b, s, past, hq, hkv, d = 2, 3, 4, 4, 2, 8
    shapes = {"q": (b, s, hq * d), "k": (b, s, hkv * d), "v": (b, s, hkv * d), "pk": (b, hkv, past, d),
              "pv": (b, hkv, past, d), "cos": (16, d // 2), "sin": (16, d // 2)}
    if with_bias:
        shapes["bias"] = (b, 1, s, past + s)
    if sink == "head":
        shapes["head_sink"] = (hq,)
    xs = {n: RNG.standard_normal(sh).astype(np.float32) for n, sh in shapes.items()}
    names = ["q", "k", "v", "pk", "pv", "seqlens_k", "total", "cos", "sin", "position_ids" if position_ids else "",
             "bias" if with_bias else "", "head_sink" if sink == "head" else ""]
    node = helper.make_node("GroupQueryAttention", names, ["y", "present_k", "present_v"], domain="com.microsoft",
                            num_heads=hq, kv_num_heads=hkv, do_rotary=1, local_window_size=window,
                            smooth_softmax=int(sink == "smooth"))
    ts = [torch.tensor(x, dtype=torch.float64, requires_grad=True) for x in xs.values()]
    sink_t = ts[-1] if sink == "head" else torch.zeros(hq, dtype=torch.float64) if sink == "smooth" else None
    want = _gqa_reference(*ts[:5], seqlens, ts[5], ts[6], hq, hkv, window, position_ids,
                          ts[7] if with_bias else None, sink_t)
    inits = [numpy_helper.from_array(np.array(past + s, np.int32), "total")]
    if position_ids:
        inits.append(numpy_helper.from_array(np.array(position_ids, np.int64), "position_ids"))
    inputs = [helper.make_tensor_value_info(n, F, sh) for n, sh in shapes.items()]
    return node, xs, ts, want, inputs, inits


@pytest.mark.parametrize("seqlens,window", [([6, 6], -1), ([6, 4], -1), ([6, 5], 2), ([5, 6], 0)])
def test_group_query_attention_decode_step_ragged_rows_and_local_window(seqlens, window):
    """Rows of their own past length (seqlens_k: the second's past is 2 of the buffer's 4), a local window;
    seqlens_k a graph input (values), then a constant (gradients: an int input is not differentiated)."""
    seqlens = np.array(seqlens, np.int32)
    node, xs, ts, want, inputs, inits = _gqa_case(seqlens, window)
    g = _convert([node], inputs + [helper.make_tensor_value_info("seqlens_k", TensorProto.INT32, [2])],
                 ["y", "present_k", "present_v"], inits)
    for k, (a, w) in enumerate(zip(evaluate(g, *xs.values(), seqlens), want)):
        np.testing.assert_allclose(np.asarray(a), w.detach().numpy(), rtol=1e-5, atol=1e-5, err_msg=f"output {k}")
    g = _convert([node], inputs, ["y", "present_k", "present_v"],
                 inits + [numpy_helper.from_array(seqlens, "seqlens_k")])
    _check(g, list(xs.values()), list(want), ts)


def test_group_query_attention_rotary_at_position_ids_with_attention_bias():
    seqlens = np.array([6, 5], np.int32)
    node, xs, ts, want, inputs, inits = _gqa_case(seqlens, position_ids=[[9, 10, 11], [2, 3, 4]], with_bias=True)
    g = _convert([node], inputs, ["y", "present_k", "present_v"],
                 inits + [numpy_helper.from_array(seqlens, "seqlens_k")])
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


@pytest.mark.parametrize("sink,window", [("smooth", -1), ("head", -1), ("head", 1)])
def test_group_query_attention_smooth_softmax_and_head_sink(sink, window):
    """onnxruntime's smooth softmax (a zero logit in the denominator) and gpt-oss's head_sink (one learned logit per
    head, differentiated as the other inputs), with ragged rows and a local window."""
    seqlens = np.array([6, 5], np.int32)
    node, xs, ts, want, inputs, inits = _gqa_case(seqlens, window, sink=sink)
    g = _convert([node], inputs, ["y", "present_k", "present_v"],
                 inits + [numpy_helper.from_array(seqlens, "seqlens_k")])
    _check(g, list(xs.values()), list(want), ts)


def test_group_query_attention_refuses_qk_output_by_name():
    node = helper.make_node("GroupQueryAttention", ["q", "k", "v", "", "", "seqlens_k", "total"], ["y"],
                            domain="com.microsoft", num_heads=2, kv_num_heads=2, qk_output=1)
    inputs = [helper.make_tensor_value_info(n, F, (1, 2, 8)) for n in "qkv"]
    inputs.append(helper.make_tensor_value_info("seqlens_k", TensorProto.INT32, [1]))
    with pytest.raises(UnsupportedModel, match="GroupQueryAttention node .*qk_output"):
        _convert([node], inputs, ["y"], [numpy_helper.from_array(np.array(2, np.int32), "total")])

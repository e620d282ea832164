"""ONNX Runtime's com.microsoft contrib ops that optimised transformer exports carry (fused GELUs, bias
adds, skip + layer normalisation, FusedMatMul, packed-weight Attention), each composed from engine ops by the formula
onnxruntime's ContribOperators.md gives. Only the ops named in CONTRIB are accepted from that domain;
any other com.microsoft op is refused by name (onnx_graph.check_model)."""
from __future__ import annotations

import numpy as np

from . import composites as C
from . import onnx_contrib_llm
from .graph_writer import UnsupportedModel
from .onnx_ops import HANDLERS, _ins
from .onnx_pointwise import x_sigmoid

DOMAIN = "com.microsoft"
CONTRIB: dict = {}


def contrib(*names):
    def deco(fn):
        for n in names:
            CONTRIB[n] = fn
        return fn
    return deco


def _biased(ctx, node, k: int):
    """Input 0 plus the optional bias input k (broadcast over the last axis)."""
    i = _ins(node)
    x = ctx.val(i[0])
    return ctx.w.add(x, ctx.val(i[k])) if len(i) > k and i[k] else x


@contrib("Gelu", "BiasGelu")
def _gelu(ctx, node, attrs):
    """0.5 x (1 + erf(x / sqrt 2)) of x (+ B for BiasGelu)."""
    return [C.gelu(ctx.w, _biased(ctx, node, 1))]


@contrib("FastGelu")
def _fast_gelu(ctx, node, attrs):
    """0.5 x (1 + tanh(sqrt(2 / pi) (x + 0.044715 x^3))) of x (+ the optional bias)."""
    return [C.gelu(ctx.w, _biased(ctx, node, 1), "tanh")]


@contrib("QuickGelu")
def _quick_gelu(ctx, node, attrs):
    """x sigmoid(alpha x), alpha 1.702 by default (Swish's form)."""
    return x_sigmoid(ctx, node, attrs.get("alpha", 1.702))


@contrib("BiasAdd")
def _bias_add(ctx, node, attrs):
    """X + bias + skip."""
    w = ctx.w
    return [w.add(w.add(ctx.val(node.input[0]), ctx.val(node.input[1])), ctx.val(node.input[2]))]


@contrib("LayerNormalization")
def _layer_norm(ctx, node, attrs):
    """The contrib LayerNormalization is ONNX's (opset 17) under the older domain."""
    return HANDLERS["LayerNormalization"](ctx, node, attrs)


@contrib("SkipLayerNormalization", "SkipSimplifiedLayerNormalization")
def _skip_layer_norm(ctx, node, attrs):
    """s = input + skip (+ bias); LayerNorm(s) gamma + beta over the last axis (the simplified form: RMS
    norm, s / sqrt(mean(s^2) + eps) gamma). Outputs: y, mean, inv_std_var ([..., 1]), s."""
    w, i = ctx.w, _ins(node)
    simplified = node.op_type.startswith("SkipSimplified")
    bias_at = 3 if simplified else 4
    s = w.add(ctx.val(i[0]), ctx.val(i[1]))
    s = w.add(s, ctx.val(i[bias_at])) if len(i) > bias_at and i[bias_at] else s
    beta = None if simplified or len(i) < 4 or not i[3] else ctx.val(i[3])
    eps = float(attrs.get("epsilon", 1e-12))
    mean = None if simplified else w.reduce("mean", s, [-1], True)
    c = s if simplified else w.sub(s, mean)
    inv = w.unary("rsqrt", w.add(w.reduce("mean", w.mul(c, c), [-1], True), w.scalar_like(eps, s)))
    y = w.mul(w.mul(c, inv), ctx.val(i[2]))
    y = w.add(y, beta) if beta is not None else y
    return [y, mean, inv, s] if not simplified else [y, None, inv, s]


@contrib("SimplifiedLayerNormalization")
def _rms_norm(ctx, node, attrs):
    """x / sqrt(mean(x^2 over axes from `axis`) + eps) scale."""
    w, x = ctx.w, ctx.val(node.input[0])
    nd = len(w.shape(x))
    axes = list(range(int(attrs.get("axis", -1)) % nd, nd))
    ms = w.reduce("mean", w.mul(x, x), axes, True)
    inv = w.unary("rsqrt", w.add(ms, w.scalar_like(float(attrs.get("epsilon", 1e-5)), x)))
    return [w.mul(w.mul(x, inv), ctx.val(node.input[1])), inv]


@contrib("FusedMatMul")
def _fused_matmul(ctx, node, attrs):
    """alpha op(A) op(B), op a transpose of the last two axes where transA / transB say."""
    if attrs.get("transBatchA", 0) or attrs.get("transBatchB", 0):
        raise UnsupportedModel(f"FusedMatMul (node {node.name!r}) with transBatchA / transBatchB")
    w = ctx.w
    a, b = ctx.val(node.input[0]), ctx.val(node.input[1])
    y = w.matmul(a, b, bool(attrs.get("transA", 0)), bool(attrs.get("transB", 0)))
    alpha = float(attrs.get("alpha", 1.0))
    return [y if alpha == 1.0 else w.mul(y, w.scalar_like(alpha, y))]


@contrib("Attention")
def _attention(ctx, node, attrs):
    """Multi-head self-attention with packed weights: Q K V = input W + bias ([B, S, H] @ [H, 3H]), each split
    into num_heads; softmax(Q K^T scale + mask) V with the heads merged back. mask_index [B, S] (1 keep, 0 not)
    and unidirectional (causal) add mask_filter_value (-10000) to the scores they exclude, as onnxruntime."""
    w, i = ctx.w, _ins(node)
    extra = [n for k, n in enumerate(i) if k > 3 and n] + [o for o in node.output[1:] if o]
    if extra or attrs.get("do_rotary", 0) or len(set(attrs.get("qkv_hidden_sizes", [0]))) > 1:
        raise UnsupportedModel(f"contrib Attention (node {node.name!r}) with past / present / attention_bias, "
                               "rotary or unequal qkv_hidden_sizes (known: input, weights, bias, 2-D mask_index)")
    x = ctx.val(i[0])
    qkv = w.matmul(x, ctx.val(i[1]))
    qkv = w.add(qkv, ctx.val(i[2])) if len(i) > 2 and i[2] else qkv
    b, s, h3 = w.shape(qkv)
    heads, h = int(attrs["num_heads"]), h3 // 3
    d = h // heads
    q, k, v = (w.transpose(w.reshape(t, [b, s, heads, d]), [0, 2, 1, 3]) for t in w.split(qkv, [h] * 3, 2))
    scores = w.mul(w.matmul(q, k, transpose_b=True), w.scalar_like(attrs.get("scale", 1 / d ** 0.5), q))
    fill = w.scalar_like(attrs.get("mask_filter_value", -10000.0), scores)
    if len(i) > 3 and i[3]:
        m = ctx.val(i[3])
        if list(w.shape(m)) != [b, s]:
            raise UnsupportedModel(f"contrib Attention mask_index of shape {list(w.shape(m))} (known: [batch, "
                                   f"sequence] = {[b, s]} of 1 / 0)")
        keep = w.reshape(w.binary("not_equal", m, w.scalar_like(0, m)), [b, 1, 1, s])
        scores = w.where(keep, scores, w.add(scores, fill))
    if attrs.get("unidirectional", 0):
        scores = w.where(w.const(np.tril(np.ones((s, s), bool))), scores, w.add(scores, fill))
    y = w.matmul(w.softmax("softmax", scores, -1), v)
    return [w.reshape(w.transpose(y, [0, 2, 1, 3]), [b, s, h])]


CONTRIB["MatMulNBits"] = onnx_contrib_llm.matmul_nbits
CONTRIB["GroupQueryAttention"] = onnx_contrib_llm.group_query_attention

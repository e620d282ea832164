"""nn.MultiheadAttention(embed_dim, num_heads, dropout=0.0, has_bias=True, add_bias_kv=False, add_zero_attn=False,
kdim=None, vdim=None, batch_first=False, dtype=float32): MindSpore 2.10's documented layer (the same maths as
torch.nn.MultiheadAttention): q, k, v projected (in_proj_weight [3E, E] and in_proj_bias [3E] when kdim = vdim =
E, else q_proj_weight / k_proj_weight / v_proj_weight), split into heads, softmax(q k^T / sqrt(E / H) + masks)
v, heads joined, out_proj (a Dense). construct(query, key, value, key_padding_mask=None, need_weights=True,
attn_mask=None, average_attn_weights=True) -> (output, weights or None). Masks: bool (True: not attended) or
float (added). add_bias_kv / add_zero_attn are refused by name. The derivative is that of the ops used."""
from __future__ import annotations

import math

from .. import dtype as _dt
from .. import ops as _ops
from .._cellbase import Cell
from .._tensor import Parameter, Tensor
from ..common.initializer import XavierUniform, initializer

__all__ = ["MultiheadAttention"]


def _additive(mask, dtype: str, where: str):
    """A mask as numbers added to the scores: bool True -> -inf, a float mask as it is."""
    if not isinstance(mask, Tensor):
        raise TypeError(f"MultiheadAttention: {where} must be a Tensor, got {type(mask).__name__}")
    if mask._dtype == "bool":
        return _ops.masked_fill(_ops.zeros(tuple(mask.shape), dtype), mask, float("-inf"))
    return mask if mask._dtype == dtype else _ops.cast(mask, dtype)


class MultiheadAttention(Cell):
    """See the module's doc."""

    def __init__(self, embed_dim, num_heads, dropout=0.0, has_bias=True, add_bias_kv=False, add_zero_attn=False,
                 kdim=None, vdim=None, batch_first=False, dtype=_dt.float32):
        super().__init__()
        if embed_dim % num_heads:
            raise ValueError(f"MultiheadAttention: embed_dim {embed_dim} must be divisible by num_heads {num_heads}")
        if add_bias_kv or add_zero_attn:
            raise NotImplementedError("MultiheadAttention: add_bias_kv and add_zero_attn are not supported by gradserve")
        if not 0.0 <= float(dropout) < 1.0:
            raise ValueError(f"MultiheadAttention: dropout must be in [0, 1), got {dropout}")
        self.embed_dim, self.num_heads, self.head_dim = embed_dim, num_heads, embed_dim // num_heads
        self.kdim, self.vdim = kdim or embed_dim, vdim or embed_dim
        self.dropout, self.batch_first = float(dropout), bool(batch_first)
        self._same_dims = self.kdim == embed_dim and self.vdim == embed_dim
        if self._same_dims:
            self.in_proj_weight = Parameter(initializer(XavierUniform(), (3 * embed_dim, embed_dim), dtype),
                                            name="in_proj_weight")
        else:
            self.q_proj_weight = Parameter(initializer(XavierUniform(), (embed_dim, embed_dim), dtype), name="q_proj_weight")
            self.k_proj_weight = Parameter(initializer(XavierUniform(), (embed_dim, self.kdim), dtype), name="k_proj_weight")
            self.v_proj_weight = Parameter(initializer(XavierUniform(), (embed_dim, self.vdim), dtype), name="v_proj_weight")
        self.in_proj_bias = Parameter(initializer("zeros", (3 * embed_dim,), dtype), name="in_proj_bias") if has_bias else None
        from . import Dense  # the package's Dense (imported here: this module loads inside nn/__init__)
        self.out_proj = Dense(embed_dim, embed_dim, has_bias=has_bias, dtype=dtype)
        if has_bias:
            self.out_proj.bias.set_data(initializer("zeros", (embed_dim,), dtype))

    def _project(self, x, which: int):
        e = self.embed_dim
        if self._same_dims:
            w = self.in_proj_weight[which * e:(which + 1) * e]
        else:
            w = (self.q_proj_weight, self.k_proj_weight, self.v_proj_weight)[which]
        y = _ops.matmul(x, _ops.transpose(w, (1, 0)))
        if self.in_proj_bias is not None:
            y = y + self.in_proj_bias[which * e:(which + 1) * e]
        return y

    def construct(self, query, key, value, key_padding_mask=None, need_weights=True, attn_mask=None,
                  average_attn_weights=True):
        batched = query.ndim == 3
        if not batched:  # unbatched [L, E]: a batch of one
            query, key, value = (_ops.expand_dims(t, 1) for t in (query, key, value))
            if key_padding_mask is not None:
                key_padding_mask = _ops.expand_dims(key_padding_mask, 0)
        elif self.batch_first:
            query, key, value = (_ops.transpose(t, (1, 0, 2)) for t in (query, key, value))
        tgt_len, bsz, e = query.shape
        src_len = key.shape[0]
        h, hd = self.num_heads, self.head_dim
        if e != self.embed_dim:
            raise ValueError(f"MultiheadAttention: query's last axis {e} must be embed_dim {self.embed_dim}")

        def heads(x, length):  # [len, B, E] -> [B * H, len, hd]
            return _ops.transpose(_ops.reshape(x, (length, bsz * h, hd)), (1, 0, 2))

        q = heads(self._project(query, 0), tgt_len) * (1.0 / math.sqrt(hd))
        k = heads(self._project(key, 1), src_len)
        v = heads(self._project(value, 2), src_len)
        scores = _ops.bmm(q, _ops.transpose(k, (0, 2, 1)))  # [B * H, L, S]
        if attn_mask is not None:
            m = _additive(attn_mask, scores._dtype, "attn_mask")
            scores = scores + (m if m.ndim == 2 else _ops.reshape(m, (bsz * h, tgt_len, src_len)))
        if key_padding_mask is not None:
            m = _additive(key_padding_mask, scores._dtype, "key_padding_mask")  # [B, S]
            scores = _ops.reshape(_ops.reshape(scores, (bsz, h, tgt_len, src_len))
                                  + _ops.reshape(m, (bsz, 1, 1, src_len)), (bsz * h, tgt_len, src_len))
        weights = _ops.softmax(scores, -1)
        if self.dropout > 0.0 and self.training:
            weights = _ops.dropout(weights, p=self.dropout)
        out = _ops.bmm(weights, v)  # [B * H, L, hd]
        out = _ops.reshape(_ops.transpose(out, (1, 0, 2)), (tgt_len, bsz, e))
        out = self.out_proj(out)
        if not batched:
            out = _ops.squeeze(out, 1)
        elif self.batch_first:
            out = _ops.transpose(out, (1, 0, 2))
        if not need_weights:
            return out, None
        w = _ops.reshape(weights, (bsz, h, tgt_len, src_len))
        w = _ops.mean(w, 1) if average_attn_weights else w
        return out, (_ops.squeeze(w, 0) if not batched else w)

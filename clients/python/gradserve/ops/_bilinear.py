"""ops.bidense(input1, input2, weight, bias=None): the bilinear map out[..., o] = input1^T W[o] input2 + b[o]
(nn.BiDense's computation)."""
from __future__ import annotations

from ._extra import P

__all__ = ["bidense"]


def bidense(input1, input2, weight, bias=None):
    """input1 [..., in1], input2 [..., in2] (the same leading sizes), weight [out, in1, in2], bias [out] ->
    [..., out]."""
    s1, s2, w = tuple(input1.shape), tuple(input2.shape), tuple(weight.shape)
    if len(w) != 3 or s1[-1] != w[1] or s2[-1] != w[2] or s1[:-1] != s2[:-1]:
        raise ValueError(f"bidense: inputs [..., in1] and [..., in2] (the same leading sizes) and weight "
                         f"[out, in1, in2] do not fit: shapes {list(s1)}, {list(s2)} and {list(w)}")
    out_ch, in1, in2 = w
    x1 = P.reshape(input1, (-1, in1))
    x2 = P.reshape(input2, (-1, in2))
    # x1 @ W laid out [in1, out * in2], then each out's [in2] row dotted with x2
    t = P.reshape(P.matmul(x1, P.reshape(P.transpose(weight, (1, 0, 2)), (in1, -1))), (-1, out_ch, in2))
    out = P.sum(P.mul(t, P.expand_dims(x2, 1)), -1)
    if bias is not None:
        out = P.add(out, bias)
    return P.reshape(out, (*s1[:-1], out_ch))

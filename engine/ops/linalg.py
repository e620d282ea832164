"""Linear algebra: matmul (MindSpore MatMul / BatchMatMul)."""
from __future__ import annotations

import numpy as np

from ..errors import ShapeError
from ..ir import AVal
from ._infer import broadcast_shapes
from .registry import Attr, defop, impl_rules, jvp_rules, vjp_rules


def _mt(shape, t):
    return shape[:-2] + (shape[-1], shape[-2]) if t else shape


def _matmul_infer(avals, transpose_a, transpose_b):
    a, b = avals
    if a.dtype != b.dtype:
        raise ShapeError(f"matmul: operand dtypes differ: {a} vs {b}", dtypes=[a.dtype, b.dtype])
    if a.ndim < 2 or b.ndim < 2:
        raise ShapeError(f"matmul: operands must have rank >= 2, got {a} and {b}",
                         shapes=[list(a.shape), list(b.shape)])
    sa, sb = _mt(a.shape, transpose_a), _mt(b.shape, transpose_b)
    if sa[-1] != sb[-2]:
        raise ShapeError(f"matmul: inner dimensions differ: {a} @ {b} "
                         f"(transpose_a={transpose_a}, transpose_b={transpose_b})",
                         shapes=[list(a.shape), list(b.shape)])
    batch = broadcast_shapes("matmul", sa[:-2], sb[:-2])
    return [AVal(batch + (sa[-2], sb[-1]), a.dtype)]


def _matmul_impl(xp, a, b, transpose_a, transpose_b):
    if transpose_a:
        a = xp.matrix_transpose(a)
    if transpose_b:
        b = xp.matrix_transpose(b)
    return xp.matmul(a, b)


def _matmul_vjp(b, ins, outs, cts, transpose_a, transpose_b):
    x, y = ins
    g = cts[0]
    ga = b.matmul(y, g, transpose_a=transpose_b, transpose_b=True) if transpose_a else \
        b.matmul(g, y, transpose_a=False, transpose_b=not transpose_b)
    gb = b.matmul(g, x, transpose_a=True, transpose_b=transpose_a) if transpose_b else \
        b.matmul(x, g, transpose_a=not transpose_a, transpose_b=False)
    return [ga, gb]


def _matmul_jvp(b, ins, outs, ts, transpose_a, transpose_b):
    x, y = ins
    kw = dict(transpose_a=transpose_a, transpose_b=transpose_b)
    ta = ts[0] and b.matmul(ts[0], y, **kw)
    tb = ts[1] and b.matmul(x, ts[1], **kw)
    return [b.add_any(ta, tb)]


def _np_matmul_out(e):
    ta, tb = e.attrs.get("transpose_a"), e.attrs.get("transpose_b")
    return np.matmul, "red", (".mT" if ta else "", ".mT" if tb else "")


defop("matmul", 2, _matmul_infer, attrs={"transpose_a": Attr("bool", False), "transpose_b": Attr("bool", False)},
      doc="matrix product over the last two axes, batch axes broadcast (MatMul / BatchMatMul)",
      linear=True, sign_symmetric=True, np_out=_np_matmul_out)
impl_rules["matmul"] = _matmul_impl
vjp_rules["matmul"] = _matmul_vjp
jvp_rules["matmul"] = _matmul_jvp

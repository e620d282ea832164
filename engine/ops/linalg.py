"""Linear algebra: matmul (MindSpore MatMul / BatchMatMul)."""
from __future__ import annotations

from ..backends.split_gemm import kernel_for
from ..ir import NP_DTYPES
from ._infer import conj, rule_infer
from .registry import Attr, defop, impl_rules, jvp_rules, vjp_rules


def _matmul_impl(xp, a, b, transpose_a, transpose_b):
    if transpose_a:
        a = xp.matrix_transpose(a)
    if transpose_b:
        b = xp.matrix_transpose(b)
    return xp.matmul(a, b)


def _matmul_vjp(b, ins, outs, cts, transpose_a, transpose_b):
    x, y = conj(b, ins[0]), conj(b, ins[1])  # complex: dA = G @ B^H, dB = A^H @ G
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
    a, b = e.inputs
    sa = a.shape[:-2] + a.shape[:-3:-1] if ta and len(a.shape) >= 2 else tuple(a.shape)
    sb = b.shape[:-2] + b.shape[:-3:-1] if tb and len(b.shape) >= 2 else tuple(b.shape)
    # the split dispatcher where intra-op threads may split it, else its one-call kernel, bound now
    return kernel_for(tuple(sa), tuple(sb), NP_DTYPES[a.dtype], NP_DTYPES[b.dtype]), "red", \
        (".mT" if ta else "", ".mT" if tb else "")


def _matmul_flops(e) -> int:
    """2 K per output element (a multiply and an add per term of the contraction over K)."""
    a = e.inputs[0].aval
    k = a.shape[-2] if e.attrs.get("transpose_a") and len(a.shape) >= 2 else (a.shape[-1] if a.shape else 1)
    return 2 * k * e.outputs[0].aval.size


defop("matmul", 2, rule_infer("matmul"), attrs={"transpose_a": Attr("bool", False), "transpose_b": Attr("bool", False)},
      doc="matrix product over the last two axes, batch axes broadcast (MatMul / BatchMatMul)",
      linear=True, sign_symmetric=True, np_out=_np_matmul_out, flops=_matmul_flops)
impl_rules["matmul"] = _matmul_impl
vjp_rules["matmul"] = _matmul_vjp
jvp_rules["matmul"] = _matmul_jvp

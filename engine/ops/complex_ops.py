"""Complex parts and construction: conj, real, imag, angle, complex(re, im).

Derivatives follow MindSpore's convention (docs/API.md, "Complex numbers"): a reverse rule maps the
output cotangent c to the input one c' with Re(conj(c') dx) = Re(conj(c) dy), so the gradient of a
real loss L is dL/dRe(x) + i dL/dIm(x); forward rules push tangents through the real-linear
derivative. real / imag / conj of a real tensor are x, 0, x (as MindSpore's ops.real / imag / conj).
"""
from __future__ import annotations

import numpy as np

from ..ir import is_complex
from ._infer import complex_array as _is_c, conj, rule_infer
from .registry import defop, impl_rules, jvp_rules, vjp_rules


defop("conj", 1, rule_infer("conj"), doc="complex conjugate (a real tensor unchanged)")
impl_rules["conj"] = lambda xp, x: xp.conj(x) if _is_c(xp, x) else x
vjp_rules["conj"] = lambda b, ins, outs, cts: [conj(b, cts[0])]
jvp_rules["conj"] = lambda b, ins, outs, ts: [conj(b, ts[0])]

defop("real", 1, rule_infer("real"), doc="real part (complex -> real; a real tensor unchanged)")
impl_rules["real"] = lambda xp, x: xp.real(x) if _is_c(xp, x) else x
vjp_rules["real"] = lambda b, ins, outs, cts: [b.cast(cts[0], dtype=ins[0].dtype)]  # c -> c + 0i
jvp_rules["real"] = lambda b, ins, outs, ts: [b.real(ts[0])]

defop("imag", 1, rule_infer("imag"), doc="imaginary part (complex -> real; of a real tensor: zeros)")
impl_rules["imag"] = lambda xp, x: xp.imag(x) if _is_c(xp, x) else xp.zeros_like(x)
# c -> i c; the imaginary part of a real tensor is a constant
vjp_rules["imag"] = lambda b, ins, outs, cts: [
    b.complex(b.zeros_like(cts[0]), cts[0]) if is_complex(ins[0].dtype) else None]
jvp_rules["imag"] = lambda b, ins, outs, ts: [b.imag(ts[0]) if is_complex(ins[0].dtype) else None]


def _angle_parts(b, x):
    """(re, im, |x|^2 with 1 where x == 0, mask x == 0): angle's derivative i x / |x|^2, 0 at 0."""
    re, im = b.real(x), b.imag(x)
    r2 = b.add(b.square(re), b.square(im))
    zero = b.equal(r2, b.zeros_like(r2))
    return re, im, b.where(zero, b.full_like(r2, 1.0), r2), zero


def _angle_vjp(b, ins, outs, cts):
    re, im, r2, zero = _angle_parts(b, ins[0])
    c = b.where(zero, b.zeros_like(r2), b.div(cts[0], r2))
    return [b.complex(b.neg(b.mul(c, im)), b.mul(c, re))]


def _angle_jvp(b, ins, outs, ts):
    re, im, r2, zero = _angle_parts(b, ins[0])
    t = ts[0]
    d = b.sub(b.mul(re, b.imag(t)), b.mul(im, b.real(t)))  # Im(conj(x) t)
    return [b.where(zero, b.zeros_like(r2), b.div(d, r2))]


defop("angle", 1, rule_infer("angle"), doc="argument of a complex number, atan2(imag, real), in (-pi, pi]")
impl_rules["angle"] = lambda xp, x: xp.atan2(xp.imag(x), xp.real(x))
vjp_rules["angle"], jvp_rules["angle"] = _angle_vjp, _angle_jvp


def _complex_impl(xp, re, im):
    cdt = xp.complex128 if re.dtype == xp.float64 else xp.complex64
    if isinstance(re, np.ndarray):  # exact parts (re + i*im would turn an infinite im into a NaN real part)
        out = np.empty(np.broadcast_shapes(re.shape, im.shape), cdt)
        out.real, out.imag = re, im
        return out
    make = getattr(xp, "complex", None)  # torch.complex: exact too
    if callable(make) and not isinstance(make, type):
        return make(re, im)
    return xp.astype(re, cdt) + xp.astype(im, cdt) * 1j  # other namespaces: exact for finite parts


def _complex_jvp(b, ins, outs, ts):
    tr, ti = ts
    if tr is None and ti is None:
        return [None]
    return [b.complex(tr if tr is not None else b.zeros_like(ins[0]), ti if ti is not None else b.zeros_like(ins[1]))]


defop("complex", 2, rule_infer("complex"), doc="complex(re, im): float32 (float64) parts, broadcast, to complex64 "
      "(complex128)")
impl_rules["complex"] = _complex_impl
vjp_rules["complex"] = lambda b, ins, outs, cts: [b.real(cts[0]), b.imag(cts[0])]
jvp_rules["complex"] = _complex_jvp

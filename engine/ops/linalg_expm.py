"""matrix_exp: the matrix exponential of [..., n, n], a composite (Higham 2005, scaling and squaring):
exp(A) = r(A / 2^s)^(2^s), r the [m/m] Padé approximant (m = 13 for float64 / complex128, 7 for float32 /
complex64 with Higham's single-precision bound; float16 / bfloat16 computed in float32), s the fewest halvings
that bring the 1-norm to the degree's bound theta_m.

s varies per matrix of a batch and a graph is static, so the squarings are a masked fixed count (JAX's expm
does the same): MAX_SQUARINGS steps, step i squaring only the matrices with s > i. A matrix that would need
more (1-norm above theta_m 2^MAX_SQUARINGS; past it the rounding error u ||A|| leaves no correct digit in
general) gives NaN, never a truncated sum. The degree is fixed per dtype, not chosen from the norm as scipy
does: the top degree is as exact at small norms, and one graph keeps every derivative order, jvp and vmap the
existing rules' (matmul, solve, where; s is a stop_gradient integer, 2^-s exact).
"""
from __future__ import annotations

import math

import numpy as np

from .composite import defcomposite

# (Padé coefficients b_0..b_m, theta_m) per degree: Higham 2005, Table 2.3 (double) and JAX's / Higham's
# single-precision bound for degree 7
_PADE = {
    13: ((64764752532480000., 32382376266240000., 7771770303897600., 1187353796428800., 129060195264000.,
          10559470521600., 670442572800., 33522128640., 1323241920., 40840800., 960960., 16380., 182., 1.),
         5.371920351148152),
    7: ((17297280., 8648640., 1995840., 277200., 25200., 1512., 56., 1.), 3.925724783138660),
}
MAX_SQUARINGS = {13: 48, 7: 24}  # theta 2^s: ~1.5e15 (float64), ~6.6e7 (float32), about 1 / eps each
_COMPUTE = {"float16": "float32", "bfloat16": "float32"}


def _degree(dtype: str) -> int:
    return 13 if dtype in ("float64", "complex128") else 7


def _const(b, value, dtype):
    return b.emit1("const", value=np.asarray(value, dtype=dtype))


def _poly(b, terms, dtype, eye):
    """sum of c_k P_k over (c_k, P_k) pairs, P None standing for the identity."""
    out = None
    for c, p in terms:
        t = b.mul(_const(b, c, dtype), eye if p is None else p)
        out = t if out is None else b.add(out, t)
    return out


def _pade(b, a, degree: int, dtype: str):
    """r(a) = (V - U)^-1 (V + U), U the odd part of the [m/m] numerator, V the even part."""
    c = _PADE[degree][0]
    eye = _const(b, np.eye(a.shape[-1]), dtype)
    a2 = b.matmul(a, a)
    a4 = b.matmul(a2, a2)
    a6 = b.matmul(a4, a2)
    if degree == 13:
        u = b.add(b.matmul(a6, _poly(b, [(c[13], a6), (c[11], a4), (c[9], a2)], dtype, eye)),
                  _poly(b, [(c[7], a6), (c[5], a4), (c[3], a2), (c[1], None)], dtype, eye))
        v = b.add(b.matmul(a6, _poly(b, [(c[12], a6), (c[10], a4), (c[8], a2)], dtype, eye)),
                  _poly(b, [(c[6], a6), (c[4], a4), (c[2], a2), (c[0], None)], dtype, eye))
    else:
        u = _poly(b, [(c[7], a6), (c[5], a4), (c[3], a2), (c[1], None)], dtype, eye)
        v = _poly(b, [(c[6], a6), (c[4], a4), (c[2], a2), (c[0], None)], dtype, eye)
    u = b.matmul(a, u)
    return b.solve(b.sub(v, u), b.add(v, u))


def _squarings(b, a, theta: float):
    """s [..., 1, 1] = max(0, ceil(log2(||a||_1 / theta))), a constant to the derivatives."""
    nd = a.aval.ndim
    norm = b.max(b.sum(b.abs(a), axis=(nd - 2,), keepdims=True), axis=(nd - 1,), keepdims=True)
    real = norm.dtype
    norm = b.maximum(norm, _const(b, np.finfo(real).smallest_normal, real))  # (no log(0): a zero matrix, s = 0)
    s = b.ceil(b.div(b.log(b.div(norm, _const(b, theta, real))), _const(b, math.log(2.0), real)))
    return b.stop_gradient(b.maximum(s, _const(b, 0.0, real)))


def _matrix_exp(b, x):
    dtype = _COMPUTE.get(x.dtype, x.dtype)
    a = b.cast(x, dtype=dtype) if dtype != x.dtype else x
    degree = _degree(dtype)
    s = _squarings(b, a, _PADE[degree][1])
    real = s.dtype
    scale = b.pow(_const(b, 2.0, real), b.neg(s))  # exact: a power of two
    r = _pade(b, b.mul(a, b.cast(scale, dtype=dtype) if real != dtype else scale), degree, dtype)
    for i in range(MAX_SQUARINGS[degree]):
        r = b.where(b.greater(s, _const(b, float(i), real)), b.matmul(r, r), r)
    too_large = b.greater(s, _const(b, float(MAX_SQUARINGS[degree]), real))
    r = b.where(too_large, _const(b, np.nan, dtype), r)
    return b.cast(r, dtype=x.dtype) if dtype != x.dtype else r


defcomposite("matrix_exp", 1, _matrix_exp,
             doc="the matrix exponential of [..., n, n] (float or complex): scaling and squaring with a Padé "
                 "approximant (degree 13 for 64-bit, 7 for 32-bit), a masked fixed count of squarings; NaN where "
                 "the 1-norm needs more than 48 (64-bit) / 24 (32-bit) squarings")

"""Discrete Fourier transforms over chosen axes, as numpy.fft's n-d forms: fft (complex -> complex, or its
inverse), rfft (real -> the half spectrum: the last axis given keeps n // 2 + 1 points) and irfft (a half
spectrum -> n real points). norm: 'backward' (1/n on the inverse), 'ortho' (1/sqrt(n) both ways),
'forward' (1/n on the forward transform).

Complex tensors are the engine's complex64 / complex128 (not ONNX DFT's trailing [re, im] axis): the other
complex ops, their derivative convention (MindSpore's, docs/API.md) and the wire form exist already, so a
spectrum multiplies by complex weights with plain `mul`; the ONNX importer converts at its edge.
Lengths (numpy's n / s) are not attributes: callers pad or crop the input with `pad` first, so each op
here has one shape and one adjoint.

Derivatives: every op is (real-)linear. The reverse rule of a linear map A is its adjoint A^H (the gradient of
a real loss is dL/dRe + i dL/dIm), and A^H of a transform with norm m is the opposite transform with the dual
norm (backward <-> forward, ortho <-> ortho). rfft's adjoint zero-pads the half spectrum to n points
(the discarded half has no cotangent) and keeps the real part; irfft's adjoint is rfft with the interior
frequencies doubled (each stands for itself and its conjugate twin; DC and Nyquist stand once).
"""
from __future__ import annotations

import math

import numpy as np

from ._infer import rule_infer
from .registry import Attr, defop, impl_rules, jvp_rules, vjp_rules

DUAL_NORM = {"backward": "forward", "forward": "backward", "ortho": "ortho"}
_AXES = {"axes": Attr("ints"), "norm": Attr("str", "backward")}


def _axes(x, axes) -> tuple:
    return tuple(a % len(x.shape) for a in axes)


def _flops(e) -> int:
    """~5 N log2 N per transform of N points (Cooley-Tukey), N the product of the transformed axes."""
    big = max((v.aval for v in (*e.inputs, *e.outputs)), key=lambda a: a.size)
    n = math.prod(big.shape[a] for a in _axes(big, e.attrs["axes"]))
    return int(5 * big.size * max(math.log2(max(n, 2)), 1.0))


def _empty(xp, x, axes, n, complex_out: bool):
    """The result for an input with an empty untransformed axis (MKL, torch's CPU FFT, refuses those):
    zeros of the output's shape (the last transformed axis n long) and dtype."""
    shape = list(x.shape)
    shape[_axes(x, axes)[-1]] = n
    wide = x.dtype in (xp.float64, xp.complex128)
    dtype = (xp.complex128 if wide else xp.complex64) if complex_out else (xp.float64 if wide else xp.float32)
    return xp.zeros(tuple(shape), dtype=dtype)


# -- fft: complex -> complex ---------------------------------------------------------------------------
def _fft_impl(xp, x, axes, inverse, norm):
    if math.prod(x.shape) == 0:
        return _empty(xp, x, axes, x.shape[_axes(x, axes)[-1]], True)
    f = xp.fft.ifftn if inverse else xp.fft.fftn
    return f(x, axes=_axes(x, axes), norm=norm)


defop("fft", 1, rule_infer("fft"), attrs={**_AXES, "inverse": Attr("bool", False)}, flops=_flops,
      doc="discrete Fourier transform of a complex tensor over `axes` (inverse: the inverse transform); "
          "norm 'backward' | 'ortho' | 'forward' as numpy.fft")
impl_rules["fft"] = _fft_impl
vjp_rules["fft"] = lambda b, ins, outs, cts, axes, inverse, norm: [
    b.fft(cts[0], axes=axes, inverse=not inverse, norm=DUAL_NORM[norm])]
jvp_rules["fft"] = lambda b, ins, outs, ts, **a: [b.fft(ts[0], **a)]


# -- rfft: real -> half spectrum ------------------------------------------------------------------------
def _rfft_vjp(b, ins, outs, cts, axes, norm):
    x = ins[0]
    ax = _axes(x, axes)
    pads = [[0, 0] for _ in x.shape]
    pads[ax[-1]][1] = x.shape[ax[-1]] - outs[0].shape[ax[-1]]  # the dropped half: no cotangent
    full = b.pad(cts[0], pads=pads) if pads[ax[-1]][1] else cts[0]
    return [b.real(b.fft(full, axes=ax, inverse=True, norm=DUAL_NORM[norm]))]


def _rfft_impl(xp, x, axes, norm):
    if math.prod(x.shape) == 0:
        return _empty(xp, x, axes, x.shape[_axes(x, axes)[-1]] // 2 + 1, True)
    return xp.fft.rfftn(x, axes=_axes(x, axes), norm=norm)


defop("rfft", 1, rule_infer("rfft"), attrs=_AXES, flops=_flops,
      doc="Fourier transform of a real tensor over `axes`: the last axis given keeps its n // 2 + 1 "
          "non-negative frequencies (numpy.fft.rfftn); float32 -> complex64, float64 -> complex128")
impl_rules["rfft"] = _rfft_impl
vjp_rules["rfft"] = _rfft_vjp
jvp_rules["rfft"] = lambda b, ins, outs, ts, **a: [b.rfft(ts[0], **a)]


# -- irfft: half spectrum -> real -----------------------------------------------------------------------
def _irfft_impl(xp, x, axes, n, norm):
    if math.prod(x.shape) == 0:
        return _empty(xp, x, axes, n, False)
    ax = _axes(x, axes)
    return xp.fft.irfftn(x, s=tuple(x.shape[a] for a in ax[:-1]) + (n,), axes=ax, norm=norm)


def _irfft_vjp(b, ins, outs, cts, axes, n, norm):
    x = ins[0]
    ax = _axes(x, axes)
    m = x.shape[ax[-1]]
    w = np.full(m, 2.0)  # interior frequencies count twice (themselves and their conjugates)
    w[0] = 1.0
    if n % 2 == 0:
        w[-1] = 1.0  # Nyquist
    g = b.rfft(cts[0], axes=ax, norm=DUAL_NORM[norm])
    if m == 1 or (m == 2 and n % 2 == 0):
        return [g]
    shape = [1] * len(x.shape)
    shape[ax[-1]] = m
    return [b.mul(g, b.emit1("const", value=w.reshape(shape).astype(x.dtype)))]


defop("irfft", 1, rule_infer("irfft"), attrs={"axes": Attr("ints"), "n": Attr("int"), "norm": Attr("str", "backward")},
      flops=_flops,
      doc="inverse of rfft: a half spectrum (n // 2 + 1 points on the last axis given) to n real points "
          "(numpy.fft.irfftn; the imaginary parts of the DC and Nyquist terms are ignored)")
impl_rules["irfft"] = _irfft_impl
vjp_rules["irfft"] = _irfft_vjp
jvp_rules["irfft"] = lambda b, ins, outs, ts, **a: [b.irfft(ts[0], **a)]

"""ops.stft(x, n_fft, hop_length=None, win_length=None, window=None, center=True, pad_mode='REFLECT',
normalized=False, onesided=None, return_complex=None) and the primitive ops.STFT(n_fft, hop_length, win_length,
normalized, onesided, return_complex)(x, window): MindSpore 2.10 CPU's values are torch.stft's (checked on its
runs). Frames x[t * hop : t * hop + n_fft] times the window (zero-padded to n_fft, centred) against constant
cos / sin matrices: real matmuls (a complex input or window part by part), so the result is differentiable
(MindSpore 2.10 has no STFT bprop and raises; gradserve gives the derivative of the math)."""
from __future__ import annotations

import operator

import numpy as np

from .._late import late
from .._tensor import Tensor
from .._calling_errors import input_dtype_error, tensor_type
from ..dtype import promote

__all__ = ["stft", "STFT"]

_TYPES = ("complex128", "complex64", "float32", "float64")


def _check_dtype(x) -> None:
    if x._dtype not in _TYPES:
        names = ", ".join(f"Tensor[{t.capitalize()}]" for t in _TYPES)
        raise input_dtype_error("STFT", "x", _TYPES, tensor_type(x))


def _check(x, window, n_fft: int, onesided: bool) -> None:
    _check_dtype(x)
    if window is None:
        raise TypeError("For Primitive[STFT], the type of input argument[window] must be Tensor but got None.")
    if not 0 < n_fft <= int(x.shape[-1]):
        raise ValueError(f"For primitive[STFT], the n_fft must be in (0,{int(x.shape[-1])}], but got {n_fft}.")
    for name, t in (("input", x), ("window", window)):
        if onesided and t._dtype.startswith("complex"):
            raise ValueError(f"For onesided should be false if {name} is complex,but got 1")


def _parts(t, real: str):
    """(real part, imaginary part or None) of t, as the real dtype `real`."""
    ops = late.ops
    if t._dtype.startswith("complex"):
        return ops.cast(ops.real(t), real), ops.cast(ops.imag(t), real)
    return ops.cast(t, real), None


def _cmul(a, b, mul=operator.mul):
    """(re, im) of the product (mul: element-wise or matmul) of two (re, im-or-None) pairs; im None if both are
    real."""
    (ar, ai), (br, bi) = a, b
    re = mul(ar, br) if ai is None or bi is None else mul(ar, br) - mul(ai, bi)
    terms = [t for t in (None if bi is None else mul(ar, bi), None if ai is None else mul(ai, br)) if t is not None]
    return re, (terms[0] + terms[1] if len(terms) == 2 else terms[0] if terms else None)


def _transform(x, n_fft: int, hop: int, win_length: int, window, normalized: bool, onesided: bool,
               return_complex: bool):
    """(..., L) -> (..., F, T) complex, or (..., F, T, 2) real: see the module's doc. The result's dtype is
    x's and window's promoted (float32 x, float64 window: float64; complex64 x, float64 window: complex128)."""
    ops = late.ops
    real = "float64" if promote(x._dtype, window._dtype) in ("float64", "complex128") else "float32"
    count = 1 + (int(x.shape[-1]) - n_fft) // hop
    index = Tensor((np.arange(count)[:, None] * hop + np.arange(n_fft)[None, :]).ravel().astype(np.int64))
    shape = tuple(x.shape[:-1]) + (count, n_fft)
    frames = tuple(None if p is None else ops.reshape(ops.gather(p, index, x.ndim - 1), shape)
                   for p in _parts(x, real))
    left = (n_fft - win_length) // 2
    w = tuple(None if p is None else ops.pad(p, (left, n_fft - win_length - left)) for p in _parts(window, real))
    bins = n_fft // 2 + 1 if onesided else n_fft
    angle = -2.0 * np.pi * np.outer(np.arange(n_fft), np.arange(bins)) / n_fft
    scale = 1.0 / np.sqrt(n_fft) if normalized else 1.0
    cos, sin = (Tensor((f(angle) * scale).astype(real)) for f in (np.cos, np.sin))
    # (a + ib)(cos + i sin) summed over the frame: re = a.cos - b.sin, im = a.sin + b.cos
    re, im = _cmul(_cmul(frames, w), (cos, sin), ops.matmul)
    re, im = (ops.swapaxes(t, -1, -2) for t in (re, im))
    return ops.complex(re, im) if return_complex else ops.stack([re, im], -1)


def _center(x, half: int, pad_mode: str):
    """x padded by half on both ends of its last axis (a complex x part by part)."""
    ops = late.ops
    if x._dtype.startswith("complex"):
        return ops.complex(*(_center(p, half, pad_mode) for p in (ops.real(x), ops.imag(x))))
    flat = ops.reshape(x, (-1, 1, int(x.shape[-1])))
    padded = ops.pad(flat, (half, half), pad_mode.lower(), 0.0 if pad_mode == "CONSTANT" else None)
    return ops.reshape(padded, tuple(x.shape[:-1]) + (int(x.shape[-1]) + 2 * half,))


def stft(x, n_fft, hop_length=None, win_length=None, window=None, center=True, pad_mode="REFLECT",
         normalized=False, onesided=None, return_complex=None):
    """See the module's doc: hop_length n_fft // 4, win_length n_fft and a window of ones by default; center pads
    n_fft // 2 on each side (pad_mode 'REFLECT' or 'CONSTANT'). onesided and return_complex default to False and
    True where x or window is complex, else to True and False (MindSpore 2.10)."""
    if pad_mode not in ("CONSTANT", "REFLECT", "SYMMETRIC"):
        raise ValueError(f"For 'Pad', the 'mode' must be str and must be in '['CONSTANT', 'REFLECT', 'SYMMETRIC']', "
                         f"but got '{pad_mode}'.")
    _check_dtype(x)
    if center:
        if pad_mode == "SYMMETRIC":
            raise NotImplementedError("For 'stft', pad_mode 'SYMMETRIC' is not supported by gradserve; use "
                                      "'REFLECT' or 'CONSTANT'.")
        x = _center(x, int(n_fft) // 2, pad_mode)
    hop = int(n_fft) // 4 if hop_length is None else int(hop_length)
    win_length = int(n_fft) if win_length is None else int(win_length)
    if window is None:
        window = late.ops.ones(win_length, "float64" if x._dtype in ("float64", "complex128") else "float32")
    is_complex = x._dtype.startswith("complex") or window._dtype.startswith("complex")
    return STFT(int(n_fft), hop, win_length, bool(normalized), not is_complex if onesided is None else bool(onesided),
                is_complex if return_complex is None else bool(return_complex))(x, window)


class STFT:
    """ops.STFT(n_fft, hop_length, win_length, normalized, onesided, return_complex)(x, window): stft without
    centring."""

    def __init__(self, n_fft, hop_length, win_length, normalized, onesided, return_complex):
        self.args = (int(n_fft), int(hop_length), int(win_length), bool(normalized), bool(onesided),
                     bool(return_complex))

    def __call__(self, x, window=None):
        n_fft, hop, win_length, normalized, onesided, return_complex = self.args
        _check(x, window, n_fft, onesided)
        return _transform(x, n_fft, hop, win_length, window, normalized, onesided, return_complex)

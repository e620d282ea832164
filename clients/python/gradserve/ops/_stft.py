"""ops.stft(x, n_fft, hop_length=None, win_length=None, window=None, center=True, pad_mode='REFLECT',
normalized=False, onesided=None, return_complex=None) and the primitive ops.STFT(n_fft, hop_length, win_length,
normalized, onesided, return_complex)(x, window): MindSpore 2.10 CPU's values are torch.stft's (checked on its
runs). Frames x[t * hop : t * hop + n_fft] times the window (zero-padded to n_fft, centred) against constant
cos / sin matrices: two real matmuls, so the result is differentiable (MindSpore 2.10 has no STFT bprop and
raises; gradserve gives the derivative of the math). Real inputs only (a complex one is refused)."""
from __future__ import annotations

import numpy as np

from .._late import late
from .._tensor import Tensor

__all__ = ["stft", "STFT"]

_TYPES = ("complex128", "complex64", "float32", "float64")


def _check_dtype(x) -> None:
    if x._dtype not in _TYPES:
        names = ", ".join(f"Tensor[{t.capitalize()}]" for t in _TYPES)
        raise TypeError(f"For primitive[STFT], the input argument[x] must be a type of {{{names}}}, but got "
                        f"Tensor[{x.dtype}].")
    if x._dtype.startswith("complex"):
        raise NotImplementedError("For 'STFT', complex inputs are not supported by gradserve; pass a real Tensor.")


def _check(x, n_fft: int) -> None:
    _check_dtype(x)
    if not 0 < n_fft <= int(x.shape[-1]):
        raise ValueError(f"For primitive[STFT], the n_fft must be in (0,{int(x.shape[-1])}], but got {n_fft}.")


def _transform(x, n_fft: int, hop: int, win_length: int, window, normalized: bool, onesided: bool,
               return_complex: bool):
    """(..., L) -> (..., F, T) complex, or (..., F, T, 2) real: see the module's doc."""
    ops = late.ops
    count = 1 + (int(x.shape[-1]) - n_fft) // hop
    index = (np.arange(count)[:, None] * hop + np.arange(n_fft)[None, :]).ravel()
    frames = ops.reshape(ops.gather(x, Tensor(index.astype(np.int64)), x.ndim - 1),
                         tuple(x.shape[:-1]) + (count, n_fft))
    w = ops.ones(win_length, x.dtype) if window is None else ops.cast(window, x.dtype)
    left = (n_fft - win_length) // 2
    w = ops.pad(w, (left, n_fft - win_length - left))
    bins = n_fft // 2 + 1 if onesided else n_fft
    angle = -2.0 * np.pi * np.outer(np.arange(n_fft), np.arange(bins)) / n_fft
    scale = 1.0 / np.sqrt(n_fft) if normalized else 1.0
    dtype = np.float64 if x._dtype == "float64" else np.float32
    weighted = frames * w
    re, im = (ops.swapaxes(ops.matmul(weighted, Tensor((f(angle) * scale).astype(dtype))), -1, -2)
              for f in (np.cos, np.sin))
    return ops.complex(re, im) if return_complex else ops.stack([re, im], -1)


def stft(x, n_fft, hop_length=None, win_length=None, window=None, center=True, pad_mode="REFLECT",
         normalized=False, onesided=None, return_complex=None):
    """See the module's doc: hop_length n_fft // 4, win_length n_fft and a window of ones by default; center pads
    n_fft // 2 on each side (pad_mode 'REFLECT' or 'CONSTANT'); onesided True and return_complex False for a real
    input by default (MindSpore 2.10)."""
    if pad_mode not in ("CONSTANT", "REFLECT", "SYMMETRIC"):
        raise ValueError(f"For 'Pad', the 'mode' must be str and must be in '['CONSTANT', 'REFLECT', 'SYMMETRIC']', "
                         f"but got '{pad_mode}'.")
    _check_dtype(x)
    if center:
        if pad_mode == "SYMMETRIC":
            raise NotImplementedError("For 'stft', pad_mode 'SYMMETRIC' is not supported by gradserve; use "
                                      "'REFLECT' or 'CONSTANT'.")
        half = int(n_fft) // 2
        flat = late.ops.reshape(x, (-1, 1, int(x.shape[-1])))
        padded = late.ops.pad(flat, (half, half), pad_mode.lower(), 0.0 if pad_mode == "CONSTANT" else None)
        x = late.ops.reshape(padded, tuple(x.shape[:-1]) + (int(x.shape[-1]) + 2 * half,))
    hop = int(n_fft) // 4 if hop_length is None else int(hop_length)
    return STFT(int(n_fft), hop, int(n_fft) if win_length is None else int(win_length), bool(normalized),
                True if onesided is None else bool(onesided), bool(return_complex))(x, window)


class STFT:
    """ops.STFT(n_fft, hop_length, win_length, normalized, onesided, return_complex)(x, window): stft without
    centring."""

    def __init__(self, n_fft, hop_length, win_length, normalized, onesided, return_complex):
        self.args = (int(n_fft), int(hop_length), int(win_length), bool(normalized), bool(onesided),
                     bool(return_complex))

    def __call__(self, x, window=None):
        n_fft, hop, win_length, normalized, onesided, return_complex = self.args
        _check(x, n_fft)
        return _transform(x, n_fft, hop, win_length, window, normalized, onesided, return_complex)

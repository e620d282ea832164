"""ops.bartlett_window / blackman_window / kaiser_window and the primitives BartlettWindow / BlackmanWindow /
HammingWindow (MindSpore 2.10): constant windows built here. As MindSpore (checked in its venv): bartlett and
blackman take the length as an int Tensor and are float32 by default, rounded in float32; kaiser takes a
Python int and is float64 by default (a window of length 0 or 1 too); the primitives take the dtype at
construction and the length as a Tensor at the call."""
from __future__ import annotations

import numpy as np

from .. import dtype as _dt
from .._tensor import Tensor
from ._windows import _window, hamming_window

__all__ = ["bartlett_window", "blackman_window", "kaiser_window", "BartlettWindow", "BlackmanWindow",
           "HammingWindow"]

_F = np.float32


def _length_of(name: str, window_length) -> int:
    """The length an int Tensor (0-D, or 1-D of one element for the primitives) holds."""
    if not isinstance(window_length, Tensor):
        raise TypeError(f"For '{name}', the type of input argument[window_length] must be Tensor but got "
                        f"{type(window_length).__name__}.")
    if window_length.dtype not in (_dt.int32, _dt.int64) or window_length.size != 1:
        raise TypeError(f"For '{name}', 'window_length' must be a 0-D (or one-element) int32 / int64 Tensor, but "
                        f"got {window_length.dtype} of shape {tuple(window_length.shape)}.")
    n = int(window_length._host_copy().reshape(-1)[0])
    if n < 0:
        raise ValueError(f"For '{name}', 'window_length' must be non negative, but got {n}.")
    return n


def _float32_window(name: str, window_length, periodic, dtype, terms) -> Tensor:
    """terms(n, N) in float32 for n = 0 .. length-1 (N = length if periodic, else length - 1), cast to dtype."""
    length = _length_of(name, window_length)
    out = "float32" if dtype is None else _dt.to_name(dtype)
    if out not in ("float16", "float32", "float64"):
        raise TypeError(f"For '{name}', 'dtype' must be float16, float32 or float64, but got {_dt.get(out)}.")
    if length <= 1:
        return Tensor(np.ones(length, out))
    n = np.arange(length).astype(_F)
    return Tensor(terms(n, _F(length if periodic else length - 1)).astype(out))


def bartlett_window(window_length, periodic=True, *, dtype=None) -> Tensor:
    """1 - |2 n / N - 1|: a triangle."""
    return _float32_window("bartlett_window", window_length, periodic, dtype,
                           lambda n, m: _F(1) - np.abs(_F(2) * n / m - _F(1)))


def blackman_window(window_length, periodic=True, *, dtype=None) -> Tensor:
    """0.42 - 0.5 cos(2 pi n / N) + 0.08 cos(4 pi n / N)."""
    def terms(n, m):
        return _F(0.42) - _F(0.5) * np.cos(_F(2 * np.pi) * n / m) + _F(0.08) * np.cos(_F(4 * np.pi) * n / m)
    return _float32_window("blackman_window", window_length, periodic, dtype, terms)


def kaiser_window(window_length, periodic=True, beta=12.0, *, dtype=None) -> Tensor:
    """I0(beta sqrt(1 - (2 n / N - 1)^2)) / I0(beta), in float64."""
    if isinstance(window_length, Tensor):
        raise TypeError(f"For 'kaiser_window', 'window_length' must be a non-negative integer, but got "
                        f"{type(window_length)}")
    return _window("kaiser_window", window_length, periodic, dtype, "float64",
                   lambda n, m: np.i0(beta * np.sqrt(np.clip(1.0 - (2.0 * n / m - 1.0) ** 2, 0.0, None)))
                   / np.i0(float(beta)))


class BartlettWindow:
    """ops.BartlettWindow(periodic=True, dtype=float32)(window_length)."""

    def __init__(self, periodic=True, dtype=_dt.float32):
        self.periodic, self.dtype = periodic, dtype

    def __call__(self, window_length):
        return bartlett_window(window_length, self.periodic, dtype=self.dtype)


class BlackmanWindow(BartlettWindow):
    """ops.BlackmanWindow(periodic=True, dtype=float32)(window_length)."""

    def __call__(self, window_length):
        return blackman_window(window_length, self.periodic, dtype=self.dtype)


class HammingWindow:
    """ops.HammingWindow(periodic=True, alpha=0.54, beta=0.46, dtype=float32)(length): length a 1-D int Tensor
    of one element."""

    def __init__(self, periodic=True, alpha=0.54, beta=0.46, dtype=_dt.float32):
        self.periodic, self.alpha, self.beta, self.dtype = periodic, alpha, beta, dtype

    def __call__(self, length):
        n = _length_of("HammingWindow", length)
        return hamming_window(n, self.periodic, self.alpha, self.beta, dtype=self.dtype)

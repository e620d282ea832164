"""ops.hamming_window / hann_window (MindSpore 2.10): constant windows of a Python int length, built here.
Their dtypes and roundings are MindSpore's (checked in its venv): hamming is computed in float32 (float32 by
default; alpha - beta cos(...) rounded there, then cast), hann in float64 (float64 by default); a window of
length 0 or 1 is empty / [1.] in float64 unless a dtype is given."""
from __future__ import annotations

import numpy as np

from .. import dtype as _dt
from .._tensor import Tensor

__all__ = ["hamming_window", "hann_window"]


def _window(name: str, window_length, periodic, dtype, default: str, cos_terms) -> Tensor:
    if not isinstance(window_length, int) or isinstance(window_length, bool):
        raise TypeError(f"For array function '{name}', 'window_length' must be int, but got {type(window_length)}.")
    if window_length < 0:
        raise ValueError(f"For array function '{name}', 'window_length' must be non negative number.")
    out = default if dtype is None else _dt.to_name(dtype)
    if out not in ("float16", "float32", "float64"):
        raise TypeError(f"For array function '{name}', 'dtype' must be floating point dtypes, but got "
                        f"{_dt.get(out)}.")
    if window_length <= 1:
        return Tensor(np.ones(window_length, "float64" if dtype is None else out))
    n = np.arange(window_length)
    return Tensor(cos_terms(n, window_length if periodic else window_length - 1).astype(out))


def hamming_window(window_length, periodic=True, alpha=0.54, beta=0.46, *, dtype=None) -> Tensor:
    """alpha - beta cos(2 pi n / N), N = length (periodic) or length - 1."""
    def terms(n, m):
        f = np.float32
        return f(alpha) - f(beta) * np.cos(f(2 * np.pi) * n.astype(f) / f(m)).astype(f)
    return _window("hamming_window", window_length, periodic, dtype, "float32", terms)


def hann_window(window_length, periodic=True, *, dtype=None) -> Tensor:
    """0.5 - 0.5 cos(2 pi n / N), N = length (periodic) or length - 1."""
    if isinstance(window_length, Tensor):
        raise TypeError(f"For 'hann_window', 'window_length' must be a non-negative integer, but got "
                        f"{type(window_length)}")
    return _window("hann_window", window_length, periodic, dtype, "float64",
                   lambda n, m: 0.5 - 0.5 * np.cos(2 * np.pi * n / m))

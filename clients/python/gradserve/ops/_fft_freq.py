"""ops.fftfreq / ops.rfftfreq(n, d=1.0, dtype=None): the sample frequencies of an n-point (r)fft with spacing d,
numpy.fft's values. MindSpore 2.10 computes them in float32 and casts to dtype (default float32): a float64 result
holds float32's rounding (rfftfreq(6, 0.5, float64)[1] is 0.3333333432674408), an int dtype truncates."""
from __future__ import annotations

import numpy as np

from .. import dtype as _dt
from .._tensor import Tensor

__all__ = ["fftfreq", "rfftfreq"]


def _freq(values, n, d, dtype, where: str) -> Tensor:
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n <= 0:
        raise ValueError(f"For '{where}', 'n' must be a positive int, got {n!r}")
    if isinstance(d, bool) or not isinstance(d, (int, float, np.floating, np.integer)) or d == 0:
        raise ValueError(f"For '{where}', 'd' must be a non-zero number, got {d!r}")
    out = np.asarray(values(int(n), float(d)), np.float32)
    return Tensor(out.astype(np.dtype(_dt.to_name(dtype or _dt.float32))))


def fftfreq(n, d=1.0, dtype=None):
    return _freq(np.fft.fftfreq, n, d, dtype, "fftfreq")


def rfftfreq(n, d=1.0, dtype=None):
    return _freq(np.fft.rfftfreq, n, d, dtype, "rfftfreq")

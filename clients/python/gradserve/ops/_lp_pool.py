"""ops.lp_pool1d / lp_pool2d: (sum of x^p over each window)^(1/p), over avg_pool1d / avg_pool2d."""
from __future__ import annotations

from typing import Any

from ._conv import avg_pool1d, avg_pool2d
from ._extra import P

__all__ = ["lp_pool1d", "lp_pool2d"]


def _norm_type(norm_type, where: str) -> float:
    if isinstance(norm_type, bool) or not isinstance(norm_type, (int, float)):
        raise TypeError(f"{where}: norm_type must be a float or an int, got {type(norm_type).__name__}")
    if float(norm_type) == 0.0:
        raise ValueError(f"{where}: norm_type can not be 0")
    return float(norm_type)


def lp_pool1d(x, norm_type, kernel_size, stride=None, ceil_mode=False):
    """ops.lp_pool1d over (N, C, L) or (C, L): (sum of x^p over each window)^(1/p), as MindSpore 2.10 computes
    it: avg_pool1d of x^p, times kernel_size, to the power 1/p (its sign(out) * relu(abs(out)) is out itself)."""
    _norm_type(norm_type, "lp_pool1d")
    if x.ndim not in (2, 3):
        raise ValueError(f"lp_pool1d: x must be 2-D (C, L) or 3-D (N, C, L), got shape {list(x.shape)}")
    p, unbatched = float(norm_type), x.ndim == 2
    xb = P.expand_dims(x, 0) if unbatched else x
    out = avg_pool1d(P.pow(xb, p), kernel_size, kernel_size if stride is None else stride, 0, ceil_mode)
    out = P.squeeze(out, 0) if unbatched else out
    return P.pow(P.mul(out, float(kernel_size)), 1.0 / p)


def lp_pool2d(x, norm_type, kernel_size, stride=None, ceil_mode=False):
    """ops.lp_pool2d over (N, C, H, W): lp_pool1d's rule over avg_pool2d, times the window's area (kernel_size an
    int or (kh, kw); stride None is kernel_size)."""
    p = _norm_type(norm_type, "lp_pool2d")
    if x.ndim != 4:
        raise ValueError(f"lp_pool2d: x must be 4-D (N, C, H, W), got shape {list(x.shape)}")
    kh, kw = (kernel_size, kernel_size) if isinstance(kernel_size, int) else (kernel_size[0], kernel_size[1])
    window: Any = (kh, kw)  # (avg_pool2d takes an int or a pair; its defaults say int)
    out = avg_pool2d(P.pow(x, p), window, window if stride is None else stride, 0, ceil_mode)
    return P.pow(P.mul(out, float(kh * kw)), 1.0 / p)

"""ops.lp_pool1d: (sum of x^p over each window)^(1/p), over avg_pool1d."""
from __future__ import annotations

from ._conv import avg_pool1d
from ._extra import P

__all__ = ["lp_pool1d"]


def lp_pool1d(x, norm_type, kernel_size, stride=None, ceil_mode=False):
    """ops.lp_pool1d over (N, C, L) or (C, L): (sum of x^p over each window)^(1/p), as MindSpore 2.10 computes
    it: avg_pool1d of x^p, times kernel_size, to the power 1/p (its sign(out) * relu(abs(out)) is out itself)."""
    if isinstance(norm_type, bool) or not isinstance(norm_type, (int, float)):
        raise TypeError(f"lp_pool1d: norm_type must be a float or an int, got {type(norm_type).__name__}")
    if float(norm_type) == 0.0:
        raise ValueError("lp_pool1d: norm_type can not be 0")
    if x.ndim not in (2, 3):
        raise ValueError(f"lp_pool1d: x must be 2-D (C, L) or 3-D (N, C, L), got shape {list(x.shape)}")
    p, unbatched = float(norm_type), x.ndim == 2
    xb = P.expand_dims(x, 0) if unbatched else x
    out = avg_pool1d(P.pow(xb, p), kernel_size, kernel_size if stride is None else stride, 0, ceil_mode)
    out = P.squeeze(out, 0) if unbatched else out
    return P.pow(P.mul(out, float(kernel_size)), 1.0 / p)

"""ops.LRN / ops.lrn and _grad_ops.LRNGrad: local response normalization across channels, y = x / (bias + alpha *
s) ** beta with s the sum of x ** 2 over the channels c - depth_radius .. c + depth_radius of [N, C, H, W] (MindSpore
2.10's documented op). The window sum is a product with a banded 0/1 matrix, so the derivative is that of the ops.
float16 is computed in float32 and cast back."""
from __future__ import annotations

import numpy as np

from .._late import late
from .._tensor import Tensor

__all__ = ["LRN", "lrn"]  # (LRNGrad: in operations._grad_ops, as MindSpore)


def _check(depth_radius, bias, alpha, beta, name: str):
    if isinstance(depth_radius, bool) or not isinstance(depth_radius, int):
        raise TypeError(f"For '{name}', 'depth_radius' must be an int, got {type(depth_radius).__name__}")
    if depth_radius < 0:
        raise ValueError(f"For '{name}', 'depth_radius' must be >= 0, got {depth_radius}")
    for arg, v in (("bias", bias), ("alpha", alpha), ("beta", beta)):
        if not isinstance(v, float):
            raise TypeError(f"For '{name}', '{arg}' must be a float, got {type(v).__name__}")


def _window_sum(t, radius: int):
    """sum over channels c - radius .. c + radius of t [N, C, H, W] (a symmetric band: its own transpose)."""
    o = late.ops
    c = t.shape[1]
    i = np.arange(c)
    band = Tensor((np.abs(i[:, None] - i[None, :]) <= radius).astype(np.dtype(t.dtype.name)))
    return o.transpose(o.matmul(o.transpose(t, (0, 2, 3, 1)), band), (0, 3, 1, 2))


def _wide(t):
    return late.ops.cast(t, "float32") if t._dtype == "float16" else t


def _as(t, like):
    return late.ops.cast(t, like._dtype) if t._dtype != like._dtype else t


def _input(x, name: str):
    if not isinstance(x, Tensor) or x.ndim != 4 or x._dtype not in ("float16", "float32"):
        raise TypeError(f"For '{name}', the input must be a 4-D float16 or float32 Tensor, got "
                        f"{getattr(x, 'dtype', type(x).__name__)} of shape {getattr(x, 'shape', '?')}")


class LRN:
    """P.LRN(depth_radius=5, bias=1.0, alpha=1.0, beta=0.5, norm_region='ACROSS_CHANNELS')(x [N, C, H, W])."""

    def __init__(self, depth_radius=5, bias=1.0, alpha=1.0, beta=0.5, norm_region="ACROSS_CHANNELS"):
        _check(depth_radius, bias, alpha, beta, "LRN")
        if norm_region != "ACROSS_CHANNELS":
            raise ValueError(f"For 'LRN', 'norm_region' must be 'ACROSS_CHANNELS', got {norm_region!r}")
        self.depth_radius, self.bias, self.alpha, self.beta = depth_radius, bias, alpha, beta

    def __call__(self, x):
        _input(x, "LRN")
        o = late.ops
        xw = _wide(x)
        norm = o.add(o.mul(_window_sum(o.square(xw), self.depth_radius), self.alpha), self.bias)
        return _as(o.div(xw, o.pow(norm, self.beta)), x)


def lrn(x, depth_radius=5, bias=1.0, alpha=1.0, beta=0.5, norm_region="ACROSS_CHANNELS"):
    """ops.lrn: P.LRN's function form."""
    return LRN(depth_radius, bias, alpha, beta, norm_region)(x)


class LRNGrad:
    """G.LRNGrad(depth_radius=5, bias=1.0, alpha=1.0, beta=0.5)(dy, x, y): the backward of LRN at x,
    dx = dy * n ** -beta - 2 alpha beta x * window_sum(dy * y / n), n = bias + alpha * window_sum(x ** 2), with y
    LRN(x) recomputed: MindSpore 2.10's CPU kernel takes y (LRN's output) but its values do not enter the result
    (checked in its venv with a y that is not LRN(x))."""

    def __init__(self, depth_radius=5, bias=1.0, alpha=1.0, beta=0.5):
        _check(depth_radius, bias, alpha, beta, "LRNGrad")
        self.depth_radius, self.bias, self.alpha, self.beta = depth_radius, bias, alpha, beta

    def __call__(self, dy, x, y):
        for t in (dy, x, y):
            _input(t, "LRNGrad")
        o = late.ops
        dyw, xw = _wide(dy), _wide(x)
        norm = o.add(o.mul(_window_sum(o.square(xw), self.depth_radius), self.alpha), self.bias)
        yw = o.div(xw, o.pow(norm, self.beta))
        back = _window_sum(o.div(o.mul(dyw, yw), norm), self.depth_radius)
        dx = o.sub(o.div(dyw, o.pow(norm, self.beta)), o.mul(o.mul(xw, back), 2.0 * self.alpha * self.beta))
        return _as(dx, x)

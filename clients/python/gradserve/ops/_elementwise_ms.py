"""MindSpore's elementwise primitive spellings over ops already here: ACos, Lerp, FastGeLU / fast_gelu,
EqualCount (values checked against MindSpore 2.10 on CPU when written)."""
from __future__ import annotations

from ._extra import P
from ._math_more import lerp
from ._primitives import CLASSES as _CLASSES

__all__ = ["ACos", "Lerp", "FastGeLU", "fast_gelu", "EqualCount"]


ACos = _CLASSES["Acos"]  # MindSpore's spelling of the generated Acos


class Lerp:
    """ops.Lerp()(start, end, weight)."""

    def __call__(self, start, end, weight):
        return lerp(start, end, weight)


def fast_gelu(x):
    """x / (1 + exp(-1.702 |x|)) * exp(0.851 (x - |x|)): MindSpore's FastGeLU, written so exp never overflows."""
    a = P.abs(x)
    return P.mul(P.div(x, P.add(P.exp(P.mul(a, -1.702)), 1.0)), P.exp(P.mul(P.sub(x, a), 0.851)))


class FastGeLU:
    def __call__(self, x):
        return fast_gelu(x)


class EqualCount:
    """EqualCount()(x, y): how many elements of x and y are equal, as a [1] tensor of x's dtype."""

    def __call__(self, x, y):
        if tuple(x.shape) != tuple(y.shape):
            raise ValueError(f"EqualCount: x and y must have one shape, got {list(x.shape)} and {list(y.shape)}")
        hits = P.sum(P.cast(P.equal(x, y), "int64"))
        return P.reshape(P.cast(hits, x.dtype), (1,))

"""MindSpore 2.10's ops.glu, ops.huber_loss and ops.threshold, composed from the SDK's ops (their derivatives are
those of the ops they are made of)."""
from __future__ import annotations

from ._extra import P
from ._ms_names import _reduced

__all__ = ["glu", "huber_loss", "threshold"]


def glu(x, axis=-1):
    """The gated linear unit: x's first half along axis times the sigmoid of its second half (an empty axis:
    two empty halves, the result x's shape, as MindSpore 2.10's)."""
    n = x.shape[axis]
    if n % 2:  # MindSpore 2.10's text (its Split's), the axis counted from 0
        raise ValueError(f"For 'Split', x_shape[{axis % len(x.shape)}] must be divisible by output_num = 2, "
                         f"but got {n}")
    if n == 0:
        return P.mul(x, P.sigmoid(x))
    a, b = P.split(x, n // 2, axis)
    return P.mul(a, P.sigmoid(b))


def huber_loss(input, target, reduction="mean", delta=1.0):  # noqa: A002 - MindSpore's names
    """0.5 * d^2 where |d| < delta, else delta * (|d| - 0.5 * delta), d = input - target; reduced."""
    if delta <= 0:
        raise ValueError(f"huber_loss: delta must be positive, got {delta}")
    d = P.abs(P.sub(input, target))
    quadratic = P.mul(P.square(d), 0.5)
    linear = P.mul(P.sub(d, 0.5 * delta), float(delta))
    return _reduced(P.select(P.less(d, float(delta)), quadratic, linear), reduction)


def threshold(input, thr, value):  # noqa: A002
    """input where input > thr, else value."""
    return P.select(P.greater(input, thr), input, P.fill(input._dtype, tuple(input.shape), value))

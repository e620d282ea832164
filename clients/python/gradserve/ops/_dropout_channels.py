"""ops.dropout1d: whole channels dropped (the mask drawn per run, as ops.dropout's: ops._dropout._mask)."""
from __future__ import annotations

from .._tensor import Tensor
from ._dropout import _mask
from ._extra import P

__all__ = ["dropout1d"]


def dropout1d(input, p=0.5, training=True):  # noqa: A002
    """ops.dropout1d(input, p=0.5, training=True) over (N, C, L) or (C, L): each channel (all of its L values)
    zeroed with probability p, the rest scaled by 1 / (1 - p); p = 1 zeroes everything (MindSpore's
    Dropout2D with keep_prob 0)."""
    if not isinstance(p, float):
        raise TypeError(f"dropout1d: p must be a float, got {type(p).__name__}")
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"dropout1d: p must be in [0, 1], got {p}")
    if not isinstance(input, Tensor):
        raise TypeError(f"dropout1d: input must be a Tensor, got {type(input).__name__}")
    if input.ndim not in (2, 3):
        raise ValueError(f"dropout1d: input must be 2-D (C, L) or 3-D (N, C, L), got shape {list(input.shape)}")
    if not training or p == 0.0:
        return input
    if p == 1.0:
        return P.zeros_like(input)
    keep = 1.0 - p
    mask = _mask(input, keep, (*tuple(input.shape)[:-1], 1))
    return P.div(P.mul(input, mask), keep)

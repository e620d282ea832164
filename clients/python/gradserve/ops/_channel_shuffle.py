"""MindSpore 2.10's ops.channel_shuffle (nn.ChannelShuffle's op): a reshape, a transpose and a reshape."""
from __future__ import annotations

from .._tensor import Tensor
from ._extra import P

__all__ = ["channel_shuffle"]


def channel_shuffle(x, groups):
    """x [N, C, *rest] with its C channels taken as [groups, C / groups] and read transposed: channel
    g * (C / groups) + k goes to k * groups + g."""
    if not isinstance(x, Tensor):
        raise TypeError(f"For 'channel_shuffle', 'x' must be a Tensor, got {type(x).__name__}")
    if isinstance(groups, bool) or not isinstance(groups, int):
        raise TypeError(f"For 'channel_shuffle', 'groups' must be an int, got {type(groups).__name__}")
    if groups < 1:
        raise ValueError(f"For 'channel_shuffle', 'groups' must be positive, got {groups}")
    shape = tuple(x.shape)
    if len(shape) < 3:
        raise ValueError(f"For 'channel_shuffle', the rank of 'x' must be at least 3, got shape {list(shape)}")
    n, c, rest = shape[0], shape[1], shape[2:]
    if c % groups:
        raise ValueError(f"For 'channel_shuffle', the channel count {c} must be divisible by groups {groups}")
    y = P.reshape(x, (n, groups, c // groups, *rest))
    y = P.transpose(y, (0, 2, 1, *range(3, len(rest) + 3)))
    return P.reshape(y, shape)

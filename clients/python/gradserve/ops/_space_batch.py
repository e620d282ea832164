"""ops.space_to_batch_nd / ops.SpaceToBatchND and ops.batch_to_space_nd / ops.BatchToSpaceND: the last M
(spatial) axes of x [N, C, S_1 .. S_M], padded, are cut into blocks b_1 .. b_M whose offsets move into the
batch: out[(o_1 .. o_M) N + n, c, s_1 .. s_M] = padded[n, c, s_1 b_1 + o_1, ..., s_M b_M + o_M] (MindSpore's
and TensorFlow's order; values checked against MindSpore 2.10). A reshape, a transpose and a pad: every
derivative and vmap is theirs."""
from __future__ import annotations

import math

from ._extra import P
from ._ms_prims import Pad

__all__ = ["space_to_batch_nd", "SpaceToBatchND", "batch_to_space_nd", "BatchToSpaceND"]


def _blocks(block_shape, x, where: str) -> list[int]:
    m = x.ndim - 2
    blocks = [block_shape] * m if isinstance(block_shape, int) else list(block_shape)
    if isinstance(block_shape, bool) or m < 1 or len(blocks) != m or any(isinstance(b, bool) or not isinstance(b, int) or b < 1 for b in blocks):
        raise ValueError(f"For '{where}', block_shape must be an int >= 1 or one per spatial axis (the input's "
                         f"last {m} axes of shape {list(x.shape)}), got {block_shape!r}")
    return blocks


def _pairs(pairs, m: int, name: str, where: str) -> list[list[int]]:
    out = [[int(lo), int(hi)] for lo, hi in pairs]
    if len(out) != m or any(v < 0 for p in out for v in p):
        raise ValueError(f"For '{where}', {name} must be {m} pairs of ints >= 0, got {pairs!r}")
    return out


def space_to_batch_nd(input_x, block_size, paddings):
    where = "space_to_batch_nd"
    blocks = _blocks(block_size, input_x, where)
    m = len(blocks)
    pads = _pairs(paddings, m, "paddings", where)
    x = Pad([[0, 0], [0, 0], *pads])(input_x) if any(v for p in pads for v in p) else input_x
    n, c, spatial = x.shape[0], x.shape[1], tuple(x.shape[2:])
    if any(s % b for s, b in zip(spatial, blocks)):
        raise ValueError(f"For '{where}', the padded spatial shape {list(spatial)} must be divisible by the block "
                         f"shape {blocks}")
    split = [v for s, b in zip(spatial, blocks) for v in (s // b, b)]
    x = P.reshape(x, (n, c, *split))
    # [n, c, s_1, b_1, ..., s_M, b_M] -> [b_1 .. b_M, n, c, s_1 .. s_M]
    order = (*(3 + 2 * i for i in range(m)), 0, 1, *(2 + 2 * i for i in range(m)))
    x = P.transpose(x, order)
    return P.reshape(x, (math.prod(blocks) * n, c, *(s // b for s, b in zip(spatial, blocks))))


def batch_to_space_nd(input_x, block_shape, crops):
    """The inverse of space_to_batch_nd: blocks back into the spatial axes, then `crops` cut off."""
    where = "batch_to_space_nd"
    blocks = _blocks(block_shape, input_x, where)
    m, nb = len(blocks), math.prod(blocks)
    cuts = _pairs(crops, m, "crops", where)
    if input_x.shape[0] % nb:
        raise ValueError(f"For '{where}', the batch {input_x.shape[0]} must be divisible by the block count {nb}")
    n, c, spatial = input_x.shape[0] // nb, input_x.shape[1], tuple(input_x.shape[2:])
    x = P.reshape(input_x, (*blocks, n, c, *spatial))
    # [b_1 .. b_M, n, c, s_1 .. s_M] -> [n, c, s_1, b_1, ..., s_M, b_M]
    order = (m, m + 1, *(v for i in range(m) for v in (m + 2 + i, i)))
    x = P.reshape(P.transpose(x, order), (n, c, *(s * b for s, b in zip(spatial, blocks))))
    full = [s * b for s, b in zip(spatial, blocks)]
    if any(lo + hi > f for (lo, hi), f in zip(cuts, full)):
        raise ValueError(f"For '{where}', crops {cuts} are larger than the spatial shape {full}")
    index = (slice(None), slice(None), *(slice(lo, f - hi) for (lo, hi), f in zip(cuts, full)))
    return x[index] if any(v for p in cuts for v in p) else x


class SpaceToBatchND:
    """ops.SpaceToBatchND(block_shape, paddings)(input_x): space_to_batch_nd."""

    def __init__(self, block_shape, paddings):
        self.block_shape, self.paddings = block_shape, paddings

    def __call__(self, input_x):
        return space_to_batch_nd(input_x, self.block_shape, self.paddings)


class BatchToSpaceND:
    """ops.BatchToSpaceND(block_shape, crops)(input_x): batch_to_space_nd."""

    def __init__(self, block_shape, crops):
        self.block_shape, self.crops = block_shape, crops

    def __call__(self, input_x):
        return batch_to_space_nd(input_x, self.block_shape, self.crops)

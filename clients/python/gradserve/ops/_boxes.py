"""ops.IOU: intersection over union (or over the ground truth's area) of boxes, as MindSpore's kernel counts."""
from __future__ import annotations

import numpy as np

from .._tensor import Tensor
from ._extra import P

__all__ = ["IOU"]


class IOU:
    """ops.IOU(mode='iou')(anchor_boxes [N, 4], gt_boxes [M, 4]) -> [M, N]: each (gt, anchor) pair's
    intersection over their union ('iou') or over the gt box's area ('iof'). Boxes are (x0, y0, x1, y1)
    in pixels, both ends counted (a side is x1 - x0 + 1), as MindSpore's kernel counts them."""

    def __init__(self, mode="iou"):
        if mode not in ("iou", "iof"):
            raise ValueError(f"IOU: mode must be 'iou' or 'iof', got {mode!r}")
        self.mode = mode

    def __call__(self, anchor_boxes, gt_boxes):
        for name, b in (("anchor_boxes", anchor_boxes), ("gt_boxes", gt_boxes)):
            if b.ndim != 2 or int(b.shape[1]) != 4:
                raise ValueError(f"IOU: {name} must be [n, 4], got shape {list(b.shape)}")
        a = P.expand_dims(anchor_boxes, 0)  # [1, N, 4]
        g = P.expand_dims(gt_boxes, 1)  # [M, 1, 4]
        one = P.cast(Tensor(np.array(1.0)), anchor_boxes.dtype)

        def side(lo, hi):  # clipped at 0: boxes apart overlap by nothing
            return P.relu(P.add(P.sub(hi, lo), one))

        def area(b):
            return P.mul(side(b[..., 0], b[..., 2]), side(b[..., 1], b[..., 3]))

        inter = P.mul(side(P.maximum(a[..., 0], g[..., 0]), P.minimum(a[..., 2], g[..., 2])),
                      side(P.maximum(a[..., 1], g[..., 1]), P.minimum(a[..., 3], g[..., 3])))
        if self.mode == "iof":
            return P.div(inter, area(g))
        return P.div(inter, P.sub(P.add(area(a), area(g)), inter))

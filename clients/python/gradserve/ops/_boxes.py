"""ops.IOU: intersection over union (or over the ground truth's area) of boxes, as MindSpore's kernel counts;
ops.bounding_box_encode / BoundingBoxEncode and bounding_box_decode / BoundingBoxDecode: boxes (x0, y0, x1, y1)
to normalised deltas (dx, dy, dw, dh) against anchors and back (MindSpore's kernels: a side is x1 - x0 + 1;
values checked against MindSpore 2.10); CheckValid (boxes inside the image)."""
from __future__ import annotations

import numpy as np

from .._tensor import Tensor
from ._extra import P, clip_by_value

__all__ = ["IOU", "bounding_box_encode", "BoundingBoxEncode", "bounding_box_decode", "BoundingBoxDecode", "CheckValid"]


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


def _centres(boxes):
    """(cx, cy, w, h) of boxes [..., 4], each [...]: sides counted with both ends (+ 1)."""
    x0, y0, x1, y1 = (P.gather(boxes, Tensor(np.array(i, np.int32)), -1) for i in range(4))
    return P.mul(P.add(x0, x1), 0.5), P.mul(P.add(y0, y1), 0.5), P.add(P.sub(x1, x0), 1.0), P.add(P.sub(y1, y0), 1.0)


def _four(v, name: str, where: str) -> tuple:
    t = tuple(float(e) for e in v)
    if len(t) != 4:
        raise ValueError(f"For '{where}', '{name}' must hold 4 numbers, got {v!r}")
    return t


def _check_boxes(a, b, where: str) -> None:
    if a.ndim != 2 or a.shape[-1] != 4 or tuple(a.shape) != tuple(b.shape):
        raise ValueError(f"For '{where}', both inputs must be [N, 4] of one shape, got {list(a.shape)} and "
                         f"{list(b.shape)}")


def bounding_box_encode(anchor_box, groundtruth_box, means=(0.0, 0.0, 0.0, 0.0), stds=(1.0, 1.0, 1.0, 1.0)):
    """[N, 4] deltas ((gx - px) / pw, (gy - py) / ph, log(gw / pw), log(gh / ph)), less means, over stds."""
    _check_boxes(anchor_box, groundtruth_box, "bounding_box_encode")
    m, sd = _four(means, "means", "bounding_box_encode"), _four(stds, "stds", "bounding_box_encode")
    px, py, pw, ph = _centres(anchor_box)
    gx, gy, gw, gh = _centres(groundtruth_box)
    d = (P.div(P.sub(gx, px), pw), P.div(P.sub(gy, py), ph), P.log(P.div(gw, pw)), P.log(P.div(gh, ph)))
    return P.stack([P.div(P.sub(di, mi), si) for di, mi, si in zip(d, m, sd)], -1)


def bounding_box_decode(anchor_box, deltas, max_shape, means=(0.0, 0.0, 0.0, 0.0), stds=(1.0, 1.0, 1.0, 1.0),
                        wh_ratio_clip=0.016):
    """[N, 4] boxes from anchors and deltas (deltas * stds + means; dw, dh clipped to |log(wh_ratio_clip)|),
    clipped to [0, width] and [0, height] of max_shape (height, width), as MindSpore 2.10 does."""
    where = "bounding_box_decode"
    _check_boxes(anchor_box, deltas, where)
    m, sd = _four(means, "means", where), _four(stds, "stds", where)
    if len(tuple(max_shape)) != 2:
        raise ValueError(f"For '{where}', 'max_shape' must be (height, width), got {max_shape!r}")
    height, width = (int(v) for v in max_shape)
    dx, dy, dw, dh = (P.add(P.mul(P.gather(deltas, Tensor(np.array(i, np.int32)), -1), sd[i]), m[i])
                      for i in range(4))
    limit = abs(float(np.log(wh_ratio_clip)))
    dw, dh = (clip_by_value(d, -limit, limit) for d in (dw, dh))
    px, py, pw, ph = _centres(anchor_box)
    gx, gy = P.add(px, P.mul(pw, dx)), P.add(py, P.mul(ph, dy))
    half_w, half_h = P.mul(P.mul(pw, P.exp(dw)), 0.5), P.mul(P.mul(ph, P.exp(dh)), 0.5)
    x0 = clip_by_value(P.add(P.sub(gx, half_w), 0.5), 0.0, float(width))
    y0 = clip_by_value(P.add(P.sub(gy, half_h), 0.5), 0.0, float(height))
    x1 = clip_by_value(P.sub(P.add(gx, half_w), 0.5), 0.0, float(width))
    y1 = clip_by_value(P.sub(P.add(gy, half_h), 0.5), 0.0, float(height))
    return P.stack([x0, y0, x1, y1], -1)


class BoundingBoxEncode:
    """ops.BoundingBoxEncode(means=(0, 0, 0, 0), stds=(1, 1, 1, 1))(anchor_box, groundtruth_box)."""

    def __init__(self, means=(0.0, 0.0, 0.0, 0.0), stds=(1.0, 1.0, 1.0, 1.0)):
        self.means, self.stds = means, stds

    def __call__(self, anchor_box, groundtruth_box):
        return bounding_box_encode(anchor_box, groundtruth_box, self.means, self.stds)


class BoundingBoxDecode:
    """ops.BoundingBoxDecode(max_shape, means, stds, wh_ratio_clip=0.016)(anchor_box, deltas)."""

    def __init__(self, max_shape, means=(0.0, 0.0, 0.0, 0.0), stds=(1.0, 1.0, 1.0, 1.0), wh_ratio_clip=0.016):
        self.max_shape, self.means, self.stds, self.wh_ratio_clip = max_shape, means, stds, wh_ratio_clip

    def __call__(self, anchor_box, deltas):
        return bounding_box_decode(anchor_box, deltas, self.max_shape, self.means, self.stds, self.wh_ratio_clip)


class CheckValid:
    """CheckValid()(bboxes [N, 4] (x1, y1, x2, y2), img_metas [3] (height, width, ratio)) -> bool [N]: inside
    the image, x1 >= 0, y1 >= 0, x2 <= width * ratio - 1, y2 <= height * ratio - 1."""

    def __call__(self, bboxes, img_metas):
        if bboxes.ndim != 2 or int(bboxes.shape[1]) != 4 or tuple(img_metas.shape) != (3,):
            raise ValueError(f"For 'CheckValid', bboxes must be [N, 4] and img_metas [3], got shapes "
                             f"{list(bboxes.shape)} and {list(img_metas.shape)}")
        b = [bboxes[:, i] for i in range(4)]
        h, w, r = (img_metas[i] for i in range(3))
        ok = P.logical_and(P.greater_equal(b[0], 0), P.greater_equal(b[1], 0))
        ok = P.logical_and(ok, P.less_equal(b[2], P.sub(P.mul(w, r), 1)))
        return P.logical_and(ok, P.less_equal(b[3], P.sub(P.mul(h, r), 1)))

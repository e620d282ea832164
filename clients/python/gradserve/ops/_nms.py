"""ops.NMSWithMask(iou_threshold=0.5)(bboxes [N, 5]: x1, y1, x2, y2, score) -> (boxes sorted by score, highest first;
output_idx; selected_mask): greedy non-maximum suppression. Each kept box suppresses the later ones whose IoU with it
is above the threshold, IoU = inter / (area_a + area_b - inter), area (x2 - x1)(y2 - y1) with no +1, all in float32
as MindSpore 2.10's CPU kernel (an IoU equal to the threshold keeps the box; 0 / 0 of empty boxes keeps both).
output_idx is 0..N-1, positions in the sorted boxes (MindSpore 2.10's CPU output and its documented example).
The boxes' values are read here (the result is data, with no gradient, as MindSpore's)."""
from __future__ import annotations

import numpy as np

from .._tensor import Tensor

__all__ = ["NMSWithMask"]


def _suppress(boxes: np.ndarray, threshold: np.float32) -> np.ndarray:
    x1, y1, x2, y2 = boxes[:, 0], boxes[:, 1], boxes[:, 2], boxes[:, 3]
    area = (x2 - x1) * (y2 - y1)
    keep = np.ones(len(boxes), bool)
    with np.errstate(invalid="ignore", divide="ignore"):
        for i in range(len(boxes)):
            if not keep[i]:
                continue
            rest = np.arange(i + 1, len(boxes))
            w = np.maximum(np.float32(0), np.minimum(x2[i], x2[rest]) - np.maximum(x1[i], x1[rest]))
            h = np.maximum(np.float32(0), np.minimum(y2[i], y2[rest]) - np.maximum(y1[i], y1[rest]))
            inter = w * h
            iou = inter / (area[i] + area[rest] - inter)
            keep[rest[iou > threshold]] = False
    return keep


class NMSWithMask:
    def __init__(self, iou_threshold=0.5):
        if isinstance(iou_threshold, bool) or not isinstance(iou_threshold, (int, float)):
            raise TypeError(f"For 'NMSWithMask', 'iou_threshold' must be a float, got {type(iou_threshold).__name__}")
        self.iou_threshold = float(iou_threshold)

    def __call__(self, bboxes):
        if not isinstance(bboxes, Tensor) or bboxes._dtype not in ("float16", "float32"):
            raise TypeError(f"For 'NMSWithMask', 'bboxes' must be a float16 / float32 Tensor, got "
                            f"{getattr(bboxes, 'dtype', type(bboxes).__name__)}")
        if bboxes.ndim != 2 or int(bboxes.shape[1]) != 5:
            raise ValueError(f"For 'NMSWithMask', 'bboxes' must be [N, 5], got {list(bboxes.shape)}")
        values = np.asarray(bboxes._concrete("NMSWithMask's boxes (the selection is made here)"), np.float32)
        ordered = values[np.argsort(-values[:, 4], kind="stable")]
        keep = _suppress(ordered, np.float32(self.iou_threshold))
        n = len(values)
        return (Tensor(ordered.astype(bboxes._dtype)), Tensor(np.arange(n, dtype=np.int32)), Tensor(keep))

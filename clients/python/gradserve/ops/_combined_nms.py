"""image_ops.CombinedNonMaxSuppression(pad_per_class=False, clip_boxes=True)(boxes [B, N, q, 4], scores [B, N, C],
max_output_size_per_class, max_total_size, iou_threshold, score_threshold) -> (nmsed_boxes [B, K, 4], nmsed_scores
[B, K], nmsed_classes [B, K] (float32), valid_detections [B] (int32)): TensorFlow's combined_non_max_suppression, whose
rules MindSpore 2.10's CPU kernel follows. Per batch and class, the boxes scoring above score_threshold, highest
first, are kept greedily unless their IoU with a kept one exceeds iou_threshold, at most max_output_size_per_class of
them (q = 1: one box for every class; q = C: box c for class c); all classes' kept boxes then by score, the first K;
the rest zeros. K = max_total_size, or min(max_total_size, max_output_size_per_class * C) with pad_per_class. Boxes
are (y1, x1, y2, x2) in any corner order, clipped to [0, 1] on output with clip_boxes. The values are read here (the
result is data, with no gradient, as MindSpore's)."""
from __future__ import annotations

import numpy as np

from .._tensor import Tensor

__all__ = ["CombinedNonMaxSuppression"]


def _iou(a: np.ndarray, b: np.ndarray) -> np.float32:
    ya, yb = sorted((a[0], a[2])), sorted((b[0], b[2]))
    xa, xb = sorted((a[1], a[3])), sorted((b[1], b[3]))
    area_a, area_b = (ya[1] - ya[0]) * (xa[1] - xa[0]), (yb[1] - yb[0]) * (xb[1] - xb[0])
    if area_a <= 0 or area_b <= 0:
        return np.float32(0)
    high = max(np.float32(0), min(ya[1], yb[1]) - max(ya[0], yb[0]))
    inter = high * max(np.float32(0), min(xa[1], xb[1]) - max(xa[0], xb[0]))
    return np.float32(inter / (area_a + area_b - inter))


def _one_class(boxes: np.ndarray, scores: np.ndarray, limit: int, iou: float, floor: float) -> list[int]:
    """the kept box indices of one class, highest score first."""
    kept: list[int] = []
    for i in sorted(np.flatnonzero(scores > floor), key=lambda k: -scores[k]):
        if len(kept) == limit:
            break
        if all(_iou(boxes[i], boxes[j]) <= iou for j in kept):
            kept.append(int(i))
    return kept


class CombinedNonMaxSuppression:
    """See the module's docstring."""

    def __init__(self, pad_per_class: bool = False, clip_boxes: bool = True):
        self.pad_per_class, self.clip_boxes = bool(pad_per_class), bool(clip_boxes)

    def __call__(self, boxes, scores, max_output_size_per_class, max_total_size, iou_threshold, score_threshold):
        b = np.asarray(boxes._concrete("CombinedNonMaxSuppression's boxes (the selection is made here)"), np.float32)
        s = np.asarray(scores._concrete("CombinedNonMaxSuppression's scores"), np.float32)
        if (b.ndim != 4 or b.shape[-1] != 4 or s.ndim != 3 or s.shape[:2] != b.shape[:2]
                or b.shape[2] not in (1, s.shape[2])):
            raise ValueError(f"For 'CombinedNonMaxSuppression', boxes must be [batch, num_boxes, q, 4] with q 1 or "
                             f"num_classes and scores [batch, num_boxes, num_classes], got {list(b.shape)} and "
                             f"{list(s.shape)}")
        per_class, total = int(_scalar(max_output_size_per_class)), int(_scalar(max_total_size))
        iou, floor = float(_scalar(iou_threshold)), float(_scalar(score_threshold))
        if per_class <= 0 or total <= 0 or not 0.0 <= iou <= 1.0:
            raise ValueError(f"For 'CombinedNonMaxSuppression', max_output_size_per_class and max_total_size must be "
                             f"positive and iou_threshold in [0, 1], got {per_class}, {total}, {iou}")
        size = min(total, per_class * s.shape[2]) if self.pad_per_class else total
        out_boxes, out_scores = np.zeros((b.shape[0], size, 4), np.float32), np.zeros((b.shape[0], size), np.float32)
        out_classes, valid = np.zeros((b.shape[0], size), np.float32), np.zeros(b.shape[0], np.int32)
        for n in range(b.shape[0]):
            picks = [(s[n, i, c], c, b[n, i, 0 if b.shape[2] == 1 else c]) for c in range(s.shape[2])
                     for i in _one_class(b[n, :, 0 if b.shape[2] == 1 else c], s[n, :, c], per_class, iou, floor)]
            picks = sorted(picks, key=lambda p: -p[0])[:size]
            valid[n] = len(picks)
            for k, (score, c, box) in enumerate(picks):
                out_boxes[n, k], out_scores[n, k], out_classes[n, k] = box, score, c
        if self.clip_boxes:
            out_boxes = np.clip(out_boxes, 0.0, 1.0)
        return Tensor(out_boxes), Tensor(out_scores), Tensor(out_classes), Tensor(valid)


def _scalar(value):
    return value._concrete("a CombinedNonMaxSuppression scalar") if isinstance(value, Tensor) else value

"""More MindSpore 2.10 primitives of its documented examples: CombinedNonMaxSuppression and NoRepeatNGram
(selections worked out on the host, as MindSpore's CPU kernels: no gradient), ResizeArea (area-weighted
averages as two matmuls, so differentiable in the images) and MaxPool3DWithArgmax (ops.max_pool3d with
indices)."""
from __future__ import annotations

from typing import Any

import numpy as np

from .._late import late
from .._tensor import Tensor

__all__ = ["CombinedNonMaxSuppression", "NoRepeatNGram", "ResizeArea", "MaxPool3DWithArgmax"]


def _number(value, where: str, name: str) -> float:
    if isinstance(value, Tensor):
        if value.size != 1:
            raise ValueError(f"For '{where}', '{name}' must be a scalar, got shape {list(value.shape)}")
        return float(value.asnumpy().reshape(-1)[0])
    return float(value)


def _iou(box: np.ndarray, others: np.ndarray) -> np.ndarray:
    """Intersection over union of one (y1, x1, y2, x2) box (corners in either order) with each of others."""
    def spans(b):
        return np.minimum(b[..., 0], b[..., 2]), np.minimum(b[..., 1], b[..., 3]), \
            np.maximum(b[..., 0], b[..., 2]), np.maximum(b[..., 1], b[..., 3])
    y1, x1, y2, x2 = spans(box)
    oy1, ox1, oy2, ox2 = spans(others)
    inter = np.clip(np.minimum(y2, oy2) - np.maximum(y1, oy1), 0, None) * \
        np.clip(np.minimum(x2, ox2) - np.maximum(x1, ox1), 0, None)
    union = (y2 - y1) * (x2 - x1) + (oy2 - oy1) * (ox2 - ox1) - inter
    return np.where(union > 0, inter / np.where(union > 0, union, 1), 0.0)


def _class_nms(boxes: np.ndarray, scores: np.ndarray, limit: int, iou_max: float, score_min: float) -> list[int]:
    """Greedy NMS of one class: by descending score, above score_min, IoU with every kept box <= iou_max."""
    kept: list[int] = []
    for i in np.argsort(-scores, kind="stable"):
        if len(kept) >= limit or scores[i] <= score_min:
            break
        if not kept or (_iou(boxes[i], boxes[kept]) <= iou_max).all():
            kept.append(int(i))
    return kept


class CombinedNonMaxSuppression:
    """ops.CombinedNonMaxSuppression(pad_per_class=False, clip_boxes=True)(boxes [B, N, q, 4], scores [B, N, C],
    max_output_size_per_class, max_total_size, iou_threshold, score_threshold): NMS per batch and class (q = 1:
    the classes share the boxes), then the best max_total_size of all classes: (nmsed_boxes [B, T, 4],
    nmsed_scores [B, T], nmsed_classes [B, T], valid_detections [B]), zero-padded."""

    def __init__(self, pad_per_class=False, clip_boxes=True):
        self.pad_per_class, self.clip_boxes = bool(pad_per_class), bool(clip_boxes)

    def __call__(self, boxes, scores, max_output_size_per_class, max_total_size, iou_threshold, score_threshold):
        where = "CombinedNonMaxSuppression"
        b, s = boxes.asnumpy().astype(np.float32), scores.asnumpy().astype(np.float32)
        if b.ndim != 4 or b.shape[-1] != 4 or s.ndim != 3 or s.shape[:2] != b.shape[:2] or b.shape[2] not in (1, s.shape[2]):
            raise ValueError(f"For '{where}', boxes must be [batch, num_boxes, q, 4] (q 1 or num_classes) and scores "
                             f"[batch, num_boxes, num_classes], got {list(b.shape)} and {list(s.shape)}")
        per_class, total = (int(_number(v, where, n)) for v, n in ((max_output_size_per_class,
                                                                    "max_output_size_per_class"),
                                                                   (max_total_size, "max_total_size")))
        iou_max, score_min = _number(iou_threshold, where, "iou_threshold"), _number(score_threshold, where,
                                                                                     "score_threshold")
        width = min(total, per_class * s.shape[2]) if self.pad_per_class else total
        out_boxes, out_scores = np.zeros((b.shape[0], width, 4), np.float32), np.zeros((b.shape[0], width), np.float32)
        out_classes, valid = np.zeros((b.shape[0], width), np.float32), np.zeros(b.shape[0], np.int32)
        for n in range(b.shape[0]):
            found = [(s[n, i, c], c, b[n, i, 0 if b.shape[2] == 1 else c]) for c in range(s.shape[2])
                     for i in _class_nms(b[n, :, 0 if b.shape[2] == 1 else c], s[n, :, c], per_class, iou_max,
                                         score_min)]
            found.sort(key=lambda f: -f[0])
            found = found[:width]
            valid[n] = len(found)
            for k, (score, c, box) in enumerate(found):
                out_boxes[n, k], out_scores[n, k], out_classes[n, k] = box, score, c
        if self.clip_boxes:
            out_boxes = np.clip(out_boxes, 0.0, 1.0)
        return Tensor(out_boxes), Tensor(out_scores), Tensor(out_classes), Tensor(valid)


class NoRepeatNGram:
    """ops.NoRepeatNGram(ngram_size=1)(state_seq [B, beam, L], log_probs [B, beam, V]): log_probs with -FLT_MAX
    at every token that would repeat an n-gram of state_seq (one ending with the last n - 1 tokens)."""

    def __init__(self, ngram_size=1):
        if isinstance(ngram_size, bool) or not isinstance(ngram_size, int) or ngram_size < 1:
            raise ValueError(f"For 'NoRepeatNGram', 'ngram_size' must be a positive int, got {ngram_size!r}")
        self.ngram_size = ngram_size

    def __call__(self, state_seq, log_probs):
        seq, probs = state_seq.asnumpy(), log_probs.asnumpy().copy()
        if seq.shape[:-1] != probs.shape[:-1]:
            raise ValueError(f"For 'NoRepeatNGram', state_seq and log_probs must share their leading dimensions, got "
                             f"{list(seq.shape)} and {list(probs.shape)}")
        n, lowest = self.ngram_size, np.finfo(probs.dtype).min
        for row in np.ndindex(seq.shape[:-1]):
            tokens = seq[row]
            prefix = tokens[len(tokens) - n + 1:] if n > 1 else tokens[:0]
            for i in range(len(tokens) - n + 1):
                if (tokens[i:i + n - 1] == prefix).all() and 0 <= tokens[i + n - 1] < probs.shape[-1]:
                    probs[row + (int(tokens[i + n - 1]),)] = lowest
        return Tensor(probs)


def _area_weights(n_in: int, n_out: int, align_corners: bool) -> np.ndarray:
    """[n_out, n_in]: each output cell's share of each input cell it covers (TensorFlow's area rule)."""
    scale = (n_in - 1) / (n_out - 1) if align_corners and n_out > 1 else n_in / n_out
    w = np.zeros((n_out, n_in))
    for o in range(n_out):
        lo, hi = o * scale, min((o + 1) * scale, n_in)
        for i in range(int(np.floor(lo)), int(np.ceil(hi))):
            w[o, i] = min(hi, i + 1) - max(lo, i)
        w[o] /= w[o].sum()
    return w


class ResizeArea:
    """ops.ResizeArea(align_corners=False)(images [N, H, W, C], size (new_h, new_w)): each output pixel the
    area-weighted mean of the input pixels it covers; float32 out."""

    def __init__(self, align_corners=False):
        self.align_corners = bool(align_corners)

    def __call__(self, images, size):
        out_h, out_w = (int(v) for v in (size.asnumpy().tolist() if isinstance(size, Tensor) else size))
        if len(images.shape) != 4 or out_h < 1 or out_w < 1:
            raise ValueError(f"For 'ResizeArea', images must be [N, H, W, C] and size two positive ints, got "
                             f"{list(images.shape)} and {(out_h, out_w)}")
        ops = late.ops
        rows = Tensor(_area_weights(int(images.shape[1]), out_h, self.align_corners).astype(np.float32))
        cols = Tensor(_area_weights(int(images.shape[2]), out_w, self.align_corners).astype(np.float32))
        x = ops.transpose(ops.cast(images, "float32"), (0, 3, 1, 2))  # [N, C, H, W]
        y = ops.matmul(ops.matmul(rows, x), ops.transpose(cols, (1, 0)))
        return ops.transpose(y, (0, 2, 3, 1))


class MaxPool3DWithArgmax:
    """ops.MaxPool3DWithArgmax(ksize, strides, pads, dilation=(1, 1, 1), ceil_mode=False, data_format='NCDHW',
    argmax_type=int64)(x): max_pool3d's (output, argmax)."""

    def __init__(self, ksize, strides, pads, dilation=(1, 1, 1), ceil_mode=False, data_format="NCDHW",
                 argmax_type=None):
        if data_format != "NCDHW":
            raise ValueError(f"For 'MaxPool3DWithArgmax', only data_format 'NCDHW' is supported, got {data_format!r}")
        self.ksize, self.strides, self.pads, self.dilation = ksize, strides, pads, dilation
        self.ceil_mode, self.argmax_type = bool(ceil_mode), argmax_type

    def __call__(self, x):
        pooled: Any = late.ops.max_pool3d(x, self.ksize, self.strides, self.pads, self.dilation, self.ceil_mode,
                                          return_indices=True)  # (its stub reads the indices form as no return)
        out, argmax = pooled
        return out, (argmax if self.argmax_type is None else late.ops.cast(argmax, self.argmax_type))

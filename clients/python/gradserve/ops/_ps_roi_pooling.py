"""ops.PSROIPooling: position-sensitive ROI pooling (R-FCN): bin (i, j) of output channel c is the mean of input
channel (c * group_size + i) * group_size + j over the bin's pixels. MindSpore 2.10's CPU kernel rules (values
checked in its venv): the box is round(x1 * scale) .. round(x2 * scale) (half away from zero, no +1), at least
0.1 wide, bins floor / ceil of i * bin size, then offset and clipped to [0, size - 1] (so a bin never reaches the
last row or column), an empty bin 0; sizes computed in the input's precision."""
from __future__ import annotations

import math

import numpy as np

from .._late import late
from .._tensor import Tensor

__all__ = ["PSROIPooling"]


def _positive(value: float, name: str, kind: type):
    if not isinstance(value, kind) or isinstance(value, bool):
        raise TypeError(f"For 'PSROIPooling', '{name}' must be a {kind.__name__}, got {type(value).__name__}")
    if not value > 0:
        raise ValueError(f"For 'PSROIPooling', '{name}' must be positive, got {value}")
    return value


def _round(v) -> int:
    return int(math.copysign(math.floor(abs(float(v)) + 0.5), float(v)))  # C's round: half away from zero


class PSROIPooling:
    """PSROIPooling(spatial_scale, group_size, output_dim)(features [N, output_dim * group_size ** 2, H, W],
    rois [N, 5, R] = (batch index, x1, y1, x2, y2) along axis 1) -> [N * R, output_dim, group_size, group_size]
    (row b * R + r). The bins come from the rois' values in this call (a value read); the result is a weighted
    gather of the features, so its gradient reaches them (none reaches the rois). MindSpore 2.10's CPU kernel
    reads rois as if laid out [N * R, 5], which only agrees with its documented layout when R == 1 (for R > 1
    it reads boxes from the wrong places); gradserve takes the documented layout. MindSpore's gradient of it
    (PSROIPoolingGrad) clips the bins to [0, size], the derivative of a forward that reaches the last row and
    column, not of its CPU forward; gradserve's is the derivative of what it computes."""

    def __init__(self, spatial_scale, group_size, output_dim):
        self.spatial_scale = float(_positive(spatial_scale, "spatial_scale", float))
        self.group_size = int(_positive(group_size, "group_size", int))
        self.output_dim = int(_positive(output_dim, "output_dim", int))

    def __call__(self, features, rois):
        for name, t in (("features", features), ("rois", rois)):
            if not isinstance(t, Tensor):
                raise TypeError(f"For 'PSROIPooling', '{name}' must be a Tensor, got {type(t).__name__}")
            if t.dtype.name not in ("float16", "float32", "float64"):
                raise TypeError(f"For 'PSROIPooling', '{name}' must be float16, float32 or float64, got {t.dtype}")
        gs, od = self.group_size, self.output_dim
        if features.ndim != 4 or rois.ndim != 3 or rois.shape[1] != 5:
            raise ValueError(f"For 'PSROIPooling', features must be [N, C, H, W] and rois [N, 5, R], got shapes "
                             f"{list(features.shape)} and {list(rois.shape)}")
        n, c, h, w = features.shape
        # (MindSpore's kernel refuses these two at run time: a RuntimeError, as its tests expect)
        if c != od * gs * gs:
            raise RuntimeError(f"For 'PSROIPooling', features.shape[1] ({c}) must be output_dim ({od}) * "
                               f"group_size ({gs}) * group_size")
        if rois.shape[0] != n:
            raise RuntimeError(f"For 'PSROIPooling', the batch number of features and rois must be equal, got {n} "
                               f"and {rois.shape[0]}")
        dt = np.dtype(features.dtype.name)
        boxes = np.asarray(rois._host_copy()).transpose(0, 2, 1).reshape(-1, 5).astype(dt)
        scale, tenth, bins = dt.type(self.spatial_scale), dt.type(0.1), dt.type(gs)
        cells = []  # per output element: the flat feature positions it averages
        for b, x1, y1, x2, y2 in boxes:
            bi = int(b)
            if not 0 <= bi < n:
                raise IndexError(f"For 'PSROIPooling', roi batch index {bi} is out of range [0, {n})")
            sw, sh, ew, eh = (_round(v * scale) for v in (x1, y1, x2, y2))
            bw = max(dt.type(ew - sw), tenth) / bins
            bh = max(dt.type(eh - sh), tenth) / bins
            for ch_out in range(od):
                for i in range(gs):
                    h0 = min(max(math.floor(dt.type(i) * bh) + sh, 0), h - 1)
                    h1 = min(max(math.ceil(dt.type(i + 1) * bh) + sh, 0), h - 1)
                    for j in range(gs):
                        w0 = min(max(math.floor(dt.type(j) * bw) + sw, 0), w - 1)
                        w1 = min(max(math.ceil(dt.type(j + 1) * bw) + sw, 0), w - 1)
                        base = (bi * c + (ch_out * gs + i) * gs + j) * h * w
                        rows, cols = np.arange(h0, max(h1, h0)), np.arange(w0, max(w1, w0))
                        cells.append((base + rows[:, None] * w + cols[None, :]).ravel())
        k = max([len(p) for p in cells] + [1])
        index = np.zeros((len(cells), k), np.int64)
        weight = np.zeros((len(cells), k), dt)
        for row, pos in enumerate(cells):
            index[row, :len(pos)], weight[row, :len(pos)] = pos, dt.type(1) / dt.type(max(len(pos), 1))
        o = late.ops
        picked = o.gather(o.reshape(features, (-1,)), Tensor(index), 0)  # [outputs, k]
        out = o.sum(o.mul(picked, Tensor(weight)), 1)
        return o.reshape(out, (len(boxes), od, gs, gs))

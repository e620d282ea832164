"""ops.ROIAlign: the regions of interest of a feature map pooled to a fixed size by bilinear samples
(MindSpore 2.10's CPU kernel rules; values checked in MindSpore's venv)."""
from __future__ import annotations

import numpy as np

from .._late import late
from .._tensor import Tensor
from ._extra import P

__all__ = ["ROIAlign"]  # ROIAlignGrad: in operations._grad_ops (MindSpore's place)


def _bilinear_taps(y: float, x: float, h: int, w: int) -> list[tuple[int, int, float]]:
    """(row, column, weight) of the four taps at (y, x), Caffe2's ROIAlign rules: a point past one pixel
    outside the map is 0, else clamped in, the taps past the last row / column folded onto it."""
    if y < -1.0 or y > h or x < -1.0 or x > w:
        return []
    y, x = max(y, 0.0), max(x, 0.0)
    y0, x0 = int(y), int(x)
    if y0 >= h - 1:
        y0 = y1 = h - 1
        y = float(y0)
    else:
        y1 = y0 + 1
    if x0 >= w - 1:
        x0 = x1 = w - 1
        x = float(x0)
    else:
        x1 = x0 + 1
    ly, lx = y - y0, x - x0
    return [(y0, x0, (1 - ly) * (1 - lx)), (y0, x1, (1 - ly) * lx), (y1, x0, ly * (1 - lx)), (y1, x1, ly * lx)]


class ROIAlign:
    """ROIAlign(pooled_height, pooled_width, spatial_scale, sample_num=2, roi_end_mode=1)(features [N, C, H, W],
    rois [R, 5] = (batch, x1, y1, x2, y2)) -> [R, C, pooled_height, pooled_width]: each bin the mean of
    sample_num x sample_num bilinear samples (sample_num <= 0: int(roi size / pooled size) of them, NaN for
    none), the box (x1, y1) * scale to (x2 + roi_end_mode, y2 + roi_end_mode) * scale, at least 1 x 1 in
    roi_end_mode 0 (Caffe2's rules but the truncated grid: MindSpore 2.10's CPU kernel). The taps come from the rois' values in this call (a value read); the result is a gather
    of the features, so its gradient reaches them (none reaches the rois, as MindSpore's ROIAlignGrad)."""

    def __init__(self, pooled_height, pooled_width, spatial_scale, sample_num=2, roi_end_mode=1):
        if roi_end_mode not in (0, 1):
            raise ValueError(f"For 'ROIAlign', roi_end_mode must be 0 or 1, got {roi_end_mode}")
        self.ph, self.pw, self.scale = int(pooled_height), int(pooled_width), float(spatial_scale)
        self.sample_num, self.end = int(sample_num), int(roi_end_mode)

    def __call__(self, features, rois):
        o = late.ops
        if features.ndim != 4 or rois.ndim != 2 or rois.shape[1] != 5:
            raise ValueError(f"For 'ROIAlign', features must be [N, C, H, W] and rois [R, 5], got shapes "
                             f"{list(features.shape)} and {list(rois.shape)}")
        n, c, h, w = features.shape
        index, weight, void = self._taps(tuple(features.shape), rois, np.dtype(features.dtype.name))
        flat = o.reshape(o.transpose(features, (0, 2, 3, 1)), (n * h * w, c))
        picked = o.gather(flat, Tensor(index), 0)  # [R * ph * pw, k, C]
        out = o.sum(o.mul(picked, Tensor(weight[..., None])), 1)
        if void.any():
            out = o.add(out, Tensor(np.where(void[:, None], np.nan, 0).astype(weight.dtype)))
        return o.transpose(o.reshape(out, (rois.shape[0], self.ph, self.pw, c)), (0, 3, 1, 2))

    def _taps(self, shape, rois, dtype):
        """(index [R * ph * pw, k] of flat pixels (n, row, column), their weights, whether a bin has no sample)."""
        n, _, h, w = shape
        boxes = np.asarray(rois._host_copy(), np.float64)
        taps, void = [], []  # per (roi, bin): [(flat pixel, weight)], whether it has no sample
        for b, x1, y1, x2, y2 in boxes:
            if not 0 <= int(b) < n:
                raise IndexError(f"For 'ROIAlign', roi batch index {int(b)} is out of range [0, {n})")
            sx, sy = x1 * self.scale, y1 * self.scale
            rw = (x2 + self.end) * self.scale - sx
            rh = (y2 + self.end) * self.scale - sy
            if self.end == 0:  # (MindSpore's kernel forces 1 x 1 in the old end mode 0 only)
                rw, rh = max(rw, 1.0), max(rh, 1.0)
            bh, bw = rh / self.ph, rw / self.pw
            # the adaptive grid truncated, as MindSpore 2.10's CPU kernel (Caffe2 takes its ceil); none: NaN
            gh = self.sample_num if self.sample_num > 0 else int(rh / self.ph)
            gw = self.sample_num if self.sample_num > 0 else int(rw / self.pw)
            for i in range(self.ph):
                for j in range(self.pw):
                    cell = []
                    for iy in range(gh):
                        y = sy + i * bh + (iy + 0.5) * bh / gh
                        for ix in range(gw):
                            x = sx + j * bw + (ix + 0.5) * bw / gw
                            cell += [(int(b) * h * w + r * w + q, wt / (gh * gw))
                                     for r, q, wt in _bilinear_taps(y, x, h, w)]
                    taps.append(cell)
                    void.append(gh * gw == 0)  # no sample: 0 / 0, MindSpore's NaN (and no gradient)
        k = max([len(t) for t in taps] + [1])
        index = np.zeros((len(taps), k), np.int64)
        weight = np.zeros((len(taps), k), dtype)
        for row, cell in enumerate(taps):
            for col, (p, wt) in enumerate(cell):
                index[row, col], weight[row, col] = p, wt
        return index, weight, np.array(void, bool).reshape(-1)


class ROIAlignGrad:
    """_grad_ops.ROIAlignGrad(pooled_height, pooled_width, spatial_scale, sample_num=2)(dy [R, C, ph, pw], rois,
    xdiff_shape (N, C, H, W)) -> dx of xdiff_shape: ROIAlign's backward, each bin's dy spread over its bilinear taps
    with their weights (the transpose of ROIAlign's gather; a bin with no sample gives nothing)."""

    def __init__(self, pooled_height, pooled_width, spatial_scale, sample_num=2):
        self.forward = ROIAlign(pooled_height, pooled_width, spatial_scale, sample_num, 1)  # (its bins' taps)
        self.ph, self.pw = self.forward.ph, self.forward.pw

    def __call__(self, dy, rois, xdiff_shape):
        o = late.ops
        shape = tuple(int(d) for d in xdiff_shape)
        if len(shape) != 4 or dy.ndim != 4 or tuple(dy.shape[2:]) != (self.ph, self.pw) or dy.shape[1] != shape[1]:
            raise ValueError(f"For 'ROIAlignGrad', dy must be [R, C, {self.ph}, {self.pw}] and xdiff_shape "
                             f"(N, C, H, W) of the same C, got {list(dy.shape)} and {list(shape)}")
        n, c, h, w = shape
        index, weight, void = self.forward._taps(shape, rois, np.dtype(dy.dtype.name))
        weight[void] = 0
        rows = o.reshape(o.transpose(dy, (0, 2, 3, 1)), (-1, 1, c))  # [R * ph * pw, 1, C]
        spread = o.mul(rows, Tensor(weight[..., None]))  # [R * ph * pw, k, C]
        flat = P.scatter_add(o.reshape(spread, (-1, c)), Tensor(index.reshape(-1)), shape=(n * h * w, c), axis=0)
        return o.transpose(o.reshape(flat, (n, h, w, c)), (0, 3, 1, 2))

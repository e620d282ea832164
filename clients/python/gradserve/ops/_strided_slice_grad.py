"""StridedSliceGrad(begin_mask=0, end_mask=0, ellipsis_mask=0, new_axis_mask=0, shrink_axis_mask=0)(dy, shape,
begin, end, strides) (mindspore.ops.operations._grad_ops): a zero Tensor of `shape` with dy written at the
elements x[begin:end:strides] of a Tensor of that shape would read (the backward of StridedSlice; dy reshaped
to the slice's shape, so shrunk axes may be absent). Python's slice rules per axis (negative and out-of-range
bounds clamped); a begin_mask / end_mask bit takes that axis's bound from its start / end. ellipsis_mask and
new_axis_mask are refused by name. Built as a scatter of dy into zeros (a constant index grid), so its own
derivative is the slice of the incoming gradient."""
from __future__ import annotations

import numpy as np

from ._extra import P
from ._scatter_ms import tensor_scatter_add

__all__ = ["StridedSliceGrad"]


class StridedSliceGrad:
    """See the module's doc."""

    def __init__(self, begin_mask=0, end_mask=0, ellipsis_mask=0, new_axis_mask=0, shrink_axis_mask=0):
        if ellipsis_mask or new_axis_mask:
            raise NotImplementedError("StridedSliceGrad: ellipsis_mask and new_axis_mask are not supported by gradserve")
        self.begin_mask, self.end_mask = int(begin_mask), int(end_mask)

    def _ranges(self, shape, begin, end, strides) -> list[range]:
        if not len(begin) == len(end) == len(strides) <= len(shape):
            raise ValueError(f"StridedSliceGrad: begin {begin}, end {end} and strides {strides} must have one entry "
                             f"per sliced axis of shape {list(shape)}")
        out = []
        for axis, n in enumerate(shape):
            if axis >= len(begin):
                out.append(range(n))
                continue
            if strides[axis] == 0:
                raise ValueError(f"StridedSliceGrad: strides[{axis}] must not be 0")
            lo = None if self.begin_mask >> axis & 1 else begin[axis]
            hi = None if self.end_mask >> axis & 1 else end[axis]
            out.append(range(n)[slice(lo, hi, strides[axis])])
        return out

    def __call__(self, dy, shape, begin, end, strides):
        shape = tuple(int(s) for s in shape)
        ranges = self._ranges(shape, tuple(begin), tuple(end), tuple(strides))
        sliced = tuple(len(r) for r in ranges)
        zeros = P.zeros(shape, dy.dtype)
        if 0 in sliced:
            return zeros
        grid = np.stack(np.meshgrid(*[np.asarray(r, np.int64) for r in ranges], indexing="ij"), -1)
        return tensor_scatter_add(zeros, grid, P.reshape(dy, sliced))

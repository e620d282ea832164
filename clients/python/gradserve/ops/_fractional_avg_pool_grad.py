"""_grad_ops.FractionalAvgPoolGrad(overlapping=False)(orig_input_tensor_shape, out_backprop, row_pooling_sequence,
col_pooling_sequence): FractionalAvgPool's backward, NHWC. Each out_backprop cell spread evenly over its region
(rows seq[i] to seq[i + 1], one more row when overlapping, cut at the input's edge), added where regions overlap.
The regions are separable, so it is two constant matrices around out_backprop (a derivative and vmap take it as
a matmul). Integers: the sum in float64, truncated toward zero (MindSpore 2.10's CPU kernel: 5.97 gives 5)."""
from __future__ import annotations

import numpy as np

from .._late import late
from .._tensor import Tensor

__all__ = ["FractionalAvgPoolGrad"]

_NAME = "For 'FractionalAvgPoolGrad'"


def _spread(seq: np.ndarray, size: int, overlapping: bool) -> np.ndarray:
    """[size, len(seq) - 1]: 1 / region length where an input row lies in the region."""
    out = np.zeros((size, len(seq) - 1))
    for i in range(len(seq) - 1):
        lo, hi = int(seq[i]), min(int(seq[i + 1]) + (1 if overlapping else 0), size)
        if not 0 <= lo < hi:
            raise ValueError(f"{_NAME}, the pooling sequence {seq.tolist()} does not fit an input of {size} rows")
        out[lo:hi, i] = 1.0 / (hi - lo)
    return out


class FractionalAvgPoolGrad:
    """See the module's doc."""

    def __init__(self, overlapping=False):
        self.overlapping = bool(overlapping)

    def __call__(self, orig_input_tensor_shape, out_backprop, row_pooling_sequence, col_pooling_sequence):
        shape = np.asarray(orig_input_tensor_shape._host_copy() if isinstance(orig_input_tensor_shape, Tensor)
                           else orig_input_tensor_shape).astype(np.int64).ravel()
        if shape.size != 4 or not isinstance(out_backprop, Tensor) or out_backprop.ndim != 4:
            raise ValueError(f"{_NAME}, orig_input_tensor_shape must hold 4 values and out_backprop be 4-D (NHWC), got "
                             f"{shape.tolist()} and {list(getattr(out_backprop, 'shape', ()))}")
        rows, cols = (np.asarray(s._host_copy() if isinstance(s, Tensor) else s).ravel()
                      for s in (row_pooling_sequence, col_pooling_sequence))
        n, r, c, ch = (int(d) for d in out_backprop.shape)
        if (n, ch) != (int(shape[0]), int(shape[3])) or (len(rows), len(cols)) != (r + 1, c + 1):
            raise ValueError(f"{_NAME}, out_backprop {[n, r, c, ch]} does not match the input shape {shape.tolist()} "
                             f"and sequences of lengths {len(rows)}, {len(cols)}")
        row_w, col_w = (_spread(seq, int(size), self.overlapping) for seq, size in ((rows, shape[1]), (cols, shape[2])))
        dtype = out_backprop._dtype
        if dtype not in ("float16", "float32", "float64"):
            return Tensor(_integer_grad(out_backprop._host_copy(), row_w, col_w).astype(dtype))
        return late.ops.einsum("hi,nijc,wj->nhwc", Tensor(row_w.astype(dtype)), out_backprop,
                               Tensor(col_w.astype(dtype)))


def _integer_grad(bp: np.ndarray, row_w: np.ndarray, col_w: np.ndarray) -> np.ndarray:
    """Each cell divided by its region's size (not multiplied by a rounded 1 / size: 49 / 49 stays 1), summed in
    float64, truncated toward zero."""
    out = np.zeros((bp.shape[0], row_w.shape[0], col_w.shape[0], bp.shape[3]))
    for i in range(row_w.shape[1]):
        for j in range(col_w.shape[1]):
            r, c = row_w[:, i] > 0, col_w[:, j] > 0
            out[:, r[:, None] & c[None, :], :] += (bp[:, i, j, :] / float(r.sum() * c.sum()))[:, None, :]
    return np.trunc(out)

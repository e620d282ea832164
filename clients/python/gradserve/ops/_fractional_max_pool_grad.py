"""_grad_ops.FractionalMaxPoolGrad(overlapping=False)(orig_input, orig_output, out_backprop, row_pooling_sequence,
col_pooling_sequence) (MindSpore 2.10): FractionalMaxPool's backward for NHWC input. Each output cell's
gradient goes to the first maximum of orig_input in its region (the regions the two boundary sequences give,
read as data; overlapping: a region takes its right boundary too), summed where regions share a maximum.
Integer dtypes too (composed of argmax, gathers and a scatter-add, not of a derivative)."""
from __future__ import annotations

import numpy as np

from .._tensor import Tensor
from ._elements_scatter import tensor_scatter_elements
from ._extra import P
from ._fractional_pool import _region_index
from ._movement_ms import gather_elements

__all__ = ["FractionalMaxPoolGrad"]


class FractionalMaxPoolGrad:
    """See the module's doc."""

    def __init__(self, overlapping=False):
        self.overlapping = bool(overlapping)

    def __call__(self, orig_input, orig_output, out_backprop, row_pooling_sequence, col_pooling_sequence):
        if orig_input.ndim != 4 or out_backprop.ndim != 4:
            raise ValueError(f"For 'FractionalMaxPoolGrad', orig_input and out_backprop must be 4-D (NHWC), but got "
                             f"{list(orig_input.shape)} and {list(out_backprop.shape)}")
        n, h, w, c = orig_input.shape
        rows, cols = (np.asarray(s._host_copy()).astype(np.int64).reshape(-1)
                      for s in (row_pooling_sequence, col_pooling_sequence))
        oh, ow = len(rows) - 1, len(cols) - 1
        if tuple(out_backprop.shape) != (n, oh, ow, c):
            raise ValueError(f"For 'FractionalMaxPoolGrad', out_backprop must be {[n, oh, ow, c]} for the pooling "
                             f"sequences given, but got {list(out_backprop.shape)}")
        ri, ci = _region_index(rows, h, self.overlapping), _region_index(cols, w, self.overlapping)
        table = (ri[:, None, :, None] * w + ci[None, :, None, :]).reshape(oh * ow, -1)  # [cells, K] plane positions
        k = table.shape[1]
        windows = P.reshape(P.gather(P.reshape(orig_input, (n, h * w, c)), Tensor(table.reshape(-1)), 1),
                            (n, oh * ow, k, c))
        first = P.argmax(windows, axis=2, keepdims=True)  # the first maximum of each region
        positions = P.broadcast_to(Tensor(table.astype(np.int64).reshape(1, oh * ow, k, 1)), (n, oh * ow, k, c))
        at = P.squeeze(gather_elements(positions, 2, P.cast(first, "int64")), 2)  # [n, cells, c]
        zeros = P.zeros_like(P.reshape(orig_input, (n, h * w, c)))
        dx = tensor_scatter_elements(zeros, at, P.reshape(out_backprop, (n, oh * ow, c)), 1, "add")
        return P.reshape(dx, (n, h, w, c))

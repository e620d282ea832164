"""ops.gather(input_params, input_indices, axis, batch_dims) with batch_dims > 0 (TensorFlow's rule, MindSpore's):
the first batch_dims axes of params and indices pair up, out[b.., m.., i.., r..] = params[b.., m.., indices[b.., i..],
r..]. Done as one gather over params with its batch axes folded into the gathered axis (each batch's indices
offset by its start), so the gradient is the engine gather's. Negative indices wrap, as MindSpore's forward."""
from __future__ import annotations

import math

import numpy as np

from .._tensor import Tensor
from ._extra import P


def gather_batched(params, indices, axis: int, batch_dims: int):
    if not isinstance(indices, Tensor) or not isinstance(params, Tensor):
        raise TypeError("For 'Gather', 'input_params' and 'input_indices' must be Tensors when batch_dims is set")
    k = batch_dims + indices.ndim if batch_dims < 0 else batch_dims
    ax = axis % max(params.ndim, 1)
    if not 0 <= k <= min(indices.ndim, ax):
        raise ValueError(f"For 'Gather', batch_dims {batch_dims} must be in [0, min(rank(indices) "
                         f"{indices.ndim}, axis {ax})]")
    batch = tuple(int(s) for s in params.shape[:k])
    if batch != tuple(int(s) for s in indices.shape[:k]):
        raise ValueError(f"For 'Gather', the first {k} dims of input_params {list(params.shape)} and input_indices "
                         f"{list(indices.shape)} must be equal")
    n = int(params.shape[ax])
    mid, rest = list(range(k, ax)), list(range(ax + 1, params.ndim))
    folded = P.transpose(params, tuple(range(k)) + (ax,) + tuple(mid) + tuple(rest))
    folded = P.reshape(folded, (math.prod(batch) * n,) + tuple(params.shape[k:ax]) + tuple(params.shape[ax + 1:]))
    idx = P.select(P.less(indices, 0), P.add(indices, n), indices)
    starts = (np.arange(math.prod(batch)) * n).reshape(batch + (1,) * (indices.ndim - k))
    out = P.gather(folded, P.add(idx, Tensor(starts.astype(indices._dtype))), 0)  # batch, idx.., mid.., rest..
    ni = indices.ndim - k
    order = (tuple(range(k)) + tuple(range(k + ni, k + ni + len(mid))) + tuple(range(k, k + ni))
             + tuple(range(k + ni + len(mid), out.ndim)))
    return P.transpose(out, order)

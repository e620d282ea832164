"""ops.max_unpool1d / 2d / 3d (and nn.MaxUnpool1d / 2d / 3d): the inverse of a max pool with indices. Each
value of x [N, C, *in] (or unbatched [C, *in]) goes to its index in the flattened output plane of its
(n, c); every other output element is 0. The output's spatial size is (in - 1) stride - 2 padding + kernel,
or output_size (the spatial sizes, or the whole shape). A scatter into zeros (tensor_scatter_update): the
gradient of x gathers the output's at the same indices."""
from __future__ import annotations

import math

import numpy as np

from .._tensor import Tensor
from ._extra import P
from ._scatter_ms import tensor_scatter_update

__all__ = ["max_unpool1d", "max_unpool2d", "max_unpool3d"]


def _tuple(v, k: int, name: str, where: str) -> tuple:
    t = (v,) * k if isinstance(v, int) else tuple(v)
    if isinstance(v, bool) or len(t) != k or any(isinstance(e, bool) or not isinstance(e, int) or e < 0 for e in t):
        raise ValueError(f"For '{where}', '{name}' must be an int >= 0 or {k} of them, got {v!r}")
    return t


def _out_spatial(x_spatial, k: int, kernel_size, stride, padding, output_size, lead: tuple, where: str) -> tuple:
    ks = _tuple(kernel_size, k, "kernel_size", where)
    st = ks if stride is None or stride == 0 else _tuple(stride, k, "stride", where)
    pd = _tuple(padding, k, "padding", where)
    default = tuple((i - 1) * s - 2 * p + kk for i, s, p, kk in zip(x_spatial, st, pd, ks))
    if output_size is None or (isinstance(output_size, (tuple, list)) and len(output_size) == 0):
        return default
    size = tuple(int(v) for v in output_size)
    if len(size) == k + len(lead) and size[:len(lead)] == lead:
        size = size[len(lead):]
    if len(size) != k:
        raise ValueError(f"For '{where}', output_size must give the {k} spatial sizes (or the whole shape), "
                         f"got {tuple(output_size)}")
    for d, s, st_ in zip(size, default, st):
        if not s - st_ < d < s + st_:
            raise ValueError(f"For '{where}', output_size {size} must lie within a stride of the default size "
                             f"{default}")
    return size


def _unpool(x, indices, k: int, kernel_size, stride, padding, output_size, where: str):
    if not isinstance(x, Tensor) or not isinstance(indices, Tensor):
        raise TypeError(f"For '{where}', x and indices must be Tensors")
    if x.ndim not in (k + 1, k + 2) or tuple(indices.shape) != tuple(x.shape):
        raise ValueError(f"For '{where}', x must be [N, C, *{k} sizes] or [C, *{k} sizes] and indices of its shape, "
                         f"got {list(x.shape)} and {list(indices.shape)}")
    if indices.dtype.name not in ("int32", "int64"):
        raise TypeError(f"For '{where}', indices must be int32 or int64, got {indices.dtype.name}")
    lead = tuple(x.shape[:-k])
    out = _out_spatial(tuple(x.shape[-k:]), k, kernel_size, stride, padding, output_size, lead, where)
    planes, plane, per = math.prod(lead), math.prod(out), math.prod(x.shape[-k:])
    if not indices.is_symbolic and indices.size:
        v = indices._host_copy()
        if v.min() < 0 or v.max() >= plane:
            raise ValueError(f"For '{where}', indices must lie in [0, {plane}) (the output plane {list(out)}), "
                             f"got {int(v.min() if v.min() < 0 else v.max())}")
    base = Tensor(np.repeat(np.arange(planes, dtype=np.int64) * plane, per))
    pos = P.add(P.reshape(P.cast(indices, "int64"), (-1,)), base)
    zeros = P.zeros((planes * plane,), x.dtype)
    flat = tensor_scatter_update(zeros, P.reshape(pos, (-1, 1)), P.reshape(x, (-1,)))
    return P.reshape(flat, (*lead, *out))


def max_unpool1d(x, indices, kernel_size, stride=None, padding=0, output_size=None):
    return _unpool(x, indices, 1, kernel_size, stride, padding, output_size, "max_unpool1d")


def max_unpool2d(x, indices, kernel_size, stride=None, padding=0, output_size=None):
    return _unpool(x, indices, 2, kernel_size, stride, padding, output_size, "max_unpool2d")


def max_unpool3d(x, indices, kernel_size, stride=None, padding=0, output_size=None):
    return _unpool(x, indices, 3, kernel_size, stride, padding, output_size, "max_unpool3d")

"""ops.fractional_max_pool3d (nn.FractionalMaxPool3d's function): ops/_fractional_pool.py's fixed-window fractional
max pooling over depth, height and width. Per (batch, channel) volume one sample per axis in [0, 1) places the
windows, the samples in PyTorch's order (depth, height, width: torch.nn.functional.fractional_max_pool3d's, which
MindSpore's follows); the pool is a gather of every window's elements and a max over them."""
from __future__ import annotations


from .._tensor import Tensor
from ._conv import _triple
from ._fractional_pool import FractionalMaxPoolWithFixedKsize, _out_size, _samples, _starts, window_index, window_max
from ._primitives import expand_dims

__all__ = ["fractional_max_pool3d", "FractionalMaxPool3DWithFixedKsize"]

_NAME = "fractional_max_pool3d"


def fractional_max_pool3d(input, kernel_size, output_size=None, output_ratio=None, return_indices=False,  # noqa: A002
                          _random_samples=None):
    """input (N, C, D, H, W) or (C, D, H, W); output_size (od, oh, ow) or output_ratio (output = int(input *
    ratio)); _random_samples (N, C, 3) in [0, 1) (drawn when None). return_indices: also the int64 position of
    each maximum in its D * H * W volume."""
    kernel = tuple(int(v) for v in _triple(kernel_size, f"{_NAME}: kernel_size"))
    if any(k < 1 for k in kernel):
        raise ValueError(f"For '{_NAME}', 'kernel_size' must be positive, got {kernel_size}")
    if not isinstance(input, Tensor) or input.ndim not in (4, 5):
        raise ValueError(f"For '{_NAME}', the input must be a 4-d (C, D, H, W) or 5-d (N, C, D, H, W) Tensor")
    batched = input.ndim == 5
    x = input if batched else expand_dims(input, 0)
    n, c, d, h, w = x.shape
    (kd, kh, kw), (od, oh, ow) = kernel, _out_size(_NAME, (d, h, w), kernel, output_size, output_ratio)
    for axis, size, out, k in zip(("depth", "height", "width"), (d, h, w), (od, oh, ow), kernel):
        if out + k - 1 >= size:  # MindSpore 2.10's kernel refuses windows reaching the last element (its text)
            raise ValueError(f"For 'FractionalMaxPool3DWithFixedKsize', out(): pool {axis} ,{k}too large relative to "
                             f"input {axis}{size}.")
    s = _samples(_NAME, _random_samples, n, c, 3)
    deps, rows, cols = _starts(s[:, 0], d, od, kd), _starts(s[:, 1], h, oh, kh), _starts(s[:, 2], w, ow, kw)
    return window_max(x, window_index((deps, rows, cols), (d, h, w), kernel, n, c), batched, return_indices)

class FractionalMaxPool3DWithFixedKsize(FractionalMaxPoolWithFixedKsize):
    """ops.FractionalMaxPool3DWithFixedKsize(ksize, output_shape, data_format='NCDHW')(x, random_samples):
    (y, argmax), argmax int64: fractional_max_pool3d with its samples."""
    _format = "NCDHW"

    def __init__(self, ksize, output_shape, data_format="NCDHW"):
        super().__init__(ksize, output_shape, data_format)

    def _pool(self, *args):
        return fractional_max_pool3d(*args)

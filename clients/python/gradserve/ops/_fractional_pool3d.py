"""ops.fractional_max_pool3d (nn.FractionalMaxPool3d's function): ops/_fractional_pool.py's fixed-window fractional
max pooling over depth, height and width. Per (batch, channel) volume one sample per axis in [0, 1) places the
windows, the samples in PyTorch's order (depth, height, width: torch.nn.functional.fractional_max_pool3d's, which
MindSpore's follows); the pool is a gather of every window's elements and a max over them."""
from __future__ import annotations

import numpy as np

from .._tensor import Tensor
from . import _reduce_ms
from ._conv import _triple
from ._fractional_pool import _starts
from ._ms_names import rand
from ._movement_ms import gather_elements
from ._primitives import expand_dims, reshape, squeeze

__all__ = ["fractional_max_pool3d"]

_NAME = "fractional_max_pool3d"


def _out_size(spatial, kernel, output_size, output_ratio) -> tuple:
    if output_size is None and output_ratio is None:
        raise ValueError(f"For '{_NAME}', 'output_size' or 'output_ratio' must be given")
    if output_size is not None:
        out = tuple(int(v) for v in _triple(output_size, f"{_NAME}: output_size"))
    else:
        ratio = (output_ratio,) * 3 if isinstance(output_ratio, (int, float)) else tuple(output_ratio)
        if len(ratio) != 3 or not all(0 < r < 1 for r in ratio):
            raise ValueError(f"For '{_NAME}', 'output_ratio' must be one or three numbers in (0, 1), "
                             f"got {output_ratio}")
        out = tuple(int(s * r) for s, r in zip(spatial, ratio))
    for axis, s, k, o in zip(("depth", "height", "width"), spatial, kernel, out):
        if o < 1 or o + k - 1 > s:
            raise ValueError(f"For '{_NAME}', the output {axis} {o} plus the kernel {axis} {k} minus 1 must be at "
                             f"most the input {axis} {s} (and the output at least 1)")
    return out


def _samples(random_samples, n: int, c: int) -> np.ndarray:
    if random_samples is None:
        random_samples = rand(n, c, 3)
    s = random_samples.asnumpy() if isinstance(random_samples, Tensor) else np.asarray(random_samples)
    if s.shape != (n, c, 3):
        raise ValueError(f"For '{_NAME}', the random samples must have shape {[n, c, 3]} (batch, channels, 3), "
                         f"got {list(s.shape)}")
    if np.any(s < 0) or np.any(s >= 1):
        raise ValueError(f"For '{_NAME}', the random samples must lie in [0, 1)")
    return s.reshape(n * c, 3)


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
    (kd, kh, kw), (od, oh, ow) = kernel, _out_size((d, h, w), kernel, output_size, output_ratio)
    s = _samples(_random_samples, n, c)
    deps, rows, cols = _starts(s[:, 0], d, od, kd), _starts(s[:, 1], h, oh, kh), _starts(s[:, 2], w, ow, kw)
    # flat position of every window element: [planes, od, oh, ow, kd, kh, kw]
    t = deps[:, :, None, None, None, None, None] + np.arange(kd)[None, None, None, None, :, None, None]
    r = rows[:, None, :, None, None, None, None] + np.arange(kh)[None, None, None, None, None, :, None]
    q = cols[:, None, None, :, None, None, None] + np.arange(kw)[None, None, None, None, None, None, :]
    idx = ((t * h + r) * w + q).reshape(n, c, od, oh, ow, kd * kh * kw)
    flat = gather_elements(reshape(x, (n, c, d * h * w)), 2, Tensor(idx.reshape(n, c, -1)))
    y, k = _reduce_ms.max(reshape(flat, (n, c, od, oh, ow, kd * kh * kw)), -1)  # the first maximum wins
    if not batched:
        y = squeeze(y, 0)
    if not return_indices:
        return y
    ind = squeeze(gather_elements(Tensor(idx), 5, expand_dims(k, -1)), 5)
    return y, (ind if batched else squeeze(ind, 0))

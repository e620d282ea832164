"""nn.MSSSIM(max_val=1.0, power_factors=(0.0448, 0.2856, 0.3001, 0.2363, 0.1333), filter_size=11,
filter_sigma=1.5, k1=0.01, k2=0.03)(img1, img2): MindSpore 2.10's multi-scale SSIM of each image of (N, C, H, W).

As MindSpore's: images cast to float32 (an integer dtype's, uint8, scaled by 1 / its maximum, and max_val with
them); at each of the len(power_factors) levels, per channel, the Gaussian-window (valid convolution) SSIM and
contrast-structure maps averaged over the pixels; a 2 x 2 average pool between levels. The result is the mean
over channels of prod_j relu(cs_j)^w_j (the last level's SSIM in place of its cs). Argument checks at build time,
MindSpore's classes: TypeError for a bad type (a bool max_val, a set of factors, a float filter_size), ValueError
for a bad value."""
from __future__ import annotations

import numpy as np

from .. import ops as _ops
from .._cellbase import Cell
from .._tensor import Tensor
from ._doc_cells import _gaussian_window

__all__ = ["MSSSIM"]

_IMAGE_DTYPES = ("float64", "float32", "float16", "uint8")


def _check_args(max_val, power_factors, filter_size, filter_sigma, k1, k2) -> None:
    if isinstance(max_val, bool) or not isinstance(max_val, (int, float)):
        raise TypeError(f"For 'MSSSIM', the type of 'max_val' must be int or float, but got {type(max_val).__name__}.")
    if not max_val > 0:
        raise ValueError(f"For 'MSSSIM', 'max_val' must be greater than 0.0, but got {max_val}.")
    if not isinstance(power_factors, (tuple, list)):
        raise TypeError(f"For 'MSSSIM', the type of 'power_factors' must be tuple or list, but got "
                        f"{type(power_factors).__name__}.")
    if isinstance(filter_size, bool) or not isinstance(filter_size, int):
        raise TypeError(f"For 'MSSSIM', the type of 'filter_size' must be int, but got {type(filter_size).__name__}.")
    if filter_size < 1:
        raise ValueError(f"For 'MSSSIM', 'filter_size' must be greater than or equal to 1, but got {filter_size}.")
    if not isinstance(filter_sigma, float):
        raise TypeError(f"For 'MSSSIM', 'filter_sigma' must be float, but got {type(filter_sigma).__name__}.")
    if not filter_sigma > 0:
        raise ValueError(f"For 'MSSSIM', 'filter_sigma' must be float and must > 0, but got {filter_sigma}.")
    for name, k in (("k1", k1), ("k2", k2)):
        if not isinstance(k, float):
            raise TypeError(f"For 'MSSSIM', the type of '{name}' must be float, but got {type(k).__name__}.")


def _check_images(img1, img2) -> None:
    for name, img in (("img1", img1), ("img2", img2)):
        if len(img.shape) != 4:
            raise ValueError(f"For 'MSSSIM', the dimension of '{name}' must be 4d, but got {len(img.shape)}.")
    if img1.dtype not in _IMAGE_DTYPES:
        raise TypeError(f"For 'MSSSIM', the type of 'img1' must be one of {list(_IMAGE_DTYPES)}, but got "
                        f"{img1.dtype}.")
    if img1.dtype != img2.dtype:
        raise TypeError(f"For 'MSSSIM', img1 and img2 must have one dtype, but got {img1.dtype} and {img2.dtype}.")
    if tuple(img1.shape) != tuple(img2.shape):
        raise ValueError(f"For 'MSSSIM', img1 and img2 must have one shape, but got {tuple(img1.shape)} and "
                         f"{tuple(img2.shape)}.")


class MSSSIM(Cell):
    """See the module's doc."""

    def __init__(self, max_val=1.0, power_factors=(0.0448, 0.2856, 0.3001, 0.2363, 0.1333), filter_size=11,
                 filter_sigma=1.5, k1=0.01, k2=0.03):
        super().__init__()
        _check_args(max_val, power_factors, filter_size, filter_sigma, k1, k2)
        self.max_val, self.k1, self.k2 = max_val, k1, k2
        self._factors = np.asarray(power_factors, np.float32)
        self._window = _gaussian_window(filter_size, filter_sigma)

    def _levels(self, a, b, c1, c2):
        """[N, C] relu'd cs of every level but the last, then the last level's SSIM."""
        c = int(a.shape[1])
        weight = Tensor(np.repeat(self._window, c, axis=0))  # one window per channel (groups = C)
        out = []
        for level in range(len(self._factors)):
            def blur(t):
                return _ops.conv2d(t, weight, groups=c)
            mu1, mu2 = blur(a), blur(b)
            mu11, mu22, mu12 = _ops.mul(mu1, mu1), _ops.mul(mu2, mu2), _ops.mul(mu1, mu2)
            v1 = _ops.add(_ops.mul(_ops.sub(blur(_ops.mul(a, b)), mu12), 2.0), c2)
            v2 = _ops.add(_ops.add(_ops.sub(blur(_ops.mul(a, a)), mu11), _ops.sub(blur(_ops.mul(b, b)), mu22)), c2)
            if level == len(self._factors) - 1:
                lum = _ops.div(_ops.add(_ops.mul(mu12, 2.0), c1), _ops.add(_ops.add(mu11, mu22), c1))
                out.append(_ops.relu(_ops.mean(_ops.mul(lum, _ops.div(v1, v2)), (2, 3))))
            else:
                out.append(_ops.relu(_ops.mean(_ops.div(v1, v2), (2, 3))))
                a, b = _ops.avg_pool2d(a, 2, 2), _ops.avg_pool2d(b, 2, 2)
        return out

    def construct(self, img1, img2):
        _check_images(img1, img2)
        a, b, max_val = _ops.cast(img1, "float32"), _ops.cast(img2, "float32"), float(self.max_val)
        if img1.dtype == "uint8":  # MindSpore scales an integer image (and max_val) by 1 / the dtype's maximum
            a, b, max_val = _ops.mul(a, 1.0 / 255.0), _ops.mul(b, 1.0 / 255.0), max_val / 255.0
        c1, c2 = (self.k1 * max_val) ** 2, (self.k2 * max_val) ** 2
        stacked = _ops.stack(self._levels(a, b, c1, c2), -1)
        return _ops.mean(_ops.prod(_ops.pow(stacked, Tensor(self._factors)), -1), -1)

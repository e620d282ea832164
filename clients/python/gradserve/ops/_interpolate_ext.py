"""MindSpore 2.10's `ops.function.nn_func.interpolate_ext` (its `mint.nn.functional.interpolate`) and the
backward primitives of its trilinear and nearest modes, `UpsampleTrilinear3DGrad` / `UpsampleNearest3DGrad`, and
the primitive `UpsampleTrilinear3D` (the same weights, untransposed).

interpolate_ext resizes as ops.interpolate (ops/_interpolate.py: the same coordinates and weights) with its own
rules (MindSpore's texts): the modes nearest / linear / bilinear / bicubic / trilinear, scale_factor in every
mode (the scale of an axis 1 / scale_factor, or in / out with recompute_scale_factor), align_corners only for
the interpolating modes, and float scale factors only."""
from __future__ import annotations

import numpy as np

from ._interpolate import _RANKS, _nearest_index, check_float_factors, resize_spatial, upsample_plan
from ._resize import linear_weights, resize_axis

__all__ = ["interpolate_ext", "UpsampleTrilinear3D", "UpsampleTrilinear3DGrad", "UpsampleNearest3DGrad"]

_EXT_MODES = ("nearest", "linear", "bilinear", "bicubic", "trilinear")


def _check_ext(rank: int, size, scale_factor, mode: str, align_corners, recompute) -> None:
    if mode not in _EXT_MODES:
        raise ValueError(f"For 'interpolate', 'mode' must be in '{list(_EXT_MODES)}', but got {mode}")
    if mode == "nearest" and align_corners is not None:
        raise ValueError("align_corners option can only be set with the interpolating modes: "
                         "linear | bilinear | bicubic | trilinear")
    if size is not None and scale_factor is not None:
        raise ValueError("For 'interpolate', 'size' and 'scale_factor' cannot be set simultaneously")
    if size is None and scale_factor is None:
        raise ValueError("For 'interpolate', 'size' and 'scale_factor' cannot be both empty")
    if recompute and size is not None:
        raise ValueError("For 'interpolate', it is incorrect to set 'recompute_scale_factor' to True after "
                         "specifying an explicit 'size'.")
    if rank not in _RANKS[mode]:
        raise ValueError(f"For 'interpolate' in mode {mode}, the image rank must be one of {list(_RANKS[mode])}, "
                         f"but got {rank}.")
    if scale_factor is not None:
        check_float_factors(scale_factor, "interpolate")


def interpolate_ext(input, size=None, scale_factor=None, mode="nearest", align_corners=None,  # noqa: A002
                    recompute_scale_factor=None):
    """See the module's doc."""
    _check_ext(input.ndim, size, scale_factor, mode, align_corners, recompute_scale_factor)
    plan = upsample_plan(tuple(input.shape), size, scale_factor, bool(recompute_scale_factor))
    return resize_spatial(input, plan, mode, bool(align_corners))


def _grad_sizes(op: str, dy, input_size, output_size, scales) -> tuple[list[int], list[int]]:
    """The spatial sizes of a 3-D upsample's input and output (dy's last three axes), checked."""
    if (output_size is None) == (scales is None):
        raise ValueError(f"For '{op}', exactly one of 'output_size' and 'scales' must be set")
    spatial = [int(v) for v in tuple(input_size)[2:]]
    outs = [int(v) for v in tuple(dy.shape)[-3:]]
    if len(spatial) != 3 or (output_size is not None and [int(v) for v in output_size] != outs):
        raise ValueError(f"For '{op}', input_size must be 5-D and dy's last three axes the output size, but got "
                         f"input_size {list(input_size)}, output_size {output_size} and dy {list(dy.shape)}")
    if scales is not None:
        check_float_factors(list(scales), op)
    return spatial, outs


def _trilinear_sizes(x, output_size, scales) -> list[int]:
    """The output's D, H, W: output_size, or floor(n * scale) (MindSpore 2.10's checks and texts)."""
    if output_size is None and scales is None:
        raise ValueError("For 'UpsampleTrilinear3D', either output_size or scales should be defined.")
    if output_size is not None and scales is not None:
        raise ValueError("For 'UpsampleTrilinear3D', only one of output_size or scales should be defined.")
    if x.dtype not in ("float16", "float32", "float64"):
        raise TypeError("Select CPU operator[UpsampleTrilinear3D] fail! Unsupported data type!")
    if len(x.shape) != 5:
        raise ValueError(f"For primitive[UpsampleTrilinear3D], the image rank must be equal to 5, but got "
                         f"{len(x.shape)}.")
    if output_size is not None and not isinstance(output_size, (list, tuple)):
        raise TypeError(f"Failed calling UpsampleTrilinear3D with \"UpsampleTrilinear3D(align_corners=bool)(x=Tensor, "
                        f"output_size={type(output_size).__name__}, scales=None)\".")
    values = list(output_size) if output_size is not None else list(scales or ())
    if len(values) != 3:
        raise ValueError(f"For primitive[UpsampleTrilinear3D], the number of size must be equal to 3, but got "
                         f"{len(values)}.")
    for v in values:
        if v <= 0:
            raise ValueError(f"For primitive[UpsampleTrilinear3D], the size value must be greater than 0, but got "
                             f"{v:g}.")
    if output_size is not None:
        return [int(v) for v in values]
    return [int(np.floor(int(n) * float(s))) for n, s in zip(x.shape[2:], values)]


class UpsampleTrilinear3D:
    """UpsampleTrilinear3D(align_corners=False)(x [N, C, D, H, W], output_size=None, scales=None): trilinear
    resampling of each spatial axis in turn (MindSpore 2.10 CPU's values: source (i + 0.5) / scale - 0.5 clamped
    at 0, with scale out / in or the given one; (in - 1) / (out - 1) with align_corners)."""

    def __init__(self, align_corners=False):
        self.align_corners = bool(align_corners)

    def __call__(self, x, output_size=None, scales=None):
        outs = _trilinear_sizes(x, output_size, scales)
        y = x
        for k, (n_in, n_out) in enumerate(zip((int(n) for n in x.shape[2:]), outs)):
            step = None if scales is None or self.align_corners else 1.0 / float(scales[k])
            y = resize_axis(y, k - 3, linear_weights(n_in, n_out, self.align_corners, scale=step))
        return y


class UpsampleTrilinear3DGrad:
    """UpsampleTrilinear3DGrad(align_corners=False)(dy, input_size, output_size=None, scales=None): the
    gradient of a trilinear resize of an input of input_size [N, C, D, H, W] to dy [..., D', H', W'] (output_size,
    or 1 / scales the step of each axis): each spatial axis' weight matrix transposed, so leading (vmap) axes of
    dy pass through."""

    def __init__(self, align_corners=False):
        self.align_corners = bool(align_corners)

    def __call__(self, dy, input_size, output_size=None, scales=None):
        spatial, outs = _grad_sizes("UpsampleTrilinear3DGrad", dy, input_size, output_size, scales)
        dx = dy
        for k, (n_in, n_out) in enumerate(zip(spatial, outs)):
            step = None if scales is None or self.align_corners else 1.0 / float(scales[k])
            dx = resize_axis(dx, k - 3, linear_weights(n_in, n_out, self.align_corners, scale=step).T)
        return dx


class UpsampleNearest3DGrad:
    """UpsampleNearest3DGrad()(dy, input_size, output_size=None, scales=None): the gradient of a nearest resize of
    an input of input_size [N, C, D, H, W] to dy [..., D', H', W']: each input element gets the sum of the dy
    elements read from it (the forward's source index, scale in / out or 1 / scales), leading (vmap) axes of dy
    pass through."""

    def __call__(self, dy, input_size, output_size=None, scales=None):
        spatial, outs = _grad_sizes("UpsampleNearest3DGrad", dy, input_size, output_size, scales)
        dx = dy
        for k, (n_in, n_out) in enumerate(zip(spatial, outs)):
            scale = n_in / n_out if scales is None else 1.0 / float(scales[k])
            reads = np.eye(n_in)[_nearest_index(n_in, n_out, scale, False)]  # [out, in]: the source of each output
            dx = resize_axis(dx, k - 3, reads.T)
        return dx

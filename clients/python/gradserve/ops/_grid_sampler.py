"""grid_sample / GridSampler2D / GridSampler3D and GridSampler2DGrad / GridSampler3DGrad (MindSpore 2.10's names):
sampling of [N, C, H, W] at a grid [N, Ho, Wo, 2] of (x, y) in [-1, 1] (or [N, C, D, H, W] at [N, Do, Ho, Wo, 3] of
(x, y, z)), bilinear (trilinear in 3-D) or nearest, zeros, border or reflection padding. The sampling is the importers'
composite (importers/_shared/composites.grid_sample, torch's rules: the corners gathered and weighted by the
fractional position) run on SDK Tensors by _tensor_writer, so its derivative (input and grid) is the composite's;
the *Grad classes are that derivative (vjp) with the gradient given."""
from __future__ import annotations

from typing import Any

from .. import dtype as _dt
from .._tensor import Tensor
from ._tensor_writer import writer_class

__all__ = ["grid_sample", "GridSampler2D", "GridSampler3D"]


def _check(name: str, x, grid, mode: str, padding: str, ranks=(4,)) -> None:
    if not isinstance(x, Tensor) or not isinstance(grid, Tensor):
        raise TypeError(f"For '{name}', 'input_x' and 'grid' must be Tensors")
    k = x.ndim - 2
    if x.ndim not in ranks or grid.ndim != x.ndim or grid.shape[-1] != k or grid.shape[0] != x.shape[0]:
        want = " or ".join("[N, C, H, W] and 'grid' [N, H_out, W_out, 2]" if r == 4 else
                           "[N, C, D, H, W] and 'grid' [N, D_out, H_out, W_out, 3]" for r in ranks)
        raise ValueError(f"For '{name}', 'input_x' must be {want}, but got {list(x.shape)} and {list(grid.shape)}")
    _check_modes("grid_sampler_3d" if x.ndim == 5 else "grid_sampler_2d" if name == "grid_sample" else name,
                 mode, padding)


def _check_modes(name: str, mode, padding) -> None:
    """MindSpore 2.10's enum refusal (ValueError, its text): 'bicubic' is no mode of its grid samplers."""
    for which, v, known in (("interpolation_mode", mode, ("bilinear", "nearest")),
                            ("padding_mode", padding, ("zeros", "border", "reflection"))):
        if v not in known:
            raise ValueError(f'Failed to convert the value "{v}" of input \'{which}\' of \'{name}\' to enum.')


def _same_dtype(rank: int, x: Tensor, grid: Tensor) -> None:
    """MindSpore 2.10 refuses a grid whose dtype is not x's (gradserve cast it to x's: a value where MindSpore has
    none); its two kernels word it differently."""
    if grid.dtype == x.dtype:
        return
    if rank == 5:
        raise TypeError("For primitive[GridSampler3D], the input type must be same.")
    raise TypeError(f"Input grid must have the same data type with input x! input[x] data type = Tensor[{x.dtype}] "
                    f"but input[grid] data type = Tensor[{grid.dtype}]")


def _float_kernel(kernel: str, *tensors: Tensor) -> None:
    """MindSpore 2.10's CPU kernels take float16 / 32 / 64 only (integer or bfloat16: its kernel-select TypeError)."""
    if any(t._dtype not in _dt.FLOAT or t._dtype == "bfloat16" for t in tensors):
        raise TypeError(f"Select CPU operator[{kernel}] fail! Unsupported data type!")


def _sample(x: Tensor, grid: Tensor, mode: str, padding: str, align_corners: bool) -> Tensor:
    from ..importers._shared.composites import grid_sample as _composite
    w = writer_class()()
    return w.tensors[_composite(w, w.put(x), w.put(grid.astype(x.dtype)), mode, padding, bool(align_corners))]


def grid_sample(input, grid, mode="bilinear", padding_mode="zeros", align_corners=None):  # noqa: A002
    """ops.grid_sample on a 4-D or 5-D input (align_corners None is False)."""
    _check("grid_sample", input, grid, mode, padding_mode, (4, 5))
    _same_dtype(input.ndim, input, grid)
    _float_kernel("GridSampler3D" if input.ndim == 5 else "GridSampler2D", input)
    return _sample(input, grid, mode, padding_mode, bool(align_corners))


class GridSampler2D:
    """ops.GridSampler2D(interpolation_mode, padding_mode, align_corners)(input_x, grid)."""
    _rank = 4

    def __init__(self, interpolation_mode="bilinear", padding_mode="zeros", align_corners=False):
        _check_modes(type(self).__name__, interpolation_mode, padding_mode)  # (MindSpore 2.10 refuses them here)
        self.interpolation_mode, self.padding_mode, self.align_corners = interpolation_mode, padding_mode, align_corners

    def __call__(self, input_x, grid):
        _check(type(self).__name__, input_x, grid, self.interpolation_mode, self.padding_mode, (self._rank,))
        _same_dtype(self._rank, input_x, grid)
        _float_kernel(type(self).__name__, input_x)
        return _sample(input_x, grid, self.interpolation_mode, self.padding_mode, self.align_corners)


class GridSampler3D(GridSampler2D):
    """ops.GridSampler3D(interpolation_mode, padding_mode, align_corners)(input_x [N, C, D, H, W], grid
    [N, D_out, H_out, W_out, 3])."""
    _rank = 5


class GridSampler2DGrad:
    """GridSampler2DGrad(interpolation_mode, padding_mode, align_corners)(grad, input_x, grid) -> (dx, dgrid): the
    derivative of GridSampler2D at (input_x, grid) given the output's gradient."""
    _rank = 4

    def __init__(self, interpolation_mode="bilinear", padding_mode="zeros", align_corners=False, output_mask=(1, 1)):
        _check_modes(type(self).__name__, interpolation_mode, padding_mode)  # (MindSpore 2.10 refuses them here)
        self.interpolation_mode, self.padding_mode, self.align_corners = interpolation_mode, padding_mode, align_corners

    def __call__(self, grad, input_x, grid):
        from ._autodiff import vjp
        _check(type(self).__name__, input_x, grid, self.interpolation_mode, self.padding_mode, (self._rank,))
        _float_kernel(type(self).__name__, grad, input_x, grid)
        mode, pad, ac = self.interpolation_mode, self.padding_mode, self.align_corners
        res: Any = vjp(lambda a, g: _sample(a, g, mode, pad, ac), input_x, grid)
        grads: Any = res[1](grad)
        return grads[0], grads[1]


class GridSampler3DGrad(GridSampler2DGrad):
    """GridSampler3DGrad(...)(grad, input_x, grid) -> (dx, dgrid): GridSampler3D's derivative."""
    _rank = 5

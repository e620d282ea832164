"""ops.interpolate(input, size=None, scale_factor=None, mode='nearest', align_corners=None,
recompute_scale_factor=None): MindSpore 2.10's resizing of the spatial axes of an [N, C, *spatial] input.

Every mode is separable: each spatial axis is resized on its own, 'nearest' / 'nearest-exact' by a gather of
source rows, the others by a constant weight matrix [out, in] (linear, cubic or averaging weights) applied with
a matmul, so derivatives are those of gather / matmul. Source coordinates follow MindSpore 2.10 (= PyTorch),
values checked in its venv: with `size`, or `scale_factor` and recompute_scale_factor, the scale of an axis is
in / out; with `scale_factor` alone it is 1 / scale_factor. The output length is floor(in * scale_factor).
- nearest: src = min(floor(i * scale), in - 1); nearest-exact: floor((i + 0.5) * scale).
- linear / bilinear / trilinear: src = (i + 0.5) * scale - 0.5 clamped at 0, or i (in - 1) / (out - 1) with
  align_corners.
- bicubic: the same coordinate (not clamped), Keys' cubic over the four rows around it (see _cubic_weights).
- area: adaptive average pooling (rows floor(i in / out) .. ceil((i + 1) in / out)).
MindSpore's checks (ValueError, its texts): the ranks each mode takes, align_corners only for the linear and
cubic modes, scale_factor without recompute_scale_factor only for 5-D nearest / trilinear and for area, and
adaptive_avg_pool1d's rules for a 3-D area resize."""
from __future__ import annotations

import math
from typing import Any

import numpy as np

from .._tensor import Tensor
from ._extra import P
from ._resize import linear_weights, resize_axis

__all__ = ["interpolate", "upsample"]

_RANKS = {"nearest": (3, 4, 5), "nearest-exact": (3, 4), "linear": (3,), "bilinear": (4,), "trilinear": (5,),
          "bicubic": (4,), "area": (3, 4, 5)}
_ALIGNABLE = ("linear", "bilinear", "trilinear", "bicubic")


def area_weights(n_in: int, n_out: int) -> np.ndarray:
    """[n_out, n_in]: the mean of in[floor(i n_in / n_out) : ceil((i + 1) n_in / n_out)] (adaptive pooling)."""
    w = np.zeros((n_out, n_in), np.float64)
    for i in range(n_out):
        lo, hi = (i * n_in) // n_out, -((-(i + 1) * n_in) // n_out)
        w[i, lo:hi] = 1.0 / (hi - lo)
    return w


def _source(i: int, n_in: int, n_out: int, scale: float, align_corners: bool) -> float:
    if align_corners:
        return i * (n_in - 1) / (n_out - 1) if n_out > 1 else 0.0
    return (i + 0.5) * scale - 0.5


_TABLE = 1024  # MindSpore's bicubic kernel (TensorFlow's) reads its cubic weights from a table of this step


def _cubic_weights(n_in: int, n_out: int, scale: float, align_corners: bool) -> np.ndarray:
    """Keys' cubic over rows floor(src) - 1 .. + 2, weights read at round(frac(src) * 1024) / 1024. Half-pixel
    (no align_corners): a = -0.5, taps outside the input dropped and the rest renormalised; align_corners:
    a = -0.75, taps clamped to the edge row (MindSpore 2.10's values, checked in its venv)."""
    a = -0.75 if align_corners else -0.5
    t = np.arange(_TABLE + 1) / _TABLE
    near = ((a + 2) * t - (a + 3)) * t * t + 1
    far = ((a * (t + 1) - 5 * a) * (t + 1) + 8 * a) * (t + 1) - 4 * a
    w = np.zeros((n_out, n_in), np.float64)
    for i in range(n_out):
        src = _source(i, n_in, n_out, scale, align_corners)
        i0 = int(math.floor(src))
        off = int(np.rint((src - i0) * _TABLE))
        taps = list(zip(range(i0 - 1, i0 + 3), (far[off], near[off], near[_TABLE - off], far[_TABLE - off])))
        if not align_corners:
            taps = [(k, c) for k, c in taps if 0 <= k < n_in]
            total = sum(c for _, c in taps)
            taps = [(k, c / total) for k, c in taps]
        for k, c in taps:
            w[i, min(max(k, 0), n_in - 1)] += c
    return w


def _nearest_index(n_in: int, n_out: int, scale: float, exact: bool) -> np.ndarray:
    i = np.arange(n_out, dtype=np.float64)
    src = np.floor((i + 0.5) * scale) if exact else np.floor(i * np.float32(scale))
    return np.minimum(src, n_in - 1).astype(np.int64)


def _per_axis(v: Any, k: int, rank: int, name: str) -> list[Any]:
    vals = list(v) if isinstance(v, (list, tuple)) else [v] * k
    if len(vals) != k:
        raise ValueError(f"For 'interpolate', '{name}' needs {k} value(s) for a {rank}-D input, got {v!r}")
    return vals


def upsample_plan(shape, size, scale_factor, recompute: bool) -> list[tuple[int, int, float]]:
    """[(in, out, scale)] of each spatial axis of an input of `shape`."""
    spatial, rank = [int(s) for s in shape[2:]], len(shape)
    if size is not None:
        sizes = [int(o) for o in _per_axis(size, len(spatial), rank, "size")]
        return [(n, o, n / o if o else 0.0) for n, o in zip(spatial, sizes)]
    factors = [float(f) for f in _per_axis(scale_factor, len(spatial), rank, "scale_factor")]
    plan = []
    for n, f in zip(spatial, factors):
        # MindSpore 2.10 sizes a recomputed scale in double, a scale its kernel takes in float32 (floor(100 * 1.13)
        # is 112 in double, 113 in float32: it gives 113)
        o = int(math.floor(n * f)) if recompute else int(np.floor(np.float32(n) * np.float32(f)))
        plan.append((n, o, (n / o if o else 0.0) if recompute else 1.0 / f))
    return plan


def resize_spatial(x, plan, mode: str, align_corners: bool = False):
    """x resized along its last len(plan) axes, one axis at a time."""
    for axis, (n_in, n_out, scale) in zip(range(x.ndim - len(plan), x.ndim), plan):
        if n_out <= 0:
            raise ValueError(f"For 'interpolate', the output size along axis {axis} would be {n_out}")
        if mode in ("nearest", "nearest-exact"):
            if mode == "nearest" and (x._dtype == "bool" or x._dtype.startswith("int")):  # (MindSpore 2.10's CPU
                # kernels: uint8 and the floats only)
                raise TypeError(f"Select CPU operator[UpsampleNearest{len(plan)}D] fail! Unsupported data type!")
            x = P.gather(x, Tensor(_nearest_index(n_in, n_out, scale, mode == "nearest-exact")), axis)
            continue
        if mode == "area":
            w = area_weights(n_in, n_out)
        elif mode == "bicubic":
            w = _cubic_weights(n_in, n_out, scale, align_corners)
        else:
            w = linear_weights(n_in, n_out, align_corners, scale=scale)
        x = resize_axis(x, axis - x.ndim, w)
    return x


def check(rank: int, size, scale_factor, mode: str, align_corners, recompute) -> None:
    """MindSpore 2.10's argument checks, in its order."""
    if mode not in _RANKS:
        raise ValueError(f"For 'interpolate', 'mode' must be one of {list(_RANKS)}, but got {mode!r}")
    if rank not in _RANKS[mode]:
        raise ValueError(f"For 'interpolate', {mode} only support '{list(_RANKS[mode])}'D, but got {rank}D")
    if (size is None) == (scale_factor is None):
        raise ValueError("For 'interpolate', 'size' and 'scale_factor' cannot be set or None at the same time")
    if scale_factor is not None:
        check_float_factors(scale_factor, "interpolate")
    if align_corners is not None and mode not in _ALIGNABLE:
        raise ValueError(f"For 'interpolate', 'align_corners' option cannot currently be set with the mode = "
                         f"{mode}, and dim = {rank}D")
    if scale_factor is not None and not recompute and not (mode == "area" or rank == 5):
        raise ValueError(f"For 'interpolate', 'scale_factor' option cannot currently be set with the mode = "
                         f"{mode} and dim = {rank}D.")


def check_float_factors(scale_factor, op: str) -> None:
    """MindSpore 2.10 takes only Python floats as scale factors (an int or bool one is its TypeError)."""
    items = scale_factor if isinstance(scale_factor, (list, tuple)) else None
    for i, f in enumerate(items if items is not None else [scale_factor]):
        if not isinstance(f, float):
            where = f"scale_factor[{i}]" if items is not None else "scale_factor"
            raise TypeError(f"For '{op}', the '{where}' must be float, but got '{type(f).__name__}'")


def _check_area_1d(plan) -> None:
    (n_in, n_out, _), = plan
    if n_in < n_out:
        raise ValueError(f"For adaptive_avg_pool1d input's last dimension must be greater or equal to output "
                         f"size {n_out}, but got {n_in}.")
    if n_in % n_out:
        raise ValueError(f"For adaptive_avg_pool1d input's last dimension must be divisible by output size "
                         f"{n_out}, but got {n_in}.")


def interpolate(input, size=None, scale_factor=None, mode="nearest", align_corners=None,
                recompute_scale_factor=None):
    """See the module's doc."""
    check(input.ndim, size, scale_factor, mode, align_corners, recompute_scale_factor)
    plan = upsample_plan(tuple(input.shape), size, scale_factor, bool(recompute_scale_factor))
    if mode == "area" and input.ndim == 3:
        _check_area_1d(plan)
    return resize_spatial(input, plan, mode, bool(align_corners))


def upsample(input, size=None, scale_factor=None, mode="nearest", align_corners=None,  # noqa: A002
             recompute_scale_factor=None):
    """ops.upsample: MindSpore 2.10's alias of ops.interpolate (same arguments, same order)."""
    return interpolate(input, size, scale_factor, mode, align_corners, recompute_scale_factor)

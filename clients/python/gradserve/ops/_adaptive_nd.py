"""Adaptive pools over the last two or three axes with MindSpore 2.10's signatures, dtypes and refusals (its CPU
runs): adaptive_avg_pool3d / AdaptiveAvgPool3D (mint.nn.functional's too), adaptive_max_pool2d's and
adaptive_max_pool3d's indices and the AdaptiveMaxPool2D / AdaptiveMaxPool3D primitives. Windows are torch's,
[floor(i n / out), ceil((i + 1) n / out)); a max pool is one gather of every window's elements (a short window
repeats its first element, which leaves the max and its first position alone) and a max whose gradient reaches
the first maximum of each window, as MindSpore's kernels."""
from __future__ import annotations

import numpy as np

from .._late import late
from .._tensor import Tensor
from .._calling_errors import input_dtype_error, tensor_type
from ._adaptive_pool1d import adaptive_max_pool1d, mean_windows
from ._doc_nn import _along_h, _flat3, _sizes
from ._fractional_pool import window_max

__all__ = ["adaptive_avg_pool3d", "AdaptiveAvgPool3D", "adaptive_max_pool2d", "AdaptiveMaxPool2D",
           "adaptive_max_pool3d", "AdaptiveMaxPool3D"]

_AVG3D_TYPES = ("float16", "float32", "float64", "int16", "int32", "int64", "int8", "uint8")
_MAX3D_TYPES = ("float16", "float32", "float64", "int16", "int32", "int64", "int8", "uint16", "uint32", "uint64",
                "uint8")


def _spans(n: int, out: int) -> list[tuple[int, int]]:
    return [((i * n) // out, -((-(i + 1) * n) // out)) for i in range(out)]


def _window_positions(dims: tuple, sizes: tuple) -> np.ndarray:
    """(*sizes, K): the flat positions (in prod(dims)) of each adaptive window's elements, padded to the longest
    window with the window's first position."""
    per_axis = [_spans(n, s) for n, s in zip(dims, sizes)]
    longest = int(np.prod([max((hi - lo for lo, hi in spans), default=1) for spans in per_axis]))
    rows = []
    for window in np.ndindex(*sizes):
        ranges = [np.arange(*per_axis[a][i]) for a, i in enumerate(window)]
        flat = np.ravel_multi_index(np.meshgrid(*ranges, indexing="ij"), dims).ravel()
        rows.append(np.concatenate([flat, np.full(longest - flat.size, flat[0])]))
    return np.asarray(rows, np.int64).reshape(tuple(sizes) + (longest,))


def max_with_indices(x, sizes: tuple, index_dtype: str):
    """(max, flat position of the first max) of each adaptive window over x's last len(sizes) axes."""
    ops = late.ops
    k = len(sizes)
    lead, dims = tuple(int(n) for n in x.shape[:-k]), tuple(int(n) for n in x.shape[-k:])
    planes = int(np.prod(lead))
    positions = _window_positions(dims, sizes)
    idx = np.ascontiguousarray(np.broadcast_to(positions, (1, planes) + positions.shape))
    y, where = window_max(ops.reshape(x, (1, planes) + dims), idx, True, True)
    return ops.reshape(y, lead + tuple(sizes)), ops.cast(ops.reshape(where, lead + tuple(sizes)), index_dtype)


def _check_rank(x, ranks: tuple, prim: str) -> None:
    if len(x.shape) not in ranks:
        raise ValueError(f"For primitive[{prim}], the rank of x must be in [{ranks[0]},{ranks[-1]}], but got "
                         f"{len(x.shape)}.")


def _check_dtype(x, allowed: tuple, prim: str) -> None:
    if x._dtype not in allowed:
        names = ", ".join(f"Tensor[{t.capitalize().replace('Uint', 'UInt')}]" for t in allowed)
        raise input_dtype_error(prim, "x", allowed, tensor_type(x))


def adaptive_max_pool2d_indices(input, sizes: tuple):  # noqa: A002 - MindSpore's names
    """ops.adaptive_max_pool2d(..., return_indices=True): (values, int64 positions in H x W); MindSpore 2.10's CPU
    kernel takes float16 / 32 / 64 only."""
    _check_rank(input, (3, 4), "AdaptiveMaxPool2D")
    if input._dtype not in ("float16", "float32", "float64"):
        raise TypeError("Select CPU operator[AdaptiveMaxPool2D] fail! Unsupported data type!")
    return max_with_indices(input, sizes, "int64")


def adaptive_max_pool2d(input, output_size, return_indices=False):  # noqa: A002 - MindSpore's names
    """The max of each adaptive window of (C, H, W) or (N, C, H, W); output_size an int or a pair (None or -1
    keeps the input's size); return_indices: also each max's int64 position in H x W."""
    out_h, out_w = _sizes(input, output_size, "adaptive_max_pool2d")
    sizes = tuple(int(n) if s == -1 else s for n, s in zip(input.shape[-2:], (out_h, out_w)))
    if return_indices:
        return adaptive_max_pool2d_indices(input, sizes)
    pool = _flat3(adaptive_max_pool1d)
    return _along_h(pool, pool(input, sizes[1]), sizes[0])


class AdaptiveMaxPool2D:
    """ops.AdaptiveMaxPool2D(output_size)(x) -> (values, int64 indices); output_size a tuple or list of two ints,
    -1 keeping the input's size."""

    def __init__(self, output_size):
        if not isinstance(output_size, (tuple, list)):
            raise TypeError(f"For 'AdaptiveMaxPool2D', the type of 'output_size' should be one of '[list of int, "
                            f"tuple of int]', but got {type(output_size)}.")
        if len(output_size) != 2 or not all(isinstance(s, int) and (s > 0 or s == -1) for s in output_size):
            raise ValueError(f"For 'AdaptiveMaxPool2D', 'output_size' must be two ints > 0 or -1, got "
                             f"{output_size!r}.")
        self.output_size = tuple(output_size)

    def __call__(self, x):
        _check_rank(x, (3, 4), "AdaptiveMaxPool2D")
        sizes = tuple(int(n) if s == -1 else s for n, s in zip(x.shape[-2:], self.output_size))
        return adaptive_max_pool2d_indices(x, sizes)


def adaptive_max_pool3d_pair(input, sizes: tuple):  # noqa: A002 - MindSpore's names
    """(values, int32 positions in D x H x W) of ops.adaptive_max_pool3d / AdaptiveMaxPool3D (MindSpore 2.10:
    int32 indices)."""
    _check_rank(input, (4, 5), "AdaptiveMaxPool3D")
    _check_dtype(input, _MAX3D_TYPES, "AdaptiveMaxPool3D")
    if 0 in tuple(input.shape):  # (MindSpore 2.10: RuntimeError, its kernel's resize fails)
        raise RuntimeError(f"For 'adaptive_max_pool3d', the input has an empty axis: shape {tuple(input.shape)}.")
    return max_with_indices(input, sizes, "int32")


def adaptive_max_pool3d(input, output_size, return_indices=False):  # noqa: A002 - MindSpore's names
    """The max of each adaptive window over the last three axes of (C, D, H, W) or (N, C, D, H, W); output_size
    an int or a triple (None keeps the input's size); indices: int32 (MindSpore 2.10's), flat in D x H x W."""
    if len(input.shape) not in (4, 5):
        raise ValueError(f"For 'adaptive_max_pool3d', the input must be 4-D or 5-D, got {tuple(input.shape)}.")
    sizes = (output_size,) * 3 if isinstance(output_size, int) else tuple(output_size)
    sizes = tuple(int(n) if s is None else int(s) for n, s in zip(input.shape[-3:], sizes))
    values, where = adaptive_max_pool3d_pair(input, sizes)
    return (values, where) if return_indices else values


class AdaptiveMaxPool3D:
    """ops.AdaptiveMaxPool3D()(x, output_size) -> (values, int32 indices); output_size an int32 Tensor of three."""

    def __call__(self, x, output_size):
        if not isinstance(output_size, Tensor):
            raise TypeError(f"For Primitive[AdaptiveMaxPool3D], the type of input argument[output_size] must be "
                            f"Tensor but got {type(output_size).__name__}.")
        if output_size._dtype != "int32":
            raise input_dtype_error("AdaptiveMaxPool3D", "output_size", ("int32",), tensor_type(output_size))
        sizes = [int(v) for v in output_size.asnumpy().ravel()]
        if len(sizes) != 3:
            raise ValueError(f"For primitive[AdaptiveMaxPool3D], the size of output_size must be equal to 3, but "
                             f"got {len(sizes)}.")
        return adaptive_max_pool3d_pair(x, tuple(sizes))


def _avg3d_sizes(x, output_size) -> tuple:
    sizes = (output_size,) * 3 if isinstance(output_size, int) or output_size is None else tuple(output_size)
    if len(sizes) != 3:
        raise ValueError(f"For 'AdaptiveAvgPool3D', 'output_size' must be an int or a triple, got {output_size!r}.")
    for i, s in enumerate(sizes):
        if s is not None and s < 0:
            raise ValueError(f"For 'AdaptiveAvgPool3D', the argument 'output_size[{i}]' must >= 0, but got {s}.")
    return tuple(int(n) if s is None else int(s) for n, s in zip(x.shape[-3:], sizes))


def adaptive_avg_pool3d(input, output_size):  # noqa: A002 - MindSpore's names
    """The mean of each adaptive window of a (N, C, D, H, W) or (C, D, H, W) input: a mean over a box is the mean
    along each axis in turn. Integer inputs: the mean truncated toward zero (MindSpore 2.10 CPU: 5 / 2 -> 2,
    -3 / 2 -> -1)."""
    ops = late.ops
    if len(input.shape) not in (4, 5):
        raise ValueError(f"For primitive[AdaptiveAvgPool3D], the the rank of x must be in [4,5], but got "
                         f"{len(input.shape)}.")
    _check_dtype(input, _AVG3D_TYPES, "AdaptiveAvgPool3D")
    sizes, dtype = _avg3d_sizes(input, output_size), input._dtype
    x = input if dtype.startswith("float") else ops.cast(input, "float64")
    pool = _flat3(lambda v, n: mean_windows(v, n, "adaptive_avg_pool3d"))
    for axis, out in zip((-3, -2, -1), sizes):
        x = ops.swapaxes(pool(ops.swapaxes(x, axis, -1), out), axis, -1)
    return x if dtype.startswith("float") else ops.cast(ops.trunc(x), dtype)


class AdaptiveAvgPool3D:
    """ops.AdaptiveAvgPool3D(output_size)(x): adaptive_avg_pool3d."""

    def __init__(self, output_size):
        self.output_size = output_size

    def __call__(self, x):
        return adaptive_avg_pool3d(x, self.output_size)

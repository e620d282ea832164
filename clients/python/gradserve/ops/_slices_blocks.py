"""ops.slice_scatter / select_scatter (src written onto a strided slice / one index of an axis), ops.unfold
(sliding blocks as columns, im2col) and ops.fliplr / flipud (MindSpore 2.10's functions and Tensor methods).
All are moves of elements (scatter by positions, the engine's im2col, flip): gradients route to the elements
moved."""
from __future__ import annotations

import numpy as np

from .._late import late
from .._tensor import Tensor
from .._trace import apply

__all__ = ["slice_scatter", "select_scatter", "unfold", "fliplr", "flipud"]


def _positions(shape: tuple, axis: int, picked: np.ndarray) -> np.ndarray:
    """The [..., rank] index (scatter_nd form) of input[..., picked, ...] along axis, in that slice's layout."""
    grids = np.meshgrid(*[picked if d == axis else np.arange(n) for d, n in enumerate(shape)], indexing="ij")
    return np.stack(grids, -1).astype(np.int64)


def _scatter_onto(name: str, input, src, axis: int, picked: np.ndarray, want: tuple):  # noqa: A002
    if tuple(src.shape) != want:
        raise ValueError(f"For '{name}', 'src' must have shape {list(want)}, got {list(src.shape)}")
    pos = _positions(tuple(input.shape), axis, picked)
    return late.ops.tensor_scatter_update(input, Tensor(pos), late.ops.cast(src, input.dtype))


def _axis(name: str, input, axis) -> int:  # noqa: A002
    for arg, t in (("input", input),):
        if not isinstance(t, Tensor):
            raise TypeError(f"For '{name}', '{arg}' must be a Tensor, got {type(t).__name__}")
    if isinstance(axis, bool) or not isinstance(axis, (int, np.integer)):
        raise TypeError(f"For '{name}', 'axis' must be an int, got {type(axis).__name__}")
    n = input.ndim
    if not -n <= axis < n:
        raise ValueError(f"For '{name}', 'axis' must be in [{-n}, {n}), got {axis}")
    return int(axis) % n


def slice_scatter(input, src, axis=0, start=None, end=None, step=1):  # noqa: A002
    """input with input[..., start:end:step, ...] (along axis) replaced by src."""
    ax = _axis("slice_scatter", input, axis)
    if not isinstance(src, Tensor):
        raise TypeError(f"For 'slice_scatter', 'src' must be a Tensor, got {type(src).__name__}")
    picked = np.arange(input.shape[ax])[slice(start, end, step)]
    want = tuple(len(picked) if d == ax else n for d, n in enumerate(input.shape))
    return _scatter_onto("slice_scatter", input, src, ax, picked, want)


def select_scatter(input, src, axis, index):  # noqa: A002
    """input with input.select(axis, index) replaced by src (input's shape without axis)."""
    ax = _axis("select_scatter", input, axis)
    if not isinstance(src, Tensor):
        raise TypeError(f"For 'select_scatter', 'src' must be a Tensor, got {type(src).__name__}")
    n = input.shape[ax]
    if isinstance(index, bool) or not isinstance(index, (int, np.integer)) or not -n <= index < n:
        raise ValueError(f"For 'select_scatter', 'index' must be an int in [{-n}, {n}), got {index!r}")
    want = tuple(d for k, d in enumerate(input.shape) if k != ax)
    if tuple(src.shape) != want:
        raise ValueError(f"For 'select_scatter', 'src' must have shape {list(want)}, got {list(src.shape)}")
    return _scatter_onto("select_scatter", input, late.ops.expand_dims(src, ax), ax,
                         np.array([int(index) % n]), want[:ax] + (1,) + want[ax:])


def _pair(name: str, arg: str, v, least: int) -> tuple:
    if isinstance(v, (int, np.integer)) and not isinstance(v, bool):
        v = (int(v),) * 2
    if not isinstance(v, (tuple, list)) or any(isinstance(i, bool) or not isinstance(i, (int, np.integer)) for i in v):
        raise TypeError(f"For '{name}', '{arg}' must be an int or a tuple / list of ints, got {v!r}")
    v = tuple(int(i) for i in v)
    if len(v) == 1:
        v = v * 2
    if len(v) != 2 or any(i < least for i in v):
        raise ValueError(f"For '{name}', '{arg}' must be one or two ints >= {least}, got {v}")
    return v


def unfold(input, kernel_size, dilation=1, padding=0, stride=1):  # noqa: A002
    """[N, C, H, W] -> [N, C * kh * kw, L]: every kernel_size block (dilated, strided, over the zero-padded
    input) a column, channels outer and the block's positions row-major inner (im2col)."""
    if not isinstance(input, Tensor) or input.ndim != 4:
        raise ValueError(f"For 'unfold', 'input' must be a 4-D Tensor, got "
                         f"{getattr(input, 'shape', type(input).__name__)}")
    k = _pair("unfold", "kernel_size", kernel_size, 1)
    d = _pair("unfold", "dilation", dilation, 1)
    p = _pair("unfold", "padding", padding, 0)
    s = _pair("unfold", "stride", stride, 1)
    cols = apply("im2col", [input], {"window": k, "strides": s, "padding": [[p[0], p[0]], [p[1], p[1]]],
                                     "dilation": d})[0]  # [N, C, kh * kw, oh, ow]
    n, c, kk, oh, ow = cols.shape
    return late.ops.reshape(cols, (n, c * kk, oh * ow))


def fliplr(input):  # noqa: A002
    """input flipped along axis 1 (left / right)."""
    if not isinstance(input, Tensor) or input.ndim < 2:
        raise ValueError("For 'fliplr', 'input' must be a Tensor of at least 2 dimensions")
    return late.ops.flip(input, (1,))


def flipud(input):  # noqa: A002
    """input flipped along axis 0 (up / down)."""
    if not isinstance(input, Tensor) or input.ndim < 1:
        raise ValueError("For 'flipud', 'input' must be a Tensor of at least 1 dimension")
    return late.ops.flip(input, (0,))

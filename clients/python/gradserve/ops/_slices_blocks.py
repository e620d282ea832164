"""ops.slice_scatter / select_scatter (src written onto a strided slice / one index of an axis), ops.unfold
(sliding blocks as columns, im2col; P.Im2Col its [N, C, kh * kw, L] form) and ops.fold (its adjoint: columns
summed back, col2im), ops.ExtractVolumePatches (its 3-D form) and ops.fliplr / flipud (MindSpore 2.10's functions
and Tensor methods).
All are moves of elements (scatter by positions, the engine's im2col, flip): gradients route to the elements
moved."""
from __future__ import annotations

import numpy as np

from .._late import late
from .._tensor import Tensor
from .._trace import apply

__all__ = ["slice_scatter", "select_scatter", "unfold", "fold", "Im2Col", "ExtractVolumePatches", "fliplr", "flipud"]


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


class Im2Col:
    """P.Im2Col(ksizes, strides=1, dilations=1, pads=0)(x [N, C, H, W]) -> [N, C, kh * kw, L]: unfold's columns
    with the channels an axis of their own (MindSpore 2.10; pads one or two ints, as unfold's padding)."""

    def __init__(self, ksizes, strides=1, dilations=1, pads=0):
        if isinstance(pads, (tuple, list)) and len(pads) not in (1, 2):  # (MindSpore 2.10's text)
            raise ValueError(f"For 'Im2Col', the pads size should be in : [1, 2], but got {len(pads)}.")
        self.ksizes, self.strides, self.dilations, self.pads = ksizes, strides, dilations, pads

    def __call__(self, x):
        if not isinstance(x, Tensor) or x.ndim != 4:
            raise ValueError(f"For primitive[Im2Col], the dimension of input x must be equal to 4, but got "
                             f"{getattr(x, 'ndim', type(x).__name__)}.")
        cols = unfold(x, self.ksizes, self.dilations, self.pads, self.strides)
        return late.ops.reshape(cols, (int(x.shape[0]), int(x.shape[1]), -1, int(cols.shape[2])))


def fold(input, output_size, kernel_size, dilation=1, padding=0, stride=1):  # noqa: A002
    """[N, C * kh * kw, L] -> [N, C, *output_size]: each column's block (dilated, strided) added back at its place,
    the padding cut off (MindSpore 2.10's ops.fold: torch's fold; output_size a Tensor or 2 ints)."""
    if not isinstance(input, Tensor) or input.ndim != 3:
        raise ValueError(f"For 'fold', 'input' must be a 3-D Tensor [N, C * kh * kw, L], got "
                         f"{getattr(input, 'shape', type(input).__name__)}")
    k = _pair("fold", "kernel_size", kernel_size, 1)
    n, ck, blocks = (int(v) for v in input.shape)
    if ck % (k[0] * k[1]):
        raise ValueError(f"For 'fold', the input's dim 1 ({ck}) must be divisible by the kernel's size "
                         f"{k[0]} * {k[1]}")
    size = output_size.asnumpy().tolist() if isinstance(output_size, Tensor) else output_size
    cols = late.ops.reshape(input, (n, ck // (k[0] * k[1]), k[0] * k[1], blocks))
    return late.ops.col2im(cols, size, k, dilation, padding, stride)


def _volume_arg(arg: str, v) -> tuple:
    """kernel_size / strides of ExtractVolumePatches: an int, 3 ints, or 5 ints whose first two are 1."""
    name = "ExtractVolumePatches"
    if isinstance(v, int) and not isinstance(v, bool):
        v = (v,) * 3
    if (not isinstance(v, (tuple, list)) or len(v) not in (3, 5)
            or any(isinstance(i, bool) or not isinstance(i, int) or i < 1 for i in v)):
        raise ValueError(f"For '{name}', the parameter '{arg}' must be an positive integer or a tuple of three or "
                         f"five positive integer, but got {tuple(v) if isinstance(v, list) else v}")
    if len(v) == 5:
        for i in (0, 1):
            if v[i] != 1:
                raise ValueError(f"For '{name}', the '{arg}[{i}]' must be int and must = 1, but got '{v[i]}' with "
                                 "type 'int'.")
        v = v[2:]
    return tuple(v)


class ExtractVolumePatches:
    """P.ExtractVolumePatches(kernel_size, strides, padding)(x [N, C, D, H, W]) -> [N, C * kd * kh * kw, od, oh,
    ow]: every window a column, the window's positions (d, h, w row-major) outer and the channels inner, as
    MindSpore 2.10 lays them out; 'SAME' pads with zeros, the odd one after (TensorFlow's rule)."""

    def __init__(self, kernel_size, strides, padding="VALID"):
        self.kernel_size = _volume_arg("kernel_size", kernel_size)
        self.strides = _volume_arg("strides", strides)
        pad = padding.upper() if isinstance(padding, str) else padding
        if pad not in ("VALID", "SAME"):
            raise ValueError("For 'ExtractVolumePatches', the 'padding' must be str and must be in "
                             f"'['VALID', 'SAME']', but got '{padding}'.")
        self.padding = pad

    def __call__(self, x):
        if not isinstance(x, Tensor) or x.ndim != 5:
            raise ValueError("For 'ExtractVolumePatches', the input must be a 5-D Tensor [N, C, D, H, W], got "
                             f"{getattr(x, 'shape', type(x).__name__)}")
        pads = []
        for axis, (n, k, s) in enumerate(zip(x.shape[2:], self.kernel_size, self.strides)):
            if self.padding == "VALID":
                if n < k:
                    raise ValueError(f"For primitive[ExtractVolumePatches], the padding = VALID, input[{axis + 2}] - "
                                     f"kernel_size[{axis + 2}] must be greater than or equal to 0, but got {n - k}.")
                pads.append([0, 0])
            else:
                total = max((-(-n // s) - 1) * s + k - n, 0)
                pads.append([total // 2, total - total // 2])
        cols = apply("im2col", [x], {"window": list(self.kernel_size), "strides": list(self.strides),
                                     "padding": pads, "dilation": [1, 1, 1]})[0]  # [N, C, kd * kh * kw, od, oh, ow]
        n, c, kk = cols.shape[:3]
        o = late.ops
        return o.reshape(o.transpose(cols, (0, 2, 1, 3, 4, 5)), (n, kk * c) + tuple(cols.shape[3:]))


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

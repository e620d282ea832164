"""MindSpore 2.10 ops composed from engine ops (forms checked against MindSpore 2.10 on CPU for this task):
matrix_band_part, Padding, Slice / slice, StridedSlice / strided_slice, Meshgrid, L2Loss, Cdist, Softsign / softsign, PReLU / prelu,
Trunc / trunc, Rint / rint, deepcopy. Selections are made with `select`, never by multiplying with a mask, so
infinities and NaNs outside the kept elements do not leak into the result or its gradient."""
from __future__ import annotations

import builtins

import numpy as np

from .._tensor import Tensor
from ._extra import P, cdist
from ._half_precision import in_float32

__all__ = ["matrix_band_part", "Padding", "Slice", "slice", "Meshgrid", "L2Loss", "Cdist", "Softsign",
           "softsign", "PReLU", "prelu", "Trunc", "trunc", "Rint", "rint", "StridedSlice", "strided_slice",
           "meshgrid", "BCEWithLogitsLoss", "binary_cross_entropy_with_logits", "Inv", "inv", "deepcopy"]


def _int(v, what: str) -> int:
    if isinstance(v, Tensor):
        a = v._value()
        if a is None:
            raise TypeError(f"{what} must be a constant here (a traced Tensor was given)")
        v = a
    return int(v)


def _band_limit(v, d: Tensor):
    """(v < 0) | (d <= v): the band's side v (a number or a traced scalar) over the offsets d."""
    if isinstance(v, Tensor) and v._data is None:
        v = P.cast(v, d._dtype)
        return P.logical_or(P.less(v, P.zeros_like(v)), P.less_equal(d, v))
    v = _int(v, "matrix_band_part: lower / upper")
    return Tensor(np.full(tuple(d.shape), True)) if v < 0 else Tensor(d._data <= v)


def matrix_band_part(x, lower, upper):
    """x with the elements outside the band (lower sub-, upper super-diagonals; negative: all) set to 0."""
    if len(x.shape) < 2:
        raise ValueError(f"matrix_band_part: x must have rank >= 2, got shape {tuple(x.shape)}")
    m, n = x.shape[-2:]
    below = np.arange(m)[:, None] - np.arange(n)[None, :]   # i - j
    keep = P.logical_and(_band_limit(lower, Tensor(below)), _band_limit(upper, Tensor(-below)))
    return P.select(P.broadcast_to(keep, tuple(x.shape)), x, P.zeros_like(x))


class Padding:
    """ops.Padding(pad_dim_size=8)(x): x's last axis (of size 1) extended with zeros to pad_dim_size."""

    def __init__(self, pad_dim_size: int = 8):
        if int(pad_dim_size) < 1:
            raise ValueError(f"Padding: pad_dim_size must be >= 1, got {pad_dim_size}")
        self.pad_dim_size = int(pad_dim_size)

    def __call__(self, x):
        if not x.shape or x.shape[-1] != 1:
            raise ValueError(f"Padding: the last axis of x must have size 1, got shape {tuple(x.shape)}")
        pads = [[0, 0]] * (len(x.shape) - 1) + [[0, self.pad_dim_size - 1]]
        return P.pad(x, pads=pads, mode="constant", value=0.0)


def slice(input_x, begin, size):  # noqa: A001 - MindSpore's name
    """ops.slice(input_x, begin, size): size[i] elements from begin[i] along each axis (-1: to the end)."""
    begin, size = [_int(b, "slice: begin") for b in begin], [_int(s, "slice: size") for s in size]
    if len(begin) != len(x_shape := tuple(input_x.shape)) or len(size) != len(x_shape):
        raise ValueError(f"slice: begin {begin} and size {size} need one entry per axis of shape {x_shape}")
    index = []
    for ax, (b, s, d) in enumerate(zip(begin, size, x_shape)):
        end = d if s == -1 else b + s
        if not 0 <= b <= end <= d:
            raise ValueError(f"slice: axis {ax}: begin {b} size {s} out of range for size {d}")
        index.append(builtins.slice(b, end))
    return input_x[tuple(index)]


class Slice:
    """ops.Slice()(input_x, begin, size)."""

    def __call__(self, input, begin, size):  # noqa: A002
        return slice(input, begin, size)


class Meshgrid:
    """ops.Meshgrid(indexing='xy')(inputs): coordinate grids of the 1-D tensors in `inputs`."""

    def __init__(self, indexing: str = "xy"):
        if indexing not in ("xy", "ij"):
            raise ValueError(f"Meshgrid: indexing must be 'xy' or 'ij', got {indexing!r}")
        self.indexing = indexing

    def __call__(self, inputs):
        xs = list(inputs)
        if len(xs) < 2 or any(len(x.shape) != 1 for x in xs):
            raise ValueError("Meshgrid: inputs must be at least two 1-D tensors")
        shape = [int(x.shape[0]) for x in xs]
        if self.indexing == "xy":
            shape[0], shape[1] = shape[1], shape[0]
        out = []
        for k, x in enumerate(xs):
            ax = {0: 1, 1: 0}.get(k, k) if self.indexing == "xy" else k
            view = [1] * len(xs)
            view[ax] = shape[ax]
            out.append(P.broadcast_to(P.reshape(x, tuple(view)), tuple(shape)))
        return tuple(out)


def meshgrid(*inputs, indexing: str = "xy"):
    """ops.meshgrid(*inputs, indexing='xy')."""
    return Meshgrid(indexing)(inputs)


class L2Loss:
    """ops.L2Loss()(x): sum(x ** 2) / 2."""

    def __call__(self, x):
        return P.div(P.sum(P.square(x)), 2.0)


class Cdist:
    """ops.Cdist(p=2.0)(x1, x2): ops.cdist's pairwise p-norm distances."""

    def __init__(self, p: float = 2.0):
        self.p = float(p)

    def __call__(self, x1, x2):
        return cdist(x1, x2, self.p)


@in_float32  # float16 rounded once, as MindSpore 2.10 (1168 of 8192 values were an ulp off)
def softsign(x):
    """x / (1 + |x|)."""
    return P.div(x, P.add(P.abs(x), 1.0))


class Softsign:
    def __call__(self, x):
        return softsign(x)


def prelu(input, weight):
    """input where input > 0, weight * input elsewhere; weight holds one slope per channel (axis 1) or one for all."""
    w = weight
    if tuple(w.shape) == (1,):  # one slope: a scalar, so a 0-d input stays 0-d
        w = P.reshape(w, ())
    elif len(input.shape) >= 2 and len(w.shape) == 1:
        w = P.reshape(w, (w.shape[0],) + (1,) * (len(input.shape) - 2))
    return P.select(P.greater(input, P.zeros_like(input)), input, P.mul(w, input))


class PReLU:
    def __call__(self, input, weight):  # noqa: A002 - MindSpore's names
        return prelu(input, weight)


def is_integer_tensor(x) -> bool:
    """An int / uint tensor: rounding it is itself (MindSpore 2.10's trunc / round of int32 give it back)."""
    return isinstance(x, Tensor) and x.dtype.name.startswith(("int", "uint"))


def trunc(input):  # noqa: A002
    """Rounds toward zero (derivative zero, as floor's and ceil's); an integer or bool tensor as it is (MindSpore
    2.10: trunc of bools is a bool copy)."""
    if is_integer_tensor(input) or (isinstance(input, Tensor) and input.dtype.name == "bool"):
        return input
    return P.select(P.less(input, P.zeros_like(input)), P.ceil(input), P.floor(input))


class Trunc:
    def __call__(self, input):  # noqa: A002 - MindSpore's names
        return trunc(input)


def rint(input):  # noqa: A002
    """Rounds half to even (the engine's round)."""
    return P.round(input)


class Rint:
    def __call__(self, input_x):
        return rint(input_x)


def _ints(v, what: str) -> list[int]:
    if isinstance(v, Tensor):
        a = v._value()
        if a is None:
            raise TypeError(f"{what} must be a constant (a traced Tensor was given)")
        v = a.reshape(-1).tolist()
    return [int(e) for e in v]


def strided_slice(input_x, begin, end, strides, begin_mask=0, end_mask=0, ellipsis_mask=0, new_axis_mask=0,
                  shrink_axis_mask=0):
    """x[begin:end:strides] per entry, MindSpore's (TensorFlow's) bit masks choosing per entry: begin_mask
    / end_mask ignore begin / end, ellipsis_mask an `...`, new_axis_mask a new axis, shrink_axis_mask the
    single index begin (that axis dropped)."""
    begin, end = _ints(begin, "strided_slice: begin"), _ints(end, "strided_slice: end")
    strides = _ints(strides, "strided_slice: strides")
    if not len(begin) == len(end) == len(strides):
        raise ValueError(f"strided_slice: begin {begin}, end {end} and strides {strides} differ in length")
    if any(st == 0 for st in strides):
        raise ValueError(f"strided_slice: strides must not be 0, got {strides}")
    index = []
    for i, (b, e, st) in enumerate(zip(begin, end, strides)):
        if ellipsis_mask >> i & 1:
            index.append(Ellipsis)
        elif new_axis_mask >> i & 1:
            index.append(None)
        elif shrink_axis_mask >> i & 1:
            index.append(b)
        else:
            index.append(builtins.slice(None if begin_mask >> i & 1 else b, None if end_mask >> i & 1 else e, st))
    return input_x[tuple(index)]


class StridedSlice:
    """ops.StridedSlice(begin_mask=0, end_mask=0, ellipsis_mask=0, new_axis_mask=0, shrink_axis_mask=0)(x,
    begin, end, strides)."""

    def __init__(self, begin_mask=0, end_mask=0, ellipsis_mask=0, new_axis_mask=0, shrink_axis_mask=0):
        self.masks = (int(begin_mask), int(end_mask), int(ellipsis_mask), int(new_axis_mask), int(shrink_axis_mask))

    def __call__(self, input_x, begin, end, strides):
        return strided_slice(input_x, begin, end, strides, *self.masks)


def binary_cross_entropy_with_logits(input, target, weight=None, pos_weight=None, reduction="mean"):  # noqa: A002
    """weight * -(pos_weight * y * log sigmoid(x) + (1 - y) * log(1 - sigmoid(x))), in the stable form
    (1 - y) x + (1 + (pos_weight - 1) y) softplus(-x); reduced by 'none' / 'mean' / 'sum'. (softplus is the engine's
    logaddexp(-x, 0), derivative sigmoid: log1p(exp(-|x|)) + max(-x, 0) has the same values, but its pieces' kinks
    at x = 0 made the second derivative there 0 instead of 1/4.)"""
    if reduction not in ("none", "mean", "sum"):
        raise ValueError(f"binary_cross_entropy_with_logits: reduction must be 'none', 'mean' or 'sum', got {reduction!r}")
    x, y = input, target
    soft = P.softplus(P.neg(x))
    scale = soft if pos_weight is None else P.mul(P.add(P.mul(P.sub(pos_weight, 1.0), y), 1.0), soft)
    loss = P.add(P.mul(P.sub(1.0, y), x), scale)
    if weight is not None:
        loss = P.mul(loss, weight)
    return loss if reduction == "none" else P.sum(loss) if reduction == "sum" else P.mean(loss)


class BCEWithLogitsLoss:
    """ops.BCEWithLogitsLoss(reduction='mean')(input, target, weight=None, posWeight=None) (MindSpore's names)."""

    def __init__(self, reduction: str = "mean"):
        self.reduction = reduction

    def __call__(self, input, target, weight=None, posWeight=None):  # noqa: A002, N803 - MindSpore's names
        return binary_cross_entropy_with_logits(input, target, weight, posWeight, self.reduction)


def inv(x):
    """1 / x; of an integer tensor the integer reciprocal, rounded toward zero (MindSpore's Inv, NumPy's
    reciprocal): 1 and -1 keep their value, every other integer gives 0."""
    if x._dtype in ("int32", "int64"):
        return P.cast(trunc(P.div(1.0, P.cast(x, "float64"))), x._dtype)
    return P.reciprocal(x)


class Inv:
    def __call__(self, x):
        return inv(x)


def deepcopy(input_x):
    """ops.deepcopy(x): a copy of x (MindSpore's Identity; gradient 1)."""
    return P.identity(input_x)

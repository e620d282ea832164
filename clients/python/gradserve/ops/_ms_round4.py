"""MindSpore 2.10 ops composed from engine ops (forms and values checked against MindSpore 2.10 on CPU for
this task): Invert / invert / bitwise_not, IndexAdd / index_add, Conv3D / conv3d, MaxPool3D / max_pool3d,
AvgPool3D / avg_pool3d, avg_pool1d, Renorm / renorm, Lerp, FastGeLU / fast_gelu, LpNorm, smooth_l1_loss, Dense
(`operations.nn_ops`), Unique / unique (eager only: its output shape depends on the values, and MindSpore
has no gradient for its indices)."""
from __future__ import annotations

from typing import Any

import numpy as np

from .._tensor import Parameter, Tensor
from .._trace import apply
from ._assign import assign
from ._conv import window_padding
from ._extra import P
from ._math_more import full_like, lerp

__all__ = ["Invert", "invert", "bitwise_not", "IndexAdd", "index_add", "Conv3D", "conv3d", "MaxPool3D",
           "max_pool3d", "AvgPool3D", "avg_pool3d", "avg_pool1d", "Renorm", "renorm", "Lerp", "FastGeLU", "fast_gelu",
           "LpNorm", "smooth_l1_loss", "Dense", "Unique", "unique"]

_UINT_MAX = {"uint8": 255, "uint16": 65535, "uint32": 2 ** 32 - 1}


def invert(x):
    """~x of an integer tensor: -x - 1 (signed), max - x (unsigned); MindSpore refuses bool and floats."""
    dt = x._dtype
    if dt in _UINT_MAX:
        return P.sub(full_like(x, _UINT_MAX[dt]), x)
    if not dt.startswith("int"):
        raise TypeError(f"invert: x must be an integer tensor, got {dt}")
    return P.sub(P.neg(x), P.ones_like(x))


bitwise_not = invert  # mint.bitwise_not / Tensor.bitwise_not (integers)


class Invert:
    def __call__(self, x):
        return invert(x)


def index_add(x, indices, y, axis: int, use_lock: bool = True, check_index_bound: bool = True):
    """x with the slices of y added at `indices` along `axis` (repeated indices accumulate); d/dx the
    cotangent, d/dy its slices at `indices`."""
    ax = int(axis) % max(len(x.shape), 1)
    if len(indices.shape) != 1:
        raise ValueError(f"index_add: indices must be 1-D, got shape {tuple(indices.shape)}")
    want = tuple(x.shape[:ax]) + (indices.shape[0],) + tuple(x.shape[ax + 1:])
    if tuple(y.shape) != want:
        raise ValueError(f"index_add: y has shape {tuple(y.shape)}, need {want} (x {tuple(x.shape)}, axis {axis}, "
                         f"{indices.shape[0]} indices)")
    added = apply("scatter_add", [y, indices], {"shape": list(x.shape), "axis": ax})[0]
    return P.add(x, added)


class IndexAdd:
    """ops.IndexAdd(axis, use_lock=True, check_index_bound=True)(input_x, indices, y): index_add, the
    result also stored in input_x when it is a Parameter (as MindSpore; under vmap it is a batched value)."""

    def __init__(self, axis: int, use_lock: bool = True, check_index_bound: bool = True):
        self.axis = int(axis)

    def __call__(self, input_x, indices, y):
        out = index_add(input_x, indices, y, self.axis)
        if isinstance(input_x, Parameter):
            assign(input_x, out)
        return out


def _triple(v, name: str) -> tuple[int, int, int]:
    if isinstance(v, int):
        return (v, v, v)
    v = tuple(int(e) for e in v)
    if len(v) == 5 and v[:2] == (1, 1):  # MindSpore also takes (1, 1, d, h, w)
        v = v[2:]
    if len(v) == 1:
        v = v * 3
    if len(v) != 3:
        raise ValueError(f"{name} must be an int or a triple (d, h, w), got {v}")
    return v


def _pads3(name, pad_mode, pad, spatial, window, strides, dilation) -> list[list[int]]:
    """MindSpore's 3-d pad: an int, or (head, tail, top, bottom, left, right) in mode 'pad'."""
    mode = str(pad_mode).lower()
    if mode == "same":
        return window_padding(name, "same", 0, spatial, window, strides, dilation)
    pad = (int(pad),) * 6 if isinstance(pad, int) else tuple(int(p) for p in pad)
    if len(pad) == 3:
        pad = (pad[0], pad[0], pad[1], pad[1], pad[2], pad[2])
    if len(pad) != 6 or any(p < 0 for p in pad):
        raise ValueError(f"{name}: pad must be a non-negative int, 3 or 6 ints, got {pad}")
    if mode == "valid":
        if any(pad):
            raise ValueError(f"{name}: pad {pad} needs pad_mode 'pad', got '{pad_mode}'")
        return [[0, 0]] * 3
    if mode != "pad":
        raise ValueError(f"{name}: pad_mode must be 'same', 'valid' or 'pad', got {pad_mode!r}")
    return [[pad[0], pad[1]], [pad[2], pad[3]], [pad[4], pad[5]]]


def _check_ncdhw(name: str, x, data_format: str = "NCDHW") -> None:
    if data_format != "NCDHW":
        raise ValueError(f"{name}: data_format {data_format!r} is not supported (NCDHW only)")
    if x is not None and len(x.shape) != 5:
        raise ValueError(f"{name}: x must be 5-d [N, C, D, H, W], got shape {tuple(x.shape)}")


def conv3d(input, weight, bias=None, stride: Any = 1, pad_mode="valid", padding: Any = 0,  # noqa: A002
           dilation: Any = 1, groups=1):
    """ops.conv3d: input [N, C, D, H, W] with weight [O, C / groups, kd, kh, kw], plus bias [O]."""
    if isinstance(padding, str):  # padding='same' / 'valid'
        pad_mode, padding = padding, 0
    _check_ncdhw("conv3d", input)
    strides, dil = _triple(stride, "conv3d: stride"), _triple(dilation, "conv3d: dilation")
    pads = _pads3("conv3d", pad_mode, padding, input.shape[2:], weight.shape[2:], strides, dil)
    y = apply("conv", [input, weight], {"strides": list(strides), "padding": pads, "dilation": list(dil),
                                        "groups": int(groups)})[0]
    return y if bias is None else y + bias.reshape((1, -1, 1, 1, 1))


class Conv3D:
    """ops.Conv3D(out_channel, kernel_size, mode=1, pad_mode='valid', pad=0, stride=1, dilation=1, group=1,
    data_format='NCDHW')(x, weight, bias=None)."""

    def __init__(self, out_channel, kernel_size, mode=1, pad_mode="valid", pad=0, stride=1, dilation=1, group=1,
                 data_format="NCDHW"):
        _check_ncdhw("Conv3D", None, data_format)
        self.out_channel, self.kernel_size = int(out_channel), _triple(kernel_size, "Conv3D: kernel_size")
        self.stride, self.dilation = _triple(stride, "Conv3D: stride"), _triple(dilation, "Conv3D: dilation")
        self.pad_mode, self.pad, self.group = pad_mode, pad, int(group)

    def __call__(self, x, weight, bias=None):
        return conv3d(x, weight, bias, self.stride, self.pad_mode, self.pad, self.dilation, self.group)


def _pool3d(name: str, op: str, x, window, strides, pads, extra: dict):
    _check_ncdhw(name, x)
    return apply(op, [x], {"window": list(window), "strides": list(strides), "padding": pads, **extra})[0]


def max_pool3d(x, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False):
    """ops.max_pool3d (explicit symmetric padding; indices are not returned)."""
    if ceil_mode or return_indices:
        raise ValueError("max_pool3d: ceil_mode and return_indices are not supported")
    window = _triple(kernel_size, "max_pool3d: kernel_size")
    strides = window if stride is None else _triple(stride, "max_pool3d: stride")
    pads = [[p, p] for p in _triple(padding, "max_pool3d: padding")]
    dil = list(_triple(dilation, "max_pool3d: dilation"))
    return _pool3d("max_pool3d", "max_pool", x, window, strides, pads, {"dilation": dil})


def avg_pool3d(input_x, kernel_size=1, stride=1, padding=0, ceil_mode=False, count_include_pad=True,
               divisor_override=0):
    """ops.avg_pool3d (explicit symmetric padding)."""
    if ceil_mode or divisor_override:
        raise ValueError("avg_pool3d: ceil_mode and divisor_override are not supported")
    window = _triple(kernel_size, "avg_pool3d: kernel_size")
    strides = window if stride is None else _triple(stride, "avg_pool3d: stride")
    pads = [[p, p] for p in _triple(padding, "avg_pool3d: padding")]
    return _pool3d("avg_pool3d", "avg_pool", input_x, window, strides, pads,
                   {"count_include_pad": bool(count_include_pad)})


def avg_pool1d(input_x, kernel_size=1, stride=1, padding=0, ceil_mode=False, count_include_pad=True):
    """ops.avg_pool1d over x [N, C, L]: padding an int (both ends)."""
    if ceil_mode:
        raise ValueError("avg_pool1d: ceil_mode is not supported")
    if len(input_x.shape) != 3:
        raise ValueError(f"avg_pool1d: input_x must be 3-d [N, C, L], got shape {tuple(input_x.shape)}")
    return apply("avg_pool", [input_x], {"window": [int(kernel_size)], "strides": [int(stride)],
                                         "padding": [[int(padding), int(padding)]],
                                         "count_include_pad": bool(count_include_pad)})[0]


class MaxPool3D:
    """ops.MaxPool3D(kernel_size=1, strides=1, pad_mode='VALID', pad_list=0, ceil_mode=None,
    data_format='NCDHW')(x)."""

    def __init__(self, kernel_size=1, strides=1, pad_mode="VALID", pad_list=0, ceil_mode=None, data_format="NCDHW"):
        _check_ncdhw("MaxPool3D", None, data_format)
        if ceil_mode:
            raise ValueError("MaxPool3D: ceil_mode is not supported")
        self.window = _triple(kernel_size, "MaxPool3D: kernel_size")
        self.strides = _triple(strides, "MaxPool3D: strides")
        self.pad_mode, self.pad_list = pad_mode, pad_list

    def __call__(self, x):
        pads = _pads3("MaxPool3D", self.pad_mode, self.pad_list, x.shape[2:], self.window, self.strides, (1, 1, 1))
        return _pool3d("MaxPool3D", "max_pool", x, self.window, self.strides, pads, {"dilation": [1, 1, 1]})


class AvgPool3D:
    """ops.AvgPool3D(kernel_size=1, strides=1, pad_mode='valid', pad=0, ceil_mode=False, count_include_pad=True,
    divisor_override=0, data_format='NCDHW')(x)."""

    def __init__(self, kernel_size=1, strides=1, pad_mode="valid", pad=0, ceil_mode=False, count_include_pad=True,
                 divisor_override=0, data_format="NCDHW"):
        _check_ncdhw("AvgPool3D", None, data_format)
        if ceil_mode or divisor_override:
            raise ValueError("AvgPool3D: ceil_mode and divisor_override are not supported")
        self.window = _triple(kernel_size, "AvgPool3D: kernel_size")
        self.strides = _triple(strides, "AvgPool3D: strides")
        self.pad_mode, self.pad, self.count_include_pad = pad_mode, pad, bool(count_include_pad)

    def __call__(self, x):
        pads = _pads3("AvgPool3D", self.pad_mode, self.pad, x.shape[2:], self.window, self.strides, (1, 1, 1))
        return _pool3d("AvgPool3D", "avg_pool", x, self.window, self.strides, pads,
                       {"count_include_pad": self.count_include_pad})


def _p_norm(x, p: float, axes, keepdims: bool):
    """(sum |x|^p over axes)^(1/p), with a zero gradient (not NaN) where the sum is 0; real for complex x."""
    mag = P.abs(x)
    mag = P.real(mag) if mag._dtype.startswith("complex") else mag  # the engine's abs keeps complex's dtype
    s = P.sum(P.pow(mag, float(p)), axes, keepdims)
    pos = P.greater(s, P.zeros_like(s))
    root = P.pow(P.select(pos, s, P.ones_like(s)), 1.0 / float(p))
    return P.select(pos, root, P.zeros_like(s))


def renorm(input, p, axis: int, maxnorm: float):  # noqa: A002
    """Each slice along `axis` whose p-norm exceeds maxnorm scaled to norm maxnorm (by maxnorm / (norm + 1e-7))."""
    if float(p) <= 0:
        raise ValueError(f"renorm: p must be > 0, got {p}")
    ax = int(axis) % len(input.shape)
    others = tuple(a for a in range(len(input.shape)) if a != ax)
    norm = _p_norm(input, p, others, True)
    scale = P.div(float(maxnorm), P.add(norm, 1e-7))
    over = P.greater(norm, full_like(norm, float(maxnorm)))
    factor = P.select(over, scale, P.ones_like(norm))
    return P.mul(input, factor if factor._dtype == input._dtype else P.cast(factor, input._dtype))


class Renorm:
    """ops.Renorm(p, dim, maxnorm)(input_x)."""

    def __init__(self, p: int, dim: int, maxnorm: float):
        self.p, self.dim, self.maxnorm = p, int(dim), float(maxnorm)

    def __call__(self, input_x):
        return renorm(input_x, self.p, self.dim, self.maxnorm)


class Lerp:
    """ops.Lerp()(start, end, weight)."""

    def __call__(self, start, end, weight):
        return lerp(start, end, weight)


def fast_gelu(x):
    """x / (1 + exp(-1.702 |x|)) * exp(0.851 (x - |x|)): MindSpore's FastGeLU, written so exp never overflows."""
    a = P.abs(x)
    return P.mul(P.div(x, P.add(P.exp(P.mul(a, -1.702)), 1.0)), P.exp(P.mul(P.sub(x, a), 0.851)))


class FastGeLU:
    def __call__(self, x):
        return fast_gelu(x)


class LpNorm:
    """ops.LpNorm(axis, p=2, keep_dims=False, epsilon=1e-12)(x): the p-norm over axis, at least epsilon
    (MindSpore's floor; the gradient is 0 there)."""

    def __init__(self, axis, p: int = 2, keep_dims: bool = False, epsilon: float = 1e-12):
        if float(p) <= 0:
            raise ValueError(f"LpNorm: p must be > 0 here, got {p}")
        self.axis = (int(axis),) if isinstance(axis, int) else tuple(int(a) for a in axis)
        self.p, self.keep_dims, self.epsilon = p, bool(keep_dims), float(epsilon)

    def __call__(self, input):  # noqa: A002
        n = _p_norm(input, self.p, self.axis, self.keep_dims)
        eps = full_like(n, self.epsilon)
        return P.select(P.less(n, eps), eps, n)


def smooth_l1_loss(input, target, beta: float = 1.0, reduction: str = "none"):  # noqa: A002
    """0.5 d^2 / beta where |d| < beta, |d| - 0.5 beta elsewhere (d = input - target); 'none' / 'mean' / 'sum'."""
    if reduction not in ("none", "mean", "sum"):
        raise ValueError(f"smooth_l1_loss: reduction must be 'none', 'mean' or 'sum', got {reduction!r}")
    if float(beta) <= 0:
        raise ValueError(f"smooth_l1_loss: beta must be > 0, got {beta}")
    d = P.sub(input, target)
    a = P.abs(d)
    loss = P.select(P.less(a, full_like(a, float(beta))), P.div(P.mul(P.square(d), 0.5), float(beta)),
                    P.sub(a, 0.5 * float(beta)))
    return loss if reduction == "none" else P.sum(loss) if reduction == "sum" else P.mean(loss)


class Dense:
    """ops.Dense()(x, w, b=None): x @ w^T + b; a 1-d w [in] gives sum(x * w) over the last axis."""

    def __call__(self, x, w, b=None):
        y = P.sum(P.mul(x, w), -1) if len(w.shape) == 1 else P.matmul(x, P.transpose(w, (1, 0)))
        return y if b is None else P.add(y, b)


def unique(input):  # noqa: A002
    """(y, idx): the distinct values in order of first appearance and, per element, its position in y.
    Eager only: y's length depends on the values, which a traced graph (grad, jit) does not have."""
    if input._data is None:
        raise TypeError("unique: its output shape depends on the values, so it runs eagerly only "
                        "(outside grad / jit / vmap); call it on concrete Tensors")
    flat = np.asarray(input._data).reshape(-1)
    _, first, inverse = np.unique(flat, return_index=True, return_inverse=True)
    order = np.argsort(first)
    rank = np.empty_like(order)
    rank[order] = np.arange(order.size)
    return Tensor(flat[np.sort(first)]), Tensor(rank[inverse.reshape(-1)].reshape(input.shape).astype(np.int32))


class Unique:
    def __call__(self, input_x):
        return unique(input_x)

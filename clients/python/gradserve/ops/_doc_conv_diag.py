"""MindSpore 2.10's transposed-convolution primitives Conv2DTranspose (Conv2DBackpropInput: the gradient of a
Conv2D in its input, to a given input size) and Conv3DTranspose, on the engine's conv_transpose (so both are
differentiable in dout and weight); and matrix_diag / MatrixDiagV3 (a band of diagonals written into
padding-filled matrices: matrix_set_diag's layout and gradient)."""
from __future__ import annotations

import math

import numpy as np

from .. import _trace
from .._late import late
from .._tensor import Parameter, Tensor
from .._trace import apply
from ._conv import Conv2D, _pair, _triple, explicit_padding
from ._diagonal_scatter import _ALIGNS, _band_k, matrix_set_diag
from ._prim_forms import _int

__all__ = ["Conv2DTranspose", "Conv2DBackpropInput", "Conv3DTranspose", "matrix_diag", "MatrixDiagV3"]


def _mode(pad_mode: str, where: str) -> str:
    mode = str(pad_mode).lower()
    if mode not in ("valid", "same", "pad"):
        raise ValueError(f"For '{where}', 'pad_mode' must be 'valid', 'same' or 'pad', but got {pad_mode!r}.")
    return mode


def _same_crop(size: int, k: int, s: int, d: int) -> list[int]:
    """Conv's 'same' padding of an input of this size (the low side half, rounded down), as the crop of its
    transpose."""
    dk = d * (k - 1) + 1
    total = max((math.ceil(size / s) - 1) * s + dk - size, 0)
    return [total // 2, total - total // 2]


class Conv2DTranspose:
    """ops.Conv2DTranspose(out_channel, kernel_size, pad_mode='valid', pad=0, pad_list=None, mode=1, stride=1,
    dilation=1, group=1, data_format='NCHW')(dout, weight, input_size): the input of size input_size whose
    Conv2D (weight [C_dout, C_in / group, kh, kw]) these settings make has gradient dout."""

    _n = 2

    def __init__(self, out_channel, kernel_size, pad_mode="valid", pad=0, pad_list=None, mode=1, stride=1,
                 dilation=1, group=1, data_format="NCHW"):
        name = type(self).__name__
        self.out_channel, self.group = int(out_channel), int(group)
        self.kernel_size = _pair(kernel_size, f"{name}: kernel_size")
        self.pad_mode = _mode(pad_mode, name)
        self.pad = pad_list if pad_list is not None and any(pad_list) else pad
        self.stride, self.dilation = _pair(stride, f"{name}: stride"), _pair(dilation, f"{name}: dilation")
        if data_format != "NCHW":
            raise ValueError(f"For '{name}', only data_format 'NCHW' is supported, got {data_format!r}")

    def __call__(self, dout, weight, input_size):
        name = type(self).__name__
        if _trace.grads_tracing[0] and any(isinstance(t, Parameter) or isinstance(t, Tensor) and t._data is None
                                           for t in (dout, weight)):
            # MindSpore 2.10's bprop is a Conv2D of these attributes: differentiated, its refusal of a weight whose
            # shape differs from out_channel / kernel_size (the forward runs on the weight's; checked in its venv)
            Conv2D(self.out_channel, self.kernel_size)._check_weight(weight)
        size = [int(v) for v in (input_size._host_copy().tolist() if isinstance(input_size, Tensor) else input_size)]
        if len(size) != 4 or len(dout.shape) != 4 or len(weight.shape) != 4:
            raise ValueError(f"For '{name}', dout, weight and input_size must be 4-D, got {list(dout.shape)}, "
                             f"{list(weight.shape)} and {size}")
        spatial, kernel = size[2:], [int(k) for k in weight.shape[2:]]
        if self.pad_mode == "pad":
            crop = explicit_padding(self.pad, 2, f"{name}: pad")
        elif self.pad_mode == "same":
            crop = [_same_crop(n, k, s, d) for n, k, s, d in zip(spatial, kernel, self.stride, self.dilation)]
        else:
            crop = [[0, 0], [0, 0]]
        reach = [(o - 1) * s + d * (k - 1) + 1 - lo - hi for o, k, s, d, (lo, hi)
                 in zip(dout.shape[2:], kernel, self.stride, self.dilation, crop)]
        extra = [n - r for n, r in zip(spatial, reach)]
        if any(e < 0 or e >= s for e, s in zip(extra, self.stride)):
            raise ValueError(f"For '{name}', input_size {size} does not fit dout {list(dout.shape)} with stride "
                             f"{list(self.stride)} and kernel {kernel}")
        return apply("conv_transpose", [dout, late.ops.cast(weight, dout._dtype)],
                     {"strides": list(self.stride), "padding": crop, "dilation": list(self.dilation),
                      "groups": self.group, "output_padding": extra})[0]


Conv2DBackpropInput = Conv2DTranspose


class Conv3DTranspose:
    """ops.Conv3DTranspose(in_channel, out_channel, kernel_size, mode=1, pad_mode='valid', pad=0, stride=1,
    dilation=1, group=1, output_padding=0, data_format='NCDHW')(dout, weight): weight [in_channel,
    out_channel / group, kd, kh, kw]; each output length (in - 1) * stride + dilation * (k - 1) + 1 + output_padding,
    less the pads ('pad') or cropped to in * stride ('same')."""

    def __init__(self, in_channel, out_channel, kernel_size, mode=1, pad_mode="valid", pad=0, stride=1,
                 dilation=1, group=1, output_padding=0, data_format="NCDHW"):
        name = "Conv3DTranspose"
        self.in_channel, self.out_channel, self.group = int(in_channel), int(out_channel), int(group)
        self.kernel_size = _triple(kernel_size, f"{name}: kernel_size")
        self.pad_mode = _mode(pad_mode, name)
        self.pad, self.stride = pad, list(_triple(stride, f"{name}: stride"))
        self.dilation = list(_triple(dilation, f"{name}: dilation"))
        self.output_padding = list(_triple(output_padding, f"{name}: output_padding"))
        if any(self.output_padding) and self.pad_mode != "pad":  # (MindSpore 2.10's refusal and text)
            raise ValueError(f"For '{name}', the 'output_padding' must be zero or (0, 0, 0) when 'pad_mode' is not "
                             f"\"pad\", but got 'output_padding' is {output_padding} and 'pad_mode' is {pad_mode}.")
        if data_format != "NCDHW":
            raise ValueError(f"For '{name}', only data_format 'NCDHW' is supported, got {data_format!r}")

    def __call__(self, dout, weight):
        name = "Conv3DTranspose"
        if len(dout.shape) != 5 or len(weight.shape) != 5:
            raise ValueError(f"For '{name}', dout and weight must be 5-D, got {list(dout.shape)} and "
                             f"{list(weight.shape)}")
        if int(weight.shape[0]) != int(dout.shape[1]):
            raise ValueError(f"For '{name}', weight's first dimension ({weight.shape[0]}) must be dout's channels "
                             f"({dout.shape[1]})")
        kernel = [int(k) for k in weight.shape[2:]]
        if self.pad_mode == "pad":
            crop = explicit_padding(self.pad, 3, f"{name}: pad")
        elif self.pad_mode == "same":  # in * stride: the full result cropped, the low side half rounded down
            cuts = [max(d * (k - 1) + 1 - s, 0) for k, s, d in zip(kernel, self.stride, self.dilation)]
            crop = [[c // 2, c - c // 2] for c in cuts]
        else:
            crop = [[0, 0]] * 3
        return apply("conv_transpose", [dout, late.ops.cast(weight, dout._dtype)],
                     {"strides": self.stride, "padding": crop, "dilation": self.dilation, "groups": self.group,
                      "output_padding": self.output_padding})[0]


def matrix_diag(x, k=0, num_rows=-1, num_cols=-1, padding_value=0, align="RIGHT_LEFT"):
    """Matrices whose diagonals k (an int or (low, high)) are x (one diagonal [..., max_len]; a band
    [..., high - low + 1, max_len], the highest first), the rest padding_value; num_rows / num_cols -1: the
    smallest that hold them (both -1: square). Differentiable in x."""
    where = "matrix_diag"
    if not isinstance(x, Tensor):
        raise TypeError(f"For '{where}', 'x' must be a Tensor, got {type(x).__name__}")
    if align not in _ALIGNS:
        raise ValueError(f"For '{where}', 'align' must be one of {list(_ALIGNS)}, got {align!r}")
    lo, hi = _band_k(k, where)
    band = lo != hi
    if x.ndim < 1 + band:
        raise ValueError(f"For '{where}', 'x' must have at least {1 + band} dimensions for k ({lo}, {hi}), got "
                         f"shape {list(x.shape)}")
    if band and int(x.shape[-2]) != hi - lo + 1:
        raise ValueError(f"For '{where}', x's second-to-last dimension must be the number of diagonals "
                         f"{hi - lo + 1}, got shape {list(x.shape)}")
    max_len = int(x.shape[-1])
    rows, cols = _int(where, num_rows), _int(where, num_cols)
    least_rows, least_cols = max_len - min(hi, 0), max_len + max(lo, 0)
    if rows == -1 and cols == -1:  # neither given: square (TensorFlow's and MindSpore's rule)
        rows = cols = max(least_rows, least_cols)
    rows, cols = (least_rows if rows == -1 else rows), (least_cols if cols == -1 else cols)
    if rows < least_rows or cols < least_cols or (rows != least_rows and cols != least_cols):
        raise ValueError(f"For '{where}', num_rows and num_cols ({rows}, {cols}) must hold diagonals of length "
                         f"{max_len} for k ({lo}, {hi}): at least ({least_rows}, {least_cols}), one of them equal")
    batch = tuple(int(v) for v in x.shape[:x.ndim - 1 - band])
    ops = late.ops
    pad = padding_value if isinstance(padding_value, Tensor) else Tensor(np.asarray(padding_value, x._dtype))
    if pad.size != 1:
        raise ValueError(f"For '{where}', 'padding_value' must hold one value, got shape {list(pad.shape)}")
    base = ops.broadcast_to(ops.reshape(ops.cast(pad, x._dtype), ()), batch + (rows, cols))
    return matrix_set_diag(base, x, (lo, hi), align)


class MatrixDiagV3:
    """ops.MatrixDiagV3(align='RIGHT_LEFT')(x, k, num_rows, num_cols, padding_value): matrix_diag."""

    def __init__(self, align="RIGHT_LEFT"):
        if align not in _ALIGNS:
            raise ValueError(f"For 'MatrixDiagV3', 'align' must be one of {list(_ALIGNS)}, got {align!r}")
        self.align = align

    def __call__(self, x, k, num_rows, num_cols, padding_value):
        return matrix_diag(x, k, num_rows, num_cols, padding_value, self.align)

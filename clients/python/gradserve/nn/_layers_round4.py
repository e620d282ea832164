"""nn.Conv3d, nn.MaxPool3d, nn.AvgPool3d, nn.Pad, nn.SmoothL1Loss, nn.LogSoftmax, nn.FastGelu, nn.WithGradCell:
MindSpore 2.10's cells over gradserve.ops (values checked against MindSpore 2.10 on CPU for this task)."""
from __future__ import annotations

import numpy as np

from .. import ops as _ops
from .._cellbase import Cell
from .._tensor import ParameterTuple, Tensor
from .._training import WithLossCell
from ..ops._conv import _triple, conv3d, pool_nd
from ..ops._ms_round4 import fast_gelu, smooth_l1_loss
from ._conv import Conv2d

__all__ = ["Conv3d", "MaxPool3d", "AvgPool3d", "Pad", "SmoothL1Loss", "LogSoftmax", "FastGelu", "WithGradCell"]


class Conv3d(Conv2d):
    """nn.Conv3d(in_channels, out_channels, kernel_size, stride=1, pad_mode='same', padding=0, dilation=1,
    group=1, has_bias=False, weight_init=None, bias_init=None, data_format='NCDHW', dtype=float32): Conv2d's
    parameters and initialisation over three spatial axes."""

    _format = "NCDHW"

    @staticmethod
    def _kernel(kernel_size, what: str) -> tuple:
        return _triple(kernel_size, what)

    def construct(self, x):
        return conv3d(x, self.weight, self.bias, self.stride, self.pad_mode, self.padding, self.dilation,
                      self.group)


class _Pool3d(Cell):
    _op = "max_pool"

    def __init__(self, kernel_size=1, stride=1, pad_mode="valid", padding=0, ceil_mode=False, extra=None):
        super().__init__()
        if ceil_mode:
            raise ValueError(f"nn.{type(self).__name__}: ceil_mode is not supported")
        self.window, self.strides = _triple(kernel_size, "kernel_size"), _triple(stride, "stride")
        self.pad_mode, self.padding, self.extra = pad_mode, padding, extra or {}

    def construct(self, x):
        return pool_nd(f"nn.{type(self).__name__}", self._op, x, 3, self.window, self.strides, self.pad_mode,
                       self.padding, self.extra)


class MaxPool3d(_Pool3d):
    """nn.MaxPool3d(kernel_size=1, stride=1, pad_mode='valid', padding=0, dilation=1, return_indices=False,
    ceil_mode=False)."""

    def __init__(self, kernel_size=1, stride=1, pad_mode="valid", padding=0, dilation=1, return_indices=False,
                 ceil_mode=False):
        if return_indices:
            raise ValueError("nn.MaxPool3d: return_indices is not supported")
        super().__init__(kernel_size, stride, pad_mode, padding, ceil_mode,
                         {"dilation": list(_triple(dilation, "nn.MaxPool3d: dilation"))})


class AvgPool3d(_Pool3d):
    """nn.AvgPool3d(kernel_size=1, stride=1, pad_mode='valid', padding=0, ceil_mode=False,
    count_include_pad=True, divisor_override=None)."""

    _op = "avg_pool"

    def __init__(self, kernel_size=1, stride=1, pad_mode="valid", padding=0, ceil_mode=False, count_include_pad=True,
                 divisor_override=None):
        if divisor_override:
            raise ValueError("nn.AvgPool3d: divisor_override is not supported")
        super().__init__(kernel_size, stride, pad_mode, padding, ceil_mode,
                         {"count_include_pad": bool(count_include_pad)})


def _mirror_index(n: int, lo: int, hi: int, symmetric: bool) -> np.ndarray:
    """Source positions of the padded axis: REFLECT mirrors about the edge element, SYMMETRIC repeats it."""
    j = np.arange(-lo, n + hi)
    if symmetric:
        return np.where(j < 0, -j - 1, np.where(j >= n, 2 * n - 1 - j, j)).astype(np.int32)
    return np.where(j < 0, -j, np.where(j >= n, 2 * (n - 1) - j, j)).astype(np.int32)


class Pad(Cell):
    """nn.Pad(paddings, mode='CONSTANT'): paddings ((lo, hi), ...) one pair per axis; 'CONSTANT' zeros,
    'REFLECT' (pads < the axis size) and 'SYMMETRIC' (pads <= it) mirror x, as gathers whose gradient
    adds the mirrored cotangents back."""

    def __init__(self, paddings, mode="CONSTANT"):
        super().__init__()
        self.mode = str(mode).upper()
        if self.mode not in ("CONSTANT", "REFLECT", "SYMMETRIC"):
            raise ValueError(f"nn.Pad: mode must be 'CONSTANT', 'REFLECT' or 'SYMMETRIC', got {mode!r}")
        self.paddings = [(int(lo), int(hi)) for lo, hi in paddings]
        if any(p < 0 for pair in self.paddings for p in pair):
            raise ValueError(f"nn.Pad: paddings must not be negative, got {paddings}")

    def construct(self, x):
        if len(self.paddings) != len(x.shape):
            raise ValueError(f"nn.Pad: {len(self.paddings)} (lo, hi) pairs for a tensor of rank {len(x.shape)}")
        if self.mode == "CONSTANT":
            return _ops.Pad(self.paddings)(x)
        symmetric = self.mode == "SYMMETRIC"
        for ax, (lo, hi) in enumerate(self.paddings):
            n = int(x.shape[ax])
            if max(lo, hi) > n - (0 if symmetric else 1):
                raise ValueError(f"nn.Pad: axis {ax} of size {n} cannot take pads ({lo}, {hi}) in mode {self.mode}")
            if lo or hi:
                x = _ops.gather(x, Tensor(_mirror_index(n, lo, hi, symmetric)), ax)
        return x


class SmoothL1Loss(Cell):
    """nn.SmoothL1Loss(beta=1.0, reduction='none')(logits, labels)."""

    def __init__(self, beta=1.0, reduction="none"):
        super().__init__()
        self.beta, self.reduction = float(beta), reduction

    def construct(self, logits, labels):
        return smooth_l1_loss(logits, labels, self.beta, self.reduction)


class LogSoftmax(Cell):
    """nn.LogSoftmax(axis=-1)."""

    def __init__(self, axis=-1):
        super().__init__()
        self.axis = int(axis)

    def construct(self, x):
        return _ops.log_softmax(x, self.axis)


class FastGelu(Cell):
    """nn.FastGelu(): ops.fast_gelu."""

    def construct(self, x):
        return fast_gelu(x)


class WithGradCell(Cell):
    """nn.WithGradCell(network, loss_fn=None, sens=None)(*inputs): the gradients of network (with loss_fn
    after it, when given) w.r.t. its trainable parameters; sens, when given, is the output's cotangent."""

    def __init__(self, network, loss_fn=None, sens=None):
        super().__init__()
        self.network, self.loss_fn, self.sens = network, loss_fn, sens
        self.weights = ParameterTuple(network.trainable_params())
        self.grad = _ops.GradOperation(get_by_list=True, sens_param=sens is not None)
        self.network_with_loss = network if loss_fn is None else WithLossCell(network, loss_fn)

    def construct(self, *inputs):
        args = inputs if self.sens is None else (*inputs, self.sens)
        return self.grad(self.network_with_loss, self.weights)(*args)

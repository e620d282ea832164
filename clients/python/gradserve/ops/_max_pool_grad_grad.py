"""MaxPoolGradGrad / MaxPool3DGradGrad (mindspore.ops.operations._grad_ops)(x, out, grad): the second-order
backward of max pooling: for each pooling window, grad at the position of the window's max in x, i.e. the
forward derivative (jvp) of MaxPool / MaxPool3D at x in the direction grad. `out` (the pooled x) is accepted
for MindSpore's signature and not needed. Its own derivative is that of the jvp (the engine's rules).
MaxPoolGradGradWithArgmax(x, grad, argmax): the same given the windows' argmax (flat indices into each batch
item's C*H*W, as MindSpore's kernel reads them): grad gathered there."""
from __future__ import annotations

import math

import numpy as np

from .._tensor import Tensor
from ._autodiff import jvp
from ._conv import MaxPool, MaxPool3D
from ._extra import P

__all__ = ["MaxPoolGradGrad", "MaxPool3DGradGrad", "MaxPoolGradGradWithArgmax"]


class _PoolGradGrad:
    pool: type = MaxPool

    def __init__(self, kernel_size=1, strides=1, pad_mode="VALID", data_format=None):
        self._pool = type(self).pool(kernel_size, strides, pad_mode) if data_format is None else \
            type(self).pool(kernel_size, strides, pad_mode, data_format=data_format)

    def __call__(self, x, out, grad):
        if tuple(grad.shape) != tuple(x.shape):
            raise ValueError(f"{type(self).__name__}: grad {list(grad.shape)} must have x's shape {list(x.shape)}")
        return jvp(self._pool, (x,), (grad,))[1]


class MaxPoolGradGrad(_PoolGradGrad):
    """(x [N, C, H, W], out, grad) -> grad at each window's max of x."""
    pool = MaxPool


class MaxPool3DGradGrad(_PoolGradGrad):
    """(x [N, C, D, H, W], out, grad) -> grad at each window's max of x."""
    pool = MaxPool3D


class MaxPoolGradGradWithArgmax:
    """_grad_ops.MaxPoolGradGradWithArgmax(kernel_size=1, strides=1, pad_mode='VALID')(x, grad, argmax):
    grad[n].flat[argmax[n, ...]] for each batch item n (the window attributes are implied by argmax)."""

    def __init__(self, kernel_size=1, strides=1, pad_mode="VALID"):
        self.kernel_size, self.strides, self.pad_mode = kernel_size, strides, pad_mode

    def __call__(self, x, grad, argmax):
        if tuple(grad.shape) != tuple(x.shape) or grad.ndim != 4 or argmax.ndim != 4 or \
                argmax.shape[0] != x.shape[0]:
            raise ValueError(f"MaxPoolGradGradWithArgmax: x and grad must be [N, C, H, W] of one shape and argmax "
                             f"[N, C, h, w], got {list(x.shape)}, {list(grad.shape)} and {list(argmax.shape)}")
        if argmax.dtype.name not in ("int32", "int64"):
            raise TypeError(f"MaxPoolGradGradWithArgmax: argmax must be int32 or int64, got {argmax.dtype.name}")
        n, per = x.shape[0], math.prod(x.shape[1:])
        base = Tensor((np.arange(n, dtype=np.int64) * per).reshape(n, 1, 1, 1))
        pos = P.reshape(P.add(P.cast(argmax, "int64"), base), (-1,))
        return P.reshape(P.gather(P.reshape(grad, (-1,)), pos, 0), tuple(argmax.shape))

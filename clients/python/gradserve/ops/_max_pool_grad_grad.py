"""MaxPoolGradGrad / MaxPool3DGradGrad (mindspore.ops.operations._grad_ops)(x, out, grad): the second-order
backward of max pooling: for each pooling window, grad at the position of the window's max in x, i.e. the
forward derivative (jvp) of MaxPool / MaxPool3D at x in the direction grad. `out` (the pooled x) is accepted
for MindSpore's signature and not needed. Its own derivative is that of the jvp (the engine's rules)."""
from __future__ import annotations

from ._autodiff import jvp
from ._conv import MaxPool, MaxPool3D

__all__ = ["MaxPoolGradGrad", "MaxPool3DGradGrad"]


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

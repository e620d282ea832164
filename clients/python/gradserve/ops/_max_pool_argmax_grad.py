"""_grad_ops.MaxPoolGradWithArgmaxV2(kernel_size, strides=None, pads=0, dilation=(1, 1), ceil_mode=False,
argmax_type=int64)(x, grad, argmax): MaxPoolWithArgmaxV2's backward, each output cell's grad added at the input
position its argmax names (a flat index into the H x W plane of its (N, C)); positions several windows chose
sum their grads, the others are 0 (MindSpore 2.10's CPU kernel). The window arguments only describe the pool
that made argmax: the scatter needs none of them. A scatter-add along the plane, so vmap and derivatives
take it as any scatter."""
from __future__ import annotations

from .._tensor import Tensor
from ._elements_scatter import tensor_scatter_elements
from ._extra import P

__all__ = ["MaxPoolGradWithArgmaxV2", "MaxPoolGradWithArgmax"]


class MaxPoolGradWithArgmaxV2:
    """See the module's doc."""

    def __init__(self, kernel_size, strides=None, pads=0, dilation=(1, 1), ceil_mode=False, argmax_type=None):
        self.kernel_size, self.strides, self.pads = kernel_size, strides, pads
        self.dilation, self.ceil_mode, self.argmax_type = dilation, bool(ceil_mode), argmax_type

    def __call__(self, x, grad, argmax):
        for name, t in (("x", x), ("grad", grad), ("argmax", argmax)):
            if not isinstance(t, Tensor) or t.ndim != 4:
                raise ValueError(f"For 'MaxPoolGradWithArgmaxV2', '{name}' must be a 4-D Tensor (N, C, H, W), got "
                                 f"{list(t.shape) if isinstance(t, Tensor) else type(t).__name__}")
        if tuple(grad.shape) != tuple(argmax.shape) or tuple(grad.shape[:2]) != tuple(x.shape[:2]):
            raise ValueError(f"For 'MaxPoolGradWithArgmaxV2', 'grad' {list(grad.shape)} and 'argmax' "
                             f"{list(argmax.shape)} must have one shape, with the (N, C) of 'x' {list(x.shape)}")
        if argmax._dtype not in ("int32", "int64"):
            raise TypeError(f"For 'MaxPoolGradWithArgmaxV2', 'argmax' must be int32 or int64, got {argmax.dtype}")
        n, c, h, w = x.shape
        rows = n * c
        zeros = P.zeros((rows, h * w), x._dtype)
        flat_grad = P.reshape(P.cast(grad, x._dtype), (rows, -1))
        flat_idx = P.reshape(P.cast(argmax, "int64"), (rows, -1))
        return P.reshape(tensor_scatter_elements(zeros, flat_idx, flat_grad, axis=1, reduction="add"), (n, c, h, w))


class MaxPoolGradWithArgmax(MaxPoolGradWithArgmaxV2):
    """_grad_ops.MaxPoolGradWithArgmax(kernel_size=1, strides=1, pad_mode='VALID', data_format='NCHW')(x, grad,
    argmax): MaxPoolWithArgmax's backward, the same scatter as V2's (its argmax is the same flat plane index)."""

    def __init__(self, kernel_size=1, strides=1, pad_mode="VALID", data_format="NCHW"):
        if str(pad_mode).upper() not in ("VALID", "SAME"):
            raise ValueError(f"For 'MaxPoolGradWithArgmax', pad_mode must be 'VALID' or 'SAME', got {pad_mode!r}")
        if data_format != "NCHW":
            raise ValueError(f"For 'MaxPoolGradWithArgmax', data_format must be 'NCHW' on CPU, got {data_format!r}")
        super().__init__(kernel_size, strides)
        self.pad_mode = str(pad_mode).upper()

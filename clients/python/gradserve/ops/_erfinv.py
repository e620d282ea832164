"""ops.erfinv / Tensor.erfinv / mint.erfinv: the inverse error function. Its one definition is the torch
importer's composition (importers/_erfinv_form.erfinv: Giles' polynomial as a start, two float64 Newton
steps, which carry the derivative sqrt(pi)/2 exp(erfinv(y)^2)); here it is run on SDK Tensors through a
writer whose methods are the SDK's ops, so a trace records the same elementwise graph."""
from __future__ import annotations

import numpy as np

from .._tensor import Tensor
from ._extra import P

__all__ = ["erfinv"]


class _TensorWriter:
    """The part of importers' GraphWriter that torch_special.erfinv calls, over Tensors instead of names."""

    def dtype(self, v: Tensor) -> str:
        return v._dtype

    def scalar_like(self, value: float, like: Tensor) -> Tensor:
        return Tensor(np.asarray(value, like._dtype))

    def unary(self, op: str, x: Tensor) -> Tensor:
        return getattr(P, op)(x)

    def binary(self, op: str, a: Tensor, b: Tensor) -> Tensor:
        return getattr(P, op)(a, b)

    def add(self, a, b):
        return P.add(a, b)

    def sub(self, a, b):
        return P.sub(a, b)

    def mul(self, a, b):
        return P.mul(a, b)

    def div(self, a, b):
        return P.div(a, b)

    def where(self, c, a, b):
        return P.where(c, a, b)

    def cast(self, x: Tensor, dtype: str) -> Tensor:
        return x if x._dtype == dtype else P.cast(x, dtype)


def erfinv(input):  # noqa: A002
    """erf^-1(input) elementwise: +-inf at +-1, NaN beyond; a floating input only (MindSpore 2.10's CPU kernel
    refuses integer and bool Tensors)."""
    if not isinstance(input, Tensor):
        raise TypeError(f"For 'Erfinv', the input must be a Tensor, but got {type(input).__name__}")
    if "float" not in input._dtype:
        raise TypeError(f"For 'Erfinv', the input must be a floating-point Tensor, but got {input.dtype}")
    from ..importers._erfinv_form import erfinv as _compose
    return _compose(_TensorWriter(), input)

"""ops.erfinv / Tensor.erfinv / mint.erfinv: the inverse error function. Its one definition is the torch
importer's composition (importers/_erfinv_form.erfinv: Giles' polynomial as a start, two float64 Newton
steps, which carry the derivative sqrt(pi)/2 exp(erfinv(y)^2)); here it is run on SDK Tensors through
_tensor_writer, so a trace records the same elementwise graph."""
from __future__ import annotations

from .._tensor import Tensor
from ._bessel import _op_class
from ._tensor_writer import writer_class

__all__ = ["erfinv", "Erfinv"]


def erfinv(input):  # noqa: A002
    """erf^-1(input) elementwise: +-inf at +-1, NaN beyond; a floating input only (MindSpore 2.10's CPU kernel
    refuses integer and bool Tensors)."""
    if not isinstance(input, Tensor):
        raise TypeError(f"For 'Erfinv', the input must be a Tensor, but got {type(input).__name__}")
    if "float" not in input._dtype:
        raise TypeError(f"For 'Erfinv', the input must be a floating-point Tensor, but got {input.dtype}")
    from ..importers._erfinv_form import erfinv as _compose
    w = writer_class()()
    return w.tensors[_compose(w, w.put(input))]


Erfinv = _op_class("Erfinv", erfinv)  # MindSpore's primitive form: P.Erfinv()(x)

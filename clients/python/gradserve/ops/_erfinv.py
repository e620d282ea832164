"""ops.erfinv / Tensor.erfinv / mint.erfinv: the inverse error function, the engine's op `erfinv` (its
derivative sqrt(pi)/2 exp(erfinv(x)^2) is the engine's rule) under MindSpore's argument checks."""
from __future__ import annotations

from .._tensor import Tensor
from . import _primitives

__all__ = ["erfinv", "Erfinv"]


def erfinv(input):  # noqa: A002
    """erf^-1(input) elementwise: +-inf at +-1, NaN beyond; a floating input only (MindSpore 2.10's CPU kernel
    refuses integer and bool Tensors)."""
    if not isinstance(input, Tensor):
        raise TypeError(f"For 'Erfinv', the input must be a Tensor, but got {type(input).__name__}")
    if "float" not in input._dtype:
        raise TypeError(f"For 'Erfinv', the input must be a floating-point Tensor, but got {input.dtype}")
    return _primitives.FUNCTIONS["erfinv"](input)


class Erfinv(_primitives.CLASSES["Erfinv"]):  # type: ignore[misc,valid-type]
    """MindSpore's primitive form, P.Erfinv()(x): the engine op's primitive under erfinv's checks."""

    def __call__(self, input):  # noqa: A002
        return erfinv(input)

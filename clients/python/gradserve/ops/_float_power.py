"""MindSpore 2.10's ops.float_power (a power computed in float64, as numpy.float_power: MindSpore returns
Float64 for float32 and int inputs alike) and ops.positive (input itself)."""
from __future__ import annotations

from .._tensor import Tensor
from ._extra import P

__all__ = ["float_power", "positive"]


def _f64(v):
    return P.cast(v, "float64") if isinstance(v, Tensor) else float(v)


def float_power(input, exponent):  # noqa: A002 - MindSpore's names
    """input ** exponent in float64."""
    if not isinstance(input, Tensor) and not isinstance(exponent, Tensor):
        raise TypeError("float_power: input or exponent must be a Tensor")
    base = _f64(input) if isinstance(input, Tensor) else P.fill("float64", exponent.shape, float(input))
    return P.pow(base, _f64(exponent))


def positive(input):  # noqa: A002
    """input (the unary plus; MindSpore 2.10 returns a bool Tensor as it is too)."""
    return input

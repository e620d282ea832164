"""ops.Betainc (MindSpore 2.10's primitive): I_x(a, b), the regularized incomplete beta function, on the engine's
betainc op (engine/ops/special_beta.py). a, b and x share one shape and one dtype (float32 or float64), as
MindSpore requires (no broadcasting). Differentiable w.r.t. x, and w.r.t. a and b to first order (MindSpore
returns zeros there, which is not the derivative)."""
from __future__ import annotations

from typing import TYPE_CHECKING

from .._tensor import Tensor
from .._calling_errors import input_dtype_error, tensor_type
from ._primitives import CLASSES, Primitive

__all__ = ["Betainc"]


def _check(a, b, x) -> None:
    for name, v in (("a", a), ("b", b), ("x", x)):
        if not isinstance(v, Tensor):
            raise TypeError(f"For 'Betainc', the input '{name}' must be a Tensor, but got {type(v).__name__}")
        if str(v.dtype).lower() not in ("float32", "float64"):
            raise input_dtype_error("Betainc", name, ("float32", "float64"), tensor_type(v))
    if not a.dtype == b.dtype == x.dtype:
        raise TypeError(f"For primitive[Betainc], the input type must be same, but got a {a.dtype}, b {b.dtype} "
                        f"and x {x.dtype}")
    for name, v in (("b", b), ("x", x)):
        if tuple(v.shape) != tuple(a.shape):
            raise ValueError(f"For 'Betainc', shape of {name} {tuple(v.shape)} is not consistent with the shape of "
                             f"a {tuple(a.shape)}")


if TYPE_CHECKING:  # generated at import time: the engine op's class (op = "betainc")
    _Generated = Primitive
else:
    _Generated = CLASSES["Betainc"]


class Betainc(_Generated):
    """ops.Betainc()(a, b, x) = I_x(a, b); NaN outside a, b > 0, 0 <= x <= 1."""

    def __call__(self, a, b, x):  # type: ignore[override]
        _check(a, b, x)
        return super().__call__(a, b, x)

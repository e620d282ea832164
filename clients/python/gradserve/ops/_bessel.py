"""Modified Bessel functions of the first kind: ops.bessel_i0 / bessel_i0e / bessel_i1 / bessel_i1e and their
primitives (BesselI0 ...) are the engine's ops of those names (engine/ops/bessel.py: Abramowitz & Stegun
9.8.1-9.8.4, relative error below 2e-7), whose derivatives are MindSpore's bprops, the Bessel identities
(i0' = i1, i1' = i0 - i1 / x, ...), to any order, not the slopes of the approximating polynomials. At 0 the
third derivative of i0 and the second of i1 are 0 (MindSpore 2.10's CPU bprop gives NaN there: 0 / 0).
Here: ops.i0, and the helpers _bessel_jyk's other Bessel functions share."""
from __future__ import annotations

from .._tensor import Tensor
from ._extra import P

__all__ = ["i0"]


def _poly(t, coeffs):
    """sum_k coeffs[k] t^k by Horner's rule (_bessel_jyk's approximations)."""
    out = P.mul(P.ones_like(t), coeffs[-1])
    for c in reversed(coeffs[:-1]):
        out = P.add(P.mul(out, t), c)
    return out


def i0(input):  # noqa: A002  (MindSpore's name)
    """ops.i0: bessel_i0."""
    return P.bessel_i0(input)


def _op_class(name: str, fn):
    """MindSpore's primitive form (math_ops.BesselJ0 ...): Cls()(x) = fn(x)."""
    def __call__(self, x):
        if not isinstance(x, Tensor):
            raise TypeError(f"For '{name}', the input must be a Tensor, got {type(x).__name__}")
        return fn(x)
    return type(name, (), {"__call__": __call__, "__doc__": f"ops.{name}()(x) = {fn.__name__}(x)."})

"""MindSpore 2.10's element-wise functions built from the engine's ops: sinc, frac, fmax / fmin, heaviside,
HShrink (the class of hardshrink), Eps (each element the dtype's machine epsilon) and nextafter / NextAfter."""
from __future__ import annotations

import math

import numpy as np

from .. import dtype as _dt
from .._late import late
from .._tensor import Tensor
from .._calling_errors import input_dtype_error, tensor_type
from . import _primitives
from ._doc_math import _float
from ._extra import P
from ._half_precision import in_float32

__all__ = ["sinc", "frac", "fmax", "fmin", "heaviside", "nan_to_num", "HShrink", "Eps", "nextafter", "NextAfter"]


@in_float32  # float16 / bfloat16: sinc' near 0 is a difference of near-equal terms (float16 alone: 30% off at 0.024)
def sinc(input):
    """sin(pi x) / (pi x), 1 at x = 0. The quotient is taken at a safe point where x = 0 (not the 0 / 0 of the
    untaken branch), and x = 0 takes sinc's Maclaurin polynomial 1 - t^2 / 6 + t^4 / 120 (t = pi x), so that its
    derivatives there are exact up to the fourth (0, -pi^2 / 3, 0, pi^4 / 5), as JAX's sinc gives; a constant 1
    there made every higher derivative 0 (MindSpore 2.10 gives NaN from the second on)."""
    x = _float(input)
    # float32: the polynomial (to t^6, 2e-10 off at |x| = 0.1) for |x| < 0.1, where the quotient's derivative
    # cos(t) / x - sin(t) / (pi x^2) cancels (0.1% off at x = 0.0038; MindSpore 2.10 0.03%)
    near = P.less(P.abs(x), 0.1) if x._dtype == "float32" else P.equal(x, P.zeros_like(x))
    safe = P.where(near, P.ones_like(x), x) * math.pi
    t2 = P.square(x * math.pi)
    maclaurin = 1.0 - t2 / 6.0 + P.square(t2) / 120.0 - t2 * P.square(t2) / 5040.0
    return P.where(near, maclaurin, P.sin(safe) / safe)


def frac(x):
    """The fractional part, x - trunc(x) (the sign of x); gradient 1. An integer tensor's: zeros of its dtype; a
    bool tensor's: int64 zeros (MindSpore 2.10: bool - trunc(bool) subtracts as int64)."""
    if x.dtype.name == "bool":
        return P.zeros_like(P.cast(x, "int64"))
    return P.zeros_like(x) if x.dtype.name.startswith(("int", "uint")) else x - late.ops.trunc(x)



def fmax(input, other):
    """The element-wise maximum ignoring NaN. At ties the whole gradient goes to input (MindSpore 2.10's
    FmaxGrad and PyTorch: input where input >= other or other is NaN), not half to each as maximum's."""
    return _first_where(P.greater_equal(input, other), input, other)


def fmin(input, other):
    """The element-wise minimum ignoring NaN; at ties the gradient goes to input (PyTorch's fmin, fmax's rule)."""
    return _first_where(P.less_equal(input, other), input, other)


def _first_where(first_wins, x, y):
    """x where first_wins or y is NaN, else y (NumPy's fmax / fmin: NaN only where both are)."""
    return P.where(P.logical_or(first_wins, late.ops.isnan(y)), x, y)


def heaviside(input, values):
    """0 where input < 0, values where input == 0, 1 where input > 0 (input's dtype)."""
    shape = np.broadcast_shapes(tuple(input.shape), tuple(values.shape))  # (MindSpore's: either may broadcast)
    input = P.broadcast_to(input, shape)
    zero = P.zeros_like(input)
    step = P.cast(P.greater(input, zero), input._dtype)
    return P.where(P.equal(input, zero), P.broadcast_to(P.cast(values, input._dtype), shape), step)


def nan_to_num(input, nan=None, posinf=None, neginf=None):  # noqa: A002
    """input with NaN -> nan (0), +inf -> posinf (the dtype's largest), -inf -> neginf (its lowest); the
    gradient is 1 at the finite elements and 0 at the replaced ones."""
    info = np.finfo(np.dtype("float32" if input._dtype == "bfloat16" else input._dtype))
    out = input
    for test, value in ((late.ops.isnan, 0.0 if nan is None else nan),
                        (lambda x: late.ops.equal(x, float("inf")), info.max if posinf is None else posinf),
                        (lambda x: late.ops.equal(x, float("-inf")), info.min if neginf is None else neginf)):
        out = late.ops.where(test(input), late.ops.full_like(input, float(value)), out)
    return out


class HShrink:
    """ops.HShrink(lambd=0.5)(x): x where |x| > lambd, else 0 (ops.hardshrink)."""

    def __init__(self, lambd: float = 0.5):
        if isinstance(lambd, bool) or not isinstance(lambd, (int, float)):
            raise TypeError(f"For 'HShrink', 'lambd' must be a float, but got {type(lambd).__name__}")
        self.lambd = float(lambd)

    def __call__(self, input):  # noqa: A002 - MindSpore's names
        from ._ms_names import hardshrink  # noqa: PLC0415  (one rule for both spellings)
        return hardshrink(input, self.lambd)


class Eps:
    """ops.Eps()(x): a Tensor of x's shape and dtype whose every element is the dtype's machine epsilon
    (numpy.finfo(dtype).eps: 2**-23 for float32), MindSpore 2.10's values."""

    def __call__(self, x):
        if not isinstance(x, Tensor) or x._dtype not in ("float16", "float32", "float64"):
            raise TypeError(f"For 'Eps', the input must be a float16, float32 or float64 Tensor, got "
                            f"{getattr(x, 'dtype', type(x).__name__)}")
        return late.ops.full_like(x, float(np.finfo(x._dtype).eps), dtype=_dt.get(x._dtype))


def nextafter(input, other):  # noqa: A002
    """The float next to input towards other, elementwise with broadcasting (the engine's nextafter op).
    MindSpore 2.10's rules: float32 or float64 Tensors of one dtype, else a TypeError; gradient 1 w.r.t.
    input, 0 w.r.t. other."""
    for name, v in (("x1", input), ("x2", other)):
        if not isinstance(v, Tensor) or v._dtype not in ("float32", "float64"):
            raise input_dtype_error("NextAfter", name, ("float32", "float64"), tensor_type(v))
    if input._dtype != other._dtype:
        raise TypeError(f"For primitive[NextAfter], the input type must be same: x1 {input.dtype}, x2 {other.dtype}.")
    return _primitives.FUNCTIONS["nextafter"](input, other)


class NextAfter:
    """ops.NextAfter()(x1, x2): nextafter."""

    def __call__(self, input, other):  # noqa: A002 - MindSpore's names
        return nextafter(input, other)

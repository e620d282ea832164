"""MindSpore 2.10 ops composed here from engine ops: full / full_like / scalar_to_tensor, clamp, xlogy,
atan2, lerp, true_divide, FillV2. Each derivative is that of the engine ops it is made of, chosen so that it
matches MindSpore's at the special points (noted per op)."""
from __future__ import annotations

import numpy as np

from .. import dtype as _dt
from .._tensor import Tensor
from .._trace import _scalar_tensor, graph_ints, number_by_value
from . import _primitives
from ._extra import P, _as_tensors, clip_by_value
from ._half_precision import in_float32


def _fill_dtype(value) -> str:
    """MindSpore's dtype for a Python fill value: bool, int64 for ints, float32 otherwise."""
    if isinstance(value, (bool, np.bool_)):
        return "bool"
    return "int64" if isinstance(value, (int, np.integer)) else "float32"


def full(size, fill_value, *, dtype=None):
    """A Tensor of `size` (a tuple or list) filled with `fill_value` (a number, or a Tensor whose gradient flows).
    Without dtype it is int64, whatever the value, a Tensor's too (MindSpore 2.10's ops.full: full((2,), 1.2) and
    full((2,), Tensor(2.5)) are [1, 1] and [2, 2] int64)."""
    if not isinstance(size, (list, tuple)):
        kind = "<class 'mindspore.common.tensor.Tensor'>" if isinstance(size, Tensor) else type(size)
        raise TypeError(f"For 'ops.full', 'size' must be a tuple or list of ints, but got {kind}.")
    if dtype is not None and not isinstance(dtype, (_dt.Type, str)):  # (a NumPy type: MindSpore 2.10 refuses it)
        raise TypeError(f"For 'ops.full', 'dtype' must be mindspore.type, but got {dtype}.")
    return full_ext(size, fill_value, dtype=dtype or "int64")


def full_ext(size, fill_value, *, dtype=None):
    """mint.full: as ops.full, but a number without dtype gives its own dtype (bool, int64, float32)."""
    _primitives._refuse_fill_bools(size)
    shape = (int(size),) if isinstance(size, (int, np.integer)) else tuple(int(s) for s in size)
    if isinstance(fill_value, Tensor):
        v = fill_value if dtype is None else P.cast(fill_value, dtype)
        return P.broadcast_to(v, shape)
    return P.fill(dtype or _fill_dtype(fill_value), shape, fill_value)


def full_like(input, fill_value, *, dtype=None):  # noqa: A002 - MindSpore's names
    """A Tensor of input's shape (and dtype unless given) filled with fill_value."""
    return full(tuple(input.shape), fill_value, dtype=dtype or input.dtype)


def scalar_to_tensor(input_x, dtype=_dt.float32):
    """A 0-d Tensor of dtype (float32 by default) holding the number input_x."""
    return P.fill(dtype, (), input_x)


def _bound(x: Tensor, v):
    return v if v is None or isinstance(v, Tensor) else _scalar_tensor(v, x._dtype)


def clamp(input, min=None, max=None):  # noqa: A002
    """input limited to [min, max] (numbers or Tensors). MindSpore 2.10's Clamp gives input the FULL gradient
    on the boundary (x == min or x == max: 1), a Tensor bound only where input is strictly outside; the
    engine's clip op has exactly that rule. (ops.clip_by_value splits ties instead: maximum / minimum.)"""
    if min is None and max is None:
        raise ValueError("ops.clamp: at least one of 'min' or 'max' must not be None")
    if any(isinstance(v, (bool, np.bool_)) or (isinstance(v, Tensor) and v._dtype == "bool")
           for v in (input, min, max)):
        raise ValueError("For Clamp, the dtype of 'input', 'min' and 'max' must not be bool.")
    if isinstance(input, Tensor):  # input and bounds promote (MindSpore 2.10, torch: int32 by 2.5 is float32)
        dt = P._promoted_dtype(input, *(v for v in (min, max) if v is not None))
        if dt != input._dtype:
            input = P.cast(input, dt)
    if isinstance(input, Tensor) and input._dtype in ("int64", "uint64") and any(
            isinstance(v, (int, np.integer)) and abs(int(v)) >= 2 ** 53 for v in (min, max)):
        # the clip op's bounds are floats (2^62 + 1 would be 2^62): Tensors of the input's dtype instead
        min, max = (None if v is None else Tensor(np.asarray(v, np.dtype(input._dtype))) for v in (min, max))
    if not isinstance(min, Tensor) and not isinstance(max, Tensor):
        # min > max: the clip op gives max everywhere (MindSpore 2.10, NumPy's clip) and no gradient anywhere
        # (MindSpore 2.10, PyTorch: x >= min and x <= max nowhere); min lowered to max gave x == max one
        return P.clip(input, min=None if min is None else float(min), max=None if max is None else float(max))
    # Tensor bounds and the input promote (MindSpore 2.10: int32 input, float32 bounds is float32)
    input = P._promoted(input, *(v for v in (min, max) if isinstance(v, Tensor)))[0]
    lo, hi = _bound(input, min), _bound(input, max)
    lo, hi = (None if b is None else P.cast(b, input._dtype) for b in (lo, hi))
    if lo is None:  # the engine's clip takes its bounds in order: the upper one alone as a select
        return P.select(P.greater(input, hi), hi, input)
    if hi is None:
        return P.clip(input, lo)
    # where min > max the clip op's answer is max, and only max gets the gradient (MindSpore 2.10): its lower
    # bound applies first, then the upper one to the lower-clipped value
    return P.clip(input, lo, hi)


clip = clamp  # MindSpore 2.10's ops.clip is clamp (the engine's clip op, P.clip, takes same-dtype bounds)


def hardtanh(input, min_val=-1.0, max_val=1.0):  # noqa: A002
    """MindSpore 2.10's hardtanh: maximum / minimum, so x on a bound gets half the gradient (unlike clamp)."""
    return clip_by_value(input, min_val, max_val)


def _complex(*tensors) -> bool:
    return any(t._dtype.startswith("complex") for t in tensors)


def _float_operands(x, y):
    """Integer / bool operands as float32; a complex one keeps both as they are (casting it to float32 kept its
    real part: mint.div of complex64 divided the real parts)."""
    x, y = _as_tensors(*number_by_value(x, y))  # uint8 / -3: -3, not 253 (_trace._BY_VALUE)
    if x._dtype not in _dt.FLOAT and not _complex(x, y):
        x, y = P.cast(x, _dt.float32), P.cast(y, _dt.float32)
    return x, y


def xlogy(input, other):  # noqa: A002
    """input * log(other), 0 where input == 0 (MindSpore's documentation, JAX, PyTorch; MindSpore 2.10's CPU
    kernel gives NaN at (0, y <= 0)). d/d input = log(other), but 0 where input == 0 and other <= 0, as
    MindSpore 2.10's gradient; d/d other = input / other (0 at (0, 0) here, NaN in MindSpore)."""
    x, y = _float_operands(input, other)
    if _complex(x, y):  # x * log(y), as MindSpore 2.10's CPU kernel (no ordering of complex numbers for the 0 case)
        return P.mul(x, P.log(y))
    dead = P.logical_and(P.equal(x, 0.0), P.less_equal(y, 0.0))
    safe_y = P.select(dead, 1.0, y)  # keeps log's derivative finite where the select drops it
    return P.mul(x, P.select(dead, 0.0, P.log(safe_y)))


def atan2(input, other):  # noqa: A002
    """The angle of (other, input) in (-pi, pi]; the engine's atan2 op (its gradient is NaN at (0, 0),
    as MindSpore 2.10's)."""
    return _primitives.FUNCTIONS["atan2"](*_float_operands(input, other))


@in_float32  # float16: MindSpore 2.10 rounds once (956 of 8192 values at weight 0.5 were an ulp off)
def lerp(input, end, weight):  # noqa: A002
    """input + weight * (end - input); derivatives 1 - weight, weight and end - input."""
    d = P.sub(end, input)
    return P.add(input, P.mul(weight, d) if isinstance(weight, Tensor) else P.mul(d, float(weight)))


def true_divide(dividend, divisor):
    """dividend / divisor in floating point (integers divide as float32, as MindSpore; a graph's two Python ints as
    float64, _trace.binary)."""
    if graph_ints(dividend, divisor):
        return P.div(dividend, divisor)
    return P.div(*_float_operands(dividend, divisor))


class Xlogy:
    """ops.Xlogy()(x, y): xlogy."""

    def __call__(self, input, other):  # noqa: A002
        return xlogy(input, other)


class FillV2:
    """FillV2()(shape, value): a Tensor of that shape (a tuple, or a 1-D int Tensor: its values are read) filled
    with value (a one-element Tensor: its dtype, and the gradient flows back to it)."""

    def __call__(self, shape, value):
        dims = [int(v) for v in (shape.tolist() if isinstance(shape, Tensor) else shape)]
        if not isinstance(value, Tensor):
            raise TypeError(f"For 'FillV2', 'value' must be a Tensor, got {type(value).__name__}")
        return P.broadcast_to(P.reshape(value, ()), tuple(dims))


arctan2 = atan2
__all__ = ["full", "full_like", "scalar_to_tensor", "clamp", "clip", "hardtanh", "xlogy", "Xlogy", "atan2", "arctan2",
           "lerp", "true_divide", "FillV2"]

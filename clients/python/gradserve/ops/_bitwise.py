"""ops.Invert / invert / bitwise_not: the bitwise complement of an integer tensor; LeftShift / RightShift,
bitwise_left_shift / bitwise_right_shift (MindSpore 2.10 CPU kernel's wrapping and shift counts), composed from engine ops
(values checked against MindSpore 2.10 on CPU when written)."""
from __future__ import annotations

import numpy as np

from .._tensor import Tensor
from ._extra import P
from ._primitives import _promoted
from .._late import late

__all__ = ["Invert", "invert", "bitwise_not", "LeftShift", "RightShift", "bitwise_left_shift", "bitwise_right_shift",
           "bitwise_and", "bitwise_or", "bitwise_xor"]


_UINT_MAX = {"uint8": 255, "uint16": 65535, "uint32": 2 ** 32 - 1, "uint64": 2 ** 64 - 1}


def invert(x):
    """~x of an integer tensor: -x - 1 (signed), max - x (unsigned); MindSpore refuses bool and floats."""
    dt = x._dtype
    if dt in _UINT_MAX:
        return P.sub(Tensor(np.asarray(_UINT_MAX[dt], dt)), x)  # (a 0-d constant: fill holds values as floats)
    if not dt.startswith("int"):
        raise TypeError(f"invert: x must be an integer tensor, got {dt}")
    return P.sub(P.neg(x), P.ones_like(x))


bitwise_not = invert  # mint.bitwise_not / Tensor.bitwise_not (integers)


class Invert:
    def __call__(self, x):
        return invert(x)


def _bitwise(op: str):
    def f(input, other):  # noqa: A002 - MindSpore's names
        """ops.bitwise_and / or / xor: operands of different integer dtypes (or bool beside an integer) promote,
        as MindSpore 2.10's (checked: int8 & int32 -> Int32, int8 | int64 -> Int64, uint8 ^ int16 -> Int16); a
        Python int takes the Tensor's dtype."""
        return getattr(P, op)(*_promoted(input, other))
    f.__name__ = f.__qualname__ = op
    return f


bitwise_and, bitwise_or, bitwise_xor = (_bitwise(n) for n in ("bitwise_and", "bitwise_or", "bitwise_xor"))


_SHIFT_PRIMS = {"bitwise_left_shift": "LeftShift", "bitwise_right_shift": "RightShift"}


def _shift_operands(x, other, where: str):
    if not isinstance(x, Tensor):
        raise TypeError(f"For '{where}', input must be a Tensor, got {type(x).__name__}")
    dt = x.dtype.name
    if not (dt.startswith("int") or dt.startswith("uint")):
        raise TypeError(f"For '{where}', input must be an integer Tensor, got {dt}")
    if isinstance(other, Tensor) and other._dtype != dt:  # (MindSpore 2.10 promotes nothing here: checked)
        raise TypeError(f"For '{_SHIFT_PRIMS.get(where, where)}', the dtype of two args should be same, but the first "
                        f"arg dtype {x.dtype} are not consistent with second arg dtype {other.dtype}")
    if not isinstance(other, Tensor):
        other = Tensor(np.asarray(other, dtype=dt))
    return x, other, dt


def _wide(dt: str) -> str:
    """The dtype a shift runs in: int8 / int16 / uint8 / uint16 promote to int32, as C++'s integer promotion
    in MindSpore 2.10's CPU kernel (int8 1 << 8 = 0 and -128 >> 9 = -1, the count taken mod 32)."""
    return dt if np.dtype(dt).itemsize >= 4 else "int32"


def _pow2_halves(count, dt):
    """2 ** (c // 2) and 2 ** (c - c // 2) in dtype dt, c = count mod the dtype's bits (x86's shift counts:
    MindSpore 2.10's CPU kernel gives 7 << 40 = 1792 for int32). Two factors so that each fits the dtype
    (2 ** 31 does not fit int32)."""
    bits = np.dtype(dt).itemsize * 8
    c = np.arange(bits)
    lo, hi = (Tensor((2 ** (c // 2)).astype(dt)), Tensor((2 ** (c - c // 2)).astype(dt)))
    k = late.ops.floor_mod(late.ops.cast(count, "int64"), bits)
    return late.ops.gather(lo, k, 0), late.ops.gather(hi, k, 0)


def bitwise_left_shift(input, other):  # noqa: A002 - MindSpore's name
    """input << other, wrapping in input's dtype."""
    x, y, dt = _shift_operands(input, other, "bitwise_left_shift")
    wd = _wide(dt)
    lo, hi = _pow2_halves(y, wd)
    return late.ops.cast(late.ops.mul(late.ops.mul(late.ops.cast(x, wd), lo), hi), dt)


def bitwise_right_shift(input, other):  # noqa: A002
    """input >> other: arithmetic for signed integers (floor(x / 2 ** other): -5 >> 1 = -3, MindSpore's)."""
    x, y, dt = _shift_operands(input, other, "bitwise_right_shift")
    wd = _wide(dt)
    lo, hi = _pow2_halves(y, wd)
    return late.ops.cast(late.ops.floor_div(late.ops.floor_div(late.ops.cast(x, wd), lo), hi), dt)


class LeftShift:
    def __call__(self, x1, x2):
        return bitwise_left_shift(x1, x2)


class RightShift:
    def __call__(self, input_x, input_y):
        return bitwise_right_shift(input_x, input_y)

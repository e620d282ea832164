"""ops.Invert / invert / bitwise_not: the bitwise complement of an integer tensor, composed from engine ops
(values checked against MindSpore 2.10 on CPU when written)."""
from __future__ import annotations

import numpy as np

from .._tensor import Tensor
from ._extra import P

__all__ = ["Invert", "invert", "bitwise_not"]


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

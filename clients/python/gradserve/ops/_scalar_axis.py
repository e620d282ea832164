"""A 0-d tensor reduced along axis 0 or -1: MindSpore 2.10's max / min / argmax / argmin / median take its one
element (values 0-d, index 0, keepdims or not); the engine's reductions refuse an axis of a 0-d operand."""
from __future__ import annotations

import numbers

from .._trace import _zero_d_along_its_axis
from ._extra import P


def one_element_axis(x, axis, keepdims):
    """(x, axis, keepdims) to reduce: a 0-d x with axis 0 / -1 as shape (1,) along axis 0, keepdims off."""
    if isinstance(axis, numbers.Integral) and not isinstance(axis, bool) and _zero_d_along_its_axis(x, axis):
        return P.reshape(x, (1,)), 0, False
    return x, axis, keepdims

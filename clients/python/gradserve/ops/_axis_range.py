"""One axis checked against a tensor's rank before it is used: an axis outside [-ndim, ndim) is refused with the
op's MindSpore 2.10 exception class and text, never wrapped round by `%` (round 15: cummax(x, 2) on a 2-D x
answered along axis 0, where MindSpore raises)."""
from __future__ import annotations

# MindSpore 2.10's text for a view op's dim outside [-ndim, ndim) (transpose, diagonal, mint.flatten, ...)
DIM_OUT_OF_RANGE = "Dimension out of range (expected to be in range of [-{ndim}, {ndim}), but got {axis})"


def checked_axis(axis, ndim: int, exc: type, text: str) -> int:
    """axis as an index in [0, ndim); outside [-ndim, ndim): exc(text), text formatted with axis and ndim."""
    a = int(axis)
    if not -ndim <= a < ndim:
        raise exc(text.format(axis=a, ndim=ndim))
    return a % ndim

"""One axis checked against a tensor's rank before it is used: an axis outside [-ndim, ndim) is refused with the
op's MindSpore 2.10 exception class and text, never wrapped round by `%` (round 15: cummax(x, 2) on a 2-D x
answered along axis 0, where MindSpore raises)."""
from __future__ import annotations


def checked_axis(axis, ndim: int, exc: type, text: str) -> int:
    """axis as an index in [0, ndim); outside [-ndim, ndim): exc(text), text formatted with axis and ndim."""
    a = int(axis)
    if not -ndim <= a < ndim:
        raise exc(text.format(axis=a, ndim=ndim))
    return a % ndim

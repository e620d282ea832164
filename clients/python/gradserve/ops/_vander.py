"""ops.vander(x, N=None): the Vandermonde matrix of a 1-D x, columns x^(N-1) ... x^0 (decreasing powers, as
numpy.vander; N defaults to len(x)); x's dtype, differentiable in x. MindSpore 2.10's checks and error classes."""
from __future__ import annotations

from .._tensor import Tensor
from ._extra import P

__all__ = ["vander"]


def vander(x, N=None):  # noqa: N803 - MindSpore's name
    if not isinstance(x, Tensor):
        raise TypeError(f"For vander, x must be Tensor, but got {type(x)}")
    if x.ndim != 1:
        raise ValueError(f"For vander, x must be 1-D, but got dimension = {x.ndim}")
    if N is None:
        N = int(x.shape[0])
    if isinstance(N, bool) or not isinstance(N, int):
        raise TypeError(f"For vander, N must be an integer but got {type(N)}.")
    if N <= 0:
        raise ValueError(f"For vander, N must be greater than 0, but got {N}.")
    col = P.expand_dims(x, 1)
    # repeated products (not pow): integer x stays exact, and x = 0 has a finite derivative at every power
    cols = [P.ones_like(col)]
    for _ in range(N - 1):
        cols.append(P.mul(cols[-1], col))
    return P.concat(tuple(reversed(cols)), 1)

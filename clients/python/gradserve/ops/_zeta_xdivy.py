"""ops.zeta (Hurwitz zeta(x, q) = sum_k (k + q)^-x) and ops.xdivy / Xdivy (x / y, 0 where x is 0), composed of
element-wise ops (their derivatives are those ops').

zeta: Euler-Maclaurin with 9 direct terms and 6 Bernoulli corrections (float64 accuracy for x > 1, q > 0);
x = 1 is +inf and x < 1 NaN, as MindSpore 2.10 (its CPU kernel, checked in its venv)."""
from __future__ import annotations

import math

from .._tensor import Tensor
from ._extra import P

__all__ = ["zeta", "xdivy", "Xdivy"]

_N = 9
_B2J = (1 / 6, -1 / 30, 1 / 42, -1 / 30, 5 / 66, -691 / 2730)  # Bernoulli B_2 .. B_12


def zeta(input, other):  # noqa: A002
    x = input
    q = other if isinstance(other, Tensor) else P.fill(x.dtype, (), float(other))
    q = P.add(P.zeros_like(x), P.cast(q, x.dtype))  # broadcast q to x's shape
    total = P.zeros_like(x)
    for k in range(_N):
        total = P.add(total, P.pow(P.add(q, float(k)), P.neg(x)))
    a = P.add(q, float(_N))
    total = P.add(total, P.div(P.pow(a, P.sub(1.0, x)), P.sub(x, 1.0)))  # the integral's term
    total = P.add(total, P.mul(0.5, P.pow(a, P.neg(x))))
    rising = x  # x (x + 1) ... (x + 2j - 2)
    for j, b in enumerate(_B2J, start=1):
        term = P.mul(P.mul(rising, b / math.factorial(2 * j)), P.pow(a, P.sub(float(1 - 2 * j), x)))
        total = P.add(total, term)
        rising = P.mul(P.mul(rising, P.add(x, float(2 * j - 1))), P.add(x, float(2 * j)))
    nan = P.fill(x.dtype, tuple(x.shape), float("nan"))
    inf = P.fill(x.dtype, tuple(x.shape), float("inf"))
    return P.where(P.equal(x, 1.0), inf, P.where(P.less(x, 1.0), nan, total))


def xdivy(x, y):
    """x / y, and 0 where x == 0 (even where y == 0). The division sees y = 1 where x == 0, so that its
    derivative there is 0 as MindSpore's Xdivy gradient (0 / 0 made it NaN where y == 0 too)."""
    zero = P.equal(x, 0)
    q = P.div(x, P.where(zero, P.ones_like(P.div(x, y)), y))
    return P.where(zero, P.zeros_like(q), q)


class Xdivy:
    def __call__(self, x, y):
        return xdivy(x, y)

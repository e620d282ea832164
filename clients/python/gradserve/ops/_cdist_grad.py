"""CdistGrad(p)(grad, x1, x2, dist) -> dx1 (ops.auto_generate / _grad_ops): the gradient of cdist(x1, x2, p) [..., P, R]
with respect to x1 [..., P, M], from the upstream grad and the forward's dist (taken as given, not recomputed):
dx1[p] = sum_r grad[p, r] sign(d) |d|^(p-1) / dist[p, r]^(p-1), d = x1[p] - x2[r]; 0 where dist is 0. p = 1:
sign(d); p = inf: sign(d) where |d| is the row's maximum (dist). MindSpore 2.10's CPU kernel gives 0 for p < 1
(and p = 0): so does this one."""
from __future__ import annotations

import math

from ._extra import P

__all__ = ["CdistGrad"]


class CdistGrad:
    def __init__(self, p=2.0):
        self.p = float(p)

    def __call__(self, grad, x1, x2, dist):
        d = P.sub(P.expand_dims(x1, -2), P.expand_dims(x2, -3))  # [..., P, R, M]
        g, dd = P.expand_dims(grad, -1), P.expand_dims(dist, -1)
        p = self.p
        if p < 1.0:
            return P.zeros_like(x1)
        if p == 1.0:
            term = P.sign(d)
        elif p == math.inf:
            term = P.mul(P.sign(d), P.cast(P.equal(P.abs(d), dd), d._dtype))
        else:
            zero = P.equal(dd, 0.0)
            safe = P.select(zero, P.ones_like(dd), dd)
            ratio = P.div(d, safe) if p == 2.0 else \
                P.div(P.mul(P.sign(d), P.pow(P.abs(d), p - 1.0)), P.pow(safe, p - 1.0))
            term = P.select(P.broadcast_to(zero, tuple(ratio.shape)), P.zeros_like(ratio), ratio)
        return P.sum(P.mul(g, term), -2)

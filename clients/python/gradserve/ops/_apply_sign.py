"""ops.ApplyAddSign and ops.ApplyPowerSign (h-opsgap): the AddSign and PowerSign optimizers' steps, updating var
and m in place (ops.assign, as ops/_ms_apply's primitives) and returning them. m = beta m + (1 - beta) grad with the
new m's sign s; AddSign: var -= lr (alpha + sign_decay sign(grad) s) grad; PowerSign: var -= lr exp(logbase
sign_decay sign(grad) s) grad (MindSpore's documented rules; values checked against MindSpore 2.10 on CPU)."""
from __future__ import annotations

from ._assign import assign
from ._extra import P
from ._ms_apply import _Primitive, _one_minus, _scalar

__all__ = ["ApplyAddSign", "ApplyPowerSign"]


def _momentum_and_agreement(m, sign_decay, beta, grad):
    """The new m (assigned) and sign_decay * sign(grad) * sign(new m)."""
    m1 = assign(m, P.add(P.mul(m, beta), P.mul(grad, _one_minus(beta))))
    return m1, P.mul(sign_decay, P.mul(P.sign(grad), P.sign(m1)))


class ApplyAddSign(_Primitive):
    """(var, m, lr, alpha, sign_decay, beta, grad) -> (var, m)."""

    def __call__(self, var, m, lr, alpha, sign_decay, beta, grad):
        lr, alpha, sign_decay, beta = (_scalar(s, var) for s in (lr, alpha, sign_decay, beta))
        m1, agree = _momentum_and_agreement(m, sign_decay, beta, grad)
        return assign(var, P.sub(var, P.mul(lr, P.mul(P.add(alpha, agree), grad)))), m1


class ApplyPowerSign(_Primitive):
    """(var, m, lr, logbase, sign_decay, beta, grad) -> (var, m)."""

    def __call__(self, var, m, lr, logbase, sign_decay, beta, grad):
        lr, logbase, sign_decay, beta = (_scalar(s, var) for s in (lr, logbase, sign_decay, beta))
        m1, agree = _momentum_and_agreement(m, sign_decay, beta, grad)
        return assign(var, P.sub(var, P.mul(lr, P.mul(P.exp(P.mul(logbase, agree)), grad)))), m1

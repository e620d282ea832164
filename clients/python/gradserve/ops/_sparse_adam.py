"""ops.FusedSparseLazyAdam(use_locking=False, use_nesterov=False)(var, m, v, beta1_power, beta2_power, lr, beta1,
beta2, epsilon, grad, indices) -> (var, m, v): Adam's step on the rows of var / m / v that indices names, written
into the Parameters (other rows stay, the "lazy" of its name). Repeated indices add their gradient rows first, as
MindSpore 2.10's CPU kernel does; its rule (documented) for a named row i:
  m_i = beta1 m_i + (1 - beta1) g_i, v_i = beta2 v_i + (1 - beta2) g_i^2,
  var_i -= lr sqrt(1 - beta2_power) / (1 - beta1_power) * m_i / (sqrt(v_i) + epsilon)
(nesterov: m_i beta1 + (1 - beta1) g_i in place of m_i in the last line). The rows are picked with a mask built by
scatter_add, so indices may be a traced value (a Unique's output inside a construct)."""
from __future__ import annotations

import math

from ._assign import assign
from ._extra import P
from ._index_ms import index_add
from .._tensor import Tensor

__all__ = ["FusedSparseLazyAdam"]

_WHERE = "For primitive[FusedSparseLazyAdam]"


def _check(var, m, v, grad, indices) -> None:
    for name, t in (("var", var), ("m", m), ("v", v), ("grad", grad), ("indices", indices)):
        if not isinstance(t, Tensor):
            raise TypeError(f"{_WHERE}, the input argument[{name}] must be a Tensor, got {type(t).__name__}")
    if indices._dtype not in ("int32", "int64"):
        raise TypeError(f"{_WHERE}, the input argument[indices] must be int32 or int64, got {indices._dtype}")
    for name, t in (("m", m), ("v", v)):
        if tuple(t.shape) != tuple(var.shape):
            raise ValueError(f"{_WHERE}, the var_shape {list(var.shape)} must be equal to {name}_shape "
                             f"{list(t.shape)}")
    if indices.ndim != 1:
        raise ValueError(f"{_WHERE}, the indices rank must be equal to 1, got {indices.ndim}")
    if grad.ndim < 1:
        raise ValueError(f"{_WHERE}, the grad rank must be greater than or equal to 1, got {grad.ndim}")
    if tuple(grad.shape[1:]) != tuple(var.shape[1:]) or grad.shape[0] != indices.shape[0]:
        raise ValueError(f"{_WHERE}, grad's shape {list(grad.shape)} must be indices' {list(indices.shape)} "
                         f"followed by var's {list(var.shape[1:])}")


class FusedSparseLazyAdam:
    def __init__(self, use_locking: bool = False, use_nesterov: bool = False):
        self.use_nesterov = bool(use_nesterov)

    def __call__(self, var, m, v, beta1_power, beta2_power, lr, beta1, beta2, epsilon, grad, indices):
        _check(var, m, v, grad, indices)
        g = index_add(P.zeros_like(var), indices, grad, 0)  # repeated rows summed
        named = P.greater(index_add(P.zeros_like(var), indices, P.ones_like(grad), 0), 0.0)
        m_new = P.add(P.mul(m, beta1), P.mul(g, 1.0 - beta1))
        v_new = P.add(P.mul(v, beta2), P.mul(P.mul(g, g), 1.0 - beta2))
        scale = P.div(P.mul(P.sqrt(P.sub(1.0, beta2_power)), lr), P.sub(1.0, beta1_power)) \
            if isinstance(beta2_power, Tensor) or isinstance(beta1_power, Tensor) or isinstance(lr, Tensor) \
            else lr * math.sqrt(1.0 - beta2_power) / (1.0 - beta1_power)
        lead = P.add(P.mul(m_new, beta1), P.mul(g, 1.0 - beta1)) if self.use_nesterov else m_new
        var_new = P.sub(var, P.mul(P.div(lead, P.add(P.sqrt(v_new), epsilon)), scale))
        m1 = assign(m, P.select(named, m_new, m))
        v1 = assign(v, P.select(named, v_new, v))
        var1 = assign(var, P.select(named, var_new, var))
        return var1, m1, v1

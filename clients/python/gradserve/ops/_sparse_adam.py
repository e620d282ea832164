"""ops.FusedSparseLazyAdam / FusedSparseAdam(use_locking=False, use_nesterov=False)(var, m, v, beta1_power,
beta2_power, lr, beta1, beta2, epsilon, grad, indices) -> (var, zeros, zeros), written into the Parameters
(MindSpore 2.10's outputs past var; the lazy one's third in a graph is var's new value, as its graph gives). The lazy one
takes Adam's step on the rows of var / m / v that indices names (other rows stay, the "lazy" of its name);
FusedSparseAdam on every row, a row not named having gradient 0 (its m and v decay, its var moves: MindSpore
2.10's CPU results, e.g. its tests/st/ops/cpu/test_sparse_apply_adam_op.py). Repeated indices add their gradient
rows first, as MindSpore 2.10's CPU kernel does; the rule (documented) for a row i:
  m_i = beta1 m_i + (1 - beta1) g_i, v_i = beta2 v_i + (1 - beta2) g_i^2,
  var_i -= lr sqrt(1 - beta2_power) / (1 - beta1_power) * m_i / (sqrt(v_i) + epsilon)
(nesterov: m_i beta1 + (1 - beta1) g_i in place of m_i in the last line). The rows are picked with a mask built by
scatter_add, so indices may be a traced value (a Unique's output inside a construct)."""
from __future__ import annotations

import math

from ._assign import assign
from ._extra import P
from ._fused_sparse import check_sparse_inputs, summed_rows, zeroed
from .._tensor import Tensor
from .._trace import graph_semantics

__all__ = ["FusedSparseLazyAdam", "FusedSparseAdam"]


class FusedSparseLazyAdam:
    lazy = True  # only the named rows change

    def __init__(self, use_locking: bool = False, use_nesterov: bool = False):
        self.use_nesterov = bool(use_nesterov)

    def __call__(self, var, m, v, beta1_power, beta2_power, lr, beta1, beta2, epsilon, grad, indices):
        check_sparse_inputs(type(self).__name__, var, {"m": m, "v": v}, grad, indices)
        g, named = summed_rows(var, grad, indices)  # repeated rows summed
        m_new = P.add(P.mul(m, beta1), P.mul(g, 1.0 - beta1))
        v_new = P.add(P.mul(v, beta2), P.mul(P.mul(g, g), 1.0 - beta2))
        scale = P.div(P.mul(P.sqrt(P.sub(1.0, beta2_power)), lr), P.sub(1.0, beta1_power)) \
            if isinstance(beta2_power, Tensor) or isinstance(beta1_power, Tensor) or isinstance(lr, Tensor) \
            else lr * math.sqrt(1.0 - beta2_power) / (1.0 - beta1_power)
        lead = P.add(P.mul(m_new, beta1), P.mul(g, 1.0 - beta1)) if self.use_nesterov else m_new
        var_new = P.sub(var, P.mul(P.div(lead, P.add(P.sqrt(v_new), epsilon)), scale))
        if not self.lazy:
            assign(m, m_new), assign(v, v_new)
            return zeroed(assign(var, var_new), m, v)
        assign(m, P.select(named, m_new, m))
        assign(v, P.select(named, v_new, v))
        var1 = assign(var, P.select(named, var_new, var))
        if graph_semantics():  # MindSpore 2.10's graph gives var's new value as the lazy one's third output
            return zeroed(var1, m) + (var1,)
        return zeroed(var1, m, v)


class FusedSparseAdam(FusedSparseLazyAdam):
    lazy = False  # every row steps, an unnamed one with gradient 0

"""More of MindSpore's optimizer primitives that update Parameters in place: ApplyProximalGradientDescent,
ApplyAdagradDA and SparseApplyRMSProp, by the update rules of MindSpore 2.10's documentation over ops.assign
(inside a traced construct the update is the trace's; outside, the Parameters' data). Their values are
checked against MindSpore 2.10 on CPU in tests/clients/test_mindspore_optimizer_prims.py."""
from __future__ import annotations

from ._assign import assign
from .._tensor import Tensor
from ._extra import P
from ._scatter_ms import tensor_scatter_update

__all__ = ["ApplyProximalGradientDescent", "ApplyAdagradDA", "SparseApplyRMSProp", "ApplyProximalAdagrad"]


def _shrink(x, amount):
    """sign(x) * max(|x| - amount, 0): the soft threshold of the L1 proximal step."""
    return P.mul(P.sign(x), P.maximum(P.sub(P.abs(x), amount), 0.0))


def _positive(value) -> bool:
    """Whether a hyper-parameter given as a number is > 0 (a Tensor counts as maybe > 0: the formula
    with the threshold is exact for l1 = 0 too, since sign(x) max(|x|, 0) = x)."""
    return not isinstance(value, (int, float)) or value > 0


class ApplyProximalGradientDescent:
    """(var, alpha, l1, l2, delta) -> var: prox = var - alpha delta; var = shrink(prox, alpha l1) / (1 + alpha l2)."""

    def __init__(self, use_locking=False):
        pass

    def __call__(self, var, alpha, l1, l2, delta):
        prox = P.sub(var, P.mul(alpha, delta))
        if _positive(l1):
            prox = _shrink(prox, alpha * l1)
        return assign(var, P.div(prox, 1.0 + alpha * l2))  # numbers or Tensors


class ApplyProximalAdagrad:
    """(var, accum, lr, l1, l2, grad) -> (var, accum): accum += grad^2; with the adaptive rate
    a = lr / sqrt(accum), prox = var - a grad and var = shrink(prox, a l1) / (1 + a l2). MindSpore 2.10's
    CPU kernel (as TensorFlow's) takes a, not lr, in the shrink and the l2 term (its documentation writes lr;
    checked in its venv: l1 = 0.1, lr = 0.02, var 0.1, accum 0.2, grad 0.1 gives 0.0912713)."""

    def __init__(self, use_locking=False):
        if not isinstance(use_locking, bool):
            raise TypeError(f"For 'ApplyProximalAdagrad', 'use_locking' must be a bool, got {use_locking!r}")

    def __call__(self, var, accum, lr, l1, l2, grad):
        acc = assign(accum, P.add(accum, P.mul(grad, grad)))
        rate = P.div(lr, P.sqrt(acc))
        prox = P.sub(var, P.mul(rate, grad))
        if _positive(l1):
            prox = _shrink(prox, P.mul(rate, l1))
        return assign(var, P.div(prox, P.add(P.mul(rate, l2), 1.0))), acc


class ApplyAdagradDA:
    """(var, gradient_accumulator, gradient_squared_accumulator, grad, lr, l1, l2, global_step) -> var:
    the accumulators add grad and grad^2; var = -lr shrink(acc, l1 step) / (l2 step lr + sqrt(sq_acc)), the
    documented rule. MindSpore 2.10's CPU kernel departs from it where the accumulator is negative (it takes
    acc - l1 step there); gradserve keeps the documented shrink (tests/clients/test_mindspore_optimizer_prims.py)."""

    def __init__(self, use_locking=False):
        pass

    def __call__(self, var, gradient_accumulator, gradient_squared_accumulator, grad, lr, l1, l2, global_step):
        acc = assign(gradient_accumulator, P.add(gradient_accumulator, grad))
        sq = assign(gradient_squared_accumulator, P.add(gradient_squared_accumulator, P.mul(grad, grad)))
        step = P.cast(global_step, var.dtype) if hasattr(global_step, "dtype") else float(global_step)
        num = _shrink(acc, l1 * step) if _positive(l1) else acc
        den = P.add(P.sqrt(sq), l2 * step * lr)
        return assign(var, P.div(P.mul(num, -lr), den))


class SparseApplyRMSProp:
    """SparseApplyRMSProp(rho, momentum, epsilon)(var, ms, mom, lr, grad, indices) -> (var, ms, mom): the
    rows named by indices (grad's rows in order) take ApplyRMSProp's step with decay rho (where an element's
    gradient is 0 its ms stays, as MindSpore 2.10 on CPU does); other rows stay.
    Repeated indices are refused when known here (MindSpore's result for them depends on its kernel's
    order); inside a trace they are the caller's to keep unique (tensor_scatter_update keeps one row)."""

    def __init__(self, rho, momentum, epsilon, use_locking=False):
        self.rho, self.momentum, self.epsilon = float(rho), float(momentum), float(epsilon)

    def __call__(self, var, ms, mom, lr, grad, indices):
        if isinstance(indices, Tensor) and not indices.is_symbolic:
            seen = indices._host_copy().reshape(-1)
            if len(set(seen.tolist())) != seen.size:
                raise ValueError(f"SparseApplyRMSProp: indices {seen.tolist()} repeat a row; gradserve takes "
                                 "unique indices only")
        rows = P.expand_dims(indices, -1)
        # float16: each of ms, mom, var computed in float32 from the float16 values before it and rounded to
        # float16 (MindSpore 2.10's CPU kernel's rounding, checked against it)
        dt = var._dtype
        wide = "float32" if dt == "float16" else dt

        def widen(x):
            return P.cast(x, wide) if isinstance(x, Tensor) else x

        g = widen(grad)
        old_ms = widen(P.gather(ms, indices, 0))
        decayed = P.add(P.mul(old_ms, self.rho), P.mul(P.mul(g, g), 1.0 - self.rho))
        ms_rows = P.cast(P.select(P.equal(g, 0.0), old_ms, decayed), dt)  # a zero gradient keeps its ms (2.10)
        step = P.div(P.mul(widen(lr), g), P.sqrt(P.add(widen(ms_rows), self.epsilon)))
        mom_rows = P.cast(P.add(P.mul(widen(P.gather(mom, indices, 0)), self.momentum), step), dt)
        var_rows = P.cast(P.sub(widen(P.gather(var, indices, 0)), widen(mom_rows)), dt)
        ms1 = assign(ms, tensor_scatter_update(ms, rows, ms_rows))
        mom1 = assign(mom, tensor_scatter_update(mom, rows, mom_rows))
        var1 = assign(var, tensor_scatter_update(var, rows, var_rows))
        return var1, ms1, mom1

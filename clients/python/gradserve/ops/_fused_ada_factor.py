"""MindSpore 2.10's FusedAdaFactor / FusedAdaFactorWithGlobalNorm: one Adafactor step written into the Parameters
(param, exp_avg, exp_avg_sq_row / exp_avg_sq_col for a param of rank >= 2, exp_avg_sq for a vector), by the rule of
MindSpore's CPU kernel (fused_ada_factor_cpu_kernel.cc), computed in float32 and rounded back to the param's dtype:

    g = grad / global_norm (1 without one, or when it is < 1e-30);  u = g^2 + eps[0]
    rank >= 2 (last axis R, the one before it C):
        row = b2 row + (1 - b2) mean_R(u)                         (shape [..., C])
        col = max(b2 col + (1 - b2) mean_C(u), 1e-30)              (shape [..., R])
        update = g / max(sqrt(row / max(mean_C(row), 1e-30)) sqrt(col), 1e-30)
    vector: sq = max(b2 sq + (1 - b2) u, 1e-30); update = g / sqrt(sq)
    lr' = lr max(eps[1], rms(param)) with enable_scale_parameter, else lr
    update *= lr' / max(rms(update) / clip_threshold, 1)
    first moment: update = exp_avg = b1 exp_avg + (1 - b1) update
    param -= update (+ weight_decay lr' param with enable_weight_decay)."""
from __future__ import annotations

from .._tensor import Tensor
from ._assign import assign
from ._extra import P
from ._primitives import Primitive

__all__ = ["FusedAdaFactor", "FusedAdaFactorWithGlobalNorm"]

_TINY = 1e-30  # the kernel's kEps


def _f32(x):
    if isinstance(x, Tensor):
        return x if x._dtype == "float32" else P.cast(x, "float32")
    return Tensor(x, "float32")


def _rms(x):
    return P.sqrt(P.mean(P.mul(x, x)))


def _factored(g, u, b2, row, col):
    """The update of a param of rank >= 2 from the row / col factors, which are written back."""
    new_row = P.add(P.mul(_f32(row), b2), P.mul(P.mean(u, -1), 1.0 - b2))
    new_col = P.maximum(P.add(P.mul(_f32(col), b2), P.mul(P.mean(u, -2), 1.0 - b2)), _TINY)
    r = P.sqrt(P.div(new_row, P.maximum(P.mean(new_row, -1, True), _TINY)))
    norm = P.mul(P.expand_dims(r, -1), P.expand_dims(P.sqrt(new_col), -2))
    assign(row, P.cast(new_row, row._dtype))
    assign(col, P.cast(new_col, col._dtype))
    return P.div(g, P.maximum(norm, _TINY))


class FusedAdaFactor(Primitive):
    """See the module's doc. Inputs (epsilon pair, clip_threshold, beta1, beta2, weight_decay, learning_rate,
    gradient, param, exp_avg, exp_avg_sq_row, exp_avg_sq_col, exp_avg_sq); returns param, updated."""

    op = "fused_ada_factor"  # (no engine op of that name: composed in __call__)

    def __init__(self, enable_scale_parameter=False, enable_first_moment=False, enable_weight_decay=False):
        self.name, self.attrs = type(self).__name__, {}
        self.enable_scale_parameter = bool(enable_scale_parameter)
        self.enable_first_moment = bool(enable_first_moment)
        self.enable_weight_decay = bool(enable_weight_decay)

    def __call__(self, epsilon, clip_threshold, beta1, beta2, weight_decay, learning_rate, grad, param, exp_avg,
                 exp_avg_sq_row, exp_avg_sq_col, exp_avg_sq):
        return self._step(epsilon, clip_threshold, beta1, beta2, weight_decay, learning_rate, grad, param,
                          exp_avg, exp_avg_sq_row, exp_avg_sq_col, exp_avg_sq, 1.0)

    def _step(self, epsilon, clip, b1, b2, wd, lr, grad, param, exp_avg, row, col, sq, inv_norm):
        eps = [float(e) for e in (epsilon._host_copy() if isinstance(epsilon, Tensor) else epsilon)]
        clip, b1, b2, wd, lr = (float(v) for v in (clip, b1, b2, wd, lr))
        if clip <= 0 or not 0 <= b1 <= 1 or not 0 <= b2 <= 1 or min(eps) < 0:
            raise ValueError(f"For '{self.name}', clip_threshold must be > 0, beta1 / beta2 in [0, 1] and epsilon "
                             f">= 0, but got {clip}, {b1}, {b2}, {tuple(eps)}")
        if tuple(grad.shape) != tuple(param.shape):
            raise ValueError(f"For '{self.name}', grad_shape {tuple(grad.shape)} must equal param_shape "
                             f"{tuple(param.shape)}")
        g = P.mul(_f32(grad), inv_norm)
        u = P.add(P.mul(g, g), eps[0])
        if len(param.shape) >= 2:
            update = _factored(g, u, b2, row, col)
        else:
            new_sq = P.maximum(P.add(P.mul(_f32(sq), b2), P.mul(u, 1.0 - b2)), _TINY)
            assign(sq, P.cast(new_sq, sq._dtype))
            update = P.div(g, P.sqrt(new_sq))
        p = _f32(param)
        rate = P.mul(lr, P.maximum(_rms(p), eps[1])) if self.enable_scale_parameter else lr
        update = P.mul(update, P.div(rate, P.maximum(P.div(_rms(update), clip), 1.0)))
        if self.enable_first_moment:
            update = P.add(P.mul(_f32(exp_avg), b1), P.mul(update, 1.0 - b1))
            assign(exp_avg, P.cast(update, exp_avg._dtype))
        if self.enable_weight_decay:
            update = P.add(update, P.mul(P.mul(p, wd), rate))
        return assign(param, P.cast(P.sub(p, update), param._dtype))


class FusedAdaFactorWithGlobalNorm(FusedAdaFactor):
    """FusedAdaFactor with the gradient divided by global_norm (by 1 where it is below 1e-30), the last input
    (a subclass as MindSpore's is, so its call takes one input more)."""

    def __call__(  # pyright: ignore[reportIncompatibleMethodOverride]
            self, epsilon, clip_threshold, beta1, beta2, weight_decay, learning_rate, grad, param, exp_avg,
            exp_avg_sq_row, exp_avg_sq_col, exp_avg_sq, global_norm):
        norm = _f32(global_norm)
        inv = P.select(P.less(norm, _TINY), P.ones_like(norm), P.div(1.0, norm))
        return self._step(epsilon, clip_threshold, beta1, beta2, weight_decay, learning_rate, grad, param,
                          exp_avg, exp_avg_sq_row, exp_avg_sq_col, exp_avg_sq, inv)

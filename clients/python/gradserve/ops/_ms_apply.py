"""MindSpore's optimizer primitives that update Parameters in place: ApplyGradientDescent, ApplyMomentum,
ApplyAdagrad, ApplyAdadelta, ApplyRMSProp, ApplyCenteredRMSProp, Adam, ApplyAdamWithAmsgrad(V2), ApplyFtrl and ApplyAdaMax, by their documented update rules over ops.assign
(inside a traced construct the update is the trace's; outside, the Parameters' data). Values checked against MindSpore 2.10
on CPU for this task."""
from __future__ import annotations

import numpy as np

from .._tensor import Tensor
from ._assign import assign
from ._extra import P
from .._late import late

__all__ = ["AdamWeightDecay", "ApplyGradientDescent", "ApplyMomentum", "ApplyAdagrad", "ApplyAdadelta", "ApplyRMSProp", "ApplyCenteredRMSProp", "Adam", "ApplyAdamWithAmsgrad",
           "ApplyAdamWithAmsgradV2", "ApplyFtrl", "ApplyAdagradV2", "ApplyAdaMax"]


class _Primitive:
    """What every one of these primitives takes from MindSpore's Primitive: set_device (one device here)."""

    def set_device(self, device_target):
        return self


class AdamWeightDecay(_Primitive):
    """(var, m, v, lr, beta1, beta2, epsilon, decay, gradient) -> (var, m, v): m = beta1 m + (1 - beta1) g,
    v = beta2 v + (1 - beta2) g^2, var -= lr (m / (sqrt(v) + epsilon) + decay var) (MindSpore's documented rule:
    no bias correction)."""

    def __init__(self, use_locking=False):
        pass

    def __call__(self, var, m, v, lr, beta1, beta2, epsilon, decay, gradient):
        m1 = assign(m, P.add(P.mul(m, beta1), P.mul(gradient, _one_minus(beta1))))
        v1 = assign(v, P.add(P.mul(v, beta2), P.mul(P.mul(gradient, gradient), _one_minus(beta2))))
        update = P.add(P.div(m1, P.add(P.sqrt(v1), epsilon)), P.mul(decay, var))
        return assign(var, P.sub(var, P.mul(lr, update))), m1, v1


class ApplyGradientDescent(_Primitive):
    """(var, alpha, delta) -> var = var - alpha * delta."""

    def __call__(self, var, alpha, delta):
        return assign(var, P.sub(var, P.mul(alpha, delta)))


class ApplyMomentum(_Primitive):
    """(variable, accumulation, learning_rate, gradient, momentum) -> variable: accum = accum * momentum + grad;
    var -= lr * accum (Nesterov: lr * (grad + accum * momentum)); gradient_scale scales grad first."""

    def __init__(self, use_nesterov=False, use_locking=False, gradient_scale=1.0):
        self.use_nesterov, self.gradient_scale = bool(use_nesterov), float(gradient_scale)

    def __call__(self, variable, accumulation, learning_rate, gradient, momentum):
        g = gradient if self.gradient_scale == 1.0 else P.mul(gradient, self.gradient_scale)
        acc = assign(accumulation, P.add(P.mul(accumulation, momentum), g))
        step = P.add(g, P.mul(acc, momentum)) if self.use_nesterov else acc
        return assign(variable, P.sub(variable, P.mul(learning_rate, step)))


class ApplyAdagrad(_Primitive):
    """(var, accum, lr, grad) -> (var, accum): accum += grad^2 (update_slots); var -= lr * grad / sqrt(accum)."""

    def __init__(self, update_slots=True):
        self.update_slots = bool(update_slots)

    def __call__(self, var, accum, lr, grad):
        acc = assign(accum, P.add(accum, P.mul(grad, grad))) if self.update_slots else accum
        return assign(var, P.sub(var, P.div(P.mul(lr, grad), P.sqrt(acc)))), acc


class ApplyAdadelta(_Primitive):
    """(var, accum, accum_update, lr, rho, epsilon, grad) -> (var, accum, accum_update), MindSpore's documented rule:
    accum = rho accum + (1 - rho) grad^2; update = sqrt(accum_update + epsilon) / sqrt(accum + epsilon) * grad;
    accum_update = rho accum_update + (1 - rho) update^2; var -= lr update. Scalars may be Python numbers."""

    def __init__(self, use_locking=False):
        self.use_locking = use_locking

    def __call__(self, var, accum, accum_update, lr, rho, epsilon, grad):
        lr, rho, epsilon = (_scalar(s, var) for s in (lr, rho, epsilon))
        acc = assign(accum, P.add(P.mul(accum, rho), P.mul(P.mul(grad, grad), _one_minus(rho))))
        update = P.mul(P.div(P.sqrt(P.add(accum_update, epsilon)), P.sqrt(P.add(acc, epsilon))), grad)
        acc_up = assign(accum_update, P.add(P.mul(accum_update, rho), P.mul(P.mul(update, update), _one_minus(rho))))
        return assign(var, P.sub(var, P.mul(lr, update))), acc, acc_up


class ApplyAdagradV2(_Primitive):
    """ApplyAdagradV2(epsilon, update_slots=True)(var, accum, lr, grad) -> (var, accum): ApplyAdagrad with
    var -= lr * grad / (sqrt(accum) + epsilon). Its kernel takes float16 / float32 (documented): MindSpore 2.10
    computes float64 Parameters in float32 and writes the rounded values back (checked in its venv), so here too."""

    def __init__(self, epsilon, update_slots=True):
        if isinstance(epsilon, bool) or not isinstance(epsilon, (int, float)):
            raise TypeError(f"For 'ApplyAdagradV2', 'epsilon' must be a float, got {epsilon!r}")
        self.epsilon, self.update_slots = float(epsilon), bool(update_slots)

    def __call__(self, var, accum, lr, grad):
        dt = var._dtype
        work = "float32" if dt == "float64" else dt
        v, a, g = (P.cast(t, work) if t._dtype != work else t for t in (var, accum, grad))
        acc = P.add(a, P.mul(g, g)) if self.update_slots else a
        new = P.sub(v, P.div(P.mul(lr, g), P.add(P.sqrt(acc), self.epsilon)))
        acc1 = assign(accum, P.cast(acc, dt)) if self.update_slots else accum
        return assign(var, P.cast(new, dt)), acc1


class ApplyRMSProp(_Primitive):
    """(var, mean_square, moment, learning_rate, grad, decay, momentum, epsilon) -> var:
    ms = decay ms + (1 - decay) grad^2; moment = momentum moment + lr grad / sqrt(ms + eps); var -= moment."""

    def __init__(self, use_locking=False):
        pass

    def __call__(self, var, mean_square, moment, learning_rate, grad, decay, momentum, epsilon):
        ms = assign(mean_square, P.add(P.mul(mean_square, decay), P.mul(P.mul(grad, grad), 1.0 - decay)))
        mom = assign(moment, P.add(P.mul(moment, momentum),
                                   P.div(P.mul(learning_rate, grad), P.sqrt(P.add(ms, epsilon)))))
        return assign(var, P.sub(var, mom))


class ApplyCenteredRMSProp(_Primitive):
    """(var, mean_gradient, mean_square, moment, grad, learning_rate, decay, momentum, epsilon) -> var:
    mg = decay mg + (1 - decay) grad; ms = decay ms + (1 - decay) grad^2;
    moment = momentum moment + lr grad / sqrt(ms - mg^2 + eps); var -= moment (MindSpore's documented rule)."""

    def __init__(self, use_locking=False):
        pass

    def __call__(self, var, mean_gradient, mean_square, moment, grad, learning_rate, decay, momentum, epsilon):
        mg = assign(mean_gradient, P.add(P.mul(mean_gradient, decay), P.mul(grad, 1.0 - decay)))
        ms = assign(mean_square, P.add(P.mul(mean_square, decay), P.mul(P.mul(grad, grad), 1.0 - decay)))
        scale = P.sqrt(P.add(P.sub(ms, P.mul(mg, mg)), epsilon))
        mom = assign(moment, P.add(P.mul(moment, momentum), P.div(P.mul(learning_rate, grad), scale)))
        return assign(var, P.sub(var, mom))


class Adam(_Primitive):
    """(var, m, v, beta1_power, beta2_power, lr, beta1, beta2, epsilon, grad) -> (var, m, v):
    m, v the moving moments; var -= lr sqrt(1 - beta2_power) / (1 - beta1_power) * m / (sqrt(v) + eps)
    (Nesterov: m * beta1 + (1 - beta1) * grad in place of m)."""

    def __init__(self, use_locking=False, use_nesterov=False):
        self.use_nesterov = bool(use_nesterov)

    def __call__(self, var, m, v, beta1_power, beta2_power, lr, beta1, beta2, epsilon, grad):
        m1 = assign(m, P.add(P.mul(m, beta1), P.mul(grad, P.sub(1.0, beta1))))
        v1 = assign(v, P.add(P.mul(v, beta2), P.mul(P.mul(grad, grad), P.sub(1.0, beta2))))
        rate = P.div(P.mul(lr, P.sqrt(P.sub(1.0, beta2_power))), P.sub(1.0, beta1_power))
        step = P.add(P.mul(m1, beta1), P.mul(grad, P.sub(1.0, beta1))) if self.use_nesterov else m1
        new = assign(var, P.sub(var, P.mul(rate, P.div(step, P.add(P.sqrt(v1), epsilon)))))
        return new, m1, v1


def _scalar(s, like):
    return s if isinstance(s, Tensor) else Tensor(np.asarray(s, dtype=like.dtype.name))


class ApplyAdaMax(_Primitive):
    """(var, m, v, beta1_power, lr, beta1, beta2, epsilon, grad) -> (var, m, v): m = beta1 m + (1 - beta1) grad,
    v = max(beta2 v, |grad|), var -= lr / (1 - beta1_power) * m / (v + epsilon) (MindSpore's documented rule; the
    AdaMax optimizer's step, nn/optim/_more.py)."""

    def __call__(self, var, m, v, beta1_power, lr, beta1, beta2, epsilon, grad):
        # Python numbers in var's dtype first (MindSpore's kernel: 1 - beta1 rounded as float32 there)
        beta1_power, lr, beta1, beta2, epsilon = (
            s if isinstance(s, Tensor) else Tensor(np.asarray(s, var.dtype.name))
            for s in (beta1_power, lr, beta1, beta2, epsilon))
        m1 = assign(m, P.add(P.mul(m, beta1), P.mul(grad, _one_minus(beta1))))
        v1 = assign(v, P.maximum(P.mul(v, beta2), P.abs(grad)))
        step = P.mul(P.div(lr, _one_minus(beta1_power)), P.div(m1, P.add(v1, epsilon)))
        return assign(var, P.sub(var, step)), m1, v1


def _one_minus(b):
    return 1.0 - b if isinstance(b, (int, float)) else P.sub(1.0, b)  # (V1's betas are Python numbers)


def _amsgrad_step(var, m, v, vhat, beta1_power, beta2_power, lr, beta1, beta2, epsilon, grad):
    """Adam with vhat = max(vhat, v) in the denominator (MindSpore's documented rule); all four written back.
    The scalars may be Python numbers or Tensors."""
    beta1_power, beta2_power, lr = (_scalar(s, var) for s in (beta1_power, beta2_power, lr))
    m1 = assign(m, P.add(P.mul(m, beta1), P.mul(grad, _one_minus(beta1))))
    v1 = assign(v, P.add(P.mul(v, beta2), P.mul(P.mul(grad, grad), _one_minus(beta2))))
    vhat1 = assign(vhat, P.maximum(vhat, v1))
    rate = P.div(P.mul(lr, P.sqrt(P.sub(1.0, beta2_power))), P.sub(1.0, beta1_power))
    new = assign(var, P.sub(var, P.mul(rate, P.div(m1, P.add(P.sqrt(vhat1), epsilon)))))
    return new, m1, v1, vhat1


class ApplyAdamWithAmsgrad(_Primitive):
    """ApplyAdamWithAmsgrad(beta1=0.9, beta2=0.999, epsilon=1e-8, use_locking=False)
    (var, m, v, vhat, beta1_power, beta2_power, lr, grad) -> (var, m, v, vhat)."""

    def __init__(self, beta1=0.9, beta2=0.999, epsilon=1e-8, use_locking=False):
        self.beta1, self.beta2, self.epsilon = beta1, beta2, epsilon

    def __call__(self, var, m, v, vhat, beta1_power, beta2_power, lr, grad):
        return _amsgrad_step(var, m, v, vhat, beta1_power, beta2_power, lr, self.beta1, self.beta2, self.epsilon,
                             grad)


class ApplyAdamWithAmsgradV2:
    """ApplyAdamWithAmsgradV2(use_locking=False)
    (var, m, v, vhat, beta1_power, beta2_power, lr, beta1, beta2, epsilon, grad) -> (var, m, v, vhat)."""

    def __init__(self, use_locking=False):
        self.use_locking = use_locking

    def __call__(self, var, m, v, vhat, beta1_power, beta2_power, lr, beta1, beta2, epsilon, grad):
        return _amsgrad_step(var, m, v, vhat, beta1_power, beta2_power, lr, beta1, beta2, epsilon, grad)


class ApplyFtrl:
    """ApplyFtrl(use_locking=False)(var, accum, linear, grad, lr, l1, l2, lr_power) -> var, by MindSpore's
    documented FTRL rule, written into var, accum and linear (Parameters, or Tensors in place):
    accum' = accum + g^2; sigma = (accum'^-p - accum^-p) / lr; linear' = linear + g - sigma var;
    var' = (sign(linear') l1 - linear') / (accum'^-p / lr + 2 l2) where |linear'| > l1, else 0."""

    def __init__(self, use_locking=False):
        self.use_locking = bool(use_locking)

    def __call__(self, var, accum, linear, grad, lr, l1, l2, lr_power):
        o = late.ops
        acc = o.add(accum, o.mul(grad, grad))
        neg_p = o.neg(lr_power) if isinstance(lr_power, Tensor) else -lr_power
        p_new, p_old = o.pow(acc, neg_p), o.pow(accum, neg_p)
        lin = o.sub(o.add(linear, grad), o.mul(o.div(o.sub(p_new, p_old), lr), var))
        num = o.sub(o.mul(o.sign(lin), l1), lin)
        den = o.add(o.div(p_new, lr), o.mul(l2, 2.0))
        new = o.select(o.greater(o.abs(lin), l1), o.cast(o.div(num, den), var.dtype), o.zeros_like(var))
        o.assign(accum, o.cast(acc, accum.dtype))
        o.assign(linear, o.cast(lin, linear.dtype))
        return o.assign(var, new)

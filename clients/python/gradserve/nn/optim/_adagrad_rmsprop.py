"""nn.Adagrad, nn.RMSProp and nn.Adadelta, on NumPy in the client like the other optimizers (`_training`), with the update
rules of MindSpore 2.10's documentation (P.ApplyAdagrad / P.ApplyRMSProp / P.ApplyCenteredRMSProp), in the
parameter's dtype; values checked against MindSpore 2.10 step by step (tests/clients/test_mindspore_optimizer_prims.py,
test_mindspore_seed19.py). State under MindSpore's names: Adagrad's `accum`; RMSProp's `mean_square` (starting at
ones), `moment` and, centered, `mean_grad`; Adadelta's `accum` and `accum_update`."""
from __future__ import annotations

import numpy as np

from ..._training import Optimizer

__all__ = ["Adagrad", "RMSProp", "Adadelta"]


class Adagrad(Optimizer):
    """accum += g^2 (update_slots); w -= lr g / sqrt(accum); accum starts at `accum`."""
    _state_names = _state_prefixes = ("accum",)

    def __init__(self, params, accum=0.1, learning_rate=0.001, update_slots=True, loss_scale=1.0, weight_decay=0.0):
        if not accum >= 0:
            raise ValueError(f"For 'Adagrad', 'accum' must be >= 0, got {accum!r}")
        self.initial_accum, self.update_slots = float(accum), bool(update_slots)
        super().__init__(learning_rate, params, weight_decay, loss_scale)

    def _init_state(self, p):
        return (np.full_like(p, self.initial_accum),)

    def _update(self, w, g, state, lr):
        (acc,) = state
        if self.update_slots:
            acc = acc + g * g
        return (acc,), w - lr * g / np.sqrt(acc)


class RMSProp(Optimizer):
    """ms = decay ms + (1 - decay) g^2; centered: mg = decay mg + (1 - decay) g and the denominator
    sqrt(ms - mg^2 + eps), else sqrt(ms + eps); mom = momentum mom + lr g / denominator; w -= mom."""
    _state_names = ("mean_square", "moment", "mean_grad")

    @property
    def _state_prefixes(self) -> tuple:  # type: ignore[override]  # (mean_grad a Parameter when centered only)
        return self._state_names if self.centered else (*self._state_names[:2], None)

    def __init__(self, params, learning_rate=0.1, decay=0.9, momentum=0.0, epsilon=1e-10, use_locking=False,
                 centered=False, loss_scale=1.0, weight_decay=0.0):
        if not (decay >= 0.0 and momentum >= 0.0 and epsilon > 0.0):
            raise ValueError("For 'RMSProp', decay and momentum must be >= 0 and epsilon > 0")
        self.decay, self.momentum, self.epsilon = float(decay), float(momentum), float(epsilon)
        self.centered = bool(centered)
        super().__init__(learning_rate, params, weight_decay, loss_scale)
        if self.centered:  # (MindSpore makes mean_grad first)
            self._gs_slot_params = self._gs_slot_params[2:] + self._gs_slot_params[:2]

    def _init_state(self, p):
        return np.ones_like(p), np.zeros_like(p), np.zeros_like(p)

    def _update(self, w, g, state, lr):
        t = w.dtype.type
        d = t(self.decay)
        ms, mom, mg = state
        ms = d * ms + (t(1) - d) * g * g
        if self.centered:
            mg = d * mg + (t(1) - d) * g
            denom = np.sqrt(ms - mg * mg + t(self.epsilon))
        else:
            denom = np.sqrt(ms + t(self.epsilon))
        mom = t(self.momentum) * mom + lr * g / denom
        return (ms, mom, mg), w - mom


class Adadelta(Optimizer):
    """accum = rho accum + (1 - rho) g^2; update = sqrt(accum_update + eps) / sqrt(accum + eps) g;
    accum_update = rho accum_update + (1 - rho) update^2; w -= lr update (P.ApplyAdadelta); both start at 0."""
    _state_names = _state_prefixes = ("accum", "accum_update")

    def __init__(self, params, learning_rate=1.0, rho=0.9, epsilon=1e-6, loss_scale=1.0, weight_decay=0.0):
        if not 0.0 <= rho <= 1.0 or not epsilon >= 0.0:
            raise ValueError(f"For 'Adadelta', rho must be in [0, 1] and epsilon >= 0, got {rho!r} and {epsilon!r}")
        self.rho, self.epsilon = float(rho), float(epsilon)
        super().__init__(learning_rate, params, weight_decay, loss_scale)

    def _init_state(self, p):
        return np.zeros_like(p), np.zeros_like(p)

    def _update(self, w, g, state, lr):
        t = w.dtype.type
        rho, eps = t(self.rho), t(self.epsilon)
        acc, acc_up = state
        acc = rho * acc + (t(1) - rho) * g * g
        update = np.sqrt(acc_up + eps) / np.sqrt(acc + eps) * g
        acc_up = rho * acc_up + (t(1) - rho) * update * update
        return (acc, acc_up), w - lr * update

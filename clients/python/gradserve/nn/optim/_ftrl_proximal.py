"""nn.FTRL and nn.ProximalAdagrad, on NumPy in the client like the other optimizers (`_training`), with the update
rules of the primitives MindSpore 2.10's cells map over their parameters (P.ApplyFtrl, P.ApplyProximalAdagrad:
ops/_ms_apply.py and ops/_apply_proximal.py hold their engine forms), in the parameter's dtype. State under
MindSpore's names: FTRL's `moments` (from initial_accum) and `linear`; ProximalAdagrad's `accum`."""
from __future__ import annotations

import numpy as np

from ..._training import Optimizer, _decay, _state_slots
from ._more import _float

__all__ = ["FTRL", "ProximalAdagrad"]


def _non_negative(v, what: str, cls: str) -> float:
    if not _float(v, what, cls) >= 0.0:
        raise ValueError(f"For '{cls}', the argument '{what}' must be >= 0.0, but got {v}")
    return v


def _use_locking(v, cls: str) -> None:
    if not isinstance(v, bool):
        raise TypeError(f"For '{cls}', the type of 'use_locking' should be bool, but got {type(v).__name__}")


class FTRL(Optimizer):
    """accum' = accum + g^2; linear += g - (accum'^-p - accum^-p) / lr * w; w = (sign(linear) l1 - linear) /
    (accum'^-p / lr + 2 l2) where |linear| > l1, else 0 (p: lr_power). A fixed float learning rate only, and
    without parameter groups the weight decay reaches every parameter (MindSpore's decay_flags), 'beta' and
    'gamma' too."""
    _state_names = _state_prefixes = ("moments", "linear")

    def __init__(self, params, initial_accum=0.1, learning_rate=0.001, lr_power=-0.5, l1=0.0, l2=0.0,
                 use_locking=False, loss_scale=1.0, weight_decay=0.0):
        super().__init__(learning_rate, params, weight_decay, loss_scale)
        if self.dynamic_lr or self.is_group_lr:
            raise ValueError(f"For 'FTRL', dynamic learning rate and group learning rate are not supported, but "
                             f"got dynamic learning rate {self.dynamic_lr} and group learning rate {self.is_group_lr}")
        self.initial_accum = _non_negative(initial_accum, "initial_accum", "FTRL")
        if not _float(learning_rate, "learning_rate", "FTRL") > 0.0:
            raise ValueError(f"For 'FTRL', 'learning_rate' must be > 0.0, but got {learning_rate}")
        if not _float(lr_power, "lr_power", "FTRL") <= 0.0:
            raise ValueError(f"For 'FTRL', the argument 'lr_power' must be <= 0.0, but got {lr_power}")
        self.lr_power = lr_power
        self.l1, self.l2 = _non_negative(l1, "l1", "FTRL"), _non_negative(l2, "l2", "FTRL")
        _use_locking(use_locking, "FTRL")
        self._gs_state, self._gs_slot_params = _state_slots(  # (initial_accum known only now)
            [self._init_state(p._data) for p in self._gs_params], list(self._gs_params), self._gs_param_keys,
            self._state_prefixes)
        if not self.is_group:
            decayed = {"lr": self._group[0]["lr"], "weight_decay": _decay(weight_decay, "weight_decay")}
            self._group = [decayed] * len(self._group)

    def _init_state(self, p):
        return np.full_like(p, getattr(self, "initial_accum", 0.0)), np.zeros_like(p)

    def _powered(self, acc):
        return np.sqrt(acc) if self.lr_power == -0.5 else acc ** acc.dtype.type(-self.lr_power)

    def _update(self, w, g, state, lr):
        t = w.dtype.type
        acc, lin = state
        acc_new = acc + g * g
        p_new = self._powered(acc_new)
        lin = lin + g - (p_new - self._powered(acc)) / lr * w
        quadratic = p_new / lr + t(2) * t(self.l2)
        l1 = t(self.l1)
        new = np.where(np.abs(lin) > l1, (np.sign(lin) * l1 - lin) / quadratic, t(0)).astype(w.dtype)
        return (acc_new, lin), new


class ProximalAdagrad(Optimizer):
    """accum += g^2; a = lr / sqrt(accum); prox = w - a g; w = sign(prox) max(|prox| - a l1, 0) / (1 + a l2)
    (MindSpore 2.10's kernel takes the adaptive rate a in the shrink and the l2 term: ops.ApplyProximalAdagrad)."""
    _state_names = _state_prefixes = ("accum",)

    def __init__(self, params, accum=0.1, learning_rate=0.001, l1=0.0, l2=0.0, use_locking=False, loss_scale=1.0,
                 weight_decay=0.0):
        self.initial_accum = _non_negative(accum, "accum", "ProximalAdagrad")
        self.l1, self.l2 = _non_negative(l1, "l1", "ProximalAdagrad"), _non_negative(l2, "l2", "ProximalAdagrad")
        _use_locking(use_locking, "ProximalAdagrad")
        super().__init__(learning_rate, params, weight_decay, loss_scale)

    def _init_state(self, p):
        return (np.full_like(p, self.initial_accum),)

    def _update(self, w, g, state, lr):
        t = w.dtype.type
        acc = state[0] + g * g
        rate = lr / np.sqrt(acc)
        prox = w - rate * g
        if self.l1 > 0:
            prox = np.sign(prox) * np.maximum(np.abs(prox) - rate * t(self.l1), t(0))
        return (acc,), prox / (t(1) + rate * t(self.l2))

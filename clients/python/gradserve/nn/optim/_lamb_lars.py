"""nn.Lamb and nn.LARS, on NumPy in the client like the other optimizers (`_training`), with the update rules of
MindSpore 2.10's documentation (nn.Lamb's formula; nn.LARS over P.LARSUpdate). MindSpore 2.10 itself refuses
both on CPU ("Unsupported op [Lamb] / [LARSUpdate] on CPU"), so the details the formula leaves open follow
MindSpore's earlier composite Lamb: the trust ratio ||w|| / ||r + wd w|| is 1 where ||w|| or ||g|| is 0 and is
clipped to [0, 10]. Tests: tests/clients/test_mindspore_lamb_lars.py."""
from __future__ import annotations

from typing import Any

import numpy as np

from ..._training import Optimizer
from ._more import _AdamDecoupled, _float

__all__ = ["Lamb", "LARS"]

_MAX_TRUST_RATIO = 10.0


def _decay_at(wd: Any, step0: int) -> float:
    """A weight decay (a number, or a schedule of the 0-based step) at step0."""
    if isinstance(wd, (int, float, np.floating)):
        return float(wd)
    return float(wd(step0))


class Lamb(_AdamDecoupled):
    """m = b1 m + (1-b1) g; v = b2 v + (1-b2) g^2; r = (m / (1-b1^t)) / (sqrt(v / (1-b2^t)) + eps);
    u = r + wd w; w -= lr * trust * u with trust = ||w|| / ||u|| per parameter (see the module)."""

    _state_prefixes = ("lamb_m", "lamb_v")  # (MindSpore's Parameters of its moments1 / moments2)

    def __init__(self, params, learning_rate, beta1=0.9, beta2=0.999, eps=1e-6, weight_decay=0.0):
        b1, b2, e = (_float(v, n, "Lamb") for v, n in ((beta1, "beta1"), (beta2, "beta2"), (eps, "eps")))
        for name, v in (("beta1", b1), ("beta2", b2)):
            if not 0.0 < v < 1.0:
                raise ValueError(f"For 'Lamb', '{name}' must be in (0.0, 1.0), but got {v}")
        if e <= 0.0:
            raise ValueError(f"For 'Lamb', 'eps' must be greater than 0, but got {e}")
        self.beta1, self.beta2, self.eps = b1, b2, e
        super().__init__(learning_rate, params, weight_decay)

    def _update_decayed(self, w, g, state, lr, wd):
        t = w.dtype.type
        b1, b2, step = t(self.beta1), t(self.beta2), self._steps_done()
        m, v = self._adam_moments(g, state, t)
        m_hat = m / (t(1) - b1 ** t(step))  # b1^t in the parameter's dtype, as MindSpore's float32 beta1 Tensor
        v_hat = v / (t(1) - b2 ** t(step))
        update = m_hat / (np.sqrt(v_hat) + t(self.eps))
        if wd:
            update = update + wd * w
        w_norm, g_norm, u_norm = (np.sqrt(np.sum(a * a)) for a in (w, g, update))
        trust = t(1) if not (w_norm > 0 and g_norm > 0) else t(min(w_norm / u_norm, _MAX_TRUST_RATIO))
        return (m, v), w - lr * trust * update


class LARS(Optimizer):
    """Wraps an optimizer: each parameter the filter selects gets its gradient replaced by
    (g + wd w) * coefficient ||w|| / (||g|| + wd ||w|| + epsilon) (1 where ||w|| or ||g|| is 0) before the
    wrapped optimizer steps; the weight decay moves from the wrapped optimizer into LARS (MindSpore turns the
    optimizer's own off), so parameters the filter skips get none."""

    def __init__(self, optimizer, epsilon=1e-05, coefficient=0.001, use_clip=False,
                 lars_filter=lambda x: "LayerNorm" not in x.name and "bias" not in x.name):
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"For 'LARS', 'optimizer' must be an nn.Optimizer, but got {type(optimizer).__name__}")
        self.epsilon = _float(epsilon, "epsilon", "LARS")
        self.coefficient = _float(coefficient, "coefficient", "LARS")
        if not isinstance(use_clip, bool):
            raise TypeError(f"For 'LARS', the type of 'use_clip' should be bool, but got {type(use_clip).__name__}")
        if use_clip:  # the clipped local rate's exact form is not in MindSpore's documentation: no guess
            raise NotImplementedError("For 'LARS', use_clip=True is not supported by gradserve (use_clip=False is)")
        params = optimizer.parameters
        super().__init__(0.0, list(params))
        # MindSpore 2.10's: one global_step, the wrapped optimizer's (its step counts LARS's), and LARS's own
        # rate a Parameter 'fake_lr' (the wrapped optimizer's 'learning_rate' is the one used)
        object.__setattr__(self, "global_step", optimizer.global_step)
        self._gs_lr_of[0].name = "fake_lr"
        self.opt = optimizer
        self.lars_flag = tuple(bool(lars_filter(p)) for p in params)
        # MindSpore's LARS takes over the weight decay and the loss scale of the optimizer it wraps
        self._decays: list[Any] = [grp["weight_decay"] for grp in optimizer._group]  # numbers or schedules
        groups: dict = {}
        optimizer._group = [groups.setdefault(id(g), dict(g, weight_decay=0.0)) for g in optimizer._group]
        self._inner_scale, optimizer.loss_scale = optimizer.loss_scale, 1.0

    @property
    def learning_rate(self) -> float:
        return self.opt.get_lr()

    def get_lr(self) -> float:
        return self.opt.get_lr()

    def __call__(self, gradients):
        grads = list(gradients) if isinstance(gradients, (tuple, list)) else [gradients]
        params = self._gs_params
        if len(grads) != len(params):
            raise ValueError(f"LARS: {len(grads)} gradient(s) for {len(params)} parameter(s)")
        step0 = self.opt._steps_done()  # the 0-based step a dynamic weight decay is asked at
        scale = self._inner_scale
        out = []
        for p, g, use, wd in zip(params, grads, self.lars_flag, self._decays):
            w = p._data
            t = w.dtype.type
            g = np.asarray(g._host_copy() if hasattr(g, "_host_copy") else g).astype(w.dtype, copy=False)
            if g.shape != w.shape:
                raise ValueError(f"LARS: a gradient of shape {list(g.shape)} for parameter {p.name!r} "
                                 f"of shape {list(w.shape)}")
            if scale != 1.0:
                g = g / t(scale)
            if use:
                decay = _decay_at(wd, step0)
                d = t(decay / scale)
                w_norm, g_norm = np.sqrt(np.sum(w * w)), np.sqrt(np.sum(g * g))
                coeff = t(self.coefficient) * w_norm / (g_norm + d * w_norm + t(self.epsilon)) \
                    if w_norm > 0 and g_norm > 0 else t(1)
                g = (g + d * w) * coeff
            out.append(g)
        return self.opt(out)

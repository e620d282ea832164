"""MindSpore's ASGD, Rprop, AdaMax and AdamWeightDecay optimizers, on NumPy in the client like the others (`_training`), with
the update formulas of MindSpore 2.10's own implementations (mindspore/nn/optim/asgd.py, rprop.py and
P.ApplyAdaMax, which AdaMax calls), in the parameter's dtype. Their state is readable under MindSpore's
attribute names (ASGD's `ax` / `mu` / `eta`, Rprop's `prev` / `step_size`, AdaMax's `moment1` /
`moment2`), one Tensor per parameter, as MindSpore's own tests read it."""
from __future__ import annotations

import numpy as np

from ..._tensor import Parameter, Tensor
from ..._training import Optimizer


def _float(v, what: str, cls: str) -> float:
    if not isinstance(v, float):  # MindSpore's validator: a float, not an int
        raise TypeError(f"For '{cls}', the type of '{what}' should be float, but got {type(v).__name__}")
    return v


class _AdamDecoupled(Optimizer):
    """The state and decay of AdamWeightDecay and Lamb: Adam's two moments per parameter (Optimizer._adam_moments),
    readable as `moments1` / `moments2`; the weight decay joins the update (_update_decayed), not the gradient."""
    _state_names = ("moments1", "moments2")
    _decoupled_decay = True

    def _init_state(self, p):
        return np.zeros_like(p), np.zeros_like(p)


class ASGD(Optimizer):
    """Averaged SGD: w = w (1 - lambd eta) - eta g; ax, the average, follows w (ax += (w - ax) mu once mu < 1);
    then eta = lr / (1 + lambd lr t)^alpha and mu = 1 / max(1, t - t0) (t: the step, from 1)."""
    _state_names = ("mu", "eta", "ax")
    _state_prefixes = ("mu_{}", "eta_{}", "ax_")  # (MindSpore 2.10's names: 'mu_fc.weight', 'ax_.fc.weight')

    def __init__(self, params, learning_rate=0.1, lambd=1e-4, alpha=0.75, t0=1e6, weight_decay=0.0):
        self.lambd, self.alpha = _float(lambd, "lambd", "ASGD"), _float(alpha, "alpha", "ASGD")
        self.t0 = _float(t0, "t0", "ASGD")
        super().__init__(learning_rate, params, weight_decay)

    def _init_state(self, p):
        return np.float32(1.0), np.float32(0.0), np.zeros_like(p)

    def _update(self, w, g, state, lr):
        mu, eta, ax = state
        t, step = w.dtype.type, self._steps_done()
        eta = lr if step == 1 else eta  # the first step's eta is its learning rate
        new = w * (t(1) - t(self.lambd) * eta) - eta * g
        ax = ax + (new - ax) * mu if mu != 1 else new.copy()
        eta = t(lr / (1.0 + self.lambd * lr * step) ** self.alpha)
        mu = np.float32(1.0 / max(1.0, np.float32(step) - np.float32(self.t0)))
        return (mu, eta, ax), new


class Rprop(Optimizer):
    """Resilient backpropagation: per element, the step size grows by etaplus where the gradient kept its sign
    since the last step, shrinks by etaminus where it flipped (and that gradient counts as 0), clipped to
    step_sizes; w -= sign(g) step. The first step's size is the learning rate."""
    _state_names = _state_prefixes = ("prev", "step_size")

    def __init__(self, params, learning_rate=0.1, etas=(0.5, 1.2), step_sizes=(1e-6, 50.), weight_decay=0.):
        for what, pair in (("etas", etas), ("step_sizes", step_sizes)):  # MindSpore 2.10's exception types
            if not isinstance(pair, tuple):
                raise TypeError(f"For Rprop, {what} must be a tuple, but got {type(pair)}.")
            if len(pair) != 2:
                raise ValueError(f"For Rprop, {what} must be a tuple with the size of 2, but got {len(pair)}.")
        # MindSpore 2.10's order and texts
        if step_sizes[0] > step_sizes[1]:
            raise ValueError("For Rprop, maximal step size should not be less than minimal step size, "
                             f"but got {step_sizes[0]} > {step_sizes[1]}.")
        if not 0.0 < _float(etas[0], "etaminus", "Rprop") < 1.0:
            raise ValueError(f"For 'Rprop', the 'etaminus' must be in range of (0.0, 1.0), but got {etas[0]} with type "
                             f"'{type(etas[0]).__name__}'.")
        if _float(etas[1], "etaplus", "Rprop") <= 1.0:
            raise ValueError(f"For Rprop, etaplus must be greater than 1.0, but got etaplus {etas[1]}.")
        _float(step_sizes[0], "min_step_sizes", "Rprop"), _float(step_sizes[1], "max_step_sizes", "Rprop")
        self.etaminus, self.etaplus = float(etas[0]), float(etas[1])
        self.step_size_min, self.step_size_max = step_sizes
        super().__init__(learning_rate, params, weight_decay)

    def _init_state(self, p):
        return np.zeros_like(p), np.zeros_like(p)

    def _update(self, w, g, state, lr):
        """In float32 but for float16 / bfloat16 parameters, cast back to each one's dtype (MindSpore 2.10's
        compute_dtype: a float64 w of 0.1 less a 0.1 step is 0 there, where float64 arithmetic with the float32
        learning rate left -1.5e-9 and a sign flip)."""
        if w.dtype == np.float64:
            (prev, size), new = self._update32(w.astype(np.float32), g.astype(np.float32),
                                               tuple(a.astype(np.float32) for a in state), lr)
            return (prev.astype(state[0].dtype), size.astype(state[1].dtype)), new.astype(w.dtype)
        return self._update32(w, g, state, lr)

    def _update32(self, w, g, state, lr):
        prev, size = state
        t = w.dtype.type
        if self._steps_done() == 1:
            size = np.full_like(w, lr)
        sign = np.sign(g * prev)
        factor = np.where(sign > 0, t(self.etaplus), np.where(sign < 0, t(self.etaminus), t(1)))
        size = np.clip(size * factor, t(self.step_size_min), t(self.step_size_max))
        g = np.where(factor == t(self.etaminus), t(0), g)  # (MindSpore's test: the factor is etaminus)
        return (g, size), w - np.sign(g) * size


class AdaMax(Optimizer):
    """m = b1 m + (1 - b1) g; v = max(b2 v, |g|); w -= lr / (1 - b1^t) m / (v + eps) (P.ApplyAdaMax)."""
    _state_names = _state_prefixes = ("moment1", "moment2")

    def __init__(self, params, learning_rate=0.001, beta1=0.9, beta2=0.999, eps=1e-08, weight_decay=0.0,
                 loss_scale=1.0):
        for what, v in (("beta1", beta1), ("beta2", beta2)):
            if not 0.0 < _float(v, what, "AdaMax") < 1.0:
                raise ValueError(f"For 'AdaMax', '{what}' must be in (0.0, 1.0), but got {v}")
        if _float(eps, "eps", "AdaMax") <= 0:
            raise ValueError(f"For 'AdaMax', 'eps' must be positive, but got {eps}")
        self.beta1, self.beta2, self.eps = beta1, beta2, eps
        super().__init__(learning_rate, params, weight_decay, loss_scale)
        # b1^t: MindSpore's float32 Parameter of shape (1,), multiplied by beta1 once a step
        self._gs_b1p = Parameter(Tensor(np.ones(1, np.float32)), name="beta1_power")
        self._gs_extra.append(("beta1_power", self._gs_b1p))

    def _init_state(self, p):
        return np.zeros_like(p), np.zeros_like(p)

    def _update(self, w, g, state, lr):
        b1p, n, memo = self._gs_b1p, self._steps_done(), self.__dict__.get("_gs_b1p_memo")
        if memo is None or memo[0] != n or memo[1] is not b1p._data:  # (once a step; a loaded value is new)
            b1p._data = b1p._data * np.float32(self.beta1)
            b1p._bump()
            self.__dict__["_gs_b1p_memo"] = (n, b1p._data)
        t = w.dtype.type
        m, v = state
        m = t(self.beta1) * m + (t(1) - t(self.beta1)) * g
        v = np.maximum(t(self.beta2) * v, np.abs(g))
        return (m, v), w - lr / (t(1) - t(b1p._data[0])) * m / (v + t(self.eps))


class AdamWeightDecay(_AdamDecoupled):
    """MindSpore's AdamWeightDecay (no bias correction, decoupled decay): m = b1 m + (1-b1) g;
    v = b2 v + (1-b2) g^2; w -= lr (m / (sqrt(v) + eps) + weight_decay w). weight_decay may be a Cell of the
    global step (MindSpore's dynamic weight decay)."""

    _state_prefixes = ("adam_m", "adam_v")  # (MindSpore's Parameters of its moments1 / moments2)

    def __init__(self, params, learning_rate=1e-3, beta1=0.9, beta2=0.999, eps=1e-6, weight_decay=0.0):
        b1, b2, e = (_float(v, n, "AdamWeightDecay") for v, n in ((beta1, "beta1"), (beta2, "beta2"), (eps, "eps")))
        if not (0.0 < b1 < 1.0 and 0.0 < b2 < 1.0) or e <= 0.0:
            raise ValueError(f"For 'AdamWeightDecay', beta1 and beta2 must be in (0, 1) and eps > 0, "
                             f"got {beta1}, {beta2}, {eps}")
        self.beta1, self.beta2, self.eps = b1, b2, e
        super().__init__(learning_rate, params, weight_decay)

    def _update_decayed(self, w, g, state, lr, wd):
        t = w.dtype.type
        m, v = self._adam_moments(g, state, t)
        update = m / (np.sqrt(v) + t(self.eps))
        if wd:
            update = update + wd * w
        return (m, v), w - lr * update

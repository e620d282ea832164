"""`mindspore.experimental.optim.lr_scheduler`: PyTorch's learning-rate schedulers over an experimental
optimizer's groups, as MindSpore 2.10 has them (the values checked against it).

A scheduler's state (its epoch, a plateau's best value, a restart's T_cur) is Python state and each group's
lr is its float32 Parameter, set by step(). A step inside a traced construct (MindSpore's tests call
`scheduler.step()` from a Cell) runs while tracing: the trace is marked as specialised on that state, so it
is never cached and every call steps again (a cached trace would replay the first step's values)."""
from __future__ import annotations

import bisect
import math
from collections import Counter

import numpy as np

from ..._tensor import Tensor
from ..._trace import current
from ._optimizers import Optimizer

__all__ = ["LRScheduler", "StepLR", "LinearLR", "ExponentialLR", "PolynomialLR", "MultiplicativeLR", "ConstantLR",
           "MultiStepLR", "LambdaLR", "SequentialLR", "ReduceLROnPlateau", "CyclicLR", "CosineAnnealingWarmRestarts",
           "CosineAnnealingLR"]


def _python_state_step() -> None:
    """A step taken while tracing: the trace depends on Python state that changes every call (never cached)."""
    tr = current()
    if tr is not None:
        tr.root.reads += 1


def _lr(group: dict) -> float:
    return float(group["lr"]._host_copy())


def _set_lr(group: dict, value: float) -> None:
    group["lr"].set_data(Tensor(np.float32(value)))


def _check_optimizer(optimizer, who: str) -> None:
    if not isinstance(optimizer, Optimizer):
        raise TypeError(f"For '{who}', the 'optimizer' must be a mindspore.experimental.optim.Optimizer, "
                        f"but got {type(optimizer).__name__}")


class LRScheduler:
    """The base: get_lr() gives the groups' next rates from the current ones (PyTorch's chainable form);
    step() advances last_epoch and sets them; get_last_lr() the rates of the last step, float32 Tensors."""

    def __init__(self, optimizer, last_epoch: int = -1):
        _check_optimizer(optimizer, type(self).__name__)
        self.optimizer = optimizer
        if last_epoch == -1:
            for g in optimizer.param_groups:
                g.setdefault("initial_lr", _lr(g))
        elif any("initial_lr" not in g for g in optimizer.param_groups):
            raise KeyError("param 'initial_lr' is not specified in param_groups when resuming an optimizer")
        self.base_lrs = [g["initial_lr"] for g in optimizer.param_groups]
        self.last_epoch = last_epoch
        self._step_count = 0
        self.step()

    def get_lr(self) -> list:
        raise NotImplementedError

    def get_last_lr(self) -> list:
        return [Tensor(np.float32(v)) for v in self._last_lr]

    def _closed_form(self) -> list | None:
        return None

    def step(self, epoch=None) -> None:
        _python_state_step()
        self._step_count += 1
        if epoch is None:
            self.last_epoch += 1
            values = self.get_lr()
        else:
            self.last_epoch = epoch
            values = self._closed_form() or self.get_lr()
        for g, v in zip(self.optimizer.param_groups, values):
            _set_lr(g, v)
        self._last_lr = [_lr(g) for g in self.optimizer.param_groups]

    def _lrs(self) -> list:
        return [_lr(g) for g in self.optimizer.param_groups]


class StepLR(LRScheduler):
    """lr *= gamma every step_size epochs."""

    def __init__(self, optimizer, step_size, gamma=0.1, last_epoch=-1):
        self.step_size, self.gamma = step_size, gamma
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        if self.last_epoch == 0 or self.last_epoch % self.step_size != 0:
            return self._lrs()
        return [v * self.gamma for v in self._lrs()]

    def _closed_form(self):
        return [b * self.gamma ** (self.last_epoch // self.step_size) for b in self.base_lrs]


class MultiStepLR(LRScheduler):
    """lr *= gamma at each milestone (gamma^k for a milestone given k times)."""

    def __init__(self, optimizer, milestones, gamma=0.1, last_epoch=-1):
        self.milestones, self.gamma = Counter(milestones), gamma
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        if self.last_epoch not in self.milestones:
            return self._lrs()
        return [v * self.gamma ** self.milestones[self.last_epoch] for v in self._lrs()]

    def _closed_form(self):
        ms = sorted(self.milestones.elements())
        return [b * self.gamma ** bisect.bisect_right(ms, self.last_epoch) for b in self.base_lrs]


class ConstantLR(LRScheduler):
    """lr * factor until epoch total_iters, then lr."""

    def __init__(self, optimizer, factor=1.0 / 3, total_iters=5, last_epoch=-1):
        if not 0 < factor <= 1:
            raise ValueError(f"For 'ConstantLR', the 'factor' must be in (0, 1], but got {factor}")
        self.factor, self.total_iters = factor, total_iters
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        if self.last_epoch == 0:
            return [v * self.factor for v in self._lrs()]
        if self.last_epoch != self.total_iters:
            return self._lrs()
        return [v / self.factor for v in self._lrs()]

    def _closed_form(self):
        return [b * (self.factor + (self.last_epoch >= self.total_iters) * (1 - self.factor)) for b in self.base_lrs]


class LinearLR(LRScheduler):
    """lr's factor goes linearly from start_factor to end_factor over total_iters epochs."""

    def __init__(self, optimizer, start_factor=1.0 / 3, end_factor=1.0, total_iters=5, last_epoch=-1):
        if not 0 < start_factor <= 1 or not 0 <= end_factor <= 1:
            raise ValueError("For 'LinearLR', 'start_factor' must be in (0, 1] and 'end_factor' in [0, 1], "
                             f"but got {start_factor} and {end_factor}")
        self.start_factor, self.end_factor, self.total_iters = start_factor, end_factor, total_iters
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        if self.last_epoch == 0:
            return [v * self.start_factor for v in self._lrs()]
        if self.last_epoch > self.total_iters:
            return self._lrs()
        d = self.end_factor - self.start_factor
        return [v * (1.0 + d / (self.total_iters * self.start_factor + (self.last_epoch - 1) * d))
                for v in self._lrs()]

    def _closed_form(self):
        f = self.start_factor + (self.end_factor - self.start_factor) * min(self.total_iters, self.last_epoch) \
            / self.total_iters
        return [b * f for b in self.base_lrs]


class ExponentialLR(LRScheduler):
    """lr *= gamma every epoch."""

    def __init__(self, optimizer, gamma, last_epoch=-1):
        self.gamma = gamma
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        return self._lrs() if self.last_epoch == 0 else [v * self.gamma for v in self._lrs()]

    def _closed_form(self):
        return [b * self.gamma ** self.last_epoch for b in self.base_lrs]


class PolynomialLR(LRScheduler):
    """lr = base (1 - epoch / total_iters)^power until total_iters, then 0."""

    def __init__(self, optimizer, total_iters=5, power=1.0, last_epoch=-1):
        self.total_iters, self.power = total_iters, power
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        if self.last_epoch == 0 or self.last_epoch > self.total_iters:
            return self._lrs()
        f = ((1.0 - self.last_epoch / self.total_iters) / (1.0 - (self.last_epoch - 1) / self.total_iters)) ** self.power
        return [v * f for v in self._lrs()]

    def _closed_form(self):
        return [b * (1.0 - min(self.total_iters, self.last_epoch) / self.total_iters) ** self.power
                for b in self.base_lrs]


def _per_group(lr_lambda, optimizer, who: str) -> list:
    n = len(optimizer.param_groups)
    if isinstance(lr_lambda, (list, tuple)):
        if len(lr_lambda) != n:
            raise ValueError(f"For '{who}', expected {n} lr_lambdas, but got {len(lr_lambda)}")
        return list(lr_lambda)
    return [lr_lambda] * n


class LambdaLR(LRScheduler):
    """lr = base * lr_lambda(epoch) (one function, or one per group)."""

    def __init__(self, optimizer, lr_lambda, last_epoch=-1):
        _check_optimizer(optimizer, "LambdaLR")
        self.lr_lambdas = _per_group(lr_lambda, optimizer, "LambdaLR")
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        return [b * f(self.last_epoch) for b, f in zip(self.base_lrs, self.lr_lambdas)]


class MultiplicativeLR(LRScheduler):
    """lr *= lr_lambda(epoch) every epoch after the first."""

    def __init__(self, optimizer, lr_lambda, last_epoch=-1):
        _check_optimizer(optimizer, "MultiplicativeLR")
        self.lr_lambdas = _per_group(lr_lambda, optimizer, "MultiplicativeLR")
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        if self.last_epoch <= 0:
            return self._lrs()
        return [v * f(self.last_epoch) for v, f in zip(self._lrs(), self.lr_lambdas)]


class SequentialLR(LRScheduler):
    """schedulers[i] from milestones[i - 1] on (restarted there at its epoch 0)."""

    def __init__(self, optimizer, schedulers, milestones, last_epoch=-1):
        _check_optimizer(optimizer, "SequentialLR")
        if len(milestones) != len(schedulers) - 1:
            raise ValueError("For 'SequentialLR', expected len(schedulers) - 1 milestones, but got "
                             f"{len(milestones)} milestones for {len(schedulers)} schedulers")
        for s in schedulers:
            if s.optimizer is not optimizer:
                raise ValueError("For 'SequentialLR', every scheduler must belong to the optimizer given")
        self.optimizer, self._schedulers, self._milestones = optimizer, list(schedulers), list(milestones)
        self.last_epoch = last_epoch + 1
        for g in optimizer.param_groups:  # undo the first steps the schedulers took when they were made
            _set_lr(g, g["initial_lr"])
        for s in self._schedulers:
            s.last_epoch -= 1
        self._schedulers[0].step()
        self._last_lr = self._schedulers[0]._last_lr

    def step(self, epoch=None):
        _python_state_step()
        self.last_epoch += 1
        i = bisect.bisect_right(self._milestones, self.last_epoch)
        s = self._schedulers[i]
        if i > 0 and self._milestones[i - 1] == self.last_epoch:
            s.step(0)
        else:
            s.step()
        self._last_lr = s._last_lr


class ReduceLROnPlateau:
    """lr *= factor (not below min_lr) once the metric given to step() has not improved (by threshold, 'rel'
    or 'abs', for mode 'min' or 'max') for more than patience epochs; then cooldown epochs without counting."""

    def __init__(self, optimizer, mode="min", factor=0.1, patience=10, threshold=1e-4, threshold_mode="rel",
                 cooldown=0, min_lr=0, eps=1e-8):
        _check_optimizer(optimizer, "ReduceLROnPlateau")
        if factor >= 1.0:
            raise ValueError(f"For 'ReduceLROnPlateau', the 'factor' must be < 1.0, but got {factor}")
        if mode not in ("min", "max") or threshold_mode not in ("rel", "abs"):
            raise ValueError(f"For 'ReduceLROnPlateau', 'mode' must be 'min' or 'max' and 'threshold_mode' 'rel' or "
                             f"'abs', but got {mode!r} and {threshold_mode!r}")
        n = len(optimizer.param_groups)
        if isinstance(min_lr, (list, tuple)):
            if len(min_lr) != n:
                raise ValueError(f"For 'ReduceLROnPlateau', expected {n} min_lrs, but got {len(min_lr)}")
            self.min_lrs = [float(v) for v in min_lr]
        else:
            self.min_lrs = [float(min_lr)] * n
        self.optimizer, self.mode, self.factor, self.patience = optimizer, mode, factor, patience
        self.threshold, self.threshold_mode, self.cooldown, self.eps = threshold, threshold_mode, cooldown, eps
        self.best = math.inf if mode == "min" else -math.inf
        self.num_bad_epochs = self.cooldown_counter = 0
        self.last_epoch = 0
        self._last_lr = [_lr(g) for g in optimizer.param_groups]

    def _better(self, a: float) -> bool:
        t = self.threshold
        if self.threshold_mode == "rel":
            return a < self.best * (1 - t) if self.mode == "min" else a > self.best * (1 + t)
        return a < self.best - t if self.mode == "min" else a > self.best + t

    def step(self, metrics):
        _python_state_step()
        current = float(metrics._host_copy()) if isinstance(metrics, Tensor) else float(metrics)
        self.last_epoch += 1
        if self._better(current):
            self.best, self.num_bad_epochs = current, 0
        else:
            self.num_bad_epochs += 1
        if self.cooldown_counter > 0:
            self.cooldown_counter -= 1
            self.num_bad_epochs = 0
        if self.num_bad_epochs > self.patience:
            for g, low in zip(self.optimizer.param_groups, self.min_lrs):
                old = _lr(g)
                new = max(old * self.factor, low)
                if old - new > self.eps:
                    _set_lr(g, new)
            self.cooldown_counter, self.num_bad_epochs = self.cooldown, 0
        self._last_lr = [_lr(g) for g in self.optimizer.param_groups]

    def get_last_lr(self) -> list:
        return [Tensor(np.float32(v)) for v in self._last_lr]


class CyclicLR(LRScheduler):
    """The rate cycles between base_lr and max_lr (up over step_size_up epochs, down over step_size_down), its
    amplitude scaled by mode ('triangular': 1, 'triangular2': halved each cycle, 'exp_range': gamma^epoch) or
    scale_fn. MindSpore 2.10's has no momentum cycling (PyTorch's cycle_momentum)."""

    def __init__(self, optimizer, base_lr, max_lr, step_size_up=2000, step_size_down=None, mode="triangular",
                 gamma=1.0, scale_fn=None, scale_mode="cycle", last_epoch=-1):
        _check_optimizer(optimizer, "CyclicLR")
        n = len(optimizer.param_groups)

        def each(v, name):
            if isinstance(v, (list, tuple)):
                if len(v) != n:
                    raise ValueError(f"For 'CyclicLR', expected {n} values of '{name}', but got {len(v)}")
                return [float(x) for x in v]
            return [float(v)] * n
        base = each(base_lr, "base_lr")
        if last_epoch == -1:
            for g, b in zip(optimizer.param_groups, base):
                _set_lr(g, b)
        self.max_lrs = each(max_lr, "max_lr")
        up = float(step_size_up)
        down = float(step_size_down) if step_size_down is not None else up
        self.total_size, self.step_ratio = up + down, up / (up + down)
        if mode not in ("triangular", "triangular2", "exp_range") and scale_fn is None:
            raise ValueError(f"For 'CyclicLR', 'mode' must be 'triangular', 'triangular2' or 'exp_range', got {mode!r}")
        self.mode, self.gamma = mode, gamma
        if scale_fn is None:
            self.scale_fn = {"triangular": lambda x: 1.0, "triangular2": lambda x: 1 / (2.0 ** (x - 1)),
                             "exp_range": lambda x: gamma ** x}[mode]
            self.scale_mode = "iterations" if mode == "exp_range" else "cycle"
        else:
            self.scale_fn, self.scale_mode = scale_fn, scale_mode
        super().__init__(optimizer, last_epoch)
        self.base_lrs = base

    def get_lr(self):
        cycle = math.floor(1 + self.last_epoch / self.total_size)
        x = 1.0 + self.last_epoch / self.total_size - cycle
        scale = x / self.step_ratio if x <= self.step_ratio else (x - 1) / (self.step_ratio - 1)
        at = cycle if self.scale_mode == "cycle" else self.last_epoch
        return [b + (m - b) * scale * self.scale_fn(at) for b, m in zip(self.base_lrs, self.max_lrs)]


class CosineAnnealingLR(LRScheduler):
    """lr follows a cosine from base to eta_min over T_max epochs and back (PyTorch's recursive form)."""

    def __init__(self, optimizer, T_max, eta_min=0.0, last_epoch=-1):  # noqa: N803  (MindSpore's name)
        self.T_max, self.eta_min = T_max, eta_min
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        e, T, lo = self.last_epoch, self.T_max, self.eta_min
        if e == 0:
            return self._lrs()
        if (e - 1 - T) % (2 * T) == 0:
            return [v + (b - lo) * (1 - math.cos(math.pi / T)) / 2 for v, b in zip(self._lrs(), self.base_lrs)]
        return [(1 + math.cos(math.pi * e / T)) / (1 + math.cos(math.pi * (e - 1) / T)) * (v - lo) + lo
                for v in self._lrs()]

    def _closed_form(self):
        return [self.eta_min + (b - self.eta_min) * (1 + math.cos(math.pi * self.last_epoch / self.T_max)) / 2
                for b in self.base_lrs]


class CosineAnnealingWarmRestarts(LRScheduler):
    """lr = eta_min + (base - eta_min) (1 + cos(pi T_cur / T_i)) / 2, restarting (T_cur = 0) every T_i epochs,
    T_i = T_0 T_mult^k; step(epoch) takes a fractional epoch."""

    def __init__(self, optimizer, T_0, T_mult=1, eta_min=0.0, last_epoch=-1):  # noqa: N803
        if not isinstance(T_0, int) or T_0 <= 0:
            raise ValueError(f"For 'CosineAnnealingWarmRestarts', 'T_0' must be a positive int, but got {T_0}")
        if not isinstance(T_mult, int) or T_mult < 1:
            raise ValueError(f"For 'CosineAnnealingWarmRestarts', 'T_mult' must be an int >= 1, but got {T_mult}")
        self.T_0, self.T_i, self.T_mult, self.eta_min = T_0, T_0, T_mult, eta_min
        self.T_cur = last_epoch
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        return [self.eta_min + (b - self.eta_min) * (1 + math.cos(math.pi * self.T_cur / self.T_i)) / 2
                for b in self.base_lrs]

    def step(self, epoch=None):
        if epoch is None and self.last_epoch < 0:
            epoch = 0
        if isinstance(epoch, Tensor):
            epoch = float(epoch._host_copy())
        if epoch is None:
            epoch = self.last_epoch + 1
            self.T_cur += 1
            if self.T_cur >= self.T_i:
                self.T_cur -= self.T_i
                self.T_i *= self.T_mult
        elif epoch < 0:
            raise ValueError(f"For 'CosineAnnealingWarmRestarts', 'epoch' must be >= 0, but got {epoch}")
        elif epoch >= self.T_0:
            if self.T_mult == 1:
                self.T_cur = epoch % self.T_0
            else:
                n = int(math.log(epoch / self.T_0 * (self.T_mult - 1) + 1, self.T_mult))
                self.T_cur = epoch - self.T_0 * (self.T_mult ** n - 1) / (self.T_mult - 1)
                self.T_i = self.T_0 * self.T_mult ** n
        else:
            self.T_i, self.T_cur = self.T_0, epoch
        _python_state_step()
        self._step_count += 1
        self.last_epoch = math.floor(epoch)
        for g, v in zip(self.optimizer.param_groups, self.get_lr()):
            _set_lr(g, v)
        self._last_lr = [_lr(g) for g in self.optimizer.param_groups]

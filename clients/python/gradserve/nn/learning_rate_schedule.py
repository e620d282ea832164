"""`mindspore.nn.learning_rate_schedule`: Cells of the global step (an int Tensor) giving the learning rate, for
an optimizer's `learning_rate` (asked once a step) or called directly (float32 results, as MindSpore's).
p = step / decay_steps (floor(p) when is_stair):
  ExponentialDecayLR  lr * decay_rate ** p          NaturalExpDecayLR  lr * exp(-decay_rate * step')
  InverseDecayLR      lr / (1 + decay_rate * p)     CosineDecayLR      min + (max - min)(1 + cos(pi min(step, n) / n)) / 2
  PolynomialDecayLR   (lr - end)(1 - min(step, n) / n) ** power + end (n grown to a multiple of decay_steps past it
                      when update_decay_steps)      WarmUpLR           lr * min(step, warmup_steps) / warmup_steps
(step' of the natural decay: step rounded down to a multiple of decay_steps when is_stair)."""
from __future__ import annotations

import math

from .. import ops as _ops
from .._cellbase import Cell
from . import _lr_checks as _chk

__all__ = ["LearningRateSchedule", "ExponentialDecayLR", "NaturalExpDecayLR", "InverseDecayLR", "CosineDecayLR",
           "PolynomialDecayLR", "WarmUpLR"]


def _step(global_step):
    return _ops.cast(global_step, "float32")


class LearningRateSchedule(Cell):
    """The base: construct(global_step) -> the learning rate at that step."""

    def construct(self, global_step):
        raise NotImplementedError


class _Decay(LearningRateSchedule):
    def __init__(self, learning_rate, decay_rate, decay_steps, is_stair=False):
        super().__init__()
        _chk.decay_args(learning_rate, decay_rate, {"decay_steps": decay_steps}, is_stair, type(self).__name__)
        self.learning_rate, self.decay_rate = learning_rate, decay_rate
        self.decay_steps, self.is_stair = decay_steps, is_stair

    def _p(self, global_step):
        p = _step(global_step) / self.decay_steps
        return _ops.floor(p) if self.is_stair else p


class ExponentialDecayLR(_Decay):
    def construct(self, global_step):
        return self.learning_rate * _ops.pow(self.decay_rate, self._p(global_step))


class NaturalExpDecayLR(_Decay):
    def construct(self, global_step):
        p = _step(global_step)
        if self.is_stair:
            p = _ops.floor(p / self.decay_steps) * self.decay_steps
        return self.learning_rate * _ops.exp(p * -self.decay_rate)


class InverseDecayLR(_Decay):
    def construct(self, global_step):
        return self.learning_rate / (self._p(global_step) * self.decay_rate + 1.0)


class CosineDecayLR(LearningRateSchedule):
    def __init__(self, min_lr, max_lr, decay_steps):
        super().__init__()
        _chk.cosine_args(min_lr, max_lr, "CosineDecayLR")
        _chk.positive_int(decay_steps, "decay_steps", "CosineDecayLR")
        self.min_lr, self.max_lr, self.decay_steps = min_lr, max_lr, decay_steps

    def construct(self, global_step):
        p = _ops.minimum(_step(global_step), float(self.decay_steps)) / self.decay_steps
        return self.min_lr + 0.5 * (self.max_lr - self.min_lr) * (_ops.cos(p * math.pi) + 1.0)


class PolynomialDecayLR(LearningRateSchedule):
    def __init__(self, learning_rate, end_learning_rate, decay_steps, power, update_decay_steps=False):
        super().__init__()
        where = "PolynomialDecayLR"
        _chk.real(learning_rate, "learning_rate", where, positive=True)
        _chk.real(end_learning_rate, "end_learning_rate", where, positive=False)
        _chk.positive_int(decay_steps, "decay_steps", where)
        _chk.flag(update_decay_steps, "update_decay_steps", where)
        _chk.real(power, "power", where, positive=True)
        self.learning_rate, self.end_learning_rate = learning_rate, end_learning_rate
        self.decay_steps, self.power, self.update_decay_steps = decay_steps, power, update_decay_steps

    def construct(self, global_step):
        step = _step(global_step)
        if self.update_decay_steps:
            n = _ops.maximum(_ops.ceil(step / self.decay_steps), 1.0) * self.decay_steps
        else:
            n, step = float(self.decay_steps), _ops.minimum(step, float(self.decay_steps))
        left = 1.0 - step / n
        return (self.learning_rate - self.end_learning_rate) * _ops.pow(left, self.power) + self.end_learning_rate


class WarmUpLR(LearningRateSchedule):
    def __init__(self, learning_rate, warmup_steps):
        super().__init__()
        _chk.real(learning_rate, "learning_rate", "WarmUpLR", positive=False)
        _chk.positive_int(warmup_steps, "warmup_steps", "WarmUpLR")
        self.learning_rate, self.warmup_steps = learning_rate, warmup_steps

    def construct(self, global_step):
        return self.learning_rate * (_ops.minimum(_step(global_step), float(self.warmup_steps)) / self.warmup_steps)

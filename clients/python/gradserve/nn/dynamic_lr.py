"""`mindspore.nn.dynamic_lr`: learning rates as lists, one per step, for an optimizer's `learning_rate`.
epoch(i) = floor(i / step_per_epoch); each value follows nn.learning_rate_schedule's formula of the same name
with the epoch for the step and decay_epoch for decay_steps."""
from __future__ import annotations

import math

from . import _lr_checks as _chk

__all__ = ["piecewise_constant_lr", "exponential_decay_lr", "natural_exp_decay_lr", "inverse_decay_lr",
           "cosine_decay_lr", "polynomial_decay_lr", "warmup_lr"]


def piecewise_constant_lr(milestone, learning_rates):
    """learning_rates[k] for the steps from milestone[k - 1] up to milestone[k]."""
    for name, v in (("milestone", milestone), ("learning_rates", learning_rates)):
        if not isinstance(v, (tuple, list)):
            raise TypeError(f"For 'piecewise_constant_lr', the '{name}' must be a tuple or list, got {type(v).__name__}")
    if len(milestone) != len(learning_rates):
        raise ValueError("For 'piecewise_constant_lr', the size of 'milestone' must be same with the size of "
                         f"'learning_rates', but got {len(milestone)} and {len(learning_rates)}.")
    out, last = [], 0
    for i, (end, rate) in enumerate(zip(milestone, learning_rates)):
        _chk.positive_int(end, f"milestone[{i}]", "piecewise_constant_lr")
        if isinstance(rate, bool) or not isinstance(rate, float):
            raise TypeError(f"For 'piecewise_constant_lr', learning_rates[{i}] must be a float, got {rate!r}")
        if end < last:
            raise ValueError(f"For 'piecewise_constant_lr', milestone[{i}] must be >= milestone[{i - 1}], got {end}")
        out += [rate] * (end - last)
        last = end
    return out


def _epochs(total_step, step_per_epoch, decay_epoch, where):
    for name, v in (("total_step", total_step), ("step_per_epoch", step_per_epoch), ("decay_epoch", decay_epoch)):
        _chk.positive_int(v, name, where)
    return [math.floor(i / step_per_epoch) for i in range(total_step)]


def exponential_decay_lr(learning_rate, decay_rate, total_step, step_per_epoch, decay_epoch, is_stair=False):
    epochs = _epochs(total_step, step_per_epoch, decay_epoch, "exponential_decay_lr")
    _chk.decay_args(learning_rate, decay_rate, {}, is_stair, "exponential_decay_lr")
    p = [math.floor(e / decay_epoch) if is_stair else e / decay_epoch for e in epochs]
    return [learning_rate * decay_rate ** x for x in p]


def natural_exp_decay_lr(learning_rate, decay_rate, total_step, step_per_epoch, decay_epoch, is_stair=False):
    epochs = _epochs(total_step, step_per_epoch, decay_epoch, "natural_exp_decay_lr")
    _chk.decay_args(learning_rate, decay_rate, {}, is_stair, "natural_exp_decay_lr")
    p = [math.floor(e / decay_epoch) * decay_epoch if is_stair else e for e in epochs]
    return [learning_rate * math.e ** (-decay_rate * x) for x in p]


def inverse_decay_lr(learning_rate, decay_rate, total_step, step_per_epoch, decay_epoch, is_stair=False):
    epochs = _epochs(total_step, step_per_epoch, decay_epoch, "inverse_decay_lr")
    _chk.decay_args(learning_rate, decay_rate, {}, is_stair, "inverse_decay_lr")
    if is_stair:
        return [learning_rate / (1 + decay_rate * math.floor(e / decay_epoch)) for e in epochs]
    return [learning_rate / (1 + decay_rate * e / decay_epoch) for e in epochs]


def cosine_decay_lr(min_lr, max_lr, total_step, step_per_epoch, decay_epoch):
    _chk.cosine_args(min_lr, max_lr, "cosine_decay_lr")
    epochs = _epochs(total_step, step_per_epoch, decay_epoch, "cosine_decay_lr")
    delta = 0.5 * (max_lr - min_lr)
    return [min_lr + delta * (1 + math.cos(math.pi * min(e, decay_epoch) / decay_epoch)) for e in epochs]


def polynomial_decay_lr(learning_rate, end_learning_rate, total_step, step_per_epoch, decay_epoch, power,
                        update_decay_epoch=False):
    where = "polynomial_decay_lr"
    _chk.real(learning_rate, "learning_rate", where, positive=True)
    _chk.real(end_learning_rate, "end_learning_rate", where, positive=False)
    _chk.real(power, "power", where, positive=True)
    epochs = _epochs(total_step, step_per_epoch, decay_epoch, where)
    _chk.flag(update_decay_epoch, "update_decay_epoch", where)
    delta, out = learning_rate - end_learning_rate, []
    for e in epochs:
        if update_decay_epoch:  # the horizon grows to the next multiple of decay_epoch past the epoch
            n, t = decay_epoch * max(math.ceil(e / decay_epoch), 1), e
        else:
            n, t = decay_epoch, min(e, decay_epoch)
        out.append(delta * (1 - t / n) ** power + end_learning_rate)
    return out


def warmup_lr(learning_rate, total_step, step_per_epoch, warmup_epoch):
    _chk.real(learning_rate, "learning_rate", "warmup_lr", positive=False)
    epochs = _epochs(total_step, step_per_epoch, warmup_epoch, "warmup_lr")
    return [learning_rate * min(e, warmup_epoch) / warmup_epoch for e in epochs]

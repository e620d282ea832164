"""Argument checks of the learning-rate schedules (nn.learning_rate_schedule, nn.dynamic_lr), with MindSpore
2.10's error classes: a wrong type is a TypeError, a value out of range a ValueError."""
from __future__ import annotations


def positive_int(v, name: str, where: str) -> int:
    if isinstance(v, bool) or not isinstance(v, int):
        raise TypeError(f"For '{where}', the '{name}' must be an int, but got {type(v).__name__}.")
    if v <= 0:
        raise ValueError(f"For '{where}', the '{name}' must be a positive int, but got {v}.")
    return v


def real(v, name: str, where: str, *, positive: bool) -> float:
    """A float (MindSpore's check_is_float: an int is refused too) > 0, or >= 0 when not positive."""
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        raise TypeError(f"For '{where}', the '{name}' must be a float, but got {type(v).__name__}.")
    if v < 0 or (positive and v == 0):
        raise ValueError(f"For '{where}', the '{name}' must be {'> 0' if positive else '>= 0'}, but got {v}.")
    if not isinstance(v, float):
        raise TypeError(f"For '{where}', the '{name}' must be a float, but got {type(v).__name__}.")
    return v


def flag(v, name: str, where: str) -> bool:
    if not isinstance(v, bool):
        raise TypeError(f"For '{where}', the '{name}' must be a bool, but got {type(v).__name__}.")
    return v


def decay_args(learning_rate, decay_rate, steps, is_stair, where: str) -> None:
    """The checks the exponential / natural-exp / inverse decays share (steps: the decay steps or epochs)."""
    for name, v in steps.items():
        positive_int(v, name, where)
    real(learning_rate, "learning_rate", where, positive=True)
    real(decay_rate, "decay_rate", where, positive=True)
    flag(is_stair, "is_stair", where)


def cosine_args(min_lr, max_lr, where: str) -> None:
    real(min_lr, "min_lr", where, positive=False)
    real(max_lr, "max_lr", where, positive=True)
    if min_lr >= max_lr:
        raise ValueError(f"For '{where}', the 'max_lr' must be greater than the 'min_lr', but got 'max_lr' value: "
                         f"{max_lr}, 'min_lr' value: {min_lr}.")

"""`mindspore.profiler.schedule`: the profiler's per-step actions (MindSpore 2.10's Schedule, its checks and
warning texts, probed in /work/msvenv)."""
from __future__ import annotations

from enum import Enum
from typing import Dict, Optional

from .. import log as logger

__all__ = ["ProfilerAction", "Schedule"]


class ProfilerAction(Enum):
    """What the profiler does at a step."""
    NONE = 0
    WARM_UP = 1
    RECORD = 2
    RECORD_AND_SAVE = 3

    @staticmethod
    def get_by_value(value: int) -> Optional["ProfilerAction"]:
        return {action.value: action for action in ProfilerAction}.get(value, None)


_PARAM_DEFAULTS = (("wait", 0), ("warmup", 0), ("active", 1), ("repeat", 0), ("skip_first", 0))


class Schedule:
    """skip_first steps of NONE, then `repeat` cycles (0: no end) of wait NONE, warmup WARM_UP, active RECORD
    (the cycle's last one RECORD_AND_SAVE)."""

    def __init__(self, *, wait: int, active: int, warmup: int = 0, repeat: int = 0, skip_first: int = 0) -> None:
        self.wait = wait
        self.active = active
        self.warmup = warmup
        self.repeat = repeat
        self.skip_first = skip_first
        self._check_params()

    def __call__(self, step: int) -> ProfilerAction:
        if step < 0:
            raise ValueError("Invalid parameter step, which must be not less than 0.")
        if step < self.skip_first:
            return ProfilerAction.NONE
        step -= self.skip_first
        num_steps = self.wait + self.warmup + self.active
        if 0 < self.repeat <= step / num_steps:
            return ProfilerAction.NONE
        mod_step = step % num_steps
        if mod_step < self.wait:
            return ProfilerAction.NONE
        if mod_step < self.wait + self.warmup:
            return ProfilerAction.WARM_UP
        return ProfilerAction.RECORD if mod_step < num_steps - 1 else ProfilerAction.RECORD_AND_SAVE

    def __repr__(self) -> str:
        return (f"Schedule(wait={self.wait!r}, active={self.active!r}, "
                f"warmup={self.warmup!r}, repeat={self.repeat!r}, "
                f"skip_first={self.skip_first!r})")

    def _check_params(self) -> None:
        """A bad value (not an int, a bool, negative; active below 1) warns and takes its default, as MindSpore."""
        for name, default in _PARAM_DEFAULTS:
            value = getattr(self, name)
            low = 1 if name == "active" else 0
            if not isinstance(value, int) or isinstance(value, bool) or value < low:
                logger.warning(f"Parameter '{name}' should be of type int, but got "
                               f"{type(value).__name__}. reset to int {default}.")
                setattr(self, name, default)
        if self.warmup == 0:
            logger.warning("Profiler won't be using warmup, this can skew profiler results")

    def to_dict(self) -> Dict[str, int]:
        return {'wait': self.wait, 'active': self.active, 'warmup': self.warmup,
                'repeat': self.repeat, 'skip_first': self.skip_first}


def _default_schedule_fn(_: int) -> ProfilerAction:
    """Without a schedule every step records."""
    return ProfilerAction.RECORD

"""What a map step does with its DSCallbacks (gradserve.dataset.callback): the argument checks, and one
iterator's events and counts."""
from __future__ import annotations

import os
from typing import Any

from .callback import DSCallback

_EVENTS = ("ds_begin", "ds_epoch_begin", "ds_epoch_end", "ds_step_begin", "ds_step_end")


class _RunContext:
    """What a DSCallback's method reads: the epoch (from 1), the step in it and over all epochs (from 1)."""

    def __init__(self) -> None:
        self.cur_epoch_num = self.cur_step_num_in_epoch = self.cur_step_num = 0


def checked(callbacks: Any) -> list:
    """map(callbacks=...) as a list of DSCallbacks, refused as MindSpore 2.10 refuses it."""
    if os.environ.get("MS_INDEPENDENT_DATASET", "").lower() == "true":
        raise RuntimeError("Dataset Callbacks is not supported in Dataset Independent mode.")
    many = isinstance(callbacks, list)
    for k, cb in enumerate(callbacks if many else [callbacks]):
        if not isinstance(cb, DSCallback):
            name = f"callbacks[{k}]" if many else "callbacks"
            raise TypeError(f"Argument {name} with value {cb!r} is not of type [{DSCallback}], but got {type(cb)}.")
    out = list(callbacks) if many else [callbacks]
    for cb in out:
        if not any(getattr(type(cb), e) is not getattr(DSCallback, e) for e in _EVENTS):
            raise AttributeError("Inheriting Callback class without overriding any methods, check the usage of "
                                 "user defined Callback.")
    return out


class Run:
    """One iterator's callback state for one map step: its epoch and step counts, the events it fires."""

    def __init__(self, callbacks: list):
        self.cbs, self.ctx = callbacks, _RunContext()

    def _fire(self, event: str) -> None:
        for cb in self.cbs:
            if event.startswith("ds_step") and (self.ctx.cur_step_num_in_epoch - 1) % cb.step_size:
                continue
            getattr(cb, event)(self.ctx)

    def begin(self) -> None:
        self._fire("ds_begin")

    def epoch_begin(self) -> None:
        self.ctx.cur_epoch_num += 1
        self.ctx.cur_step_num_in_epoch = 0
        self._fire("ds_epoch_begin")

    def step(self, run_row):
        self.ctx.cur_step_num_in_epoch += 1
        self.ctx.cur_step_num += 1
        self._fire("ds_step_begin")
        out = run_row()
        self._fire("ds_step_end")
        return out

    def epoch_end(self) -> None:
        self._fire("ds_epoch_end")

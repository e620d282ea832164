"""`mindspore.dataset.callback`: DSCallback, called by a `map` step as rows pass through it (MindSpore's events:
begin, epoch begin / end, step begin / end every step_size rows of an epoch). WaitedDSCallback (a dataset step that
waits for Model.train's own step) is refused: this pipeline runs in the caller's thread, with nothing to wait in."""
from __future__ import annotations

import os
from typing import Any

from ..._callbacks import Callback

__all__ = ["DSCallback", "WaitedDSCallback"]

_EVENTS = ("ds_begin", "ds_epoch_begin", "ds_epoch_end", "ds_step_begin", "ds_step_end")


class _RunContext:
    """What a DSCallback's method reads: the epoch (from 1), the step in it and over all epochs (from 1)."""

    def __init__(self) -> None:
        self.cur_epoch_num = self.cur_step_num_in_epoch = self.cur_step_num = 0


class DSCallback:
    """Override any of ds_begin / ds_epoch_begin / ds_epoch_end / ds_step_begin / ds_step_end(ds_run_context)."""

    def __init__(self, step_size: int = 1):
        if isinstance(step_size, bool) or not isinstance(step_size, int):
            raise TypeError(f"Argument step_size with value {step_size!r} is not of type [{int}], but got "
                            f"{type(step_size)}.")
        if not 1 <= step_size <= 2 ** 31 - 1:
            raise ValueError("Input step_size is not within the required interval of [1, 2147483647].")
        self.step_size = step_size

    def ds_begin(self, ds_run_context: Any) -> None:
        pass

    def ds_epoch_begin(self, ds_run_context: Any) -> None:
        pass

    def ds_epoch_end(self, ds_run_context: Any) -> None:
        pass

    def ds_step_begin(self, ds_run_context: Any) -> None:
        pass

    def ds_step_end(self, ds_run_context: Any) -> None:
        pass


class WaitedDSCallback(Callback, DSCallback):
    """MindSpore's dataset callback synchronised with Model.train; a map step refuses it here (module doc)."""

    def __init__(self, step_size: int = 1):
        DSCallback.__init__(self, step_size)


def checked(callbacks: Any) -> list:
    """map(callbacks=...) as a list of DSCallbacks, refused as MindSpore 2.10 refuses it."""
    if os.environ.get("MS_INDEPENDENT_DATASET", "").lower() == "true":
        raise RuntimeError("Dataset Callbacks is not supported in Dataset Independent mode.")
    many = isinstance(callbacks, list)
    for k, cb in enumerate(callbacks if many else [callbacks]):
        if not isinstance(cb, DSCallback):
            name = f"callbacks[{k}]" if many else "callbacks"
            raise TypeError(f"Argument {name} with value {cb!r} is not of type [{DSCallback}], but got {type(cb)}.")
        if isinstance(cb, WaitedDSCallback):
            raise NotImplementedError("Dataset.map: a WaitedDSCallback (a dataset step waiting for Model.train's) "
                                      "is not supported: gradserve's dataset runs in the caller's thread")
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

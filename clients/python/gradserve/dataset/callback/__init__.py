"""`mindspore.dataset.callback`: DSCallback, called by a `map` step as rows pass through it (MindSpore's events:
begin, epoch begin / end, step begin / end every step_size rows of an epoch), and WaitedDSCallback, in step with
Model.train's steps and epochs."""
from __future__ import annotations

from typing import Any

from ..._callbacks import Callback

__all__ = ["DSCallback", "WaitedDSCallback"]


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
    """A dataset callback in step with Model.train, as MindSpore 2.10's: a dataset step after the first step_size
    rows goes on once a train step has ended since the last one (sync_step_begin gets that step's run context), an
    epoch after the first once a train epoch has (sync_epoch_begin); after the train's end, without waiting.
    The pipeline runs in the caller's thread, so no train step can end while a dataset step waits: where MindSpore
    would wait, the timeout's RuntimeError is raised at once (its text)."""

    def __init__(self, step_size: int = 1):
        DSCallback.__init__(self, step_size)
        self._ctx: dict = {"step": None, "epoch": None}
        self._ended_since: dict = {"step": False, "epoch": False}
        self.training_ended = False

    def sync_epoch_begin(self, train_run_context: Any, ds_run_context: Any) -> None:
        pass

    def sync_step_begin(self, train_run_context: Any, ds_run_context: Any) -> None:
        pass

    def step_end(self, run_context: Any) -> None:
        self._ctx["step"], self._ended_since["step"] = run_context, True

    def epoch_end(self, run_context: Any) -> None:
        self._ctx["epoch"], self._ended_since["epoch"] = run_context, True

    def end(self, run_context: Any) -> None:
        self.epoch_end(run_context)
        self.step_end(run_context)
        self.training_ended = True

    def _wait(self, kind: str) -> Any:
        if not self.training_ended:
            ended, self._ended_since[kind] = self._ended_since[kind], False
            if not ended:
                from .. import config  # (config imports nothing of the dataset package)
                raise RuntimeError(f"Exception thrown from user defined Python function in dataset. RuntimeError: "
                                   f"ds_{kind}_begin timed out after {config.get_callback_timeout()} second(s). "
                                   f"(gradserve: no train {kind} ended before it, and none can while the pipeline "
                                   f"runs in the caller's thread)")
        return self._ctx[kind]

    def ds_epoch_begin(self, ds_run_context: Any) -> None:
        if ds_run_context.cur_epoch_num > 1:
            self.sync_epoch_begin(self._wait("epoch"), ds_run_context)

    def ds_step_begin(self, ds_run_context: Any) -> None:
        if ds_run_context.cur_step_num > self.step_size:
            self.sync_step_begin(self._wait("step"), ds_run_context)

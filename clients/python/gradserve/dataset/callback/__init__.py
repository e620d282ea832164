"""`mindspore.dataset.callback`: DSCallback, called by a `map` step as rows pass through it (MindSpore's events:
begin, epoch begin / end, step begin / end every step_size rows of an epoch). WaitedDSCallback (a dataset step that
waits for Model.train's own step) is refused: this pipeline runs in the caller's thread, with nothing to wait in."""
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
    """MindSpore's dataset callback synchronised with Model.train; a map step refuses it here (module doc)."""

    def __init__(self, step_size: int = 1):
        DSCallback.__init__(self, step_size)

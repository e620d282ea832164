"""`mindspore.profiler.profiler_action_controller`: which ProfilerInterface calls a change of action makes
(MindSpore 2.10's table; `None` as the new action is the profiler's stop)."""
from __future__ import annotations

from functools import partial
from typing import Any, Callable, Dict, List, Optional, Tuple

from .. import log as logger
from .profiler_interface import ProfilerInterface
from .schedule import ProfilerAction

__all__: List[str] = []

_N, _W, _R, _S = (ProfilerAction.NONE, ProfilerAction.WARM_UP, ProfilerAction.RECORD,
                  ProfilerAction.RECORD_AND_SAVE)


class ProfilerActionController:
    """Runs the interface's calls for each (previous, current) action pair; `on_trace_ready` gets the interface
    when a recorded cycle is saved."""

    def __init__(self, prof_interface: Any, on_trace_ready: Optional[Callable[..., Any]] = None) -> None:
        self.prof_interface = prof_interface
        self.on_trace_ready = on_trace_ready
        self.action_map = self._init_action_map()

    def _trace_ready(self) -> None:
        if self.on_trace_ready:
            self.on_trace_ready(self.prof_interface)

    def transit_action(self, prev_action: ProfilerAction, current_action: Optional[ProfilerAction]) -> None:
        action_list = self.action_map.get((prev_action, current_action))
        if action_list:
            logger.info(f"ProfilerAction transition: {prev_action} -> {current_action}")
            for action in action_list:
                action()

    def _init_action_map(self) -> Dict[Tuple[ProfilerAction, Optional[ProfilerAction]], List[Callable[[], Any]]]:
        pi = self.prof_interface
        save = [pi.stop, pi.finalize, self._trace_ready, pi.clear]
        return {
            (_N, _N): [],
            (_N, _W): [pi.init],
            (_N, _R): [pi.init, pi.start],
            (_N, _S): [pi.init, pi.start],
            (_W, _N): [partial(logger.warning, "Incorrect schedule: WARMUP followed by NONE"),
                       pi.start, pi.stop, pi.finalize, pi.clear],
            (_W, _W): [],
            (_W, _R): [pi.start],
            (_W, _S): [pi.start],
            (_R, _N): [partial(logger.warning, "Incorrect schedule: RECORD followed by NONE"),
                       pi.stop, pi.finalize, pi.clear],
            (_R, _W): [partial(logger.warning, "Incorrect schedule: RECORD followed by WARMUP"),
                       pi.stop, pi.finalize, pi.clear],
            (_R, _R): [],
            (_R, _S): [],
            (_S, _N): list(save),
            (_S, _W): save + [pi.init],
            (_S, _R): save + [pi.init, pi.start],
            (_S, _S): save + [pi.init, pi.start],
            (_W, None): [partial(logger.warning, "Incorrect schedule: Stop profiler while current state is WARMUP "
                                                 "which will result in empty parsed data."),
                         pi.finalize, pi.clear, pi.delete_dir],
            (_R, None): [partial(logger.warning, "Incorrect schedule: Stop profiler while current state is RECORD "
                                                 "which may result in incomplete parsed data."),
                         pi.stop, pi.finalize, self._trace_ready, pi.clear],
            (_S, None): [partial(logger.warning, "Stop profiler while current state is RECORD_AND_SAVE, "
                                                 "perhaps the scheduling cycle has not yet completed."),
                         pi.stop, pi.finalize, self._trace_ready, pi.clear],
        }

"""`mindspore.profiler.profiler`: MindSpore 2.10's Profiler control (start / stop / step / analyse, the schedule,
on_trace_ready) and tensorboard_trace_handler, with its log texts; what a profile holds is ProfilerInterface's."""
from __future__ import annotations

from typing import Any, Callable, Dict, Optional, cast

from .. import log as logger
from .common.constant import ProfilerStepNameConstant
from .common.profiler_context import ProfilerContext
from .common.profiler_path_manager import ProfilerPathManager
from .common.record_function import RecordFunction
from .common.util import no_exception_func
from .profiler_action_controller import ProfilerActionController
from .profiler_interface import ProfilerInterface
from .schedule import ProfilerAction, Schedule, _default_schedule_fn

__all__ = ["Profiler", "tensorboard_trace_handler"]


@no_exception_func()
def tensorboard_trace_handler(dir_name: Optional[str] = None, worker_name: Optional[str] = None,
                              analyse_flag: bool = True, async_mode: bool = False) -> Callable[[Any], None]:
    """The on_trace_ready handler that analyses each saved cycle into dir_name."""
    ProfilerPathManager().init(worker_name, dir_name)
    if not isinstance(analyse_flag, bool):
        logger.warning("analyse_flag is not bool, set by default.")
        analyse_flag = True
    if not isinstance(async_mode, bool):
        logger.warning("async_mode is not bool, set by default.")
        async_mode = False

    def handler_fn(prof_inst: Any) -> None:
        if analyse_flag:
            prof_inst.analyse(async_mode=async_mode)
    return handler_fn


class Profiler:
    """Without a schedule: start records until stop; with one: start, then step() moves along the schedule."""

    def __init__(self, **kwargs: Any) -> None:
        logger.warning("'mindspore.Profiler' will be deprecated and removed in a future version. Please use the api "
                       "'mindspore.profiler.profile' instead.")
        self._metadata: Dict[str, str] = {}
        self._prof_context = ProfilerContext()
        self._prof_context.set_params(**kwargs)
        self._has_started = False
        self.schedule_arg = kwargs.get('schedule')
        self.schedule: Callable[[int], ProfilerAction]
        if self.schedule_arg is not None:
            self.schedule = cast(Schedule, self._prof_context.schedule)  # set_params always sets it
            self._record_steps = True
            self._schedule_no_use_step: Optional[bool] = True
        else:
            self.schedule = _default_schedule_fn
            self._record_steps = False
            self._schedule_no_use_step = None
        self._step_rec_fn: Optional[RecordFunction] = None
        self.step_num = 0
        self.current_action: ProfilerAction = self.schedule(self.step_num)
        self.action_controller = ProfilerActionController(ProfilerInterface, self._prof_context.on_trace_ready)
        if self._prof_context.start_profile:
            self.start()

    def _start_step_record(self) -> None:
        self._step_rec_fn = RecordFunction(ProfilerStepNameConstant.PROFILER_STEP + str(self.step_num))
        self._step_rec_fn.start()

    @no_exception_func()
    def start(self) -> None:
        if self._has_started:
            logger.warning("The profiler has already started. Do not turn on again in the open state.")
            return
        self._has_started = True
        self.action_controller.transit_action(ProfilerAction.NONE, self.current_action)
        if self._record_steps:
            self._start_step_record()

    @no_exception_func()
    def stop(self) -> None:
        if self._schedule_no_use_step:
            logger.warning("The profiler has schedule. Please use step() to collect data.")
            return
        if not self._has_started:
            logger.error("The profiler has not started. Do not turn off again in the closed state.")
            return
        self._has_started = False
        if self._record_steps and self._step_rec_fn:
            self._step_rec_fn.stop()
        if self.schedule_arg:
            self.action_controller.transit_action(self.current_action, None)
        else:
            ProfilerInterface.stop()

    @no_exception_func()
    def analyse(self, offline_path: Optional[str] = None, pretty: bool = False, step_list: Any = None,
                mode: str = "sync") -> None:
        if self._has_started:
            ProfilerInterface.stop()
            self._has_started = False
        if self.schedule_arg:
            logger.warning("The profiler has schedule. Please use 'on_trace_ready' to analyse data.")
            return
        if offline_path:
            logger.warning("The parameter 'offline_path' for Profiler.analyse() is deprecated, "
                           "please use Profiler.offline_analyse() instead.")
        ProfilerInterface.finalize()
        ProfilerInterface.analyse()
        ProfilerInterface.clear()

    @no_exception_func()
    def step(self) -> None:
        if self.schedule_arg is None:
            logger.error("With no schedule in the Profiler, step takes no effect!")
            return
        if not self._has_started:
            logger.error("Profiler is stopped, step takes no effect!")
            return
        if self._step_rec_fn:
            self._step_rec_fn.stop()
        prev_action = self.current_action
        self.step_num += 1
        self.current_action = self.schedule(self.step_num)
        self.action_controller.transit_action(prev_action, self.current_action)
        self._start_step_record()
        self._schedule_no_use_step = False

    @no_exception_func()
    def __enter__(self) -> "Profiler":
        if not self._has_started:
            self.start()
        return self

    @no_exception_func()
    def __exit__(self, exc_type: Any, exc_value: Any, traceback: Any) -> None:
        if self._has_started:
            self.stop()

    @no_exception_func()
    def __del__(self) -> None:
        if getattr(self, "_has_started", False):
            self.stop()
            logger.warning("Profiler is stopped at the end of the program.")

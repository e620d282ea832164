"""`mindspore.profiler.common.profiler_context.ProfilerContext`: the Profiler's options (MindSpore 2.10's
checks: a bad value warns and takes its default) and the output folders of this process's profile."""
from __future__ import annotations

import os
from typing import Any, Dict, Optional

from ... import log as logger
from ..schedule import Schedule
from .singleton import Singleton

_FRAMEWORK_DIR = "FRAMEWORK"

# The options gradserve's client-side Profiler honours, with MindSpore 2.10's types and defaults. MindSpore's
# collection options (activities, profile_memory, with_stack, ...) name collectors gradserve's client does not
# have: the constructor warns, naming them (see _warn_collectors), so that a program that profiles still runs and
# its user is told what the profile will not hold.
_PARAMS: Dict[str, tuple] = {
    "output_path": (str, "./data"),
    "data_process": (bool, False),
    "start_profile": (bool, True),
    "sync_enable": (bool, True),
}


def _check_common(key: str, value: Any, expected: type, default: Any) -> Any:
    if not isinstance(value, expected):
        logger.warning(f"For Profiler, the type of {key} should be {expected}, "
                       f"but got {type(value)}, reset to {default}.")
        return default
    return value


@Singleton
class ProfilerContext:
    """One per process, as MindSpore's: the last Profiler's options and the current profile's folders."""

    def __init__(self) -> None:
        self.on_trace_ready_output_path: Optional[str] = None
        self.ascend_ms_dir_name: Optional[str] = None
        self.params: Dict[str, Any] = {key: default for key, (_, default) in _PARAMS.items()}
        self.schedule: Optional[Schedule] = None
        self.on_trace_ready: Any = None

    def set_params(self, **kwargs: Any) -> None:
        """MindSpore's order: the on_trace_ready handler's folder wins over output_path; then every option is
        checked (None takes the default)."""
        _warn_collectors(kwargs)
        self.ascend_ms_dir_name = None  # MindSpore makes a new output-path manager: the next init names the folder
        if self.on_trace_ready_output_path:
            if "output_path" in kwargs:
                logger.warning("Both on_trace_ready path and output_path are provided. "
                               f"The on_trace_ready path takes effect. Final path is "
                               f"{self.on_trace_ready_output_path}")
            kwargs["output_path"] = self.on_trace_ready_output_path
        schedule = kwargs.get("schedule")
        if schedule is None:
            schedule = Schedule(wait=0, active=1)
        for key, (expected, default) in _PARAMS.items():
            value = kwargs.get(key)
            self.params[key] = default if value is None else _check_common(key, value, expected, default)
        if not isinstance(schedule, Schedule):
            logger.warning(f"For Profiler, schedule value is Invalid, reset to {Schedule(wait=0, active=1)}")
            schedule = Schedule(wait=0, active=1)
        self.schedule = schedule
        on_trace_ready = kwargs.get("on_trace_ready")
        if on_trace_ready is not None and not callable(on_trace_ready):
            logger.warning("For Profiler, on_trace_ready value is Invalid, reset to None.")
            on_trace_ready = None
        self.on_trace_ready = on_trace_ready

    @property
    def start_profile(self) -> bool:
        return self.params["start_profile"]

    @property
    def output_path(self) -> str:
        return os.path.realpath(os.path.expanduser(self.params["output_path"]))

    @property
    def ascend_ms_dir(self) -> str:
        """output_path/<worker>_<timestamp>_ascend_ms, this rank's profile."""
        if self.ascend_ms_dir_name is None:
            raise ValueError("ascend_ms_dir has not been set")
        return os.path.join(self.output_path, self.ascend_ms_dir_name)

    @ascend_ms_dir.setter
    def ascend_ms_dir(self, name: str) -> None:
        self.ascend_ms_dir_name = name

    @property
    def framework_path(self) -> str:
        if self.ascend_ms_dir_name is None:
            raise ValueError("framework_path has not been set")
        return os.path.join(self.ascend_ms_dir, _FRAMEWORK_DIR)


# MindSpore's other Profiler options, and the deprecated ones its 2.10 still takes; each selects a collector
# (device, memory, stack, communication...) that runs inside MindSpore's runtime.
_COLLECTOR_OPTIONS = frozenset((
    "profiler_level", "activities", "aic_metrics", "with_stack", "profile_memory", "parallel_strategy",
    "l2_cache", "hbm_ddr", "pcie", "sys_io", "sys_interconnection", "host_sys", "data_simplification",
    "record_shapes", "export_type", "mstx", "mstx_domain_include", "mstx_domain_exclude", "experimental_config",
    "timeline_limit", "profile_communication", "op_time", "profile_framework", "aicore_metrics",
))


def _warn_collectors(kwargs: Dict[str, Any]) -> None:
    """A collection option set (not None, not False) asks for data gradserve's client cannot collect: said once
    per Profiler (a warning, not a refusal: MindSpore programs pass `activities=[ProfilerActivity.CPU]` routinely,
    and the profile's steps and schedule are still recorded)."""
    asked = sorted(key for key in kwargs if key in _COLLECTOR_OPTIONS and kwargs[key] not in (None, False))
    if asked:
        logger.warning(f"For Profiler, gradserve's client-side profiler has no collector for {asked}: they are "
                       "ignored (it records the steps and their schedule; the ops run on the gradserve server).")

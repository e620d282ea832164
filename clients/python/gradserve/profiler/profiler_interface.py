"""`mindspore.profiler.profiler_interface.ProfilerInterface`: the profile's life cycle (init makes this
process's `<worker>_<pid>_<timestamp>_ascend_ms/{FRAMEWORK,logs}` folders as MindSpore 2.10 does; start / stop turn
RecordFunction's step spans on and off), with MindSpore's warning texts for calls out of order.

gradserve's ops run on the gradserve server, not in a MindSpore runtime: the client has no CPU op collector, so
analyse writes no FRAMEWORK op files or trace_view.json and says so in an error (never an empty or made-up
trace)."""
from __future__ import annotations

from typing import Any

from .. import log as logger
from .common import record_function
from .common.log import ProfilerLogger
from .common.profiler_context import ProfilerContext
from .common.profiler_path_manager import ProfilerPathManager

NO_OP_COLLECTOR = ("ProfilerInterface analyse: gradserve's client-side profiler has no CPU op collector (the ops run "
                   "on the gradserve server), so no FRAMEWORK op files or trace_view.json are written.")


class ProfilerInterface:
    is_initialized = False

    @classmethod
    def init(cls) -> None:
        if cls.is_initialized:
            return
        ProfilerPathManager().set_ascend_ms_dir()
        ProfilerPathManager().create_profiler_paths()
        ProfilerLogger.init(ProfilerContext().ascend_ms_dir)  # MindSpore's CPU platform profiler's logs/ file
        cls.is_initialized = True
        logger.info("ProfilerInterface init")

    @classmethod
    def _initialized(cls, what: str) -> bool:
        if not cls.is_initialized:
            logger.warning(f"ProfilerInterface {what} failed, profiler has not been initialized.")
        return cls.is_initialized

    @classmethod
    def start(cls) -> None:
        if cls._initialized("start"):
            # MindSpore's CPU profiler starts its collector on this folder: a Profiler made after an earlier one
            # that was never analysed (init skipped, folder unnamed) fails here as MindSpore's does.
            ProfilerContext().framework_path  # noqa: B018 - raises "framework_path has not been set"
            record_function.RecordFunction.collecting = True
            logger.info("ProfilerInterface start")

    @classmethod
    def stop(cls) -> None:
        if cls._initialized("stop"):
            record_function.RecordFunction.collecting = False
            logger.info("ProfilerInterface stop")

    @classmethod
    def analyse(cls, **kwargs: Any) -> None:
        if cls._initialized("analyse"):
            logger.error(NO_OP_COLLECTOR)

    @classmethod
    def finalize(cls) -> None:
        if cls._initialized("finalize"):
            logger.info("ProfilerInterface finalize")

    @classmethod
    def clear(cls) -> None:
        if cls._initialized("clear"):
            record_function.RECORDED.clear()
            cls.is_initialized = False
            ProfilerLogger.destroy()
            logger.info("ProfilerInterface clear")

    @classmethod
    def delete_dir(cls) -> None:
        logger.info("ProfilerInterface delete dir")

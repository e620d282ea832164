"""`mindspore.profiler`: the Profiler's control (start / stop / step, Schedule, on_trace_ready,
tensorboard_trace_handler) and MindSpore's profile-file parsers and viewers, run in the user's process on the user's
files. gradserve's ops run on the server: the client's Profiler records its step spans, not op timings
(see profiler_interface)."""
from .profiler import Profiler, tensorboard_trace_handler
from .common.constant import AicoreMetrics, ExportType, HostSystem, ProfilerActivity, ProfilerLevel
from .schedule import Schedule as schedule

__all__ = ["tensorboard_trace_handler", "schedule", "Profiler", "ProfilerLevel", "ProfilerActivity", "AicoreMetrics",
           "ExportType", "HostSystem"]

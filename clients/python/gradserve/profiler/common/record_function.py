"""`mindspore.profiler.common.record_function.RecordFunction`: a named span ("ProfilerStep#3") with its real
start and end (time.perf_counter_ns of this process), kept in `RECORDED` while a profile is collecting."""
from __future__ import annotations

import time
from typing import Any, List, Optional, Tuple

# (name, start ns, end ns) of the spans closed while ProfilerInterface collects; cleared by its clear().
RECORDED: List[Tuple[str, int, int]] = []


class RecordFunction:
    collecting = False  # set by ProfilerInterface.start / stop

    def __init__(self, name: str) -> None:
        self.name = name
        self.start_ns: Optional[int] = None

    def start(self) -> None:
        self.start_ns = time.perf_counter_ns()

    def stop(self) -> None:
        if self.start_ns is not None and RecordFunction.collecting:
            RECORDED.append((self.name, self.start_ns, time.perf_counter_ns()))
        self.start_ns = None

    def __enter__(self) -> None:
        self.start()

    def __exit__(self, exc_type: Any, exc_value: Any, traceback: Any) -> None:
        self.stop()

"""`mindspore.profiler.dynamic_profile.dynamic_profiler_utils`: the dynamic profiler's daemon-mode switch, rank
and config-text parsing, as MindSpore 2.10 has them."""
from __future__ import annotations

import os
from enum import Enum
from typing import Dict

from ... import communication
from ... import log as logger
from ..common.constant import DynoMode


class DynamicProfilerUtils:
    CFG_BUFFER_SIZE = 1024 * 1024
    PROFILER_STATUS = "profiler_status"
    CURRENT_STEP = "current_step"
    START_STEP = "start_step"
    STOP_STEP = "stop_step"
    REPORT_INTERVAL = 1.0

    class ProfilerStatus(Enum):
        UNINITIALIZED = -1
        IDLE = 0
        RUNNING = 1
        READY = 2

    @classmethod
    def is_dyno_mode(cls) -> bool:
        """True when the environment variable is the integer 1; a non-integer is logged and read as 0."""
        value = os.getenv(DynoMode.DYNO_DAEMON, "0")
        try:
            return int(value) == 1
        except ValueError:
            logger.error(f"Environment variable '{DynoMode.DYNO_DAEMON}' value not valid, will be set to 0 !")
            return False

    @classmethod
    def get_real_rank(cls) -> int:
        """communication.get_rank(); RANK_ID (0 unset) when it raises RuntimeError, as MindSpore's."""
        try:
            return communication.get_rank()
        except RuntimeError:
            return int(os.getenv("RANK_ID", "0"))

    @classmethod
    def dyno_str_to_dict(cls, res: str) -> Dict[str, str]:
        """Lines "KEY=VALUE" (exactly one '='; others skipped). A key containing PROFILE or ACTIVITIES (case
        sensitive) loses its text up to the first '_' and is lower-cased; other keys stay as written."""
        out: Dict[str, str] = {}
        for line in str(res).split("\n"):
            parts = line.split("=")
            if len(parts) != 2:
                continue
            key = parts[0].strip()
            if "PROFILE" in parts[0] or "ACTIVITIES" in parts[0]:
                key = key.split("_", 1)[-1].lower()
            out[key] = parts[1].strip()
        return out

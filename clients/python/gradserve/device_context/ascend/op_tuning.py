"""`mindspore.device_context.ascend.op_tuning`: recorded only."""
from __future__ import annotations

from .._settings import record


def op_compile(value: bool) -> None:
    record("ascend.op_compile", value, bool, "value")


def aoe_tune_mode(tune_mode: str) -> None:
    record("ascend.aoe_tune_mode", tune_mode, str, "tune_mode")


def aoe_job_type(config: str) -> None:
    record("ascend.aoe_job_type", config, str, "config")


def aclnn_cache(enable_global_cache: bool = False, cache_queue_length: int = 10000) -> None:
    record("ascend.aclnn_cache", enable_global_cache, bool, "enable_global_cache")
    record("ascend.aclnn_cache_queue_length", cache_queue_length, int, "cache_queue_length")

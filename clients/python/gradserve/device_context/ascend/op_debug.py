"""`mindspore.device_context.ascend.op_debug`: recorded only."""
from __future__ import annotations

from typing import Any

from .._settings import record


def execute_timeout(op_timeout: int) -> None:
    record("ascend.execute_timeout", op_timeout, int, "op_timeout")


def debug_option(option_value: str) -> None:
    record("ascend.debug_option", option_value, str, "option_value")


def aclinit_config(config: dict[str, Any]) -> None:
    record("ascend.aclinit_config", config, dict, "config")

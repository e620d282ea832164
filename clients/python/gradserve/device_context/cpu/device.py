"""`mindspore.device_context.cpu.device`."""
from __future__ import annotations


def is_available() -> bool:
    return True


def device_count() -> int:
    """MindSpore counts one CPU device."""
    return 1

"""`mindspore.device_context.gpu.device`."""
from __future__ import annotations

from .._settings import absent


def is_available() -> bool:
    return False


def device_count() -> int:
    raise absent("GPU")

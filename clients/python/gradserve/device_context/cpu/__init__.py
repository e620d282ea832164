"""`mindspore.device_context.cpu`: the CPU backend is always there (gradserve's service runs every op)."""
from __future__ import annotations

from . import device, op_tuning
from .device import device_count, is_available
from .op_tuning import threads_num

__all__ = ["device", "op_tuning", "device_count", "is_available", "threads_num"]

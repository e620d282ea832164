"""`mindspore.device_context.gpu.op_tuning`: cuDNN algorithm choices, recorded."""
from __future__ import annotations

from .._settings import record


def conv_fprop_algo(mode: str) -> None:
    record("gpu.conv_fprop_algo", mode, str, "mode")


def conv_wgrad_algo(mode: str) -> None:
    record("gpu.conv_wgrad_algo", mode, str, "mode")


def conv_dgrad_algo(mode: str) -> None:
    record("gpu.conv_dgrad_algo", mode, str, "mode")

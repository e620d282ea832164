"""`mindspore.device_context.ascend.op_precision`: recorded only (the service computes in the dtype given)."""
from __future__ import annotations

from .._settings import record


def precision_mode(mode: str) -> None:
    record("ascend.precision_mode", mode, str, "mode")


def op_precision_mode(path: str) -> None:
    record("ascend.op_precision_mode", path, str, "path")


def matmul_allow_hf32(value: bool) -> None:
    record("ascend.matmul_allow_hf32", value, bool, "value")


def conv_allow_hf32(value: bool) -> None:
    record("ascend.conv_allow_hf32", value, bool, "value")

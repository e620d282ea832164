"""`mindspore.device_context.gpu.op_precision`: recorded; the service's float32 kernels never use TF32."""
from __future__ import annotations

from .._settings import record


def matmul_allow_tf32(value: bool) -> None:
    record("gpu.matmul_allow_tf32", value, bool, "value")


def conv_allow_tf32(value: bool) -> None:
    record("gpu.conv_allow_tf32", value, bool, "value")

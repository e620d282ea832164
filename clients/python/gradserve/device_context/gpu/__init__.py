"""`mindspore.device_context.gpu`: MindSpore's GPU backend is not part of gradserve (the service picks its own
devices), so it is not available here; its precision and tuning switches are checked and recorded."""
from __future__ import annotations

from . import device, op_precision, op_tuning
from .device import device_count, is_available
from .op_precision import conv_allow_tf32, matmul_allow_tf32
from .op_tuning import conv_dgrad_algo, conv_fprop_algo, conv_wgrad_algo

__all__ = ["device", "op_precision", "op_tuning", "device_count", "is_available", "conv_allow_tf32",
           "matmul_allow_tf32", "conv_dgrad_algo", "conv_fprop_algo", "conv_wgrad_algo"]

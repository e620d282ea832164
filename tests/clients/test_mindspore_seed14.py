"""MindSpore names the seed-14 sample of MindSpore's own tests reached (benchmarks/mindspore_suite/README.md):
`device_context`, window functions, SparseSoftmaxCrossEntropyWithLogitsV2, CheckValid, zeta, ...

Expected values: MindSpore 2.10 (CPU) run for this task in its own venv where a line says so, otherwise
NumPy / SciPy or a hand derivation named beside the value.
"""
import subprocess
import sys

import numpy as np
import pytest

import gradserve as ms
from gradserve import Tensor, context, ops


def test_device_context_settings_check_and_record():
    # a fresh process: threads_num may be set once per process (MindSpore 2.10: RuntimeError the second time)
    code = """
import gradserve as ms
from gradserve.device_context.cpu.op_tuning import threads_num
from gradserve.device_context._settings import recorded
assert ms.device_context.cpu.is_available() and ms.device_context.cpu.device_count() == 1
assert not ms.device_context.gpu.is_available() and not ms.device_context.ascend.is_available()
try:
    threads_num("2")
except TypeError as e:
    assert "'num'" in str(e), e
else:
    raise AssertionError("a str thread count was accepted")
threads_num(2)
try:
    threads_num(3)
except RuntimeError as e:
    assert "can not be set repeatedly" in str(e), e
else:
    raise AssertionError("threads_num was set twice")
ms.device_context.ascend.op_precision.precision_mode("force_fp32")
ms.device_context.gpu.op_precision.matmul_allow_tf32(False)
assert recorded() == {"threads_num": 2, "ascend.precision_mode": "force_fp32", "gpu.matmul_allow_tf32": False}
try:
    ms.device_context.ascend.device_count()
except RuntimeError as e:
    assert "Ascend" in str(e)
else:
    raise AssertionError("an Ascend device was counted")
print("ok")
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.stdout.strip() == "ok", out.stderr

"""The moving statistics of a training-mode batch norm (ops.BatchNorm, ops.batch_norm, nn.BatchNorm1d/2d).

MindSpore's BatchNorm primitive in training updates its mean / variance inputs when they are
Parameters (they are Refs there): running = (1 - momentum) * running + momentum * batch, where the batch
variance is the unbiased one (sum of squares / (n - 1)) while the output is normalised by the biased
one. nn.BatchNorm passes momentum' = 1 - momentum (its documented `moving = momentum * moving + (1 -
momentum) * batch`). Checked against MindSpore 2.10 on CPU (tests/clients/test_batchnorm_running.py).
Through ops.assign, so inside a trace the update is the trace's (written back after the run) and
outside one it writes the Parameters at once.
"""
from __future__ import annotations

import numpy as np

from .._tensor import Parameter
from .._trace import apply, cast
from ._assign import assign


def update_running(x, mean, variance, momentum: float) -> None:
    """Fold x's batch statistics over all axes but 1 into `mean` / `variance` if they are Parameters."""
    if not (isinstance(mean, Parameter) and isinstance(variance, Parameter)):
        return  # a plain Tensor holds no state to update (MindSpore needs Parameters here)
    axes = [0] + list(range(2, len(x.shape)))
    n = int(np.prod([x.shape[a] for a in axes], dtype=np.int64))
    keep = apply("mean", [x], {"axis": axes, "keepdims": True})[0]
    centred = x - keep
    bm = apply("stop_gradient", [apply("mean", [x], {"axis": axes, "keepdims": False})[0]], {})[0]
    ss = apply("sum", [centred * centred], {"axis": axes, "keepdims": False})[0]
    bv = apply("stop_gradient", [ss / float(max(n - 1, 1))], {})[0]
    m = float(momentum)
    assign(mean, mean * (1.0 - m) + cast(bm, mean._dtype) * m)
    assign(variance, variance * (1.0 - m) + cast(bv, variance._dtype) * m)

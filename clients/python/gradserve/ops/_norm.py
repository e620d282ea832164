"""MindSpore's batch normalisation spellings over the engine's `batch_norm(x, scale, bias, mean, var)`.

`ops.BatchNorm(...)(x, scale, bias, mean, variance)` returns MindSpore's five outputs, and
`ops.batch_norm(x, running_mean, running_var, weight, bias)` takes MindSpore's argument order
(statistics before the affine parameters): the engine's order would silently give other numbers.
Running statistics are not updated (a graph holds no state); only output 0 is differentiated, as
MindSpore's rule does (the statistics outputs pass no gradient back)."""
from __future__ import annotations

import numpy as np

from .._tensor import Tensor
from .._trace import apply
from . import _primitives


def _stats(x, mean, variance, training: bool):
    """Outputs 1-4: the batch mean and (biased) variance in training, the given ones in inference
    (MindSpore documents reserve_space_1/2 equal to mean/variance for inference)."""
    if training:
        axes = [0] + list(range(2, len(x.shape)))
        keep = apply("mean", [x], {"axis": axes, "keepdims": True})[0]
        centred = x - keep
        mean = apply("mean", [x], {"axis": axes, "keepdims": False})[0]
        variance = apply("mean", [centred * centred], {"axis": axes, "keepdims": False})[0]
    mean, variance = _primitives.stop_gradient(mean), _primitives.stop_gradient(variance)
    return mean, variance, mean, variance


class BatchNorm(_primitives.Primitive):
    """BatchNorm(is_training=False, epsilon=1e-5, momentum=0.1, data_format='NCHW')(x, scale, bias,
    mean, variance) -> (y, batch_mean, batch_variance, reserve_space_1, reserve_space_2)."""

    op = "batch_norm"

    def __init__(self, is_training: bool = False, epsilon: float = 1e-5, momentum: float = 0.1,
                 data_format: str = "NCHW"):
        if data_format != "NCHW":
            raise ValueError(f"BatchNorm: data_format {data_format!r} is not supported (NCHW only)")
        super().__init__(epsilon=float(epsilon), training=bool(is_training))
        self.momentum = momentum

    def __call__(self, x, scale, bias, mean, variance):
        y = apply("batch_norm", [x, scale, bias, mean, variance], self.attrs)[0]
        return (y, *_stats(x, mean, variance, self.attrs["training"]))


def _ones(x, value: float) -> Tensor:
    return Tensor(np.full((x.shape[1],), value, np.dtype(x._dtype)))


def batch_norm(input_x, running_mean, running_var, weight, bias, training=False, momentum=0.1, eps=1e-5):
    """MindSpore's functional batch_norm (its argument order): weight / bias None are 1 / 0."""
    weight = _ones(input_x, 1.0) if weight is None else weight
    bias = _ones(input_x, 0.0) if bias is None else bias
    return apply("batch_norm", [input_x, weight, bias, running_mean, running_var],
                 {"epsilon": float(eps), "training": bool(training)})[0]


__all__ = ["BatchNorm", "batch_norm"]

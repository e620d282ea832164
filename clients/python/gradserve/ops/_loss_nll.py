"""ops.nll_loss(inputs, target, weight=None, ignore_index=-100, reduction='mean', label_smoothing=0.0): MindSpore
2.10's negative log-likelihood over inputs [C], [N, C] or [N, C, d1, ...] (class axis 1, or 0 of a 1-D input), on
the primitive NLLLoss (ops._losses_ms) over the rows moved to [M, C]. With label_smoothing e the loss is
(1 - e) nll + e / C * smooth, smooth = -sum_c weight_c x_c of each counted element, reduced as nll is (MindSpore's
_nll_loss); 'mean' divides both by the summed weights of the counted targets."""
from __future__ import annotations

import numpy as np

from .._tensor import Tensor
from ._extra import P
from ._losses_ms import NLLLoss, mean_over_weights

__all__ = ["nll_loss"]

_INT_TARGETS = ("int32", "int64")


def _check(inputs, target, weight, ignore_index, reduction, label_smoothing):
    for name, t in (("inputs", inputs), ("target", target)):
        if not isinstance(t, Tensor):
            raise TypeError(f"For 'nll_loss', '{name}' must be a Tensor, got {type(t).__name__}")
    if weight is not None and not isinstance(weight, Tensor):
        raise TypeError(f"For 'nll_loss', 'weight' must be a Tensor or None, got {type(weight).__name__}")
    if reduction not in ("none", "mean", "sum"):
        raise ValueError(f"For 'nll_loss', 'reduction' must be 'none', 'mean' or 'sum', got {reduction!r}")
    if not isinstance(ignore_index, int) or isinstance(ignore_index, bool):
        raise TypeError(f"For 'nll_loss', 'ignore_index' must be an int, got {type(ignore_index).__name__}")
    if not isinstance(label_smoothing, (int, float)) or not 0.0 <= label_smoothing <= 1.0:
        raise ValueError(f"For 'nll_loss', 'label_smoothing' must be a float in [0, 1], got {label_smoothing!r}")
    if str(target.dtype).lower() not in _INT_TARGETS:
        raise TypeError(f"For 'nll_loss', 'target' must be int32 or int64 class indices, got {target.dtype}")
    shape = tuple(inputs.shape)
    if not shape:
        raise ValueError("For 'nll_loss', 'inputs' must have a class axis, got a 0-d Tensor")
    want = () if len(shape) == 1 else shape[:1] + shape[2:]
    if tuple(target.shape) != want:
        raise ValueError(f"For 'nll_loss', 'target' must have shape {list(want)} (inputs {list(shape)} without its "
                         f"class axis), got {list(target.shape)}")
    n_cls = shape[0] if len(shape) == 1 else shape[1]
    if weight is not None and tuple(weight.shape) != (n_cls,):
        raise ValueError(f"For 'nll_loss', 'weight' must have shape [{n_cls}] (one per class), "
                         f"got {list(weight.shape)}")
    return n_cls


def _rows(inputs, target):
    """inputs as [M, C] rows (the class axis last) and target as [M]."""
    if inputs.ndim == 1:
        return P.reshape(inputs, (1, -1)), P.reshape(target, (1,))
    if inputs.ndim > 2:
        perm = (0, *range(2, inputs.ndim), 1)
        inputs = P.reshape(P.transpose(inputs, perm), (-1, int(inputs.shape[1])))
    return inputs, P.reshape(target, (-1,))


def nll_loss(inputs, target, weight=None, ignore_index=-100, reduction="mean", label_smoothing=0.0):
    """MindSpore 2.10's ops.nll_loss (module docstring)."""
    n_cls = _check(inputs, target, weight, ignore_index, reduction, label_smoothing)
    rows, labels = _rows(inputs, target)
    w = P.cast(Tensor(np.ones(n_cls, np.float32)) if weight is None else weight, inputs.dtype)
    loss, total = NLLLoss("none", ignore_index)(rows, labels, w)
    if label_smoothing:
        kept = P.cast(P.not_equal(labels, ignore_index), inputs.dtype)
        smooth = P.mul(P.neg(P.sum(P.mul(rows, w), -1)), kept)
        loss = P.add(P.mul(loss, 1.0 - float(label_smoothing)), P.mul(smooth, float(label_smoothing) / n_cls))
    if reduction == "sum":
        return P.sum(loss)
    if reduction == "mean":
        return mean_over_weights(P.sum(loss), total)
    out_shape = tuple(target.shape)
    return P.reshape(loss, out_shape)

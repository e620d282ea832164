"""MindSpore 2.10 nn functions from its documented examples, composed of existing ops (differentiable through the
engine): adaptive_avg_pool2d (torch's windows, one axis after the other: a mean over a rectangle is one over its
rows of those over its columns; the max pools are in _adaptive_nd), ChannelShuffle (ops.channel_shuffle's primitive form),
cosine_embedding_loss, multi_margin_loss (and MultiMarginLoss)."""
from __future__ import annotations

import numpy as np

from .._late import late
from .._tensor import Tensor
from .._calling_errors import input_dtype_error, tensor_type
from ._adaptive_pool1d import mean_windows
from ._channel_shuffle import channel_shuffle
from ._ms_names import _reduced

__all__ = ["adaptive_avg_pool2d", "ChannelShuffle", "cosine_embedding_loss",
           "multi_margin_loss", "MultiMarginLoss"]


def _sizes(x, output_size, where: str) -> tuple[int, int]:
    """(out_h, out_w) of an int or a pair (None keeps the input's size) for a 3-D or 4-D input."""
    if not isinstance(x, Tensor) or len(x.shape) not in (3, 4):
        raise ValueError(f"For '{where}', the input must be a 3-D or 4-D Tensor, got "
                         f"{list(x.shape) if isinstance(x, Tensor) else type(x).__name__}")
    pair = (output_size, output_size) if isinstance(output_size, int) else tuple(output_size)
    if len(pair) != 2:
        raise ValueError(f"For '{where}', 'output_size' must be an int or a pair, got {output_size!r}")
    h, w = (int(x.shape[-2 + i]) if s is None else int(s) for i, s in enumerate(pair))
    return h, w


def _along_h(fn, x, out_h):
    """fn (a 1-D adaptive pool over the last axis) applied over the height (the second-to-last axis)."""
    return late.ops.swapaxes(fn(late.ops.swapaxes(x, -1, -2), out_h), -1, -2)


def _flat3(fn):
    """fn over a 3-D or 4-D input through the 1-D pools' (N, C, L) layout."""
    def run(x, size):
        lead = tuple(x.shape[:-1])
        out = fn(late.ops.reshape(x, (-1, 1, x.shape[-1])), size)
        return late.ops.reshape(out, lead + (size,))
    return run


def adaptive_avg_pool2d(input, output_size):  # noqa: A002 - MindSpore's names
    """The mean of each of out_h x out_w windows input[..., floor(i H / out_h) : ceil((i + 1) H / out_h), ...]."""
    if isinstance(input, Tensor) and input._dtype not in ("float16", "float32", "float64"):  # (MindSpore 2.10's)
        raise input_dtype_error("AdaptiveAvgPool2D", "x", ("float16", "float32", "float64"), tensor_type(input))
    out_h, out_w = _sizes(input, output_size, "adaptive_avg_pool2d")
    pool = _flat3(lambda x, n: mean_windows(x, n, "adaptive_avg_pool2d"))
    return _along_h(pool, pool(input, out_w), out_h)


class ChannelShuffle:
    """ops.ChannelShuffle(group)(x)."""

    def __init__(self, group):
        self.group = group

    def __call__(self, x):
        return channel_shuffle(x, self.group)


def cosine_embedding_loss(input1, input2, target, margin=0.0, reduction="mean"):
    """Per row: 1 - cos(x1, x2) where target is 1, max(0, cos - margin) where it is -1 (0 elsewhere)."""
    ops = late.ops
    if not -1.0 <= float(margin) <= 1.0:
        raise ValueError(f"For ops.cosine_embedding_loss, the value of 'margin' should be in [-1, 1], but got "
                         f"{margin}.")
    x1, x2 = (ops.cast(v, "float32") if v._dtype in ("int32", "int64") else v for v in (input1, input2))
    cosine = ops.div(ops.sum(ops.mul(x1, x2), 1),
                     ops.mul(ops.sqrt(ops.sum(ops.square(x1), 1)), ops.sqrt(ops.sum(ops.square(x2), 1))))
    zeros = ops.zeros_like(cosine)
    positive = ops.select(ops.equal(target, 1), ops.sub(1.0, cosine), zeros)
    negative = ops.select(ops.equal(target, -1), ops.maximum(ops.sub(cosine, float(margin)), zeros), zeros)
    return _reduced(ops.add(positive, negative), reduction, where="cosine_embedding_loss")


def multi_margin_loss(input, target, p=1, margin: float = 1, weight=None, reduction="mean"):  # noqa: A002
    """Per row i of (N, C) scores: sum over classes j != y_i of max(0, margin - x[i, y_i] + x[i, j])^p, times
    weight[y_i], over C."""
    ops = late.ops
    if p not in (1, 2):
        raise ValueError(f"For 'multi_margin_loss', 'p' must be 1 or 2, but got {p!r}.")
    if len(input.shape) != 2:
        raise ValueError(f"For 'multi_margin_loss', the input must be (N, C), got {tuple(input.shape)}.")
    if str(target.dtype) != "Int64":  # MindSpore 2.10's kernel takes int64 targets only (int32 / uint8: this text)
        raise input_dtype_error("MultiMarginLoss", "target", ("int64",), tensor_type(target))
    n, c = input.shape
    picked = ops.gather_elements(input, 1, ops.reshape(ops.cast(target, "int64"), (n, 1)))  # x[i, y_i]
    hinge = ops.maximum(ops.add(ops.sub(float(margin), picked), input), ops.zeros_like(input))
    hinge = ops.square(hinge) if p == 2 else hinge
    others = ops.logical_not(ops.equal(ops.reshape(ops.cast(target, "int64"), (n, 1)),
                                       Tensor(np.arange(c, dtype=np.int64).reshape(1, c))))
    hinge = ops.select(others, hinge, ops.zeros_like(hinge))
    if weight is not None:
        hinge = ops.mul(hinge, ops.reshape(ops.gather(weight, ops.cast(target, "int64"), 0), (n, 1)))
    return _reduced(ops.div(ops.sum(hinge, 1), float(c)), reduction, where="multi_margin_loss")


class MultiMarginLoss:
    """ops.MultiMarginLoss(p=1, margin=1.0, reduction='mean')(x, target, weight=None)."""

    def __init__(self, p=1, margin=1.0, reduction="mean"):
        self.p, self.margin, self.reduction = p, margin, reduction

    def __call__(self, x, target, weight=None):
        return multi_margin_loss(x, target, self.p, self.margin, weight, self.reduction)

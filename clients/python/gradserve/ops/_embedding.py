"""ops.embedding / mint.nn.functional.embedding: MindSpore 2.10's lookup of weight's rows, with padding_idx,
max_norm (an in-place renorm of the rows read) and scale_grad_by_freq, composed of gather and elementwise ops."""
from __future__ import annotations

from .._late import late

__all__ = ["embedding"]


def embedding(input, weight, padding_idx=None, max_norm=None, norm_type=2.0,  # noqa: A002
              scale_grad_by_freq=False):
    """weight's rows at the indices input. padding_idx: that row's gradient is 0. max_norm: each row input reads
    whose norm_type-norm is above it is scaled by max_norm / (norm + 1e-7) in weight itself, in place, before the
    read (MindSpore 2.10's documentation; its CPU build has no Embedding kernel; PyTorch's renorm alike, outside
    the gradient). scale_grad_by_freq: each row's gradient divided by its index's count in input."""
    ops = late.ops
    if max_norm is not None:
        _renorm_rows(weight, input, float(max_norm), norm_type)
    rows = ops.gather(weight, input, 0)
    if padding_idx is None and not scale_grad_by_freq:
        return rows
    if padding_idx is not None and padding_idx < 0:
        padding_idx += weight.shape[0]
    value = rows
    grad_scale = ops.ones(tuple(input.shape), rows.dtype)
    if scale_grad_by_freq:
        flat = ops.reshape(input, (-1,))
        counts = ops.sum(ops.cast(ops.equal(ops.expand_dims(input, -1), flat), rows.dtype), -1)
        grad_scale = grad_scale / counts
    if padding_idx is not None:
        grad_scale = grad_scale * ops.cast(ops.not_equal(input, padding_idx), rows.dtype)
    scaled = rows * ops.expand_dims(grad_scale, -1)
    return ops.stop_gradient(value) + (scaled - ops.stop_gradient(scaled))  # value's values, scaled's gradient


def _renorm_rows(weight, input, max_norm: float, norm_type) -> None:  # noqa: A002
    """embedding's max_norm: the rows of weight that input reads, scaled to norm max_norm where above it, written
    into weight (a Parameter's update, a Tensor's in-place write; no gradient flows through it)."""
    ops = late.ops
    w = ops.stop_gradient(weight)
    norm = ops.vector_norm(w, norm_type, -1, True)
    ids = ops.reshape(input, (1, -1))
    read = ops.any(ops.equal(ops.expand_dims(ops.arange(weight.shape[0], dtype=ids.dtype), -1), ids), -1)
    over = ops.logical_and(ops.expand_dims(read, -1), ops.gt(norm, max_norm))
    ops.assign(weight, ops.select(over, w * (max_norm / (norm + 1e-7)), w))

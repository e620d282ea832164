"""MindSpore 2.10 primitives and functions of its documented examples, composed of existing ops (so the float
ones differentiate through the engine): SparseSoftmaxCrossEntropyWithLogits, ScatterAddWithAxis,
TridiagonalMatMul, NthElement, Polygamma's (a, x) form, affine_grid / AffineGrid, AdaptiveAvgPool2D, intopk,
eps, Histogram, CompareAndBitpack, CheckNumerics, IdentityN, ParallelConcat, check_valid, gumbel_softmax."""
from __future__ import annotations

import numpy as np

from .._late import late
from .._tensor import Tensor
from . import _primitives

__all__ = ["SparseSoftmaxCrossEntropyWithLogits", "ScatterAddWithAxis", "TridiagonalMatMul", "NthElement", "Polygamma",
           "affine_grid", "AffineGrid", "AdaptiveAvgPool2D", "intopk", "eps", "Histogram", "CompareAndBitpack",
           "CheckNumerics", "IdentityN", "ParallelConcat", "check_valid", "gumbel_softmax"]


class SparseSoftmaxCrossEntropyWithLogits:
    """ops.SparseSoftmaxCrossEntropyWithLogits(is_grad=False)(logits [N, C], labels [N]): the batch mean of
    -log softmax(logits)[label]; is_grad=True: its gradient in logits, (softmax - one_hot) / N."""

    def __init__(self, is_grad=False):
        if not isinstance(is_grad, bool):
            raise TypeError(f"For 'SparseSoftmaxCrossEntropyWithLogits', 'is_grad' must be a bool, got "
                            f"{type(is_grad).__name__}")
        self.is_grad = is_grad

    def __call__(self, logits, labels):
        ops = late.ops
        where = "SparseSoftmaxCrossEntropyWithLogits"
        if len(logits.shape) != 2 or tuple(labels.shape) != tuple(logits.shape[:1]):
            raise ValueError(f"For '{where}', logits must be [N, C] and labels [N], got {list(logits.shape)} and "
                             f"{list(labels.shape)}")
        n, classes = int(logits.shape[0]), int(logits.shape[1])
        # (float32 on / off values, then the logits' dtype: OneHot itself refuses float64 ones, as MindSpore's)
        hot = ops.cast(ops.one_hot(ops.cast(labels, "int64"), classes, 1.0, 0.0), logits.dtype)
        if self.is_grad:
            return ops.div(ops.sub(ops.softmax(logits, -1), hot), float(n))
        return ops.neg(ops.div(ops.sum(ops.mul(ops.log_softmax(logits, -1), hot)), float(n)))


class ScatterAddWithAxis:
    """ops.ScatterAddWithAxis(axis=0)(input_x, indices, updates): updates added at indices along axis
    (tensor_scatter_elements with reduction 'add')."""

    def __init__(self, axis=0):
        self.axis = int(axis)

    def __call__(self, input_x, indices, updates):
        return late.ops.tensor_scatter_elements(input_x, indices, updates, self.axis, "add")


class TridiagonalMatMul:
    """ops.TridiagonalMatMul()(superdiag, maindiag, subdiag, rhs): the tridiagonal matrix of the three diagonals
    ([..., 1, M] each; superdiag's last and subdiag's first element unused) times rhs [..., M, N]."""

    def __call__(self, superdiag, maindiag, subdiag, rhs):
        ops = late.ops
        where = "TridiagonalMatMul"
        m = int(rhs.shape[-2]) if len(rhs.shape) >= 2 else -1
        for name, d in (("superdiag", superdiag), ("maindiag", maindiag), ("subdiag", subdiag)):
            if len(d.shape) < 2 or tuple(d.shape[-2:]) != (1, m):
                raise ValueError(f"For '{where}', '{name}' must be [..., 1, {m}] for rhs of shape {list(rhs.shape)}, "
                                 f"got {list(d.shape)}")
        column = [ops.swapaxes(d, -1, -2) for d in (superdiag, maindiag, subdiag)]  # [..., M, 1]
        zeros = ops.zeros_like(ops.narrow(rhs, -2, 0, 1))
        below = ops.concat([ops.narrow(rhs, -2, 1, m - 1), zeros], -2)  # row i: rhs[i + 1]
        above = ops.concat([zeros, ops.narrow(rhs, -2, 0, m - 1)], -2)  # row i: rhs[i - 1]
        return ops.add(ops.add(ops.mul(column[0], below), ops.mul(column[1], rhs)), ops.mul(column[2], above))


class NthElement:
    """ops.NthElement(reverse=False)(input, n): the n-th smallest (reverse: largest) along the last axis."""

    def __init__(self, reverse=False):
        self.reverse = bool(reverse)

    def __call__(self, input, n):  # noqa: A002 - MindSpore's name
        n = int(n._host_copy().reshape(-1)[0]) if isinstance(n, Tensor) else int(n)
        if not 0 <= n < int(input.shape[-1]):
            raise ValueError(f"For 'NthElement', 'n' must be in [0, {input.shape[-1]}) (the last dimension), got {n}")
        ops = late.ops
        ordered = ops.sort(input, -1, self.reverse)[0]
        value = ops.narrow(ordered, -1, n, 1)
        if not input._dtype.startswith(("float", "bfloat")):  # (no gradient to share)
            return ops.squeeze(value, -1)
        # the gradient splits equally among the elements tied with the value (MindSpore 2.10's, as ReduceMax):
        # the maximum of the tied elements, the engine's max op sharing it; a NaN value keeps sort's route
        tied = ops.equal(input, ops.stop_gradient(value))
        split = ops.amax(ops.select(tied, input, ops.full_like(input, -np.inf)), -1, True)
        return ops.squeeze(ops.select(ops.isnan(value), value, split), -1)


class Polygamma(_primitives.Primitive):
    """ops.Polygamma()(a, x): the a-th derivative of digamma at x (MindSpore's form); with one input, the
    engine op's (Polygamma(n=...)(x))."""

    op = "polygamma"

    def __call__(self, *inputs, **kwargs):
        if len(inputs) == 2 and not kwargs:
            return late.ops.polygamma(*inputs)
        return super().__call__(*inputs, **kwargs)


def affine_grid(theta, size, align_corners=False):
    """The sampling grid of the affine maps theta ([N, 2, 3] for size (N, C, H, W): [N, H, W, 2]; [N, 3, 4] for
    (N, C, D, H, W): [N, D, H, W, 3]) over normalized coordinates in [-1, 1]; differentiable in theta."""
    ops = late.ops
    size = [int(v) for v in (size._host_copy().tolist() if isinstance(size, Tensor) else size)]
    spatial = size[2:]
    if len(spatial) not in (2, 3) or tuple(theta.shape) != (size[0], len(spatial), len(spatial) + 1):
        raise ValueError(f"For 'affine_grid', theta must be [N, 2, 3] for a 4-D size or [N, 3, 4] for a 5-D one, "
                         f"got theta {list(theta.shape)} and size {size}")

    def axis(n: int) -> np.ndarray:
        if align_corners:
            return np.linspace(-1.0, 1.0, n) if n > 1 else np.zeros(1)
        return (2.0 * np.arange(n) + 1.0) / n - 1.0

    # (x, y[, z], 1) per point, x along the last (width) axis
    coords = list(np.meshgrid(*[axis(n) for n in spatial], indexing="ij"))[::-1]
    base = np.stack(coords + [np.ones(spatial)], -1).reshape(1, -1, len(spatial) + 1)
    base = np.broadcast_to(base, (size[0],) + base.shape[1:]).astype(theta._dtype)
    grid = ops.matmul(Tensor(base), ops.swapaxes(theta, -1, -2))
    return ops.reshape(grid, (size[0], *spatial, len(spatial)))


class AffineGrid:
    """ops.AffineGrid(align_corners=False)(theta, output_size): affine_grid."""

    def __init__(self, align_corners=False):
        self.align_corners = bool(align_corners)

    def __call__(self, theta, output_size):
        return affine_grid(theta, output_size, self.align_corners)


class AdaptiveAvgPool2D:
    """ops.AdaptiveAvgPool2D(output_size)(input_x): adaptive_avg_pool2d (None in output_size keeps that size)."""

    def __init__(self, output_size):
        self.output_size = output_size

    def __call__(self, input_x):
        return late.ops.adaptive_avg_pool2d(input_x, self.output_size)


def intopk(x1, x2, k):
    """Whether each row's target x2[i] is among the k largest of x1[i] (ops.InTopK)."""
    return late.ops.InTopK(k)(x1, x2)


def eps(x):
    """The machine epsilon of x's float dtype, in x's shape."""
    if not isinstance(x, Tensor) or not x._dtype.startswith(("float", "bfloat")):
        raise TypeError(f"For 'eps', the input must be a float Tensor, got {getattr(x, 'dtype', type(x).__name__)}")
    value = 2.0 ** -7 if x._dtype == "bfloat16" else float(np.finfo(x._dtype).eps)
    return late.ops.fill(x.dtype, tuple(x.shape), value)


class Histogram:
    """ops.Histogram(bins=100, min=0.0, max=0.0)(x): histc."""

    def __init__(self, bins=100, min=0.0, max=0.0):  # noqa: A002 - MindSpore's names
        self.bins, self.min, self.max = bins, min, max

    def __call__(self, x):
        return late.ops.histc(x, self.bins, self.min, self.max)


class CompareAndBitpack:
    """ops.CompareAndBitpack()(x, threshold): x > threshold, each 8 along the last axis packed into a uint8
    (the first the highest bit)."""

    def __call__(self, x, threshold):
        if not isinstance(x, Tensor) or x.ndim < 1 or int(x.shape[-1]) % 8:
            raise ValueError(f"For 'CompareAndBitpack', x's last dimension must be a multiple of 8, got shape "
                             f"{list(getattr(x, 'shape', []))}")
        above = late.ops.greater(x, threshold)._host_copy()
        return Tensor(np.packbits(above, axis=-1))


class CheckNumerics:
    """ops.CheckNumerics()(x): x, or an error naming the first NaN / infinity."""

    def __call__(self, x):
        values = x._host_copy()
        bad = ~np.isfinite(values)
        if bad.any():
            where = tuple(int(i) for i in np.argwhere(bad)[0])
            raise ValueError(f"For 'CheckNumerics', the input has a NaN or infinity: {values[where]} at {list(where)}")
        return x


class IdentityN:
    """ops.IdentityN()(x): the list or tuple of Tensors x, as a tuple."""

    def __call__(self, x):
        if not isinstance(x, (list, tuple)) or not all(isinstance(t, Tensor) for t in x):
            raise TypeError("For 'IdentityN', the input must be a list or tuple of Tensors")
        return tuple(x)


class ParallelConcat:
    """ops.ParallelConcat()(values): Tensors of shape [1, ...] stacked along the first axis."""

    def __call__(self, values):
        shapes = [tuple(v.shape) for v in values]
        if not shapes or any(s[:1] != (1,) or s != shapes[0] for s in shapes):
            raise ValueError(f"For 'ParallelConcat', the inputs must share one shape [1, ...], got {shapes}")
        return late.ops.concat(list(values), 0)


def check_valid(bboxes, img_metas):
    """Whether each box (x1, y1, x2, y2) lies in the image of img_metas (height, width, ratio): CheckValid."""
    return late.ops.CheckValid()(bboxes, img_metas)


def gumbel_softmax(logits, tau=1.0, hard=False, dim=-1):
    """softmax((logits + g) / tau) along dim, g standard Gumbel noise (-log(-log(u)), u uniform in (0, 1));
    hard: the one-hot of its argmax in the forward pass, the soft sample's gradient (straight-through)."""
    ops = late.ops
    if not isinstance(logits, Tensor) or not logits._dtype.startswith("float"):
        raise TypeError(f"For 'gumbel_softmax', 'logits' must be a float Tensor, got "
                        f"{getattr(logits, 'dtype', type(logits).__name__)}")
    if not isinstance(tau, (int, float)) or isinstance(tau, bool) or tau <= 0:
        raise ValueError(f"For 'gumbel_softmax', 'tau' must be a positive number, got {tau!r}")
    tiny = float(np.finfo(np.dtype(logits._dtype)).tiny)
    u = ops.clip_by_value(ops.rand_like(logits), tiny, 1.0 - float(np.finfo(np.dtype(logits._dtype)).epsneg))
    soft = ops.softmax(ops.div(ops.sub(logits, ops.log(ops.neg(ops.log(u)))), float(tau)), dim)
    if not hard:
        return soft
    axis = dim % logits.ndim
    hot = ops.one_hot(ops.argmax(soft, axis), int(logits.shape[axis]), 1.0, 0.0, axis)
    return ops.add(ops.sub(ops.cast(hot, logits._dtype), ops.stop_gradient(soft)), soft)

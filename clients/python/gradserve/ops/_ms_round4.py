"""MindSpore 2.10 ops composed from engine ops (forms and values checked against MindSpore 2.10 on CPU for
this task): Invert / invert / bitwise_not, IndexAdd / index_add, Renorm / renorm, Lerp, FastGeLU / fast_gelu,
LpNorm, smooth_l1_loss, Dense (`operations.nn_ops`), Unique / unique (eager only: its output shape depends on the values, and MindSpore
has no gradient for its indices)."""
from __future__ import annotations

import numpy as np

from .._tensor import Parameter, Tensor
from .._trace import apply
from ._assign import assign
from ._extra import P
from ._math_more import full_like, lerp

__all__ = ["Invert", "invert", "bitwise_not", "IndexAdd", "index_add", "Renorm", "renorm", "Lerp", "FastGeLU",
           "fast_gelu", "LpNorm", "smooth_l1_loss", "Dense", "Unique", "unique"]

_UINT_MAX = {"uint8": 255, "uint16": 65535, "uint32": 2 ** 32 - 1}


def invert(x):
    """~x of an integer tensor: -x - 1 (signed), max - x (unsigned); MindSpore refuses bool and floats."""
    dt = x._dtype
    if dt in _UINT_MAX:
        return P.sub(full_like(x, _UINT_MAX[dt]), x)
    if not dt.startswith("int"):
        raise TypeError(f"invert: x must be an integer tensor, got {dt}")
    return P.sub(P.neg(x), P.ones_like(x))


bitwise_not = invert  # mint.bitwise_not / Tensor.bitwise_not (integers)


class Invert:
    def __call__(self, x):
        return invert(x)


def index_add(x, indices, y, axis: int, use_lock: bool = True, check_index_bound: bool = True):
    """x with the slices of y added at `indices` along `axis` (repeated indices accumulate); d/dx the
    cotangent, d/dy its slices at `indices`."""
    ax = int(axis) % max(len(x.shape), 1)
    if len(indices.shape) != 1:
        raise ValueError(f"index_add: indices must be 1-D, got shape {tuple(indices.shape)}")
    want = tuple(x.shape[:ax]) + (indices.shape[0],) + tuple(x.shape[ax + 1:])
    if tuple(y.shape) != want:
        raise ValueError(f"index_add: y has shape {tuple(y.shape)}, need {want} (x {tuple(x.shape)}, axis {axis}, "
                         f"{indices.shape[0]} indices)")
    added = apply("scatter_add", [y, indices], {"shape": list(x.shape), "axis": ax})[0]
    return P.add(x, added)


class IndexAdd:
    """ops.IndexAdd(axis, use_lock=True, check_index_bound=True)(input_x, indices, y): index_add, the
    result also stored in input_x when it is a Parameter (as MindSpore; under vmap it is a batched value)."""

    def __init__(self, axis: int, use_lock: bool = True, check_index_bound: bool = True):
        self.axis = int(axis)

    def __call__(self, input_x, indices, y):
        out = index_add(input_x, indices, y, self.axis)
        if isinstance(input_x, Parameter):
            assign(input_x, out)
        return out


def _p_norm(x, p: float, axes, keepdims: bool):
    """(sum |x|^p over axes)^(1/p), with a zero gradient (not NaN) where the sum is 0; real for complex x."""
    mag = P.abs(x)
    mag = P.real(mag) if mag._dtype.startswith("complex") else mag  # the engine's abs keeps complex's dtype
    s = P.sum(P.pow(mag, float(p)), axes, keepdims)
    pos = P.greater(s, P.zeros_like(s))
    root = P.pow(P.select(pos, s, P.ones_like(s)), 1.0 / float(p))
    return P.select(pos, root, P.zeros_like(s))


def renorm(input, p, axis: int, maxnorm: float):  # noqa: A002
    """Each slice along `axis` whose p-norm exceeds maxnorm scaled to norm maxnorm (by maxnorm / (norm + 1e-7))."""
    if float(p) <= 0:
        raise ValueError(f"renorm: p must be > 0, got {p}")
    ax = int(axis) % len(input.shape)
    others = tuple(a for a in range(len(input.shape)) if a != ax)
    norm = _p_norm(input, p, others, True)
    scale = P.div(float(maxnorm), P.add(norm, 1e-7))
    over = P.greater(norm, full_like(norm, float(maxnorm)))
    factor = P.select(over, scale, P.ones_like(norm))
    return P.mul(input, factor if factor._dtype == input._dtype else P.cast(factor, input._dtype))


class Renorm:
    """ops.Renorm(p, dim, maxnorm)(input_x)."""

    def __init__(self, p: int, dim: int, maxnorm: float):
        self.p, self.dim, self.maxnorm = p, int(dim), float(maxnorm)

    def __call__(self, input_x):
        return renorm(input_x, self.p, self.dim, self.maxnorm)


class Lerp:
    """ops.Lerp()(start, end, weight)."""

    def __call__(self, start, end, weight):
        return lerp(start, end, weight)


def fast_gelu(x):
    """x / (1 + exp(-1.702 |x|)) * exp(0.851 (x - |x|)): MindSpore's FastGeLU, written so exp never overflows."""
    a = P.abs(x)
    return P.mul(P.div(x, P.add(P.exp(P.mul(a, -1.702)), 1.0)), P.exp(P.mul(P.sub(x, a), 0.851)))


class FastGeLU:
    def __call__(self, x):
        return fast_gelu(x)


class LpNorm:
    """ops.LpNorm(axis, p=2, keep_dims=False, epsilon=1e-12)(x): the p-norm over axis, at least epsilon
    (MindSpore's floor; the gradient is 0 there)."""

    def __init__(self, axis, p: int = 2, keep_dims: bool = False, epsilon: float = 1e-12):
        if float(p) <= 0:
            raise ValueError(f"LpNorm: p must be > 0 here, got {p}")
        self.axis = (int(axis),) if isinstance(axis, int) else tuple(int(a) for a in axis)
        self.p, self.keep_dims, self.epsilon = p, bool(keep_dims), float(epsilon)

    def __call__(self, input):  # noqa: A002
        n = _p_norm(input, self.p, self.axis, self.keep_dims)
        eps = full_like(n, self.epsilon)
        return P.select(P.less(n, eps), eps, n)


def smooth_l1_loss(input, target, beta: float = 1.0, reduction: str = "none"):  # noqa: A002
    """0.5 d^2 / beta where |d| < beta, |d| - 0.5 beta elsewhere (d = input - target); 'none' / 'mean' / 'sum'."""
    if reduction not in ("none", "mean", "sum"):
        raise ValueError(f"smooth_l1_loss: reduction must be 'none', 'mean' or 'sum', got {reduction!r}")
    if float(beta) <= 0:
        raise ValueError(f"smooth_l1_loss: beta must be > 0, got {beta}")
    d = P.sub(input, target)
    a = P.abs(d)
    loss = P.select(P.less(a, full_like(a, float(beta))), P.div(P.mul(P.square(d), 0.5), float(beta)),
                    P.sub(a, 0.5 * float(beta)))
    return loss if reduction == "none" else P.sum(loss) if reduction == "sum" else P.mean(loss)


class Dense:
    """ops.Dense()(x, w, b=None): x @ w^T + b; a 1-d w [in] gives sum(x * w) over the last axis."""

    def __call__(self, x, w, b=None):
        y = P.sum(P.mul(x, w), -1) if len(w.shape) == 1 else P.matmul(x, P.transpose(w, (1, 0)))
        return y if b is None else P.add(y, b)


def unique(input):  # noqa: A002
    """(y, idx): the distinct values in order of first appearance and, per element, its position in y.
    Eager only: y's length depends on the values, which a traced graph (grad, jit) does not have."""
    if input._data is None:
        raise TypeError("unique: its output shape depends on the values, so it runs eagerly only "
                        "(outside grad / jit / vmap); call it on concrete Tensors")
    flat = np.asarray(input._data).reshape(-1)
    _, first, inverse = np.unique(flat, return_index=True, return_inverse=True)
    order = np.argsort(first)
    rank = np.empty_like(order)
    rank[order] = np.arange(order.size)
    return Tensor(flat[np.sort(first)]), Tensor(rank[inverse.reshape(-1)].reshape(input.shape).astype(np.int32))


class Unique:
    def __call__(self, input_x):
        return unique(input_x)

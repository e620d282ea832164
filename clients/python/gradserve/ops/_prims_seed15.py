"""MindSpore 2.10 ops its tests (seed 15 of its suite) call, composed of existing ops (derivatives are theirs):
gather_d, bitwise shifts (LeftShift / RightShift, bitwise_left_shift / bitwise_right_shift), diagflat,
logcumsumexp, addbmm, ApplyFtrl; Tensor.trace (NumPy's form) and Tensor.addbmm. Values checked in MindSpore's venv."""
from __future__ import annotations

import numpy as np

from .._tensor import Tensor
from .._late import late

__all__ = ["gather_d", "LeftShift", "RightShift", "bitwise_left_shift", "bitwise_right_shift", "diagflat",
           "logcumsumexp", "addbmm", "ApplyFtrl"]


def gather_d(x, dim, index):
    """ops.gather_d(x, dim, index) = gather_elements: out[i][j] = x[index[i][j]][j] (dim 0), ..."""
    return late.ops.gather_elements(x, int(dim), index)


def _shift_operands(x, other, where: str):
    if not isinstance(x, Tensor):
        raise TypeError(f"For '{where}', input must be a Tensor, got {type(x).__name__}")
    dt = x.dtype.name
    if not (dt.startswith("int") or dt.startswith("uint")):
        raise TypeError(f"For '{where}', input must be an integer Tensor, got {dt}")
    if not isinstance(other, Tensor):
        other = Tensor(np.asarray(other, dtype=dt))
    return x, other, dt


def _pow2_halves(count, dt):
    """2 ** (c // 2) and 2 ** (c - c // 2) in dtype dt, c = count mod the dtype's bits (x86's shift counts:
    MindSpore 2.10's CPU kernel gives 7 << 40 = 1792 for int32). Two factors so that each fits the dtype
    (2 ** 31 does not fit int32)."""
    bits = np.dtype(dt).itemsize * 8
    c = np.arange(bits)
    lo, hi = (Tensor((2 ** (c // 2)).astype(dt)), Tensor((2 ** (c - c // 2)).astype(dt)))
    k = late.ops.floor_mod(late.ops.cast(count, "int64"), bits)
    return late.ops.gather(lo, k, 0), late.ops.gather(hi, k, 0)


def bitwise_left_shift(input, other):  # noqa: A002 - MindSpore's name
    """input << other, wrapping in input's dtype."""
    x, y, dt = _shift_operands(input, other, "bitwise_left_shift")
    lo, hi = _pow2_halves(y, dt)
    return late.ops.mul(late.ops.mul(x, lo), hi)


def bitwise_right_shift(input, other):  # noqa: A002
    """input >> other: arithmetic for signed integers (floor(x / 2 ** other): -5 >> 1 = -3, MindSpore's)."""
    x, y, dt = _shift_operands(input, other, "bitwise_right_shift")
    lo, hi = _pow2_halves(y, dt)
    return late.ops.cast(late.ops.floor_div(late.ops.floor_div(x, lo), hi), dt)


class LeftShift:
    def __call__(self, x, y):
        return bitwise_left_shift(x, y)


class RightShift:
    def __call__(self, x, y):
        return bitwise_right_shift(x, y)


def diagflat(input, offset=0):  # noqa: A002
    """input flattened, on the offset-th diagonal of a square matrix (zeros elsewhere, input's dtype)."""
    o, k = late.ops, int(offset)
    v = o.reshape(input, (-1,))
    n = v.shape[0]
    size = n + abs(k)
    where = np.full(size * size, n, np.int64)  # position n of the padded v is a zero
    i = np.arange(n)
    where[(i + max(-k, 0)) * size + i + max(k, 0)] = i
    padded = o.concat([v, o.zeros((1,), v.dtype)], 0)
    return o.reshape(o.gather(padded, Tensor(where), 0), (size, size))


def logcumsumexp(input, axis):  # noqa: A002
    """log(cumsum(exp(input), axis)), stable at any scale: out_i = logsumexp over j <= i of input_j, as one
    logsumexp over a masked [..., n, n] copy (-inf above the diagonal), so its derivative is logsumexp's."""
    x = input
    if x.ndim == 0:
        return x
    ax = int(axis) % x.ndim
    n = x.shape[ax]
    xm = late.ops.moveaxis(x, ax, -1)  # [..., n]
    mask = np.where(np.tril(np.ones((n, n), bool)), 0.0, -np.inf).astype(x.dtype.name)
    rows = late.ops.add(late.ops.expand_dims(xm, -2), Tensor(mask))  # [..., i, j]: x_j where j <= i
    return late.ops.moveaxis(late.ops.logsumexp(rows, -1), -1, ax)


def addbmm(input, batch1, batch2, *, beta=1, alpha=1):  # noqa: A002
    """beta * input + alpha * sum over the batch of batch1 @ batch2 ([b, n, m] @ [b, m, p] -> [n, p])."""
    if batch1.ndim != 3 or batch2.ndim != 3:
        raise ValueError(f"For 'addbmm', batch1 and batch2 must be 3-D, got shapes {list(batch1.shape)} and "
                         f"{list(batch2.shape)}")
    return late.ops.add(late.ops.mul(input, beta), late.ops.mul(late.ops.sum(late.ops.matmul(batch1, batch2), 0), alpha))


class ApplyFtrl:
    """ApplyFtrl(use_locking=False)(var, accum, linear, grad, lr, l1, l2, lr_power) -> var, by MindSpore's
    documented FTRL rule, written into var, accum and linear (Parameters, or Tensors in place):
    accum' = accum + g^2; sigma = (accum'^-p - accum^-p) / lr; linear' = linear + g - sigma var;
    var' = (sign(linear') l1 - linear') / (accum'^-p / lr + 2 l2) where |linear'| > l1, else 0."""

    def __init__(self, use_locking=False):
        self.use_locking = bool(use_locking)

    def __call__(self, var, accum, linear, grad, lr, l1, l2, lr_power):
        o = late.ops
        acc = o.add(accum, o.mul(grad, grad))
        neg_p = o.neg(lr_power) if isinstance(lr_power, Tensor) else -lr_power
        p_new, p_old = o.pow(acc, neg_p), o.pow(accum, neg_p)
        lin = o.sub(o.add(linear, grad), o.mul(o.div(o.sub(p_new, p_old), lr), var))
        num = o.sub(o.mul(o.sign(lin), l1), lin)
        den = o.add(o.div(p_new, lr), o.mul(l2, 2.0))
        new = o.select(o.greater(o.abs(lin), l1), o.cast(o.div(num, den), var.dtype), o.zeros_like(var))
        o.assign(accum, o.cast(acc, accum.dtype))
        o.assign(linear, o.cast(lin, linear.dtype))
        return o.assign(var, new)


def _tensor_trace(self, offset=0, axis1=0, axis2=1, dtype=None):
    """Tensor.trace: NumPy's (any rank, offset, axes; integers summed in int64), where ops.trace takes a
    matrix and keeps its dtype (MindSpore 2.10: Tensor(int32 2x2).trace() is Int64, ops.trace's Int32)."""
    o = late.ops
    d = o.diagonal(self, int(offset), int(axis1), int(axis2))
    kind = d.dtype.name
    out = o.sum(o.cast(d, "int64") if kind[0] in "iu" or kind == "bool" else d, -1)
    if kind == "bool":  # (a bool's trace is a bool: any True on the diagonal)
        out = o.cast(out, "bool")
    return out if dtype is None else o.cast(out, dtype)


def _tensor_addbmm(self, batch1, batch2, *, beta=1, alpha=1):
    return addbmm(self, batch1, batch2, beta=beta, alpha=alpha)


Tensor.trace = _tensor_trace
Tensor.addbmm = _tensor_addbmm

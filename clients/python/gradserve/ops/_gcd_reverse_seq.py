"""MindSpore 2.10's ops.gcd and ReverseSequence / ops.reverse_sequence, composed from the SDK's ops."""
from __future__ import annotations

import numpy as np

from .. import dtype as _dt
from .._calling_errors import failed_calling
from .._late import late
from .._tensor import Tensor
from ._axis_range import checked_axis
from ._extra import P

__all__ = ["gcd", "reverse_sequence", "ReverseSequence"]

# Euclid's steps needed at most for operands below 2**bits: consecutive Fibonacci numbers are the worst case
# (F(47) > 2**31, F(93) > 2**63), so a fixed number of steps makes one graph for every value.
_EUCLID_STEPS = {8: 13, 16: 24, 32: 47, 64: 93}


def gcd(input, other):  # noqa: A002 - MindSpore's name
    """The elementwise greatest common divisor of two integer Tensors (broadcast; gcd(0, 0) = 0, never negative).
    As MindSpore 2.10: the two promoted to one dtype first (int16 with int32 is int32), which must be int16 / int32 /
    int64 (int8, uint8, bool, float refused); a Python number is its "Failed calling Gcd" TypeError."""
    if not (isinstance(input, Tensor) and isinstance(other, Tensor)):
        raise failed_calling("Gcd", {}, {"input": input, "other": other}, {"input": "Tensor", "other": "Tensor"})
    dtype = _dt.promote(input._dtype, other._dtype)
    if dtype not in ("int16", "int32", "int64"):
        raise TypeError(f"For Primitive[Gcd], the type of the input tensor must be [Int16, Int32, Int64], but got "
                        f"{_dt.get(dtype)}!")
    return euclid(P.cast(input, dtype), P.cast(other, dtype))


def euclid(a: Tensor, b: Tensor) -> Tensor:
    """gcd of two integer Tensors of one dtype, unchecked (gcd's and lcm's arithmetic)."""
    a, b = P.abs(a), P.abs(b)
    shape = np.broadcast_shapes(tuple(a.shape), tuple(b.shape))
    a, b = P.broadcast_to(a, shape), P.broadcast_to(b, shape)
    zero, one = P.zeros_like(b), P.ones_like(b)
    for _ in range(_EUCLID_STEPS[np.dtype(a.dtype.name).itemsize * 8]):
        done = P.equal(b, zero)
        rest = P.remainder(a, P.select(done, one, b))  # (both non-negative here: any remainder will do)
        a, b = P.select(done, a, b), P.select(done, zero, rest)
    return a


def reverse_sequence(x, seq_lengths, seq_dim, batch_dim=0):
    """Reverses the first seq_lengths[b] entries along seq_dim of each slice b along batch_dim (the rest kept)."""
    nd = len(x.shape)
    seq_dim = checked_axis(seq_dim, nd, ValueError, "For 'ReverseSequence', the 'seq_dim' must be in range of [0, {ndim}), "
                                                    "but got {axis} with type 'int'.")
    batch_dim = checked_axis(batch_dim, nd, ValueError, "For 'ReverseSequence', the 'batch_dim' must be in range of [0, "
                                                        "{ndim}), but got {axis} with type 'int'.")
    if seq_dim == batch_dim:
        raise ValueError(f"For 'ReverseSequence', seq_dim and batch_dim must differ, both are {seq_dim}")
    if tuple(seq_lengths.shape) != (x.shape[batch_dim],):
        raise ValueError(f"For 'ReverseSequence', seq_lengths must have shape [{x.shape[batch_dim]}] (x's batch_dim "
                         f"{batch_dim}), got {list(seq_lengths.shape)}")
    at = [1] * nd
    at[seq_dim] = x.shape[seq_dim]
    t = Tensor(np.arange(x.shape[seq_dim], dtype=np.int64).reshape(at))
    at = [1] * nd
    at[batch_dim] = x.shape[batch_dim]
    n = P.reshape(P.cast(seq_lengths, t.dtype), tuple(at))
    src = P.select(P.less(t, n), P.sub(P.sub(n, 1), t), P.broadcast_to(t, np.broadcast_shapes(t.shape, n.shape)))
    return late.ops.gather_elements(x, seq_dim, P.broadcast_to(src, tuple(x.shape)))


class ReverseSequence:
    """P.ReverseSequence(seq_dim, batch_dim=0)(x, seq_lengths)."""

    def __init__(self, seq_dim, batch_dim=0):
        self.seq_dim, self.batch_dim = seq_dim, batch_dim

    def __call__(self, x, seq_lengths):
        return reverse_sequence(x, seq_lengths, self.seq_dim, self.batch_dim)

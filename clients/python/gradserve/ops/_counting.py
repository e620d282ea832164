"""ops.bincount and ops.histc (Tensor.bincount / histc), with MindSpore 2.10's dtypes: bincount's counts are
float32 (weights or not), histc's are the input's dtype."""
from __future__ import annotations

import numpy as np

from .._tensor import Tensor
from ._extra import P

__all__ = ["bincount", "histc"]


def bincount(input, weights=None, minlength=0):  # noqa: A002
    """The number (or the weights' sum) of each value 0 .. max(max(input) + 1, minlength) - 1 of a 1-D
    non-negative integer input. The length depends on the values: a traced input needs its value in this call
    (gradserve._value_reads; the trace is specialised on it). Differentiable w.r.t. the weights."""
    if not isinstance(input, Tensor) or not input._dtype.startswith(("int", "uint")) or input.ndim != 1:
        raise TypeError(f"For 'bincount', the 'input' must be a 1-D integer Tensor, got "
                        f"{getattr(input, 'dtype', type(input).__name__)} of shape {list(getattr(input, 'shape', []))}")
    if isinstance(minlength, bool) or not isinstance(minlength, int) or minlength < 0:
        raise ValueError(f"For 'bincount', 'minlength' must be an int >= 0, got {minlength!r}")
    known = input._value()
    if known is None:
        raise TypeError("bincount: its output length is max(input) + 1, which this trace does not know "
                        "(an exported graph, a loop body, vmap); call it on concrete Tensors")
    known = np.asarray(known)
    if known.size and known.min() < 0:
        raise ValueError(f"For 'bincount', the 'input' must be non-negative, got {int(known.min())}")
    length = max(int(known.max()) + 1 if known.size else 0, minlength)
    if weights is None:
        values = P.ones_like(P.cast(input, "float32"))
    else:
        if not isinstance(weights, Tensor):
            weights = Tensor(np.asarray(weights))
        if tuple(weights.shape) != tuple(input.shape):
            raise ValueError(f"For 'bincount', 'weights' must have the input's shape {list(input.shape)}, got "
                             f"{list(weights.shape)}")
        values = P.cast(weights, "float32")
    return P.scatter_add(values, P.cast(input, "int64"), shape=(length,), axis=0)


def histc(input, bins=100, min=0.0, max=0.0):  # noqa: A002
    """Counts of the elements in `bins` equal-width bins over [min, max] (elements outside ignored; max in
    the last bin); min = max (any value): the data's minimum and maximum (one apart when they are equal, as
    PyTorch). MindSpore 2.10's kernel: the bin is floor((x - min) / (max - min) * bins) in float32 (in float64
    an element on a bin's edge could fall one bin lower); a float16 input counts in float32, others in their
    dtype. Static shape [bins] (runs traced)."""
    if isinstance(bins, bool) or not isinstance(bins, int) or bins <= 0:
        raise ValueError(f"For 'histc', 'bins' must be a positive int, got {bins!r}")
    if not isinstance(input, Tensor):
        raise TypeError(f"For 'histc', the 'input' must be a Tensor, got {type(input).__name__}")
    if float(min) > float(max):
        raise ValueError(f"For 'histc', 'min' must not be greater than 'max', got {min} and {max}")
    work = "float64" if input._dtype in ("float64", "int64", "uint64", "uint32") else "float32"
    x = P.reshape(P.cast(input, work), (-1,))
    if float(min) == float(max):
        lo, hi = P.min(x), P.max(x)
        same = P.equal(lo, hi)
        lo, hi = P.where(same, lo - 1.0, lo), P.where(same, hi + 1.0, hi)
    else:
        lo, hi = Tensor(np.array(float(min), work)), Tensor(np.array(float(max), work))
    inside = P.logical_and(P.greater_equal(x, lo), P.less_equal(x, hi))
    idx = P.cast(P.floor((x - lo) / (hi - lo) * float(bins)), "int64")
    idx = P.where(inside, P.minimum(idx, Tensor(np.array(bins - 1, np.int64))), P.zeros_like(idx))
    counts = P.scatter_add(P.cast(inside, "float64"), idx, shape=(bins,), axis=0)
    return P.cast(counts, "float32" if input._dtype == "float16" else input._dtype)

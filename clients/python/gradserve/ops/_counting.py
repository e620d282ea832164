"""ops.bincount and ops.histc (Tensor.bincount / histc) as MindSpore 2.10's CPU defines them, and the counting
core mint.bincount / histc and mindspore.numpy.bincount share (mint/_counting.py, _numpy_stats.py)."""
from __future__ import annotations

import numpy as np

from .._tensor import Tensor
from .._trace import current, graph_semantics
from ._adaptive_nd import _check_dtype
from ._extra import P

__all__ = ["bincount", "histc"]


def bincount(input, weights=None, minlength=0):  # noqa: A002
    """MindSpore 2.10's ops.bincount: float32 counts (the weights' sums) of the elements equal (in input's dtype)
    to each of 0 .. L - 1, L = int32(float32(max(input)) + 1) where that is above minlength - 1, else minlength;
    other elements (negative, fractional, beyond L) are not counted; any dtype (float, bool); an empty input
    gives an empty result whatever minlength. L depends on the values: a traced input needs its value in this
    call (gradserve._value_reads). Differentiable w.r.t. the weights."""
    if weights is not None and not isinstance(weights, Tensor):
        raise TypeError(f"For math function 'bincount', 'weights' must be Tensor, but got {type(weights)}.")
    if isinstance(minlength, bool) or not isinstance(minlength, int):
        raise TypeError(f"For math function 'bincount', 'minlength' must be int but got {type(minlength)}.")
    if input.ndim != 1:
        raise ValueError("For math function 'bincount', 'input' should be one-dimensional tensor.")
    if input.shape[0] == 0:
        return Tensor(np.zeros((0,), np.float32))
    if minlength < 0:
        raise ValueError(f"For 'bincount', 'minlength' should be >= 0 but got {minlength}.")
    known = _known(input, "bincount")
    top = np.float32(known.astype(np.float32).max())
    length = int(np.float32(top + np.float32(1)).astype(np.int32)) if top > minlength - 1 else minlength
    if weights is not None and tuple(input.shape) != tuple(weights.shape):
        raise ValueError("for bincount `input` and `weights` must have the same length")
    if length == 0:  # (every element negative)
        return Tensor(np.zeros((0,), np.float32))
    bins = np.arange(length).astype(known.dtype)  # (compared in input's dtype, as MindSpore's equal)
    hit = np.isin(known, bins) & (known >= 0) & (known < length)
    values = P.ones_like(P.cast(input, "float32")) if weights is None else P.cast(weights, "float32")
    values = P.select(Tensor(hit), values, P.zeros_like(values))
    return P.scatter_add(values, Tensor(np.where(hit, known, 0).astype(np.int64)), shape=(length,), axis=0)


def count_values(input, weights, minlength: int, where: str, dtype: str = "float32"):  # noqa: A002
    """counts (weights' sums; in dtype) of each value 0 .. max(max(input) + 1, minlength) - 1 of a 1-D non-negative
    integer input (mint's and mindspore.numpy's bincount, which refuse other inputs)."""
    if not isinstance(input, Tensor) or not input._dtype.startswith(("int", "uint")) or input.ndim != 1:
        raise TypeError(f"For '{where}', the 'input' must be a 1-D integer Tensor, got "
                        f"{getattr(input, 'dtype', type(input).__name__)} of shape {list(getattr(input, 'shape', []))}")
    if isinstance(minlength, bool) or not isinstance(minlength, int) or minlength < 0:
        raise ValueError(f"For '{where}', 'minlength' must be an int >= 0, got {minlength!r}")
    known = _known(input, where)
    if known.size and known.min() < 0:
        raise ValueError(f"For '{where}', the 'input' must be non-negative, got {int(known.min())}")
    length = max(int(known.max()) + 1 if known.size else 0, minlength)
    if weights is None:
        values = P.ones_like(P.cast(input, dtype))
    else:
        if not isinstance(weights, Tensor):
            weights = Tensor(np.asarray(weights))
        if tuple(weights.shape) != tuple(input.shape):
            raise ValueError(f"For '{where}', 'weights' must have the input's shape {list(input.shape)}, got "
                             f"{list(weights.shape)}")
        values = P.cast(weights, dtype)
    return P.scatter_add(values, P.cast(input, "int64"), shape=(length,), axis=0)


def _known(input, where: str) -> np.ndarray:  # noqa: A002
    known = input._value()
    if known is None:
        raise TypeError(f"{where}: its output length is max(input) + 1, which this trace does not know "
                        "(an exported graph, a loop body, vmap); call it on concrete Tensors")
    return np.asarray(known)


def histc(input, bins=100, min=0.0, max=0.0):  # noqa: A002
    """MindSpore 2.10's ops.histc (its CPU Histogram): float16 / float32 / int32 input only, float32 counts for
    float16; its checks and texts in its order (min / max's type, bins, min <= max, then the dtype)."""
    for name, v in (("min", min), ("max", max)):
        if not isinstance(v, (int, float)):
            raise TypeError(f"For 'histc', parameter '{name}' must be an int or float, but got {type(v)}.")
    if not isinstance(bins, int) or isinstance(bins, bool):
        raise TypeError(f"For 'Histogram', the type of 'bins' should be 'int', but got type '{type(bins).__name__}'.")
    if bins <= 0:
        raise ValueError(f"For 'Histogram', the 'bins' must be int and must > 0, but got '{bins}' with type 'int'.")
    if float(min) > float(max):
        raise ValueError(f"For 'Histogram', the 'min' should be <= max: {float(max)}, but got {float(min)}.")
    if not isinstance(input, Tensor):
        raise TypeError(f"For 'histc', the 'input' must be a Tensor, got {type(input).__name__}")
    _check_dtype(input, ("float16", "float32", "int32"), "Histogram")
    counts = count_bins(input, bins, float(min), float(max), "int32" if input._dtype == "int32" else "float32", True)
    return no_bprop(counts, input, "Histogram")


def no_bprop(y, input, prim: str):  # noqa: A002
    """y (computed from input by MindSpore's primitive prim, which defines no bprop): a gradient reaching y from a
    differentiated input is MindSpore 2.10's RuntimeError, in each mode's text (y's own ops would give zeros); where
    none reaches it (y unused, input constant or stop_gradient'ed), y, as in MindSpore; forward mode gives zeros."""
    tr = current()
    if tr is None:  # (no gradient outside a trace)
        return y
    text = (f"Illegal primitive: Primitive {prim}'s bprop not defined." if graph_semantics(tr)
            else f"Illegal primitive {prim}'s bprop not defined")
    return P.bprop_undefined(y, input, message=text)


def count_bins(input, bins: int, min: float, max: float, dtype: str, cpu: bool = False):  # noqa: A002
    """Counts (in dtype) of the elements in `bins` equal-width bins over [min, max] (elements outside ignored;
    max in the last bin); min = max (any value): the data's range (one wider each side where it is one value).
    The bin is floor((x - min) / (max - min) * bins) in float32 (float64 for 64-bit and uint32 input), as
    MindSpore 2.10's kernel (in float64 an element on a bin's edge could fall one bin lower). cpu: MindSpore
    2.10 CPU's NaN rules (MindSpore runs): a NaN is counted in bin 0, and the data's range is its scan's (the
    minimum kept unless an element is less, the maximum replaced unless an element is less: a NaN first
    element is the minimum, a last one the maximum), refused where not finite. Static shape (runs traced)."""
    work = "float64" if input._dtype in ("float64", "int64", "uint64", "uint32") else "float32"
    x = P.reshape(P.cast(input, work), (-1,))
    known = input._value() if cpu and min == max else None
    if known is not None and np.asarray(known).size:
        lo, hi = _scan_range(np.asarray(known, np.float64).reshape(-1))
        lo, hi = (lo - 1.0, hi + 1.0) if lo == hi else (lo, hi)
        lo, hi = Tensor(np.array(lo, work)), Tensor(np.array(hi, work))
    elif min == max:
        lo, hi = P.min(x), P.max(x)
        same = P.equal(lo, hi)
        lo, hi = P.where(same, lo - 1.0, lo), P.where(same, hi + 1.0, hi)
    else:
        lo, hi = Tensor(np.array(min, work)), Tensor(np.array(max, work))
    inside = P.logical_and(P.greater_equal(x, lo), P.less_equal(x, hi))
    idx = P.cast(P.floor((x - lo) / (hi - lo) * float(bins)), "int64")
    idx = P.where(inside, P.minimum(idx, Tensor(np.array(bins - 1, np.int64))), P.zeros_like(idx))
    if cpu and input._dtype.startswith("float"):  # NaN passes the kernel's range test
        inside = P.logical_or(inside, P.not_equal(x, x))
    counts = P.scatter_add(P.cast(inside, "float64"), idx, shape=(bins,), axis=0)
    return P.cast(counts, dtype)


def _scan_range(flat: np.ndarray) -> tuple:
    """MindSpore 2.10 CPU Histogram's data range: its scan keeps the minimum unless an element is less and
    replaces the maximum unless an element is less than it ([1, nan, 2] -> [1, 2], [2, 1, nan] -> [1, nan],
    [nan, 1] -> [nan, 1]); a range not finite is its ValueError."""
    nan = np.isnan(flat)
    lo = flat[0] if nan[0] else np.min(flat[~nan])
    last_nan = int(np.flatnonzero(nan)[-1]) if nan.any() else -1
    hi = np.nan if last_nan == flat.size - 1 else np.max(flat[last_nan + 1:])
    if not (np.isfinite(lo) and np.isfinite(hi)):
        raise ValueError(f"For 'Histogram', range of [{lo:g}, {hi:g}] is not finite.")
    return float(lo), float(hi)

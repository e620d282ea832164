"""mindspore.numpy's bincount, histogram, unwrap, norm, gradient and choose, as NumPy defines them, built from the SDK's
ops (differentiable where NumPy's are: unwrap, norm, gradient; bincount w.r.t. its weights). Dtypes follow
MindSpore 2.10 (bincount and histogram's counts float32)."""
from __future__ import annotations

import math

import numpy as np

from . import ops as _ops
from ._numpy_creation import asarray
from ._tensor import Tensor

__all__ = ["bincount", "histogram", "unwrap", "norm", "gradient", "choose"]


def _float(a: Tensor) -> Tensor:
    return a if a._dtype.startswith("float") else _ops.cast(a, "float32")


def bincount(x, weights=None, minlength=0, length=None) -> Tensor:
    """The count (the weights' sum) of each value 0 .. max(x) of a 1-D non-negative integer x; float32."""
    out = _ops.bincount(asarray(x), None if weights is None else asarray(weights), minlength)
    return out if length is None else out[:length]


def histogram(a, bins=10, range=None, weights=None, density=False):  # noqa: A002 - NumPy's name
    """(counts, bin edges) of the flattened a: `bins` equal bins over range (a's min and max by default; one
    apart when equal) or the given increasing edges; every bin half-open but the last. Counts float32.
    Equal bins' edges are in a float a's dtype and compared there, as NumPy's (0.7f is on the edge 0.7f: in
    float64 edges it fell a bin lower); given edges and integer data in float64."""
    a = asarray(a)
    x = _ops.reshape(_ops.cast(a, "float64"), (-1,))  # (given edges: compared in float64)
    if isinstance(bins, int) and not isinstance(bins, bool):
        if bins < 1:
            raise ValueError(f"histogram: bins must be a positive int, got {bins}")
        if range is not None and float(range[0]) > float(range[1]):
            raise ValueError(f"histogram: max must be larger than min in range, got {range}")
        work = a._dtype if a._dtype.startswith("float") else "float64"
        x = _ops.reshape(_ops.cast(a, work), (-1,))
        seen = np.zeros(0, work) if range is not None else np.asarray(x._concrete("histogram's range"))
        # NumPy's own edges (the data's min and max, or the range, one apart when equal; its linspace's dtype)
        edges = Tensor(np.histogram_bin_edges(seen, bins, range).astype(work))
    else:
        edges = _ops.cast(asarray(bins), "float64")
        if edges.ndim != 1 or edges.shape[0] < 1:
            raise ValueError("histogram: bins must be an int or a 1-D sequence of edges")
    n = int(edges.shape[0]) - 1
    if n == 0:  # one edge: no bin (NumPy)
        return Tensor(np.zeros(0, np.float32)), _ops.cast(edges, "float32")
    lo, hi = edges[0], edges[n]
    inside = _ops.logical_and(_ops.greater_equal(x, lo), _ops.less_equal(x, hi))
    idx = _ops.searchsorted(edges, x, right=True) - 1   # edges[i] <= x < edges[i + 1]; x == the last edge: n - 1
    idx = _ops.select(inside, _ops.minimum(idx, Tensor(np.array(n - 1, np.int64))), _ops.zeros_like(idx))
    w = _ops.cast(inside, "float32") if weights is None else _ops.cast(_ops.reshape(asarray(weights), (-1,)), "float32")
    w = _ops.select(inside, w, _ops.zeros_like(w))
    counts = _ops.scatter_add(_ops.cast(w, "float32"), idx, shape=(n,), axis=0)
    if density:
        counts = counts / _ops.cast(_ops.sum(counts) * (edges[1:] - edges[:-1]), "float32")
    return counts, _ops.cast(edges, "float32")


def unwrap(p, discont=None, axis=-1, period=2 * math.pi) -> Tensor:
    """p with the jumps between neighbours along axis larger than max(discont, period / 2) taken modulo period."""
    p = _float(asarray(p))
    axis = axis % p.ndim
    half = period / 2
    discont = half if discont is None else max(discont, half)
    n = int(p.shape[axis])
    first = [slice(None)] * p.ndim
    rest = list(first)
    first[axis], rest[axis] = slice(0, 1), slice(1, n)
    dd = p[tuple(rest)] - p[tuple([*first[:axis], slice(0, n - 1), *first[axis + 1:]])]
    ddmod = _ops.remainder(dd + half, Tensor(np.array(period, p._dtype))) - half
    ddmod = _ops.select(_ops.logical_and(_ops.equal(ddmod, -half), _ops.greater(dd, 0.0)),
                        _ops.full_like(ddmod, half), ddmod)
    correct = _ops.select(_ops.less(_ops.abs(dd), discont), _ops.zeros_like(dd), ddmod - dd)
    return _ops.concat((p[tuple(first)], p[tuple(rest)] + _ops.cumsum(correct, axis=axis)), axis)


def norm(x, ord=None, axis=None, keepdims=False) -> Tensor:  # noqa: A002 - NumPy's name
    """numpy.linalg.norm: the 2-norm of the flattened x (ord None, axis None); vector norms over one axis;
    matrix norms ('fro', nuc excluded, +-1, +-inf) over two."""
    x = _float(asarray(x))
    if axis is None:
        if ord is not None and x.ndim not in (1, 2):
            raise ValueError("norm: an ord needs a 1-D or 2-D x, or an axis")
        axis = tuple(range(x.ndim)) if ord is None else tuple(range(x.ndim))
    axes = (axis,) if isinstance(axis, int) else tuple(a % x.ndim for a in axis)
    if ord is None or (ord == "fro" and len(axes) == 2) or (ord == 2 and len(axes) == 1):
        return _ops.sqrt(_ops.sum(x * x, axes, keepdims))
    if len(axes) == 1:
        a = _ops.abs(x)
        if ord == math.inf:
            return _ops.amax(a, axes, keepdims)
        if ord == -math.inf:
            return _ops.amin(a, axes, keepdims)
        if ord == 0:
            return _ops.sum(_ops.cast(_ops.not_equal(x, 0.0), x._dtype), axes, keepdims)
        return _ops.pow(_ops.sum(_ops.pow(a, float(ord)), axes, keepdims), 1.0 / float(ord))
    if len(axes) != 2 or ord not in (1, -1, math.inf, -math.inf):
        raise ValueError(f"norm: ord {ord!r} over axes {axes} is not supported (vector ords on one axis; 'fro', "
                         "+-1, +-inf on two)")
    row, col = axes
    summed, over = (row, col) if ord in (1, -1) else (col, row)  # 1: max column sum; inf: max row sum
    s = _ops.sum(_ops.abs(x), summed, True)
    out = _ops.amax(s, over, True) if ord > 0 else _ops.amin(s, over, True)
    return out if keepdims else _ops.squeeze(out, tuple(sorted(axes)))


def gradient(f, *varargs, axis=None, edge_order=1):
    """numpy.gradient with scalar spacings: central differences inside, first-order one-sided at the ends; one
    Tensor, or a list of them for several axes."""
    f = _float(asarray(f))
    axes = tuple(range(f.ndim)) if axis is None else (axis,) if isinstance(axis, int) else tuple(axis)
    axes = tuple(a % f.ndim for a in axes)
    if edge_order != 1:
        raise NotImplementedError("gradient: edge_order 1 only")
    spacing = [1.0] * len(axes) if not varargs else list(varargs) * len(axes) if len(varargs) == 1 else list(varargs)
    if len(spacing) != len(axes) or any(not isinstance(h, (int, float)) for h in spacing):
        raise TypeError("gradient: give one scalar spacing, or one per axis")
    outs = []
    for ax, h in zip(axes, spacing):
        n = int(f.shape[ax])
        if n < 2:
            raise ValueError("gradient: each differentiated axis needs at least 2 elements (edge_order + 1)")

        def part(s, e):
            idx = [slice(None)] * f.ndim
            idx[ax] = slice(s, e)
            return f[tuple(idx)]
        pieces = [(part(1, 2) - part(0, 1)) / float(h)]
        if n > 2:
            pieces.append((part(2, n) - part(0, n - 2)) / (2.0 * float(h)))
        pieces.append((part(n - 1, n) - part(n - 2, n - 1)) / float(h))
        outs.append(_ops.concat(tuple(pieces), ax))
    return outs[0] if len(outs) == 1 else outs


def choose(a, choices, mode="clip") -> Tensor:
    """choices[a[i]][i] for every i of a and the choices broadcast together; an index outside [0, n) is
    clipped (mode 'clip') or taken modulo n ('wrap'); 'raise' refuses it."""
    idx = asarray(a)
    if not idx._dtype.startswith(("int", "uint")):
        raise TypeError(f"choose: a must be an integer array, got {idx.dtype}")
    items = [asarray(c) for c in (choices if isinstance(choices, (list, tuple)) else list(choices))]
    n = len(items)
    shape = tuple(np.broadcast_shapes(tuple(idx.shape), *(tuple(c.shape) for c in items)))
    stacked = _ops.stack([_ops.broadcast_to(c, shape) for c in items], 0)
    idx = _ops.cast(_ops.broadcast_to(idx, shape), "int64")
    if mode == "clip":
        idx = _ops.clip_by_value(idx, Tensor(np.array(0, np.int64)), Tensor(np.array(n - 1, np.int64)))
    elif mode == "wrap":
        idx = _ops.remainder(idx, Tensor(np.array(n, np.int64)))
    elif mode == "raise":
        known = idx._data
        if known is not None and (known.min(initial=0) < 0 or known.max(initial=0) >= n):
            raise ValueError(f"choose: an index of a is outside [0, {n})")
    else:
        raise ValueError(f"choose: mode must be 'clip', 'wrap' or 'raise', got {mode!r}")
    return _ops.take_along_axis(stacked, _ops.expand_dims(idx, 0), axis=0)[0]


def _choose_method(self, choices, mode="clip"):
    """Tensor.choose(choices, mode): numpy.choose(self, choices, mode)."""
    return choose(self, choices, mode)


if not hasattr(Tensor, "choose"):
    setattr(Tensor, "choose", _choose_method)  # noqa: B010  (bound once, as ops/_tensor_op_methods binds)

"""mindspore.numpy's bincount, histogram(dd / 2d), unwrap, norm, gradient and choose, as NumPy defines them, built from the SDK's
ops (differentiable where NumPy's are: unwrap, norm, gradient; bincount w.r.t. its weights). Dtypes follow
MindSpore 2.10 (bincount and histogram's counts float32)."""
from __future__ import annotations

import builtins
import math
from typing import Any, cast

import numpy as np

from . import ops as _ops
from .ops._axis_range import checked_axis
from .ops._counting import count_values
from .ops._extra import P as _P  # the engine ops' own forms (scatter_add with shape / axis)
from ._numpy_creation import asarray
from ._tensor import Tensor

__all__ = ["bincount", "histogram", "histogramdd", "histogram2d", "unwrap", "norm", "gradient", "choose"]


def _float(a: Tensor) -> Tensor:
    return a if a._dtype.startswith("float") else _ops.cast(a, "float32")


def bincount(x, weights=None, minlength=0, length=None) -> Tensor:
    """The count (the weights' sum) of each value 0 .. max(x) of a 1-D non-negative integer x; float32."""
    out = count_values(asarray(x), None if weights is None else asarray(weights), minlength, "bincount")
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
        # NumPy's own edges (the data's min and max, or the range, one apart when equal; its linspace runs in
        # the data's dtype, not float64 then rounded)
        edges = Tensor(np.histogram_bin_edges(seen, bins, range).astype(work))
    else:
        edges = _ops.cast(asarray(bins), "float64")
        if edges.ndim != 1 or edges.shape[0] < 1:
            raise ValueError("histogram: bins must be an int or a 1-D sequence of edges")
    n = int(edges.shape[0]) - 1
    if n == 0:  # one edge: no bin (NumPy)
        return Tensor(np.zeros(0, np.float32)), _ops.cast(edges, "float32")
    idx, inside = _bin_of(x, edges)
    w = _ops.cast(inside, "float32") if weights is None else _ops.cast(_ops.reshape(asarray(weights), (-1,)), "float32")
    w = _ops.select(inside, w, _ops.zeros_like(w))
    counts = _P.scatter_add(_ops.cast(w, "float32"), idx, shape=(n,), axis=0)
    if density:
        counts = counts / _ops.cast(_ops.sum(counts) * (edges[1:] - edges[:-1]), "float32")
    return counts, _ops.cast(edges, "float32")


def _bin_of(x: Tensor, edges: Tensor) -> tuple[Tensor, Tensor]:
    """(the bin of each value of x among edges of x's dtype, 0 where outside; whether it is inside): every
    bin half-open but the last, which holds its upper edge (NumPy's)."""
    n = int(edges.shape[0]) - 1
    inside = _ops.logical_and(_ops.greater_equal(x, edges[0]), _ops.less_equal(x, edges[n]))
    idx = _ops.searchsorted(edges, x, right=True) - 1   # edges[i] <= x < edges[i + 1]; x == the last edge: n - 1
    return _ops.select(inside, _ops.minimum(idx, Tensor(np.array(n - 1, np.int64))), _ops.zeros_like(idx)), inside


def _equal_edges(x: Tensor, bins: int, rng, name: str) -> Tensor:
    """The float64 edges of `bins` equal bins over rng, x's min and max by default (one apart when equal)."""
    if bins < 1:
        raise ValueError(f"{name}: bins must be a positive int, got {bins}")
    lo, hi = (float(rng[0]), float(rng[1])) if rng is not None else \
        (float(np.min(x._concrete(f"{name}'s range"))), float(np.max(x._concrete(f"{name}'s range"))))
    if lo > hi:
        raise ValueError(f"{name}: max must be larger than min in range, got {rng}")
    lo, hi = (lo - 0.5, hi + 0.5) if lo == hi else (lo, hi)
    return Tensor(np.linspace(lo, hi, bins + 1))


def _edges_of(x: Tensor, bins, rng) -> tuple[Tensor, Tensor]:
    """(float64 edges to bin x with, the edges returned): `bins` equal bins over rng (x's min and max by
    default; one apart when equal) returned float32, or the edges given, returned in their dtype (MindSpore)."""
    if isinstance(bins, (int, np.integer)) and not isinstance(bins, bool):
        edges = _equal_edges(x, int(bins), rng, "histogramdd")
        return edges, _ops.cast(edges, "float32")
    given = asarray(bins)
    if given.ndim != 1 or given.shape[0] < 2:
        raise ValueError("histogramdd: each bins must be an int or a 1-D sequence of at least 2 edges")
    return _ops.cast(given, "float64"), given


def histogramdd(sample, bins: Any = 10, range: Any = None, weights: Any = None, density=False):  # noqa: A002 - NumPy's name
    """(counts, [edges per dimension]) of the N points of sample (an (N, D) array, or D arrays of N values):
    per dimension, `bins` equal bins or the edges given (bins an int, or one int / edges per dimension); a
    point outside any range is not counted. Counts float32 (MindSpore 2.10)."""
    if isinstance(sample, (list, tuple)):
        cols = [_ops.reshape(_ops.cast(asarray(c), "float64"), (-1,)) for c in sample]
    else:
        s = asarray(sample)
        if s.ndim != 2:
            raise ValueError("histogramdd: when an array, sample should be 2-dimensional")
        s = _ops.cast(s, "float64")
        cols = [s[:, d] for d in builtins.range(int(s.shape[1]))]
    dims = len(cols)
    per_dim: list
    if isinstance(bins, (int, np.integer)) and not isinstance(bins, bool):
        per_dim = [bins] * dims
    elif isinstance(bins, Tensor) and bins.ndim == 2:
        per_dim = [bins[d] for d in builtins.range(int(bins.shape[0]))]
    else:
        per_dim = list(cast(Any, bins))  # (pyright: bins is Any, not the bool the test above ruled out)
    if len(per_dim) != dims:
        raise ValueError("histogramdd: the dimension of bins must be equal to the dimension of the sample")
    rng = [None] * dims if range is None else list(range)
    if len(rng) != dims:
        raise ValueError("histogramdd: range must give one (min, max) pair per dimension")
    flat: Any = None
    inside: Any = None
    shape: list[int] = []
    shown: list = []
    widths: list = []
    for col, b, r in zip(cols, per_dim, rng):
        edges, out_edges = _edges_of(col, b, r)
        idx, ok = _bin_of(col, edges)
        n = int(edges.shape[0]) - 1
        flat = idx if flat is None else flat * n + idx
        inside = ok if inside is None else _ops.logical_and(inside, ok)
        shape.append(n)
        shown.append(out_edges)
        widths.append(edges[1:] - edges[:-1])
    w = _ops.cast(inside, "float32") if weights is None else \
        _ops.select(inside, _ops.cast(_ops.reshape(asarray(weights), (-1,)), "float32"),
                    _ops.zeros_like(_ops.cast(cols[0], "float32")))
    total = int(np.prod(shape))
    counts = _ops.reshape(_P.scatter_add(_ops.cast(w, "float32"), _ops.select(inside, flat, _ops.zeros_like(flat)),
                                           shape=(total,), axis=0), tuple(shape))
    if density:
        volume = widths[0]
        for d, wd in enumerate(widths[1:], 1):  # the outer product of the bin widths
            volume = _ops.reshape(volume, (*shape[:d], 1)) * _ops.reshape(wd, (1,) * d + (shape[d],))
        counts = counts / _ops.cast(_ops.sum(counts) * volume, "float32")
    return counts, shown


def histogram2d(x, y, bins: Any = 10, range: Any = None, weights: Any = None, density=False):  # noqa: A002 - NumPy's name
    """(counts, x edges, y edges): histogramdd of the points (x[i], y[i]); bins an int or edges for both, or
    [x's, y's]."""
    if not isinstance(bins, (int, np.integer)) and len(bins) not in (1, 2):
        bins = [bins, bins]  # one sequence of edges for both
    counts, (xe, ye) = histogramdd([x, y], bins, range, weights, density)
    return counts, xe, ye


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
    axes = tuple(checked_axis(a, f.ndim, ValueError, "axis {axis} is out of bounds for array of dimension {ndim}")
                 for a in axes)
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

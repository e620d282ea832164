"""ATen rules for scientific models' ops (registered into torch_table.ATEN on import): GNN segment and index
reductions (segment_reduce, index_reduce), pairwise distances (pdist), the spherical Bessel j0 of radial
bases, the older linear-algebra spellings GP code still uses (triangular_solve, cholesky_inverse), polar
complex numbers, and tril / triu_indices."""
from __future__ import annotations

import math

import numpy as np

from ._shared import composites as C
from ._shared.graph_writer import UnsupportedModel
from .torch_fft import FF
from .torch_linalg import _trisolve, cholesky_solve_values
from .torch_table import aten

_INDEX_REDUCTIONS = {"prod": "mul", "mean": "mean", "amax": "max", "amin": "min"}
# an empty segment's value when no `initial` is given (torch's segment_reduce)
_SEGMENT_EMPTY = {"sum": 0.0, "mean": np.nan, "max": -np.inf, "min": np.inf, "prod": 1.0}


@aten("aten.index_reduce.default")
def _index_reduce(c, x, dim, index, source, reduce, include_self=True):
    """x.index_reduce(dim, index, source, reduce): source's slice k reduced into x's slice index[k] along
    dim; the 1-D index broadcast over source's other axes makes it scatter_reduce."""
    if reduce not in _INDEX_REDUCTIONS:
        raise UnsupportedModel(f"index_reduce reduce={reduce!r} (known: {', '.join(_INDEX_REDUCTIONS)})")
    w, xv = c.w, c.v(x)
    src = c.v(source, xv)
    shape = list(w.shape(src))
    dim %= max(len(shape), 1)
    idx = w.reshape(w.cast(c.v(index), "int64"), [-1 if k == dim else 1 for k in range(len(shape))])
    return C.scatter_reduce_along(w, xv, w.broadcast_to(idx, shape), src, dim, _INDEX_REDUCTIONS[reduce],
                                  bool(include_self))


@aten("aten.segment_reduce.default")
def _segment_reduce(c, data, reduce, lengths=None, indices=None, offsets=None, axis=0, unsafe=False,
                    initial=None):
    """torch.segment_reduce with 1-D lengths (or offsets): consecutive runs of data along axis reduced, one
    row per segment. Membership is computed in the graph from the lengths' running sum, so lengths may be
    data; an empty segment is `initial`, else torch's (sum 0, mean nan, max -inf, min inf, prod 1)."""
    if reduce not in _SEGMENT_EMPTY:
        raise UnsupportedModel(f"segment_reduce reduce={reduce!r} (known: {', '.join(_SEGMENT_EMPTY)})")
    if indices is not None:
        raise UnsupportedModel("segment_reduce by indices (torch has no implementation of it either)")
    w, x = c.w, c.v(data)
    shape = list(w.shape(x))
    axis %= len(shape)
    ends, starts = _segment_bounds(c, lengths, offsets)
    nseg, n = w.shape(ends)[0], shape[axis]
    pos = w.const(np.arange(n, dtype=np.int64).reshape(1, n))
    member = w.binary("logical_and", w.binary("less_equal", w.reshape(starts, [nseg, 1]), pos),
                      w.binary("less", pos, w.reshape(ends, [nseg, 1])))  # [nseg, n]
    rest = shape[:axis] + shape[axis + 1:]
    xt = w.transpose(x, [axis] + [k for k in range(len(shape)) if k != axis]) if axis else x  # [n, ...rest]
    mask = w.reshape(member, [nseg, n] + [1] * len(rest))
    empty = w.binary("equal", w.reduce("sum", w.cast(member, "int64"), [1]), w.const(np.asarray(0, np.int64)))
    fill = {"sum": 0.0, "mean": 0.0, "max": -np.inf, "min": np.inf, "prod": 1.0}[reduce]
    cand = w.where(mask, w.reshape(xt, [1, n] + rest), w.scalar_like(fill, xt))
    out = w.reduce({"mean": "sum"}.get(reduce, reduce), cand, [1])  # [nseg, ...rest]
    if reduce == "mean":
        count = w.reduce("sum", w.cast(member, w.dtype(xt)), [1])
        out = w.div(out, w.reshape(w.binary("maximum", count, w.scalar_like(1.0, count)), [nseg] + [1] * len(rest)))
    when_empty = _SEGMENT_EMPTY[reduce] if initial is None else float(initial)
    if initial is not None and reduce in ("sum", "max", "min", "prod"):  # initial joins every segment
        init = w.scalar_like(float(initial), out)
        out = {"sum": lambda: w.add(out, init), "prod": lambda: w.mul(out, init),
               "max": lambda: w.binary("maximum", out, init), "min": lambda: w.binary("minimum", out, init)}[reduce]()
    out = w.where(w.reshape(empty, [nseg] + [1] * len(rest)), w.scalar_like(when_empty, out), out)
    if axis:
        out = w.transpose(out, list(range(1, axis + 1)) + [0] + list(range(axis + 1, len(shape))))
    return out


def _segment_bounds(c, lengths, offsets):
    """(ends, starts) of each segment as int64 graph values, from 1-D lengths or offsets."""
    w = c.w
    if lengths is not None:
        lens = w.cast(c.v(lengths), "int64")
        if len(w.shape(lens)) != 1:
            raise UnsupportedModel(f"segment_reduce with lengths of shape {list(w.shape(lens))} (1-D only)")
        ends = w.emit1("cumsum", [lens], {"axis": 0}, w.shape(lens), "int64")
        return ends, w.sub(ends, lens)
    if offsets is None:
        raise UnsupportedModel("segment_reduce without lengths or offsets")
    offs = w.cast(c.v(offsets), "int64")
    if len(w.shape(offs)) != 1:
        raise UnsupportedModel(f"segment_reduce with offsets of shape {list(w.shape(offs))} (1-D only)")
    k = w.shape(offs)[0]
    return w.index(offs, [[1, k, 1]]), w.index(offs, [[0, k - 1, 1]])


@aten("aten._pdist_forward.default")
def _pdist(c, x, p=2.0):
    """||x_i - x_j||_p for i < j in row-major order (torch.pdist): the pairs are constants; a pair's
    difference is never the diagonal's zero, so the p-norm's gradient is finite."""
    w, xv = c.w, c.v(x)
    n = w.shape(xv)[0]
    if float(p) <= 0:
        raise UnsupportedModel(f"pdist p={p} (p > 0 only)")
    i, j = np.triu_indices(n, 1)
    d = w.sub(w.gather(xv, w.const(i.astype(np.int64)), 0), w.gather(xv, w.const(j.astype(np.int64)), 0))
    return C.vector_norm(w, d, float(p), [-1], False)


@aten("aten.special_spherical_bessel_j0.default")
def _spherical_bessel_j0(c, x):
    """sin(x) / x; below |x| = 0.5 its Taylor series to x^10 (the next term is under 4e-14 there): the
    quotient's derivative cos(x)/x - sin(x)/x^2 cancels catastrophically in float32 near 0."""
    w, xv = c.w, c.v(x)
    small = w.binary("less", w.unary("abs", xv), w.scalar_like(0.5, xv))
    safe = w.where(small, w.scalar_like(1.0, xv), xv)
    x2 = w.mul(xv, xv)
    series = w.scalar_like(0.0, xv)
    for k in range(5, -1, -1):  # sum_k (-1)^k x^2k / (2k + 1)!, by Horner in x^2
        series = w.add(w.mul(series, x2), w.scalar_like((-1) ** k / math.factorial(2 * k + 1), xv))
    return w.where(small, series, w.div(w.unary("sin", safe), safe))


@aten("aten.triangular_solve.default")
def _triangular_solve(c, b, a, upper=True, transpose=False, unitriangular=False):
    """torch.triangular_solve (deprecated, still in GP code): (X solving op(A) X = B, A's copy)."""
    w, bv, av = c.w, c.v(b), c.v(a)
    batch = list(np.broadcast_shapes(tuple(w.shape(av)[:-2]), tuple(w.shape(bv)[:-2])))
    av = w.broadcast_to(av, batch + list(w.shape(av)[-2:]))
    bv = w.broadcast_to(bv, batch + list(w.shape(bv)[-2:]))
    return _trisolve(w, av, bv, lower=not upper, transpose_a=bool(transpose), unit_diagonal=bool(unitriangular)), av


@aten("aten.cholesky_inverse.default")
def _cholesky_inverse(c, factor, upper=False):
    """(L L^T)^-1 from the factor: cholesky_solve of the identity."""
    w, f = c.w, c.v(factor)
    eye = w.broadcast_to(w.const(np.eye(w.shape(f)[-1], dtype=w.dtype(f))), list(w.shape(f)))
    return cholesky_solve_values(w, eye, f, bool(upper))


@aten("aten.polar.default")
def _polar(c, magnitude, angle):
    """magnitude * (cos angle + i sin angle)."""
    w = c.w
    r, t = c.pair(magnitude, angle)
    shape = list(np.broadcast_shapes(tuple(w.shape(r)), tuple(w.shape(t))))
    re, im = w.mul(r, w.unary("cos", t)), w.mul(r, w.unary("sin", t))
    return w.emit1("complex", [re, im], {}, shape, FF.COMPLEX_OF[FF.real_dtype(w, re)])


def _tri_rule(pick):
    """torch.tril_indices / triu_indices(row, col, offset): constants ([2, count], int64)."""
    def rule(c, row, col, offset=0, **kw):
        return c.w.const(np.stack(pick(int(row), int(offset), int(col))).astype(np.int64))
    return rule


aten("aten.tril_indices.default")(_tri_rule(np.tril_indices))
aten("aten.triu_indices.default")(_tri_rule(np.triu_indices))


@aten("aten.angle.default")
def _angle(c, z):
    """The argument: atan2(imag, real) of a complex tensor (the engine's angle); of a real one pi where it
    is negative, else 0 (torch's), whose gradient is zero."""
    w, v = c.w, c.v(z)
    if w.dtype(v) in FF.REAL_OF:
        return w.emit1("angle", [v], {}, w.shape(v), FF.REAL_OF[w.dtype(v)])
    v = v if w.dtype(v).startswith(("float", "bfloat")) else w.cast(v, "float32")
    return w.where(w.binary("less", v, w.scalar_like(0, v)), w.scalar_like(np.pi, v), w.scalar_like(0.0, v))

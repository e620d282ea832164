"""More ATen rules for torch_import (registered into torch_table.ATEN on import): in-place-style writes
(index_put, index_add, slice/select_scatter), diagonals, prefix scans (logcumsumexp, cummax/cummin),
float tests (isnan/isinf/isfinite)."""
from __future__ import annotations

import numpy as np

from ._shared import composites as C
from ._shared.graph_writer import UnsupportedModel
from .torch_table import _dt, aten


def _put(c, x, src, pick, mode):
    """x with src written/added where `pick(iota shaped like x)` lands."""
    x = c.v(x)
    return C.put_positions(c.w, x, c.v(src, x), pick(C.iota_like(c.w, x)), mode)


@aten("aten.index_put.default", "aten.index_put_.default")
def _index_put(c, x, indices, values, accumulate=False):
    """x[indices] = values (+= with accumulate): integer index tensors pick positions as x[indices]
    does; one boolean mask over x's leading axes with a single value is a where."""
    w, mode = c.w, "add" if accumulate else "set"
    idx = [None if i is None else c.v(i) for i in indices]
    if any(i is not None and w.dtype(i) == "bool" for i in idx):
        return _masked_put(c, x, idx, values, mode)
    return _put(c, x, values, lambda pos: C.advanced_index(w, pos, idx), mode)


def _masked_put(c, x, idx, values, mode):
    w, xv = c.w, c.v(x)
    v = c.v(values, xv)
    mask = idx[0]
    ms, xs = list(w.shape(mask)), list(w.shape(xv))
    if len(idx) != 1 or xs[:len(ms)] != ms or int(np.prod(w.shape(v))) != 1:
        raise UnsupportedModel(f"index_put with a boolean mask {ms} into {xs} and {list(w.shape(v))} values "
                               "(only one mask over leading axes with a single value: its positions depend on data)")
    mask = w.reshape(mask, ms + [1] * (len(xs) - len(ms)))
    v = w.reshape(w.cast(v, w.dtype(xv)), [])
    return w.where(mask, w.add(xv, v) if mode == "add" else w.broadcast_to(v, xs), xv)


@aten("aten.index_add.default")
def _index_add(c, x, dim, index, source, alpha=1):
    w, x = c.w, c.v(x)
    src = c.v(source)
    if alpha != 1:
        src = w.mul(src, w.scalar_like(alpha, src))
    return C.put_positions(w, x, src, w.gather(C.iota_like(w, x), c.v(index), dim), "add")


@aten("aten.slice_scatter.default")
def _slice_scatter(c, x, src, dim=0, start=None, end=None, step=1):
    def pick(pos):
        s = c.w.shape(pos)
        items = [[0, d, 1] for d in s]
        r = range(*slice(start, end, step).indices(s[dim]))
        items[dim] = [r.start, r.stop, r.step]
        return c.w.index(pos, items)
    return _put(c, x, src, pick, "set")


@aten("aten.select_scatter.default")
def _select_scatter(c, x, src, dim, index):
    def pick(pos):
        s = c.w.shape(pos)
        return c.w.index(pos, [[0, d, 1] for d in s[:dim % len(s)]] + [int(index) % s[dim]])
    return _put(c, x, src, pick, "set")


@aten("aten.copy.default")
def _copy(c, x, src, non_blocking=False):
    """x.copy_(src) made functional: src broadcast to x's shape, in x's dtype."""
    x = c.v(x)
    return c.w.broadcast_to(c.w.cast(c.v(src, x), c.w.dtype(x)), c.w.shape(x))


@aten("aten.diagonal.default")
def _diagonal(c, x, offset=0, dim1=0, dim2=1):
    return C.diagonal(c.w, c.v(x), offset, dim1, dim2)


@aten("aten.logcumsumexp.default")
def _logcumsumexp(c, x, dim):
    return C.prefix_scan(c.w, c.v(x), dim, C.log_add_exp)


def _cum_extreme(op):
    def rule(c, x, dim):
        """(values, indices) as torch's cummax / cummin: index j is the last i <= j holding the running extreme (ties
        go to the later element), the value x there, so the gradient reaches that element alone (a scan of the
        engine's maximum split ties: [0, 0, 0, 0]'s gradient went mostly to the first). The last such i is the last
        position whose element is a new running extreme (x_i == m_i), so the indices are a running max of those."""
        w, v = c.w, c.v(x)
        dim %= len(w.shape(v))
        m = C.prefix_scan(w, w.unary("stop_gradient", v), dim, lambda w, a, b: w.binary(op, a, b))
        n = w.shape(v)[dim]
        pos = w.const(np.arange(n, dtype=np.int64).reshape([n if k == dim else 1 for k in range(len(w.shape(v)))]))
        pos = w.broadcast_to(pos, w.shape(v))
        record = w.where(w.binary("equal", v, m), pos, w.const(np.zeros((), np.int64)))
        idx = C.prefix_scan(w, record, dim, lambda w, a, b: w.binary("maximum", a, b))
        return C.take_along(w, v, idx, dim), idx
    return rule


aten("aten.cummax.default")(_cum_extreme("maximum"))
aten("aten.cummin.default")(_cum_extreme("minimum"))


@aten("aten.isnan.default")
def _isnan(c, x):
    x = c.v(x)
    return c.w.binary("not_equal", x, x)


@aten("aten.isinf.default")
def _isinf(c, x):
    return C.is_inf(c.w, c.v(x))


@aten("aten.isfinite.default")
def _isfinite(c, x):
    return C.is_finite(c.w, c.v(x))


@aten("aten.empty_permuted.default")
def _empty_permuted(c, size, physical_layout, dtype=None, **kw):
    return _zeros(c, size, dtype)


@aten("aten.empty.memory_format", "aten.zeros.default")
def _zeros(c, size, dtype=None, **kw):
    """empty's values are unspecified: zeros (torch uses it for noise buffers overwritten before use)."""
    return c.w.const(np.zeros(size, dtype=_dt(dtype) if dtype else "float32"))

"""More ATen rules for torch_import (registered into torch_table.ATEN on import): scatter reductions,
order statistics (median, kthvalue), copysign, EmbeddingBag and as_strided."""
from __future__ import annotations

import numpy as np

from ._shared import composites as C
from ._shared.graph_writer import UnsupportedModel
from .torch_table import aten

_REDUCTIONS = {"sum": "sum", "prod": "mul", "mean": "mean", "amax": "max", "amin": "min"}


@aten("aten.scatter_reduce.two")
def _scatter_reduce(c, x, dim, idx, src, reduce, include_self=True):
    if reduce not in _REDUCTIONS:
        raise UnsupportedModel(f"scatter_reduce reduce={reduce!r} (known: {', '.join(_REDUCTIONS)})")
    w, x = c.w, c.v(x)
    return C.scatter_reduce_along(w, x, c.v(idx), c.v(src, x), dim, _REDUCTIONS[reduce], bool(include_self))


def _order_stat(w, x: str, k: int, dim: int, keepdim: bool):
    """(the k-th smallest of graph value x along dim, its index): one sort; the value's gradient goes to
    that element."""
    shape = list(w.shape(x))
    dim %= len(shape)
    vals, idx = w.emit("sort", [x], {"axis": dim, "descending": False}, [(shape, w.dtype(x)), (shape, "int64")])
    items = [[0, d, 1] for d in shape]
    items[dim] = [k, k + 1, 1]
    out = shape[:dim] + [1] + shape[dim + 1:] if keepdim else shape[:dim] + shape[dim + 1:]
    return w.reshape(w.index(vals, items), out), w.reshape(w.index(idx, items), out)


@aten("aten.median.dim")
def _median_dim(c, x, dim=0, keepdim=False):
    """torch's median is the lower of the two middle values for an even count."""
    w, x = c.w, c.v(x)
    if not w.shape(x):
        x = w.reshape(x, [1])
    return _order_stat(w, x, (w.shape(x)[dim] - 1) // 2, dim, keepdim)


@aten("aten.median.default")
def _median(c, x):
    flat = c.w.reshape(c.v(x), [-1])
    return c.w.reshape(_order_stat(c.w, flat, (c.w.shape(flat)[0] - 1) // 2, 0, False)[0], [])


@aten("aten.kthvalue.default")
def _kthvalue(c, x, k, dim=-1, keepdim=False):
    w, x = c.w, c.v(x)
    if not w.shape(x):
        x = w.reshape(x, [1])
    return _order_stat(w, x, int(k) - 1, dim, keepdim)


@aten("aten.copysign.Tensor", "aten.copysign.Scalar")
def _copysign(c, a, b):
    """|a| with b's sign (b = -0.0 is read as +0.0: the graph has no signbit)."""
    w = c.w
    va = c.v(a)
    va = va if w.dtype(va).startswith(("float", "bfloat")) else w.cast(va, "float32")
    vb = c.v(b, va)
    mag = w.unary("abs", va)
    return w.where(w.binary("less", vb, w.scalar_like(0, vb)), w.unary("neg", mag), mag)


@aten("aten._embedding_bag.default", "aten._embedding_bag_forward_only.default")
def _embedding_bag(c, weight, indices, offsets, scale_grad_by_freq=False, mode=0, sparse=False,
                   per_sample_weights=None, include_last_offset=False, padding_idx=-1):
    """Bags of rows: bag b holds indices[offsets[b]:offsets[b + 1]]; mode 0 sum (rows scaled by
    per_sample_weights), 1 mean, 2 max; an empty bag is zeros, padding_idx entries are left out (no
    gradient). Only output 0 (the bags) is imported."""
    if scale_grad_by_freq:
        raise UnsupportedModel("embedding_bag scale_grad_by_freq (its gradient depends on the batch's counts)")
    w, table, idx = c.w, c.v(weight), c.v(indices)
    n, d = w.shape(idx)[0], w.shape(table)[1]
    offs = w.cast(c.v(offsets), "int64")
    if include_last_offset:
        offs = w.index(offs, [[0, w.shape(offs)[0] - 1, 1]])
    nb = w.shape(offs)[0]
    pos = w.const(np.arange(n, dtype=np.int64))
    started = w.cast(w.binary("less_equal", w.reshape(offs, [nb, 1]), w.reshape(pos, [1, n])), "int64")
    bag = w.sub(w.reduce("sum", started, [0]), w.const(np.asarray(1, np.int64)))  # [n]: the bag of entry j
    member = w.binary("equal", w.reshape(bag, [1, n]), w.const(np.arange(nb, dtype=np.int64).reshape(nb, 1)))
    if include_last_offset:  # entries from the last offset on belong to no bag
        last = w.index(w.cast(c.v(offsets), "int64"), [[w.shape(c.v(offsets))[0] - 1, w.shape(c.v(offsets))[0], 1]])
        member = w.binary("logical_and", member, w.reshape(w.binary("less", pos, last), [1, n]))
    if padding_idx is not None and padding_idx >= 0:
        member = w.binary("logical_and", member, w.reshape(w.binary("not_equal", w.cast(idx, "int64"), w.const(
            np.asarray(padding_idx, np.int64))), [1, n]))
    rows = w.gather(table, idx, 0)  # [n, d]
    if per_sample_weights is not None:
        if mode != 0:
            raise UnsupportedModel("embedding_bag per_sample_weights outside mode 'sum'")
        rows = w.mul(rows, w.reshape(c.v(per_sample_weights), [n, 1]))
    mf = w.cast(member, w.dtype(table))
    count = w.reduce("sum", mf, [1], keepdims=True)  # [nb, 1]
    if mode == 2:
        cand = w.where(w.reshape(member, [nb, n, 1]), w.reshape(rows, [1, n, d]), w.scalar_like(-np.inf, rows))
        out = w.where(w.binary("greater", count, w.scalar_like(0, count)), w.reduce("max", cand, [1]),
                      w.scalar_like(0.0, rows))
    else:
        out = w.matmul(mf, rows)
        if mode == 1:
            out = w.div(out, w.binary("maximum", count, w.scalar_like(1.0, count)))
    return out, None, None, None


def _positions(shape, strides, offset: int) -> np.ndarray:
    """The memory position of each element of a strided view, as an array of its shape."""
    pos = np.full([int(n) for n in shape], int(offset), np.int64)
    for k, (n, s) in enumerate(zip(shape, strides)):
        pos += (np.arange(int(n)) * int(s)).reshape([-1 if j == k else 1 for j in range(len(shape))])
    return pos


@aten("aten.as_strided.default")
def _as_strided(c, x, size, stride, storage_offset=None):
    """A view by strides over x's memory (timm / torchvision's adaptive pooling to 1 x 1 re-strides its output):
    each output element reads the element of x at that memory position, laid out by x's own strides (torch's
    meta): a constant gather, whose gradient sums the reads of an element as torch's as_strided backward."""
    meta = x.meta["val"]
    held = _positions(meta.shape, meta.stride(), meta.storage_offset()).reshape(-1)
    if np.unique(held).size != held.size:
        raise UnsupportedModel("as_strided of a tensor whose elements share memory (an expanded view)")
    where = np.full(int(held.max()) + 1 if held.size else 0, -1, np.int64)
    where[held] = np.arange(held.size)
    read = _positions(size, stride, meta.storage_offset() if storage_offset is None else storage_offset)
    if read.size and (read.max() >= where.size or (where[read] < 0).any()):
        raise UnsupportedModel(f"as_strided size {list(size)} stride {list(stride)} reads memory outside its "
                               f"input of shape {list(meta.shape)} stride {list(meta.stride())}")
    flat, w = where[read].reshape(-1), c.w
    xs = w.reshape(c.v(x), [held.size])
    if np.array_equal(flat, np.arange(held.size)):  # the same elements in the same order: a reshape
        return w.reshape(xs, [int(n) for n in size])
    return w.reshape(w.gather(xs, w.const(flat), 0), [int(n) for n in size])

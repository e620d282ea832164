"""segment_reduce: max / min / product of the rows of values sharing a segment id, in O(N) memory
(N rows), the work-horse of MindSpore's unsorted_segment_max / min / prod and tensor_scatter_max / min /
mul / div / update (clients/python/gradserve/ops/_scatter_ms.py).

out[s] = reduce over {values[n] : ids[n] == s}, shape [num_segments, *values.shape[1:]]. An empty segment
holds MindSpore 2.10's fill: the dtype's lowest finite value for max, its highest for min, 1 for prod
(exact for every int dtype). ids lie in [-num_segments, num_segments) (negative ones count from the end, as
gather's); others are a run-time ShapeError naming the node.

Derivatives: out[s] depends on row n through one weight w[n] = d out[ids[n]] / d values[n], so the vjp is
gather(ct) * w and the jvp scatter_add(t * w): for max / min w splits equally among the rows equal to their
segment's extreme (ties share, as MindSpore 2.10); for prod w is the product of the other rows, built
without division (exact with zeros, as the engine's prod). The weights are made of differentiable ops, so every
order follows.
"""
from __future__ import annotations

import ml_dtypes
import numpy as np

from .indexing import _wrap
from .movement import _check_indices
from .registry import Attr, defop, impl_rules, jvp_rules, vjp_rules
from ._infer import rule_infer


def empty_value(dtype: str, mode: str):
    """An empty segment's value (MindSpore 2.10): exact ints, finite floats."""
    if mode == "prod":
        return 1
    if dtype == "bfloat16":  # (a float, exactly bfloat16's: torch.full takes no ml_dtypes scalar)
        info = ml_dtypes.finfo(dtype)
        return float(info.min if mode == "max" else info.max)
    info = np.finfo(dtype) if np.dtype(dtype).kind == "f" else np.iinfo(dtype)
    return info.min if mode == "max" else info.max


_NP_UFUNC = {"max": np.maximum, "min": np.minimum, "prod": np.multiply}
_TORCH_REDUCE = {"max": "amax", "min": "amin", "prod": "prod"}


def _impl(xp, v, ids, num_segments, mode):
    _check_indices(xp, ids, num_segments, "segment_reduce", 0)
    ids = _wrap(xp, ids, num_segments)
    shape = (num_segments, *v.shape[1:])
    fill = empty_value(str(v.dtype).rsplit(".", 1)[-1], mode)  # numpy, torch.*, array_api_strict.*
    if isinstance(v, np.ndarray):
        out = np.full(shape, fill, v.dtype)
        _NP_UFUNC[mode].at(out, ids, v)
        return out
    if hasattr(v, "scatter_reduce_"):  # torch: one pass, in place
        idx = xp.astype(ids, xp.int64).reshape((-1,) + (1,) * (v.ndim - 1)).expand(v.shape)
        return xp.full(shape, fill, dtype=v.dtype).scatter_reduce_(0, idx, v, _TORCH_REDUCE[mode], include_self=True)
    return _masked(xp, v, ids, shape, fill, mode)


def _masked(xp, v, ids, shape, fill, mode):
    """The standard only (array-api-strict, ...): every row against every segment, memory N * P times a
    row. The reference path of the tests; NumPy and PyTorch take the O(N) ones above."""
    if v.shape[0] == 0:
        return xp.full(shape, fill, dtype=v.dtype)
    tail = (1,) * (len(shape) - 1)
    hit = xp.reshape(xp.reshape(ids, (-1, 1)) == xp.arange(shape[0], dtype=ids.dtype), (v.shape[0], shape[0], *tail))
    spread = xp.where(hit, xp.expand_dims(v, axis=1), xp.asarray(fill, dtype=v.dtype))
    if mode == "prod":  # the standard's prod widens small ints: keep the dtype
        return xp.prod(spread, axis=0, dtype=v.dtype)
    return (xp.max if mode == "max" else xp.min)(spread, axis=0)


def _wrapped(b, ids, num_segments):
    """ids in [0, num_segments): gather / scatter_add on some backends take no negative index."""
    dt = ids.dtype
    return b.where(b.less(ids, b.scalar(0, dt)), b.add(ids, b.scalar(num_segments, dt)), ids)


def _weights(b, x, ids, out, num_segments, mode):
    """w [N, *rest]: d out[ids[n]] / d x[n] (ids wrapped)."""
    if mode == "prod":
        return _prod_others(b, x, ids, num_segments)
    # max / min: the rows at their segment's extreme share it equally
    hit = b.where(b.equal(x, b.gather(out, ids, axis=0)), b.full_like(x, 1.0), b.zeros_like(x))
    count = b.scatter_add(hit, ids, shape=out.shape, axis=0)
    count = b.where(b.greater(count, b.zeros_like(count)), count, b.full_like(count, 1.0))
    return b.div(hit, b.gather(count, ids, axis=0))


def _prod_others(b, x, ids, num_segments):
    """For each row, the product of the other rows of its segment, without division (exact with zeros, at
    every order): rows sorted by segment, then exclusive running products from both ends of each segment
    (linrecs that restart where the segment does), multiplied and put back in the rows' order."""
    n, dt = x.shape[0], ids.dtype
    if n == 0:
        return b.zeros_like(x)
    seg, order = b.sort(ids, axis=0)
    xs = b.gather(x, order, axis=0)
    tail, one = (1,) * (x.aval.ndim - 1), b.full((1, *x.shape[1:]), 1.0, x.dtype)
    edge = b.full((1,), -1, dt)  # no segment: the first row starts one, the last ends one
    starts = b.reshape(b.not_equal(seg, b.concat(edge, b.index(seg, index=[[0, n - 1, 1]]), axis=0)),
                       shape=(n, *tail))
    ends = b.reshape(b.not_equal(seg, b.concat(b.index(seg, index=[[1, n, 1]]), edge, axis=0)), shape=(n, *tail))
    before = b.concat(one, b.index(xs, index=[[0, n - 1, 1]] + [[None, None, None]] * len(tail)), axis=0)
    after = b.concat(b.index(xs, index=[[1, n, 1]] + [[None, None, None]] * len(tail)), one, axis=0)
    zero, ones = b.zeros_like(xs), b.full_like(xs, 1.0)
    pre = b.linrec(b.where(starts, zero, before), b.where(starts, ones, zero), axis=0)
    post = b.linrec(b.where(ends, zero, after), b.where(ends, ones, zero), axis=0, reverse=True)
    return b.scatter_add(b.mul(pre, post), order, shape=tuple(x.shape), axis=0)

def _vjp(b, ins, outs, cts, num_segments, mode):
    ids = _wrapped(b, ins[1], num_segments)
    w = _weights(b, ins[0], ids, outs[0], num_segments, mode)
    return [b.mul(b.gather(cts[0], ids, axis=0), w), None]


def _jvp(b, ins, outs, ts, num_segments, mode):
    if ts[0] is None:
        return [None]
    ids = _wrapped(b, ins[1], num_segments)
    w = _weights(b, ins[0], ids, outs[0], num_segments, mode)
    return [b.scatter_add(b.mul(ts[0], w), ids, shape=outs[0].shape, axis=0)]


defop("segment_reduce", 2, rule_infer("segment_reduce"),
      attrs={"num_segments": Attr("int"), "mode": Attr("str", "max")}, runtime_checked=True,
      storage_exact=lambda e: e.attrs["mode"] in ("max", "min"),  # (a selection; prod rounds: widened)
      doc="segment_reduce(values [N, ...], ids [N]): max / min / prod (mode) of the rows sharing each id, "
          "[num_segments, ...]; an empty segment holds the dtype's lowest (max) / highest (min) value or 1; "
          "max / min ties share the gradient equally")
impl_rules["segment_reduce"] = _impl
vjp_rules["segment_reduce"] = _vjp
jvp_rules["segment_reduce"] = _jvp

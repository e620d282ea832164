"""ATen rules for torch_import (registered into torch_table.ATEN on import): searchsorted / bucketize (spline
flows' bin search), unfold (torch.stft's frames, sliding windows) and fake quantisation (quantisation-aware
trained models: the straight-through gradient torch gives)."""
from __future__ import annotations

import numpy as np

from ._shared.graph_writer import UnsupportedModel
from .torch_table import aten


def _count_below(w, seq: str, vals: str, right: bool, out_int32: bool) -> str:
    """The insertion index of each value in the sorted last axis of seq: how many elements are < value (left)
    or <= value (right), counted by one comparison per pair (exact; [..., M, K] booleans)."""
    k = w.shape(seq)[-1]
    sv = w.shape(seq)
    s = w.reshape(seq, [1] * len(w.shape(vals)) + [k] if len(sv) == 1 else list(sv[:-1]) + [1, k])
    v = w.reshape(vals, list(w.shape(vals)) + [1])
    if w.dtype(s) != w.dtype(v):
        raise UnsupportedModel(f"searchsorted of {w.dtype(v)} values in a {w.dtype(s)} sequence")
    hit = w.cast(w.binary("less_equal" if right else "less", s, v), "int64")
    idx = w.reduce("sum", hit, [len(w.shape(hit)) - 1])
    return w.cast(idx, "int32") if out_int32 else idx


@aten("aten.searchsorted.Tensor")
def _searchsorted(c, seq, vals, *, out_int32=False, right=False, side=None, sorter=None):
    if sorter is not None:
        raise UnsupportedModel("searchsorted with a sorter")
    w, s, v = c.w, c.v(seq), c.v(vals)
    if len(w.shape(s)) > 1 and list(w.shape(s)[:-1]) != list(w.shape(v)[:-1]):
        raise UnsupportedModel(f"searchsorted: sequence {list(w.shape(s))} and values {list(w.shape(v))} "
                               "differ in their leading dimensions")
    return _count_below(w, s, v, bool(right) or side == "right", bool(out_int32))


@aten("aten.bucketize.Tensor")
def _bucketize(c, x, boundaries, *, out_int32=False, right=False):
    return _count_below(c.w, c.v(boundaries), c.v(x), bool(right), bool(out_int32))


@aten("aten.histc.default")
def _histc(c, x, bins=100, min=0, max=0):  # noqa: A002 - torch's argument names
    """torch.histc: counts of x in `bins` equal bins over [min, max] (the data's own range when min == max), the
    top edge in the last bin, values outside not counted; a count carries no gradient (nor does torch's).
    Mixtral's router counts its tokens per expert with it."""
    w, v = c.w, c.v(x)
    flat = w.reshape(v, [-1])
    lo, hi = (w.reduce("min", flat, [0]), w.reduce("max", flat, [0])) if min == max else \
        (w.scalar_like(min, flat), w.scalar_like(max, flat))
    empty = w.binary("equal", hi, lo)  # torch widens an empty range by one on each side
    lo, hi = w.where(empty, w.sub(lo, w.scalar_like(1, lo)), lo), w.where(empty, w.add(hi, w.scalar_like(1, hi)), hi)
    edge = w.unary("floor", w.div(w.mul(w.sub(flat, lo), w.scalar_like(bins, flat)), w.sub(hi, lo)))
    edge = w.where(w.binary("equal", flat, hi), w.scalar_like(bins - 1, edge), edge)
    inside = w.binary("logical_and", w.binary("greater_equal", flat, lo), w.binary("less_equal", flat, hi))
    hit = w.binary("logical_and", w.reshape(inside, [-1, 1]),
                   w.binary("equal", w.reshape(edge, [-1, 1]), w.const(np.arange(bins, dtype=w.dtype(edge)))))
    return w.reduce("sum", w.cast(hit, w.dtype(v)), [0])


@aten("aten.unfold.default")
def _unfold(c, x, dim, size, step):
    """x.unfold(dim, size, step): the windows along dim (count (L - size) // step + 1) with the window as a
    new last axis, by one gather of the window positions."""
    w, x = c.w, c.v(x)
    shape = list(w.shape(x))
    if not shape:
        shape, x = [1], w.reshape(x, [1])
    dim %= len(shape)
    n = (shape[dim] - size) // step + 1
    pos = (np.arange(n)[:, None] * step + np.arange(size)[None, :]).reshape(-1).astype(np.int64)
    g = w.gather(x, w.const(pos), dim)
    g = w.reshape(g, shape[:dim] + [n, size] + shape[dim + 1:])
    nd = len(shape) + 1
    perm = [i for i in range(nd) if i != dim + 1] + [dim + 1]
    return w.transpose(g, perm)


def _fake_quant(c, x, scale, zero_point, qmin: int, qmax: int, axis: int | None):
    """torch's fake quantisation: q = zero_point + round_half_even(x * (1 / scale)), out = (clamp(q) - zp) *
    scale; the gradient w.r.t. x is 1 where q lies in [qmin, qmax] and 0 elsewhere (the straight-through
    estimator torch's backward computes; the exact derivative is zero almost everywhere), none w.r.t. the
    scale or zero point (torch's backward gives them none). Returns (out, mask)."""
    def val(a, like=None):  # a node, a number, or a graph value already (the learnable form's rounded zero point)
        return a if isinstance(a, str) else c.v(a, like)
    w, x = c.w, val(x)
    dt = w.dtype(x)
    sc, zp = val(scale, x), val(zero_point, x)
    if axis is not None:
        nd = len(w.shape(x))
        shape = [-1 if i == axis % nd else 1 for i in range(nd)]
        sc, zp = w.reshape(sc, shape), w.reshape(zp, shape)
    sc, zp = w.unary("stop_gradient", w.cast(sc, dt)), w.unary("stop_gradient", w.cast(zp, dt))
    xs = w.unary("stop_gradient", x)
    q = w.add(w.unary("round", w.mul(xs, w.div(w.scalar_like(1.0, sc), sc))), zp)
    mask = w.binary("logical_and", w.binary("greater_equal", q, w.scalar_like(qmin, q)),
                    w.binary("less_equal", q, w.scalar_like(qmax, q)))
    qc = w.binary("minimum", w.binary("maximum", q, w.scalar_like(qmin, q)), w.scalar_like(qmax, q))
    out = w.mul(w.sub(qc, zp), sc)
    # out's value, and x's gradient where the mask holds: out + (x - stop_gradient(x)) there (a where, not a
    # product with the mask: x - stop_gradient(x) is inf - inf = NaN where x is infinite, and saturated)
    out = w.add(out, w.where(mask, w.sub(x, xs), w.scalar_like(0, out)))
    return out, mask


@aten("aten.fake_quantize_per_tensor_affine_cachemask.default")
def _fq_tensor(c, x, scale, zero_point, quant_min, quant_max):
    return _fake_quant(c, x, scale, zero_point, quant_min, quant_max, None)


@aten("aten._fake_quantize_per_tensor_affine_cachemask_tensor_qparams.default")
def _fq_tensor_qparams(c, x, scale, zero_point, fake_quant_enabled, quant_min, quant_max):
    """torch.ao's FakeQuantize: quantised where fake_quant_enabled (a buffer) is nonzero, x (mask all true)
    where it is 0."""
    w = c.w
    out, mask = _fake_quant(c, x, scale, zero_point, quant_min, quant_max, None)
    on = w.binary("not_equal", c.v(fake_quant_enabled), w.scalar_like(0, c.v(fake_quant_enabled)))
    on = w.reshape(on, [])
    return w.where(on, out, c.v(x)), w.binary("logical_or", mask, w.unary("logical_not", on))


@aten("aten.fake_quantize_per_channel_affine_cachemask.default")
def _fq_channel(c, x, scale, zero_point, axis, quant_min, quant_max):
    return _fake_quant(c, x, scale, zero_point, quant_min, quant_max, axis)


def _learnable_fake_quant(c, x, scale, zero_point, qmin: int, qmax: int, grad_factor: float, axis: int | None):
    """torch._fake_quantize_learnable_per_{tensor,channel}_affine (LSQ+: QAT with a trained scale and zero point):
    the value and x's gradient are _fake_quant's with the zero point rounded half to even and clamped (torch's
    forward); the scale's gradient is grad_factor times (qmin - zp) below the range, (qmax - zp) above it,
    (fake(x) - x) / scale inside, the zero point's -grad_factor scale outside and 0 inside (torch's backward),
    each added as (p - stop_gradient(p)) times the stopped factor: zero in value."""
    w = c.w
    xv = c.v(x)
    dt = w.dtype(xv)
    sc, zp = w.cast(c.v(scale), dt), w.cast(c.v(zero_point), dt)
    zr = w.binary("minimum", w.binary("maximum", w.unary("round", zp), w.scalar_like(qmin, zp)),
                  w.scalar_like(qmax, zp))
    out, mask = _fake_quant(c, xv, sc, zr, qmin, qmax, axis)
    if axis is not None:
        nd = len(w.shape(xv))
        shape = [-1 if i == axis % nd else 1 for i in range(nd)]
        sc, zp, zr = w.reshape(sc, shape), w.reshape(zp, shape), w.reshape(zr, shape)
    s_, z_ = w.unary("stop_gradient", sc), w.unary("stop_gradient", zr)
    xs = w.unary("stop_gradient", xv)
    below = w.binary("less", w.add(w.unary("round", w.mul(xs, w.div(w.scalar_like(1.0, s_), s_))), z_),
                     w.scalar_like(qmin, xs))
    inside = w.div(w.sub(w.unary("stop_gradient", out), xs), s_)
    edge = w.where(below, w.sub(w.scalar_like(qmin, z_), z_), w.sub(w.scalar_like(qmax, z_), z_))
    d_scale = w.where(mask, inside, edge)
    d_zp = w.where(mask, w.scalar_like(0, s_), w.unary("neg", s_))
    gf = w.scalar_like(grad_factor, sc)
    moved = w.add(w.mul(w.mul(w.sub(sc, s_), gf), d_scale),
                  w.mul(w.mul(w.sub(zp, w.unary("stop_gradient", zp)), gf), d_zp))
    return w.add(out, moved)


@aten("aten._fake_quantize_learnable_per_tensor_affine.default")
def _lfq_tensor(c, x, scale, zero_point, quant_min, quant_max, grad_factor=1.0):
    return _learnable_fake_quant(c, x, scale, zero_point, quant_min, quant_max, grad_factor, None)


@aten("aten._fake_quantize_learnable_per_channel_affine.default")
def _lfq_channel(c, x, scale, zero_point, axis, quant_min, quant_max, grad_factor=1.0):
    return _learnable_fake_quant(c, x, scale, zero_point, quant_min, quant_max, grad_factor, axis)

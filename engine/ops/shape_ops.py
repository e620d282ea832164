"""Joining and splitting: concat, stack, split (multi-output), tile."""
from __future__ import annotations

from ..errors import ShapeError
from ..ir import AVal
from ._infer import same_dtype
from .registry import Attr, defop, impl_rules, jvp_rules, vjp_rules


def _axis(op: str, axis: int, ndim: int) -> int:
    if not -ndim <= axis < ndim:
        raise ShapeError(f"{op}: axis {axis} out of range for rank {ndim}", axis=axis, ndim=ndim)
    return axis % ndim


def _fill_zeros(b, ts, like):
    """Tangents/cotangents with None (symbolic zero) replaced by explicit zeros; None if all are."""
    if all(t is None for t in ts):
        return None
    return [b.zeros_like(v) if t is None else t for t, v in zip(ts, like)]


# -- concat -------------------------------------------------------------------------------------
def _concat_infer(avals, axis):
    x0 = avals[0]
    dtype = same_dtype("concat", avals)
    if x0.ndim == 0:
        raise ShapeError(f"concat: inputs must have rank >= 1, got {x0}", shape=[])
    ax = _axis("concat", axis, x0.ndim)
    for i, a in enumerate(avals[1:], 1):
        if a.ndim != x0.ndim or any(d != e for k, (d, e) in enumerate(zip(a.shape, x0.shape)) if k != ax):
            raise ShapeError(f"concat: input {i} has shape {list(a.shape)} but input 0 has {list(x0.shape)}; "
                             f"shapes must match except on axis {axis}",
                             shapes=[list(v.shape) for v in avals])
    shape = list(x0.shape)
    shape[ax] = sum(a.shape[ax] for a in avals)
    return [AVal(tuple(shape), dtype)]


def _concat_vjp(b, ins, outs, cts, axis):
    ax = axis % len(ins[0].shape)
    bounds, n = [], 0
    for x in ins[:-1]:
        n += x.shape[ax]
        bounds.append(n)
    parts = b.emit("split", [cts[0]], {"indices": tuple(bounds), "axis": ax})
    return parts


def _concat_jvp(b, ins, outs, ts, axis):
    ts = _fill_zeros(b, ts, ins)
    return [None if ts is None else b.concat(*ts, axis=axis)]


defop("concat", None, _concat_infer, attrs={"axis": Attr("int", 0)}, min_arity=1,
      doc="join inputs along an existing axis")
impl_rules["concat"] = lambda xp, *xs, axis: xp.concat(xs, axis=axis)
vjp_rules["concat"] = _concat_vjp
jvp_rules["concat"] = _concat_jvp


# -- stack --------------------------------------------------------------------------------------
def _stack_infer(avals, axis):
    x0 = avals[0]
    dtype = same_dtype("stack", avals)
    for i, a in enumerate(avals[1:], 1):
        if a.shape != x0.shape:
            raise ShapeError(f"stack: input {i} has shape {list(a.shape)} but input 0 has {list(x0.shape)}; "
                             "all inputs must have the same shape", shapes=[list(v.shape) for v in avals])
    ax = _axis("stack", axis, x0.ndim + 1)
    return [AVal(x0.shape[:ax] + (len(avals),) + x0.shape[ax:], dtype)]


def _stack_vjp(b, ins, outs, cts, axis):
    parts = b.emit("split", [cts[0]], {"sections": len(ins), "axis": axis % len(outs[0].shape)})
    return [b.reshape(p, shape=x.shape) for p, x in zip(parts, ins)]


def _stack_jvp(b, ins, outs, ts, axis):
    ts = _fill_zeros(b, ts, ins)
    return [None if ts is None else b.stack(*ts, axis=axis)]


defop("stack", None, _stack_infer, attrs={"axis": Attr("int", 0)}, min_arity=1,
      doc="join same-shape inputs along a new axis")
impl_rules["stack"] = lambda xp, *xs, axis: xp.stack(xs, axis=axis)
vjp_rules["stack"] = _stack_vjp
jvp_rules["stack"] = _stack_jvp


# -- split --------------------------------------------------------------------------------------
def _split_bounds(x_shape, sections, indices, axis):
    """(start, stop) per output along the normalised axis."""
    ndim = len(x_shape)
    if ndim == 0:
        raise ShapeError("split: cannot split a rank-0 tensor", shape=[])
    ax = _axis("split", axis, ndim)
    n = x_shape[ax]
    if (sections is None) == (indices is None):
        raise ShapeError("split: give exactly one of `sections` (a count) or `indices` (split points)")
    if sections is not None:
        if sections < 1 or n % sections:
            raise ShapeError(f"split: axis {axis} of shape {list(x_shape)} (size {n}) does not divide into "
                             f"{sections} equal sections", shape=list(x_shape), sections=sections)
        step = n // sections
        points = [step * i for i in range(1, sections)]
    else:
        points = list(indices)
        if any(p < 0 or p > n for p in points) or points != sorted(points):
            raise ShapeError(f"split: indices {points} must be non-decreasing and within [0, {n}] "
                             f"for axis {axis} of shape {list(x_shape)}", shape=list(x_shape))
    edges = [0] + points + [n]
    return ax, list(zip(edges[:-1], edges[1:]))


def _split_infer(avals, sections, indices, axis):
    x = avals[0]
    ax, bounds = _split_bounds(x.shape, sections, indices, axis)
    return [AVal(x.shape[:ax] + (hi - lo,) + x.shape[ax + 1:], x.dtype) for lo, hi in bounds]


def _split_impl(xp, x, sections, indices, axis):
    ax, bounds = _split_bounds(tuple(x.shape), sections, indices, axis)
    # trailing ... : the array API standard (array-api-strict) wants every axis indexed
    outs = tuple(x[(slice(None),) * ax + (slice(lo, hi), ...)] for lo, hi in bounds)
    return outs if len(outs) > 1 else outs[0]


def _split_vjp(b, ins, outs, cts, sections, indices, axis):
    cts = _fill_zeros(b, cts, outs)
    if cts is None:
        return [None]
    return [b.concat(*cts, axis=axis) if len(cts) > 1 else cts[0]]


def _split_jvp(b, ins, outs, ts, sections, indices, axis):
    return list(b.emit("split", [ts[0]], {"sections": sections, "indices": indices, "axis": axis}))


defop("split", 1, _split_infer, n_outputs=None,
      attrs={"sections": Attr("int", None, optional=True), "indices": Attr("ints", None, optional=True),
             "axis": Attr("int", 0)},
      doc="split along an axis into `sections` equal parts or at `indices`; one output per part")
impl_rules["split"] = _split_impl
vjp_rules["split"] = _split_vjp
jvp_rules["split"] = _split_jvp


# -- tile ---------------------------------------------------------------------------------------
def _tile_shapes(x_shape, reps):
    """x's shape padded to len(reps) and the interleaved [r0, d0, r1, d1, ...] shape."""
    n = max(len(x_shape), len(reps))
    shape = (1,) * (n - len(x_shape)) + tuple(x_shape)
    reps = (1,) * (n - len(reps)) + tuple(reps)
    inter = tuple(v for r, d in zip(reps, shape) for v in (r, d))
    return shape, reps, inter


def _tile_infer(avals, reps):
    x = avals[0]
    if any(r < 0 for r in reps):
        raise ShapeError(f"tile: reps {list(reps)} must be non-negative", reps=list(reps))
    shape, reps, _ = _tile_shapes(x.shape, reps)
    return [AVal(tuple(r * d for r, d in zip(reps, shape)), x.dtype)]


def _tile_impl(xp, x, reps):
    shape, reps, inter = _tile_shapes(tuple(x.shape), reps)
    spread = xp.reshape(x, tuple(v for d in shape for v in (1, d)))
    return xp.reshape(xp.broadcast_to(spread, inter), tuple(r * d for r, d in zip(reps, shape)))


def _tile_vjp(b, ins, outs, cts, reps):
    x = ins[0]
    shape, reps, inter = _tile_shapes(x.shape, reps)
    summed = b.sum(b.reshape(cts[0], shape=inter), axis=tuple(range(0, len(inter), 2)))
    return [b.reshape(summed, shape=x.shape)]


defop("tile", 1, _tile_infer, attrs={"reps": Attr("ints")}, doc="repeat the whole tensor `reps` times per axis")
impl_rules["tile"] = _tile_impl
vjp_rules["tile"] = _tile_vjp
jvp_rules["tile"] = lambda b, ins, outs, ts, reps: [b.tile(ts[0], reps=reps)]

"""Constants, casts, markers, shape ops, reductions and matmul."""
from __future__ import annotations

import functools

import numpy as np

from ..errors import ShapeError
from ..ir import AVal, is_float
from ._infer import norm_axes, reduced_shape
from .registry import Attr, defop, impl_rules, jvp_rules, vjp_rules

# -- constants ------------------------------------------------------------------
defop("fill", 0, lambda avals, shape, value, dtype: [AVal(tuple(shape), dtype)],
      attrs={"shape": Attr("shape"), "value": Attr("float"), "dtype": Attr("dtype")},
      nondiff=True, doc="tensor of `shape` filled with `value`")
impl_rules["fill"] = lambda xp, shape, value, dtype: xp.full(shape, value, dtype=getattr(xp, dtype))


def _const_infer(avals, value):
    if not isinstance(value, np.ndarray):
        raise ShapeError("const: value must be an array")
    return [AVal(tuple(value.shape), str(value.dtype))]


defop("const", 0, _const_infer, attrs={"value": Attr("any")}, nondiff=True, doc="a literal tensor")
impl_rules["const"] = lambda xp, value: xp.asarray(value)

for _name, _v in (("zeros_like", 0.0), ("ones_like", 1.0)):
    defop(_name, 1, lambda avals: [avals[0]], nondiff=True, doc=f"{_name}(x)")
    impl_rules[_name] = (lambda xp, x, _v=_v: xp.full(x.shape, _v, dtype=x.dtype))

# -- markers ----------------------------------------------------------------------
defop("identity", 1, lambda avals: [avals[0]], doc="identity; marks a differentiation point")
impl_rules["identity"] = lambda xp, x: x
vjp_rules["identity"] = lambda b, ins, outs, cts: [cts[0]]
jvp_rules["identity"] = lambda b, ins, outs, ts: [ts[0]]

defop("stop_gradient", 1, lambda avals: [avals[0]], doc="identity whose derivative is zero")
impl_rules["stop_gradient"] = lambda xp, x: x
vjp_rules["stop_gradient"] = lambda b, ins, outs, cts: [None]
jvp_rules["stop_gradient"] = lambda b, ins, outs, ts: [None]

defop("cast", 1, lambda avals, dtype: [AVal(avals[0].shape, dtype)], attrs={"dtype": Attr("dtype")},
      doc="convert dtype")
impl_rules["cast"] = lambda xp, x, dtype: xp.astype(x, getattr(xp, dtype))
# dout cast back to the input's dtype (an integer input is active only under grad's int_grads)
vjp_rules["cast"] = lambda b, ins, outs, cts, dtype: [b.cast(cts[0], dtype=ins[0].dtype) if ins[0].dtype != "bool" else None]
jvp_rules["cast"] = lambda b, ins, outs, ts, dtype: [b.cast(ts[0], dtype=outs[0].dtype) if is_float(outs[0].dtype) else None]


# -- shape ops ----------------------------------------------------------------------
def _reshape_infer(avals, shape):
    x = avals[0]
    shape = list(shape)
    if shape.count(-1) > 1:
        raise ShapeError(f"reshape: at most one -1 in {shape}", shape=shape)
    known = int(np.prod([d for d in shape if d != -1], dtype=np.int64))
    if -1 in shape:
        if known == 0 or x.size % known:
            raise ShapeError(f"reshape: cannot reshape {x} to {shape}", shape=shape)
        shape[shape.index(-1)] = x.size // known
    elif known != x.size:
        raise ShapeError(f"reshape: cannot reshape {x} ({x.size} elements) to {shape}", shape=shape)
    if any(d < 0 for d in shape):
        raise ShapeError(f"reshape: negative dimension in {shape}", shape=shape)
    return [AVal(tuple(shape), x.dtype)]


defop("reshape", 1, _reshape_infer, attrs={"shape": Attr("ints")}, doc="reshape (one -1 allowed)")
impl_rules["reshape"] = lambda xp, x, shape: xp.reshape(x, shape)
vjp_rules["reshape"] = lambda b, ins, outs, cts, shape: [b.reshape(cts[0], shape=ins[0].shape)]
jvp_rules["reshape"] = lambda b, ins, outs, ts, shape: [b.reshape(ts[0], shape=outs[0].shape)]


def _transpose_infer(avals, perm):
    x = avals[0]
    if perm is None:
        perm = tuple(reversed(range(x.ndim)))
    if sorted(perm) != list(range(x.ndim)):
        raise ShapeError(f"transpose: perm {list(perm)} is not a permutation of rank {x.ndim}", perm=list(perm))
    return [AVal(tuple(x.shape[p] for p in perm), x.dtype)]


def _perm(x_ndim, perm):
    return tuple(reversed(range(x_ndim))) if perm is None else tuple(perm)


defop("transpose", 1, _transpose_infer, attrs={"perm": Attr("ints", None, optional=True)},
      doc="permute axes (default: reverse)")
impl_rules["transpose"] = lambda xp, x, perm: xp.permute_dims(x, _perm(x.ndim, perm))
vjp_rules["transpose"] = lambda b, ins, outs, cts, perm: [
    b.transpose(cts[0], perm=tuple(np.argsort(_perm(len(ins[0].shape), perm)).tolist()))]
jvp_rules["transpose"] = lambda b, ins, outs, ts, perm: [b.transpose(ts[0], perm=_perm(len(ins[0].shape), perm))]


def _broadcast_to_infer(avals, shape):
    x = avals[0]
    shape = tuple(shape)
    if len(shape) < x.ndim or any(d != 1 and d != s for d, s in zip(x.shape, shape[len(shape) - x.ndim:])):
        raise ShapeError(f"broadcast_to: cannot broadcast {x} to {list(shape)}",
                         shapes=[list(x.shape), list(shape)])
    return [AVal(shape, x.dtype)]


defop("broadcast_to", 1, _broadcast_to_infer, attrs={"shape": Attr("shape")}, doc="broadcast to shape")
impl_rules["broadcast_to"] = lambda xp, x, shape: xp.broadcast_to(x, shape)
vjp_rules["broadcast_to"] = lambda b, ins, outs, cts, shape: [b.sum_to(cts[0], ins[0].shape)]
jvp_rules["broadcast_to"] = lambda b, ins, outs, ts, shape: [b.broadcast(ts[0], tuple(shape))]


def _reduce_to_infer(avals, shape):
    x = avals[0]
    _broadcast_to_infer([AVal(tuple(shape), x.dtype)], x.shape)  # shape must broadcast to x
    return [AVal(tuple(shape), x.dtype)]


def _reduce_to_impl(xp, x, shape):
    lead = x.ndim - len(shape)
    axes = tuple(range(lead)) + tuple(lead + i for i, d in enumerate(shape) if d == 1 and x.shape[lead + i] != 1)
    if axes:
        x = xp.sum(x, axis=axes, keepdims=True)
    return xp.reshape(x, shape)


defop("reduce_to", 1, _reduce_to_infer, attrs={"shape": Attr("shape")},
      doc="sum a broadcast tensor back to `shape` (the transpose of broadcast_to)")
impl_rules["reduce_to"] = _reduce_to_impl
vjp_rules["reduce_to"] = lambda b, ins, outs, cts, shape: [b.broadcast(cts[0], ins[0].shape)]
jvp_rules["reduce_to"] = lambda b, ins, outs, ts, shape: [b.sum_to(ts[0], tuple(shape))]


def _expand_dims_infer(avals, axis):
    x = avals[0]
    nd = x.ndim + 1
    if not -nd <= axis < nd:
        raise ShapeError(f"expand_dims: axis {axis} out of range for rank {x.ndim}", axis=axis)
    s = list(x.shape)
    s.insert(axis % nd, 1)
    return [AVal(tuple(s), x.dtype)]


defop("expand_dims", 1, _expand_dims_infer, attrs={"axis": Attr("int")}, doc="insert a unit axis")
impl_rules["expand_dims"] = lambda xp, x, axis: xp.expand_dims(x, axis=axis)
vjp_rules["expand_dims"] = lambda b, ins, outs, cts, axis: [b.reshape(cts[0], shape=ins[0].shape)]
jvp_rules["expand_dims"] = lambda b, ins, outs, ts, axis: [b.reshape(ts[0], shape=outs[0].shape)]


def _squeeze_infer(avals, axis):
    x = avals[0]
    axes = norm_axes("squeeze", axis, x.ndim) if axis is not None else tuple(i for i, d in enumerate(x.shape) if d == 1)
    for a in axes:
        if x.shape[a] != 1:
            raise ShapeError(f"squeeze: axis {a} of {x} has size {x.shape[a]}, not 1", axis=a)
    return [AVal(tuple(d for i, d in enumerate(x.shape) if i not in axes), x.dtype)]


defop("squeeze", 1, _squeeze_infer, attrs={"axis": Attr("ints", None, optional=True)}, doc="drop unit axes")
impl_rules["squeeze"] = lambda xp, x, axis: xp.reshape(
    x, tuple(d for i, d in enumerate(x.shape)
             if not (d == 1 and (axis is None or i in [a % x.ndim for a in axis]))))
vjp_rules["squeeze"] = lambda b, ins, outs, cts, axis: [b.reshape(cts[0], shape=ins[0].shape)]
jvp_rules["squeeze"] = lambda b, ins, outs, ts, axis: [b.reshape(ts[0], shape=outs[0].shape)]


# -- reductions ------------------------------------------------------------------------
_RED_ATTRS = {"axis": Attr("ints", None, optional=True), "keepdims": Attr("bool", False)}


def _reduce_infer(name):
    def infer(avals, axis, keepdims):
        x = avals[0]
        axes = norm_axes(name, axis, x.ndim)
        return [AVal(reduced_shape(x.shape, axes, keepdims), x.dtype)]
    return infer


def _keep(b, ct, x, axis):
    """Reshape a reduced cotangent so it broadcasts against x (re-insert reduced axes)."""
    axes = norm_axes("sum", axis, len(x.shape))
    return b.reshape(ct, shape=reduced_shape(x.shape, axes, True))


defop("sum", 1, _reduce_infer("sum"), attrs=_RED_ATTRS, doc="sum over axes (None: all)")
impl_rules["sum"] = lambda xp, x, axis, keepdims: xp.sum(x, axis=axis, keepdims=keepdims)
vjp_rules["sum"] = lambda b, ins, outs, cts, axis, keepdims: [b.broadcast(_keep(b, cts[0], ins[0], axis), ins[0].shape)]
jvp_rules["sum"] = lambda b, ins, outs, ts, axis, keepdims: [b.sum(ts[0], axis=axis, keepdims=keepdims)]


def _count(x, axis):
    axes = norm_axes("mean", axis, len(x.shape))
    return float(np.prod([x.shape[a] for a in axes])) if axes else 1.0


defop("mean", 1, _reduce_infer("mean"), attrs=_RED_ATTRS, doc="mean over axes (None: all)")
impl_rules["mean"] = lambda xp, x, axis, keepdims: xp.mean(x, axis=axis, keepdims=keepdims)
vjp_rules["mean"] = lambda b, ins, outs, cts, axis, keepdims: [
    b.broadcast(_keep(b, b.mul(cts[0], b.scalar(1.0 / _count(ins[0], axis), ins[0].dtype)), ins[0], axis), ins[0].shape)]
jvp_rules["mean"] = lambda b, ins, outs, ts, axis, keepdims: [b.mean(ts[0], axis=axis, keepdims=keepdims)]


# -- matmul (MindSpore MatMul / BatchMatMul: transpose_a, transpose_b; batch dims broadcast) --
def _mt(shape, t):
    return shape[:-2] + (shape[-1], shape[-2]) if t else shape


def _matmul_infer(avals, transpose_a, transpose_b):
    a, b = avals
    if a.dtype != b.dtype:
        raise ShapeError(f"matmul: operand dtypes differ: {a} vs {b}", dtypes=[a.dtype, b.dtype])
    if a.ndim < 2 or b.ndim < 2:
        raise ShapeError(f"matmul: operands must have rank >= 2, got {a} and {b}",
                         shapes=[list(a.shape), list(b.shape)])
    sa, sb = _mt(a.shape, transpose_a), _mt(b.shape, transpose_b)
    if sa[-1] != sb[-2]:
        raise ShapeError(f"matmul: inner dimensions differ: {a} @ {b} "
                         f"(transpose_a={transpose_a}, transpose_b={transpose_b})",
                         shapes=[list(a.shape), list(b.shape)])
    from ._infer import broadcast_shapes

    batch = broadcast_shapes("matmul", sa[:-2], sb[:-2])
    return [AVal(batch + (sa[-2], sb[-1]), a.dtype)]


def _matmul_impl(xp, a, b, transpose_a, transpose_b):
    if transpose_a:
        a = xp.matrix_transpose(a)
    if transpose_b:
        b = xp.matrix_transpose(b)
    return xp.matmul(a, b)


def _matmul_vjp(b, ins, outs, cts, transpose_a, transpose_b):
    x, y = ins
    g = cts[0]
    ga = b.matmul(y, g, transpose_a=transpose_b, transpose_b=True) if transpose_a else \
        b.matmul(g, y, transpose_a=False, transpose_b=not transpose_b)
    gb = b.matmul(g, x, transpose_a=True, transpose_b=transpose_a) if transpose_b else \
        b.matmul(x, g, transpose_a=not transpose_a, transpose_b=False)
    return [ga, gb]


def _matmul_jvp(b, ins, outs, ts, transpose_a, transpose_b):
    x, y = ins
    kw = dict(transpose_a=transpose_a, transpose_b=transpose_b)
    ta = ts[0] and b.matmul(ts[0], y, **kw)
    tb = ts[1] and b.matmul(x, ts[1], **kw)
    return [b.add_any(ta, tb)]


defop("matmul", 2, _matmul_infer, attrs={"transpose_a": Attr("bool", False), "transpose_b": Attr("bool", False)},
      doc="matrix product over the last two axes, batch axes broadcast (MatMul / BatchMatMul)")
impl_rules["matmul"] = _matmul_impl
vjp_rules["matmul"] = _matmul_vjp
jvp_rules["matmul"] = _matmul_jvp


# -- static indexing: x[idx] with ints, slices, None (new axis) and one Ellipsis ------------
def parse_index(index, ndim: int):
    """Index items: int | [start, stop, step] (nulls allowed) | null (new axis) | "..." ."""
    items = []
    n_ell = 0
    for it in index:
        if it is None:
            items.append(None)
        elif it == "...":
            n_ell += 1
            items.append(Ellipsis)
        elif isinstance(it, bool):
            raise ShapeError(f"index: bad item {it!r}")
        elif isinstance(it, int):
            items.append(int(it))
        elif isinstance(it, (list, tuple)) and len(it) == 3 and all(v is None or (isinstance(v, int) and not isinstance(v, bool)) for v in it):
            if it[2] == 0:
                raise ShapeError("index: slice step may not be 0")
            items.append(slice(*it))
        else:
            raise ShapeError(f"index: bad item {it!r}; use int, [start, stop, step], null or '...'")
    if n_ell > 1:
        raise ShapeError("index: at most one '...'")
    n_real = sum(1 for i in items if i is not None and i is not Ellipsis)
    if n_real > ndim:
        raise ShapeError(f"index: {n_real} indices for a tensor of rank {ndim}", ndim=ndim)
    return tuple(items)


def _index_infer(avals, index):
    x = avals[0]
    idx = parse_index(index, x.ndim)
    probe = np.empty(x.shape, dtype=np.bool_) if x.size < 1 << 16 else None
    if probe is None:
        probe = np.lib.stride_tricks.as_strided(np.zeros(1, np.bool_), shape=x.shape, strides=(0,) * x.ndim)
    try:
        shape = probe[idx].shape
    except IndexError as e:
        raise ShapeError(f"index: {e} (tensor {x})", shape=list(x.shape)) from None
    return [AVal(tuple(shape), x.dtype)]


def _freeze_index(index):
    return tuple(tuple(it) if isinstance(it, list) else it for it in index)


@functools.lru_cache(maxsize=1024)
def _basic_index(index: tuple, shape: tuple):
    """Rewrite a static index into what every array API backend accepts.

    NumPy takes any basic index; the standard (array-api-strict) wants every axis
    spelled out (a trailing '...') and PyTorch rejects negative slice steps. So:
    x[index] == reshape(flip(x[basic], flips), out_shape), where `basic` has only
    in-range ints and positive-step slices, one per axis, `flips` are axes of
    x[basic] taken by a negative-step slice, and new axes (None) come from the reshape.
    Returns (basic, flips, basic_shape, out_shape).
    """
    items = parse_index(index, len(shape))
    n_real = sum(1 for i in items if i is not None and i is not Ellipsis)
    full = []
    for it in items:
        full.extend([slice(None)] * (len(shape) - n_real) if it is Ellipsis else [it])
    full += [slice(None)] * (len(shape) - sum(1 for i in full if i is not None))
    basic, flips, bshape, oshape, dim = [], [], [], [], 0
    for it in full:
        if it is None:
            oshape.append(1)
            continue
        n = shape[dim]
        dim += 1
        if isinstance(it, int):
            basic.append(it % n if -n <= it < n else it)  # out of range: infer has rejected it
            continue
        r = range(*it.indices(n))
        if r.step < 0:
            if len(r):
                flips.append(len(bshape))
            r = r[::-1]
        basic.append(slice(r.start, r[-1] + 1, r.step) if len(r) else slice(0, 0, 1))  # stop within the axis
        bshape.append(len(r))
        oshape.append(len(r))
    return tuple(basic), tuple(flips), tuple(bshape), tuple(oshape)


def _index_impl(xp, x, index):
    basic, flips, bshape, oshape = _basic_index(_freeze_index(index), tuple(x.shape))
    y = x[basic]
    if flips:
        y = xp.flip(y, axis=flips)
    return y if bshape == oshape else xp.reshape(y, oshape)


def _index_update_infer(avals, shape, index):
    ct = avals[0]
    expect = _index_infer([AVal(tuple(shape), ct.dtype)], index)[0]
    if expect.shape != ct.shape:
        raise ShapeError(f"index_scatter: value {ct} does not fit index result {expect}")
    return [AVal(tuple(shape), ct.dtype)]


def _index_scatter_impl(xp, v, shape, index):
    basic, flips, bshape, oshape = _basic_index(_freeze_index(index), tuple(shape))
    if bshape != oshape:
        v = xp.reshape(v, bshape)
    if flips:
        v = xp.flip(v, axis=flips)
    out = xp.zeros(shape, dtype=v.dtype)
    out[basic] = v  # basic index only: see _basic_index
    return out


defop("index", 1, _index_infer, attrs={"index": Attr("any")},
      doc="static indexing/slicing: items int | [start, stop, step] | null (new axis) | '...'")
impl_rules["index"] = _index_impl
vjp_rules["index"] = lambda b, ins, outs, cts, index: [b.index_scatter(cts[0], shape=ins[0].shape, index=index)]
jvp_rules["index"] = lambda b, ins, outs, ts, index: [b.index(ts[0], index=index)]

defop("index_scatter", 1, _index_update_infer, attrs={"shape": Attr("shape"), "index": Attr("any")},
      doc="zeros of `shape` with x[index] = value (the transpose of index)")
impl_rules["index_scatter"] = _index_scatter_impl
vjp_rules["index_scatter"] = lambda b, ins, outs, cts, shape, index: [b.index(cts[0], index=index)]
jvp_rules["index_scatter"] = lambda b, ins, outs, ts, shape, index: [b.index_scatter(ts[0], shape=shape, index=index)]

"""StableHLO ops with layouts and windows: convolution, reduce_window, gather, and the variadic
reduce JAX writes for argmax / argmin, mapped onto the engine's NCHW conv / pools, gather and argmax."""
from __future__ import annotations

import math

import numpy as np

from ._shared import composites as C
from ._shared import fft_forms as FF
from ._shared.graph_writer import UnsupportedModel
from .jax_windows import dilate as _dilate, generic_reduce_window


def _ints(op, name, default):
    from jaxlib.mlir import ir

    a = op.attributes[name] if name in op.attributes else None
    return default if a is None else [int(v) for v in ir.DenseI64ArrayAttr(a)]


def _int(op, name, default=0):
    from jaxlib.mlir import ir

    return int(ir.IntegerAttr(op.attributes[name]).value) if name in op.attributes else default


def _padding(op, n):
    from jaxlib.mlir import ir

    if "padding" not in op.attributes:
        return [[0, 0]] * n
    return np.asarray(ir.DenseIntElementsAttr(op.attributes["padding"])).reshape(n, 2).astype(int).tolist()


def _inverse(perm):
    return [perm.index(k) for k in range(len(perm))]


def _crop_negative(w, x, axes, pads):
    """Negative padding crops: the crop done here, the rest of the padding returned."""
    items = [[0, d, 1] for d in w.shape(x)]
    for a, (lo, hi) in zip(axes, pads):
        items[a] = [max(-lo, 0), w.shape(x)[a] - max(-hi, 0), 1]
    return w.index(x, items), [[max(lo, 0), max(hi, 0)] for lo, hi in pads]


def convolution(fn, op, ins, shape, dtype):
    from jaxlib.mlir.dialects import stablehlo

    w = fn.w
    x, k = ins
    dn = stablehlo.ConvDimensionNumbers(op.attributes["dimension_numbers"])
    isp, ksp, osp = (list(dn.input_spatial_dimensions), list(dn.kernel_spatial_dimensions),
                     list(dn.output_spatial_dimensions))
    nd = len(isp)
    if _int(op, "batch_group_count", 1) != 1:
        raise UnsupportedModel("convolution with batch_group_count > 1 (a weight gradient written as a conv)")
    if "window_reversal" in op.attributes and any(_bools(op.attributes["window_reversal"])):
        raise UnsupportedModel("convolution with window_reversal")
    x = w.transpose(x, [dn.input_batch_dimension, dn.input_feature_dimension] + isp)  # NC...
    k = w.transpose(k, [dn.kernel_output_feature_dimension, dn.kernel_input_feature_dimension] + ksp)  # OI...
    for a, d in enumerate(_ints(op, "lhs_dilation", [1] * nd)):
        if d > 1:
            x = _dilate(w, x, a + 2, d)
    x, pads = _crop_negative(w, x, range(2, nd + 2), _padding(op, nd))
    strides, dil = _ints(op, "window_strides", [1] * nd), _ints(op, "rhs_dilation", [1] * nd)
    sx, sk = w.shape(x), w.shape(k)
    out = [(s + lo + hi - (d * (kk - 1) + 1)) // st + 1 for s, (lo, hi), d, kk, st in zip(sx[2:], pads, dil, sk[2:],
                                                                                          strides)]
    y = w.emit1("conv", [x, k], {"strides": strides, "padding": pads, "dilation": dil,
                                 "groups": _int(op, "feature_group_count", 1)}, [sx[0], sk[0]] + out, w.dtype(x))
    return [w.transpose(y, _inverse([dn.output_batch_dimension, dn.output_feature_dimension] + osp))]


def _bools(attr):
    from jaxlib.mlir import ir

    return list(ir.DenseBoolArrayAttr(attr))


def reduce_window(fn, op, ins, shape, dtype):
    """max / sum over windows (JAX's max_pool, avg_pool's sum) as the engine's NC... pools: the axes
    the window does not touch are moved first and merged into the channel axis."""
    w = fn.w
    if len(ins) != 2:
        raise UnsupportedModel("variadic reduce_window")
    x, init = ins
    body = [o.operation.name for o in op.regions[0].blocks[0].operations]
    kind = body[0].split(".", 1)[1] if len(body) == 2 else None
    cum = _cumulative(fn, op, kind, x, init)
    if cum is not None:
        return [cum]
    ident = {"maximum": -np.inf, "add": 0.0}.get(kind or "")
    c = fn.consts.get(init)
    s = list(w.shape(x))
    nd = len(s)
    win, strides = _ints(op, "window_dimensions", [1] * nd), _ints(op, "window_strides", [1] * nd)
    dil, pads = _ints(op, "window_dilations", [1] * nd), _padding(op, nd)
    base = _ints(op, "base_dilations", [1] * nd)
    if ident is None or c is None or float(c.reshape(-1)[0]) != ident or base != [1] * nd or (
            kind == "add" and dil != [1] * nd) or any(p < 0 for lh in pads for p in lh):
        return [generic_reduce_window(fn, op, x, init, win, strides, dil, base, pads, shape)]
    axes = [a for a in range(nd) if (win[a], strides[a], dil[a], pads[a]) != (1, 1, 1, [0, 0])]
    free = [a for a in range(nd) if a not in axes]
    perm = free + axes
    t = w.reshape(w.transpose(x, perm), [1, math.prod(s[a] for a in free)] + [s[a] for a in axes])
    geo = {"window": [win[a] for a in axes], "strides": [strides[a] for a in axes], "padding": [pads[a] for a in axes]}
    oshape = [1, math.prod(s[a] for a in free)] + [shape[a] for a in axes]
    if kind == "maximum":
        y = w.emit1("max_pool", [t], dict(geo, dilation=[dil[a] for a in axes]), oshape, dtype)
    else:
        y = w.emit1("avg_pool", [t], dict(geo, count_include_pad=True), oshape, dtype)
        y = w.mul(y, w.scalar_like(math.prod(geo["window"]), y))
    y = w.reshape(y, [s[a] for a in free] + [shape[a] for a in axes])
    return [w.transpose(y, _inverse(perm))]


def _cumulative(fn, op, kind, x, init):
    """JAX's cumsum / cumprod / cummin: a window the whole axis long, padded n - 1 before (after: reverse).
    (cummax is a max pool, below.)"""
    w = fn.w
    s = list(w.shape(x))
    nd = len(s)
    win, strides = _ints(op, "window_dimensions", [1] * nd), _ints(op, "window_strides", [1] * nd)
    pads = _padding(op, nd)
    axes = [a for a in range(nd) if win[a] != 1]
    c = fn.consts.get(init)
    ident = {"add": 0.0, "multiply": 1.0, "minimum": np.inf}.get(kind)
    if len(axes) != 1 or ident is None or c is None or float(c.reshape(-1)[0]) != ident or strides != [1] * nd:
        return None
    a, n = axes[0], s[axes[0]]
    if win[a] != n or pads[a] not in ([n - 1, 0], [0, n - 1]) or any(pads[k] != [0, 0] for k in range(nd) if k != a):
        return None
    reverse = pads[a] == [0, n - 1]
    if kind == "minimum":
        flip = (lambda v: w.emit1("flip", [v], {"axis": [a]}, s, w.dtype(v))) if reverse else (lambda v: v)
        return flip(C.prefix_scan(w, flip(x), a, lambda ww, p, q: ww.binary("minimum", p, q)))
    return w.emit1("cumsum" if kind == "add" else "cumprod", [x], {"axis": a, "reverse": reverse}, s, w.dtype(x))


def _extreme(dtype: str):
    """The lowest and highest values of a dtype (argmax's and argmin's reduce identities)."""
    if dtype == "bool":
        return False, True
    if dtype.startswith("int"):
        return np.iinfo(dtype).min, np.iinfo(dtype).max
    return -np.inf, np.inf


def arg_reduce(fn, op, ins):
    """reduce((values, iota), (lowest | highest, 0)) over one axis: JAX's argmax / argmin (jnp.select's
    too, over booleans), with the max / min."""
    w = fn.w
    dims = _ints(op, "dimensions", [])
    vals, idx, vinit, iinit = ins
    v0, iota = fn.consts.get(vinit), fn.consts.get(idx)
    lowest, highest = _extreme(w.dtype(vals))
    if len(dims) != 1 or v0 is None or v0.size != 1 or iota is None or v0.reshape(-1)[0] not in (lowest, highest):
        raise UnsupportedModel("variadic reduce other than argmax / argmin")
    ax = dims[0]
    nd = len(w.shape(vals))
    want = np.broadcast_to(np.arange(w.shape(vals)[ax]).reshape([-1 if k == ax else 1 for k in range(nd)]), iota.shape)
    if not np.array_equal(iota, want):
        raise UnsupportedModel("variadic reduce other than argmax / argmin")
    which = "max" if v0.reshape(-1)[0] == lowest else "min"
    num = w.cast(vals, "int32") if w.dtype(vals) == "bool" else vals
    out = [d for k, d in enumerate(w.shape(vals)) if k != ax]
    arg = w.emit1("arg" + which, [num], {"axis": ax, "keepdims": False}, out, "int64")
    return [w.cast(w.reduce(which, num, [ax]), w.dtype(vals)), w.cast(arg, w.dtype(idx))]


def gather(fn, op, ins, shape, dtype):
    """stablehlo.gather: start indices (clamped into the operand, as StableHLO does) for the indexed
    axes, batching axes paired by position, windows of slice_sizes; one engine gather over the indexed
    axes merged into one, then the result's axes placed where offset_dims says."""
    from jaxlib.mlir.dialects import stablehlo

    w = fn.w
    x, idx = ins
    dn = stablehlo.GatherDimensionNumbers(op.attributes["dimension_numbers"])
    offset_dims, collapsed = list(dn.offset_dims), set(dn.collapsed_slice_dims)
    obd, sbd, smap, ivd = list(dn.operand_batching_dims), list(dn.start_indices_batching_dims), \
        list(dn.start_index_map), int(dn.index_vector_dim)
    sizes = _ints(op, "slice_sizes", [])
    xs = list(w.shape(x))
    idx, bshape = _index_rows(w, idx, ivd)
    starts = {}
    for j, d in enumerate(smap):
        c = w.reshape(w.index(idx, [[0, n, 1] for n in bshape] + [j]), bshape)
        lo, hi = w.scalar_like(0, c), w.scalar_like(xs[d] - sizes[d], c)
        starts[d] = w.binary("minimum", w.binary("maximum", c, lo), hi)
    starts.update(_batch_starts(w, zip(obd, sbd), ivd, bshape))
    P = sorted(starts)
    F = [d for d in range(len(xs)) if d not in starts]
    if any(sizes[d] < xs[d] for d in F):  # an unindexed axis sliced from 0
        x = w.index(x, [[0, sizes[d] if d in F else xs[d], 1] for d in range(len(xs))])
    win = [d for d in P if sizes[d] > 1]
    full = bshape + [sizes[d] for d in win]
    flat = _flat_index(w, P, starts, sizes, xs, bshape, win)
    xt = w.reshape(w.transpose(x, P + F), [math.prod(xs[d] for d in P)] + [sizes[d] for d in F])
    g = w.gather(xt, flat, 0)  # [B..., windows..., F...]
    O = [d for d in range(len(xs)) if d not in collapsed and d not in obd]
    T = win + F + [d for d in O if d in starts and sizes[d] == 1]
    g = w.reshape(g, bshape + [sizes[d] for d in T])
    nb = len(bshape)
    g = w.transpose(g, list(range(nb)) + [nb + T.index(d) for d in O])
    perm, bi = [], 0
    for r in range(nb + len(O)):
        if r in offset_dims:
            perm.append(nb + offset_dims.index(r))
        else:
            perm.append(bi)
            bi += 1
    return [w.transpose(g, perm)]





def _block_arg(v, args) -> int | None:
    """The one comparator argument a value is computed from (through JAX's -0 / nan canonicalising selects and
    their constants), or None."""
    from jaxlib.mlir import ir

    found, todo, seen = set(), [v], 0
    while todo and seen < 64:
        u, seen = todo.pop().maybe_downcast(), seen + 1
        if isinstance(u, ir.BlockArgument):
            found.add(u.arg_number)
        else:
            todo.extend(u.owner.operands)
    return found.pop() if len(found) == 1 and not todo else None


def _compare_key(v, args, want: tuple) -> tuple[int, str] | None:
    """(key operand, direction) of a comparator compare of operand k's pair (lhs 2k, rhs 2k + 1; swapped: the
    other direction), its direction one of `want`; else None."""
    from jaxlib.mlir.dialects import stablehlo

    owner = v.owner
    if getattr(owner, "name", None) != "stablehlo.compare":
        return None
    d = stablehlo.ComparisonDirectionAttr(owner.attributes["comparison_direction"]).value
    a, b = (_block_arg(o, args) for o in owner.operands)
    if a is None or b is None or a // 2 != b // 2 or a == b:
        return None
    if a % 2:  # rhs first: LT of (b, a) is GT of (a, b)
        d = {"LT": "GT", "GT": "LT"}.get(d, d)
    return (a // 2, d) if d in want else None


def sort_keys(block) -> list[tuple[int, str]] | None:
    """The comparator as lexicographic keys [(operand, 'LT' | 'GT'), ...] (lax.sort's num_keys, jnp.lexsort):
    a compare LT / GT of one operand's pair, or `or(compare of key k, and(compare EQ of key k, the rest))`;
    None for any other comparator (refused: an order that is not lexicographic would be silently another)."""
    args, keys = list(block.arguments), []
    v = list(block.operations)[-1].operands[0]
    while True:
        single = _compare_key(v, args, ("LT", "GT"))
        if single is not None:
            keys.append(single)
            return keys if len({k for k, _ in keys}) == len(keys) else None
        owner = v.owner
        if getattr(owner, "name", None) != "stablehlo.or" or len(owner.operands) != 2:
            return None
        for first, rest in (tuple(owner.operands), tuple(owner.operands)[::-1]):
            key = _compare_key(first, args, ("LT", "GT"))
            if key is None or getattr(rest.owner, "name", None) != "stablehlo.and":
                continue
            x, y = rest.owner.operands
            for eq, nxt in ((x, y), (y, x)):
                if _compare_key(eq, args, ("EQ",)) == (key[0], "EQ"):
                    keys.append(key)
                    v = nxt
                    break
            else:
                return None
            break
        else:
            return None


def sort(fn, op, ins, shape, dtype):
    """stablehlo.sort along one axis by the first operand (ascending or descending: the comparator's
    returned compare); further operands (argsort's iota, sort_key_val's values) follow the same permutation.
    Several keys (lax.sort's num_keys, jnp.lexsort): stable sorts by the last key, then each key before it."""
    w = fn.w
    axis = _int(op, "dimension", -1) % len(w.shape(ins[0]))
    keys = sort_keys(op.regions[0].blocks[0])
    if keys is None:
        raise UnsupportedModel("sort with a comparator that is not lexicographic ascending LT / descending GT "
                               "over its operands")
    s = w.shape(ins[0])
    if keys[0][0] == 0 and len(keys) == 1:
        vals, idx = w.emit("sort", [ins[0]], {"axis": axis, "descending": keys[0][1] == "GT"},
                           [(s, w.dtype(ins[0])), (s, "int64")])
        return [vals] + [w.emit1("take_along_axis", [o, idx], {"axis": axis}, s, w.dtype(o)) for o in ins[1:]]
    idx = None
    for k, d in reversed(keys):
        key = ins[k] if idx is None else w.emit1("take_along_axis", [ins[k], idx], {"axis": axis}, s, w.dtype(ins[k]))
        perm = w.emit("sort", [key], {"axis": axis, "descending": d == "GT"}, [(s, w.dtype(key)), (s, "int64")])[1]
        idx = perm if idx is None else w.emit1("take_along_axis", [idx, perm], {"axis": axis}, s, "int64")
    return [w.emit1("take_along_axis", [o, idx], {"axis": axis}, s, w.dtype(o)) for o in ins]


LAYER_OPS = {"convolution": convolution, "reduce_window": reduce_window, "gather": gather, "sort": sort}


def pad(fn, op, ins, shape, dtype):
    """stablehlo.pad with a constant padding value: interior padding (zeros only) as dilation,
    negative edges as crops, the rest the engine's constant pad."""
    w = fn.w
    x, value = ins
    v = fn.consts.get(value)
    if v is None:
        raise UnsupportedModel("pad with a computed padding value")
    nd = len(w.shape(x))
    lo, hi = _ints(op, "edge_padding_low", [0] * nd), _ints(op, "edge_padding_high", [0] * nd)
    v0 = v.reshape(-1)[0]
    if np.iscomplexobj(v0) and v0.imag != 0:
        raise UnsupportedModel("pad of a complex tensor with a value off the real axis")
    v0 = float(np.real(v0))
    for a, d in enumerate(_ints(op, "interior_padding", [0] * nd)):
        if d and v0 != 0:
            raise UnsupportedModel("interior padding with a non-zero value")
        x = _dilate(w, x, a, d + 1) if d else x
    x, pads = _crop_negative(w, x, range(nd), list(zip(lo, hi)))
    return [C.pad(w, x, pads, "constant", v0)]


LAYER_OPS["pad"] = pad


def fft(fn, op, ins, shape, dtype):
    """stablehlo.fft (lax.fft, jnp.fft's kernel) over the last len(fft_length) axes: FFT / IFFT / RFFT / IRFFT
    (IFFT and IRFFT scale by 1/n: numpy's 'backward'); the other norms are JAX's own multiplies."""
    kind = str(op.attributes["fft_type"]).rsplit(" ", 1)[-1].strip(">")
    lengths = _ints(op, "fft_length", [])
    nd = len(fn.w.shape(ins[0]))
    axes = list(range(nd - len(lengths), nd))
    if kind in ("FFT", "IFFT"):
        return [FF.c2c(fn.w, ins[0], axes, inverse=kind == "IFFT")]
    if kind == "RFFT":
        return [FF.r2c(fn.w, ins[0], axes)]
    if kind == "IRFFT":
        return [FF.c2r(fn.w, ins[0], axes, lengths[-1], lengths=lengths[:-1])]
    raise UnsupportedModel(f"stablehlo.fft of type {kind}")


LAYER_OPS["fft"] = fft


def _scatter_kind(op) -> str:
    """`set` (the region returns the update), or the one binary op it applies (add, mul, max, min)."""
    block = op.regions[0].blocks[0]
    ops = list(block.operations)
    names = [o.operation.name for o in ops]
    ret = ops[-1].operands[0]
    if names == ["stablehlo.return"] and ret.get_name() == block.arguments[1].get_name():
        return "set"
    combine = {"stablehlo.add": "add", "stablehlo.multiply": "mul", "stablehlo.maximum": "max",
               "stablehlo.minimum": "min"}
    if len(names) == 2 and names[1] == "stablehlo.return" and names[0] in combine:
        return combine[names[0]]
    raise UnsupportedModel(f"scatter with update computation {names} (known: set, add, mul, max, min)")


def scatter(fn, op, ins, shape, dtype):
    """stablehlo.scatter set / add / mul / max / min (x.at[...].set / add / multiply / max / min): every update
    element's flat position in the operand, out-of-bounds update windows dropped (StableHLO), then (set /
    add) one scatter_add into the flat operand; `set` keeps x where nothing lands (repeated indices of a set
    hold their mean: which write survives is unspecified in JAX); mul / max / min combine x with every
    update landing on it."""
    from jaxlib.mlir.dialects import stablehlo

    w = fn.w
    if len(ins) != 3:
        raise UnsupportedModel("variadic scatter")
    kind = _scatter_kind(op)
    x, idx, upd = ins
    dn = stablehlo.ScatterDimensionNumbers(op.attributes["scatter_dimension_numbers"])
    uwd, inserted = list(dn.update_window_dims), set(dn.inserted_window_dims)
    ibd, sbd = list(dn.input_batching_dims), list(dn.scatter_indices_batching_dims)
    smap, ivd = list(dn.scattered_dims_to_operand_dims), int(dn.index_vector_dim)
    xs, us = list(w.shape(x)), list(w.shape(upd))
    nd = len(xs)
    idx, bshape = _index_rows(w, idx, ivd)
    win = [d for d in range(nd) if d not in inserted and d not in ibd]
    wsize = {d: us[k] for d, k in zip(win, uwd)}
    full = bshape + [wsize[d] for d in win]
    starts, valid = {}, None
    for j, d in enumerate(smap):
        c = w.reshape(w.index(idx, [[0, n, 1] for n in bshape] + [j]), bshape)
        ok = w.binary("logical_and", w.binary("greater_equal", c, w.scalar_like(0, c)),
                      w.binary("less_equal", c, w.scalar_like(xs[d] - wsize.get(d, 1), c)))
        valid = ok if valid is None else w.binary("logical_and", valid, ok)
        starts[d] = c
    starts.update(_batch_starts(w, zip(ibd, sbd), ivd, bshape))
    flat = _flat_index(w, range(nd), starts, wsize, xs, bshape, win)
    scat = [k for k in range(len(us)) if k not in uwd]
    u = w.reshape(w.transpose(upd, scat + uwd), [-1])
    flat = w.reshape(flat, [-1])
    keep = None if valid is None else w.reshape(w.broadcast_to(w.reshape(valid, bshape + [1] * len(win)), full), [-1])
    return [C.scatter_flat(w, x, flat, u, kind, keep)]


LAYER_OPS["scatter"] = scatter


def reverse(fn, op, ins, shape, dtype):
    return [fn.w.emit1("flip", [ins[0]], {"axis": sorted(_ints(op, "dimensions", []))}, shape, dtype)]


def is_finite(fn, op, ins, shape, dtype):
    return [C.is_finite(fn.w, ins[0])]


LAYER_OPS.update(reverse=reverse, is_finite=is_finite)


# -- shared by gather and scatter: index rows, batching starts, flat positions --------------------------------
def _index_rows(w, idx, ivd: int):
    """StableHLO's index tensor with its index vector last, as int64; and the batch shape before it."""
    si = list(w.shape(idx))
    if ivd == len(si):
        idx, si = w.reshape(idx, si + [1]), si + [1]
    elif ivd != len(si) - 1:
        idx = w.transpose(idx, [d for d in range(len(si)) if d != ivd] + [ivd])
        si = list(w.shape(idx))
    return w.cast(idx, "int64"), si[:-1]


def _batch_starts(w, pairs, ivd: int, bshape: list) -> dict:
    """The start along each operand batching dim: the batch row's own position on its index batching dim."""
    out = {}
    for od, sd in pairs:
        p = sd if sd < ivd else sd - 1
        out[od] = w.const(np.broadcast_to(np.arange(bshape[p]).reshape([-1 if k == p else 1
                                                                        for k in range(len(bshape))]), bshape))
    return out


def _flat_index(w, dims, starts: dict, sizes, xs: list, bshape: list, win: list):
    """Row-major flat position over `dims` of the operand (shape xs), per batch row and window offset:
    the start along each dim (0 where it has none) plus the offset along each window dim (sizes[d] long)."""
    full = bshape + [sizes[d] for d in win]
    flat = None
    for d in dims:
        c = w.reshape(starts[d], bshape + [1] * len(win)) if d in starts else \
            w.const(np.zeros([1] * len(full), np.int64))
        if d in win:
            k = win.index(d)
            c = w.add(c, w.const(np.arange(sizes[d]).reshape([1] * len(bshape) + [-1 if q == k else 1
                                                                                   for q in range(len(win))])))
        c = w.broadcast_to(c, full)
        flat = c if flat is None else w.add(w.mul(flat, w.scalar_like(xs[d], flat)), c)
    return flat

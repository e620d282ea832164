"""mindspore.numpy's array creation (`gradserve.numpy` re-exports these): asarray / array / asfarray, zeros /
ones / full / empty and their _like forms, eye / identity / tri, linspace / logspace / geomspace, tril /
triu, diag / diagflat / diagonal / trace, meshgrid / ix_ / indices, vander, the window functions, the
triangle and diagonal index helpers, histogram_bin_edges, pad, rand / randn / randint.

Conventions are mindspore.numpy's (checked in MindSpore 2.10's venv): host data of Python / NumPy floats
becomes float32 and integers int32; a dtype may be a gradserve dtype, a NumPy dtype, a string or the
Python type int (int32), float (float32) or bool. Functions of Tensors are made of the SDK's ops (they
trace and differentiate); shapes, counts and index patterns are fixed by Python values, so the index
arrays are built here and applied with gather.
"""
from __future__ import annotations

import builtins
from typing import cast

import numpy as _np

from . import dtype as _dt
from . import ops as _ops
from ._late import late
from ._misc import random_ops_generator
from ._tensor import Tensor

_NARROW = {"float64": "float32", "int64": "int32"}  # mindspore.numpy's defaults for host data


def dtype_name(dtype) -> str:
    """The engine dtype name of a mindspore.numpy dtype argument (Python int is int32 there)."""
    if dtype is int:
        return "int32"
    if isinstance(dtype, str) and dtype in ("int", "float"):
        return {"int": "int32", "float": "float32"}[dtype]
    return _dt.to_name(dtype)


def _host(obj):
    """Nested lists / tuples that may hold concrete Tensors, as a NumPy array."""
    if isinstance(obj, Tensor):
        return obj._host_copy()
    if isinstance(obj, (list, tuple)):
        parts = [_host(o) for o in obj]
        try:
            return _np.array(parts)
        except ValueError as e:
            raise ValueError(f"mindspore.numpy: a ragged nested sequence cannot be an array ({e})") from None
    if isinstance(obj, (set, dict)) or obj is None:
        raise TypeError(f"mindspore.numpy: expected a number, a sequence or a Tensor, got {type(obj).__name__}")
    return _np.asarray(obj)


def asarray(a, dtype=None) -> Tensor:
    """a as a Tensor (a Tensor of the dtype asked is returned as it is)."""
    if isinstance(a, Tensor):
        return a if dtype is None or a._dtype == dtype_name(dtype) else _ops.cast(a, dtype_name(dtype))
    arr = _host(a)
    if arr.dtype == object:
        raise TypeError(f"mindspore.numpy.asarray: cannot convert {type(a).__name__} to a Tensor")
    name = dtype_name(dtype) if dtype is not None else _NARROW.get(arr.dtype.name, arr.dtype.name)
    return Tensor(arr.astype(name))


def array(obj, dtype=None, copy=True, ndmin=0) -> Tensor:
    """asarray; copy=True gives a new Tensor even for a Tensor of that dtype."""
    t = asarray(obj, dtype)
    if copy and t is obj:
        t = _ops.cast(t, t._dtype) if t.is_symbolic else Tensor(t._host_copy())
    while t.ndim < ndmin:
        t = _ops.expand_dims(t, 0)
    return t


def asfarray(a, dtype=_dt.float32) -> Tensor:
    """asarray in a float dtype (a non-float dtype asked is float32)."""
    name = dtype_name(dtype)
    return asarray(a, name if name in _dt.FLOAT else "float32")


def _shape(shape) -> tuple:
    if isinstance(shape, Tensor):
        shape = shape._host_copy().tolist()
    return (int(shape),) if isinstance(shape, (int, _np.integer)) else tuple(int(s) for s in shape)


def zeros(shape, dtype=_dt.float32) -> Tensor:
    return Tensor(_np.zeros(_shape(shape), dtype_name(dtype)))


def ones(shape, dtype=_dt.float32) -> Tensor:
    return Tensor(_np.ones(_shape(shape), dtype_name(dtype)))


def empty(shape, dtype=_dt.float32) -> Tensor:
    """Zeros (gradserve has no uninitialised memory)."""
    return zeros(shape, dtype)


def full(shape, fill_value, dtype=None) -> Tensor:
    """fill_value (a number, a sequence or a Tensor) broadcast to shape."""
    shape = _shape(shape)
    if isinstance(fill_value, Tensor):
        out = _ops.broadcast_to(fill_value, shape)
        return out if dtype is None else _ops.cast(out, dtype_name(dtype))
    return asarray(_np.full(shape, _host(fill_value)), dtype)


def _like(a, dtype, shape, fill) -> Tensor:
    proto = a if isinstance(a, Tensor) else asarray(a)
    name = dtype_name(dtype) if dtype is not None else proto._dtype
    shape = tuple(proto.shape) if shape is None else _shape(shape)
    if isinstance(fill, Tensor):
        return _ops.cast(_ops.broadcast_to(fill, shape), name)
    return Tensor(_np.full(shape, fill, name))


def empty_like(prototype, dtype=None, shape=None) -> Tensor:
    return _like(prototype, dtype, shape, 0)


def zeros_like(a, dtype=None, shape=None) -> Tensor:
    return _like(a, dtype, shape, 0)


def ones_like(a, dtype=None, shape=None) -> Tensor:
    return _like(a, dtype, shape, 1)


def full_like(a, fill_value, dtype=None, shape=None) -> Tensor:
    return _like(a, dtype, shape, fill_value if isinstance(fill_value, Tensor) else _host(fill_value))


def eye(N, M=None, k=0, dtype=_dt.float32) -> Tensor:  # noqa: N803 - NumPy's names
    return Tensor(_np.eye(int(N), None if M is None else int(M), int(k), dtype_name(dtype)))


def identity(n, dtype=_dt.float32) -> Tensor:
    return eye(n, dtype=dtype)


def tri(N, M=None, k=0, dtype=_dt.float32) -> Tensor:  # noqa: N803
    return Tensor(_np.tri(int(N), None if M is None else int(M), int(k), dtype_name(dtype)))


def _masked(m, keep: _np.ndarray) -> Tensor:
    """m where the host mask `keep` (over m's last two axes) holds, zero elsewhere."""
    m = asarray(m)
    return _ops.select(_ops.broadcast_to(Tensor(keep), tuple(m.shape)), m, _ops.zeros_like(m))


def tril(m, k=0) -> Tensor:
    m = asarray(m)
    return _masked(m, _np.tri(m.shape[-2], m.shape[-1], int(k), bool))


def triu(m, k=0) -> Tensor:
    m = asarray(m)
    return _masked(m, ~_np.tri(m.shape[-2], m.shape[-1], int(k) - 1, bool))


def _float(x) -> Tensor:
    t = asarray(x)
    return t if t._dtype in _dt.FLOAT else _ops.cast(t, "float32")


def _move_first(t: Tensor, axis: int) -> Tensor:
    """t with its axis 0 moved to `axis` (of the result)."""
    axis = axis % t.ndim
    order = list(builtins.range(1, t.ndim))
    order.insert(axis, 0)
    return _ops.transpose(t, tuple(order))


def _spaced(start: Tensor, stop: Tensor, num: int, endpoint: bool):
    """(values [num, *broadcast shape], step): NumPy's linspace (the last value is stop exactly)."""
    shape = _np.broadcast_shapes(tuple(start.shape), tuple(stop.shape))
    start, stop = _ops.broadcast_to(start, shape), _ops.broadcast_to(stop, shape)
    div = num - 1 if endpoint else num
    delta = _ops.sub(stop, start)
    step = _ops.div(delta, float(div)) if div > 0 else _ops.mul(delta, float("nan"))
    iota = Tensor(_np.arange(num, dtype=start._dtype).reshape((num,) + (1,) * len(shape)))
    out = _ops.add(start, _ops.mul(iota, step if div > 0 else _ops.zeros_like(step)))
    if endpoint and num > 1:
        out = _ops.concat([out[:-1], _ops.expand_dims(stop, 0)], 0)
    return out, step


def linspace(start, stop, num=50, endpoint=True, retstep=False, dtype=None, axis=0):
    out, step = _spaced(_float(start), _float(stop), int(num), bool(endpoint))
    out = _move_first(out, axis)
    if dtype is not None:
        out = _ops.cast(out, dtype_name(dtype))
    return (out, step) if retstep else out


def logspace(start, stop, num=50, endpoint=True, base=10.0, dtype=None, axis=0) -> Tensor:
    out, _ = _spaced(_float(start), _float(stop), int(num), bool(endpoint))
    out = _move_first(_ops.pow(_ops.cast(Tensor(_np.asarray(base)), out._dtype), out), axis)
    return out if dtype is None else _ops.cast(out, dtype_name(dtype))


def geomspace(start, stop, num=50, endpoint=True, dtype=None, axis=0) -> Tensor:
    """Values evenly spaced on a log scale from start to stop (both > 0 or both < 0), ends exact."""
    start, stop = _float(start), _float(stop)
    sign = _ops.sign(start)
    logs, _ = _spaced(_ops.log(_ops.abs(start)), _ops.log(_ops.abs(stop)), int(num), bool(endpoint))
    out = _ops.mul(_ops.exp(logs), sign)
    ends = [_ops.expand_dims(_ops.mul(_ops.broadcast_to(start, tuple(out.shape[1:])), 1.0), 0)]
    mid_stop = int(num) - 1 if endpoint and int(num) > 1 else int(num)
    parts = ends + ([out[1:mid_stop]] if mid_stop > 1 else [])
    if endpoint and int(num) > 1:
        parts.append(_ops.expand_dims(_ops.broadcast_to(stop, tuple(out.shape[1:])), 0))
    out = _ops.concat(parts, 0) if int(num) > 0 else out
    out = _move_first(out, axis)
    return out if dtype is None else _ops.cast(out, dtype_name(dtype))


def _gather_last(t: Tensor, positions: _np.ndarray) -> Tensor:
    """t[..., positions] over t's last axis (positions a host int array of any shape)."""
    return _ops.gather(t, Tensor(_np.asarray(positions, _np.int64)), t.ndim - 1)


def diagonal(a, offset=0, axis1=0, axis2=1) -> Tensor:
    """The offset-th diagonal of the matrices over axis1 / axis2, as NumPy's last axis."""
    a = asarray(a)
    nd = a.ndim
    axis1, axis2 = axis1 % nd, axis2 % nd
    rest = [i for i in builtins.range(nd) if i not in (axis1, axis2)]
    t = _ops.transpose(a, tuple(rest) + (axis1, axis2))
    n, m = a.shape[axis1], a.shape[axis2]
    rows = _np.arange(builtins.max(-offset, 0), n)
    rows = rows[rows + offset < m]
    flat = _ops.reshape(t, tuple(t.shape[:-2]) + (n * m,))
    return _gather_last(flat, rows * m + rows + offset)


def trace(a, offset=0, axis1=0, axis2=1, dtype=None) -> Tensor:
    """The sum of a's diagonal; an integer's in int64, a bool's in bool (MindSpore 2.10)."""
    d = diagonal(a, offset, axis1, axis2)
    out = _ops.ReduceSum()(_ops.cast(d, "int64") if d._dtype[0] in "iu" else d, -1)
    return out if dtype is None else _ops.cast(out, dtype_name(dtype))


def diag(v, k=0) -> Tensor:
    """A 1-D v: the square matrix with v on its k-th diagonal; a 2-D v: its k-th diagonal."""
    v = asarray(v)
    if v.ndim == 2:
        return diagonal(v, k, 0, 1)
    if v.ndim != 1:
        raise ValueError(f"mindspore.numpy.diag: v must be 1-D or 2-D, got shape {list(v.shape)}")
    n = v.shape[0]
    size = n + builtins.abs(int(k))
    where = _np.full(size * size, n, _np.int64)  # position n of the padded v is a zero
    i = _np.arange(n)
    where[(i + builtins.max(-k, 0)) * size + i + builtins.max(k, 0)] = i
    padded = _ops.concat([v, _ops.zeros((1,), v._dtype)], 0)
    return _ops.reshape(_ops.gather(padded, Tensor(where), 0), (size, size))


def diagflat(v, k=0) -> Tensor:
    return diag(_ops.reshape(asarray(v), (-1,)), k)


def diag_indices(n, ndim=2):
    return tuple(Tensor(_np.arange(int(n), dtype=_np.int32)) for _ in builtins.range(int(ndim)))


def meshgrid(*xi, sparse=False, indexing="xy"):
    """Coordinate Tensors from 1-D sequences (each input flattened), NumPy's rules."""
    if indexing not in ("xy", "ij"):
        raise ValueError(f"mindspore.numpy.meshgrid: indexing must be 'xy' or 'ij', got {indexing!r}")
    flat = [_ops.reshape(asarray(x), (-1,)) for x in xi]
    nd = len(flat)
    shapes = [t.shape[0] for t in flat]
    if indexing == "xy" and nd > 1:
        shapes[0], shapes[1] = shapes[1], shapes[0]
    out = []
    for i, t in enumerate(flat):
        axis = {0: 1, 1: 0}.get(i, i) if indexing == "xy" and nd > 1 else i
        view = [1] * nd
        view[axis] = t.shape[0]
        r = _ops.reshape(t, tuple(view))
        out.append(r if sparse else _ops.broadcast_to(r, tuple(shapes)))
    return out


def ix_(*args):
    """Open mesh: the i-th 1-D input reshaped to [1, ..., n_i, ..., 1]."""
    out = []
    for i, a in enumerate(args):
        t = asarray(a)
        if t.ndim != 1:
            raise ValueError(f"mindspore.numpy.ix_: every input must be 1-D, input {i} has shape {list(t.shape)}")
        out.append(_ops.reshape(t, (1,) * i + (t.shape[0],) + (1,) * (len(args) - i - 1)))
    return tuple(out)


def indices(dimensions, dtype=_dt.int32, sparse=False):
    grid = _np.indices(tuple(int(d) for d in dimensions), dtype_name(dtype), sparse=bool(sparse))
    return tuple(Tensor(g) for g in grid) if sparse else Tensor(grid)


def vander(x, N=None, increasing=False) -> Tensor:  # noqa: N803
    x = asarray(x)
    n = x.shape[0] if N is None else int(N)
    powers = _np.arange(n) if increasing else _np.arange(n - 1, -1, -1)
    return _ops.pow(_ops.expand_dims(x, 1), Tensor(powers.astype(x._dtype)))


def _window(fn, M) -> Tensor:  # noqa: N803
    return Tensor(fn(int(M)).astype(_np.float32))


def bartlett(M):  # noqa: N803
    return _window(_np.bartlett, M)


def blackman(M):  # noqa: N803
    return _window(_np.blackman, M)


def hamming(M):  # noqa: N803
    return _window(_np.hamming, M)


def hanning(M):  # noqa: N803
    return _window(_np.hanning, M)


def _index_pair(pair):
    return tuple(Tensor(p.astype(_np.int32)) for p in pair)


def triu_indices(n, k=0, m=None):
    return _index_pair(_np.triu_indices(int(n), int(k), None if m is None else int(m)))


def tril_indices(n, k=0, m=None):
    return _index_pair(_np.tril_indices(int(n), int(k), None if m is None else int(m)))


def triu_indices_from(arr, k=0):
    arr = asarray(arr)
    if arr.ndim != 2:
        raise ValueError(f"mindspore.numpy.triu_indices_from: arr must be 2-D, got shape {list(arr.shape)}")
    return triu_indices(arr.shape[0], k, arr.shape[1])


def tril_indices_from(arr, k=0):
    arr = asarray(arr)
    if arr.ndim != 2:
        raise ValueError(f"mindspore.numpy.tril_indices_from: arr must be 2-D, got shape {list(arr.shape)}")
    return tril_indices(arr.shape[0], k, arr.shape[1])


def histogram_bin_edges(a, bins=10, range=None, weights=None, density=None) -> Tensor:  # noqa: A002
    """bins equal-width bins over range (a's min and max when None; half a unit each way when they are
    equal), or the edges given."""
    if not isinstance(bins, (int, _np.integer)):
        return _float(bins)
    a = _float(a)
    if range is None:
        lo, hi = _ops.ReduceMin()(a, ()), _ops.ReduceMax()(a, ())
    else:
        lo, hi = (_ops.cast(Tensor(_np.asarray(float(v))), a._dtype) for v in range)
    same = _ops.equal(lo, hi)
    lo = _ops.select(same, _ops.sub(lo, 0.5), lo)
    hi = _ops.select(same, _ops.add(hi, 0.5), hi)
    return cast(Tensor, linspace(lo, hi, int(bins) + 1))  # retstep False: the edges only


# -- pad ---------------------------------------------------------------------------------------------------
def _pairs(value, nd: int, what: str):
    """NumPy's broadcasting of a pad argument to one (before, after) pair per axis."""
    arr = _np.asarray(value, dtype=object if isinstance(value, Tensor) else None)
    if arr.ndim == 0:
        return [(value, value)] * nd
    if arr.ndim > 2:
        raise ValueError(f"mindspore.numpy.pad: {what} must broadcast to ({nd}, 2)")
    pairs = _np.broadcast_to(_np.asarray(value), (nd, 2))
    return [(pairs[i, 0].item(), pairs[i, 1].item()) for i in builtins.range(nd)]


def _reflect_positions(n: int, before: int, after: int, symmetric: bool) -> _np.ndarray:
    """Source positions along an axis of length n for NumPy's 'reflect' / 'symmetric' padding."""
    period = 2 * n if symmetric else 2 * n - 2
    pos = _np.arange(-before, n + after)
    if period <= 0:
        return _np.zeros_like(pos)
    pos = _np.mod(pos, period)
    return _np.where(pos < n, pos, period - pos - (1 if symmetric else 0))


def _axis_positions(mode: str, n: int, before: int, after: int) -> _np.ndarray:
    if mode == "edge":
        return _np.clip(_np.arange(-before, n + after), 0, n - 1)
    if mode == "wrap":
        return _np.mod(_np.arange(-before, n + after), n)
    return _reflect_positions(n, before, after, mode == "symmetric")


def _take(t: Tensor, axis: int, start: int, stop: int) -> Tensor:
    return _ops.gather(t, Tensor(_np.arange(start, stop, dtype=_np.int64)), axis)


def _stat_block(t: Tensor, axis: int, n: int, width: int, length, side: int, mode: str) -> Tensor:
    length = n if length is None else builtins.max(1, builtins.min(int(length), n))
    region = _take(t, axis, 0, length) if side == 0 else _take(t, axis, n - length, n)
    reduce = {"mean": _ops.ReduceMean, "maximum": _ops.ReduceMax, "minimum": _ops.ReduceMin}[mode]
    stat = reduce(keep_dims=True)(region if mode != "mean" or t._dtype in _dt.FLOAT else
                                  _ops.cast(region, "float32"), axis)
    if mode == "mean" and t._dtype not in _dt.FLOAT:
        stat = _ops.cast(_ops.round(stat), t._dtype)
    shape = list(t.shape)
    shape[axis] = width
    return _ops.broadcast_to(stat, tuple(shape))


def _ramp_block(t: Tensor, axis: int, n: int, width: int, end, side: int) -> Tensor:
    edge = _take(t, axis, 0, 1) if side == 0 else _take(t, axis, n - 1, n)
    edge = _ops.squeeze(edge, axis)
    end_t = _ops.cast(Tensor(_np.asarray(end, _np.float64)), "float32")
    ramp, _ = _spaced(end_t, _ops.cast(edge, "float32") if edge._dtype not in _dt.FLOAT else edge, width, False)
    ramp = _ops.cast(_move_first(ramp, axis), t._dtype)
    return ramp if side == 0 else _ops.gather(ramp, Tensor(_np.arange(width - 1, -1, -1, dtype=_np.int64)), axis)


def _odd_reflection(t: Tensor, axis: int, before: int, after: int, symmetric: bool) -> Tensor:
    """reflect / symmetric padding with reflect_type 'odd' (2 * edge - the reflected value, repeated from each
    new edge when a pad is wider than the axis, as NumPy): linear in the values along the axis, so the map NumPy
    gives for the identity, applied by a matmul (integers through float64, exact for their sizes here)."""
    n = t.shape[axis]
    rows = _np.pad(_np.eye(n), [(before, after), (0, 0)], "symmetric" if symmetric else "reflect",
                   reflect_type="odd")  # (n + before + after, n): each padded position from the n values
    x = t if t._dtype in _dt.FLOAT else _ops.cast(t, "float64")
    moved = _ops.swapaxes(x, axis, -1)
    out = _ops.swapaxes(_ops.matmul(moved, _ops.cast(Tensor(rows.T), x._dtype)), axis, -1)
    return out if x is t else _ops.cast(_ops.round(out), t._dtype)


def _pad_with(t: Tensor, pad_width, func, kwargs: dict) -> Tensor:
    """pad with a function as mode (NumPy's): zeros around t, then func(vector, (before, after), axis, kwargs)
    for each 1-D slice along each axis in turn, its returned vector kept."""
    widths = [(int(b), int(a)) for b, a in _pairs(pad_width, t.ndim, "pad_width")]
    t = pad(t, widths)
    for axis, pair in enumerate(widths):
        t = late.apply_along_axis(func, axis, t, pair, axis, kwargs)  # (_numpy_funcs: it imports this module)
    return t


def pad(array, pad_width, mode="constant", stat_length=None, constant_values=0, end_values=0,  # noqa: A002
        reflect_type="even", **kwargs) -> Tensor:
    """NumPy's pad for the modes constant, edge, wrap, reflect, symmetric, mean, maximum, minimum and
    linear_ramp (axis by axis in order, so later axes set the corners, as NumPy); reflect_type 'odd' too; a
    function as mode, NumPy's way (_pad_with)."""
    if reflect_type not in ("even", "odd"):
        raise ValueError(f"mindspore.numpy.pad: reflect_type must be 'even' or 'odd', got {reflect_type!r}")
    modes = ("constant", "edge", "wrap", "reflect", "symmetric", "mean", "maximum", "minimum", "linear_ramp")
    if callable(mode):
        return _pad_with(asarray(array), pad_width, mode, kwargs)
    if mode not in modes:
        raise ValueError(f"mindspore.numpy.pad: mode must be one of {list(modes)}, got {mode!r}")
    t = asarray(array)
    nd = t.ndim
    widths = [(int(b), int(a)) for b, a in _pairs(pad_width, nd, "pad_width")]
    if builtins.any(w < 0 for pair in widths for w in pair):
        raise ValueError(f"mindspore.numpy.pad: pad widths must be >= 0, got {widths}")
    consts = _pairs(constant_values, nd, "constant_values")
    ends = _pairs(end_values, nd, "end_values")
    stats = _pairs(stat_length, nd, "stat_length") if stat_length is not None else [(None, None)] * nd
    for axis, (before, after) in enumerate(widths):
        if before == 0 and after == 0:
            continue
        n = t.shape[axis]
        if mode in ("reflect", "symmetric") and reflect_type == "odd":
            t = _odd_reflection(t, axis, before, after, mode == "symmetric")
            continue
        if mode in ("edge", "wrap", "reflect", "symmetric"):
            t = _ops.gather(t, Tensor(_axis_positions(mode, n, before, after).astype(_np.int64)), axis)
            continue
        parts: list = []
        for side, width in ((0, before), (1, after)):
            if width == 0:
                parts.append(None)
                continue
            shape = list(t.shape)
            shape[axis] = width
            if mode == "constant":
                parts.append(_ops.cast(_ops.fill(_dt.float64, tuple(shape), float(consts[axis][side])), t._dtype))
            elif mode == "linear_ramp":
                parts.append(_ramp_block(t, axis, n, width, ends[axis][side], side))
            else:
                parts.append(_stat_block(t, axis, n, width, stats[axis][side], side, mode))
        t = _ops.concat([p for p in (parts[0], t, parts[1]) if p is not None], axis)
    return t


# -- random draws (the generator set_seed seeds) ------------------------------------------------------------
def _draw_shape(shape, where: str) -> tuple:
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = tuple(shape[0])
    for s in shape:
        if isinstance(s, bool) or not isinstance(s, (int, _np.integer)):
            raise TypeError(f"mindspore.numpy.{where}: the shape must hold ints, got {s!r} ({type(s).__name__})")
    return tuple(int(s) for s in shape)


def _float_dtype(dtype, where: str) -> str:
    name = dtype_name(dtype)
    if name not in _dt.FLOAT:
        raise ValueError(f"mindspore.numpy.{where}: dtype must be a float type, got {name}")
    return name


def randn(*shape, dtype=_dt.float32) -> Tensor:
    name = _float_dtype(dtype, "randn")
    return Tensor(random_ops_generator().standard_normal(_draw_shape(shape, "randn")).astype(name))


def rand(*shape, dtype=_dt.float32) -> Tensor:
    name = _float_dtype(dtype, "rand")
    return Tensor(random_ops_generator().random(_draw_shape(shape, "rand")).astype(name))


def randint(minval, maxval=None, shape=None, dtype=_dt.int32) -> Tensor:
    """Integers drawn uniformly from [minval, maxval) ([0, minval) when maxval is None)."""
    for name, v in (("minval", minval), ("maxval", maxval)):
        if v is not None and (isinstance(v, bool) or not isinstance(v, (int, _np.integer))):
            raise TypeError(f"mindspore.numpy.randint: {name} must be an int, got {v!r}")
    lo, hi = (0, int(minval)) if maxval is None else (int(minval), int(maxval))
    if hi <= lo:
        raise ValueError(f"mindspore.numpy.randint: maxval must be > minval, got [{lo}, {hi})")
    name = dtype_name(dtype)
    if name in _dt.FLOAT or name == "bool":
        raise ValueError(f"mindspore.numpy.randint: dtype must be an integer type, got {name}")
    dims = () if shape is None else _draw_shape((shape,) if isinstance(shape, int) else tuple(shape), "randint")
    return Tensor(random_ops_generator().integers(lo, hi, dims).astype(name))


__all__ = ["dtype_name", "asarray", "array", "asfarray", "zeros", "ones", "empty", "full", "empty_like", "zeros_like",
           "ones_like", "full_like", "eye", "identity", "tri", "tril", "triu", "linspace", "logspace", "geomspace",
           "diagonal", "trace", "diag", "diagflat", "diag_indices", "meshgrid", "ix_", "indices", "vander", "bartlett",
           "blackman", "hamming", "hanning", "triu_indices", "tril_indices", "triu_indices_from", "tril_indices_from",
           "histogram_bin_edges", "pad", "randn", "rand", "randint"]

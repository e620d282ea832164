"""MindSpore 2.10's N-d gathers / scatters and segment reductions, composed from the engine's `gather`,
`scatter_add` (each other's transpose) and `segment_reduce` (max / min / prod per segment id): an index row
[i_0 .. i_{k-1}] is one flat position into the leading k axes, so every op here works along axis 0 of a
reshaped tensor, and its derivatives (grad, jvp, vjp, vmap, any order) are those of the engine ops it is
made of. Memory is linear in the number of index rows N.

gather_nd / GatherNd, scatter_nd / ScatterNd, tensor_scatter_update / add / sub / mul / div / max / min
(and their classes), unsorted_segment_sum / max / min / prod (and classes), SegmentSum.

Repeated index rows (MindSpore: updates at one position accumulate): add / sub / scatter_nd sum them;
mul / div / max / min combine them with the position's value (update: the last row wins, found as the
largest row number per position). max / min split the gradient equally among every tied candidate (the
position's value and the updates), as MindSpore 2.10 does; an empty segment holds the dtype's exact lowest
(max) / highest (min) value, or 1 (prod).
"""
from __future__ import annotations

import math

import numpy as np

from .._tensor import Tensor
from .._trace import apply
from ._primitives import Primitive

__all__ = ["gather_nd", "GatherNd", "scatter_nd", "ScatterNd", "tensor_scatter_update", "tensor_scatter_add",
           "tensor_scatter_sub", "tensor_scatter_mul", "tensor_scatter_div", "tensor_scatter_max",
           "tensor_scatter_min", "TensorScatterUpdate", "TensorScatterAdd", "TensorScatterSub", "TensorScatterMul",
           "TensorScatterDiv", "TensorScatterMax", "TensorScatterMin", "unsorted_segment_sum",
           "unsorted_segment_max", "unsorted_segment_min", "unsorted_segment_prod", "UnsortedSegmentSum",
           "UnsortedSegmentMax", "UnsortedSegmentMin", "UnsortedSegmentProd", "SegmentSum"]


def _op(name: str, *inputs, **attrs) -> Tensor:
    return apply(name, list(inputs), attrs)[0]


def _const(a) -> Tensor:
    return Tensor(np.asarray(a))


def _int_tensor(v, what: str, op: str) -> Tensor:
    t = v if isinstance(v, Tensor) else Tensor(np.asarray(v))
    if t.dtype.name not in ("int32", "int64"):
        raise TypeError(f"{op}: {what} must be int32 or int64, got {t.dtype.name}")
    return t


def _float_like(x: Tensor, value, shape=()) -> Tensor:
    return _op("fill", dtype=x.dtype.name, shape=tuple(shape), value=float(value))


# -- index rows -> flat positions ------------------------------------------------------------------
def _flat_index(indices: Tensor, dims: tuple, op: str) -> Tensor:
    """indices [..., k] -> the row-major position of each row in a block of shape `dims` (k axes). Known
    indices are checked here (MindSpore refuses a row outside the shape, negatives too: a RuntimeError); traced ones count
    a negative component from the end, and a row outside the shape becomes a position past the block, which
    the engine's gather / scatter_add refuse at run time (a ShapeError naming the node)."""
    k = indices.shape[-1] if indices.ndim else 0
    if indices.ndim == 0 or k > len(dims):
        raise ValueError(f"{op}: indices of shape {indices.shape} need a last axis of at most {len(dims)} "
                         f"(the rank of the indexed tensor)")
    dims = tuple(int(d) for d in dims[:k])
    if not indices.is_symbolic and indices.size:
        rows = indices._host_copy().reshape(-1, k)
        bad = np.nonzero(((rows < 0) | (rows >= np.asarray(dims, dtype=np.int64))).any(axis=1))[0]
        if bad.size:  # MindSpore 2.10's classes: RuntimeError (its kernels' check), ValueError for
            # tensor_scatter_update's rows past the shape (its shape inference's)
            row = rows[bad[0]]
            error = ValueError if op == "tensor_scatter_update" and (row >= 0).all() else RuntimeError
            raise error(f"{op}: index row {row.tolist()} (row {int(bad[0])}) is outside the indexed axes of "
                        f"shape {list(dims)}")
    dt = indices.dtype.name
    strides = _const(np.asarray([math.prod(dims[j + 1:]) for j in range(k)], dtype=dt))
    if indices.is_symbolic:
        return _traced_flat(indices, dims, strides)
    return _op("sum", _op("mul", indices, strides), axis=[-1])


def _traced_flat(indices: Tensor, dims: tuple, strides: Tensor) -> Tensor:
    """Flat positions of index rows known only at run time: a negative component counts from the end; a
    row outside the shape goes one past the block (the engine's range error, not another element)."""
    dt = indices.dtype.name
    n = _const(np.asarray(dims, dt))
    outside = _op("logical_or", _op("greater_equal", indices, n), _op("less", indices, _op("neg", n)))
    wrapped = _op("where", _op("less", indices, _const(np.zeros((), dt))), _op("add", indices, n), indices)
    flat = _op("sum", _op("mul", wrapped, strides), axis=[-1])
    off = _op("greater", _op("sum", _op("cast", outside, dtype="int32"), axis=[-1]), _const(np.int32(0)))
    return _op("where", off, _const(np.asarray(math.prod(dims), dt)), flat)


def _rows(indices: Tensor, shape: tuple, updates: Tensor | None, op: str):
    """(flat positions [N], number of positions P, slice shape): the index rows of `indices` into `shape`,
    with updates checked to be indices.shape[:-1] + shape[k:]."""
    indices = _int_tensor(indices, "indices", op)
    flat = _flat_index(indices, shape, op)
    k = indices.shape[-1]
    rest = tuple(shape[k:])
    if updates is not None and tuple(updates.shape) != tuple(indices.shape[:-1]) + rest:
        raise ValueError(f"{op}: updates of shape {updates.shape} do not fit indices {indices.shape} into "
                         f"shape {tuple(shape)} (expected {tuple(indices.shape[:-1]) + rest})")
    n = math.prod(indices.shape[:-1])
    return _op("reshape", flat, shape=[n]), math.prod(shape[:k]), rest


def gather_nd(input_x, indices):
    """input_x[i_0, ..., i_{k-1}] for each index row of indices [..., k]: shape indices.shape[:-1] +
    input_x.shape[k:]. The gradient adds the output's cotangent back at those positions (repeats add)."""
    shape = tuple(input_x.shape)
    indices = _int_tensor(indices, "indices", "gather_nd")
    flat = _flat_index(indices, shape, "gather_nd")
    k = indices.shape[-1]
    merged = _op("reshape", input_x, shape=[math.prod(shape[:k]), *shape[k:]])
    return _op("gather", merged, flat, axis=0)


def _scatter_rows(values: Tensor, flat: Tensor, p: int, rest: tuple) -> Tensor:
    """zeros [P, *rest] with values [N, *rest] added at rows flat [N]."""
    return _op("scatter_add", values, flat, shape=(p, *rest), axis=0)


def scatter_nd(indices, updates, shape):
    """zeros of `shape` with updates added at the index rows (repeated rows accumulate, as MindSpore)."""
    shape = tuple(int(s) for s in (shape._host_copy() if isinstance(shape, Tensor) else shape))
    if getattr(indices, "ndim", None) == 0:  # MindSpore 2.10's shape inference: its class and text
        raise RuntimeError("scatter_nd: The input [shape] must not be a scalar. (indices is a scalar; it needs a "
                           "last axis of index rows)")
    flat, p, rest = _rows(indices, shape, updates, "scatter_nd")
    u = _op("reshape", updates, shape=[flat.shape[0], *rest])
    return _op("reshape", _scatter_rows(u, flat, p, rest), shape=list(shape))


# -- tensor_scatter_*: a tensor with its rows combined with updates ------------------------------------
def _operands(input_x, indices, updates, op: str):
    """(flat [N], x as [P, *rest], updates as [N, *rest], P, rest) with dtypes checked."""
    shape = tuple(input_x.shape)
    if updates.dtype.name != input_x.dtype.name:
        raise TypeError(f"{op}: updates are {updates.dtype.name}, input_x is {input_x.dtype.name}; they must match")
    flat, p, rest = _rows(indices, shape, updates, op)
    x = _op("reshape", input_x, shape=[p, *rest])
    return flat, x, _op("reshape", updates, shape=[flat.shape[0], *rest]), p, rest


def _reduce(values: Tensor, ids: Tensor, num: int, mode: str) -> Tensor:
    """[num, *rest]: max / min / prod of the rows of values [N, *rest] per id (the engine's segment_reduce:
    O(N) memory; an empty segment holds the dtype's lowest / highest value or 1, as MindSpore)."""
    return _op("segment_reduce", values, ids, num_segments=int(num), mode=mode)


def _arange(n: int, like: Tensor) -> Tensor:
    return _const(np.arange(n, dtype=like.dtype.name))


def _result(input_x, x2: Tensor) -> Tensor:
    return _op("reshape", x2, shape=list(input_x.shape))


def last_writes(dest: Tensor, num: int) -> tuple[Tensor, Tensor]:
    """(bool [N]: whether each of N writes, in order, is the last to its position dest[i] in [0, num); [num]:
    each position's last write, the int's lowest where none lands). A repeated position keeps its last write."""
    n = dest.shape[0]
    last = _reduce(_arange(n, dest), dest, num, "max")
    return _op("equal", _op("gather", last, dest, axis=0), _arange(n, dest)), last


def tensor_scatter_update(input_x, indices, updates):
    """input_x with the rows named by indices replaced by updates (a repeated row: the last update, as
    MindSpore documents; the gradient goes to that update only)."""
    flat, x, u, p, rest = _operands(input_x, indices, updates, "tensor_scatter_update")
    n = flat.shape[0]
    wins, last = last_writes(flat, p)
    tail = [1] * len(rest)
    picked = _op("where", _op("reshape", wins, shape=[n] + tail), u, _float_like(u, 0))
    hit = _op("reshape", _op("greater_equal", last, _const(np.zeros((), flat.dtype.name))), shape=[p] + tail)
    return _result(input_x, _op("where", hit, _scatter_rows(picked, flat, p, rest), x))


def tensor_scatter_add(input_x, indices, updates):
    flat, x, u, p, rest = _operands(input_x, indices, updates, "tensor_scatter_add")
    return _result(input_x, _op("add", x, _scatter_rows(u, flat, p, rest)))


def tensor_scatter_sub(input_x, indices, updates):
    flat, x, u, p, rest = _operands(input_x, indices, updates, "tensor_scatter_sub")
    return _result(input_x, _op("sub", x, _scatter_rows(u, flat, p, rest)))


def _combine(op: str, input_x, indices, updates) -> Tensor:
    flat, x, u, p, rest = _operands(input_x, indices, updates, f"tensor_scatter_{op}")
    if op in ("max", "min"):  # each position's own value joins its updates (ties share the gradient)
        rows = _op("concat", x, u, axis=0)
        return _result(input_x, _reduce(rows, _op("concat", _arange(p, flat), flat, axis=0), p, op))
    factor = _reduce(u, flat, p, "prod")  # 1 where no update lands
    if op == "div" and not x.dtype.name.startswith(("float", "complex", "bfloat")):  # (integers truncate)
        return _result(input_x, _int_div(x, factor))
    return _result(input_x, _op("mul" if op == "mul" else "div", x, factor))


def _int_div(x, factor) -> Tensor:
    """integer x / factor rounded towards zero (MindSpore's integer TensorScatterDiv, C's division; by a
    product of repeats the same as dividing by each in turn), through float64 (exact below 2**53). A division
    by zero saturates: the dtype's highest value for x > 0, its lowest for x < 0, 0 for x = 0 (MindSpore 2.10's
    ScatterNdDiv kernel, checked in its venv; a cast of +-inf to an integer is undefined)."""
    dt = x.dtype.name
    zero, info = _const(np.zeros((), dt)), np.iinfo(dt)
    by_zero = _op("equal", factor, zero)
    divisor = _op("where", by_zero, _const(np.ones((), dt)), factor)  # no inf / nan made, even where unused
    q = _op("div", _op("cast", x, dtype="float64"), _op("cast", divisor, dtype="float64"))
    q = _op("cast", _op("mul", _op("sign", q), _op("floor", _op("abs", q))), dtype=dt)
    saturated = _op("where", _op("greater", x, zero), _const(np.asarray(info.max, dt)),
                    _op("where", _op("less", x, zero), _const(np.asarray(info.min, dt)), zero))
    return _op("where", by_zero, saturated, q)


def tensor_scatter_mul(input_x, indices, updates):
    """input_x times the updates at their rows (repeats multiply). The gradient is the product's: for one
    update per position the same as MindSpore 2.10's (its bprop leaves the other repeats out)."""
    return _combine("mul", input_x, indices, updates)


def tensor_scatter_div(input_x, indices, updates):
    """input_x divided by the updates at their rows (repeats: by their product)."""
    return _combine("div", input_x, indices, updates)


def tensor_scatter_max(input_x, indices, updates):
    """The max of input_x's value and the updates at each row; ties share the gradient equally."""
    return _combine("max", input_x, indices, updates)


def tensor_scatter_min(input_x, indices, updates):
    return _combine("min", input_x, indices, updates)


# -- segment reductions ------------------------------------------------------------------------------------
def _segments(input_x, segment_ids, num_segments, op: str, drop_negative: bool):
    """(x as [N, *rest], ids [N], number of segments, rest, keep [N] or None: the rows with an id >= 0)."""
    ids = _int_tensor(segment_ids, "segment_ids", op)
    if isinstance(num_segments, Tensor):  # a Tensor of one element, any rank (MindSpore 2.10 takes [2])
        if num_segments.size != 1:
            raise TypeError(f"{op}: num_segments must hold one element, got a Tensor of shape "
                            f"{list(num_segments.shape)}")
        num = int(num_segments._host_copy().reshape(()))
    else:
        num = int(num_segments)
    s = tuple(ids.shape)
    if tuple(input_x.shape[:len(s)]) != s:
        raise ValueError(f"{op}: segment_ids of shape {s} must be a prefix of input_x's shape {input_x.shape}")
    if not ids.is_symbolic and ids.size:
        v = ids._host_copy()
        lo = 0 if not drop_negative else -np.iinfo(np.int64).max
        if v.max() >= num or v.min() < lo:
            raise ValueError(f"{op}: segment id {int(v.max() if v.max() >= num else v.min())} is outside "
                             f"[0, {num}) (num_segments)")
    n, rest = math.prod(s), tuple(input_x.shape[len(s):])
    x = _op("reshape", input_x, shape=[n, *rest])
    ids = _op("reshape", ids, shape=[n])
    keep = None
    if drop_negative or ids.is_symbolic:  # MindSpore leaves a negative id out of every segment
        keep = _op("greater_equal", ids, _const(np.zeros((), ids.dtype.name)))
    return x, ids, num, rest, keep


def unsorted_segment_sum(input_x, segment_ids, num_segments):
    """out[s] = sum of input_x's slices whose segment id is s (rows with a negative id are left out)."""
    x, ids, num, rest, keep = _segments(input_x, segment_ids, num_segments, "unsorted_segment_sum", True)
    x = _op("where", _op("reshape", keep, shape=[ids.shape[0]] + [1] * len(rest)), x, _float_like(x, 0))
    return _scatter_rows(x, _op("where", keep, ids, _const(np.zeros((), ids.dtype.name))), num, rest)


def _segment_reduce(mode: str, input_x, segment_ids, num_segments):
    x, ids, num, rest, keep = _segments(input_x, segment_ids, num_segments, f"unsorted_segment_{mode}", False)
    if keep is None:
        return _reduce(x, ids, num, mode)
    # traced ids: a negative one goes to one extra segment, dropped after
    ids = _op("where", keep, ids, _const(np.asarray(num, ids.dtype.name)))
    return _op("gather", _reduce(x, ids, num + 1, mode), _arange(num, ids), axis=0)


def unsorted_segment_max(x, segment_ids, num_segments):
    """out[s] = max over segment s (an empty segment: the dtype's lowest value, as MindSpore); ties share
    the gradient equally."""
    return _segment_reduce("max", x, segment_ids, num_segments)


def unsorted_segment_min(x, segment_ids, num_segments):
    """out[s] = min over segment s (an empty segment: the dtype's highest value)."""
    return _segment_reduce("min", x, segment_ids, num_segments)


def unsorted_segment_prod(x, segment_ids, num_segments):
    """out[s] = product over segment s (an empty segment: 1); the gradient needs no division."""
    return _segment_reduce("prod", x, segment_ids, num_segments)


# -- MindSpore's primitive classes -------------------------------------------------------------------------
_BY_SEGMENT_REDUCE = {"TensorScatterUpdate", "TensorScatterMul", "TensorScatterDiv", "TensorScatterMax",
                      "TensorScatterMin", "UnsortedSegmentMax", "UnsortedSegmentMin", "UnsortedSegmentProd"}


def _prim(name: str, fn, doc: str):
    """A MindSpore primitive class over fn (`op` names the engine op doing the work: gather for GatherNd,
    segment_reduce for the max / min / prod / update kinds, scatter_add for the rest)."""
    def __call__(self, *args, **kwargs):  # keywords: fn's, which are MindSpore's
        return fn(*args, **kwargs)

    op = "gather" if name == "GatherNd" else "segment_reduce" if name in _BY_SEGMENT_REDUCE else "scatter_add"
    return type(name, (Primitive,), {"op": op, "__init__": lambda self: setattr(self, "attrs", {}),
                                     "__call__": __call__, "__doc__": doc, "__module__": __name__})


GatherNd = _prim("GatherNd", gather_nd, "ops.GatherNd()(input_x, indices)")
ScatterNd = _prim("ScatterNd", scatter_nd, "ops.ScatterNd()(indices, updates, shape)")
TensorScatterUpdate = _prim("TensorScatterUpdate", tensor_scatter_update, "(input_x, indices, updates)")
TensorScatterAdd = _prim("TensorScatterAdd", tensor_scatter_add, "(input_x, indices, updates)")
TensorScatterSub = _prim("TensorScatterSub", tensor_scatter_sub, "(input_x, indices, updates)")
TensorScatterMul = _prim("TensorScatterMul", tensor_scatter_mul, "(input_x, indices, updates)")
TensorScatterDiv = _prim("TensorScatterDiv", tensor_scatter_div, "(input_x, indices, updates)")
TensorScatterMax = _prim("TensorScatterMax", tensor_scatter_max, "(input_x, indices, updates)")
TensorScatterMin = _prim("TensorScatterMin", tensor_scatter_min, "(input_x, indices, updates)")
UnsortedSegmentSum = _prim("UnsortedSegmentSum", unsorted_segment_sum, "(input_x, segment_ids, num_segments)")
UnsortedSegmentMax = _prim("UnsortedSegmentMax", unsorted_segment_max, "(input_x, segment_ids, num_segments)")
UnsortedSegmentMin = _prim("UnsortedSegmentMin", unsorted_segment_min, "(input_x, segment_ids, num_segments)")
UnsortedSegmentProd = _prim("UnsortedSegmentProd", unsorted_segment_prod, "(input_x, segment_ids, num_segments)")


def sorted_segments(segment_ids, op: str):
    """(ids, number of segments) of MindSpore's Segment* primitives: sorted, known ids; max id + 1 segments."""
    ids = _int_tensor(segment_ids, "segment_ids", op)
    v = ids._concrete(f"{op}'s segment_ids (they fix the output's shape)")
    if v.size and (np.diff(v.ravel()) < 0).any():  # (MindSpore 2.10's texts, this check first: [0, 0, -1] is it)
        raise ValueError("For 'SegmentOp', segment_ids must be a tensor with element values sorted in ascending order.")
    if v.size and v.min() < 0:  # (gradserve dropped the rows of a negative id before)
        raise ValueError(f"For 'SegmentOp', the values of segment_ids must be nonnegative, but got {v.min()}.")
    return ids, int(v.max()) + 1 if v.size else 0


def _segment_sum(input_x, segment_ids):
    """ops.SegmentSum()(input_x, segment_ids): sorted, known ids; max id + 1 segments."""
    return unsorted_segment_sum(input_x, *sorted_segments(segment_ids, "SegmentSum"))


SegmentSum = _prim("SegmentSum", _segment_sum, "ops.SegmentSum()(input_x, segment_ids)")


def _tensor_scatter_method(fn, name: str):
    def method(self, indices, updates, *more):
        if more:  # MindSpore 2.10's scatter_add(dim, index, src) overload: a RuntimeError on CPU there too
            raise RuntimeError(f"Tensor.{name}: the (dim, index, src) form is not supported; "
                            f"give (indices, updates) as for ops.tensor_{name}")
        return fn(self, indices, updates)
    method.__name__ = name
    method.__doc__ = f"Tensor.{name}(indices, updates): ops.tensor_{name}(self, indices, updates)."
    return method


for _fn in (tensor_scatter_add, tensor_scatter_sub, tensor_scatter_mul, tensor_scatter_div, tensor_scatter_max,
            tensor_scatter_min):
    _name = _fn.__name__.removeprefix("tensor_")
    setattr(Tensor, _name, _tensor_scatter_method(_fn, _name))

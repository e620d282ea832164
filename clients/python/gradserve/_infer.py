"""Shape and dtype rules for tracing, one per engine op (the SDK cannot import the engine).

`tests/clients/test_ops_catalog.py` checks that every op of `_ops.json` has a rule here and
that the rules agree with the engine's on sample inputs.
"""
from __future__ import annotations

import numpy as np

from .errors import ShapeError

Aval = tuple  # (shape tuple, dtype str)
FLOAT = ("float16", "float32", "float64")

UNARY_FLOAT = {"exp", "log", "log1p", "expm1", "sqrt", "rsqrt", "reciprocal", "sin", "cos", "tan", "sinh", "cosh",
               "tanh", "asin", "acos", "atan", "asinh", "acosh", "atanh", "sigmoid", "softplus", "relu", "erf"}
UNARY_ANY = {"square", "abs", "neg", "sign", "identity", "stop_gradient", "zeros_like", "ones_like"}
BINARY = {"add", "sub", "mul", "maximum", "minimum"}
BINARY_FLOAT = {"div", "pow"}
COMPARE = {"equal", "not_equal", "less", "less_equal", "greater", "greater_equal", "logical_and", "logical_or"}
REDUCE = {"sum", "mean", "max", "min", "prod", "logsumexp"}


def broadcast(op, *shapes):
    try:
        return tuple(np.broadcast_shapes(*shapes))
    except ValueError:
        raise ShapeError(f"{op}: shapes {' and '.join(str(list(s)) for s in shapes)} do not broadcast") from None


def same_dtype(op, avals):
    ds = {a[1] for a in avals}
    if len(ds) > 1:
        raise ShapeError(f"{op}: operand dtypes differ: {sorted(ds)}")
    return avals[0][1]


def norm_axes(op, axis, ndim):
    if axis is None:
        return tuple(range(ndim))
    axes = (axis,) if isinstance(axis, int) else tuple(axis)
    out = []
    for a in axes:
        if not -max(ndim, 1) <= a < max(ndim, 1):
            raise ShapeError(f"{op}: axis {a} out of range for rank {ndim}")
        out.append(a % ndim if ndim else 0)
    if len(set(out)) != len(out):
        raise ShapeError(f"{op}: repeated axis in {list(axes)}")
    return tuple(sorted(out)) if ndim else ()


def reduced(shape, axes, keepdims):
    if keepdims:
        return tuple(1 if i in axes else d for i, d in enumerate(shape))
    return tuple(d for i, d in enumerate(shape) if i not in axes)


def parse_index(index, ndim):
    items = []
    for it in index:
        if it is None:
            items.append(None)
        elif it == "...":
            items.append(Ellipsis)
        elif isinstance(it, int) and not isinstance(it, bool):
            items.append(it)
        elif isinstance(it, (list, tuple)) and len(it) == 3:
            if it[2] == 0:
                raise ShapeError("index: slice step may not be 0")
            items.append(slice(*it))
        else:
            raise ShapeError(f"index: bad item {it!r}")
    if sum(1 for i in items if i is not None and i is not Ellipsis) > ndim:
        raise ShapeError(f"index: too many indices for a tensor of rank {ndim}")
    return tuple(items)


def _index_shape(shape, index):
    probe = np.lib.stride_tricks.as_strided(np.zeros(1, np.bool_), shape=shape, strides=(0,) * len(shape))
    try:
        return tuple(probe[parse_index(index, len(shape))].shape)
    except IndexError as e:
        raise ShapeError(f"index: {e} (tensor of shape {list(shape)})") from None


def _split_bounds(shape, sections, indices, axis):
    if not shape:
        raise ShapeError("split: cannot split a rank-0 tensor")
    ax = norm_axes("split", axis, len(shape))[0]
    n = shape[ax]
    if (sections is None) == (indices is None):
        raise ShapeError("split: give exactly one of sections or indices")
    if sections is not None:
        if sections < 1 or n % sections:
            raise ShapeError(f"split: axis of size {n} does not divide into {sections} sections")
        points = [n // sections * i for i in range(1, sections)]
    else:
        points = list(indices)
        if any(p < 0 or p > n for p in points) or points != sorted(points):
            raise ShapeError(f"split: bad indices {points} for size {n}")
    edges = [0] + points + [n]
    return ax, list(zip(edges[:-1], edges[1:]))


def infer(op: str, avals: list, attrs: dict) -> list:
    """Output avals of `op` on `avals` (list of (shape, dtype)) with `attrs` (defaults filled)."""
    a = avals[0] if avals else None
    if op in UNARY_FLOAT:
        if a[1] not in FLOAT:
            raise ShapeError(f"{op}: needs a floating-point operand, got {a[1]}")
        return [a]
    if op in UNARY_ANY:
        return [a]
    if op == "logical_not":
        return [(a[0], "bool")]
    if op in BINARY or op in BINARY_FLOAT or op in COMPARE:
        dt = same_dtype(op, avals)
        if op in BINARY_FLOAT and dt not in FLOAT:
            raise ShapeError(f"{op}: needs floating-point operands, got {dt}")
        return [(broadcast(op, *(x[0] for x in avals)), "bool" if op in COMPARE else dt)]
    if op == "where":
        c, x, y = avals
        if c[1] != "bool":
            raise ShapeError("where: condition must be bool")
        return [(broadcast(op, c[0], x[0], y[0]), same_dtype(op, [x, y]))]
    if op == "fill":
        return [(tuple(attrs["shape"]), attrs["dtype"])]
    if op == "const":
        v = attrs["value"]
        return [(tuple(v.shape), v.dtype.name)]
    if op == "cast":
        return [(a[0], attrs["dtype"])]
    if op == "reshape":
        shape = list(attrs["shape"])
        size = int(np.prod(a[0], dtype=np.int64))
        if shape.count(-1) > 1:
            raise ShapeError("reshape: at most one -1")
        known = int(np.prod([d for d in shape if d != -1], dtype=np.int64))
        if -1 in shape:
            if known == 0 or size % known:
                raise ShapeError(f"reshape: cannot reshape {list(a[0])} to {shape}")
            shape[shape.index(-1)] = size // known
        elif known != size:
            raise ShapeError(f"reshape: cannot reshape {list(a[0])} ({size} elements) to {shape}")
        return [(tuple(shape), a[1])]
    if op == "transpose":
        perm = attrs.get("perm")
        perm = tuple(reversed(range(len(a[0])))) if perm is None else tuple(perm)
        if sorted(perm) != list(range(len(a[0]))):
            raise ShapeError(f"transpose: {list(perm)} is not a permutation of rank {len(a[0])}")
        return [(tuple(a[0][p] for p in perm), a[1])]
    if op in ("broadcast_to", "reduce_to"):
        shape = tuple(attrs["shape"])
        src, dst = (a[0], shape) if op == "broadcast_to" else (shape, a[0])
        if broadcast(op, src, dst) != tuple(dst):
            raise ShapeError(f"{op}: cannot broadcast {list(src)} to {list(dst)}")
        return [(shape, a[1])]
    if op == "expand_dims":
        nd = len(a[0]) + 1
        ax = attrs["axis"]
        if not -nd <= ax < nd:
            raise ShapeError(f"expand_dims: axis {ax} out of range")
        s = list(a[0])
        s.insert(ax % nd, 1)
        return [(tuple(s), a[1])]
    if op == "squeeze":
        axis = attrs.get("axis")
        axes = norm_axes(op, axis, len(a[0])) if axis is not None else tuple(i for i, d in enumerate(a[0]) if d == 1)
        for ax in axes:
            if a[0][ax] != 1:
                raise ShapeError(f"squeeze: axis {ax} has size {a[0][ax]}, not 1")
        return [(tuple(d for i, d in enumerate(a[0]) if i not in axes), a[1])]
    if op in REDUCE:
        if op == "logsumexp" and a[1] not in FLOAT:
            raise ShapeError("logsumexp: needs a floating-point operand")
        axes = norm_axes(op, attrs.get("axis"), len(a[0]))
        return [(reduced(a[0], axes, attrs.get("keepdims", False)), a[1])]
    if op in ("softmax", "log_softmax"):
        if a[1] not in FLOAT or not a[0]:
            raise ShapeError(f"{op}: needs a floating-point operand of rank >= 1")
        norm_axes(op, attrs["axis"], len(a[0]))
        return [a]
    if op == "matmul":
        x, y = avals
        if x[1] != y[1]:
            raise ShapeError(f"matmul: operand dtypes differ: {x[1]} vs {y[1]}")
        if len(x[0]) < 2 or len(y[0]) < 2:
            raise ShapeError(f"matmul: operands must have rank >= 2, got {list(x[0])} and {list(y[0])}")
        sa = x[0][:-2] + ((x[0][-1], x[0][-2]) if attrs.get("transpose_a") else x[0][-2:])
        sb = y[0][:-2] + ((y[0][-1], y[0][-2]) if attrs.get("transpose_b") else y[0][-2:])
        if sa[-1] != sb[-2]:
            raise ShapeError(f"matmul: inner dimensions differ: {list(x[0])} @ {list(y[0])}")
        return [(broadcast(op, sa[:-2], sb[:-2]) + (sa[-2], sb[-1]), x[1])]
    if op == "index":
        return [(_index_shape(a[0], attrs["index"]), a[1])]
    if op == "index_scatter":
        shape = tuple(attrs["shape"])
        if _index_shape(shape, attrs["index"]) != tuple(a[0]):
            raise ShapeError("index_scatter: value does not fit the index")
        return [(shape, a[1])]
    if op in ("concat", "stack"):
        dt = same_dtype(op, avals)
        s0 = a[0]
        if op == "stack":
            if any(x[0] != s0 for x in avals):
                raise ShapeError("stack: all inputs must have the same shape")
            ax = norm_axes(op, attrs["axis"], len(s0) + 1)[0]
            return [(s0[:ax] + (len(avals),) + s0[ax:], dt)]
        if not s0:
            raise ShapeError("concat: inputs must have rank >= 1")
        ax = norm_axes(op, attrs["axis"], len(s0))[0]
        for x in avals[1:]:
            if len(x[0]) != len(s0) or any(d != e for k, (d, e) in enumerate(zip(x[0], s0)) if k != ax):
                raise ShapeError(f"concat: shapes {[list(v[0]) for v in avals]} differ off axis {ax}")
        s = list(s0)
        s[ax] = sum(x[0][ax] for x in avals)
        return [(tuple(s), dt)]
    if op == "split":
        ax, bounds = _split_bounds(a[0], attrs.get("sections"), attrs.get("indices"), attrs.get("axis", 0))
        return [(a[0][:ax] + (hi - lo,) + a[0][ax + 1:], a[1]) for lo, hi in bounds]
    if op == "tile":
        reps = tuple(attrs["reps"])
        n = max(len(a[0]), len(reps))
        shape = (1,) * (n - len(a[0])) + tuple(a[0])
        reps = (1,) * (n - len(reps)) + reps
        return [(tuple(r * d for r, d in zip(reps, shape)), a[1])]
    if op == "gather":
        x, idx = avals
        if idx[1] not in ("int32", "int64"):
            raise ShapeError("gather: indices must be int32 or int64")
        ax = norm_axes(op, attrs.get("axis", 0), len(x[0]))[0]
        return [(x[0][:ax] + tuple(idx[0]) + x[0][ax + 1:], x[1])]
    if op == "scatter_add":
        v, idx = avals
        shape = tuple(attrs["shape"])
        ax = norm_axes(op, attrs.get("axis", 0), len(shape))[0]
        if tuple(v[0]) != shape[:ax] + tuple(idx[0]) + shape[ax + 1:]:
            raise ShapeError("scatter_add: values do not fit the indices")
        return [(shape, v[1])]
    raise NotImplementedError(f"the SDK has no shape rule for op {op!r}; update gradserve/_infer.py")

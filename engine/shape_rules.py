"""Shape and dtype rules of the ops: the one copy, used by the engine and by the SDK.

The engine's ops type their outputs with these rules (engine/ops/_infer.py adapts them);
clients/python/tools/gen_ops.py copies this file verbatim into the SDK as
gradserve/_shape_rules.py, so tracing checks shapes exactly as the server will, without
importing the engine. Hence: NumPy and the standard library only, no relative imports.

A rule takes the operands (anything with `.shape` and `.dtype`) and the op's attributes
(defaults filled) and returns one (shape, dtype) per output, or raises RuleError, which each
side turns into its own ShapeError (the message and the detail carry over).
"""
from __future__ import annotations

import math
from typing import Callable, NamedTuple

import numpy as np

FLOAT = ("float16", "float32", "float64")
INT = ("int32", "int64")


class RuleError(Exception):
    """An operand or attribute does not fit the op; `detail` names the shapes, axes or dtypes."""

    def __init__(self, message: str, **detail):
        super().__init__(message)
        self.message = message
        self.detail = detail


class Aval(NamedTuple):
    """Shape and dtype of an operand (for callers holding (shape, dtype) pairs)."""

    shape: tuple
    dtype: str


def fmt(a) -> str:
    return f"{a.dtype}[{','.join(map(str, a.shape))}]"


RULES: dict[str, Callable] = {}


def rule(*names: str):
    def register(fn):
        for n in names:
            RULES[n] = fn if len(names) == 1 else (lambda avals, _n=n, **attrs: fn(_n, avals, **attrs))
        return fn
    return register


# -- helpers ------------------------------------------------------------------------------------
def broadcast_shapes(op: str, *shapes) -> tuple:
    ndim = max((len(s) for s in shapes), default=0)
    out = []
    for i in range(ndim):
        dims = {s[len(s) - ndim + i] for s in shapes if len(s) - ndim + i >= 0}
        dims.discard(1)
        if len(dims) > 1:
            raise RuleError(f"{op}: shapes {' and '.join(str(list(s)) for s in shapes)} do not broadcast",
                            shapes=[list(s) for s in shapes])
        out.append(dims.pop() if dims else 1)
    return tuple(out)


def same_dtype(op: str, avals) -> str:
    dtypes = {a.dtype for a in avals}
    if len(dtypes) > 1:
        raise RuleError(f"{op}: operand dtypes differ: {', '.join(fmt(a) for a in avals)}; cast one first",
                        dtypes=[a.dtype for a in avals])
    return avals[0].dtype


def elementwise(op: str, avals, *, out_dtype: str | None = None, float_only: bool = False) -> list:
    dtype = same_dtype(op, avals)
    if float_only and dtype not in FLOAT:
        raise RuleError(f"{op}: needs a floating-point operand, got {dtype}", dtype=dtype)
    return [(broadcast_shapes(op, *(tuple(a.shape) for a in avals)), out_dtype or dtype)]


def norm_axes(op: str, axis, ndim: int) -> tuple:
    """Normalise an axis attribute (None = all) to sorted non-negative axes."""
    if axis is None:
        return tuple(range(ndim))
    axes = (axis,) if isinstance(axis, int) else tuple(axis)
    out = []
    for a in axes:
        if not -ndim <= a < max(ndim, 1) or (ndim == 0 and a not in (0, -1)):
            raise RuleError(f"{op}: axis {a} out of range for rank {ndim}", axis=a, ndim=ndim)
        out.append(a % ndim if ndim else 0)
    if len(set(out)) != len(out):
        raise RuleError(f"{op}: repeated axis in {list(axes)}", axis=list(axes))
    return tuple(sorted(out)) if ndim else ()


def norm_axis(op: str, axis: int, ndim: int) -> int:
    """One axis in [-ndim, ndim) as a non-negative index (for ops that take a single axis)."""
    if not -ndim <= axis < ndim:
        raise RuleError(f"{op}: axis {axis} out of range for rank {ndim}", axis=axis, ndim=ndim)
    return axis % ndim


def reduced_shape(shape, axes, keepdims: bool) -> tuple:
    if keepdims:
        return tuple(1 if i in axes else d for i, d in enumerate(shape))
    return tuple(d for i, d in enumerate(shape) if i not in axes)


def check_broadcasts_to(op: str, src, dst) -> None:
    """`src` broadcasts to exactly `dst` (NumPy rules, trailing axes aligned)."""
    src, dst = tuple(src), tuple(dst)
    if len(dst) < len(src) or any(d != 1 and d != s for d, s in zip(src, dst[len(dst) - len(src):])):
        raise RuleError(f"{op}: cannot broadcast {list(src)} to {list(dst)}", shapes=[list(src), list(dst)])


def parse_index(index, ndim: int) -> tuple:
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
            raise RuleError(f"index: bad item {it!r}")
        elif isinstance(it, int):
            items.append(int(it))
        elif isinstance(it, (list, tuple)) and len(it) == 3 and \
                all(v is None or (isinstance(v, int) and not isinstance(v, bool)) for v in it):
            if it[2] == 0:
                raise RuleError("index: slice step may not be 0")
            items.append(slice(*it))
        else:
            raise RuleError(f"index: bad item {it!r}; use int, [start, stop, step], null or '...'")
    if n_ell > 1:
        raise RuleError("index: at most one '...'")
    n_real = sum(1 for i in items if i is not None and i is not Ellipsis)
    if n_real > ndim:
        raise RuleError(f"index: {n_real} indices for a tensor of rank {ndim}", ndim=ndim)
    return tuple(items)


def index_shape(shape, index) -> tuple:
    shape = tuple(shape)
    idx = parse_index(index, len(shape))
    probe = np.lib.stride_tricks.as_strided(np.zeros(1, np.bool_), shape=shape, strides=(0,) * len(shape))
    try:
        return tuple(probe[idx].shape)
    except IndexError as e:
        raise RuleError(f"index: {e} (tensor of shape {list(shape)})", shape=list(shape)) from None


def split_bounds(x_shape, sections, indices, axis) -> tuple[int, list]:
    """The normalised axis and (start, stop) per output along it."""
    ndim = len(x_shape)
    if ndim == 0:
        raise RuleError("split: cannot split a rank-0 tensor", shape=[])
    ax = norm_axis("split", axis, ndim)
    n = x_shape[ax]
    if (sections is None) == (indices is None):
        raise RuleError("split: give exactly one of `sections` (a count) or `indices` (split points)")
    if sections is not None:
        if sections < 1 or n % sections:
            raise RuleError(f"split: axis {axis} of shape {list(x_shape)} (size {n}) does not divide into "
                            f"{sections} equal sections", shape=list(x_shape), sections=sections)
        step = n // sections
        points = [step * i for i in range(1, sections)]
    else:
        points = list(indices)
        if any(p < 0 or p > n for p in points) or points != sorted(points):
            raise RuleError(f"split: indices {points} must be non-decreasing and within [0, {n}] "
                            f"for axis {axis} of shape {list(x_shape)}", shape=list(x_shape))
    edges = [0] + points + [n]
    return ax, list(zip(edges[:-1], edges[1:]))


def tile_shapes(x_shape, reps) -> tuple:
    """x's shape padded to len(reps), reps padded likewise, and the interleaved [r0, d0, r1, d1, ...]."""
    n = max(len(x_shape), len(reps))
    shape = (1,) * (n - len(x_shape)) + tuple(x_shape)
    reps = (1,) * (n - len(reps)) + tuple(reps)
    inter = tuple(v for r, d in zip(reps, shape) for v in (r, d))
    return shape, reps, inter


# -- elementwise --------------------------------------------------------------------------------
UNARY_FLOAT = ("exp", "log", "log1p", "expm1", "sqrt", "rsqrt", "reciprocal", "sin", "cos", "tan", "sinh", "cosh",
               "tanh", "asin", "acos", "atan", "asinh", "acosh", "atanh", "sigmoid", "softplus", "relu", "erf")
UNARY_ANY = ("square", "abs", "neg", "sign")
BINARY = ("add", "sub", "mul", "maximum", "minimum")
BINARY_FLOAT = ("div", "pow")
COMPARE = ("equal", "not_equal", "less", "less_equal", "greater", "greater_equal", "logical_and", "logical_or")


@rule(*UNARY_FLOAT, *BINARY_FLOAT)
def _float_elementwise(op, avals):
    return elementwise(op, avals, float_only=True)


@rule(*UNARY_ANY, *BINARY)
def _any_elementwise(op, avals):
    return elementwise(op, avals)


@rule(*COMPARE, "logical_not")
def _bool_elementwise(op, avals):
    return elementwise(op, avals, out_dtype="bool")


@rule("identity", "stop_gradient", "zeros_like", "ones_like")
def _same(op, avals):
    return [(tuple(avals[0].shape), avals[0].dtype)]


@rule("where")
def _where(avals):
    c, x, y = avals
    if c.dtype != "bool":
        raise RuleError(f"where: condition must be bool, got {fmt(c)}", dtype=c.dtype)
    dtype = same_dtype("where", [x, y])
    return [(broadcast_shapes("where", tuple(c.shape), tuple(x.shape), tuple(y.shape)), dtype)]


@rule("cast")
def _cast(avals, dtype):
    return [(tuple(avals[0].shape), dtype)]


# -- constants ----------------------------------------------------------------------------------
@rule("fill")
def _fill(avals, shape, value, dtype):
    return [(tuple(shape), dtype)]


@rule("const")
def _const(avals, value):
    if not isinstance(value, np.ndarray):
        raise RuleError("const: value must be an array")
    return [(tuple(value.shape), str(value.dtype))]


# -- movement -----------------------------------------------------------------------------------
@rule("reshape")
def _reshape(avals, shape):
    x = avals[0]
    size = math.prod(x.shape)
    shape = list(shape)
    if shape.count(-1) > 1:
        raise RuleError(f"reshape: at most one -1 in {shape}", shape=shape)
    known = math.prod(d for d in shape if d != -1)
    if -1 in shape:
        if known == 0 or size % known:
            raise RuleError(f"reshape: cannot reshape {fmt(x)} to {shape}", shape=shape)
        shape[shape.index(-1)] = size // known
    elif known != size:
        raise RuleError(f"reshape: cannot reshape {fmt(x)} ({size} elements) to {shape}", shape=shape)
    if any(d < 0 for d in shape):
        raise RuleError(f"reshape: negative dimension in {shape}", shape=shape)
    return [(tuple(shape), x.dtype)]


@rule("transpose")
def _transpose(avals, perm):
    x = avals[0]
    nd = len(x.shape)
    perm = tuple(reversed(range(nd))) if perm is None else tuple(perm)
    if sorted(perm) != list(range(nd)):
        raise RuleError(f"transpose: perm {list(perm)} is not a permutation of rank {nd}", perm=list(perm))
    return [(tuple(x.shape[p] for p in perm), x.dtype)]


@rule("broadcast_to")
def _broadcast_to(avals, shape):
    check_broadcasts_to("broadcast_to", avals[0].shape, shape)
    return [(tuple(shape), avals[0].dtype)]


@rule("expand_dims")
def _expand_dims(avals, axis):
    x = avals[0]
    nd = len(x.shape) + 1
    if not -nd <= axis < nd:
        raise RuleError(f"expand_dims: axis {axis} out of range for rank {nd - 1}", axis=axis)
    s = list(x.shape)
    s.insert(axis % nd, 1)
    return [(tuple(s), x.dtype)]


@rule("squeeze")
def _squeeze(avals, axis):
    x = avals[0]
    shape = tuple(x.shape)
    axes = norm_axes("squeeze", axis, len(shape)) if axis is not None else \
        tuple(i for i, d in enumerate(shape) if d == 1)
    for a in axes:
        if shape[a] != 1:
            raise RuleError(f"squeeze: axis {a} of {fmt(x)} has size {shape[a]}, not 1", axis=a)
    return [(tuple(d for i, d in enumerate(shape) if i not in axes), x.dtype)]


@rule("concat")
def _concat(avals, axis):
    x0 = avals[0]
    dtype = same_dtype("concat", avals)
    s0 = tuple(x0.shape)
    if not s0:
        raise RuleError(f"concat: inputs must have rank >= 1, got {fmt(x0)}", shape=[])
    ax = norm_axis("concat", axis, len(s0))
    for i, a in enumerate(avals[1:], 1):
        s = tuple(a.shape)
        if len(s) != len(s0) or any(d != e for k, (d, e) in enumerate(zip(s, s0)) if k != ax):
            raise RuleError(f"concat: input {i} has shape {list(s)} but input 0 has {list(s0)}; "
                            f"shapes must match except on axis {axis}", shapes=[list(v.shape) for v in avals])
    shape = list(s0)
    shape[ax] = sum(a.shape[ax] for a in avals)
    return [(tuple(shape), dtype)]


@rule("stack")
def _stack(avals, axis):
    x0 = avals[0]
    dtype = same_dtype("stack", avals)
    s0 = tuple(x0.shape)
    for i, a in enumerate(avals[1:], 1):
        if tuple(a.shape) != s0:
            raise RuleError(f"stack: input {i} has shape {list(a.shape)} but input 0 has {list(s0)}; "
                            "all inputs must have the same shape", shapes=[list(v.shape) for v in avals])
    ax = norm_axis("stack", axis, len(s0) + 1)
    return [(s0[:ax] + (len(avals),) + s0[ax:], dtype)]


@rule("split")
def _split(avals, sections, indices, axis):
    x = avals[0]
    s = tuple(x.shape)
    ax, bounds = split_bounds(s, sections, indices, axis)
    return [(s[:ax] + (hi - lo,) + s[ax + 1:], x.dtype) for lo, hi in bounds]


@rule("tile")
def _tile(avals, reps):
    x = avals[0]
    if any(r < 0 for r in reps):
        raise RuleError(f"tile: reps {list(reps)} must be non-negative", reps=list(reps))
    shape, reps, _ = tile_shapes(tuple(x.shape), reps)
    return [(tuple(r * d for r, d in zip(reps, shape)), x.dtype)]


@rule("index")
def _index(avals, index):
    return [(index_shape(avals[0].shape, index), avals[0].dtype)]


@rule("index_scatter")
def _index_scatter(avals, shape, index):
    v = avals[0]
    expect = index_shape(shape, index)
    if expect != tuple(v.shape):
        raise RuleError(f"index_scatter: value {fmt(v)} does not fit index result {v.dtype}"
                        f"[{','.join(map(str, expect))}]")
    return [(tuple(shape), v.dtype)]


@rule("gather")
def _gather(avals, axis):
    x, idx = avals
    if idx.dtype not in INT:
        raise RuleError(f"gather: indices must be int32 or int64, got {fmt(idx)}", dtype=idx.dtype)
    s = tuple(x.shape)
    if not s:
        raise RuleError(f"gather: cannot gather from a rank-0 tensor {fmt(x)}", shape=[])
    ax = norm_axis("gather", axis, len(s))
    return [(s[:ax] + tuple(idx.shape) + s[ax + 1:], x.dtype)]


@rule("scatter_add")
def _scatter_add(avals, shape, axis):
    v, idx = avals
    shape = tuple(shape)
    ax = norm_axis("scatter_add", axis, len(shape))
    expect = shape[:ax] + tuple(idx.shape) + shape[ax + 1:]
    if tuple(v.shape) != expect:
        raise RuleError(f"scatter_add: values {fmt(v)} do not fit indices {fmt(idx)} into shape {list(shape)} "
                        f"on axis {axis} (expected values of shape {list(expect)})",
                        shapes=[list(v.shape), list(expect)])
    return [(shape, v.dtype)]


# -- reductions ---------------------------------------------------------------------------------
def reduction(op: str, avals, axis, keepdims, *, numeric=False, float_only=False, empty_ok=True) -> list:
    x = avals[0]
    shape = tuple(x.shape)
    if numeric and x.dtype == "bool":
        raise RuleError(f"{op}: needs a numeric operand, got {fmt(x)}", dtype=x.dtype)
    if float_only and x.dtype not in FLOAT:
        raise RuleError(f"{op}: needs a floating-point operand, got {fmt(x)}", dtype=x.dtype)
    axes = norm_axes(op, axis, len(shape))
    if not empty_ok and any(shape[a] == 0 for a in axes):
        raise RuleError(f"{op}: cannot reduce a zero-size axis of {fmt(x)} (axis={list(axes)})", shape=list(shape))
    return [(reduced_shape(shape, axes, keepdims), x.dtype)]


@rule("sum", "mean")
def _sum_mean(op, avals, axis, keepdims):
    return reduction(op, avals, axis, keepdims)


@rule("max", "min")
def _extremum(op, avals, axis, keepdims):
    return reduction(op, avals, axis, keepdims, numeric=True, empty_ok=False)


@rule("prod")
def _prod(avals, axis, keepdims):
    return reduction("prod", avals, axis, keepdims, numeric=True)


@rule("logsumexp")
def _logsumexp(avals, axis, keepdims):
    return reduction("logsumexp", avals, axis, keepdims, float_only=True)


@rule("reduce_to")
def _reduce_to(avals, shape):
    check_broadcasts_to("reduce_to", shape, avals[0].shape)  # shape must broadcast to x
    return [(tuple(shape), avals[0].dtype)]


# -- linear algebra and nn ----------------------------------------------------------------------
@rule("matmul")
def _matmul(avals, transpose_a, transpose_b):
    a, b = avals
    if a.dtype != b.dtype:
        raise RuleError(f"matmul: operand dtypes differ: {fmt(a)} vs {fmt(b)}", dtypes=[a.dtype, b.dtype])
    if len(a.shape) < 2 or len(b.shape) < 2:
        raise RuleError(f"matmul: operands must have rank >= 2, got {fmt(a)} and {fmt(b)}",
                        shapes=[list(a.shape), list(b.shape)])
    sa, sb = tuple(a.shape), tuple(b.shape)
    sa = sa[:-2] + (sa[-1], sa[-2]) if transpose_a else sa
    sb = sb[:-2] + (sb[-1], sb[-2]) if transpose_b else sb
    if sa[-1] != sb[-2]:
        raise RuleError(f"matmul: inner dimensions differ: {fmt(a)} @ {fmt(b)} "
                        f"(transpose_a={transpose_a}, transpose_b={transpose_b})",
                        shapes=[list(a.shape), list(b.shape)])
    return [(broadcast_shapes("matmul", sa[:-2], sb[:-2]) + (sa[-2], sb[-1]), a.dtype)]


@rule("softmax", "log_softmax")
def _softmax(op, avals, axis):
    x = avals[0]
    if x.dtype not in FLOAT:
        raise RuleError(f"{op}: needs a floating-point operand, got {fmt(x)}", dtype=x.dtype)
    if not x.shape:
        raise RuleError(f"{op}: needs rank >= 1, got {fmt(x)}", shape=[])
    norm_axis(op, axis, len(x.shape))
    return [(tuple(x.shape), x.dtype)]

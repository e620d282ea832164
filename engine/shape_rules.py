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

FLOAT = ("float16", "float32", "float64", "bfloat16")
INT = ("int32", "int64", "int8", "int16", "uint8", "uint16", "uint32", "uint64")
COMPLEX = ("complex64", "complex128")
REAL_OF = {"complex64": "float32", "complex128": "float64"}  # the dtype of a complex dtype's parts
COMPLEX_OF = {"float32": "complex64", "float64": "complex128"}

# The ops defined on complex operands (their derivative rules follow MindSpore's convention, see
# docs/API.md "Complex numbers"). Every other op refuses a complex operand with a RuleError naming
# the op and the dtype: orderings (max, relu, sort...) have no complex meaning.
COMPLEX_OPS = frozenset((
    "exp", "log", "log1p", "expm1", "sqrt", "rsqrt", "reciprocal", "sin", "cos", "tan", "sinh", "cosh", "tanh",
    "asin", "acos", "atan", "asinh", "acosh", "atanh", "sigmoid", "square", "abs", "neg", "add", "sub", "mul",
    "div", "pow", "equal", "not_equal", "where", "identity", "stop_gradient", "zeros_like", "ones_like", "cast",
    "conj", "real", "imag", "angle", "reshape", "transpose", "broadcast_to", "expand_dims", "squeeze", "concat",
    "stack", "split", "tile", "index", "index_scatter", "gather", "scatter_add", "sum", "mean", "reduce_to",
    "matmul", "einsum", "dot_general", "flip", "take_along_axis", "scatter_add_along", "dynamic_slice",
    "dynamic_update_slice", "cumsum", "cumprod", "linrec", "prod", "pad", "switch_run", "while_run", "check_false",
    "custom_vjp", "fft", "irfft", "eigh", "eig", "solve", "matrix_inverse", "slogdet", "svd", "det", "det_grad", "matrix_exp",
    "qr"))


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
            f = fn if len(names) == 1 else (lambda avals, _n=n, **attrs: fn(_n, avals, **attrs))
            RULES[n] = f if n in COMPLEX_OPS else _real_only(n, f)
        return fn
    return register


def _real_only(op: str, fn: Callable) -> Callable:
    def checked(avals, **attrs):
        for a in avals:
            if a.dtype in COMPLEX:
                raise RuleError(f"{op}: not defined for complex operands, got {fmt(a)}", op=op, dtype=a.dtype)
        return fn(avals, **attrs)
    return checked


# -- the wire form of complex data: each element as its [re, im] pair (JSON data, graph tensors) ---
def complex_as_pairs(a) -> np.ndarray:
    """A complex array as a real one of shape (*shape, 2): [re, im] per element."""
    a = np.ascontiguousarray(a)
    return a.view(np.dtype(REAL_OF[a.dtype.name])).reshape(a.shape + (2,))


def pairs_as_complex(raw: np.ndarray, dtype: str) -> np.ndarray:
    """Real numbers read as consecutive [re, im] pairs (any nesting, row-major) as a flat `dtype` array."""
    flat = np.ascontiguousarray(raw, dtype=REAL_OF[dtype]).reshape(-1)
    if flat.size % 2:
        raise ValueError(f"{dtype} data holds {flat.size} numbers; each element is a [re, im] pair")
    return flat.view(np.dtype(dtype))


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
    if float_only and dtype not in FLOAT and dtype not in COMPLEX:  # complex: only ops in COMPLEX_OPS get here
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
    if not isinstance(index, (list, tuple)):
        raise RuleError(f"index: must be a list of items (int, [start, stop, step], null or '...'), got {index!r}")
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
    try:  # a stride-0 probe of the shape: NumPy's own indexing gives the result shape, allocating nothing
        probe = np.lib.stride_tricks.as_strided(np.zeros(1, np.bool_), shape=shape, strides=(0,) * len(shape))
        return tuple(probe[idx].shape)
    except (IndexError, ValueError, OverflowError) as e:  # (ValueError: a shape no ndarray can have)
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
               "tanh", "asin", "acos", "atan", "asinh", "acosh", "atanh", "sigmoid", "softplus", "relu", "erf",
               "erfinv", "floor", "ceil", "round", "lgamma", "digamma", "bessel_i0", "bessel_i0e", "bessel_i1", "bessel_i1e")
UNARY_ANY = ("square", "neg", "sign")
BINARY = ("add", "sub", "mul", "maximum", "minimum", "remainder", "fmod")
BINARY_FLOAT = ("div", "pow", "atan2", "igamma", "igammac", "igamma_dx", "igamma_da", "nextafter")
TERNARY_FLOAT = ("betainc", "betainc_da", "betainc_db")
COMPARE = ("equal", "not_equal", "less", "less_equal", "greater", "greater_equal", "logical_and", "logical_or")


@rule(*UNARY_FLOAT, *BINARY_FLOAT, *TERNARY_FLOAT)
def _float_elementwise(op, avals):
    return elementwise(op, avals, float_only=True)


@rule("betainc_dx")
def _betainc_dx(avals, order=0):
    if order < 0:
        raise RuleError(f"betainc_dx: attribute order must be >= 0 (the x-derivative's order), got {order}",
                        order=order)
    return elementwise("betainc_dx", avals, float_only=True)


# refused on bool (use logical_not / logical_xor / cast): NumPy has no loop for neg, sub, sign; PyTorch none
# for remainder, fmod, abs, matmul, argmax (so every pool answers alike)
NO_BOOL = ("neg", "sub", "sign", "remainder", "fmod")


def no_bool(op: str, avals) -> None:
    if any(a.dtype == "bool" for a in avals):
        raise RuleError(f"{op}: not defined for bool operands, got {', '.join(fmt(a) for a in avals)}; cast first",
                        op=op, dtype="bool")


@rule("polygamma")
def _polygamma(avals, n):
    if n < 1:
        raise RuleError(f"polygamma: order n must be >= 1 (n = 0 is digamma), got {n}", op="polygamma")
    if n >= 2 ** 63:  # an int64, as MindSpore's n Tensor (PyTorch's backend raised on a larger one)
        raise RuleError(f"polygamma: order n must fit in an int64, got {n}", op="polygamma")
    return elementwise("polygamma", avals, float_only=True)


@rule(*UNARY_ANY, *BINARY)
def _any_elementwise(op, avals):
    if op in NO_BOOL:
        no_bool(op, avals)
    return elementwise(op, avals)


@rule(*COMPARE, "logical_not")
def _bool_elementwise(op, avals):
    return elementwise(op, avals, out_dtype="bool")


# bitwise and / or / xor: integer operands (bool too: its logical counterpart), one dtype, that dtype out
BITWISE = ("bitwise_and", "bitwise_or", "bitwise_xor")


@rule(*BITWISE)
def _bitwise(op, avals):
    dtype = same_dtype(op, avals)
    if dtype in FLOAT or dtype in COMPLEX:
        raise RuleError(f"{op}: needs integer or bool operands, got {', '.join(fmt(a) for a in avals)}", op=op,
                        dtype=dtype)
    return elementwise(op, avals)


@rule("abs")
def _abs(avals):
    """|x|: a complex operand's modulus is real."""
    no_bool("abs", avals)
    [(shape, dtype)] = elementwise("abs", avals)
    return [(shape, REAL_OF.get(dtype, dtype))]


@rule("conj", "real", "imag")
def _parts(op, avals):
    """conj keeps the dtype; real / imag of a complex tensor are real (of a real one: itself / zeros)."""
    x = avals[0]
    if x.dtype == "bool":
        raise RuleError(f"{op}: needs a numeric operand, got {fmt(x)}", dtype=x.dtype)
    return [(tuple(x.shape), x.dtype if op == "conj" else REAL_OF.get(x.dtype, x.dtype))]


@rule("angle")
def _angle(avals):
    x = avals[0]
    if x.dtype not in COMPLEX:
        raise RuleError(f"angle: needs a complex operand, got {fmt(x)}", dtype=x.dtype)
    return [(tuple(x.shape), REAL_OF[x.dtype])]


@rule("complex")
def _complex(avals):
    """complex(re, im): two float32 (float64) operands, broadcast, make complex64 (complex128)."""
    [(shape, dtype)] = elementwise("complex", avals)
    if dtype not in COMPLEX_OF:
        raise RuleError(f"complex: needs float32 or float64 parts, got {', '.join(fmt(a) for a in avals)}",
                        dtype=dtype)
    return [(shape, COMPLEX_OF[dtype])]


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
    if dtype in INT and not (math.isfinite(value) and np.iinfo(dtype).min <= value <= np.iinfo(dtype).max):
        raise RuleError(f"fill: value {value} does not fit {dtype} (NumPy would wrap it, PyTorch refuses)",
                        value=value, dtype=dtype)
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


@rule("segment_reduce")
def _segment_reduce(avals, num_segments, mode):
    v, ids = avals
    if mode not in ("max", "min", "prod"):
        raise RuleError(f"segment_reduce: mode must be 'max', 'min' or 'prod', got {mode!r}", mode=mode)
    if ids.dtype not in INT or len(ids.shape) != 1:
        raise RuleError(f"segment_reduce: segment ids must be a 1-d int tensor, got {fmt(ids)}", dtype=ids.dtype)
    if v.dtype == "bool" or not v.shape or v.shape[0] != ids.shape[0]:
        raise RuleError(f"segment_reduce: values {fmt(v)} need a numeric leading axis of {ids.shape[0]} "
                        f"(one per segment id)", shapes=[list(v.shape), list(ids.shape)])
    if int(num_segments) < 0:
        raise RuleError(f"segment_reduce: num_segments must be >= 0, got {num_segments}", value=num_segments)
    return [((int(num_segments),) + tuple(v.shape[1:]), v.dtype)]


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
    return reduction("logsumexp", avals, axis, keepdims, float_only=True)  # an empty axis: -inf (the kernel's)


@rule("reduce_to")
def _reduce_to(avals, shape):
    check_broadcasts_to("reduce_to", shape, avals[0].shape)  # shape must broadcast to x
    return [(tuple(shape), avals[0].dtype)]


# -- linear algebra and nn ----------------------------------------------------------------------
@rule("matmul")
def _matmul(avals, transpose_a, transpose_b):
    a, b = avals
    no_bool("matmul", avals)
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
    norm_axis(op, axis, len(x.shape))  # (an empty axis gives an empty result)
    return [(tuple(x.shape), x.dtype)]


# -- the ops of issue #14 (engine/ops/conv.py, pooling.py, normalization.py, linalg_ext.py, indexing.py,
# cumulative.py, sorting.py, control_flow.py) -------------------------------------------------------------
def _nd(x) -> int:
    return len(x.shape)


def float_operands(op: str, *avals) -> str:
    for a in avals:
        if a.dtype not in FLOAT:
            raise RuleError(f"{op}: needs floating-point operands, got {fmt(a)}", dtype=a.dtype)
    return same_dtype(op, avals)


def norm_padding(op: str, padding, d: int) -> tuple:
    if padding is None:
        return ((0, 0),) * d
    ok = isinstance(padding, (list, tuple)) and len(padding) == d and all(
        isinstance(p, (list, tuple)) and len(p) == 2 and all(isinstance(v, int) and not isinstance(v, bool) and v >= 0
                                                             for v in p) for p in padding)
    if not ok:
        raise RuleError(f"{op}: padding {padding!r} must be [[lo, hi], ...] of non-negative integers, "
                        f"one pair per spatial axis ({d})", padding=str(padding))
    return tuple((int(lo), int(hi)) for lo, hi in padding)


class Geom:
    """Window geometry over spatial axes (conv, pooling, im2col): everything normalised and checked."""

    def __init__(self, op, spatial, window, strides, padding, dilation):
        d = len(spatial)
        self.spatial, self.window = tuple(spatial), tuple(window)
        self.strides = tuple(strides) if strides is not None else (1,) * d
        self.dilation = tuple(dilation) if dilation is not None else (1,) * d
        self.padding = norm_padding(op, padding, d)
        for name, v in (("window", self.window), ("strides", self.strides), ("dilation", self.dilation)):
            if len(v) != d or any(not isinstance(i, int) or i < 1 for i in v):
                raise RuleError(f"{op}: {name} {list(v)} must be {d} positive integer(s), one per spatial axis",
                                **{name: list(v)})
        self.out = tuple((n + lo + hi - dl * (k - 1) - 1) // s + 1 for n, (lo, hi), k, s, dl in
                         zip(spatial, self.padding, self.window, self.strides, self.dilation))
        if any(o < 1 for o in self.out):
            raise RuleError(f"{op}: window {list(self.window)} (dilation {list(self.dilation)}) does not fit "
                            f"spatial shape {list(spatial)} with padding {[list(p) for p in self.padding]}",
                            shape=list(spatial))
        self.k = math.prod(self.window)

    def attrs(self) -> dict:
        return {"window": self.window, "strides": self.strides, "padding": self.padding, "dilation": self.dilation}


def need_spatial(op: str, x, what: str = "x") -> None:
    if _nd(x) < 3:
        raise RuleError(f"{op}: {what} must be [N, C, *spatial] with at least one spatial axis, got {fmt(x)}",
                        shape=list(x.shape))


def _conv_check(op, x, w, groups):
    float_operands(op, x, w)
    need_spatial(op, x)
    if _nd(w) != _nd(x):
        raise RuleError(f"{op}: weight {fmt(w)} must be [O, C/groups, *window] of rank {_nd(x)} like x {fmt(x)}",
                        shapes=[list(x.shape), list(w.shape)])
    if groups < 1 or w.shape[0] % groups:
        raise RuleError(f"{op}: groups={groups} must be >= 1 and divide the weight's first axis {w.shape[0]}",
                        groups=groups)


@rule("conv")
def _conv(avals, strides, padding, dilation, groups):
    x, w = avals
    _conv_check("conv", x, w, groups)
    if x.shape[1] != w.shape[1] * groups:
        raise RuleError(f"conv: x has {x.shape[1]} channels but weight {fmt(w)} with groups={groups} expects "
                        f"{w.shape[1] * groups}", shapes=[list(x.shape), list(w.shape)])
    g = Geom("conv", tuple(x.shape[2:]), tuple(w.shape[2:]), strides, padding, dilation)
    return [((x.shape[0], w.shape[0]) + g.out, x.dtype)]


def conv_transpose_shape(op, y_shape, w_shape, strides, padding, dilation, groups, output_padding) -> tuple:
    """x's shape for conv_transpose of y: (n-1)*stride - lo - hi + dilation*(k-1) + 1 + output_padding."""
    d = len(y_shape) - 2
    s = tuple(strides) if strides is not None else (1,) * d
    dl = tuple(dilation) if dilation is not None else (1,) * d
    pads = norm_padding(op, padding, d)
    op_ = tuple(output_padding) if output_padding is not None else (0,) * d
    if len(s) != d or len(dl) != d or any(v < 1 for v in s + dl):
        raise RuleError(f"{op}: strides {list(s)} and dilation {list(dl)} must be {d} positive integer(s)")
    if len(op_) != d or any(not 0 <= a < st for a, st in zip(op_, s)):
        raise RuleError(f"{op}: output_padding {list(op_)} must be {d} integer(s), each in [0, stride)",
                        output_padding=list(op_))
    spatial = tuple((n - 1) * st - lo - hi + dd * (k - 1) + 1 + a
                    for n, st, (lo, hi), dd, k, a in zip(y_shape[2:], s, pads, dl, w_shape[2:], op_))
    if any(v < 0 for v in spatial):  # an axis of exactly 0 is an empty output, as MindSpore 2.10's (Conv3DTranspose)
        raise RuleError(f"{op}: padding {[list(p) for p in pads]} leaves no output for input {list(y_shape)}",
                        shape=list(y_shape))
    return (y_shape[0], w_shape[1] * groups) + spatial


@rule("conv_transpose")
def _conv_transpose(avals, strides, padding, dilation, groups, output_padding):
    y, w = avals
    _conv_check("conv_transpose", y, w, groups)
    if y.shape[1] != w.shape[0]:
        raise RuleError(f"conv_transpose: input has {y.shape[1]} channels but weight {fmt(w)} expects {w.shape[0]} "
                        "(weight layout [C_in, C_out/groups, *window])", shapes=[list(y.shape), list(w.shape)])
    x_shape = conv_transpose_shape("conv_transpose", tuple(y.shape), tuple(w.shape), strides, padding, dilation,
                                   groups, output_padding)
    Geom("conv_transpose", x_shape[2:], tuple(w.shape[2:]), strides, padding, dilation)
    return [(x_shape, y.dtype)]


@rule("im2col")
def _im2col(avals, window, strides, padding, dilation):
    x = avals[0]
    need_spatial("im2col", x)
    g = Geom("im2col", tuple(x.shape[2:]), window, strides, padding, dilation)
    return [(tuple(x.shape[:2]) + (g.k,) + g.out, x.dtype)]


@rule("col2im")
def _col2im(avals, shape, window, strides, padding, dilation):
    p = avals[0]
    g = Geom("col2im", tuple(shape), window, strides, padding, dilation)
    if _nd(p) != 3 + len(shape) or tuple(p.shape[2:]) != (g.k,) + g.out:
        raise RuleError(f"col2im: input {fmt(p)} must be [N, C, {g.k}, *{list(g.out)}] for spatial shape "
                        f"{list(shape)}", shape=list(p.shape))
    return [(tuple(p.shape[:2]) + tuple(shape), p.dtype)]


def pool_geom(op, x, window, strides, padding, dilation=None) -> Geom:
    float_operands(op, x)
    need_spatial(op, x)
    g = Geom(op, tuple(x.shape[2:]), window, strides, padding, dilation)
    if any(lo >= k * dl or hi >= k * dl for (lo, hi), k, dl in zip(g.padding, g.window, g.dilation)):
        raise RuleError(f"{op}: padding {[list(p) for p in g.padding]} must be smaller than the window "
                        f"{list(g.window)} on each side (a window of padding only has no value)")
    return g


@rule("avg_pool")
def _avg_pool(avals, window, strides, padding, count_include_pad):
    g = pool_geom("avg_pool", avals[0], window, strides, padding)
    return [(tuple(avals[0].shape[:2]) + g.out, avals[0].dtype)]


@rule("max_pool")
def _max_pool(avals, window, strides, padding, dilation):
    g = pool_geom("max_pool", avals[0], window, strides, padding, dilation)
    return [(tuple(avals[0].shape[:2]) + g.out, avals[0].dtype)]


@rule("max_pool_mask")
def _max_pool_mask(avals, window, strides, padding, dilation):
    g = pool_geom("max_pool_mask", avals[0], window, strides, padding, dilation)
    return [(tuple(avals[0].shape[:2]) + (g.k,) + g.out, avals[0].dtype)]


# normalisation and gelu
@rule("gelu")
def _gelu(avals, approximate):
    float_operands("gelu", avals[0])
    if approximate not in ("none", "tanh"):
        raise RuleError(f"gelu: approximate must be 'none' or 'tanh', got {approximate!r}")
    return [(tuple(avals[0].shape), avals[0].dtype)]


def _affine_check(op, avals, shape):
    float_operands(op, *avals)
    for name, v in zip(("scale", "bias"), avals[1:]):
        if math.prod(v.shape) != math.prod(shape):
            raise RuleError(f"{op}: {name} {fmt(v)} does not match shape {list(shape)}",
                            shapes=[list(v.shape), list(shape)])


@rule("layer_norm")
def _layer_norm(avals, axis, epsilon):
    x = avals[0]
    if len(avals) > 3:
        raise RuleError(f"layer_norm takes x, [scale, [bias]]: got {len(avals)} inputs")
    if not -_nd(x) <= axis < max(_nd(x), 1) or not x.shape:
        raise RuleError(f"layer_norm: axis {axis} out of range for {fmt(x)}", axis=axis)
    _affine_check("layer_norm", avals, tuple(x.shape[axis % _nd(x):]))
    return [(tuple(x.shape), x.dtype)]


def _channels(op, x) -> int:
    if _nd(x) < 2:
        raise RuleError(f"{op}: needs x [N, C, ...], got {fmt(x)}", shape=list(x.shape))
    return x.shape[1]


@rule("group_norm")
def _group_norm(avals, num_groups, epsilon):
    x = avals[0]
    if len(avals) > 3:
        raise RuleError(f"group_norm takes x, [scale, [bias]]: got {len(avals)} inputs")
    c = _channels("group_norm", x)
    if num_groups < 1 or c % num_groups:
        raise RuleError(f"group_norm: num_groups={num_groups} must divide the {c} channels of {fmt(x)}")
    _affine_check("group_norm", avals, (c,))
    return [(tuple(x.shape), x.dtype)]


@rule("batch_norm")
def _batch_norm(avals, epsilon, training):
    x = avals[0]
    c = _channels("batch_norm", x)
    _affine_check("batch_norm", avals[:3], (c,))
    float_operands("batch_norm", *avals)
    for name, v in zip(("mean", "var"), avals[3:]):
        if math.prod(v.shape) != c:
            raise RuleError(f"batch_norm: {name} {fmt(v)} must have one value per channel ({c})")
    return [(tuple(x.shape), x.dtype)]


# einsum / dot_general
_LETTERS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"


def parse_equation(eq: str, ranks: list) -> tuple:
    """Subscripts per operand and of the output, with '...' spelled out as unused letters."""
    eq = eq.replace(" ", "")
    lhs, arrow, out = eq.partition("->")
    subs = lhs.split(",")
    if len(subs) != len(ranks):
        raise RuleError(f"einsum: equation {eq!r} names {len(subs)} operand(s), got {len(ranks)}")
    free = [c for c in _LETTERS if c not in eq]
    n_ell = max((r - len(s.replace("...", "")) for s, r in zip(subs, ranks) if "..." in s), default=0)
    ell = "".join(free[:n_ell])
    full = []
    for i, (s, r) in enumerate(zip(subs, ranks)):
        if "..." in s:
            k = r - len(s.replace("...", ""))
            s = s.replace("...", ell[n_ell - k:] if k > 0 else "")
        if len(s) != r or not all(c in _LETTERS for c in s):
            raise RuleError(f"einsum: subscripts {subs[i]!r} do not fit operand {i} of rank {r}")
        if len(set(s)) != len(s):
            raise RuleError(f"einsum: letter repeated within operand {i} ({subs[i]!r}): diagonals are not "
                            "supported")
        full.append(s)
    if arrow:
        out = out.replace("...", ell)
    else:  # implicit mode: letters seen once, sorted, after the ellipsis axes
        counts = {c: sum(s.count(c) for s in full) for c in set("".join(full))}
        out = ell + "".join(sorted(c for c, n in counts.items() if n == 1 and c not in ell))
    if len(set(out)) != len(out) or any(c not in "".join(full) for c in out):
        raise RuleError(f"einsum: output {out!r} repeats a letter or names one no operand has")
    return full, out


def letter_sizes(avals, subs) -> dict:
    size: dict = {}
    for i, (v, s) in enumerate(zip(avals, subs)):
        for c, n in zip(s, v.shape):
            if size.setdefault(c, n) != n:
                raise RuleError(f"einsum: letter {c!r} has size {size[c]} and {n} (operand {i})",
                                shapes=[list(o.shape) for o in avals])
    return size


@rule("einsum")
def _einsum(avals, equation):
    if not avals:
        raise RuleError("einsum: needs at least one operand")
    dtype = same_dtype("einsum", avals)
    subs, out = parse_equation(equation, [_nd(a) for a in avals])
    size = letter_sizes(avals, subs)
    return [(tuple(size[c] for c in out), dtype)]


def dot_general_subscripts(nx: int, ny: int, lhs_contracting, rhs_contracting, lhs_batch, rhs_batch) -> tuple:
    """dot_general as einsum subscripts: (lhs, rhs, out) with out = batch, lhs free, rhs free."""
    if len(lhs_contracting) != len(rhs_contracting) or len(lhs_batch) != len(rhs_batch):
        raise RuleError("dot_general: lhs and rhs need as many contracting and batch dimensions")
    for dims, n, what in ((tuple(lhs_contracting) + tuple(lhs_batch), nx, "lhs"),
                          (tuple(rhs_contracting) + tuple(rhs_batch), ny, "rhs")):
        if any(not 0 <= d < n for d in dims) or len(set(dims)) != len(dims):
            raise RuleError(f"dot_general: {what} dimensions {list(dims)} must be distinct and within rank {n}")
    a, c = list(_LETTERS[:nx]), list(_LETTERS[nx:nx + ny])
    for i, j in zip(tuple(lhs_batch) + tuple(lhs_contracting), tuple(rhs_batch) + tuple(rhs_contracting)):
        c[j] = a[i]
    out = "".join(a[i] for i in lhs_batch) + \
        "".join(l for i, l in enumerate(a) if i not in tuple(lhs_batch) + tuple(lhs_contracting)) + \
        "".join(l for j, l in enumerate(c) if j not in tuple(rhs_batch) + tuple(rhs_contracting))
    return "".join(a), "".join(c), out


@rule("dot_general")
def _dot_general(avals, lhs_contracting, rhs_contracting, lhs_batch, rhs_batch):
    x, y = avals
    no_bool("dot_general", avals)
    dtype = same_dtype("dot_general", avals)
    if _nd(x) + _nd(y) > len(_LETTERS):
        raise RuleError("dot_general: operands of too high a rank")
    sa, sc, out = dot_general_subscripts(_nd(x), _nd(y), lhs_contracting, rhs_contracting, lhs_batch, rhs_batch)
    size = letter_sizes(avals, [sa, sc])
    return [(tuple(size[c] for c in out), dtype)]


# pad, flip, clip, element gathers / scatters, dynamic slices, ranges
def _check_pads(pads, x):
    if not isinstance(pads, (list, tuple)) or len(pads) != _nd(x) or not all(
            isinstance(p, (list, tuple)) and len(p) == 2 and
            all(isinstance(v, int) and not isinstance(v, bool) for v in p) for p in pads):
        raise RuleError(f"pad: pads {pads!r} must be [[lo, hi], ...] integers, one pair per axis of {fmt(x)}")


@rule("pad")
def _pad(avals, pads, mode, value):
    x = avals[0]
    _check_pads(pads, x)
    if mode not in ("constant", "reflect", "edge"):
        raise RuleError(f"pad: mode must be 'constant', 'reflect' or 'edge', got {mode!r}")
    shape = []
    for ax, ((lo, hi), n) in enumerate(zip(pads, x.shape)):
        if -min(lo, 0) - min(hi, 0) > n:
            raise RuleError(f"pad: pads {[lo, hi]} crop more than axis {ax} of {fmt(x)} holds")
        n -= -min(lo, 0) - min(hi, 0)
        lo, hi = max(lo, 0), max(hi, 0)
        if (lo or hi) and mode != "constant" and n == 0:
            raise RuleError(f"pad: mode {mode!r} needs a non-empty axis {ax}")
        if mode == "reflect" and (lo >= n or hi >= n) and (lo or hi):
            raise RuleError(f"pad: reflect pads {[lo, hi]} must be smaller than axis {ax} (size {n})")
        shape.append(n + lo + hi)
    return [(tuple(shape), x.dtype)]


@rule("flip")
def _flip(avals, axis):
    x = avals[0]
    if axis is not None:
        for a in axis:
            norm_axis("flip", a, _nd(x))
    return [(tuple(x.shape), x.dtype)]


@rule("clip")
def _clip(avals, min, max):
    if len(avals) > 3:
        raise RuleError(f"clip takes x, [lo, [hi]]: got {len(avals)} inputs")
    return [(broadcast_shapes("clip", *(a.shape for a in avals)), same_dtype("clip", avals))]


def _int_indices(op, idx):
    if idx.dtype not in INT:
        raise RuleError(f"{op}: indices must be int32 or int64, got {fmt(idx)}", dtype=idx.dtype)


@rule("take_along_axis")
def _take_along_axis(avals, axis):
    x, idx = avals
    _int_indices("take_along_axis", idx)
    ax = norm_axis("take_along_axis", axis, _nd(x))
    if _nd(idx) != _nd(x) or any(a != b for i, (a, b) in enumerate(zip(idx.shape, x.shape)) if i != ax):
        raise RuleError(f"take_along_axis: indices {fmt(idx)} must match x {fmt(x)} on every axis but {axis}",
                        shapes=[list(x.shape), list(idx.shape)])
    return [(tuple(idx.shape), x.dtype)]


def _along_scatter_check(op, shape, v, idx, axis):
    _int_indices(op, idx)
    ax = norm_axis(op, axis, len(shape))
    if tuple(idx.shape) != tuple(v.shape) or len(shape) != _nd(v) or \
            any(a != b for i, (a, b) in enumerate(zip(v.shape, shape)) if i != ax):
        raise RuleError(f"{op}: values {fmt(v)} and indices {fmt(idx)} must have one shape, equal to "
                        f"{list(shape)} on every axis but {axis}", shapes=[list(v.shape), list(idx.shape)])


@rule("scatter_add_along")
def _scatter_add_along(avals, shape, axis):
    v, idx = avals
    _along_scatter_check("scatter_add_along", tuple(shape), v, idx, axis)
    return [(tuple(shape), v.dtype)]


@rule("scatter")
def _scatter(avals, axis, reduction):
    x, idx, upd = avals
    float_operands("scatter", x, upd)
    if reduction not in ("none", "add"):
        raise RuleError(f"scatter: reduction must be 'none' or 'add', got {reduction!r}")
    _along_scatter_check("scatter", tuple(x.shape), upd, idx, axis)
    return [(tuple(x.shape), x.dtype)]


def _starts(op, x, starts):
    if len(starts) != _nd(x):
        raise RuleError(f"{op}: needs one start index per axis of {fmt(x)} ({_nd(x)}), got {len(starts)}")
    for i, s in enumerate(starts):
        if _nd(s) != 0 or s.dtype not in INT:
            raise RuleError(f"{op}: start index {i} must be an int32/int64 scalar, got {fmt(s)}", dtype=s.dtype)


@rule("dynamic_slice")
def _dynamic_slice(avals, sizes):
    x = avals[0]
    _starts("dynamic_slice", x, avals[1:])
    if len(sizes) != _nd(x) or any(not 0 <= s <= n for s, n in zip(sizes, x.shape)):
        raise RuleError(f"dynamic_slice: sizes {list(sizes)} must fit within {fmt(x)}", shape=list(x.shape))
    return [(tuple(sizes), x.dtype)]


@rule("dynamic_update_slice")
def _dynamic_update_slice(avals):
    if len(avals) < 2:
        raise RuleError("dynamic_update_slice takes x, update, *starts")
    x, u = avals[:2]
    _starts("dynamic_update_slice", x, avals[2:])
    if u.dtype != x.dtype or _nd(u) != _nd(x) or any(a > n for a, n in zip(u.shape, x.shape)):
        raise RuleError(f"dynamic_update_slice: update {fmt(u)} must fit within {fmt(x)} (same dtype and rank)",
                        shapes=[list(x.shape), list(u.shape)])
    return [(tuple(x.shape), x.dtype)]


def arange_length(start, stop, step) -> int:
    if step == 0:
        raise RuleError("arange: step may not be 0")
    n = max(0, math.ceil((stop - start) / step))
    if n > 1 << 31:  # (max_elements: the service answers it as the size limit it is)
        raise RuleError(f"arange: {n} elements is too many", max_elements=1 << 31)
    return n


@rule("arange")
def _arange(avals, start, stop, step, dtype):
    return [((arange_length(start, stop, step),), dtype)]


@rule("iota")
def _iota(avals, shape, dimension, dtype):
    if not 0 <= dimension < len(shape):
        raise RuleError(f"iota: dimension {dimension} out of range for shape {list(shape)}")
    return [(tuple(shape), dtype)]


# cumulative, sorting
def _cum(op, x, axis, numeric=True):
    if numeric and x.dtype == "bool":
        raise RuleError(f"{op}: needs a numeric operand, got {fmt(x)}", dtype=x.dtype)
    if not x.shape:
        raise RuleError(f"{op}: axis {axis} out of range for {fmt(x)}", axis=axis)
    return norm_axis(op, axis, _nd(x))


@rule("cumsum", "cumprod")
def _cumulative(op, avals, axis, exclusive, reverse):
    _cum(op, avals[0], axis)
    return [(tuple(avals[0].shape), avals[0].dtype)]


@rule("linrec")
def _linrec(avals, axis, reverse):
    a, b = avals
    if tuple(a.shape) != tuple(b.shape) or a.dtype != b.dtype:
        raise RuleError(f"linrec: a {fmt(a)} and b {fmt(b)} must have one shape and dtype",
                        shapes=[list(a.shape), list(b.shape)])
    _cum("linrec", a, axis)
    return [(tuple(a.shape), a.dtype)]


# -- discrete Fourier transforms (engine/ops/fft.py) ---------------------------------------------
FFT_NORMS = ("backward", "ortho", "forward")


def fft_axes(op: str, x, axes, norm) -> tuple:
    """The transformed axes, non-negative, in the order given (rfft / irfft halve the last of them)."""
    if norm not in FFT_NORMS:
        raise RuleError(f"{op}: norm must be 'backward', 'ortho' or 'forward', got {norm!r}", norm=norm)
    nd = _nd(x)
    out = tuple(norm_axis(op, a, nd) for a in axes)
    if not out or len(set(out)) != len(out):
        raise RuleError(f"{op}: axes must be one or more distinct axes of {fmt(x)}, got {list(axes)}", axis=list(axes))
    for a in out:
        if x.shape[a] == 0:
            raise RuleError(f"{op}: axis {a} of {fmt(x)} is empty (a transform needs at least one point)", axis=a)
    return out


@rule("fft")
def _fft(avals, axes, inverse, norm):
    x = avals[0]
    if x.dtype not in COMPLEX:
        raise RuleError(f"fft: needs a complex operand (cast a real one), got {fmt(x)}", dtype=x.dtype)
    fft_axes("fft", x, axes, norm)
    return [(tuple(x.shape), x.dtype)]


@rule("rfft")
def _rfft(avals, axes, norm):
    x = avals[0]
    if x.dtype not in COMPLEX_OF:
        raise RuleError(f"rfft: needs a float32 or float64 operand, got {fmt(x)}", dtype=x.dtype)
    last = fft_axes("rfft", x, axes, norm)[-1]
    shape = list(x.shape)
    shape[last] = shape[last] // 2 + 1
    return [(tuple(shape), COMPLEX_OF[x.dtype])]


@rule("irfft")
def _irfft(avals, axes, n, norm):
    x = avals[0]
    if x.dtype not in COMPLEX:
        raise RuleError(f"irfft: needs a complex operand, got {fmt(x)}", dtype=x.dtype)
    last = fft_axes("irfft", x, axes, norm)[-1]
    if n < 1 or x.shape[last] != n // 2 + 1:
        raise RuleError(f"irfft: n={n} output points need n // 2 + 1 = {max(n, 0) // 2 + 1} input points on axis "
                        f"{last} of {fmt(x)} (pad or crop it first)", axis=last, n=n)
    shape = list(x.shape)
    shape[last] = n
    return [(tuple(shape), REAL_OF[x.dtype])]


@rule("argmax", "argmin")
def _arg(op, avals, axis, keepdims):
    x = avals[0]
    ax = _cum(op, x, axis)
    if x.shape[ax] == 0:
        raise RuleError(f"{op}: axis {axis} of {fmt(x)} is empty")
    return [(reduced_shape(tuple(x.shape), (ax,), keepdims), "int64")]


def _sorted(op, x, axis, k=None):
    ax = _cum(op, x, axis, numeric=False)
    if k is not None and not 0 <= k <= x.shape[ax]:
        raise RuleError(f"{op}: k={k} must be within [0, {x.shape[ax]}] (axis {axis} of {fmt(x)})", k=k)
    shape = tuple(x.shape) if k is None else tuple(x.shape[:ax]) + (k,) + tuple(x.shape[ax + 1:])
    return [(shape, x.dtype), (shape, "int64")]


@rule("sort", "sort_stl")
def _sort(op, avals, axis, descending):
    return _sorted(op, avals[0], axis)


@rule("top_k", "top_k_unsorted", "top_k_stl")
def _top_k(op, avals, k, axis, largest):
    return _sorted(op, avals[0], axis, k)


def _float_matrices(name, a, complex_ok: bool = False):
    """(batch, m, n, min(m, n)) of a floating-point (complex_ok: or complex) operand of matrices [..., m, n] (svd,
    qr)."""
    if (a.dtype not in FLOAT and not (complex_ok and a.dtype in COMPLEX)) or len(a.shape) < 2:
        raise RuleError(f"{name}: needs a floating-point operand of rank >= 2 (matrices [..., m, n]), got {fmt(a)}",
                        shape=list(a.shape), dtype=a.dtype)
    *batch, m, n = a.shape
    return tuple(batch), m, n, min(m, n)


@rule("svd")
def _svd(avals, signs="lapack", full_matrices=False):
    """Real or complex matrices (LAPACK's complex form, MindSpore 2.10 CPU's too): s is real. full_matrices: u
    [..., m, m] and vh [..., n, n] (real matrices only)."""
    if signs not in ("lapack", "eigen"):
        raise RuleError(f"svd: signs must be 'lapack' or 'eigen', got {signs!r}", op="svd")
    a = avals[0]
    if a.dtype in COMPLEX and len(a.shape) >= 2:
        if full_matrices:
            raise RuleError(f"svd: full_matrices=True is for real matrices, got {fmt(a)}", op="svd")
        *batch, m, n = a.shape
        batch, k = tuple(batch), min(m, n)
        return [(batch + (m, k), a.dtype), (batch + (k,), REAL_OF[a.dtype]), (batch + (k, n), a.dtype)]
    batch, m, n, k = _float_matrices("svd", a)
    cols, rows = (m, n) if full_matrices else (k, k)
    return [(batch + (m, cols), a.dtype), (batch + (k,), a.dtype), (batch + (rows, n), a.dtype)]


_COMPLEX_SQUARE = ("solve", "matrix_inverse", "slogdet", "det", "det_grad", "matrix_exp")  # LAPACK's complex forms (MindSpore 2.10 CPU has them)


def _square(op, a):
    """a: floating-point (solve / matrix_inverse / slogdet / det: or complex) square matrices [..., n, n]."""
    kinds = FLOAT + COMPLEX if op in _COMPLEX_SQUARE else FLOAT
    if a.dtype not in kinds or len(a.shape) < 2 or a.shape[-1] != a.shape[-2]:
        what = "floating-point or complex" if op in _COMPLEX_SQUARE else "floating-point"
        raise RuleError(f"{op}: needs {what} square matrices [..., n, n], got {fmt(a)}",
                        shape=list(a.shape), dtype=a.dtype)
    return tuple(a.shape)


@rule("cholesky", "matrix_inverse", "matrix_exp")
def _square_out(op, avals):
    return [(_square(op, avals[0]), avals[0].dtype)]


@rule("solve", "triangular_solve")
def _solve(op, avals, **attrs):
    a, b = avals
    n = _square(op, a)[-1]
    if b.dtype != a.dtype or len(b.shape) != len(a.shape) or tuple(b.shape[:-2]) != tuple(a.shape[:-2]) \
            or b.shape[-2] != n:
        raise RuleError(f"{op}: b must be {a.dtype}[..., {n}, k] with a's batch axes {list(a.shape[:-2])} "
                        f"(a {fmt(a)}), got {fmt(b)}", shapes=[list(a.shape), list(b.shape)])
    return [(tuple(b.shape), b.dtype)]


@rule("slogdet")
def _slogdet(avals):
    a = avals[0]
    batch = _square("slogdet", a)[:-2]
    return [(batch, a.dtype), (batch, a.dtype)]


@rule("det")
def _det(avals):
    a = avals[0]
    return [(_square("det", a)[:-2], a.dtype)]


@rule("det_grad")
def _det_grad(avals):
    """det_grad(a, e_1, ..., e_m): a square; each direction e_i a's shape and dtype; the result a's."""
    if not avals:
        raise RuleError("det_grad: needs the matrix a [..., n, n] and any number of directions like it")
    a = avals[0]
    shape = _square("det_grad", a)
    for i, e in enumerate(avals[1:], 1):
        if tuple(e.shape) != shape or e.dtype != a.dtype:
            raise RuleError(f"det_grad: direction {i} must be a's {fmt(a)}, got {fmt(e)}",
                            shapes=[list(a.shape), list(e.shape)])
    return [(shape, a.dtype)]


@rule("lu")
def _lu(avals):
    a = avals[0]
    shape = _square("lu", a)
    return [(shape, a.dtype), (shape[:-1], "int32"), (shape[:-2], "int32")]


@rule("qr")
def _qr(avals):
    """Real or complex matrices (LAPACK's complex form, MindSpore 2.10 CPU's too)."""
    a = avals[0]
    batch, m, n, k = _float_matrices("qr", a, complex_ok=True)
    return [(batch + (m, k), a.dtype), (batch + (k, n), a.dtype)]


@rule("eigh")
def _eigh(avals, lower=True):
    """a: real symmetric or complex Hermitian matrices; w is real either way."""
    a = avals[0]
    if a.dtype not in FLOAT + COMPLEX or len(a.shape) < 2 or a.shape[-1] != a.shape[-2]:
        raise RuleError(f"eigh: needs floating-point or complex square matrices [..., n, n], got {fmt(a)}",
                        shape=list(a.shape), dtype=a.dtype)
    shape = tuple(a.shape)
    return [(shape[:-1], REAL_OF.get(a.dtype, a.dtype)), (shape, a.dtype)]


@rule("eig")
def _eig(avals):
    """a: float32 / float64 / complex square matrices; w and v are complex (a real matrix's may be)."""
    a = avals[0]
    if a.dtype not in ("float32", "float64") + COMPLEX or len(a.shape) < 2 or a.shape[-1] != a.shape[-2]:
        raise RuleError(f"eig: needs float32, float64 or complex square matrices [..., n, n], got {fmt(a)}",
                        shape=list(a.shape), dtype=a.dtype)
    shape, out = tuple(a.shape), COMPLEX_OF.get(a.dtype, a.dtype)
    return [(shape[:-1], out), (shape, out)]


@rule("linear_sum_assignment")
def _linear_sum_assignment(avals, maximize=False):
    """cost [m, n] (real, integer or bool), dimension_limit an integer scalar: int64 row and column indices
    [min(m, n)]."""
    cost, limit = avals
    if len(cost.shape) != 2 or cost.dtype in COMPLEX:
        raise RuleError(f"linear_sum_assignment: needs a real, integer or bool cost matrix [m, n], got {fmt(cost)}",
                        shape=list(cost.shape), dtype=cost.dtype)
    if len(limit.shape) != 0 or limit.dtype not in INT:
        raise RuleError(f"linear_sum_assignment: dimension_limit must be an integer scalar, got {fmt(limit)}",
                        shape=list(limit.shape), dtype=limit.dtype)
    k = min(cost.shape)
    return [((k,), "int64"), ((k,), "int64")]


@rule("lu_pivots_to_permutation")
def _lu_perm(avals, permutation_size):
    p = avals[0]
    if p.dtype not in INT or len(p.shape) < 1 or not 0 <= p.shape[-1] <= permutation_size:
        raise RuleError(f"lu_pivots_to_permutation: needs integer pivots [..., k] with k <= permutation_size "
                        f"{permutation_size}, got {fmt(p)}", shape=list(p.shape), dtype=p.dtype)
    return [(tuple(p.shape[:-1]) + (permutation_size,), "int32")]


# lowered control flow
@rule("switch_run")
def _switch_run(avals, branches):
    """branches: flat graphs with inputs / flat_outputs (built by the engine at lowering only)."""
    # (a graph sent on the wire can name this op, but its attrs are then JSON values, never graphs)
    if not avals or not isinstance(branches, (list, tuple)) or not branches or \
            not all(hasattr(g, "inputs") and hasattr(g, "flat_outputs") for g in branches):
        raise RuleError("switch_run: needs an index and branch graphs (it is made by lowering cond / switch)")
    for g in branches:
        if [(tuple(v.shape), v.dtype) for v in g.inputs] != [(tuple(a.shape), a.dtype) for a in avals[1:]]:
            raise RuleError("switch_run: operands do not match the branch inputs")
    return [(tuple(v.shape), v.dtype) for v in branches[0].flat_outputs]


@rule("while_run")
def _while_run(avals, cond, body, n_state, max_trips):
    """cond / body: flat graphs of (state..., invariants...) (built by the engine at lowering only)."""
    if not hasattr(body, "inputs") or not hasattr(cond, "inputs") or not 0 <= n_state <= len(avals):
        raise RuleError("while_run: needs cond and body graphs (it is made by lowering while)")
    for g in (cond, body):
        if [(tuple(v.shape), v.dtype) for v in g.inputs] != [(tuple(a.shape), a.dtype) for a in avals]:
            raise RuleError("while_run: operands do not match the cond / body inputs")
    return [(tuple(a.shape), a.dtype) for a in avals[:n_state]]


@rule("check_false")
def _check_false(avals, message):
    flag, x = avals
    if flag.dtype != "bool" or flag.shape:
        raise RuleError(f"check_false: the flag must be a bool scalar, got {fmt(flag)}")
    return [(tuple(x.shape), x.dtype)]


@rule("bprop_undefined")
def _bprop_undefined(avals, message):
    """y of (y, x), unchanged (x: what y was computed from)."""
    return [(tuple(avals[0].shape), avals[0].dtype)]


@rule("no_kernel")
def _no_kernel(avals, message, shape, dtype):
    """A stand-in of the shape and dtype given (x: what it would be computed from)."""
    return [(tuple(shape), dtype)]


@rule("custom_vjp")
def _custom_vjp(avals, bprop, n_in, n_out, params, site, param_grads=(), no_jvp=""):
    """Outputs: the raw forward outputs (operands n_in..n_in+n_out); the rest are the rule's captures."""
    if n_in < 0 or n_out < 1 or len(avals) < n_in + n_out:
        raise RuleError(f"custom_vjp: {len(avals)} input(s) cannot hold n_in={n_in} inputs and n_out={n_out} outputs")
    if not isinstance(params, (list, tuple)) or not all(isinstance(p, str) for p in params) or \
            len(params) > len(avals) - n_in - n_out:
        raise RuleError(f"custom_vjp: params must name the last extra inputs (parameter names), got {params!r}")
    if not isinstance(param_grads, (list, tuple)) or any(p not in params for p in param_grads) or \
            len(set(param_grads)) != len(param_grads):  # (one gradient each: a repeated one would overwrite)
        raise RuleError(f"custom_vjp: param_grads must name parameters among params {list(params)!r}, once each, "
                        f"got {param_grads!r}")
    return [(tuple(a.shape), a.dtype) for a in avals[n_in:n_in + n_out]]

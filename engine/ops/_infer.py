"""Shape/dtype rules and helpers shared by many ops (one copy of each)."""
from __future__ import annotations

from ..errors import ShapeError
from ..ir import AVal, is_float


def broadcast_shapes(op: str, *shapes: tuple[int, ...]) -> tuple[int, ...]:
    ndim = max((len(s) for s in shapes), default=0)
    out = []
    for i in range(ndim):
        dims = {s[len(s) - ndim + i] for s in shapes if len(s) - ndim + i >= 0}
        dims.discard(1)
        if len(dims) > 1:
            raise ShapeError(f"{op}: shapes {' and '.join(str(list(s)) for s in shapes)} do not broadcast",
                             shapes=[list(s) for s in shapes])
        out.append(dims.pop() if dims else 1)
    return tuple(out)


def same_dtype(op: str, avals: list[AVal]) -> str:
    dtypes = {a.dtype for a in avals}
    if len(dtypes) > 1:
        raise ShapeError(f"{op}: operand dtypes differ: {', '.join(str(a) for a in avals)}; cast one first",
                         dtypes=[a.dtype for a in avals])
    return avals[0].dtype


def elementwise(op: str, avals: list[AVal], *, out_dtype: str | None = None, float_only: bool = False) -> list[AVal]:
    dtype = same_dtype(op, avals)
    if float_only and not is_float(dtype):
        raise ShapeError(f"{op}: needs a floating-point operand, got {dtype}", dtype=dtype)
    return [AVal(broadcast_shapes(op, *(a.shape for a in avals)), out_dtype or dtype)]


def norm_axes(op: str, axis, ndim: int) -> tuple[int, ...]:
    """Normalise an axis attribute (None = all) to sorted non-negative axes."""
    if axis is None:
        return tuple(range(ndim))
    axes = (axis,) if isinstance(axis, int) else tuple(axis)
    out = []
    for a in axes:
        if not -ndim <= a < max(ndim, 1) or (ndim == 0 and a not in (0, -1)):
            raise ShapeError(f"{op}: axis {a} out of range for rank {ndim}", axis=a, ndim=ndim)
        out.append(a % ndim if ndim else 0)
    if len(set(out)) != len(out):
        raise ShapeError(f"{op}: repeated axis in {list(axes)}", axis=list(axes))
    return tuple(sorted(out)) if ndim else ()


def reduced_shape(shape: tuple[int, ...], axes: tuple[int, ...], keepdims: bool) -> tuple[int, ...]:
    if keepdims:
        return tuple(1 if i in axes else d for i, d in enumerate(shape))
    return tuple(d for i, d in enumerate(shape) if i not in axes)


def norm_axis(op: str, axis: int, ndim: int) -> int:
    """One axis in [-ndim, ndim) as a non-negative index (for ops that take a single axis)."""
    if not -ndim <= axis < ndim:
        raise ShapeError(f"{op}: axis {axis} out of range for rank {ndim}", axis=axis, ndim=ndim)
    return axis % ndim


def check_broadcasts_to(op: str, src: tuple[int, ...], dst: tuple[int, ...]) -> None:
    """`src` broadcasts to exactly `dst` (NumPy rules, trailing axes aligned)."""
    if len(dst) < len(src) or any(d != 1 and d != s for d, s in zip(src, dst[len(dst) - len(src):])):
        raise ShapeError(f"{op}: cannot broadcast {list(src)} to {list(dst)}", shapes=[list(src), list(dst)])


def keep_axes(b, v, x, axes: tuple[int, ...]):
    """Reshape a value reduced over `axes` of `x` so it broadcasts against `x` (re-insert the axes)."""
    return b.reshape(v, shape=reduced_shape(x.shape, axes, True))


def reduction(op: str, *, numeric: bool = False, float_only: bool = False, empty_ok: bool = True):
    """Shape rule of a reduction with attrs axis (ints | None = all) and keepdims."""
    def infer(avals, axis, keepdims):
        x = avals[0]
        if numeric and x.dtype == "bool":
            raise ShapeError(f"{op}: needs a numeric operand, got {x}", dtype=x.dtype)
        if float_only and not is_float(x.dtype):
            raise ShapeError(f"{op}: needs a floating-point operand, got {x}", dtype=x.dtype)
        axes = norm_axes(op, axis, x.ndim)
        if not empty_ok and any(x.shape[a] == 0 for a in axes):
            raise ShapeError(f"{op}: cannot reduce a zero-size axis of {x} (axis={list(axes)})", shape=list(x.shape))
        return [AVal(reduced_shape(x.shape, axes, keepdims), x.dtype)]
    return infer

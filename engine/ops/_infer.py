"""Shape/dtype rules shared by many ops."""
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

"""Eager arithmetic where the data is: ops on concrete Tensors outside a trace run here, on NumPy.

`p.set_data(p - lr * g)` is two NumPy operations, not two requests. Each kernel is the
engine's NumPy kernel, formula for formula (the engine's `impl_rules` with `xp` = NumPy 2,
whose array-API names they use); tests/clients/test_loops_eager.py checks every one against
the engine bit for bit. Shapes and dtypes come from the SDK's shape rules (`_infer`, generated
from the engine's), so an eager op fails where the service would, with the same message.

Ops without a kernel here (erf, scatters) still run on the service, as does every op in
remote mode: `set_eager_mode("remote")` or GRADSERVE_EAGER=remote.
"""
from __future__ import annotations

import math
import os
from typing import Any, Callable

import numpy as np

from . import _private_arrays
from ._infer import infer
from ._tensor import Tensor, dtype_name
from .errors import ShapeError

xp = np
_BF16 = np.dtype("bfloat16")  # (ml_dtypes', registered by gradserve.dtype)
_mode = os.environ.get("GRADSERVE_EAGER", "local").strip().lower()


def set_eager_mode(mode: str) -> None:
    """"local" (default): NumPy in this process; "remote": every eager op is a request."""
    global _mode
    if mode not in ("local", "remote"):
        raise ValueError("eager mode must be 'local' or 'remote'")
    _mode = mode


def get_eager_mode() -> str:
    return _mode


def _axes_tuple(axis, ndim):
    if axis is None:
        return tuple(range(ndim))
    return tuple(a % ndim for a in ((axis,) if isinstance(axis, int) else axis))


def _ax(axis):
    return tuple(axis) if isinstance(axis, list) else axis


def _same_dtype(r, x):
    """The engine's sum and mean keep x's dtype (NumPy widens integers): one semantics on both sides."""
    return r if r.dtype == x.dtype else r.astype(x.dtype)


def _lse(x, axis, keepdims):
    axes = _axes_tuple(axis, x.ndim)
    if any(x.shape[a] == 0 for a in axes):  # the log of an empty sum: -inf (the engine's kernel, torch's)
        return xp.full(tuple(1 if i in axes else d for i, d in enumerate(x.shape) if keepdims or i not in axes),
                       -xp.inf, dtype=x.dtype)
    m = xp.max(x, axis=axis, keepdims=True)
    m = xp.where(xp.isfinite(m), m, xp.zeros_like(m))
    out = xp.log(xp.sum(xp.exp(x - m), axis=axis, keepdims=True)) + m
    if not keepdims:
        out = xp.reshape(out, tuple(d for i, d in enumerate(x.shape) if i not in _axes_tuple(axis, x.ndim)))
    return out


def _softmax(x, axis):
    if x.shape[axis] == 0:  # an empty axis: the empty result (the engine's kernel)
        return xp.zeros_like(x)
    e = xp.exp(x - xp.max(x, axis=axis, keepdims=True))
    return e / xp.sum(e, axis=axis, keepdims=True)


def _sin(x):
    """float16 in float32, rounded once (the engine's kernel: NumPy's float16 sin(300) is an ulp off)."""
    return xp.astype(xp.sin(xp.astype(x, xp.float32)), xp.float16) if x.dtype == xp.float16 else xp.sin(x)


def _log_softmax(x, axis):
    if x.shape[axis] == 0:
        return xp.zeros_like(x)
    if x.dtype == np.float16:  # float32 inside, rounded once (the engine's kernel; MindSpore 2.10's)
        return xp.astype(_log_softmax(xp.astype(x, xp.float32), axis), xp.float16)
    s = x - xp.max(x, axis=axis, keepdims=True)
    return s - xp.log(xp.sum(xp.exp(s), axis=axis, keepdims=True))


def _matmul(a, b, transpose_a, transpose_b):
    if transpose_a:
        a = xp.matrix_transpose(a)
    if transpose_b:
        b = xp.matrix_transpose(b)
    return xp.matmul(a, b)


def _check_indices(idx, n: int, op: str, axis: int) -> None:
    """The engine's run-time check: indices lie in [-n, n), else the service's ShapeError."""
    if idx.size and (int(xp.min(idx)) < -n or int(xp.max(idx)) >= n):
        bad = int(xp.max(idx)) if int(xp.max(idx)) >= n else int(xp.min(idx))
        raise ShapeError(f"{op}: index {bad} out of range for axis {axis} of size {n} (indices lie in [-{n}, {n}))")


def _take_along(x, idx, axis):
    ax = axis % x.ndim
    _check_indices(idx, x.shape[ax], "take_along_axis", axis)
    return xp.take_along_axis(x, xp.where(idx < 0, idx + x.shape[ax], idx), axis=ax)


def _gather(x, idx, axis):
    ax = axis % x.ndim
    _check_indices(idx, x.shape[ax], "gather", axis)
    flat = xp.take(x, xp.reshape(idx, (-1,)), axis=ax)
    return xp.reshape(flat, tuple(x.shape[:ax]) + tuple(idx.shape) + tuple(x.shape[ax + 1:]))


def _sort(x, axis, descending, k=None):
    ax = axis % x.ndim
    # stable, ties keep the first index first; descending as an ascending sort of an order-reversed key (NumPy
    # has no descending=), the engine's: -x for floats, ~x for ints and bool (-x wraps: uint8 1 -> 255)
    key = x if not descending else -x if dtype_name(x.dtype).startswith("float") else xp.bitwise_invert(x)
    idx = xp.astype(xp.argsort(key, axis=ax, stable=True), xp.int64)
    if k is not None:
        idx = idx[(slice(None),) * ax + (slice(0, k), ...)]
    return xp.take_along_axis(x, idx, axis=ax), idx


def _int_bound(v, rnd, dtype):
    """A float bound of an integer clip as the integer of `dtype` it acts as (the engine's clip)."""
    if v is None:
        return None
    info = np.iinfo(dtype)
    return float(np.clip(rnd(v) if math.isfinite(v) else v, info.min, info.max))


def _clip(x, lo=None, hi=None, *, min=None, max=None):  # noqa: A002 - the op's attribute names
    if np.issubdtype(x.dtype, np.integer):  # x >= ceil(min) iff x >= min for integers; the bounds within the dtype
        min, max = _int_bound(min, math.ceil, x.dtype), _int_bound(max, math.floor, x.dtype)
    lo = lo if lo is not None else (None if min is None else xp.asarray(min, dtype=x.dtype))
    hi = hi if hi is not None else (None if max is None else xp.asarray(max, dtype=x.dtype))
    out = x
    if lo is not None:
        out = xp.where(x < lo, lo, out)
    if hi is not None:  # compares the lo-clipped value, as the engine's clip: lo > hi gives hi everywhere
        out = xp.where(out > hi, hi, out)
    return out


def _complex(re, im):
    out = xp.empty(xp.broadcast_shapes(re.shape, im.shape), xp.complex128 if re.dtype == xp.float64 else xp.complex64)
    out.real, out.imag = re, im
    return out


# op -> kernel(*arrays, **attrs); shape-only ops take the inferred output shape as `_shape`
KERNELS: dict[str, Callable[..., Any]] = {
    "exp": lambda x: xp.exp(x), "log": lambda x: xp.log(x), "log1p": lambda x: xp.log1p(x),
    "expm1": lambda x: xp.expm1(x), "sqrt": lambda x: xp.sqrt(x), "rsqrt": lambda x: 1 / xp.sqrt(x),
    "reciprocal": lambda x: 1 / x, "square": lambda x: x * x, "sin": _sin,
    "cos": lambda x: xp.cos(x), "tan": lambda x: xp.tan(x), "sinh": lambda x: xp.sinh(x),
    "cosh": lambda x: xp.cosh(x), "tanh": lambda x: xp.tanh(x), "asin": lambda x: xp.asin(x),
    "acos": lambda x: xp.acos(x), "atan": lambda x: xp.atan(x), "asinh": lambda x: xp.asinh(x),
    "acosh": lambda x: xp.acosh(x), "atanh": lambda x: xp.atanh(x),
    "sigmoid": lambda x: 1 / (1 + xp.exp(-x)), "softplus": lambda x: xp.logaddexp(x, xp.zeros_like(x)),
    "relu": lambda x: xp.where(x > 0, x, xp.zeros_like(x)), "abs": lambda x: xp.abs(x), "neg": lambda x: -x,
    "sign": lambda x: xp.sign(x),
    "add": lambda x, y: x + y, "sub": lambda x, y: x - y, "mul": lambda x, y: x * y, "div": lambda x, y: x / y,
    "pow": lambda x, y: xp.pow(x, y), "maximum": lambda x, y: xp.maximum(x, y),
    "minimum": lambda x, y: xp.minimum(x, y), "atan2": lambda y, x: xp.atan2(y, x),
    "equal": lambda x, y: x == y, "not_equal": lambda x, y: x != y, "less": lambda x, y: x < y,
    "less_equal": lambda x, y: x <= y, "greater": lambda x, y: x > y, "greater_equal": lambda x, y: x >= y,
    "logical_and": lambda x, y: xp.logical_and(x, y), "logical_or": lambda x, y: xp.logical_or(x, y),
    "logical_not": lambda x: xp.logical_not(x), "where": lambda c, x, y: xp.where(c, x, y),
    "bitwise_and": lambda x, y: xp.bitwise_and(x, y), "bitwise_or": lambda x, y: xp.bitwise_or(x, y),
    "bitwise_xor": lambda x, y: xp.bitwise_xor(x, y),
    "softmax": lambda x, axis: _softmax(x, axis), "log_softmax": lambda x, axis: _log_softmax(x, axis),
    "logsumexp": lambda x, axis, keepdims: _lse(x, _ax(axis), keepdims),
    # (np.sum on an ndarray is this same add.reduce call, behind ~1.5 us of Python argument handling)
    "sum": lambda x, axis, keepdims: _same_dtype(xp.add.reduce(x, axis=_ax(axis), keepdims=keepdims), x),
    "mean": lambda x, axis, keepdims: _same_dtype(xp.mean(x, axis=_ax(axis), keepdims=keepdims), x),
    "max": lambda x, axis, keepdims: xp.max(x, axis=_ax(axis), keepdims=keepdims),
    "min": lambda x, axis, keepdims: xp.min(x, axis=_ax(axis), keepdims=keepdims),
    "prod": lambda x, axis, keepdims: xp.prod(x, axis=_ax(axis), keepdims=keepdims, dtype=x.dtype),
    "zeros_like": lambda x: xp.full(x.shape, 0, dtype=x.dtype),
    "ones_like": lambda x: xp.full(x.shape, 1, dtype=x.dtype),
    "identity": lambda x: x, "stop_gradient": lambda x: x,
    "cast": lambda x, dtype: xp.astype(xp.real(x) if x.dtype.kind == "c" and "complex" not in dtype else x,
                                       getattr(xp, dtype)),
    "conj": lambda x: xp.conj(x) if x.dtype.kind == "c" else x,
    "real": lambda x: xp.real(x) if x.dtype.kind == "c" else x,
    "imag": lambda x: xp.imag(x) if x.dtype.kind == "c" else xp.zeros_like(x),
    "angle": lambda x: xp.atan2(xp.imag(x), xp.real(x)),
    "complex": lambda re, im: _complex(re, im),
    "reshape": lambda x, shape, _shape: xp.reshape(x, _shape),
    "expand_dims": lambda x, axis, _shape: xp.reshape(x, _shape),
    "squeeze": lambda x, axis, _shape: xp.reshape(x, _shape),
    "broadcast_to": lambda x, shape, _shape: xp.broadcast_to(x, _shape),
    "transpose": lambda x, perm: xp.permute_dims(x, tuple(reversed(range(x.ndim))) if perm is None else tuple(perm)),
    "matmul": _matmul,
    "concat": lambda *xs, axis: xp.concat(xs, axis=axis), "stack": lambda *xs, axis: xp.stack(xs, axis=axis),
    "gather": _gather, "take_along_axis": _take_along,
    "argmax": lambda x, axis, keepdims: xp.asarray(xp.argmax(x, axis=axis % x.ndim, keepdims=keepdims), dtype=xp.int64),
    "argmin": lambda x, axis, keepdims: xp.asarray(xp.argmin(x, axis=axis % x.ndim, keepdims=keepdims), dtype=xp.int64),
    "sort": _sort, "top_k": lambda x, k, axis, largest: _sort(x, axis, largest, k),
    "clip": _clip,
    "fill": lambda shape, value, dtype: xp.full(shape, value, dtype=getattr(xp, dtype)),
}
_SHAPE_ONLY = ("reshape", "expand_dims", "squeeze", "broadcast_to")


def compute(op: str, arrays: list, attrs: dict) -> list[np.ndarray] | None:
    """The op on host arrays with the engine's semantics; None when it has no local kernel."""
    kernel = KERNELS.get(op)
    if kernel is None:
        return None
    names = [dtype_name(a.dtype) for a in arrays]  # (remembered per dtype: dtype.name is ~2 us each)
    avals = _inferred(op, [(a.shape, n) for a, n in zip(arrays, names)], attrs)  # the service's shape/dtype errors
    kw = dict(attrs, _shape=tuple(avals[0][0])) if op in _SHAPE_ONLY else attrs
    if "bfloat16" in names or attrs.get("dtype") == "bfloat16":
        # bfloat16 is storage: the op computes in float32 and its result is rounded once below (the engine's
        # rule, engine/executor.py `_widened`)
        arrays = [a.astype(np.float32) if a.dtype == _BF16 else a for a in arrays]
        kw = dict(kw, dtype="float32") if kw.get("dtype") == "bfloat16" else kw
    with np.errstate(all="ignore"):  # IEEE results (inf, nan) as the engine gives them, no warnings
        out = kernel(*arrays, **kw)
    outs = list(out) if isinstance(out, tuple) else [out]
    return [_fitted(o, tuple(shape), dt, arrays) for o, (shape, dt) in zip(outs, avals)]


def _fitted(o, shape: tuple, dt: str, arrays: list) -> np.ndarray:
    """A kernel's result as a C-contiguous array of the inferred dtype and shape, converted / reshaped only where
    it differs (a reshape is a view, which `run` then checks against the arrays handed to user code: ~2-4 us an
    op). An input returned as it is (identity, real of a real array) still becomes a view of it, as before."""
    o = np.ascontiguousarray(o)  # (a 0-d result comes back 1-d: the shape check below restores it)
    if dtype_name(o.dtype) != dt:
        o = o.astype(dt)
    if o.shape != shape or any(o is a for a in arrays):
        o = o.reshape(shape)
    return o


_INFERRED: dict = {}
_INFERRED_MAX = 4096


def _inferred(op: str, avals: list, attrs: dict) -> list:
    """`infer` remembered per (op, operand shapes and dtypes, attributes): a loop's eager ops repeat the same few
    signatures, and the rule (~5 us) is a pure function of them. Attributes that cannot key (`_keyed`: arrays,
    nested lists) and refusals (raised, never kept) go to `infer` each time."""
    parts: list = [op, tuple(avals)]
    for k, v in attrs.items():
        kv = _keyed(v)
        if kv is None:
            return infer(op, avals, attrs)
        parts += (k, kv)
    key = tuple(parts)
    got = _INFERRED.get(key)
    if got is None:
        got = infer(op, avals, attrs)
        if len(_INFERRED) >= _INFERRED_MAX:
            _INFERRED.clear()
        _INFERRED[key] = got
    return got


def _keyed(v):
    """An attribute's value as a key, by value and type (axis 1, 1.0 and True hash alike; a list and a tuple of the
    same numbers may not mean the same): a Python scalar, a string, None, or a list / tuple of them; else None
    (not an object whose hash is its identity, which a later write could change under it)."""
    t = type(v)
    if t in _PLAIN:
        return (t, v)
    if (t is list or t is tuple) and all(type(e) in _PLAIN for e in v):
        return (t, tuple(v), tuple(map(type, v)))
    return None


_PLAIN = frozenset({type(None), bool, int, float, str})


def run(op: str, inputs: list, attrs: dict):
    """Eager op on concrete Tensors: Tensors computed here, or None (remote mode, no kernel)."""
    if _mode != "local":
        return None
    arrays = [x._data for x in inputs]
    if any(a is None for a in arrays):
        return None
    outs = compute(op, arrays, attrs)
    if outs is None:
        return None
    # (a view of an array handed to user code, a reshape's of x after x.asnumpy(): its own copy, as MindSpore's
    # results own their memory; a later write through the user's array leaves it)
    return [_tensor(o.copy() if o.base is not None and _private_arrays.released(o) else o) for o in outs]


def _tensor(a: np.ndarray, name: str | None = None):
    """A concrete Tensor around `a` as it is (Tensor() would copy and re-derive its dtype); name: its dtype's
    (dtype_name), where the caller knows it."""
    t = Tensor.__new__(Tensor)
    t._data, t._trace, t._name, t._shape, t._dtype = a, None, None, a.shape, name or dtype_name(a.dtype)
    return t

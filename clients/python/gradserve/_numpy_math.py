"""mindspore.numpy's element-wise functions, reductions, products and shape functions (`gradserve.numpy`
re-exports these), each a NumPy name over the SDK's ops, so they trace and differentiate as the ops do.

NumPy's conventions: reductions take axis (None: all axes) and keepdims; the element-wise functions take
an optional dtype of the result; operands may be numbers, sequences or Tensors (asarray's rules)."""
from __future__ import annotations

import builtins
import math
from typing import Any, Callable, cast

import numpy as _np

from . import dtype as _dt
from . import ops as _ops
from ._numpy_creation import asarray, dtype_name
from ._tensor import Tensor
from ._trace import graph_semantics
from .ops._axis_range import checked_axis
from .ops._doc_math import _float as _as_float

_NP_AXIS = "axis {axis} is out of bounds for array of dimension {ndim}"  # NumPy's (and MindSpore 2.10's) text


def _result(out, dtype):
    return out if dtype is None else _ops.cast(out, dtype_name(dtype))


def _float(x) -> Tensor:
    """x as a Tensor; integers and bool as float32, float and complex as they are (ops' rule)."""
    return _as_float(asarray(x))


def _holds_tensor(x) -> bool:
    return isinstance(x, Tensor) or (isinstance(x, (list, tuple)) and any(_holds_tensor(e) for e in x))


def _graph_sequence_check(*xs) -> None:
    """A list / tuple holding Tensors as a mindspore.numpy operand in a graph: MindSpore 2.10's graph reads it as
    zeros of its shape (`mnp.subtract(t, (u,))` is [t], `mnp.maximum(t, [u])` [t]; probe
    /work/ms_suite_left32/probe/p2.py), not the math's answer PyNative gives: refused here."""
    if any(isinstance(x, (list, tuple)) and _holds_tensor(x) for x in xs) and graph_semantics():
        raise TypeError("mindspore.numpy: a list / tuple holding Tensors as an operand in a graph (GRAPH_MODE or "
                        "jit) is not supported: MindSpore 2.10's graph reads it as zeros of its shape; pass a "
                        "Tensor (mindspore.numpy.stack of the list) instead")


def _pair(x1, x2, keep: bool = False):
    """Two operands as Tensors of one dtype. A Python number is an int32 / float32 Tensor that promotes with
    the other (MindSpore 2.10's add, subtract, power...: int32 + 2.5 is float32, uint8 + 3 is int32); keep: it
    takes the Tensor's dtype instead (MindSpore 2.10's maximum, minimum, clip: int32 vs 2.5 stays int32)."""
    _graph_sequence_check(x1, x2)
    if keep and not isinstance(x1, Tensor) and isinstance(x2, Tensor) and _np.ndim(x1) == 0:
        x1 = Tensor(_np.asarray(x1, x2._dtype))
    if keep and not isinstance(x2, Tensor) and isinstance(x1, Tensor) and _np.ndim(x2) == 0:
        x2 = Tensor(_np.asarray(x2, x1._dtype))
    a, b = asarray(x1), asarray(x2)
    dt = _dt.promote(a._dtype, b._dtype)
    return _ops.cast(a, dt), _ops.cast(b, dt)


def _unary(op, floats=False):
    def f(x, dtype=None):
        return _result(op(_float(x) if floats else asarray(x)), dtype)

    return f


def _binary(op, floats=False, tensors: "bool | Callable[[Any], TypeError]" = False):
    def f(x1, x2, dtype=None):
        if tensors:  # (multiply, arctan2, logaddexp2, float_power: MindSpore 2.10 takes Tensors only; its text)
            _tensors_only(x1, x2, refuse=tensors if callable(tensors) else None)
        a, b = _pair(x1, x2)
        if floats and a._dtype not in _dt.FLOAT:
            a, b = _ops.cast(a, "float32"), _ops.cast(b, "float32")
        return _result(op(a, b), dtype)

    return f


_TYPING = {list: "List", tuple: "Tuple", bool: "Bool", int: "Int", float: "Float"}


def _tensors_only(*xs, refuse: "Callable[[Any], TypeError] | None" = None) -> None:
    """MindSpore 2.10's TypeError for an operand (a list, a tuple, a Python number) a mindspore.numpy function takes
    as a Tensor only: refuse(x) where the function has a text of its own (float_power's, dot's: probe
    /work/scratch_left33/p7*.py), else multiply's."""
    for x in xs:
        if type(x) in _TYPING:
            raise refuse(x) if refuse else \
                TypeError(f"expect Tensor, but got <class 'mindspore._c_expression.typing.{_TYPING[type(x)]}'>")


def _not_tensor_text(text: str) -> "Callable[[Any], TypeError]":
    """_tensors_only's refuse for a fixed text ({kind}: the operand's Python type)."""
    return lambda x: TypeError(text.format(kind=type(x)))


# -- element-wise --------------------------------------------------------------------------------------------
sin, cos, tan = _unary(_ops.sin, True), _unary(_ops.cos, True), _unary(_ops.tan, True)
arcsin, arccos, arctan = _unary(_ops.asin, True), _unary(_ops.acos, True), _unary(_ops.atan, True)
sinh, cosh, tanh = _unary(_ops.sinh, True), _unary(_ops.cosh, True), _unary(_ops.tanh, True)
arcsinh, arccosh, arctanh = _unary(_ops.asinh, True), _unary(_ops.acosh, True), _unary(_ops.atanh, True)
exp, expm1, log, log1p = _unary(_ops.exp, True), _unary(_ops.expm1, True), _unary(_ops.log, True), _unary(_ops.log1p, True)
log2, log10, sqrt = _unary(_ops.log2, True), _unary(_ops.log10, True), _unary(_ops.sqrt, True)
exp2 = _unary(lambda x: _ops.pow(2.0, x), True)
cbrt = _unary(lambda x: _ops.mul(_ops.sign(x), _ops.pow(_ops.abs(x), 1.0 / 3.0)), True)
square, negative, positive = _unary(_ops.square), _unary(_ops.neg), _unary(lambda x: x)
_ABS_KERNEL = ("int32", "float16", "float32", "float64")  # MindSpore 2.10 CPU's absolute kernel dtypes


def absolute(x, dtype=None) -> Tensor:
    """|x|, as mindspore.numpy.absolute documents it: an input of another dtype (given no dtype) goes through
    float32 and back, so a complex one keeps |real part| (absolute([1+2j, -0.5-0.5j]) is [1, 0.5] + 0j, checked
    on MindSpore 2.10) and an int64 beyond 2**24 is rounded to float32's precision."""
    x = asarray(x)
    if dtype is None and x._dtype not in _ABS_KERNEL:
        return _ops.cast(_ops.abs(_ops.cast(x, "float32")), x._dtype)
    return _result(_ops.abs(x), dtype)


fabs = absolute


def sign(x, dtype=None) -> Tensor:
    """mindspore.numpy.sign: x / absolute(x) where x != 0, else 0 (MindSpore 2.10's definition): an integer
    input gives float32 (a true division), nan gives nan as documented (ops.sign gives 0), +-inf +-1 as
    documented (MindSpore's CPU answers nan there: inf / inf); a bool input is MindSpore's TypeError. A complex
    input is refused: its documentation says complex inputs are not supported (its CPU answer is no sign: 3+4j gives
    1+1.333j, 2j and -2j give 0, checked)."""
    x = asarray(x)
    if x._dtype == "bool":
        raise TypeError("sign does not accept dtype bool.")
    if x._dtype in _dt.COMPLEX:
        raise TypeError(f"mindspore.numpy.sign: complex inputs are not supported (MindSpore 2.10's documentation), "
                        f"got {x.dtype}; ops.sgn gives x / |x|")
    f = _float(x)
    out = _ops.where(_ops.isnan(f), f, _ops.sign(f))
    return _result(out, dtype)
reciprocal = _unary(lambda x: _ops.div(1.0, x), True)
floor, ceil, trunc = _unary(_ops.floor, True), _unary(_ops.ceil, True), _unary(_ops.trunc, True)
fix, rint = trunc, _unary(_ops.rint, True)
deg2rad = _unary(lambda x: _ops.mul(x, math.pi / 180.0), True)
rad2deg = _unary(lambda x: _ops.mul(x, 180.0 / math.pi), True)
radians, degrees = deg2rad, rad2deg
invert = _unary(_ops.invert)
add, subtract, multiply = _binary(_ops.add), _binary(_ops.sub), _binary(_ops.mul, tensors=True)
divide = true_divide = _binary(_ops.div, True)
power = _binary(_ops.pow)
# (MindSpore 2.10's result is Float32 whatever the operands, float64 ones too: computed in float64, then rounded)
float_power = _binary(lambda a, b: _ops.cast(_ops.pow(_ops.cast(a, "float64"), _ops.cast(b, "float64")), "float32"),
                      tensors=_not_tensor_text(
    "For Primitive[Dtype], the input argument[input_x] must be a Tensor, CSRTensor or COOTensor, but got {kind}."))
def _extremum(op):
    """MindSpore 2.10's numpy maximum / minimum: compared in the promoted dtype, the result then in the dtype of the
    operand that is not 0-d (a number, a 0-d bound: int8 vs a 0-d int64 stays int8). The number taken in the
    Tensor's dtype first changed values: clip(bool [True, False], -1) was [True, True] (-1 as True)."""
    def f(x1, x2, dtype=None):
        _graph_sequence_check(x1, x2)
        a, b = asarray(x1), asarray(x2)
        out = op(*_pair(a, b))
        if a.ndim == 0 and b.ndim:
            out = _ops.cast(out, b._dtype)
        elif b.ndim == 0 and a.ndim:
            out = _ops.cast(out, a._dtype)
        return _result(out, dtype)

    return f


maximum, minimum = _extremum(_ops.maximum), _extremum(_ops.minimum)
fmax, fmin = maximum, minimum
floor_divide = _binary(_ops.floor_div)
remainder = mod = _binary(_ops.floor_mod)
fmod = _binary(_ops.fmod)
arctan2 = _binary(_ops.atan2, True, tensors=True)
hypot = _binary(_ops.hypot, True)
_logaddexp = _binary(_ops.logaddexp, True)
# MindSpore 2.10's Exp (logaddexp takes exp of each operand, in its own dtype: a list of ints is Int32 there)
_EXP_DTYPES = ("bfloat16", "bool", "complex128", "complex64", "float16", "float32", "float64", "int64")


def logaddexp(x1, x2, dtype=None) -> Tensor:
    """log(exp(x1) + exp(x2)); an operand of a dtype MindSpore 2.10's Exp refuses (int32: `logaddexp(t, [1, 2])`)
    is its TypeError, where promoting it answered."""
    _graph_sequence_check(x1, x2)
    for x in (asarray(x1), asarray(x2)):
        if x._dtype not in _EXP_DTYPES:
            raise TypeError("For primitive[Exp], the input argument[input] must be a type of {BFloat16, Bool, "
                            "Complex128, Complex64, Float16, Float32, Float64, Int64}, but got "
                            f"{x.dtype}.")
    return _logaddexp(x1, x2, dtype)


logaddexp2 = _binary(lambda a, b: _ops.div(_ops.logaddexp(_ops.mul(a, math.log(2.0)), _ops.mul(b, math.log(2.0))),
                                           math.log(2.0)), True, tensors=True)
_copysign = _binary(lambda a, b: _ops.select(_ops.less(b, _ops.zeros_like(b)), _ops.neg(_ops.abs(a)), _ops.abs(a)),
                    True)


def copysign(x1, x2, dtype=None) -> Tensor:
    """|x1| with x2's sign, in x1's dtype as MindSpore 2.10 gives it (`copysign([1, 2], t)` Int32, a float16 x1
    Float16: probe /work/scratch_left33/p7b.py, p7c.py), where the promoted dtype was given."""
    _graph_sequence_check(x1, x2)
    first = asarray(x1)._dtype
    return _result(_ops.cast(_copysign(x1, x2), first), dtype)


def _heaviside(a: Tensor, b: Tensor) -> Tensor:
    """0 where a < 0, b where a == 0, 1 where a > 0, NaN where a is NaN (NumPy's), a and b broadcast together."""
    shape = _np.broadcast_shapes(tuple(a.shape), tuple(b.shape))
    a, b = _ops.broadcast_to(a, shape), _ops.broadcast_to(b, shape)
    step = _ops.select(_ops.isnan(a), a, _ops.cast(_ops.greater(a, _ops.zeros_like(a)), a._dtype))
    return _ops.select(_ops.equal(a, _ops.zeros_like(a)), b, step)


heaviside = _binary(_heaviside, True)
bitwise_and, bitwise_or, bitwise_xor = (_binary(_ops.bitwise_and), _binary(_ops.bitwise_or),
                                        _binary(_ops.bitwise_xor))


def _gcd(a, b):
    """Euclid's algorithm over the integers (the loop count is the bits of the larger value)."""
    a, b = _ops.abs(a), _ops.abs(b)
    shape = _np.broadcast_shapes(tuple(a.shape), tuple(b.shape))
    a, b = _ops.broadcast_to(a, shape), _ops.broadcast_to(b, shape)
    zero = _ops.zeros_like(a)
    for _ in builtins.range(64):
        nz = _ops.not_equal(b, zero)
        safe = _ops.select(nz, b, _ops.ones_like(b))
        a, b = _ops.select(nz, b, a), _ops.select(nz, _ops.fmod(a, safe), zero)
    return a


gcd = _binary(_gcd)
lcm = _binary(lambda a, b: _ops.abs(_ops.mul(_ops.floor_div(a, _ops.select(
    _ops.equal(_gcd(a, b), _ops.zeros_like(a)), _ops.ones_like(a), _gcd(a, b))), b)))


def around(a, decimals=0) -> Tensor:
    """Half to even at decimals. An integer input keeps its dtype (NumPy's, MindSpore 2.10's: int32 [15, -25] is
    int32, it was float32); decimals < 0 rounds it to tens ([20, -20]) and casts back."""
    x = asarray(a)
    if x._dtype not in _dt.FLOAT and not x._dtype.startswith("complex") and x._dtype != "bool":
        return x if int(decimals) >= 0 else _ops.cast(around(_float(x), decimals), x._dtype)
    a = _float(a)
    scale = 10.0 ** int(decimals)
    return _ops.div(_ops.rint(_ops.mul(a, scale)), scale) if decimals else _ops.rint(a)


round_ = around


def clip(a, a_min, a_max, dtype=None) -> Tensor:
    if a_min is None and a_max is None:
        raise ValueError("mindspore.numpy.clip: a_min and a_max cannot both be None")
    out = asarray(a)
    if a_min is not None:
        out = maximum(out, a_min)
    if a_max is not None:
        out = minimum(out, a_max)
    return _result(out, dtype)


# -- reductions ----------------------------------------------------------------------------------------------
_NARROW_INTS = ("bool", "int8", "int16", "uint8", "uint16")  # accumulated in a wider integer (MindSpore 2.10)


def _widened(a: Tensor, to: str) -> Tensor:
    return _ops.cast(a, to) if a._dtype in _NARROW_INTS else a


def _axes(a: Tensor, axis) -> tuple:
    if axis is None:
        return tuple(builtins.range(a.ndim))
    n = builtins.max(a.ndim, 1)
    axes = (axis,) if isinstance(axis, int) else tuple(axis)
    for ax in axes:  # (wrapped, sum(x2d, axis=2) was silently axis 0)
        if not -n <= ax < n:
            raise ValueError(f"axis {ax} is out of bounds for array of dimension {a.ndim}")
    if len({ax % n for ax in axes}) != len(axes):  # (flip(m, (0, 0)) flipped twice: NumPy / MindSpore 2.10 refuse)
        raise ValueError('duplicate value in "axis"')
    return tuple(ax % n for ax in axes)


def sum(a, axis=None, dtype=None, keepdims=False, initial=None) -> Tensor:  # noqa: A001 - NumPy's name
    a = asarray(a)  # mindspore.numpy.sum of bool and every integer narrower than 64 bits is int64 (MindSpore 2.10)
    a = _ops.cast(a, "int64") if a._dtype in _NARROW_INTS + ("int32", "uint32") else a
    out = _ops.ReduceSum(keep_dims=bool(keepdims))(a, _axes(a, axis))
    if initial is not None:  # (a number as Tensor + number: float16 + 0.5 stays float16, int64 + 0.5 is float32)
        out = out + initial if isinstance(initial, (int, float)) else _ops.add(*_pair(out, initial))
    return _result(out, dtype)


def mean(a, axis=None, keepdims=False, dtype=None) -> Tensor:
    a = _float(a)
    return _result(_ops.ReduceMean(keep_dims=bool(keepdims))(a, _axes(a, axis)), dtype)


def _reduce(cls, a, axis, keepdims, initial=None, where=True):
    a = asarray(a)
    if initial is not None and (isinstance(initial, bool) or not isinstance(initial, (int, float, _np.number))):
        raise TypeError(f"the 'initial' of a reduction must be a number, got {type(initial).__name__}")
    if not (isinstance(where, (bool, _np.bool_)) and where):
        if initial is None:  # (NumPy's rule: a masked-out slice would have no value)
            raise ValueError("amax / amin with a 'where' mask need an 'initial' value")
        # masked-out elements take initial's value, which the reduction below folds in anyway
        mask = _ops.broadcast_to(_ops.cast(asarray(where), "bool"), tuple(a.shape))
        a = _ops.select(mask, a, _ops.fill(a._dtype, tuple(a.shape), initial))
    out = cls(keep_dims=bool(keepdims))(a, _axes(a, axis))
    if initial is not None:
        out = (_ops.maximum if cls is _ops.ReduceMax else _ops.minimum)(*_pair(out, initial, keep=True))
    return out


def amax(a, axis=None, keepdims=False, initial=None, where=True) -> Tensor:
    return _reduce(_ops.ReduceMax, a, axis, keepdims, initial, where)


def amin(a, axis=None, keepdims=False, initial=None, where=True) -> Tensor:
    return _reduce(_ops.ReduceMin, a, axis, keepdims, initial, where)


max, min = amax, amin  # noqa: A001


def ptp(x, axis=None, keepdims=False) -> Tensor:
    return _ops.sub(amax(x, axis, keepdims), amin(x, axis, keepdims))


def var(x, axis=None, ddof=0, keepdims=False) -> Tensor:
    x = _float(x)
    return _ops.var(x, _axes(x, axis), ddof=int(ddof), keepdims=bool(keepdims))


def std(x, axis=None, ddof=0, keepdims=False) -> Tensor:
    return _ops.sqrt(var(x, axis, ddof, keepdims))


def average(x, axis=None, weights=None, returned=False):
    x = _float(x)
    if weights is None:
        avg = mean(x, axis)
        count = _ops.cast(Tensor(_np.asarray(x.size / builtins.max(avg.size, 1))), avg._dtype)
        return (avg, _ops.broadcast_to(count, tuple(avg.shape))) if returned else avg
    w = _float(weights)
    if w.ndim == 1 and x.ndim > 1 and axis is not None:
        view = [1] * x.ndim
        view[axis % x.ndim] = w.shape[0]
        w = _ops.reshape(w, tuple(view))
    w = _ops.broadcast_to(w, tuple(x.shape))
    total = sum(w, axis)
    avg = _ops.div(sum(_ops.mul(x, w), axis), total)
    return (avg, total) if returned else avg


def _nan_to(a: Tensor, value: float) -> Tensor:
    return _ops.select(_ops.isnan(a), _ops.fill(a._dtype, tuple(a.shape), value), a) if a._dtype in _dt.FLOAT else a


def nansum(a, axis=None, dtype=None, keepdims=False) -> Tensor:
    a = asarray(a)
    if a._dtype not in _dt.FLOAT:  # (no NaN) an integer or bool sum in its own dtype (MindSpore 2.10's nansum)
        return _result(_ops.ReduceSum(keep_dims=bool(keepdims))(a, _axes(a, axis)), dtype)
    return sum(_nan_to(a, 0.0), axis, dtype, keepdims)


def _nancount(a: Tensor, axis, keepdims) -> Tensor:
    return sum(_ops.cast(_ops.logical_not(_ops.isnan(a)), a._dtype), axis, None, keepdims)


def nanmean(a, axis=None, dtype=None, keepdims=False) -> Tensor:
    a = _float(a)
    return _result(_ops.div(nansum(a, axis, None, keepdims), _nancount(a, axis, keepdims)), dtype)


def nanvar(a, axis=None, dtype=None, ddof=0, keepdims=False) -> Tensor:
    a = _float(a)
    dev = _ops.sub(a, nanmean(a, axis, None, True))
    sq = nansum(_ops.mul(dev, dev), axis, None, keepdims)
    return _result(_ops.div(sq, _ops.sub(_nancount(a, axis, keepdims), float(ddof))), dtype)


def nanstd(a, axis=None, dtype=None, ddof=0, keepdims=False) -> Tensor:
    return _ops.sqrt(nanvar(a, axis, dtype, ddof, keepdims))


def _nan_extreme(reduce, a, axis, keepdims, stand_in: float) -> Tensor:
    """reduce over a with NaN as stand_in; a slice all NaN gives NaN (NumPy's; it was the stand-in, -inf)."""
    a = asarray(a)
    out = reduce(_nan_to(a, stand_in), axis, keepdims)
    if a._dtype not in _dt.FLOAT:
        return out
    return _ops.select(_ops.equal(_nancount(a, axis, keepdims), _ops.zeros_like(out)),
                       _ops.fill(out._dtype, tuple(out.shape), math.nan), out)


def nanmax(a, axis=None, dtype=None, keepdims=False) -> Tensor:
    return _result(_nan_extreme(amax, a, axis, keepdims, -math.inf), dtype)


def nanmin(a, axis=None, dtype=None, keepdims=False) -> Tensor:
    return _result(_nan_extreme(amin, a, axis, keepdims, math.inf), dtype)


def count_nonzero(x, axis=None, keepdims=False) -> Tensor:
    x = asarray(x)
    return sum(_ops.cast(_ops.not_equal(x, _ops.zeros_like(x)), "int32"), axis, None, keepdims)


def _bool_as_int(a) -> Tensor:
    a = asarray(a)
    return _ops.cast(a, "int32") if a._dtype == "bool" else a


def argmax(a, axis=None) -> Tensor:
    """Tensor.argmax of a (bool as int32), as MindSpore 2.10's: int64 indices."""
    return _bool_as_int(a).argmax(axis)


def argmin(a, axis=None) -> Tensor:
    """Tensor.argmin of a (bool as int32), as MindSpore 2.10's: int32 indices."""
    return _bool_as_int(a).argmin(axis)


def cumsum(a, axis=None, dtype=None) -> Tensor:
    a = asarray(a)
    if axis is None:
        a, axis = _ops.reshape(a, (-1,)), 0
    return _result(_ops.CumSum()(_widened(a, "int32"), axis), dtype)


def nancumsum(a, axis=None, dtype=None) -> Tensor:
    """cumsum with NaNs counted as zero (over the flattened a when axis is None); integers widened as
    cumsum's (uint8 [200, 100] is int32 [200, 300], as MindSpore 2.10; it wrapped to uint8)."""
    a = asarray(a)
    if a._dtype in _dt.FLOAT:
        a = _ops.select(_ops.isnan(a), _ops.zeros_like(a), a)
    return cumsum(a, axis, dtype)


def cumprod(a, axis=None, dtype=None) -> Tensor:
    a = asarray(a)
    if axis is None:
        a, axis = _ops.reshape(a, (-1,)), 0
    # MindSpore 2.10 gives int32 (uint32 for unsigned, which gradserve lacks: int32 holds the same values)
    return _result(_ops.cumprod(_widened(a, "int32"), axis), dtype)


def diff(a, n=1, axis=-1, prepend=None, append=None) -> Tensor:
    """The n-th difference along axis; a prepend / append number is broadcast to one slice (NumPy)."""
    a = asarray(a)
    axis = checked_axis(axis, a.ndim, ValueError, _NP_AXIS)

    def edge(v):
        if v is None:
            return None
        v = _pair(a, v)[1]
        if v.ndim == 0:
            shape = list(a.shape)
            shape[axis] = 1
            v = _ops.broadcast_to(v, tuple(shape))
        return v

    if n == 0:
        return a
    parts = [p for p in (edge(prepend), a, edge(append)) if p is not None]
    a = _ops.concat(_pair_all(parts), axis) if len(parts) > 1 else a
    return _ops.diff(a, n, axis)


def ediff1d(ary, to_end=None, to_begin=None) -> Tensor:
    flat = _ops.reshape(asarray(ary), (-1,))
    out = _ops.sub(flat[1:], flat[:-1])
    parts = [_ops.reshape(asarray(to_begin, out._dtype), (-1,))] if to_begin is not None else []
    parts.append(out)
    if to_end is not None:
        parts.append(_ops.reshape(asarray(to_end, out._dtype), (-1,)))
    return _ops.concat(parts, 0) if len(parts) > 1 else out


# -- products ------------------------------------------------------------------------------------------------
def outer(a, b) -> Tensor:
    _tensors_only(a, b)  # (MindSpore 2.10 takes Tensors only)
    a, b = _pair(_ops.reshape(asarray(a), (-1,)), _ops.reshape(asarray(b), (-1,)))
    return _ops.mul(_ops.expand_dims(a, 1), _ops.expand_dims(b, 0))


def inner(a, b) -> Tensor:
    _tensors_only(a, b, refuse=_not_tensor_text("the input x must be Tensor!"))  # (MindSpore 2.10's text, as dot's)
    a, b = _pair(a, b)
    if a.ndim == 0 or b.ndim == 0:
        return _ops.mul(a, b)
    return tensordot(a, b, ((a.ndim - 1,), (b.ndim - 1,)))


def tensordot(a, b, axes: Any = 2) -> Tensor:  # an int, or (axes of a, axes of b)
    a, b = _pair(a, b)
    if isinstance(axes, int):
        axes = (tuple(builtins.range(a.ndim - axes, a.ndim)), tuple(builtins.range(axes)))
    ax_a, ax_b = ((x,) if isinstance(x, int) else tuple(x) for x in axes)
    return _ops.tensor_dot(a, b, (ax_a, ax_b))


def kron(a, b) -> Tensor:
    a, b = _pair(a, b)
    nd = builtins.max(a.ndim, b.ndim, 1)
    a = _ops.reshape(a, (1,) * (nd - a.ndim) + tuple(a.shape))
    b = _ops.reshape(b, (1,) * (nd - b.ndim) + tuple(b.shape))
    return _ops.kron(a, b)


def cross(a, b, axisa=-1, axisb=-1, axisc=-1, axis=None) -> Tensor:
    """The cross product of 3-vectors (2-vectors count a zero third component) over the given axes."""
    if axis is not None:
        axisa = axisb = axisc = axis
    a, b = _pair(a, b)
    a, b = _ops.moveaxis(a, axisa, -1), _ops.moveaxis(b, axisb, -1)
    two = a.shape[-1] == 2 and b.shape[-1] == 2

    def comp(t, i):
        return t[..., i] if i < t.shape[-1] else _ops.zeros_like(t[..., 0])

    c0 = _ops.sub(_ops.mul(comp(a, 1), comp(b, 2)), _ops.mul(comp(a, 2), comp(b, 1)))
    c1 = _ops.sub(_ops.mul(comp(a, 2), comp(b, 0)), _ops.mul(comp(a, 0), comp(b, 2)))
    c2 = _ops.sub(_ops.mul(comp(a, 0), comp(b, 1)), _ops.mul(comp(a, 1), comp(b, 0)))
    if two:
        return c2
    return _ops.moveaxis(_ops.stack([c0, c1, c2], -1), -1, axisc)


def multi_dot(arrays) -> Tensor:
    ts = [asarray(a) for a in arrays]
    first_vec, last_vec = ts[0].ndim == 1, ts[-1].ndim == 1
    if first_vec:
        ts[0] = _ops.expand_dims(ts[0], 0)
    if last_vec:
        ts[-1] = _ops.expand_dims(ts[-1], 1)
    out = ts[0]
    for t in ts[1:]:
        out = _ops.matmul(out, t)
    if first_vec:
        out = out[0]
    if last_vec:
        out = out[..., 0]
    return out


def matrix_power(a, n) -> Tensor:
    """a^n for an integer n >= 0 by repeated squaring (a [..., m, m])."""
    a = asarray(a)
    if not isinstance(n, int) or n < 0:
        raise ValueError(f"mindspore.numpy.matrix_power: n must be an int >= 0, got {n!r}")
    result = None
    base = a
    while True:
        if n & 1:
            result = base if result is None else _ops.matmul(result, base)
        n >>= 1
        if not n:
            break
        base = _ops.matmul(base, base)
    if result is None:
        eye = Tensor(_np.broadcast_to(_np.eye(a.shape[-1]), tuple(a.shape)).astype(a._dtype))
        return eye
    return result


# -- shapes and layout ---------------------------------------------------------------------------------------
def swapaxes(x, axis1, axis2) -> Tensor:
    return _ops.swapaxes(asarray(x), axis1, axis2)


def moveaxis(a, source, destination) -> Tensor:
    return _ops.moveaxis(asarray(a), source, destination)


def rollaxis(x, axis, start=0) -> Tensor:
    x = asarray(x)
    nd = x.ndim
    axis, start = checked_axis(axis, nd, ValueError, _NP_AXIS), start + nd if start < 0 else start
    if axis < start:
        start -= 1
    return moveaxis(x, axis, start) if axis != start else x


def flip(m, axis=None) -> Tensor:
    m = asarray(m)
    for ax in _axes(m, axis):
        m = _ops.gather(m, Tensor(_np.arange(m.shape[ax] - 1, -1, -1, dtype=_np.int64)), ax)
    return m


def flipud(m) -> Tensor:
    return flip(m, 0)


def fliplr(m) -> Tensor:
    return flip(m, 1)


def rot90(a, k=1, axes=(0, 1)) -> Tensor:
    a = asarray(a)
    k %= 4
    if k == 0:
        return a
    if k == 2:
        return flip(flip(a, axes[0]), axes[1])
    order = list(builtins.range(a.ndim))
    i, j = axes[0] % a.ndim, axes[1] % a.ndim
    order[i], order[j] = order[j], order[i]
    if k == 1:
        return _ops.transpose(flip(a, axes[1]), tuple(order))
    return flip(_ops.transpose(a, tuple(order)), axes[1])


def roll(a, shift, axis=None) -> Tensor:
    a = asarray(a)
    if axis is None:
        return _ops.reshape(roll(_ops.reshape(a, (-1,)), shift, 0), tuple(a.shape))
    shifts = (shift,) if isinstance(shift, int) else tuple(shift)
    axes = (axis,) if isinstance(axis, int) else tuple(axis)
    if len(shifts) != len(axes):  # NumPy broadcasts a single shift or axis to the other's length
        if 1 not in (len(shifts), len(axes)):
            raise ValueError(f"mindspore.numpy.roll: {len(shifts)} shifts for {len(axes)} axes")
        shifts, axes = shifts * len(axes) if len(shifts) == 1 else shifts, axes * len(shifts) if len(axes) == 1 else axes
    for s, ax in zip(shifts, axes):
        n = a.shape[ax]
        a = _ops.gather(a, Tensor(((_np.arange(n) - s) % builtins.max(n, 1)).astype(_np.int64)), ax)
    return a


def tile(a, reps) -> Tensor:
    a = asarray(a)
    reps = (reps,) if isinstance(reps, int) else tuple(reps)
    nd = builtins.max(a.ndim, len(reps))
    a = _ops.reshape(a, (1,) * (nd - a.ndim) + tuple(a.shape))
    return _ops.tile(a, (1,) * (nd - len(reps)) + reps)


def repeat(a, repeats, axis=None) -> Tensor:
    a = asarray(a)
    if axis is None:
        a, axis = _ops.reshape(a, (-1,)), 0
    n = a.shape[axis]
    reps = _np.broadcast_to(_np.asarray(repeats, _np.int64), (n,))
    return _ops.gather(a, Tensor(_np.repeat(_np.arange(n), reps).astype(_np.int64)), axis)


def take(a, indices, axis=None, mode="clip") -> Tensor:
    a = asarray(a)
    if axis is None:
        a, axis = _ops.reshape(a, (-1,)), 0
    idx = asarray(indices, "int32")
    n = a.shape[axis]
    if mode == "wrap":
        idx = _ops.floor_div(idx, 1) - _ops.mul(_ops.floor_div(idx, n), n)
    else:
        idx = _ops.select(_ops.less(idx, _ops.zeros_like(idx)), _ops.add(idx, n), idx) if mode == "raise" else idx
        idx = _ops.maximum(_ops.minimum(idx, n - 1), 0)
    return _ops.gather(a, idx, axis)


def take_along_axis(arr, indices, axis) -> Tensor:
    arr, idx = asarray(arr), asarray(indices)
    if axis is None:
        arr, axis = _ops.reshape(arr, (-1,)), 0
    axis = checked_axis(axis, arr.ndim, ValueError, _NP_AXIS)
    shape = list(_np.broadcast_shapes(tuple(arr.shape[:axis]) + (1,) + tuple(arr.shape[axis + 1:]),
                                      tuple(idx.shape[:axis]) + (1,) + tuple(idx.shape[axis + 1:])))
    arr_shape, idx_shape = list(shape), list(shape)
    arr_shape[axis], idx_shape[axis] = arr.shape[axis], idx.shape[axis]
    return _ops.gather_elements(_ops.broadcast_to(arr, tuple(arr_shape)), axis % arr.ndim,
                                _ops.broadcast_to(idx, tuple(idx_shape)))


def _split(x, indices_or_sections, axis, strict: bool):
    x = asarray(x)
    n = x.shape[axis]
    if isinstance(indices_or_sections, int):
        k = indices_or_sections
        if strict and n % k:
            raise ValueError(f"mindspore.numpy.split: {n} does not split into {k} equal sections")
        sizes = [n // k + (1 if i < n % k else 0) for i in builtins.range(k)]
        bounds = [int(b) for b in _np.cumsum([0] + sizes)]
    else:
        bounds = [0] + [builtins.min(builtins.max(int(i), 0), n) for i in indices_or_sections] + [n]
    return [_ops.gather(x, Tensor(_np.arange(bounds[i], builtins.max(bounds[i], bounds[i + 1]), dtype=_np.int64)),
                        axis) for i in builtins.range(len(bounds) - 1)]


def split(x, indices_or_sections, axis=0):
    return _split(x, indices_or_sections, axis, True)


def array_split(x, indices_or_sections, axis=0):
    return _split(x, indices_or_sections, axis, False)


def hsplit(x, indices_or_sections):
    x = asarray(x)
    return split(x, indices_or_sections, 1 if x.ndim > 1 else 0)


def vsplit(x, indices_or_sections):
    return split(x, indices_or_sections, 0)


def dsplit(x, indices_or_sections):
    return split(x, indices_or_sections, 2)


def atleast_1d(*arys):
    out = [_ops.reshape(t, (1,)) if t.ndim == 0 else t for t in map(asarray, arys)]
    return out[0] if len(out) == 1 else out


def atleast_2d(*arys):
    out = [t if t.ndim >= 2 else _ops.reshape(t, (1,) * (2 - t.ndim) + tuple(t.shape)) for t in map(asarray, arys)]
    return out[0] if len(out) == 1 else out


def atleast_3d(*arys):
    def up(t):
        if t.ndim == 0:
            return _ops.reshape(t, (1, 1, 1))
        if t.ndim == 1:
            return _ops.reshape(t, (1, t.shape[0], 1))
        return _ops.expand_dims(t, -1) if t.ndim == 2 else t

    out = [up(t) for t in map(asarray, arys)]
    return out[0] if len(out) == 1 else out


def _stack_along(tup, axis: int, lift):
    ts = [lift(t) for t in tup]
    return _ops.concat(list(_pair_all(ts)), axis)


def _pair_all(ts):
    dt = ts[0]._dtype
    for t in ts[1:]:
        dt = _dt.promote(dt, t._dtype)
    return [_ops.cast(t, dt) for t in ts]


def vstack(tup) -> Tensor:
    return _stack_along(tup, 0, atleast_2d)


def hstack(tup) -> Tensor:
    ts = [cast(Tensor, atleast_1d(t)) for t in tup]  # one argument each: a Tensor each
    return _ops.concat(_pair_all(ts), 0 if ts[0].ndim == 1 else 1)


def dstack(tup) -> Tensor:
    return _stack_along(tup, 2, atleast_3d)


def column_stack(tup) -> Tensor:
    def lift(t):
        t = asarray(t)
        return _ops.expand_dims(t, 1) if t.ndim <= 1 else t

    return _ops.concat(_pair_all([lift(_ops.reshape(asarray(t), (1,)) if asarray(t).ndim == 0 else t) for t in tup]),
                       1)


def append(arr, values, axis=None) -> Tensor:
    arr, values = _pair(arr, values)
    if axis is None:
        return _ops.concat([_ops.reshape(arr, (-1,)), _ops.reshape(values, (-1,))], 0)
    return _ops.concat([arr, values], axis)


def ravel(x) -> Tensor:
    return _ops.reshape(asarray(x), (-1,))


def size(a, axis=None) -> int:
    a = asarray(a)
    return int(_np.prod(a.shape, dtype=_np.int64)) if axis is None else int(a.shape[axis])


def broadcast_to(array, shape) -> Tensor:  # noqa: A002
    return _ops.broadcast_to(asarray(array), (shape,) if isinstance(shape, int) else tuple(shape))


def broadcast_arrays(*args):
    ts = [asarray(a) for a in args]
    shape = _np.broadcast_shapes(*(tuple(t.shape) for t in ts))
    return [_ops.broadcast_to(t, shape) for t in ts]


def select(condlist, choicelist, default=0) -> Tensor:
    """The choice of the first true condition per element, default where none holds."""
    conds = [asarray(c, "bool") for c in condlist]
    choices = [asarray(c) for c in choicelist]
    if len(conds) != len(choices):
        raise ValueError(f"mindspore.numpy.select: {len(conds)} conditions for {len(choices)} choices")
    shape = _np.broadcast_shapes(*(tuple(t.shape) for t in conds + choices))
    dt = _pair_all(choices)[0]._dtype
    out = _ops.cast(_ops.broadcast_to(asarray(default), shape), dt)
    for c, v in zip(reversed(conds), reversed(choices)):
        out = _ops.select(_ops.broadcast_to(c, shape), _ops.cast(_ops.broadcast_to(v, shape), dt), out)
    return out


def promote_types(type1, type2):
    """The dtype both promote to (mindspore.numpy's rule, as the ops' promotion)."""
    return _dt.get(_dt.promote(dtype_name(type1), dtype_name(type2)))


def result_type(*arrays_and_dtypes):
    names = []
    for a in arrays_and_dtypes:
        if isinstance(a, Tensor):
            names.append(a._dtype)
        elif isinstance(a, bool):
            names.append("bool")
        elif isinstance(a, int):
            names.append("int32")
        elif isinstance(a, float):
            names.append("float32")
        else:
            names.append(dtype_name(a))
    out = names[0]
    for n in names[1:]:
        out = _dt.promote(out, n)
    return _dt.get(out)


# -- polynomials and convolution --------------------------------------------------------------------------
def _full_conv(a: Tensor, v: Tensor) -> Tensor:
    """sum_{i + j = k} a_i v_j for k in [0, n + m - 1): the outer product summed along its anti-diagonals
    (a fixed 0/1 matrix built here)."""
    n, m = a.shape[0], v.shape[0]
    sel = _np.zeros((n * m, n + m - 1), _np.float64)
    i, j = _np.divmod(_np.arange(n * m), m)
    sel[_np.arange(n * m), i + j] = 1
    prod = _ops.reshape(outer(a, v), (1, n * m))
    wide = prod._dtype if prod._dtype in _dt.FLOAT else "float32"
    out = _ops.matmul(_ops.cast(prod, wide), Tensor(sel.astype(wide)))[0]
    return out if prod._dtype == wide else _ops.cast(_ops.round(out), prod._dtype)


def _vec(x) -> Tensor:
    return _ops.reshape(asarray(x), (-1,))


def convolve(a, v, mode="full") -> Tensor:
    """NumPy's convolve of 1-D sequences: 'full', 'same' (a's length... the longer one's) or 'valid'."""
    a, v = _pair(_vec(a), _vec(v))
    n, m = a.shape[0], v.shape[0]
    if n == 0 or m == 0:
        raise ValueError("mindspore.numpy.convolve: inputs cannot be empty")
    full = _full_conv(a, v)
    if mode == "full":
        return full
    big, small = builtins.max(n, m), builtins.min(n, m)
    if mode == "same":
        start = (small - 1) // 2
        return full[start:start + big]
    if mode == "valid":
        return full[small - 1:big]
    raise ValueError(f"mindspore.numpy.convolve: mode must be 'full', 'same' or 'valid', got {mode!r}")


def _poly_pad(p: Tensor, n: int) -> Tensor:
    return p if p.shape[0] == n else _ops.concat([_ops.zeros((n - p.shape[0],), p._dtype), p], 0)


def polyadd(a1, a2) -> Tensor:
    a, b = _pair(_vec(a1), _vec(a2))
    n = builtins.max(a.shape[0], b.shape[0])
    return _ops.add(_poly_pad(a, n), _poly_pad(b, n))


def polysub(a1, a2) -> Tensor:
    a, b = _pair(_vec(a1), _vec(a2))
    n = builtins.max(a.shape[0], b.shape[0])
    return _ops.sub(_poly_pad(a, n), _poly_pad(b, n))


def polymul(a1, a2) -> Tensor:
    return _full_conv(*_pair(_vec(a1), _vec(a2)))


def polyval(p, x) -> Tensor:
    """Horner's rule: p[0] x^(n-1) + ... + p[n-1]."""
    p, x = _pair(_vec(p), x)
    out = _ops.zeros_like(x)
    for i in builtins.range(p.shape[0]):
        out = _ops.add(_ops.mul(out, x), p[i])
    return out


def polyder(p, m=1) -> Tensor:
    p = _vec(p)
    if m < 0:
        raise ValueError(f"mindspore.numpy.polyder: the order m must be >= 0, got {m}")
    for _ in builtins.range(int(m)):
        n = p.shape[0] - 1
        if n <= 0:
            return _ops.zeros((1,), p._dtype)
        p = _ops.mul(p[:-1], Tensor(_np.arange(n, 0, -1).astype(p._dtype)))
    return p


def polyint(p, m=1, k=None) -> Tensor:
    p = _float(_vec(p))
    m = int(m)
    if m < 0:
        raise ValueError(f"mindspore.numpy.polyint: the order m must be >= 0, got {m}")
    ks = _np.zeros(m) if k is None else _np.broadcast_to(_np.asarray(k, _np.float64), (m,))
    for i in builtins.range(m):
        n = p.shape[0]
        p = _ops.concat([_ops.div(p, Tensor(_np.arange(n, 0, -1).astype(p._dtype))),
                         Tensor(_np.asarray([ks[i]], p._dtype))], 0)
    return p


# -- statistics of pairs of variables ------------------------------------------------------------------------
def cov(m, y=None, rowvar=True, bias=False, ddof=None, fweights=None, aweights=None, dtype=None) -> Tensor:
    """NumPy's covariance matrix (weights as NumPy's: w = fweights * aweights)."""
    x = _float(m)
    if x.ndim == 1:
        x = _ops.expand_dims(x, 0)
    if not rowvar and x.shape[0] != 1:
        x = _ops.transpose(x, (1, 0))
    if y is not None:
        yt = _float(y)
        yt = _ops.expand_dims(yt, 0) if yt.ndim == 1 else yt
        if not rowvar and yt.shape[0] != 1:
            yt = _ops.transpose(yt, (1, 0))
        x = _ops.concat(_pair_all([x, yt]), 0)
    n = x.shape[1]
    w = None
    if fweights is not None:
        w = _ops.cast(asarray(fweights), x._dtype)
    if aweights is not None:
        aw = _ops.cast(asarray(aweights), x._dtype)
        w = aw if w is None else _ops.mul(w, aw)
    if ddof is None:
        ddof = 0 if bias else 1
    if w is None:
        avg = mean(x, 1, keepdims=True)
        fact: float | Tensor = float(n - ddof)
        dev = _ops.sub(x, avg)
        out = _ops.div(_ops.matmul(dev, _ops.transpose(dev, (1, 0))), fact)
    else:
        wsum = sum(w)
        avg = _ops.div(sum(_ops.mul(x, w), 1, keepdims=True), wsum)
        if ddof == 0:
            fact = wsum
        elif aweights is None:
            fact = _ops.sub(wsum, float(ddof))
        else:
            fact = _ops.sub(wsum, _ops.div(_ops.mul(sum(_ops.mul(w, _ops.cast(asarray(aweights), x._dtype))),
                                                    float(ddof)), wsum))
        dev = _ops.sub(x, avg)
        out = _ops.div(_ops.matmul(_ops.mul(dev, w), _ops.transpose(dev, (1, 0))), fact)
    out = out[0, 0] if out.shape[0] == 1 else out
    return _result(out, dtype)


def corrcoef(x, y=None, rowvar=True, dtype=None) -> Tensor:
    c = cov(x, y, rowvar)
    if c.ndim == 0:
        return _result(_ops.div(c, c), dtype)
    d = _ops.sqrt(diagonal_of(c))
    out = _ops.div(_ops.div(c, _ops.expand_dims(d, 1)), _ops.expand_dims(d, 0))
    return _result(clip(out, -1.0, 1.0), dtype)


def diagonal_of(c: Tensor) -> Tensor:
    n = c.shape[0]
    return _ops.gather(_ops.reshape(c, (n * n,)), Tensor(_np.arange(n, dtype=_np.int64) * (n + 1)), 0)


def trapz(y, x=None, dx=1.0, axis=-1) -> Tensor:
    y = _float(y)
    axis %= y.ndim
    n = y.shape[axis]
    hi = _ops.gather(y, Tensor(_np.arange(1, n, dtype=_np.int64)), axis)
    lo = _ops.gather(y, Tensor(_np.arange(0, n - 1, dtype=_np.int64)), axis)
    if x is None:
        d = dx
    else:
        xt = _ops.cast(asarray(x), y._dtype)
        d = diff(xt, 1, -1 if xt.ndim == 1 else axis)
        if xt.ndim == 1 and y.ndim > 1:
            view = [1] * y.ndim
            view[axis] = n - 1
            d = _ops.reshape(d, tuple(view))
    return sum(_ops.mul(_ops.mul(_ops.add(hi, lo), d), 0.5), axis)


def searchsorted(a, v, side="left", sorter=None) -> Tensor:
    if side not in ("left", "right"):
        raise ValueError(f"mindspore.numpy.searchsorted: side must be 'left' or 'right', got {side!r}")
    a = _vec(a)
    if sorter is not None:
        a = _ops.gather(a, asarray(sorter, "int32"), 0)
    a, v = _pair(a, v)
    return _ops.searchsorted(a, v, out_int32=True, right=side == "right")


def interp(x, xp, fp, left=None, right=None) -> Tensor:
    """Piecewise-linear interpolation of (xp, fp) at x (xp increasing); left / right beyond the ends."""
    x, xp, fp = _float(x), _float(_vec(xp)), _float(_vec(fp))
    n = xp.shape[0]
    i = _ops.cast(_ops.searchsorted(xp, x, right=True), "int32")
    i = _ops.maximum(_ops.minimum(i, n - 1), 1)
    x0, x1 = _ops.gather(xp, i - 1, 0), _ops.gather(xp, i, 0)
    f0, f1 = _ops.gather(fp, i - 1, 0), _ops.gather(fp, i, 0)
    out = _ops.add(f0, _ops.mul(_ops.div(_ops.sub(x, x0), _ops.sub(x1, x0)), _ops.sub(f1, f0)))
    lo = fp[0] if left is None else left
    hi = fp[n - 1] if right is None else right
    out = _ops.select(_ops.less(x, xp[0]), _ops.broadcast_to(_ops.cast(asarray(lo), out._dtype), out.shape), out)
    return _ops.select(_ops.greater(x, xp[n - 1]), _ops.broadcast_to(_ops.cast(asarray(hi), out._dtype), out.shape),
                       out)


def unravel_index(indices, shape, order="C"):
    """The coordinates of flat indices in an array of `shape` (order 'C' or 'F')."""
    idx = asarray(indices)
    shape = (shape,) if isinstance(shape, int) else tuple(shape)
    dims = list(shape) if order == "C" else list(shape)[::-1]
    coords = []
    for d in reversed(dims):
        coords.append(_ops.sub(idx, _ops.mul(_ops.floor_div(idx, d), d)))
        idx = _ops.floor_div(idx, d)
    coords = coords[::-1] if order == "C" else coords
    return tuple(coords)


def ravel_multi_index(multi_index, dims, mode="clip", order="C") -> Tensor:
    """Flat indices of coordinates in an array of shape dims; out-of-range coordinates 'clip' or 'wrap'."""
    rows = [asarray(m, "int32") for m in (multi_index if isinstance(multi_index, (list, tuple)) else
                                         [multi_index[i] for i in builtins.range(multi_index.shape[0])])]
    out = None
    order_dims = list(builtins.range(len(dims))) if order == "C" else list(builtins.range(len(dims)))[::-1]
    for axis in order_dims:
        d = int(dims[axis])
        r = rows[axis]
        if mode == "wrap":
            r = _ops.sub(r, _ops.mul(_ops.floor_div(r, d), d))
        elif mode == "clip":
            r = _ops.maximum(_ops.minimum(r, d - 1), 0)
        else:
            raise ValueError(f"mindspore.numpy.ravel_multi_index: mode must be 'clip' or 'wrap', got {mode!r}")
        out = r if out is None else _ops.add(_ops.mul(out, d), r)
    if out is None:
        raise ValueError("mindspore.numpy.ravel_multi_index: dims must not be empty")
    return out


__all__ = [k for k, v in dict(globals()).items() if not k.startswith("_") and callable(v)
           and k not in ("annotations", "Tensor", "asarray", "dtype_name", "diagonal_of")]

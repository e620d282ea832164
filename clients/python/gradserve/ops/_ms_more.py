"""MindSpore 2.10 ops composed here from engine ops: CumSum, Mod / mod, erfc / Erfc, elu / Elu,
bias_add / BiasAdd, L2Normalize, range / Range, linspace / LinSpace, svd / Svd (the engine's svd op; ops.norm's
ord 2, -2 and 'nuc' use it too). Each derivative is that of the
engine ops it is made of; where MindSpore 2.10's differs, the docstring says how (and
docs/mindspore_support.md lists it)."""
from __future__ import annotations

import builtins
import math

import numpy as np

from .. import dtype as _dt
from .._tensor import Tensor
from .._trace import apply
from ._extra import P, _as_tensors
from ._primitives import Primitive
from . import _tensor_only

__all__ = ["logspace", "CumSum", "Mod", "mod", "TruncateMod", "TensorShape", "dyn_shape", "erfc", "Erfc", "elu", "Elu", "bias_add", "BiasAdd", "L2Normalize", "range",
           "Range", "linspace", "LinSpace", "svd", "Svd"]


def _op(name: str, *inputs, **attrs) -> Tensor:
    return apply(name, list(inputs), attrs)[0]


def _number(v, what: str):
    """A Python number from a number or a known 0-d Tensor (it fixes a shape or an attribute)."""
    if isinstance(v, Tensor):
        return v._concrete(what).item()
    return v


class _Fn(Primitive):
    """A MindSpore primitive class over a function composed here (no engine attributes of its own)."""

    op = "identity"

    def __init__(self):
        self.attrs = {}


# -- CumSum ---------------------------------------------------------------------------------------------
class CumSum(_Fn):
    """ops.CumSum(exclusive=False, reverse=False)(x, axis): the engine's cumsum (its transpose is the cumsum
    running the other way)."""

    def __init__(self, exclusive: bool = False, reverse: bool = False):
        super().__init__()
        self.exclusive, self.reverse = bool(exclusive), bool(reverse)

    def __call__(self, input, axis):  # noqa: A002 - MindSpore's names
        return _op("cumsum", input, axis=int(_number(axis, "CumSum's axis")), exclusive=self.exclusive,
                   reverse=self.reverse)


# -- Mod ---------------------------------------------------------------------------------------------------
def mod(x, y):
    """The remainder of x / y truncated towards zero (the dividend's sign: C fmod), MindSpore's Mod; integers
    stay integers. Derivatives 1 in x and -trunc(x / y) in y; MindSpore 2.10's bprop gives -floor(x / y) in y
    (they differ where x and y have opposite signs)."""
    x, y = _as_tensors(x, y)
    return _op("fmod", x, y)


class Mod(_Fn):
    """ops.Mod()(x, y): mod."""

    def __call__(self, x, y):
        return mod(x, y)


class TensorShape(_Fn):
    """ops.TensorShape()(x): x's shape as a 1-D int64 Tensor (shapes are known when tracing)."""

    def __call__(self, input_x):
        return dyn_shape(input_x)


def dyn_shape(input_x):
    """ops.dyn_shape(x): x's shape as a 1-D int64 Tensor (shapes are known when tracing)."""
    return Tensor(np.array(tuple(input_x.shape), np.int64))


class TruncateMod(_Fn):
    """ops.TruncateMod()(x, y): mod (the remainder with the dividend's sign); two bool operands are a
    TypeError, as MindSpore 2.10 (a bool with a number takes the number's dtype)."""

    def __call__(self, x, y):
        if all(isinstance(v, Tensor) and v.dtype.name == "bool" for v in (x, y)):
            raise TypeError("For 'TruncateMod', x and y must not both be bool, got bool and bool")
        return mod(x, y)


# -- erfc ----------------------------------------------------------------------------------------------------
_CF_FROM, _CF_TERMS = 2.0, 60  # the continued fraction (float64) reaches float64 precision from x = 2


def _erfc_tail(x64: Tensor) -> Tensor:
    """erfc(x) for x >= 2: exp(-x^2) / sqrt(pi) / (x + (1/2) / (x + 1 / (x + (3/2) / (x + ...)))), evaluated
    from the tail; erfc(x) to float32's last digit down to its smallest normal (1 - erf(x) is 0 there)."""
    f = x64
    for k in builtins.range(_CF_TERMS, 0, -1):
        f = P.add(x64, P.div(P.fill("float64", (), k / 2.0), f))
    return P.div(P.exp(P.neg(P.square(x64))), P.mul(f, math.sqrt(math.pi)))



def erfc(input):
    """1 - erf(input), computed in float64 and to full precision in the tail (input >= 2, where 1 - erf loses every
    digit: erfc(9) = 4.1e-37); the derivative is exactly -2 / sqrt(pi) exp(-input^2) (erf's), at every order:
    the tail's correction is a stop_gradient term. Float tensors only (MindSpore 2.10 refuses bool and integers)."""
    _tensor_only.refuse_dtype("erfc", input, integers=False)
    x64 = P.cast(input, _dt.float64)
    plain = P.sub(1.0, P.erf(x64))
    tail_x = P.select(P.greater(x64, _CF_FROM), x64, P.fill("float64", (), _CF_FROM))
    better = P.select(P.greater(x64, _CF_FROM), _erfc_tail(tail_x), plain)
    return P.cast(P.add(plain, P.stop_gradient(P.sub(better, plain))), input.dtype.name)


class Erfc(_Fn):
    def __call__(self, input):  # noqa: A002
        return erfc(input)


# -- elu --------------------------------------------------------------------------------------------------------
def elu_alpha(alpha) -> float:
    """MindSpore 2.10 accepts alpha 1.0 only ("In Elu, alpha must be 1.0f"), and so does this."""
    if float(alpha) != 1.0:
        raise ValueError(f"For 'Elu', the 'alpha' must be 1.0 (MindSpore 2.10's Elu), but got {alpha!r}.")
    return 1.0


def elu(input_x, alpha=1.0):
    """x for x > 0, exp(x) - 1 otherwise (alpha: `elu_alpha`); the derivative at 0 is 1."""
    elu_alpha(alpha)
    pos = P.greater(input_x, P.zeros_like(input_x))
    # expm1 only of the values the select keeps: a large positive x would overflow there, and the
    # backward's 0 * inf would be NaN
    neg = P.expm1(P.select(pos, P.zeros_like(input_x), input_x))
    return P.select(pos, input_x, neg)


class Elu(_Fn):
    """ops.Elu(alpha=1.0)(x)."""

    def __init__(self, alpha: float = 1.0):
        super().__init__()
        self.alpha = elu_alpha(alpha)

    def __call__(self, input_x):
        return elu(input_x, self.alpha)


# -- bias_add ---------------------------------------------------------------------------------------------------
_BIAS_FORMATS = ("NCHW", "NHWC", "NCDHW")


def bias_format(prim: str, data_format) -> str:
    """BiasAdd's / BiasAddGrad's data_format, upper-cased (MindSpore 2.10 takes "nhwc"), or its refusal."""
    if not isinstance(data_format, str):
        raise TypeError(f"For '{prim}', the input 'data_format' should be a str, but got {type(data_format)}.")
    if data_format.upper() not in _BIAS_FORMATS:
        raise ValueError(f"Failed to convert the value \"{data_format}\" of input 'data_format' of '{prim}' to enum.")
    return data_format.upper()


def bias_channel_axis(prim: str, ndim: int, data_format: str) -> int:
    """The channel axis of a rank-ndim input: the last for NHWC (and for rank 2), else 1; NCDHW wants 5-D (MindSpore
    2.10's CPU kernels' check)."""
    if data_format == "NCDHW" and ndim != 5:
        raise ValueError(f"For '{prim}', NCDHW format only supports 5-D input on CPU, but got a {ndim}-D input.")
    return ndim - 1 if data_format == "NHWC" or ndim == 2 else 1


def bias_add(input_x, bias, data_format: str | None = None):
    """input_x + bias along the channel axis: 1 for NCHW / NCDHW (the default), the last for NHWC; a rank-2
    input's channel axis is its last. The bias's gradient sums the others."""
    fmt = bias_format("BiasAdd", data_format or "NCHW")
    if input_x.dtype != bias.dtype:  # no promotion (MindSpore 2.10's check)
        raise TypeError(f"For primitive[BiasAdd], the input type must be same: input_x is {input_x.dtype}, "
                        f"bias is {bias.dtype}")
    if not 2 <= input_x.ndim <= 5 or bias.ndim != 1:
        raise ValueError(f"bias_add: input_x of rank 2..5 and a 1-d bias, got shapes {input_x.shape} and {bias.shape}")
    axis = bias_channel_axis("BiasAdd", input_x.ndim, fmt)
    if bias.shape[0] != input_x.shape[axis]:
        raise ValueError(f"bias_add: bias of {bias.shape[0]} values for {input_x.shape[axis]} channels "
                         f"(axis {axis} of {input_x.shape}, {fmt})")
    shape = [1] * input_x.ndim
    shape[axis] = bias.shape[0]
    return P.add(input_x, P.reshape(bias, tuple(shape)))


class BiasAdd(_Fn):
    """ops.BiasAdd(data_format='NCHW')(input_x, bias)."""

    def __init__(self, data_format: str = "NCHW"):
        super().__init__()
        self.data_format = bias_format("BiasAdd", data_format)

    def __call__(self, input_x, bias):
        return bias_add(input_x, bias, self.data_format)


# -- L2Normalize ---------------------------------------------------------------------------------------------------
class L2Normalize(_Fn):
    """ops.L2Normalize(axis=0, epsilon=1e-4)(x): x / sqrt(max(sum(x^2, axis), epsilon)). The derivative is
    this function's: where sum(x^2) < epsilon, 1 / sqrt(epsilon); MindSpore 2.10's bprop divides by
    max(|x|, epsilon) there instead (the two agree wherever sum(x^2) > epsilon)."""

    def __init__(self, axis=0, epsilon: float = 1e-4):
        super().__init__()
        self.axis = [int(a) for a in axis] if isinstance(axis, (list, tuple)) else [int(axis)]
        self.epsilon = float(epsilon)

    def __call__(self, x):
        sq = P.sum(P.square(x), self.axis, True)
        return P.div(x, P.sqrt(P.maximum(sq, P.fill(x.dtype.name, (), self.epsilon))))


# -- range / linspace -------------------------------------------------------------------------------------------------
def range(start, end, step, maxlen: int = 1000000):  # noqa: A001 - MindSpore's name
    """[start, start + step, ...) short of end, in the inputs' dtype (int32 / int64, or float32 for floats):
    start + i * step, computed in that dtype as MindSpore does. The bounds are known values (they fix the
    length); the result is a constant (no gradient)."""
    vals = [_number(v, "range's start / end / step (they fix the output's length)") for v in (start, end, step)]
    dts = [v.dtype.name for v in (start, end, step) if isinstance(v, Tensor)]
    dt = dts[0] if dts else ("int64" if all(isinstance(v, int) for v in vals) else "float32")
    s, e, d = vals
    if d == 0 or (e - s) * d < 0:
        raise ValueError(f"range: step {d} cannot go from {s} to {e}")
    n = math.ceil((e - s) / d)
    if n > maxlen:
        raise ValueError(f"range: {n} values exceed maxlen {maxlen}")
    typed = np.dtype(dt).type
    return Tensor(typed(s) + np.arange(n).astype(dt) * typed(d))


class Range(_Fn):
    """ops.Range(maxlen=1000000)(start, end, step)."""

    def __init__(self, maxlen: int = 1000000):
        super().__init__()
        self.maxlen = int(maxlen)

    def __call__(self, start, end, step):  # MindSpore 2.10's names
        return range(start, end, step, self.maxlen)


def linspace(start, end, steps):
    """steps evenly spaced float32 values from start to end (both included; steps 1: start). start and end
    may be Tensors computed in the program; as in MindSpore 2.10 the result carries no gradient to them."""
    n = int(_number(steps, "linspace's steps (they fix the output's length)"))
    if n < 1:
        raise ValueError(f"linspace: steps must be at least 1, got {n}")
    lo, hi = (P.stop_gradient(P.cast(v, _dt.float32)) if isinstance(v, Tensor) else P.fill("float32", (), v)
              for v in (start, end))
    if n == 1:
        return P.reshape(lo, (1,))
    frac = Tensor((np.arange(n, dtype=np.float64) / (n - 1)).astype(np.float32))
    out = P.add(lo, P.mul(P.sub(hi, lo), frac))
    # the last value is end exactly (lo + (hi - lo) * 1 can round away from it)
    last = Tensor(np.arange(n) == n - 1)
    return P.select(last, P.broadcast_to(hi, (n,)), out)


def logspace(start, end, steps, base=10, *, dtype=None):
    """base ** linspace(start, end, steps) in dtype (float16 / float32 / float64, float32 by default, as
    MindSpore 2.10, which refuses other dtypes, and a base that is not an int >= 0)."""
    if isinstance(base, bool) or not isinstance(base, (int, np.integer)):
        raise TypeError(f"logspace: base must be an int, got {type(base).__name__}")
    if base < 0:  # (a negative base's non-integer powers are NaN)
        raise ValueError(f"logspace: base must be an int >= 0, got {base}")
    name = _dt.to_name(dtype or _dt.float32)
    if name not in ("float16", "float32", "float64"):
        raise TypeError(f"logspace: dtype must be float16, float32 or float64, got {name}")
    return P.pow(P.fill(name, (), float(base)), P.cast(linspace(start, end, steps), name))


class LinSpace(_Fn):
    """ops.LinSpace()(start, stop, num)."""

    def __call__(self, start, stop, num):
        return linspace(start, stop, num)


# -- svd ----------------------------------------------------------------------------------------------------
def svd(input, full_matrices: bool = False, compute_uv: bool = True):  # noqa: A002 - MindSpore's names
    """MindSpore's ops.svd: (s, u, v) with input = u diag(s) v^T over the last two axes (s descending), or s
    alone (compute_uv=False); the engine's svd op. full_matrices=True of a non-square [M, N] real input gives u
    [M, M] / v [N, N]: the reduced factors completed as MindSpore's CPU kernel does (the trailing columns of
    Eigen's Householder Q of the input, of its transpose when wider than tall: JacobiSVD's column-pivoted QR below
    16 columns, BDCSVD's QR or bidiagonalization from 16; engine svd attr full_matrices, engine/ops/svd_bdc.py). Their derivative exists for |M - N| = 1 and is refused beyond, as MindSpore 2.10's.
    s's derivatives are finite everywhere; u's and v's are inf / NaN where singular values tie or
    (non-square input) one is zero. Complex input (as MindSpore 2.10's): input = u diag(s) v^H, s real-valued
    but of input's complex dtype as MindSpore gives it, no derivative; the columns' phases are LAPACK's
    (MindSpore's differ: both are valid factors). Real input: each (u_i, v_i) pair signed as MindSpore's CPU kernel
    (Eigen's JacobiSVD) gives it, for fewer than 16 columns (engine/ops/svd_eigen.py)."""
    if input.dtype.name not in _dt.FLOAT + _dt.COMPLEX:
        raise TypeError(f"svd: needs a floating-point or complex input, got {input.dtype.name}")
    complex_input = input.dtype.name in _dt.COMPLEX
    if complex_input and full_matrices and input.shape[-1] != input.shape[-2]:
        raise ValueError(f"svd: full_matrices=True of a complex non-square input {list(input.shape)} is not "
                         f"supported (the reduced factors are: full_matrices=False)")
    attrs = {} if complex_input else {"signs": "eigen", "full_matrices": bool(full_matrices)}  # (MindSpore's CPU)
    u, s, vh = apply("svd", [input], attrs)
    if complex_input:
        s = P.cast(s, input.dtype)
    if not compute_uv:
        return s
    nd = vh.ndim
    v = P.transpose(vh, tuple(builtins.range(nd - 2)) + (nd - 1, nd - 2))
    v = apply("conj", [v], {})[0] if complex_input else v
    return s, u, v


class Svd(_Fn):
    """ops.Svd(full_matrices=False, compute_uv=True)(x)."""

    op = "svd"  # the engine op it runs (one class per op: tests/clients/test_ops_catalog.py)

    def __init__(self, full_matrices: bool = False, compute_uv: bool = True):
        super().__init__()
        self.full_matrices, self.compute_uv = bool(full_matrices), bool(compute_uv)

    def __call__(self, input):  # noqa: A002 - MindSpore's names
        return svd(input, self.full_matrices, self.compute_uv)


"""MindSpore 2.10 activations composed from engine ops: hardswish, hardsigmoid, silu, mish, softplus(beta,
threshold), celu, selu, logsigmoid. At each kink the branch that `where` keeps is the one whose derivative
MindSpore 2.10 gives there (checked on CPU for this task, noted per op); away from the kinks the
derivatives are those of the smooth formulas."""
from __future__ import annotations

from typing import Any, Callable

from .._calling_errors import input_dtype_error, tensor_type
from ._extra import P
from ._half_precision import in_float32

__all__ = ["hardswish", "hardsigmoid", "silu", "mish", "softplus", "celu", "selu", "logsigmoid",
           "HSwish", "HSigmoid", "Mish", "SeLU", "CeLU", "rrelu"]

_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946




def _integer_as_input(input, out):  # noqa: A002
    """MindSpore 2.10's integer kernels of hardswish / hardsigmoid keep the input's dtype, the quotient truncated
    (hardswish(int32 1) is 0, not 0.667 as float32)."""
    kind = input.dtype.name if hasattr(input, "dtype") else "float"
    return P.cast(out, input.dtype) if kind.startswith(("int", "uint")) else out


def hardswish(input):  # noqa: A002 - MindSpore's names
    """x * relu6(x + 3) / 6. Its derivative (2x + 3) / 6 holds on the closed [-3, 3]: MindSpore 2.10 gives
    -0.5 at x = -3 and 1.5 at x = 3."""
    x = input
    mid = P.div(P.mul(x, P.add(x, 3.0)), 6.0)
    return _integer_as_input(x, P.select(P.less(x, -3.0), P.zeros_like(mid), P.select(P.greater(x, 3.0), x, mid)))


@in_float32  # float16: MindSpore 2.10's kernel rounds once (x + 3 in float16 put 619 of 8192 values an ulp off)
def hardsigmoid(input):  # noqa: A002
    """relu6(x + 3) / 6. The slope 1/6 holds on the open (-3, 3): MindSpore 2.10 gives 0 at x = +-3.
    (x + 3) / 6 rounds as MindSpore's kernel does (x / 6 + 0.5 is an ulp off at x = -1, -2, 2)."""
    x = input
    mid = P.div(P.add(x, 3.0), 6.0)
    out = P.select(P.less_equal(x, -3.0), P.zeros_like(mid), mid)
    return _integer_as_input(x, P.select(P.greater_equal(x, 3.0), P.ones_like(mid), out))


def silu(input):  # noqa: A002
    """x * sigmoid(x)."""
    return P.mul(input, P.sigmoid(input))


@in_float32
def mish(x):
    """x * tanh(softplus(x)); float16 in float32 (MindSpore 2.10's kernel: in float16 steps 791 of 2955 values in
    [-5, 5] were an ulp off)."""
    return P.mul(x, P.tanh(P.softplus(x)))


def softplus(input, beta=1, threshold=20):  # noqa: A002
    """log(1 + exp(beta * x)) / beta, and x itself where beta * x > threshold (MindSpore 2.10 and
    PyTorch: derivative 1 there)."""
    x = input
    if beta == 1 and threshold == 20 and x.dtype.name in ("float32", "float16"):
        return P.softplus(x)  # the engine op alone: past 20 it is x and its derivative 1, to the last bit here
    if x.dtype.name not in ("float16", "float32", "float64") and (beta, threshold) != (1, 20):
        x = P.cast(x, "float32")  # MindSpore 2.10's composite form (beta / threshold given; its primitive refuses
        # int32): softplus(int32 [-2, 0, 3], 1.0, 2.0) is Float32 [0.127, 0.693, 3.0]
    bx = P.mul(x, beta) if beta != 1 else x
    smooth = P.softplus(bx)
    smooth = P.div(smooth, beta) if beta != 1 else smooth
    return P.select(P.greater(bx, threshold), x, smooth)


def _non_positive(linear, x):
    """x where the exponential branch is kept, 0 elsewhere: expm1 of a large x kept out by the select would
    overflow (float16 from 11.1, float32 from 88.7), and the backward's 0 * inf would make the gradient NaN."""
    return P.select(linear, P.zeros_like(x), x)


def celu(x, alpha=1.0):
    """max(0, x) + min(0, alpha * (exp(x / alpha) - 1)); derivative 1 at 0 (both branches agree). x = 0 takes
    the linear branch, so the second derivative there is 0 (MindSpore 2.10's), not the exponential's 1 / alpha."""
    if float(alpha) == 0.0:
        raise ValueError("ops.celu: alpha must not be 0")
    linear = P.greater_equal(x, P.zeros_like(x))
    neg = P.mul(alpha, P.expm1(P.div(_non_positive(linear, x), alpha)))
    return P.select(linear, x, neg)


def selu(input_x):
    """scale * (x if x >= 0 else alpha * (exp(x) - 1)); at 0 MindSpore 2.10 gives the linear branch's
    derivative (scale = 1.0507), not scale * alpha."""
    x = input_x
    if x.dtype in ("int8", "int32"):
        # MindSpore 2.10's CPU kernel on int8 / int32 (read off its venv: selu(24) = 24, selu(-12) = 0,
        # selu(-20) = -1): scale and alpha cast to the integer 1, expm1 in float32, the result truncated
        f = P.cast(x, "float32")
        return P.cast(P.select(P.greater_equal(f, P.zeros_like(f)), f, P.expm1(f)), x.dtype)
    if x.dtype not in ("float16", "float32", "float64"):
        raise input_dtype_error("SeLU", "input_x", ("float16", "float32", "float64", "int32", "int8"), tensor_type(x))
    linear = P.greater_equal(x, P.zeros_like(x))
    neg = P.mul(_SELU_ALPHA, P.expm1(_non_positive(linear, x)))
    return P.mul(_SELU_SCALE, P.select(linear, x, neg))


def logsigmoid(x):
    """log(sigmoid(x)) = -softplus(-x), stable for large |x|."""
    return P.neg(P.softplus(P.neg(x)))


class _Activation:
    """MindSpore's primitive classes for these: `ops.HSwish()(x)`, `ops.CeLU(alpha=2.0)(x)`."""
    _fn: Callable[[Any], Any]

    def __call__(self, input):  # noqa: A002 - MindSpore's names
        return type(self)._fn(input)


class HSwish(_Activation):
    _fn = staticmethod(hardswish)


class HSigmoid(_Activation):
    _fn = staticmethod(hardsigmoid)


class Mish(_Activation):
    _fn = staticmethod(mish)


class SeLU(_Activation):
    _fn = staticmethod(selu)


class CeLU(_Activation):
    def __init__(self, alpha: float = 1.0):
        self.alpha = float(alpha)

    def __call__(self, x):
        return celu(x, self.alpha)



def rrelu(input, lower=1.0 / 8, upper=1.0 / 3):  # noqa: A002
    """x where x >= 0, else x * a with a drawn uniformly from [lower, upper] per element (MindSpore 2.10 draws
    in every mode). The slopes are per-run data, as dropout's masks (ops/_dropout.py): drawn anew for each run
    of a traced construct; the derivative is 1, a, or 0 at x = 0 (MindSpore 2.10's)."""
    from ._dropout import MaskParameter, random_ops_generator
    from .._trace import current
    if not lower <= upper:
        raise ValueError(f"rrelu: lower ({lower}) must not exceed upper ({upper})")

    class SlopeDraw(MaskParameter):
        def gs_draw(self) -> None:
            self._data = random_ops_generator().uniform(lower, upper, self._shape).astype(self._dtype)
            self._bump()

    slope = SlopeDraw(input.shape, input._dtype, 1.0)
    if current() is None:
        slope.gs_draw()
        slope = slope._data
    # MindSpore's form, (sign(x) > 0) x + (sign(x) < 0) a x: the derivative at 0 is 0 there (sign's mask is 0)
    zero = P.zeros_like(input)
    positive, negative = P.cast(P.greater(input, zero), input._dtype), P.cast(P.less(input, zero), input._dtype)
    return P.mul(P.add(positive, P.mul(negative, slope)), input)

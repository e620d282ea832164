"""MindSpore's elementwise primitive spellings over ops already here: ACos, Lerp, FastGeLU / fast_gelu,
EqualCount, DivNoNan / div_no_nan, is_nonzero, signbit (values checked against MindSpore 2.10 on CPU when written)."""
from __future__ import annotations

from .._tensor import Tensor
from ._extra import P, complex_remainder
from ._int_zero_divisor import dividend_where_zero
from ._math_more import lerp
from ._primitives import CLASSES as _CLASSES, FUNCTIONS as _FUNCTIONS

__all__ = ["ACos", "Lerp", "FastGeLU", "fast_gelu", "EqualCount", "DivNoNan", "div_no_nan", "is_nonzero", "signbit"]


ACos = _CLASSES["Acos"]  # MindSpore's spelling of the generated Acos


class Lerp:
    """ops.Lerp()(start, end, weight)."""

    def __call__(self, input, end, weight):  # noqa: A002 - MindSpore's names
        return lerp(input, end, weight)


def fast_gelu(x):
    """x / (1 + exp(-1.702 |x|)) * exp(0.851 (x - |x|)): MindSpore's FastGeLU, written so exp never overflows."""
    a = P.abs(x)
    return P.mul(P.div(x, P.add(P.exp(P.mul(a, -1.702)), 1.0)), P.exp(P.mul(P.sub(x, a), 0.851)))


class FastGeLU:
    def __call__(self, x):
        return fast_gelu(x)


class EqualCount:
    """EqualCount()(x, y): how many elements of x and y are equal, as a [1] tensor of x's dtype."""

    def __call__(self, x, y):
        if tuple(x.shape) != tuple(y.shape):
            raise ValueError(f"EqualCount: x and y must have one shape, got {list(x.shape)} and {list(y.shape)}")
        hits = P.sum(P.cast(P.equal(x, y), "int64"))
        return P.reshape(P.cast(hits, x.dtype), (1,))


def div_no_nan(x1, x2):
    """x1 / x2, and 0 where x2 is 0 (also 0 / 0). The division runs on a divisor of 1 there, so no inf or
    nan reaches the gradient either."""
    zero = P.equal(x2, P.zeros_like(x2))
    q = P.div(x1, P.where(zero, P.ones_like(x2), x2))
    return P.where(zero, P.zeros_like(q), q)


class DivNoNan:
    """ops.DivNoNan()(x1, x2): div_no_nan."""

    def __call__(self, x1, x2):
        return div_no_nan(x1, x2)


def is_nonzero(input):  # noqa: A002 - MindSpore's name
    """Whether the one element of `input` is not 0 (False, 0, 0.0): a Python bool (a traced one: a 0-d bool
    Tensor). A Tensor of more or fewer
    than one element is refused (MindSpore 2.10: ValueError)."""
    if input.size != 1:
        raise ValueError(f"is_nonzero: the input must hold exactly one element, got shape {list(input.shape)}")
    if input.is_symbolic:  # inside a traced construct: a 0-d bool Tensor (MindSpore's graph returns one too)
        return P.not_equal(P.reshape(input, ()), P.zeros((), input.dtype))
    return bool(input._host_copy().reshape(()) != 0)


def signbit(input):  # noqa: A002 - MindSpore's name
    """input < 0 as a bool Tensor: MindSpore's definition (its ops.signbit is less(input, 0)), so -0.0 and a
    NaN give False where torch.signbit reads the sign bit. No gradient (bool out)."""
    from .._tensor import Tensor
    if not isinstance(input, Tensor):
        raise TypeError(f"For 'signbit', 'input' must be a Tensor, got {type(input).__name__}")
    if input._dtype == "bool":
        return P.zeros_like(input)
    return P.less(input, P.zeros_like(input))


def _bool_operands(input, other) -> bool:  # noqa: A002
    from .._tensor import Tensor
    return all(isinstance(v, bool) or isinstance(v, Tensor) and v._dtype == "bool" for v in (input, other))


def _bool_kept(op: str):
    def f(input, other):  # noqa: A002 - MindSpore's names
        """ops.remainder / ops.fmod; of two bool operands a bool result, as MindSpore 2.10's (checked: remainder
        and fmod of [True, False] by [True, True] are [False, False] Bool): computed on int8, cast back."""
        prim = _FUNCTIONS[op]
        if op == "remainder" and any(isinstance(v, complex) or isinstance(v, Tensor) and v._dtype.startswith("complex")
                                     for v in (input, other)):
            return complex_remainder(input, other)
        if not _bool_operands(input, other):
            return dividend_where_zero(input, other, prim(input, other))
        as_int = [P.cast(v, "int8") if not isinstance(v, bool) else int(v) for v in (input, other)]
        return P.cast(prim(*as_int), "bool")
    f.__name__ = f.__qualname__ = op
    return f


remainder, fmod = _bool_kept("remainder"), _bool_kept("fmod")
__all__ += ["remainder", "fmod"]

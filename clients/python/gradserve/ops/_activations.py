"""MindSpore 2.10 activations composed from engine ops: hardswish, hardsigmoid, silu, mish, softplus(beta,
threshold), celu, selu, logsigmoid. At each kink the branch that `where` keeps is the one whose derivative
MindSpore 2.10 gives there (checked on CPU for this task, noted per op); away from the kinks the
derivatives are those of the smooth formulas."""
from __future__ import annotations

from . import _primitives as P

__all__ = ["hardswish", "hardsigmoid", "silu", "mish", "softplus", "celu", "selu", "logsigmoid"]

_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946


F = P.FUNCTIONS  # the engine ops; a Python number operand takes the tensor's dtype


def hardswish(input):  # noqa: A002 - MindSpore's names
    """x * relu6(x + 3) / 6. Its derivative (2x + 3) / 6 holds on the closed [-3, 3]: MindSpore 2.10 gives
    -0.5 at x = -3 and 1.5 at x = 3."""
    x = input
    mid = F["div"](F["mul"](x, F["add"](x, 3.0)), 6.0)
    return P.select(F["less"](x, -3.0), F["zeros_like"](x), P.select(F["greater"](x, 3.0), x, mid))


def hardsigmoid(input):  # noqa: A002
    """relu6(x + 3) / 6. The slope 1/6 holds on the open (-3, 3): MindSpore 2.10 gives 0 at x = +-3."""
    x = input
    mid = F["add"](F["div"](x, 6.0), 0.5)
    out = P.select(F["less_equal"](x, -3.0), F["zeros_like"](x), mid)
    return P.select(F["greater_equal"](x, 3.0), F["ones_like"](x), out)


def silu(input):  # noqa: A002
    """x * sigmoid(x)."""
    return F["mul"](input, F["sigmoid"](input))


def mish(x):
    """x * tanh(softplus(x))."""
    return F["mul"](x, F["tanh"](F["softplus"](x)))


def softplus(input, beta=1, threshold=20):  # noqa: A002
    """log(1 + exp(beta * x)) / beta, and x itself where beta * x > threshold (MindSpore 2.10 and
    PyTorch: derivative 1 there)."""
    x = input
    bx = F["mul"](x, beta) if beta != 1 else x
    smooth = F["softplus"](bx)
    smooth = F["div"](smooth, beta) if beta != 1 else smooth
    return P.select(F["greater"](bx, threshold), x, smooth)


def celu(x, alpha=1.0):
    """max(0, x) + min(0, alpha * (exp(x / alpha) - 1)); derivative 1 at 0 (both branches agree)."""
    if float(alpha) == 0.0:
        raise ValueError("ops.celu: alpha must not be 0")
    neg = F["mul"](alpha, F["expm1"](F["div"](x, alpha)))
    return P.select(F["greater"](x, F["zeros_like"](x)), x, neg)


def selu(input_x):
    """scale * (x if x >= 0 else alpha * (exp(x) - 1)); at 0 MindSpore 2.10 gives the linear branch's
    derivative (scale = 1.0507), not scale * alpha."""
    x = input_x
    neg = F["mul"](_SELU_ALPHA, F["expm1"](x))
    return F["mul"](_SELU_SCALE, P.select(F["greater_equal"](x, F["zeros_like"](x)), x, neg))


def logsigmoid(x):
    """log(sigmoid(x)) = -softplus(-x), stable for large |x|."""
    return F["neg"](F["softplus"](F["neg"](x)))

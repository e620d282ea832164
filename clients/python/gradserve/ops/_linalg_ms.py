"""MindSpore's products and small formulas over the engine's matmul / einsum / elementwise ops:
outer, inner, tensor_dot, mv, bmm, addmm, addmv, baddbmm, kron, hypot, logit, dist, cosine_similarity,
diff (their derivatives are the ops' own)."""
from __future__ import annotations

import math

from . import _primitives as P
from ._axis_range import checked_axis
from ._einsum import einsum
from ._extra import norm
from ._half_precision import in_float32, in_float64
from ._math_more import _float_operands
from ._movement_ms import narrow

__all__ = ["outer", "inner", "tensor_dot", "mv", "bmm", "addmm", "addmv", "baddbmm", "kron", "hypot", "logit",
           "dist", "cosine_similarity", "diff"]

_LETTERS = "abcdefghijklmnopqrstuvwxyz"


def outer(input, vec2):  # noqa: A002
    """input[i] * vec2[j] as a broadcast product: bool with bool is and, mixed dtypes promote (MindSpore 2.10:
    bool x int32 -> int32), which an einsum (one dtype, no bool) refused."""
    return P.mul(P.reshape(input, (-1, 1)), P.reshape(vec2, (1, -1)))


def inner(input, other):  # noqa: A002
    """The sum over the last axes of both (a scalar operand scales)."""
    if input.ndim == 0 or other.ndim == 0:
        return input * other
    a, b = _LETTERS[:input.ndim - 1], _LETTERS[input.ndim - 1:input.ndim + other.ndim - 2]
    return einsum(f"{a}z,{b}z->{a}{b}", input, other)


def tensor_dot(x1, x2, axes):
    """Sum over x1's axes[0] and x2's axes[1] (an int n: x1's last n with x2's first n)."""
    if isinstance(axes, int):
        axes = (list(range(x1.ndim - axes, x1.ndim)), list(range(axes)))
    ax1, ax2 = ([a] if isinstance(a, int) else list(a) for a in axes)
    ax1, ax2 = [a % x1.ndim for a in ax1], [a % x2.ndim for a in ax2]
    if len(ax1) != len(ax2):
        raise ValueError(f"tensor_dot: axes {axes} pair {len(ax1)} axes of x1 with {len(ax2)} of x2")
    la, lb = list(_LETTERS[:x1.ndim]), list(_LETTERS[x1.ndim:x1.ndim + x2.ndim])
    for i, j in zip(ax1, ax2):
        lb[j] = la[i]
    out = [c for i, c in enumerate(la) if i not in ax1] + [c for j, c in enumerate(lb) if j not in ax2]
    return einsum(f"{''.join(la)},{''.join(lb)}->{''.join(out)}", x1, x2)


def mv(mat, vec):
    return einsum("ij,j->i", mat, vec)


def bmm(input_x, mat2):
    return P.matmul(input_x, mat2)


def addmm(input, mat1, mat2, *, beta=1, alpha=1):  # noqa: A002
    return input * beta + P.matmul(mat1, mat2) * alpha


def addmv(input, mat, vec, *, beta=1, alpha=1):  # noqa: A002
    return input * beta + mv(mat, vec) * alpha


def baddbmm(input, batch1, batch2, beta=1, alpha=1):  # noqa: A002
    return input * beta + P.matmul(batch1, batch2) * alpha


def kron(input, other):  # noqa: A002
    """The Kronecker product of two tensors of one rank."""
    if input.ndim != other.ndim:
        raise ValueError(f"kron: operands of rank {input.ndim} and {other.ndim}; give them one rank")
    spread_a = tuple(d for n in input.shape for d in (n, 1))  # a[i, j] b[k, l] at [i, k, j, l]: a broadcast
    spread_b = tuple(d for n in other.shape for d in (1, n))  # product, so bool and mixed dtypes work as outer's
    prod = P.mul(P.reshape(input, spread_a), P.reshape(other, spread_b))
    return P.reshape(prod, tuple(s * t for s, t in zip(input.shape, other.shape)))


_F64_MAX = 1.7976931348623157e308


def hypot(input, other):  # noqa: A002
    """sqrt(input^2 + other^2), squared in float64 and rounded once to the operands' dtype: a float32 square
    overflows past 1.8e19 and underflows below 1e-23 (hypot(1e20, 1) was inf and its gradient 0, hypot(3e-30,
    4e-30) 0 and its gradient inf; MindSpore 2.10: 1e20 and 5e-30, gradients 1, 1e-20 and 0.6, 0.8); float16
    likewise (hypot(300, 400) was inf, 500). Integers as float32 (squared in uint8, 200 was 8.2)."""
    return _hypot(*_float_operands(input, other))


@in_float64
def _hypot(a, b):
    f = P.FUNCTIONS
    out = f["sqrt"](a * a + b * b)
    inf = f["logical_or"](f["greater"](f["abs"](a), _F64_MAX), f["greater"](f["abs"](b), _F64_MAX))
    return P.select(inf, f["ones_like"](out) * math.inf, out)  # inf beside a NaN is inf (IEEE, MindSpore 2.10)


@in_float32  # float16: MindSpore 2.10 rounds once (its gradient was an ulp off at 342 of 8192 values)
def logit(input, eps=None):  # noqa: A002
    """log(x / (1 - x)) as log(x) - log1p(-x), x clipped to [eps, 1 - eps] first when eps is given. The split form's
    gradient 1/x + 1/(1 - x) is inf at 0 and 1 as MindSpore 2.10's LogitGrad and PyTorch's (the quotient's was NaN)."""
    if eps is not None and eps >= 0:
        x = P.FUNCTIONS["clip"](input, min=float(eps), max=1.0 - float(eps))
        return P.FUNCTIONS["log"](x) - P.FUNCTIONS["log1p"](-x)
    x, f = input, P.FUNCTIONS  # outside [0, 1] the value is NaN and so is MindSpore's gradient (was 1/x + 1/(1 - x))
    outside = f["logical_or"](f["less"](x, 0.0), f["greater"](x, 1.0))
    nan_there = P.stop_gradient(P.select(outside, f["ones_like"](x) * math.nan, f["zeros_like"](x)))
    return P.FUNCTIONS["log"](x) - P.FUNCTIONS["log1p"](-x) + x * nan_there


def dist(input, other, p=2):  # noqa: A002
    """The p-norm of input - other over all elements (MindSpore's LpNorm: gradient 0 where it is 0)."""
    z = input - other
    return P.abs(z) if z.ndim == 0 else norm(P.reshape(z, (-1,)), p, 0)


def cosine_similarity(x1, x2, dim=1, eps=1e-08):
    """sum(x1 * x2) / max(|x1| * |x2|, eps) along dim (MindSpore 2.10's formula)."""
    den = norm(x1, 2, dim) * norm(x2, 2, dim)
    return P.sum(x1 * x2, dim) / P.FUNCTIONS["clip"](den, min=float(eps))


def diff(x, n=1, axis=-1, prepend=None, append=None):
    """The n-th forward difference along axis (NumPy's). A bool n or axis is MindSpore 2.10's TypeError (mint.diff
    reads a bool n as an int: its own function)."""
    P._refuse_bool(n, "For 'diff', the type of 'n' must be 'int', but got 'bool'.")
    if P._has_bool(axis) and P._compiled():
        raise TypeError("gather(): argument 'index' (position 2) must be Tensor, not bool.\n")  # (its compiler's)
    P._refuse_bools(axis, "gather", "gather(Tensor, {t})", "Tensor.gather(dim=<Tensor, int>, index=<Tensor>)")
    if prepend is not None or append is not None:
        parts = [t for t in (prepend, x, append) if t is not None]
        x = P.concat(parts, axis)
    ax = checked_axis(axis, x.ndim, ValueError, "axis {axis} is out of bounds for array of dimension {ndim}")  # NumPy's
    for _ in range(int(n)):
        m = x.shape[ax]
        x = narrow(x, ax, 1, m - 1) - narrow(x, ax, 0, m - 1)
    return x

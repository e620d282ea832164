"""Products composed from engine ops: ops.Dense (x @ w^T + b), Ger / ger (outer), addbmm, cross (3-vectors),
CumProd / MindSpore's cumprod(input, dim, dtype) and cumsum(x, axis, dtype) (running). Values checked against MindSpore 2.10 on CPU
when written."""
from __future__ import annotations

import numpy as np

from .. import dtype as _dt
from .._tensor import Tensor
from ._axis_range import checked_axis
from ._extra import P
from ._linalg_ms import outer
from ._primitives import _refuse_bools
from .._late import late

__all__ = ["Dense", "Ger", "ger", "CumProd", "cumprod", "cumsum", "cross", "addbmm"]


class Dense:
    """ops.Dense()(x, w, b=None): x @ w^T + b; a 1-d w [in] gives sum(x * w) over the last axis."""

    def __call__(self, input, weight, bias=None):  # noqa: A002 - MindSpore's names
        y = P.sum(P.mul(input, weight), -1) if len(weight.shape) == 1 else P.matmul(input, P.transpose(weight, (1, 0)))
        return y if bias is None else P.add(y, bias)


def ger(input, vec2):  # noqa: A002 - MindSpore's names
    """input [m] and vec2 [n] -> [m, n], input[i] * vec2[j] (MindSpore: both 1-D, one dtype)."""
    if input.ndim != 1 or vec2.ndim != 1:
        raise ValueError(f"ger: input and vec2 must be 1-D, got shapes {list(input.shape)} and {list(vec2.shape)}")
    if input.dtype != vec2.dtype:
        raise TypeError(f"ger: input and vec2 must have one dtype, got {input.dtype} and {vec2.dtype}")
    return outer(input, vec2)


class Ger:
    def __call__(self, x1, x2):
        return ger(x1, x2)


class CumProd:
    """CumProd(exclusive=False, reverse=False)(x, axis): the running product along axis."""

    def __init__(self, exclusive: bool = False, reverse: bool = False):
        self.exclusive, self.reverse = bool(exclusive), bool(reverse)

    def __call__(self, x, axis):
        return P.cumprod(x, axis=int(axis), exclusive=self.exclusive, reverse=self.reverse)


def cumprod(input, dim, dtype=None):  # noqa: A002
    """MindSpore's ops.cumprod(input, dim, dtype=None): input cast to dtype first, then the running product. With no
    dtype an integer or bool input gives int64 (MindSpore 2.10 on CPU: int8 / int32 / uint8 / bool -> Int64; the
    CumProd primitive keeps the input's dtype)."""
    if dtype is None and input._dtype not in _dt.FLOAT + _dt.COMPLEX:
        dtype = _dt.int64
    _refuse_bools(dim, "CumProd", "CumProd(exclusive=bool, reverse=bool)(x=Tensor, axis={t})",
                  "CumProd(exclusive=<bool>, reverse=<bool>)(x=<Tensor>, axis=<int>)")
    x = input if dtype is None else P.cast(input, dtype)
    return P.cumprod(x, axis=int(dim))


def cumsum(x, axis, dtype=None):
    """MindSpore's ops.cumsum(x, axis, dtype=None): x cast to dtype first, then the running sum. The engine op's
    own wrapper took axis only by keyword, so the documented ops.cumsum(x, 0) was refused."""
    _refuse_bools(axis, "CumSum", "CumSum(exclusive=bool, reverse=bool)(input=Tensor, axis={t})",
                  "CumSum(exclusive=<bool>, reverse=<bool>)(input=<Tensor>, axis=<int>)")
    y = x if dtype is None else P.cast(x, dtype)
    return P.cumsum(y, axis=int(axis))


def cross(input, other, dim=None):  # noqa: A002
    """the cross product of 3-vectors along dim (None: the first axis of size 3), input x other."""
    _refuse_bools(dim, "Cross", "Cross(dim={t})(input=Tensor, other=Tensor)",
                  "Cross(dim=<int>)(input=<Tensor>, other=<Tensor>)")
    if tuple(input.shape) != tuple(other.shape):
        raise ValueError(f"cross: input and other must have one shape, got {list(input.shape)} and "
                         f"{list(other.shape)}")
    shape = tuple(input.shape)
    if dim is None:
        dim = next((i for i, n in enumerate(shape) if n == 3), None)
        if dim is None:
            raise ValueError(f"cross: no axis of size 3 in shape {list(shape)}")
    dim = checked_axis(dim, len(shape), ValueError, 
                      f"For 'Cross', dim must be between {-len(shape)} and {len(shape) - 1} , but got {{axis}}.")
    if shape[dim] != 3:
        raise ValueError(f"cross: axis {dim} of shape {list(shape)} must have size 3")

    def part(x, k):
        return P.gather(x, Tensor(np.array([k], np.int64)), dim)

    a = [part(input, k) for k in range(3)]
    b = [part(other, k) for k in range(3)]
    return P.concat([P.sub(P.mul(a[1], b[2]), P.mul(a[2], b[1])), P.sub(P.mul(a[2], b[0]), P.mul(a[0], b[2])),
                     P.sub(P.mul(a[0], b[1]), P.mul(a[1], b[0]))], dim)


def addbmm(input, batch1, batch2, *, beta=1, alpha=1):  # noqa: A002
    """beta * input + alpha * sum over the batch of batch1 @ batch2 ([b, n, m] @ [b, m, p] -> [n, p])."""
    if batch1.ndim != 3 or batch2.ndim != 3:
        raise ValueError(f"For 'addbmm', batch1 and batch2 must be 3-D, got shapes {list(batch1.shape)} and "
                         f"{list(batch2.shape)}")
    return late.ops.add(late.ops.mul(input, beta), late.ops.mul(late.ops.sum(late.ops.matmul(batch1, batch2), 0), alpha))

"""MindSpore 2.10 ops first met as Tensor methods (`x.logaddexp(y)`, `x.sgn()`, `x.cov()`, ...), composed
from ops already here. Each derivative is that of the ops it is made of.

masked_select's output length is the number of True mask elements: it needs the mask's values, so a
concrete mask is required (a traced one is refused naming the op); the input itself may be traced (the
selection is a gather of known positions, so its gradient flows)."""
from __future__ import annotations

import numpy as np

from .. import dtype as _dt
from .._tensor import Tensor
from ._extra import P, _as_tensors
from ._ms_names import isinf
from ._ms_misc import trunc
from ._extra import floor_div
from . import _tensor_only
from ._half_precision import in_float32

__all__ = ["copy", "logaddexp", "logaddexp2", "sgn", "isneginf", "isposinf", "cov", "masked_select", "MaskedSelect",
           "div_rounding"]


def copy(input):  # noqa: A002
    """A new Tensor of input's values (mindspore.ops.auto_generate.copy, Tensor.copy / clone): a later in-place
    write to either leaves the other as it is."""
    if input._data is not None:
        return Tensor(np.array(input._data))
    return P.identity(input)


def _float(x: Tensor) -> Tensor:
    return x if x._dtype in _dt.FLOAT else P.cast(x, _dt.float32)


def logaddexp(input, other):  # noqa: A002 - MindSpore's names
    """log(exp(input) + exp(other)) without overflow: x + softplus(y - x) where x >= y, else y + softplus(x - y)
    (softplus the engine's, derivative sigmoid: each branch smooth, so every order is right at x == y, where
    max + log1p(exp(-|x - y|)) gave a second derivative 0 instead of 1/4)."""
    x, y = _as_tensors(input, other)
    x, y = _float(x), _float(y)
    return P.select(P.greater_equal(x, y), P.add(x, P.softplus(P.sub(y, x))), P.add(y, P.softplus(P.sub(x, y))))


def logaddexp2(input, other):  # noqa: A002
    """log2(2**input + 2**other): logaddexp of the inputs scaled by ln 2, scaled back."""
    x, y = _as_tensors(input, other)
    return _logaddexp2(_float(x), _float(y))


@in_float32  # half precision rounded once (its steps drift by an ulp: MindSpore docs, ops.logaddexp2 of float16
def _logaddexp2(x, y):  # [1, 2, 3] and 2 print 2.586, not 2.584)
    ln2 = float(np.log(2.0))
    return P.div(logaddexp(P.mul(x, ln2), P.mul(y, ln2)), ln2)


def sgn(input):  # noqa: A002
    """sign for real input; for complex input x / |x| (0 where x is 0). Each part is divided by the real |x|, as
    MindSpore 2.10's complex division by |x| + 0j rounds it (complex128 (3+4j) gives 0.6 + 0.8j; NumPy's complex
    division, a product with 1 / 5, gave 0.6000000000000001). |x| is hypot's: MindSpore's ComplexAbs squares
    the parts, so complex64 1e-30 gives 1e-30 there and 1e30 gives 0 (kept: the math's 1 here)."""
    if not isinstance(input, Tensor):
        raise TypeError(f"For sgn, the input must be a Tensor, but got {type(input)}")
    if not input._dtype.startswith("complex"):
        return P.sign(input)
    mag = P.real(P.abs(input))  # (the engine's abs of a complex Tensor is complex-typed)
    zero = P.equal(mag, P.zeros_like(mag))
    safe = P.select(zero, P.ones_like(mag), mag)  # keeps the division finite where the select drops it
    out = P.complex(P.div(P.real(input), safe), P.div(P.imag(input), safe))
    # an infinite or NaN part: the complex division's nan + nanj (MindSpore's; the parts' division gave nan + 0j)
    finite = P.equal(P.sub(mag, mag), P.zeros_like(mag))  # (inf - inf and nan - nan are nan)
    out = P.select(finite, out, P.div(input, P.cast(safe, input._dtype)))
    return P.select(zero, P.zeros_like(input), out)


def _signed_inf(input, negative: bool):
    _tensor_only.refuse_complex("IsNegInf" if negative else "IsPosInf", input)
    if input._dtype not in _dt.FLOAT:  # integers and bools hold no infinity
        return P.not_equal(input, input)
    side = P.less(input, P.zeros_like(input)) if negative else P.greater(input, P.zeros_like(input))
    return P.logical_and(isinf(input), side)  # (isinf holds no infinite constant: graphs travel as JSON)


def isneginf(input):  # noqa: A002
    return _signed_inf(input, True)


def isposinf(input):  # noqa: A002
    return _signed_inf(input, False)


def cov(input, *, correction=1, fweights=None, aweights=None):  # noqa: A002
    """The covariance of input's rows (variables) over its columns (observations), as numpy.cov with
    ddof=correction: weights w = fweights * aweights; the mean weighted by w; divided by
    sum(w) - correction * sum(w * aweights) / sum(w) (sum(w) - correction without aweights).
    A 1-D input is one variable (a 0-d result)."""
    if input.ndim > 2:
        raise ValueError(f"cov: input must be 1-D or 2-D, got shape {list(input.shape)}")
    x = _float(input)
    one_var = x.ndim < 2
    if one_var:
        x = P.reshape(x, (1, -1) if x.ndim else (1, 1))
    n = x.shape[1]
    w = None
    for name, wt in (("fweights", fweights), ("aweights", aweights)):
        if wt is None:
            continue
        if not isinstance(wt, Tensor) or wt.ndim != 1 or wt.shape[0] != n:
            raise ValueError(f"cov: {name} must be a 1-D Tensor of {n} weights (one per observation), got "
                             f"{list(wt.shape) if isinstance(wt, Tensor) else type(wt).__name__}")
        if name == "fweights" and wt._dtype not in ("int8", "int16", "int32", "int64", "uint8"):
            raise TypeError(f"cov: fweights must hold integers, got {wt.dtype}")
        wt = P.cast(wt, x._dtype)
        w = wt if w is None else P.mul(w, wt)
    if w is None:
        w_sum = float(n)
        mean = P.mean(x, 1, True)
    else:
        w_sum = P.sum(w)
        mean = P.div(P.sum(P.mul(x, w), 1, True), w_sum)
    if aweights is None:
        norm = P.sub(w_sum, float(correction)) if isinstance(w_sum, Tensor) else w_sum - correction
    else:
        aw = P.cast(aweights, x._dtype)
        norm = P.sub(w_sum, P.div(P.mul(P.sum(P.mul(w, aw)), float(correction)), w_sum))
    centred = P.sub(x, mean)
    weighted = centred if w is None else P.mul(centred, w)
    c = P.div(P.matmul(weighted, P.transpose(P.conj(centred) if x._dtype.startswith("complex") else centred,
                                              (1, 0))), norm)
    return P.reshape(c, ()) if one_var else c


def masked_select(input, mask):  # noqa: A002
    """The elements of input (broadcast with mask) where mask is True, as a 1-D Tensor in row-major order.
    The mask must be concrete: the output's length is its number of True values."""
    if not isinstance(mask, Tensor):
        mask = Tensor(np.asarray(mask))
    if mask._dtype != "bool":
        raise TypeError(f"masked_select: mask must be a bool Tensor, got {mask.dtype}")
    known = mask._value()  # a traced mask: its value in this call, where known (the trace is specialised on it)
    if known is None:
        raise TypeError("masked_select: its output length is the number of True values of mask, which a traced "
                        "graph (an exported graph, a loop body) does not know: pass a concrete mask "
                        "or use ops.masked_fill / ops.select, which keep the shape")
    try:
        shape = tuple(np.broadcast_shapes(tuple(input.shape), tuple(mask.shape)))
    except ValueError:
        raise ValueError(f"masked_select: input shape {list(input.shape)} and mask shape {list(mask.shape)} "
                         "do not broadcast") from None
    positions = np.flatnonzero(np.broadcast_to(known, shape)).astype(np.int64)
    flat = P.reshape(P.broadcast_to(input, shape) if tuple(input.shape) != shape else input, (-1,))
    return P.gather(flat, Tensor(positions), 0)


class MaskedSelect:
    """`P.MaskedSelect()(x, mask)`: masked_select."""

    def __call__(self, input, mask):  # noqa: A002 - MindSpore's names
        return masked_select(input, mask)


def div_rounding(input, other, rounding_mode=None):  # noqa: A002
    """Tensor.div / ops.div's rounding_mode: None (true division), 'floor' (floor of the quotient) or
    'trunc' (the quotient rounded toward zero); integer inputs keep their dtype under floor / trunc."""
    if rounding_mode is None:
        return P.div(*_as_tensors(input, other))
    if rounding_mode == "floor":
        return floor_div(input, other)
    if rounding_mode == "trunc":
        x, y = _as_tensors(input, other)
        if x._dtype in _dt.FLOAT:
            return trunc(P.div(x, y))
        return P.cast(trunc(P.div(P.cast(x, _dt.float64), P.cast(y, _dt.float64))), x._dtype)
    raise ValueError(f"div: rounding_mode must be None, 'floor' or 'trunc', got {rounding_mode!r}")

"""Cumulative sums and products along an axis (attrs axis, exclusive, reverse).

cumsum is linear: its transpose is the cumsum running the other way. cumprod is the
product over a masked [n, n] expansion of the axis (prod(where(k <= i, x_k, 1)) over k),
so its derivatives are those of `prod`, which are exact with zeros in the input (no
division by x): O(n^2) memory along the axis, fine for the axis lengths of models
(sequence positions), and exact where the x / cumprod(x) forms give NaN.
"""
from __future__ import annotations

import numpy as np

from ..errors import ShapeError
from .composite import defcomposite
from .registry import Attr, defop, impl_rules, jvp_rules, vjp_rules

CUM_ATTRS = {"axis": Attr("int", 0), "exclusive": Attr("bool", False), "reverse": Attr("bool", False)}


def _cum_axis(op, x, axis):
    if x.ndim == 0 or not -x.ndim <= axis < x.ndim:
        raise ShapeError(f"{op}: axis {axis} out of range for {x}", axis=axis)
    return axis % x.ndim


def _cumsum_infer(avals, axis, exclusive, reverse):
    x = avals[0]
    if x.dtype == "bool":
        raise ShapeError(f"cumsum: needs a numeric operand, got {x}", dtype=x.dtype)
    _cum_axis("cumsum", x, axis)
    return [x]


def _cumsum_impl(xp, x, axis, exclusive, reverse):
    ax = axis % x.ndim
    if reverse:
        x = xp.flip(x, axis=ax)
    n = x.shape[ax]
    y = xp.cumulative_sum(x, axis=ax, include_initial=exclusive)
    if exclusive:
        y = y[(slice(None),) * ax + (slice(0, n), ...)]
    return xp.flip(y, axis=ax) if reverse else y


defop("cumsum", 1, _cumsum_infer, attrs=CUM_ATTRS,
      doc="running sum along `axis`; exclusive leaves out the element itself, reverse runs from the end")
impl_rules["cumsum"] = _cumsum_impl
vjp_rules["cumsum"] = lambda b, ins, outs, cts, axis, exclusive, reverse: [
    b.cumsum(cts[0], axis=axis, exclusive=exclusive, reverse=not reverse)]
jvp_rules["cumsum"] = lambda b, ins, outs, ts, **a: [b.cumsum(ts[0], **a)]


def _cumprod(b, x, *, axis, exclusive, reverse):
    ax = _cum_axis("cumprod", x.aval, axis)
    n = x.shape[ax]
    i, k = np.arange(n)[:, None], np.arange(n)[None, :]
    keep = (k >= i) if reverse else (k <= i)
    if exclusive:
        keep &= k != i
    mask_shape = (n, n) + (1,) * (x.aval.ndim - ax - 1)
    mask = b.emit1("const", value=keep.reshape(mask_shape))
    wide = x.shape[:ax] + (n, n) + x.shape[ax + 1:]
    xk = b.broadcast(b.expand_dims(x, axis=ax), wide)  # [..., i, k, ...] = x_k
    return b.prod(b.where(mask, xk, b.full(wide, 1.0, x.dtype)), axis=(ax + 1,))


defcomposite("cumprod", 1, _cumprod, attrs=CUM_ATTRS,
             doc="running product along `axis` (exclusive, reverse as cumsum); derivatives exact with zeros")

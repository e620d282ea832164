"""Cumulative sums and products along an axis (attrs axis, exclusive, reverse).

cumsum is linear: its transpose is the cumsum running the other way. cumprod is a
linear recurrence (linrec: h_t = a_t h_(t-1) + b_t, a log-depth scan), whose vjp and jvp
are linrecs again: no division by x anywhere, so every derivative is exact with zeros
in the input and precise near zero, where x-division forms give NaN or lose digits.
`prod_others` (the partials of prod: exclusive cumprods from both ends) gives `prod`
the same property.
"""
from __future__ import annotations

import numpy as np

from ._infer import conj, rule_infer
from .composite import defcomposite
from .registry import Attr, defop, impl_rules, jvp_rules, vjp_rules

CUM_ATTRS = {"axis": Attr("int", 0), "exclusive": Attr("bool", False), "reverse": Attr("bool", False)}


def _cumulative(name):
    """The kernel of cumsum / cumprod: xp.cumulative_<name> (the array API's), exclusive by its initial element."""
    def impl(xp, x, axis, exclusive, reverse):
        ax = axis % x.ndim
        if reverse:
            x = xp.flip(x, axis=ax)
        n = x.shape[ax]
        y = getattr(xp, f"cumulative_{name}")(x, axis=ax, include_initial=exclusive)
        if y.dtype != x.dtype:  # NumPy sums small integers (uint8, int8, int16) as (u)int64: keep the input's dtype
            y = xp.astype(y, x.dtype)
        if exclusive:
            y = y[(slice(None),) * ax + (slice(0, n), ...)]
        return xp.flip(y, axis=ax) if reverse else y
    return impl


_cumsum_impl = _cumulative("sum")


defop("cumsum", 1, rule_infer("cumsum"), attrs=CUM_ATTRS,
      doc="running sum along `axis`; exclusive leaves out the element itself, reverse runs from the end")
impl_rules["cumsum"] = _cumsum_impl
vjp_rules["cumsum"] = lambda b, ins, outs, cts, axis, exclusive, reverse: [
    b.cumsum(cts[0], axis=axis, exclusive=exclusive, reverse=not reverse)]
jvp_rules["cumsum"] = lambda b, ins, outs, ts, **a: [b.cumsum(ts[0], **a)]


# -- linear recurrence: h_t = a_t * h_(t-1) + b_t, h_(-1) = 0 (reverse: from the end) ---------------------
def _linrec_impl(xp, a, b, axis, reverse):
    """Hillis-Steele scan of the affine maps h -> a h + b: log2(n) rounds of whole-array ops."""
    ax = axis % a.ndim
    if reverse:
        a, b = xp.flip(a, axis=ax), xp.flip(b, axis=ax)
    n = a.shape[ax]

    def part(v, lo, hi):
        return v[(slice(None),) * ax + (slice(lo, hi), ...)]

    s = 1
    while s < n:
        at = part(a, s, n)
        b = xp.concat([part(b, 0, s), at * part(b, 0, n - s) + part(b, s, n)], axis=ax)
        a = xp.concat([part(a, 0, s), at * part(a, 0, n - s)], axis=ax)
        s *= 2
    return xp.flip(b, axis=ax) if reverse else b


def shift(b, x, axis, by):
    """x moved `by` (+1: towards the end) along axis, zero-filled."""
    pads = [(0, 0)] * x.aval.ndim
    pads[axis] = (by, -by)
    return b.pad(x, pads=tuple(pads))


def _linrec_vjp(b, ins, outs, cts, axis, reverse):
    a, h, g = ins[0], outs[0], cts[0]
    ax = axis % a.aval.ndim
    step = -1 if reverse else 1  # direction of the recurrence
    # the adjoint of h -> a h is multiplication by conj(a) (complex; a itself for real a)
    lam = b.linrec(conj(b, shift(b, a, ax, -step)), g, axis=ax, reverse=not reverse)
    return [b.mul(lam, conj(b, shift(b, h, ax, step))), lam]


def _linrec_jvp(b, ins, outs, ts, axis, reverse):
    a, h = ins[0], outs[0]
    ax = axis % a.aval.ndim
    drive = b.add_any(ts[0] and b.mul(ts[0], shift(b, h, ax, -1 if reverse else 1)), ts[1])
    return [b.linrec(a, drive, axis=ax, reverse=reverse)]


defop("linrec", 2, rule_infer("linrec"), attrs={"axis": Attr("int", 0), "reverse": Attr("bool", False)},
      doc="linear recurrence h_t = a_t * h_(t-1) + b_t along `axis` (h_(-1) = 0; reverse runs from the end); "
          "its derivatives are linrecs, so cumprod / prod built on it need no division")
impl_rules["linrec"] = _linrec_impl
vjp_rules["linrec"] = _linrec_vjp
jvp_rules["linrec"] = _linrec_jvp


def _cumprod(b, x, *, axis, exclusive, reverse):
    """h_t = x_t h_(t-1) from h_0 = x_0 (inclusive) or from 1 with x shifted by one (exclusive)."""
    ax = axis % x.aval.ndim
    n = x.shape[ax]
    if n == 0:
        return x
    first = np.zeros((n,) + (1,) * (x.aval.ndim - ax - 1), dtype=x.dtype)
    first[n - 1 if reverse else 0] = 1.0
    e = b.broadcast(b.emit1("const", value=first), x.shape)
    if exclusive:
        return b.linrec(shift(b, x, ax, -1 if reverse else 1), e, axis=ax, reverse=reverse)
    return b.linrec(x, b.mul(x, e), axis=ax, reverse=reverse)


def prod_others(b, x, axes):
    """prod over `axes` of every element but the one at each position, without division: exact with zeros
    and near zero (no out / x underflow), at every order (the derivatives are linrecs)."""
    nd = x.aval.ndim
    keep = tuple(i for i in range(nd) if i not in axes)
    perm = keep + tuple(axes)
    n = int(np.prod([x.shape[a] for a in axes], dtype=np.int64))
    if n == 0:
        return b.zeros_like(x)
    flat = b.reshape(b.transpose(x, perm=perm), shape=tuple(x.shape[i] for i in keep) + (n,))
    last = len(keep)
    p = b.mul(b.cumprod(flat, axis=last, exclusive=True), b.cumprod(flat, axis=last, exclusive=True, reverse=True))
    p = b.reshape(p, shape=tuple(x.shape[i] for i in perm))
    return b.transpose(p, perm=tuple(int(i) for i in np.argsort(perm)))


defcomposite("cumprod", 1, _cumprod, attrs=CUM_ATTRS,
             doc="running product along `axis` (exclusive, reverse as cumsum); derivatives exact with zeros")


def _cumprod_impl(xp, x, axis, exclusive, reverse):
    """The product itself where the backend has it: the linrec's scan (h = a h + b from 0) turns inf * 0 into NaN
    and -0 + 0 into +0, so cumprod([2, 3, inf, 0.5]) was [2, 6, nan, nan] (MindSpore 2.10 and NumPy: inf, inf)
    and a running -0 came back +0. The composite stays the derivative's definition."""
    if hasattr(xp, "cumulative_prod"):
        return _cumulative("prod")(xp, x, axis, exclusive, reverse)
    return _composite_impl(xp, x, axis=axis, exclusive=exclusive, reverse=reverse)


_composite_impl = impl_rules["cumprod"]
impl_rules["cumprod"] = _cumprod_impl

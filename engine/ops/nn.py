"""Neural-network ops: softmax and log_softmax along an axis.

The normalising ops are kept as single ops (not decomposed into exp/sum/div)
so their kernels can subtract the max for stability, and their derivative
rules are written with the op's own output, which keeps higher-order graphs small.
"""
from __future__ import annotations

from ._infer import rule_infer
from .composite import dtype_name
from .registry import Attr, defop, impl_rules, jvp_rules, vjp_rules


# -- softmax ------------------------------------------------------------------------------------
def _softmax_impl(xp, x, axis):
    if x.shape[axis] == 0:  # nothing to normalise: the empty result (torch, MindSpore 2.10), not max's error
        return xp.zeros_like(x)
    e = xp.exp(x - xp.max(x, axis=axis, keepdims=True))
    return e / xp.sum(e, axis=axis, keepdims=True)


def _softmax_lin(b, y, t, axis):
    """Linear map of softmax at output y: y * (t - sum(t * y)). Self-adjoint, so vjp == jvp."""
    return b.mul(y, b.sub(t, b.sum(b.mul(t, y), axis=(axis,), keepdims=True)))


defop("softmax", 1, rule_infer("softmax"), attrs={"axis": Attr("int", -1)}, doc="softmax along `axis`")
impl_rules["softmax"] = _softmax_impl
vjp_rules["softmax"] = lambda b, ins, outs, cts, axis: [_softmax_lin(b, outs[0], cts[0], axis)]
jvp_rules["softmax"] = lambda b, ins, outs, ts, axis: [_softmax_lin(b, outs[0], ts[0], axis)]


# -- log_softmax --------------------------------------------------------------------------------
def _log_softmax_impl(xp, x, axis):
    if x.shape[axis] == 0:
        return xp.zeros_like(x)
    if dtype_name(x.dtype) == "float16":  # in float32, rounded once, as MindSpore 2.10's kernel: in float16 steps
        # (x - max rounded, then its log-sum-exp) 833 of 1024 rows of 8 differed by an ulp or more, now 64
        return xp.astype(_log_softmax_impl(xp, xp.astype(x, xp.float32), axis), xp.float16)
    s = x - xp.max(x, axis=axis, keepdims=True)
    return s - xp.log(xp.sum(xp.exp(s), axis=axis, keepdims=True))


defop("log_softmax", 1, rule_infer("log_softmax"), attrs={"axis": Attr("int", -1)},
      doc="log of softmax along `axis` (stable)")
impl_rules["log_softmax"] = _log_softmax_impl
# J = I - 1 p^T with p = exp(y): vjp ct - p * sum(ct); jvp t - sum(p * t).
vjp_rules["log_softmax"] = lambda b, ins, outs, cts, axis: [
    b.sub(cts[0], b.mul(b.exp(outs[0]), b.sum(cts[0], axis=(axis,), keepdims=True)))]
jvp_rules["log_softmax"] = lambda b, ins, outs, ts, axis: [
    b.sub(ts[0], b.sum(b.mul(b.exp(outs[0]), ts[0]), axis=(axis,), keepdims=True))]

"""max_pool and avg_pool over the spatial axes of x [N, C, *spatial].

Both read windows through conv.py's geometry (window, strides, padding [[lo, hi], ...],
dilation). avg_pool is linear: its vjp spreads ct / count over each window (col2im).
max_pool sends the cotangent to the first maximum of each window (PyTorch and XLA
do the same, which matters after relu, where windows tie at zero); the choice is a
nondiff one-hot mask (max_pool_mask), so every higher derivative is exact (zero
curvature almost everywhere) and the rules are im2col / col2im / mul / sum only.
"""
from __future__ import annotations

import numpy as np

from ..shape_rules import Geom
from ._infer import rule_infer
from .conv import WINDOW_ATTRS, padded_bytes, patch_bytes, patches
from .registry import Attr, defop, impl_rules, jvp_rules, vjp_rules


def _geom(op, x_shape, window, strides, padding, dilation=None):
    return Geom(op, tuple(x_shape[2:]), window, strides, padding, dilation)


def _pool_scratch(e) -> int:
    """The window patches [N, C, K, *out] each pool impl builds, and what reducing them takes: an
    output-sized temporary (avg / max), or the arg-max and the one-hot comparison (the mask)."""
    x, y, a = e.inputs[0].aval, e.outputs[0].aval, e.attrs
    k = int(np.prod(a["window"]))
    pad = padded_bytes(x, _geom(e.op, x.shape, a["window"], a["strides"], a["padding"], a.get("dilation")))
    if e.op == "max_pool_mask":
        return pad + patch_bytes(x.shape[0], x.shape[1], 2 * k + 1, y.shape[3:], x.dtype)
    return pad + patch_bytes(x.shape[0], x.shape[1], k + 1, y.shape[2:], x.dtype)


# -- avg_pool -------------------------------------------------------------------------------------
def _counts(g: Geom, include_pad: bool) -> np.ndarray | float:
    """Divisor per output position: the window size, or the number of real (unpadded) elements."""
    if include_pad or all(lo == hi == 0 for lo, hi in g.padding):
        return float(g.k)
    ones = np.ones((1, 1) + g.spatial)
    return patches(np, ones, g).sum(axis=2)[0, 0]


def _avg_impl(xp, x, window, strides, padding, count_include_pad):
    g = _geom("avg_pool", tuple(x.shape), window, strides, padding)
    c = _counts(g, count_include_pad)
    s = xp.sum(patches(xp, x, g), axis=2)
    return s / (c if isinstance(c, float) else xp.asarray(c, dtype=x.dtype))


def _avg_vjp(b, ins, outs, cts, window, strides, padding, count_include_pad):
    x = ins[0]
    g = _geom("avg_pool", x.shape, window, strides, padding)
    c = _counts(g, count_include_pad)
    cnt = b.scalar(c, x.dtype) if isinstance(c, float) else b.emit1("const", value=c.astype(x.dtype))
    spread = b.broadcast(b.expand_dims(b.div(cts[0], cnt), axis=2), x.shape[:2] + (g.k,) + g.out)
    return [b.col2im(spread, shape=g.spatial, **g.attrs())]


AVG_ATTRS = {"window": Attr("ints"), "strides": WINDOW_ATTRS["strides"], "padding": WINDOW_ATTRS["padding"],
             "count_include_pad": Attr("bool", True)}
defop("avg_pool", 1, rule_infer("avg_pool"), attrs=AVG_ATTRS,
      doc="average over windows of x [N, C, *sp]; strides default 1; count_include_pad=false divides by the "
          "number of unpadded elements", scratch=_pool_scratch)
impl_rules["avg_pool"] = _avg_impl
vjp_rules["avg_pool"] = _avg_vjp
jvp_rules["avg_pool"] = lambda b, ins, outs, ts, **a: [b.avg_pool(ts[0], **a)]


# -- max_pool ------------------------------------------------------------------------------------------
MAX_ATTRS = {"window": Attr("ints"), **WINDOW_ATTRS}


def _max_patches(xp, x, window, strides, padding, dilation):
    g = _geom("max_pool", tuple(x.shape), window, strides, padding, dilation)
    return patches(xp, x, g, value=-float("inf")), g


def _max_impl(xp, x, window, strides, padding, dilation):
    p, _ = _max_patches(xp, x, window, strides, padding, dilation)
    return xp.max(p, axis=2)


def _mask_impl(xp, x, window, strides, padding, dilation):
    p, g = _max_patches(xp, x, window, strides, padding, dilation)
    first = xp.expand_dims(xp.argmax(p, axis=2), axis=2)  # the first maximum, as PyTorch / XLA
    k = xp.reshape(xp.arange(g.k, dtype=first.dtype), (1, 1, g.k) + (1,) * len(g.out))
    return xp.astype(k == first, x.dtype)


def _max_vjp(b, ins, outs, cts, **a):
    x = ins[0]
    g = _geom("max_pool", x.shape, a["window"], a["strides"], a["padding"], a["dilation"])
    m = b.max_pool_mask(x, **a)
    return [b.col2im(b.mul(m, b.expand_dims(cts[0], axis=2)), shape=g.spatial, **g.attrs())]


def _max_jvp(b, ins, outs, ts, **a):
    x = ins[0]
    g = _geom("max_pool", x.shape, a["window"], a["strides"], a["padding"], a["dilation"])
    m = b.max_pool_mask(x, **a)
    return [b.sum(b.mul(m, b.im2col(ts[0], **g.attrs())), axis=(2,))]


defop("max_pool", 1, rule_infer("max_pool"), attrs=MAX_ATTRS,
      doc="maximum over windows of x [N, C, *sp] (padding never wins); strides default 1; the gradient goes "
          "to the first maximum of each window", scratch=_pool_scratch)
impl_rules["max_pool"] = _max_impl
vjp_rules["max_pool"] = _max_vjp
jvp_rules["max_pool"] = _max_jvp

defop("max_pool_mask", 1, rule_infer("max_pool_mask"), attrs=MAX_ATTRS, nondiff=True,
      doc="one-hot [N, C, prod(window), *out] of the first maximum of each max_pool window (x's dtype)",
      scratch=_pool_scratch)
impl_rules["max_pool_mask"] = _mask_impl

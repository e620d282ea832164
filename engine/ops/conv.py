"""Convolution (N-d, strides, padding, dilation, groups), its transpose, and the two
linear window ops they are built on: im2col (windows of x as an axis) and col2im
(its transpose, summing windows back).

Layout: x [N, C, *spatial], weight [O, C / groups, *window] (PyTorch / ONNX);
padding [[lo, hi], ...] per spatial axis (non-negative).

conv(x, w) = W @ im2col(x) per group, so its derivatives are matmuls with im2col /
col2im: d/dx = col2im(W^T ct), d/dw = sum_n ct @ im2col(x)^T. conv_transpose is the
adjoint of conv in x, so d/dy conv_transpose = conv. Every rule emits only ops that
have rules themselves, so derivatives of any order stay windows and matmuls.
"""
from __future__ import annotations

import itertools
import math

import numpy as np

from ..shape_rules import Geom, conv_transpose_shape
from ._infer import rule_infer
from .registry import Attr, defop, impl_rules, jvp_rules, vjp_rules

WINDOW_ATTRS = {"strides": Attr("ints", None, optional=True), "padding": Attr("any", None, optional=True),
                "dilation": Attr("ints", None, optional=True)}


# -- kernels (array API) ---------------------------------------------------------------------------
def pad_spatial(xp, x, padding, value=0.0):
    if all(lo == 0 and hi == 0 for lo, hi in padding):
        return x
    shape = tuple(x.shape[:2]) + tuple(n + lo + hi for n, (lo, hi) in zip(x.shape[2:], padding))
    out = xp.full(shape, value, dtype=x.dtype)
    out[(slice(None), slice(None)) + tuple(slice(lo, lo + n) for n, (lo, _) in zip(x.shape[2:], padding))] = x
    return out


def _offsets(g: Geom):
    """Per window position: the strided slice of the padded input it reads."""
    for kk in itertools.product(*(range(k) for k in g.window)):
        yield tuple(slice(i * dl, i * dl + (o - 1) * s + 1, s) for i, dl, o, s in zip(kk, g.dilation, g.out, g.strides))


def patches(xp, x, g: Geom, value=0.0):
    """[N, C, K, *out]: the K window elements of every output position."""
    xpad = pad_spatial(xp, x, g.padding, value)
    return xp.stack([xpad[(slice(None), slice(None)) + sl] for sl in _offsets(g)], axis=2)


def unpatches(xp, p, g: Geom):
    """Transpose of `patches`: add every window element back to its input position."""
    n, c = p.shape[:2]
    padded = tuple(s + lo + hi for s, (lo, hi) in zip(g.spatial, g.padding))
    buf = xp.zeros((n, c) + padded, dtype=p.dtype)
    # Window elements last to first: each input position then sums its windows in ascending output order,
    # as MindSpore's CPU kernels (and PyTorch's) do; the float32 sum's last bit depends on the order.
    for i, sl in reversed(list(enumerate(_offsets(g)))):
        idx = (slice(None), slice(None)) + sl
        buf[idx] = buf[idx] + p[:, :, i, ...]
    return buf[(slice(None), slice(None)) + tuple(slice(lo, lo + s) for s, (lo, _) in zip(g.spatial, g.padding))]


def _conv_geom(op, x_shape, w_shape, strides, padding, dilation):
    return Geom(op, x_shape[2:], w_shape[2:], strides, padding, dilation)


def _conv_impl(xp, x, w, strides, padding, dilation, groups):
    g = _conv_geom("conv", tuple(x.shape), tuple(w.shape), strides, padding, dilation)
    return conv_fwd(_Arrays(xp), x, w, g, groups)


def _conv_t_impl(xp, y, w, strides, padding, dilation, groups, output_padding):
    x_shape = conv_transpose_shape("conv_transpose", tuple(y.shape), tuple(w.shape), strides, padding, dilation, groups,
                            output_padding)
    g = _conv_geom("conv_transpose", x_shape, tuple(w.shape), strides, padding, dilation)
    return conv_adj_x(_Arrays(xp), y, w, x_shape, g, groups)


# -- the algebra, once for kernels (arrays) and rules (graph ops) --------------------------------------
# Per group, conv is one plain matmul W [Og, Cg*K] @ P [Cg*K, N*Y] (no broadcast batch axis: NumPy's
# matmul falls off BLAS for those). to_gmat / from_gmat move between [N, G*A, *sp] and [G, A, N*sp].
class _Arrays:
    def __init__(self, xp):
        self.xp = xp

    def reshape(self, v, shape):
        return self.xp.reshape(v, tuple(shape))

    def transpose(self, v, perm):
        return self.xp.permute_dims(v, tuple(perm))

    def matmul(self, a, c, ta=False, tb=False):
        mt = self.xp.matrix_transpose
        return self.xp.matmul(mt(a) if ta else a, mt(c) if tb else c)

    def im2col(self, x, g):
        return patches(self.xp, x, g)

    def col2im(self, p, g):
        return unpatches(self.xp, p, g)


class _GraphOps:
    def __init__(self, b):
        self.b = b

    def reshape(self, v, shape):
        return self.b.reshape(v, shape=tuple(shape))

    def transpose(self, v, perm):
        return self.b.transpose(v, perm=tuple(perm))

    def matmul(self, a, c, ta=False, tb=False):
        return self.b.matmul(a, c, transpose_a=ta, transpose_b=tb)

    def im2col(self, x, g):
        return self.b.im2col(x, **g.attrs())

    def col2im(self, p, g):
        return self.b.col2im(p, shape=g.spatial, **g.attrs())


def to_gmat(o, v, groups):
    """[N, G*A, *sp] -> [G, A, N*prod(sp)]."""
    n, ch = v.shape[:2]
    sp = math.prod(v.shape[2:])
    v = o.transpose(o.reshape(v, (n, groups, ch // groups, sp)), (1, 2, 0, 3))
    return o.reshape(v, (groups, ch // groups, n * sp))


def from_gmat(o, m, n, sp):
    """[G, A, N*prod(sp)] -> [N, G*A, *sp]."""
    groups, a = m.shape[:2]
    m = o.transpose(o.reshape(m, (groups, a, n, math.prod(sp))), (2, 0, 1, 3))
    return o.reshape(m, (n, groups * a) + tuple(sp))


def w_mat(o, w, groups):
    return o.reshape(w, (groups, w.shape[0] // groups, math.prod(w.shape[1:])))


def patch_mat(o, x, g: Geom, groups):
    """im2col(x) as [G, Cg*K, N*Y] (channel-major, then window: the weight's order)."""
    n, c = x.shape[:2]
    return to_gmat(o, o.reshape(o.im2col(x, g), (n, c * g.k) + g.out), groups)


def conv_fwd(o, x, w, g: Geom, groups):
    return from_gmat(o, o.matmul(w_mat(o, w, groups), patch_mat(o, x, g, groups)), x.shape[0], g.out)


def conv_adj_x(o, y, w, x_shape, g: Geom, groups):
    """col2im(W^T y): the adjoint of conv in x (conv_transpose)."""
    n, c = x_shape[:2]
    p = from_gmat(o, o.matmul(w_mat(o, w, groups), to_gmat(o, y, groups), ta=True), n, g.out)
    return o.col2im(o.reshape(p, (n, c, g.k) + g.out), g)


def conv_adj_w(o, x, y, w_shape, g: Geom, groups):
    """y @ im2col(x)^T per group, summed over the batch by the matmul: the adjoint of conv in w."""
    return o.reshape(o.matmul(to_gmat(o, y, groups), patch_mat(o, x, g, groups), tb=True), w_shape)


def _conv_vjp(b, ins, outs, cts, strides, padding, dilation, groups):
    x, w = ins
    g = _conv_geom("conv", x.shape, w.shape, strides, padding, dilation)
    o = _GraphOps(b)
    return [conv_adj_x(o, cts[0], w, x.shape, g, groups), conv_adj_w(o, x, cts[0], w.shape, g, groups)]


def _conv_jvp(b, ins, outs, ts, strides, padding, dilation, groups):
    x, w = ins
    kw = dict(strides=strides, padding=padding, dilation=dilation, groups=groups)
    return [b.add_any(ts[0] and b.conv(ts[0], w, **kw), ts[1] and b.conv(x, ts[1], **kw))]


def _conv_t_vjp(b, ins, outs, cts, strides, padding, dilation, groups, output_padding):
    y, w = ins
    z = outs[0]
    g = _conv_geom("conv_transpose", z.shape, w.shape, strides, padding, dilation)
    dy = b.conv(cts[0], w, strides=strides, padding=padding, dilation=dilation, groups=groups)
    return [dy, conv_adj_w(_GraphOps(b), cts[0], y, w.shape, g, groups)]


def _conv_t_jvp(b, ins, outs, ts, strides, padding, dilation, groups, output_padding):
    y, w = ins
    kw = dict(strides=strides, padding=padding, dilation=dilation, groups=groups, output_padding=output_padding)
    return [b.add_any(ts[0] and b.conv_transpose(ts[0], w, **kw), ts[1] and b.conv_transpose(y, ts[1], **kw))]


CONV_ATTRS = {**WINDOW_ATTRS, "groups": Attr("int", 1)}


def patch_bytes(n: int, c: int, k: int, out, dtype: str, copies: int = 1) -> int:
    """Bytes of `copies` window-patch arrays [N, C, K, *out] (im2col's, built inside an impl)."""
    return copies * n * c * k * math.prod(out) * np.dtype(dtype).itemsize


def padded_bytes(x, g: Geom) -> int:
    """Bytes of x [N, C, *sp] padded (pad_spatial's copy)."""
    return x.shape[0] * x.shape[1] * math.prod(s + lo + hi for s, (lo, hi) in zip(x.shape[2:], g.padding)) * \
        np.dtype(x.dtype).itemsize


def _conv_scratch(e) -> int:
    """conv: the patches of x, then their [G, Cg*K, N*Y] matmul layout; conv_transpose: W^T y in that
    layout, then the padded buffer col2im sums it into. Either way two patch-sized arrays."""
    w = e.inputs[1].aval
    x, y = (e.inputs[0].aval, e.outputs[0].aval) if e.op == "conv" else (e.outputs[0].aval, e.inputs[0].aval)
    a = e.attrs
    g = _conv_geom(e.op, tuple(x.shape), tuple(w.shape), a["strides"], a["padding"], a["dilation"])
    return patch_bytes(x.shape[0], x.shape[1], math.prod(w.shape[2:]), y.shape[2:], x.dtype, copies=2) + \
        padded_bytes(x, g)


def _conv_flops(e) -> int:
    """2 C/groups * window per element of the convolution's output (conv_transpose: of its input, the output
    of the convolution it is the adjoint of); weight [O, C/groups, *window]."""
    w = e.inputs[1].aval
    per = w.size // max(w.shape[0], 1)
    return 2 * per * (e.outputs[0].aval.size if e.op == "conv" else e.inputs[0].aval.size)


defop("conv", 2, rule_infer("conv"), attrs=CONV_ATTRS,
      doc="N-d convolution (cross-correlation) of x [N, C, *sp] with weight [O, C/groups, *window]; "
          "strides, padding [[lo, hi], ...], dilation, groups (PyTorch / ONNX Conv)", scratch=_conv_scratch,
      flops=_conv_flops)
impl_rules["conv"] = _conv_impl
vjp_rules["conv"] = _conv_vjp
jvp_rules["conv"] = _conv_jvp

defop("conv_transpose", 2, rule_infer("conv_transpose"),
      attrs={**CONV_ATTRS, "output_padding": Attr("ints", None, optional=True)},
      doc="transposed convolution (the adjoint of conv in x): y [N, C_in, *sp], weight [C_in, C_out/groups, "
          "*window]; output spatial (n-1)*stride - lo - hi + dilation*(k-1) + 1 + output_padding "
          "(PyTorch conv_transpose / ONNX ConvTranspose)", scratch=_conv_scratch, flops=_conv_flops)
impl_rules["conv_transpose"] = _conv_t_impl
vjp_rules["conv_transpose"] = _conv_t_vjp
jvp_rules["conv_transpose"] = _conv_t_jvp


# -- im2col / col2im ---------------------------------------------------------------------------------
_IM_ATTRS = {"window": Attr("ints"), **WINDOW_ATTRS}


defop("im2col", 1, rule_infer("im2col"), attrs=_IM_ATTRS,
      doc="windows of x [N, C, *sp] as an axis: [N, C, prod(window), *out] (zero padding); linear")
impl_rules["im2col"] = lambda xp, x, window, strides, padding, dilation: patches(
    xp, x, Geom("im2col", tuple(x.shape[2:]), window, strides, padding, dilation))
vjp_rules["im2col"] = lambda b, ins, outs, cts, **a: [b.col2im(cts[0], shape=tuple(ins[0].shape[2:]), **a)]
jvp_rules["im2col"] = lambda b, ins, outs, ts, **a: [b.im2col(ts[0], **a)]

defop("col2im", 1, rule_infer("col2im"), attrs={"shape": Attr("shape"), **_IM_ATTRS},
      doc="the transpose of im2col: sum window elements back into spatial `shape`")
impl_rules["col2im"] = lambda xp, p, shape, window, strides, padding, dilation: unpatches(
    xp, p, Geom("col2im", tuple(shape), window, strides, padding, dilation))
vjp_rules["col2im"] = lambda b, ins, outs, cts, shape, **a: [b.im2col(cts[0], **a)]
jvp_rules["col2im"] = lambda b, ins, outs, ts, shape, **a: [b.col2im(ts[0], shape=shape, **a)]

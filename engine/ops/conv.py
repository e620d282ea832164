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

from ..errors import ShapeError
from ..ir import AVal, is_float
from .registry import Attr, defop, impl_rules, jvp_rules, vjp_rules

WINDOW_ATTRS = {"strides": Attr("ints", None, optional=True), "padding": Attr("any", None, optional=True),
                "dilation": Attr("ints", None, optional=True)}


class Geom:
    """Window geometry over the spatial axes of x (everything normalised)."""

    def __init__(self, op, spatial, window, strides, padding, dilation):
        d = len(spatial)
        self.spatial, self.window = tuple(spatial), tuple(window)
        self.strides = tuple(strides) if strides is not None else (1,) * d
        self.dilation = tuple(dilation) if dilation is not None else (1,) * d
        self.padding = _norm_padding(op, padding, d)
        for name, v in (("window", self.window), ("strides", self.strides), ("dilation", self.dilation)):
            if len(v) != d or any(not isinstance(i, int) or i < 1 for i in v):
                raise ShapeError(f"{op}: {name} {list(v)} must be {d} positive integer(s), one per spatial axis",
                                 **{name: list(v)})
        self.out = tuple((n + lo + hi - dl * (k - 1) - 1) // s + 1 for n, (lo, hi), k, s, dl in
                         zip(spatial, self.padding, self.window, self.strides, self.dilation))
        if any(o < 1 for o in self.out):
            raise ShapeError(f"{op}: window {list(self.window)} (dilation {list(self.dilation)}) does not fit "
                             f"spatial shape {list(spatial)} with padding {[list(p) for p in self.padding]}",
                             shape=list(spatial))
        self.k = math.prod(self.window)

    def attrs(self):
        return {"window": self.window, "strides": self.strides, "padding": self.padding, "dilation": self.dilation}


def _norm_padding(op, padding, d):
    if padding is None:
        return ((0, 0),) * d
    ok = isinstance(padding, (list, tuple)) and len(padding) == d and all(
        isinstance(p, (list, tuple)) and len(p) == 2 and all(isinstance(v, int) and not isinstance(v, bool) and v >= 0
                                                             for v in p) for p in padding)
    if not ok:
        raise ShapeError(f"{op}: padding {padding!r} must be [[lo, hi], ...] of non-negative integers, "
                         f"one pair per spatial axis ({d})", padding=str(padding))
    return tuple((int(lo), int(hi)) for lo, hi in padding)


def _need_float(op, *avals):
    for a in avals:
        if not is_float(a.dtype):
            raise ShapeError(f"{op}: needs floating-point operands, got {a}", dtype=a.dtype)
    if len({a.dtype for a in avals}) > 1:
        raise ShapeError(f"{op}: operand dtypes differ: {', '.join(map(str, avals))}")


def _need_rank(op, x, what="x"):
    if x.ndim < 3:
        raise ShapeError(f"{op}: {what} must be [N, C, *spatial] with at least one spatial axis, got {x}",
                         shape=list(x.shape))


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
    for i, sl in enumerate(_offsets(g)):
        idx = (slice(None), slice(None)) + sl
        buf[idx] = buf[idx] + p[:, :, i, ...]
    return buf[(slice(None), slice(None)) + tuple(slice(lo, lo + s) for s, (lo, _) in zip(g.spatial, g.padding))]


def _conv_geom(op, x_shape, w_shape, strides, padding, dilation):
    return Geom(op, x_shape[2:], w_shape[2:], strides, padding, dilation)


def _conv_impl(xp, x, w, strides, padding, dilation, groups):
    g = _conv_geom("conv", tuple(x.shape), tuple(w.shape), strides, padding, dilation)
    n, c = x.shape[:2]
    o = w.shape[0]
    p = xp.reshape(patches(xp, x, g), (n, groups, c // groups * g.k, math.prod(g.out)))
    wr = xp.reshape(w, (1, groups, o // groups, c // groups * g.k))
    return xp.reshape(xp.matmul(wr, p), (n, o) + g.out)


def _conv_t_impl(xp, y, w, strides, padding, dilation, groups, output_padding):
    x_shape = _conv_t_shape("conv_transpose", tuple(y.shape), tuple(w.shape), strides, padding, dilation, groups,
                            output_padding)
    g = _conv_geom("conv_transpose", x_shape, tuple(w.shape), strides, padding, dilation)
    n, o = y.shape[:2]
    c = x_shape[1]
    yr = xp.reshape(y, (n, groups, o // groups, math.prod(g.out)))
    wr = xp.reshape(w, (1, groups, o // groups, c // groups * g.k))
    p = xp.matmul(xp.matrix_transpose(wr), yr)
    return unpatches(xp, xp.reshape(p, (n, c, g.k) + g.out), g)


# -- shape rules -------------------------------------------------------------------------------------
def _conv_check(op, x, w, groups):
    _need_float(op, x, w)
    _need_rank(op, x)
    if w.ndim != x.ndim:
        raise ShapeError(f"{op}: weight {w} must be [O, C/groups, *window] of rank {x.ndim} like x {x}",
                         shapes=[list(x.shape), list(w.shape)])
    if groups < 1 or w.shape[0] % groups:
        raise ShapeError(f"{op}: groups={groups} must be >= 1 and divide the weight's first axis {w.shape[0]}",
                         groups=groups)


def _conv_infer(avals, strides, padding, dilation, groups):
    x, w = avals
    _conv_check("conv", x, w, groups)
    if x.shape[1] != w.shape[1] * groups:
        raise ShapeError(f"conv: x has {x.shape[1]} channels but weight {w} with groups={groups} expects "
                         f"{w.shape[1] * groups}", shapes=[list(x.shape), list(w.shape)])
    g = _conv_geom("conv", x.shape, w.shape, strides, padding, dilation)
    return [AVal((x.shape[0], w.shape[0]) + g.out, x.dtype)]


def _conv_t_shape(op, y_shape, w_shape, strides, padding, dilation, groups, output_padding):
    d = len(y_shape) - 2
    s = tuple(strides) if strides is not None else (1,) * d
    dl = tuple(dilation) if dilation is not None else (1,) * d
    pads = _norm_padding(op, padding, d)
    op_ = tuple(output_padding) if output_padding is not None else (0,) * d
    if len(op_) != d or any(not 0 <= a < st for a, st in zip(op_, s)):
        raise ShapeError(f"{op}: output_padding {list(op_)} must be {d} integer(s), each in [0, stride)",
                         output_padding=list(op_))
    spatial = tuple((n - 1) * st - lo - hi + dd * (k - 1) + 1 + a
                    for n, st, (lo, hi), dd, k, a in zip(y_shape[2:], s, pads, dl, w_shape[2:], op_))
    if any(v < 1 for v in spatial):
        raise ShapeError(f"{op}: padding {[list(p) for p in pads]} leaves no output for input {list(y_shape)}",
                         shape=list(y_shape))
    return (y_shape[0], w_shape[1] * groups) + spatial


def _conv_t_infer(avals, strides, padding, dilation, groups, output_padding):
    y, w = avals
    _conv_check("conv_transpose", y, w, groups)
    if y.shape[1] != w.shape[0]:
        raise ShapeError(f"conv_transpose: input has {y.shape[1]} channels but weight {w} expects {w.shape[0]} "
                         "(weight layout [C_in, C_out/groups, *window])", shapes=[list(y.shape), list(w.shape)])
    x_shape = _conv_t_shape("conv_transpose", y.shape, w.shape, strides, padding, dilation, groups, output_padding)
    _conv_geom("conv_transpose", x_shape, w.shape, strides, padding, dilation)
    return [AVal(x_shape, y.dtype)]


# -- graph-level pieces of the rules -------------------------------------------------------------------
def _grouped(b, v, groups):
    """[N, G*A, *sp] -> [N, G, A, prod(sp)]."""
    n, ch = v.shape[:2]
    return b.reshape(v, shape=(n, groups, ch // groups, math.prod(v.shape[2:])))


def _w_mat(b, w, groups):
    return b.reshape(w, shape=(1, groups, w.shape[0] // groups, math.prod(w.shape[1:])))


def _patch_mat(b, x, g: Geom, groups):
    p = b.im2col(x, **g.attrs())
    n, c = x.shape[:2]
    return b.reshape(p, shape=(n, groups, c // groups * g.k, math.prod(g.out)))


def _input_grad(b, ctr, w, x_shape, g: Geom, groups):
    """col2im(W^T ct): the adjoint of conv in x (ctr: grouped cotangent of the conv output)."""
    p = b.matmul(_w_mat(b, w, groups), ctr, transpose_a=True)
    n, c = x_shape[:2]
    return b.col2im(b.reshape(p, shape=(n, c, g.k) + g.out), shape=tuple(x_shape[2:]), **g.attrs())


def _weight_grad(b, x, ctr, w_shape, g: Geom, groups):
    """sum_n ct @ im2col(x)^T: the adjoint of conv in w."""
    dw = b.matmul(ctr, _patch_mat(b, x, g, groups), transpose_b=True)
    return b.reshape(b.sum(dw, axis=(0,)), shape=tuple(w_shape))


def _conv_vjp(b, ins, outs, cts, strides, padding, dilation, groups):
    x, w = ins
    g = _conv_geom("conv", x.shape, w.shape, strides, padding, dilation)
    ctr = _grouped(b, cts[0], groups)
    return [_input_grad(b, ctr, w, x.shape, g, groups), _weight_grad(b, x, ctr, w.shape, g, groups)]


def _conv_jvp(b, ins, outs, ts, strides, padding, dilation, groups):
    x, w = ins
    kw = dict(strides=strides, padding=padding, dilation=dilation, groups=groups)
    return [b.add_any(ts[0] and b.conv(ts[0], w, **kw), ts[1] and b.conv(x, ts[1], **kw))]


def _conv_t_vjp(b, ins, outs, cts, strides, padding, dilation, groups, output_padding):
    y, w = ins
    z = outs[0]
    g = _conv_geom("conv_transpose", z.shape, w.shape, strides, padding, dilation)
    dy = b.conv(cts[0], w, strides=strides, padding=padding, dilation=dilation, groups=groups)
    return [dy, _weight_grad(b, cts[0], _grouped(b, y, groups), w.shape, g, groups)]


def _conv_t_jvp(b, ins, outs, ts, strides, padding, dilation, groups, output_padding):
    y, w = ins
    kw = dict(strides=strides, padding=padding, dilation=dilation, groups=groups, output_padding=output_padding)
    return [b.add_any(ts[0] and b.conv_transpose(ts[0], w, **kw), ts[1] and b.conv_transpose(y, ts[1], **kw))]


CONV_ATTRS = {**WINDOW_ATTRS, "groups": Attr("int", 1)}

defop("conv", 2, _conv_infer, attrs=CONV_ATTRS,
      doc="N-d convolution (cross-correlation) of x [N, C, *sp] with weight [O, C/groups, *window]; "
          "strides, padding [[lo, hi], ...], dilation, groups (PyTorch / ONNX Conv)")
impl_rules["conv"] = _conv_impl
vjp_rules["conv"] = _conv_vjp
jvp_rules["conv"] = _conv_jvp

defop("conv_transpose", 2, _conv_t_infer, attrs={**CONV_ATTRS, "output_padding": Attr("ints", None, optional=True)},
      doc="transposed convolution (the adjoint of conv in x): y [N, C_in, *sp], weight [C_in, C_out/groups, "
          "*window]; output spatial (n-1)*stride - lo - hi + dilation*(k-1) + 1 + output_padding "
          "(PyTorch conv_transpose / ONNX ConvTranspose)")
impl_rules["conv_transpose"] = _conv_t_impl
vjp_rules["conv_transpose"] = _conv_t_vjp
jvp_rules["conv_transpose"] = _conv_t_jvp


# -- im2col / col2im ---------------------------------------------------------------------------------
_IM_ATTRS = {"window": Attr("ints"), **WINDOW_ATTRS}


def _im2col_infer(avals, window, strides, padding, dilation):
    x = avals[0]
    _need_rank("im2col", x)
    g = Geom("im2col", x.shape[2:], window, strides, padding, dilation)
    return [AVal(x.shape[:2] + (g.k,) + g.out, x.dtype)]


def _col2im_infer(avals, shape, window, strides, padding, dilation):
    p = avals[0]
    g = Geom("col2im", shape, window, strides, padding, dilation)
    if p.ndim != 3 + len(shape) or p.shape[2:] != (g.k,) + g.out:
        raise ShapeError(f"col2im: input {p} must be [N, C, {g.k}, *{list(g.out)}] for spatial shape {list(shape)}",
                         shape=list(p.shape))
    return [AVal(p.shape[:2] + tuple(shape), p.dtype)]


defop("im2col", 1, _im2col_infer, attrs=_IM_ATTRS,
      doc="windows of x [N, C, *sp] as an axis: [N, C, prod(window), *out] (zero padding); linear")
impl_rules["im2col"] = lambda xp, x, window, strides, padding, dilation: patches(
    xp, x, Geom("im2col", tuple(x.shape[2:]), window, strides, padding, dilation))
vjp_rules["im2col"] = lambda b, ins, outs, cts, **a: [b.col2im(cts[0], shape=tuple(ins[0].shape[2:]), **a)]
jvp_rules["im2col"] = lambda b, ins, outs, ts, **a: [b.im2col(ts[0], **a)]

defop("col2im", 1, _col2im_infer, attrs={"shape": Attr("shape"), **_IM_ATTRS},
      doc="the transpose of im2col: sum window elements back into spatial `shape`")
impl_rules["col2im"] = lambda xp, p, shape, window, strides, padding, dilation: unpatches(
    xp, p, Geom("col2im", tuple(shape), window, strides, padding, dilation))
vjp_rules["col2im"] = lambda b, ins, outs, cts, shape, **a: [b.im2col(cts[0], **a)]
jvp_rules["col2im"] = lambda b, ins, outs, ts, shape, **a: [b.col2im(ts[0], shape=shape, **a)]

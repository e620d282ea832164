"""ops.deformable_conv2d (MindSpore 2.10's, deformable convolution v2) on the importers' DeformConv composite
(importers/_shared/onnx_detection.deform_conv: the bilinear reads of each kernel tap, the mask, the grouped
product), one definition for ONNX's DeformConv, torchvision's deform_conv2d and this. MindSpore's offsets are
[N, 3 * deformable_groups * kh * kw, H_out, W_out] in blocks (offset_x, offset_y, mask); the composite takes
(dy, dx) pairs and the mask apart. Its derivatives (input, weight, offsets, bias) are the composite's."""
from __future__ import annotations

from typing import Any

import numpy as np

from .._tensor import Tensor
from ._primitives import Primitive
from ._tensor_writer import writer_class

__all__ = ["deformable_conv2d", "DeformableOffsets"]  # (DeformableOffsetsGrad: in _grad_ops only, as MindSpore)


def _four(name: str, v, nc_one: bool) -> tuple:
    if not isinstance(v, (tuple, list)) or len(v) != 4 or not all(isinstance(i, int) for i in v):
        raise ValueError(f"For 'deformable_conv2d', '{name}' must be a tuple of 4 ints, but got {v!r}")
    if nc_one and (v[0] != 1 or v[1] != 1):
        raise ValueError(f"For 'deformable_conv2d', '{name}' must be 1 on the N and C dimensions, but got {v!r}")
    return tuple(v)


def _check(x, weight, offsets, kernel_size, groups: int, dg: int, modulated: bool) -> None:
    if not all(isinstance(t, Tensor) for t in (x, weight, offsets)):
        raise TypeError("For 'deformable_conv2d', 'x', 'weight' and 'offsets' must be Tensors")
    if not modulated:
        raise ValueError("For 'deformable_conv2d', only 'modulated' True (deformable convolution v2) is "
                         "supported, as MindSpore 2.10")
    if x.ndim != 4 or weight.ndim != 4 or offsets.ndim != 4:
        raise ValueError(f"For 'deformable_conv2d', 'x', 'weight' and 'offsets' must be 4-D, but got "
                         f"{list(x.shape)}, {list(weight.shape)} and {list(offsets.shape)}")
    kh, kw = tuple(kernel_size)
    if tuple(weight.shape[2:]) != (kh, kw):
        raise ValueError(f"For 'deformable_conv2d', 'kernel_size' {tuple(kernel_size)} must match the weight's "
                         f"{list(weight.shape)}")
    if offsets.shape[1] != 3 * dg * kh * kw or offsets.shape[0] != x.shape[0]:
        raise ValueError(f"For 'deformable_conv2d', 'offsets' must be [N, 3 * deformable_groups * kh * kw, H_out, "
                         f"W_out] = [{x.shape[0]}, {3 * dg * kh * kw}, ...], but got {list(offsets.shape)}")
    if x.shape[1] % groups or x.shape[1] % dg or weight.shape[0] % groups or weight.shape[1] * groups != x.shape[1]:
        raise ValueError(f"For 'deformable_conv2d', the channels of x {list(x.shape)} and weight "
                         f"{list(weight.shape)} must split into groups={groups} and deformable_groups={dg}")


def _check_output_size(x, offsets, kernel_size, st: tuple, pad: tuple, dil: tuple) -> None:
    """The offsets' H, W are the output's: (H + top + bottom - (dh (kh - 1) + 1)) // sh + 1, W alike (MindSpore
    refuses others; the composite would read them at positions of another output)."""
    want = tuple((size + lo + hi - (d * (k - 1) + 1)) // s + 1 for size, lo, hi, k, s, d in
                 zip(x.shape[2:], pad[0::2], pad[1::2], tuple(kernel_size), st[2:], dil[2:]))
    got = tuple(offsets.shape[2:])
    if got != want:
        raise ValueError(f"For 'deformable_conv2d', the H and W dims of offsets input should be equal to the computed "
                         f"H and W dims of the output of deformable_conv2d. But got H and W dims of offsets input: "
                         f"{got}, computed H and W dims of the output of deformable_conv2d: {want}.")


def deformable_conv2d(x, weight, offsets, kernel_size, strides, padding, bias=None, dilations=(1, 1, 1, 1),
                      groups=1, deformable_groups=1, modulated=True):
    """MindSpore's ops.deformable_conv2d: strides / dilations (1, 1, sh, sw), padding (top, bottom, left,
    right); the output's spatial size is offsets'."""
    from ..importers._shared.onnx_detection import deform_conv
    st, dil = _four("strides", strides, True), _four("dilations", dilations, True)
    pad = _four("padding", padding, False)
    dg = int(deformable_groups)
    _check(x, weight, offsets, kernel_size, int(groups), dg, bool(modulated))
    _check_output_size(x, offsets, kernel_size, st, pad, dil)
    n, _, oh, ow = offsets.shape
    k = weight.shape[2] * weight.shape[3]
    w = writer_class()()
    dx, dy, mask = w.split(w.put(offsets.astype(x.dtype)), [dg * k] * 3, 1)
    yx = w.reshape(w.stack([w.reshape(v, [n, dg, k, oh, ow]) for v in (dy, dx)], 3), [n, dg * k * 2, oh, ow])
    out = deform_conv(w, w.put(x), w.put(weight.astype(x.dtype)), yx,
                      None if bias is None else w.put(bias.astype(x.dtype)), mask,
                      strides=[st[2], st[3]], pads=[pad[0], pad[2]], dilations=[dil[2], dil[3]],
                      groups=int(groups), offset_groups=dg)
    return w.tensors[out]


class DeformableOffsets(Primitive):
    """nn_ops.DeformableOffsets(strides, pads, ksize, dilations=(1, 1, 1, 1), data_format='NCHW',
    deformable_groups=1, modulated=True)(x, offsets): the bilinear reads deformable_conv2d multiplies by its
    weight, [N, C, H_out * kh, W_out * kw] (output pixel (a, b)'s tap (i, j) at [a * kh + i, b * kw + j]), masked.
    Composed as deformable_conv2d with a one-hot kernel per channel and tap (groups = C), so its values, gradients
    and vmap are that composite's (checked against MindSpore 2.10's CPU kernel)."""

    op = "deformable_offsets"  # (no engine op of that name: composed in __call__)

    def __init__(self, strides, pads, ksize, dilations=(1, 1, 1, 1), data_format="NCHW", deformable_groups=1,
                 modulated=True):
        if data_format != "NCHW":
            raise ValueError(f"For 'DeformableOffsets', only data_format 'NCHW' is supported (MindSpore 2.10's CPU "
                             f"kernel), but got {data_format!r}")
        if not isinstance(ksize, (tuple, list)) or len(ksize) != 2 or not all(isinstance(k, int) and k > 0
                                                                             for k in ksize):
            raise ValueError(f"For 'DeformableOffsets', 'ksize' must be a tuple of 2 positive ints, but got {ksize!r}")
        self.name = "DeformableOffsets"
        self.attrs = {"strides": tuple(strides), "pads": tuple(pads), "ksize": tuple(ksize),
                      "dilations": tuple(dilations), "data_format": data_format,
                      "deformable_groups": int(deformable_groups), "modulated": bool(modulated)}

    def __call__(self, x, offsets):
        a = self.attrs
        if not isinstance(x, Tensor) or x.ndim != 4:
            raise ValueError(f"For 'DeformableOffsets', 'x' must be a 4-D Tensor, but got "
                             f"{list(x.shape) if isinstance(x, Tensor) else type(x).__name__}")
        (kh, kw), c = a["ksize"], x.shape[1]
        k = kh * kw
        taps = np.tile(np.eye(k, dtype=np.float32), (c, 1)).reshape(c * k, 1, kh, kw)
        one_hot = Tensor(taps).astype(x.dtype)  # channel c, tap t -> output channel c * k + t
        cols = deformable_conv2d(x, one_hot, offsets, (kh, kw), a["strides"], a["pads"], None, a["dilations"],
                                 groups=c, deformable_groups=a["deformable_groups"], modulated=a["modulated"])
        n, _, oh, ow = cols.shape
        cols = cols.reshape((n, c, kh, kw, oh, ow)).transpose((0, 1, 4, 2, 5, 3))
        return cols.reshape((n, c, oh * kh, ow * kw))


class DeformableOffsetsGrad:
    """_grad_ops.DeformableOffsetsGrad(strides, pads, ksize, dilations=(1, 1, 1, 1), data_format='NCHW',
    deformable_groups=1, modulated=True)(dout, x, offsets) -> (dx, doffsets): DeformableOffsets' derivative (its
    vjp). As MindSpore 2.10's CPU kernel, the output pixels are those offsets holds (H_o x W_o, which may be fewer
    than x gives: the rest take zero offsets and a zero dout here), NHWC is taken too (transposed to NCHW), and
    float16 is computed in float32."""

    def __init__(self, strides, pads, ksize, dilations=(1, 1, 1, 1), data_format="NCHW", deformable_groups=1,
                 modulated=True):
        if data_format not in ("NCHW", "NHWC"):
            raise ValueError(f"For 'DeformableOffsetsGrad', 'data_format' must be 'NCHW' or 'NHWC', but got "
                             f"{data_format!r}")
        self.nhwc = data_format == "NHWC"
        to_nchw = (lambda v: (v[0], v[3], v[1], v[2])) if self.nhwc else tuple
        self.forward = DeformableOffsets(to_nchw(strides), pads, ksize, to_nchw(dilations), "NCHW",
                                         deformable_groups, modulated)

    def __call__(self, dout, x, offsets):
        from . import _extra
        from ._autodiff import vjp
        P = _extra.P
        dtype = x.dtype
        if self.nhwc:
            dout, x, offsets = (P.transpose(t, (0, 3, 1, 2)) for t in (dout, x, offsets))
        dout, x, offsets = (P.cast(t, "float32") for t in (dout, x, offsets))
        a = self.forward.attrs
        (kh, kw), (_, _, sh, sw), (_, _, dh, dw) = a["ksize"], a["strides"], a["dilations"]
        pt, pb, pl, pr = a["pads"]
        full_h = (x.shape[2] + pt + pb - (dh * (kh - 1) + 1)) // sh + 1
        full_w = (x.shape[3] + pl + pr - (dw * (kw - 1) + 1)) // sw + 1
        oh, ow = offsets.shape[2], offsets.shape[3]
        if (oh, ow) != (full_h, full_w):
            if oh > full_h or ow > full_w or tuple(dout.shape[2:]) != (oh * kh, ow * kw):
                raise ValueError(f"For 'DeformableOffsetsGrad', offsets of {oh} x {ow} pixels and dout of shape "
                                 f"{list(dout.shape)} do not fit x of shape {list(x.shape)} (at most {full_h} x "
                                 f"{full_w} output pixels)")
            offsets = P.pad(offsets, pads=[[0, 0], [0, 0], [0, full_h - oh], [0, full_w - ow]])
            dout = P.pad(dout, pads=[[0, 0], [0, 0], [0, (full_h - oh) * kh], [0, (full_w - ow) * kw]])
        res: Any = vjp(self.forward, x, offsets)
        dx, doff = res[1](dout)
        doff = doff[:, :, :oh, :ow]
        dx, doff = P.cast(dx, dtype), P.cast(doff, dtype)
        if self.nhwc:
            dx, doff = (P.transpose(t, (0, 2, 3, 1)) for t in (dx, doff))
        return dx, doff

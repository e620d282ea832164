"""Detection layers with static shapes: RoiAlign (Mask / Faster R-CNN heads; torchvision.ops.roi_align) and
DeformConv (deformable convolution v1 / v2; torchvision.ops.deform_conv2d), both bilinear reads composed of
gathers so that the input, the offsets / boxes and the mask get the frameworks' gradients. Importing this
module registers the ONNX handlers in onnx_ops.HANDLERS; the torch importer calls the composites."""
from __future__ import annotations

import functools

import numpy as np

from . import composites as C
from .graph_writer import GraphWriter, UnsupportedModel
from .onnx_ops import handles


def _clip(w: GraphWriter, v: str, hi: float) -> str:
    return w.emit1("clip", [v], {"min": 0.0, "max": hi}, w.shape(v), w.dtype(v))


def _roi_axis(w, rois, lo_col: int, size: int, out: int, grid: int, scale: float, offset: float, half_pixel: bool):
    """One axis's sample positions of every roi, [R, out * grid]: start + bin * (k + (i + 0.5) / grid) for bin k
    and sample i, the roi's extent at least 1 pixel unless half_pixel (ONNX's / torchvision's `aligned`)."""
    r = w.shape(rois)[0]
    col = lambda k: w.reshape(w.index(rois, [[0, r, 1], k]), [r, 1])  # noqa: E731
    start = w.sub(w.mul(col(lo_col), w.scalar_like(scale, rois)), w.scalar_like(offset, rois))
    extent = w.mul(w.sub(col(lo_col + 2), col(lo_col)), w.scalar_like(scale, rois))
    if not half_pixel:
        extent = w.binary("maximum", extent, w.scalar_like(1.0, extent))
    steps = (np.arange(out)[:, None] + (np.arange(grid)[None, :] + 0.5) / grid).reshape(1, -1)
    return w.add(start, w.mul(w.div(extent, w.scalar_like(out, extent)), w.const(steps.astype(w.dtype(rois)))))


def roi_align(w: GraphWriter, x: str, rois: str, batch_index: str, *, out_hw, sampling_ratio: int,
              spatial_scale: float, half_pixel: bool, mode: str = "avg") -> str:
    """x [N, C, H, W] pooled over rois [R, 4] (x1, y1, x2, y2) of images batch_index [R]: [R, C, out_h, out_w].
    Each bin averages (or, ONNX's max mode, takes the largest weighted corner of) grid x grid bilinear samples;
    a sample beyond one pixel outside the image reads zero, one nearer is clamped to the edge (ONNX's reference
    and torchvision's kernel)."""
    if sampling_ratio <= 0:
        raise UnsupportedModel("RoiAlign sampling_ratio=0 (adaptive: each roi's sample count depends on its size, a "
                               "data-dependent shape): export with a fixed sampling_ratio > 0")
    if mode not in ("avg", "max"):
        raise UnsupportedModel(f"RoiAlign mode {mode!r} (known: avg, max)")
    n, ch, h, wd = w.shape(x)
    r, (oh, ow), g = w.shape(rois)[0], out_hw, int(sampling_ratio)
    offset = 0.5 if half_pixel else 0.0
    ys = _roi_axis(w, rois, 1, h, oh, g, spatial_scale, offset, half_pixel)  # [R, oh * g]
    xs = _roi_axis(w, rois, 0, wd, ow, g, spatial_scale, offset, half_pixel)  # [R, ow * g]
    grid = [r, oh * g, ow * g]
    y = w.reshape(w.broadcast_to(w.reshape(ys, [r, oh * g, 1]), grid), [r, -1])
    xx = w.reshape(w.broadcast_to(w.reshape(xs, [r, 1, ow * g]), grid), [r, -1])
    within = functools.reduce(lambda a, b: w.binary("logical_and", a, b), [
        w.binary("greater_equal", y, w.scalar_like(-1.0, y)), w.binary("less_equal", y, w.scalar_like(h, y)),
        w.binary("greater_equal", xx, w.scalar_like(-1.0, xx)), w.binary("less_equal", xx, w.scalar_like(wd, xx))])
    images = w.reshape(w.gather(x, w.cast(batch_index, "int64"), 0), [r, ch, h * wd])
    terms = C.linear_terms(w, images, [_clip(w, y, h - 1.0), _clip(w, xx, wd - 1.0)], [h, wd], ch)
    samples = functools.reduce(w.add if mode == "avg" else (lambda a, b: w.binary("maximum", a, b)), terms)
    samples = w.where(w.reshape(within, [r, 1, -1]), samples, w.scalar_like(0, samples))
    bins = w.reshape(samples, [r, ch, oh, g, ow, g])
    if mode == "avg":
        return w.div(w.reduce("sum", bins, [3, 5]), w.scalar_like(g * g, samples))
    return w.reduce("max", bins, [3, 5])


def deform_conv(w: GraphWriter, x: str, weight: str, offset: str, bias: str | None, mask: str | None, *,
                strides, pads, dilations, groups: int, offset_groups: int) -> str:
    """Deformable 2-D convolution: kernel tap (i, j) of output pixel (a, b) reads x bilinearly (zero outside) at
    (a * sh - pad_top + i * dh + dy, b * sw - pad_left + j * dw + dx), (dy, dx) from `offset`
    [N, offset_groups * kh * kw * 2, oh, ow], scaled by `mask` [N, offset_groups * kh * kw, oh, ow] (v2); then the
    (grouped) product with weight [oc, c / groups, kh, kw] and the bias."""
    og = offset_groups
    if len(w.shape(x)) != 4 or len(w.shape(weight)) != 4 or len(w.shape(offset)) != 4:
        raise UnsupportedModel(f"DeformConv of a rank-{len(w.shape(x))} input (2-D only)")
    (n, c, h, wd), (oc, cpg, kh, kw), (oh, ow) = w.shape(x), w.shape(weight), w.shape(offset)[2:]
    k, p = kh * kw, oh * ow
    if c != cpg * groups or oc % groups or c % og or w.shape(offset)[1] != og * k * 2:
        raise UnsupportedModel(f"DeformConv of x {list(w.shape(x))}, weight {list(w.shape(weight))}, offset "
                               f"{list(w.shape(offset))} with group={groups}, offset_group={og} (the channels "
                               "must split into the groups; offset needs offset_group * kh * kw * 2 channels)")
    base = []
    for axis, (out, kern) in enumerate(((oh, kh), (ow, kw))):
        taps = np.arange(kern) * dilations[axis]
        at = np.arange(out) * strides[axis] - pads[axis]
        grid = taps[:, None] + at[None, :]  # [kern, out]
        full = grid[:, None, :, None] if axis == 0 else grid[None, :, None, :]
        base.append(np.broadcast_to(full, (kh, kw, oh, ow)).reshape(1, 1, k, p).astype(w.dtype(offset)))
    off = w.reshape(offset, [n, og, k, 2, p])
    pos = [w.reshape(w.add(w.reshape(w.index(off, [[0, n, 1], [0, og, 1], [0, k, 1], a, [0, p, 1]]), [n, og, k, p]),
                           w.const(base[a])), [n * og, k * p]) for a in (0, 1)]
    flat = w.reshape(x, [n * og, c // og, h * wd])
    cols = functools.reduce(w.add, C.linear_terms(w, flat, pos, [h, wd], c // og))  # [N * og, C / og, K * P]
    if mask is not None:
        cols = w.mul(cols, w.reshape(mask, [n * og, 1, k * p]))
    cols = w.reshape(cols, [n, groups, cpg * k, p])
    out = w.matmul(w.reshape(weight, [1, groups, oc // groups, cpg * k]), cols)  # [N, groups, oc / groups, P]
    out = w.reshape(out, [n, oc, oh, ow])
    return out if bias is None else w.add(out, w.reshape(bias, [1, oc, 1, 1]))


@handles("RoiAlign")
def _roi_align(ctx, node, attrs):
    """Opset 16 added coordinate_transformation_mode (default half_pixel); opset 10 is output_half_pixel."""
    default = "half_pixel" if ctx.opset >= 16 else "output_half_pixel"
    ctm, mode = attrs.get("coordinate_transformation_mode", default), attrs.get("mode", "avg")
    x, rois, idx = (ctx.val(i) for i in node.input[:3])
    try:
        return [roi_align(ctx.w, x, rois, idx, out_hw=(attrs.get("output_height", 1), attrs.get("output_width", 1)),
                          sampling_ratio=attrs.get("sampling_ratio", 0), spatial_scale=attrs.get("spatial_scale", 1.0),
                          half_pixel=ctm == "half_pixel", mode=mode)]
    except UnsupportedModel as e:
        raise UnsupportedModel(f"RoiAlign node {node.name!r}: {e}") from None


@handles("DeformConv")
def _deform_conv(ctx, node, attrs):
    ins = list(node.input) + [""] * (5 - len(node.input))
    x, weight, offset = (ctx.val(i) for i in ins[:3])
    bias, mask = (ctx.val(i) if i else None for i in ins[3:5])
    rank = len(ctx.w.shape(x)) - 2
    pads = list(attrs.get("pads", [0] * 2 * rank))
    try:
        return [deform_conv(ctx.w, x, weight, offset, bias, mask, strides=list(attrs.get("strides", [1] * rank)),
                            pads=pads[:rank], dilations=list(attrs.get("dilations", [1] * rank)),
                            groups=attrs.get("group", 1), offset_groups=attrs.get("offset_group", 1))]
    except UnsupportedModel as e:
        raise UnsupportedModel(f"DeformConv node {node.name!r}: {e}") from None

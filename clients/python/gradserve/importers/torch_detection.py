"""torchvision's detection ops as torch.export records them (torch.ops.torchvision.*), registered into
torch_table.ATEN on import: roi_align (Faster / Mask R-CNN's MultiScaleRoIAlign) and deform_conv2d, on the
composites the ONNX importer's RoiAlign / DeformConv use. nms stays unmapped: its output's length depends on
the boxes' values."""
from __future__ import annotations

from ._shared import onnx_detection as D
from ._shared.graph_writer import UnsupportedModel
from .torch_table import aten


@aten("torchvision.roi_align.default")
def _roi_align(c, x, rois, spatial_scale, pooled_height, pooled_width, sampling_ratio, aligned):
    """rois [K, 5]: (batch index, x1, y1, x2, y2); sampling_ratio <= 0 is adaptive (data-dependent): refused."""
    w, r = c.w, c.v(rois)
    k = w.shape(r)[0]
    if list(w.shape(r)) != [k, 5]:
        raise UnsupportedModel(f"roi_align: rois of shape {list(w.shape(r))} (want [K, 5]: batch index, x1, y1, "
                               "x2, y2)")
    index = w.cast(w.reshape(w.index(r, [[0, k, 1], [0, 1, 1]]), [k]), "int64")
    boxes = w.index(r, [[0, k, 1], [1, 5, 1]])
    return D.roi_align(w, c.v(x), boxes, index, out_hw=(int(pooled_height), int(pooled_width)),
                       sampling_ratio=int(sampling_ratio), spatial_scale=float(spatial_scale), half_pixel=bool(aligned))


@aten("torchvision.deform_conv2d.default")
def _deform_conv2d(c, x, weight, offset, mask, bias, stride_h, stride_w, pad_h, pad_w, dil_h, dil_w, groups,
                   offset_groups, use_mask):
    """torchvision passes a bias always (zeros when none) and a mask always (used when use_mask)."""
    w = c.w
    return D.deform_conv(w, c.v(x), c.v(weight), c.v(offset), c.v(bias), c.v(mask) if use_mask else None,
                         strides=[stride_h, stride_w], pads=[pad_h, pad_w], dilations=[dil_h, dil_w],
                         groups=int(groups), offset_groups=int(offset_groups))

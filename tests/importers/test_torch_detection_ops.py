"""torchvision's roi_align and deform_conv2d as torch.export records them (torch.ops.torchvision.*) through
gs.from_torch: values against onnx.reference's RoiAlign / DeformConv (torchvision's `aligned` is ONNX's
half_pixel; its offset and mask layouts are ONNX's). torchvision is not a dependency: where it is absent the ops'
schemas (torchvision's own) are declared here, with shape-only fakes, so that torch.export can record them."""
import numpy as np
import pytest
import torch
from onnx import TensorProto, helper
from onnx.reference import ReferenceEvaluator

import gradserve as gs

_SCHEMAS = {
    "roi_align": "roi_align(Tensor input, Tensor rois, float spatial_scale, SymInt pooled_height, "
                 "SymInt pooled_width, int sampling_ratio, bool aligned) -> Tensor",
    "deform_conv2d": "deform_conv2d(Tensor input, Tensor weight, Tensor offset, Tensor mask, Tensor bias, "
                     "SymInt stride_h, SymInt stride_w, SymInt pad_h, SymInt pad_w, SymInt dilation_h, "
                     "SymInt dilation_w, SymInt groups, SymInt offset_groups, bool use_mask) -> Tensor",
}


def _declare_torchvision_ops():
    missing = [n for n in _SCHEMAS if not hasattr(torch.ops.torchvision, n)]
    if not missing:
        return
    lib = torch.library.Library("torchvision", "FRAGMENT")  # noqa: TOR901 - kept alive on the function
    _declare_torchvision_ops.lib = lib
    for n in missing:
        lib.define(_SCHEMAS[n])

    def roi_fake(x, rois, scale, ph, pw, ratio, aligned):
        return x.new_empty((rois.shape[0], x.shape[1], ph, pw))

    def dcn_fake(x, weight, offset, mask, bias, sh, sw, ph, pw, dh, dw, groups, og, use_mask):
        return x.new_empty((x.shape[0], weight.shape[0], offset.shape[2], offset.shape[3]))
    for n, f in (("roi_align", roi_fake), ("deform_conv2d", dcn_fake)):
        if n in missing:
            torch.library.register_fake(f"torchvision::{n}", f, lib=lib)


class RoiAlign(torch.nn.Module):
    def __init__(self, aligned):
        super().__init__()
        self.aligned = aligned

    def forward(self, x, rois):
        return torch.ops.torchvision.roi_align(x, rois, 0.5, 3, 2, 2, self.aligned)


class DeformConv(torch.nn.Module):
    def forward(self, x, weight, offset, mask, bias):
        return torch.ops.torchvision.deform_conv2d(x, weight, offset, mask, bias, 2, 1, 1, 0, 1, 2, 2, 2, True)


def _onnx_run(node, ins):
    info = [helper.make_tensor_value_info(k, TensorProto.INT64 if v.dtype == np.int64 else TensorProto.FLOAT,
                                          list(v.shape)) for k, v in ins.items()]
    g = helper.make_graph([node], "g", info, [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)])
    return ReferenceEvaluator(helper.make_model(g, opset_imports=[helper.make_opsetid("", 19)])).run(None, ins)[0]


@pytest.mark.parametrize("aligned", [False, True])
def test_roi_align_matches_onnx_roialign(fake, aligned):
    _declare_torchvision_ops()
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, 3, 8, 9)).astype(np.float32)
    boxes = np.array([[1.0, 2.0, 9.5, 11.0], [4.4, 0.5, 17.0, 15.2], [-1.0, 3.0, 6.0, 16.5]], np.float32)
    index = np.array([1, 0, 1], np.int64)
    rois = np.concatenate([index[:, None].astype(np.float32), boxes], 1)
    net = gs.from_torch(RoiAlign(aligned), (torch.from_numpy(x), torch.from_numpy(rois)))
    got = net(gs.Tensor(x), gs.Tensor(rois)).asnumpy()
    node = helper.make_node("RoiAlign", ["x", "rois", "bi"], ["y"], output_height=3, output_width=2, sampling_ratio=2,
                            spatial_scale=0.5, coordinate_transformation_mode="half_pixel" if aligned else
                            "output_half_pixel")
    np.testing.assert_allclose(got, _onnx_run(node, {"x": x, "rois": boxes, "bi": index}), rtol=1e-5, atol=1e-5)


def test_deform_conv2d_matches_onnx_deformconv(fake):
    _declare_torchvision_ops()
    rng = np.random.default_rng(1)
    x = rng.standard_normal((1, 4, 6, 5)).astype(np.float32)
    weight = rng.standard_normal((6, 2, 3, 2)).astype(np.float32)
    oh, ow = (6 + 2 - 3) // 2 + 1, (5 - 2 * 1 - 1) + 1  # stride (2, 1), pad (1, 0), dilation (1, 2)
    offset = (rng.standard_normal((1, 2 * 2 * 3 * 2, oh, ow)) * 1.5).astype(np.float32)
    mask = rng.uniform(0.2, 1.0, (1, 2 * 3 * 2, oh, ow)).astype(np.float32)
    bias = rng.standard_normal(6).astype(np.float32)
    args = (x, weight, offset, mask, bias)
    net = gs.from_torch(DeformConv(), tuple(torch.from_numpy(a) for a in args))
    got = net(*(gs.Tensor(a) for a in args)).asnumpy()
    node = helper.make_node("DeformConv", ["x", "w", "offset", "b", "mask"], ["y"], kernel_shape=[3, 2], group=2,
                            offset_group=2, strides=[2, 1], pads=[1, 0, 1, 0], dilations=[1, 2])
    want = _onnx_run(node, dict(zip(["x", "w", "offset", "mask", "b"], args)))
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)

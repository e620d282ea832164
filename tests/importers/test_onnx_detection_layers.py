"""ONNX RoiAlign (avg / max, half_pixel / output_half_pixel) and DeformConv (groups, offset groups, mask, bias,
stride, padding, dilation), hand-built: forward against onnx.reference, and the vjp w.r.t. every float input
(image, boxes, offsets, mask, weight) against a central difference of onnx.reference (float64 values; it rounds
sample positions to float32, hence the step of 1e-3)."""
import numpy as np
import pytest
from onnx import TensorProto, helper, numpy_helper
from onnx.reference import ReferenceEvaluator

from engine import evaluate, vjp
from engine.importers import UnsupportedModel, onnx_to_graph
from engine.serialize import graph_from_json, tensor_to_json


def _model(node, ins: dict, opset: int, dtype=TensorProto.FLOAT, consts=None):
    """ins: the float graph inputs; consts: integer initializers (RoiAlign's batch indices)."""
    g = helper.make_graph([node], "g", [helper.make_tensor_value_info(k, dtype, list(v.shape)) for k, v in ins.items()],
                          [helper.make_tensor_value_info("y", dtype, None)],
                          initializer=[numpy_helper.from_array(v, k) for k, v in (consts or {}).items()])
    return helper.make_model(g, opset_imports=[helper.make_opsetid("", opset)])


def _graph(node, ins, opset, consts=None):
    m = _model(node, ins, opset, consts=consts)
    return graph_from_json(onnx_to_graph(m.SerializeToString(), encode=lambda a: tensor_to_json(a, b64=True)))


def _reference64(node, ins, opset, consts):
    """onnx.reference's output of the node in float64 (float inputs widened): the finite difference's f."""
    m = _model(node, ins, opset, TensorProto.DOUBLE, consts)
    ref = ReferenceEvaluator(m)
    return lambda vals: ref.run(None, vals)[0]


def check(node, ins: dict, opset: int, wrt: list, consts=None):
    g = _graph(node, ins, opset, consts)
    got = np.asarray(evaluate(g, *ins.values()))
    want = ReferenceEvaluator(_model(node, ins, opset, consts=consts)).run(None, ins)[0]
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)
    rng = np.random.default_rng(7)
    ct = rng.standard_normal(got.shape)
    _, grads = evaluate(vjp(g), *ins.values(), ct.astype(np.float32))
    f = _reference64(node, ins, opset, consts)
    wide = {k: v.astype(np.float64) for k, v in ins.items()}
    for k in wrt:
        d = rng.standard_normal(ins[k].shape)
        eps = 1e-3  # onnx.reference rounds the sample positions to float32: a smaller step is its rounding
        plus = {**wide, k: wide[k] + eps * d}
        minus = {**wide, k: wide[k] - eps * d}
        fd = float(np.sum(ct * (f(plus) - f(minus)))) / (2 * eps)
        got_d = float(np.sum(np.asarray(grads[list(ins).index(k)], np.float64) * d))
        assert abs(got_d - fd) <= 1e-3 * max(1.0, abs(fd)), (k, got_d, fd)


R = np.random.default_rng(0)


def _f32(*s, scale=1.0):
    return (R.standard_normal(s) * scale).astype(np.float32)


def _rois(scale: float, half_pixel: bool, out_hw, g: int, count: int = 4):
    """Boxes in and past the 6 x 7 image (one starting left of it: clamped samples) whose bilinear sample positions
    all lie at least 0.05 px from a pixel row / column: bilinear reads are linear in between, so a central
    difference of step 1e-3 crosses no kink. Drawn until they do (seeded)."""
    rng = np.random.default_rng(3)
    while True:
        lo = rng.uniform([-0.8, 0.0], [3.0, 3.0], (count, 2))
        boxes = np.concatenate([lo, lo + rng.uniform(1.5, 4.5, (count, 2))], 1)
        start = boxes[:, :2] * scale - (0.5 if half_pixel else 0.0)
        extent = (boxes[:, 2:] - boxes[:, :2]) * scale
        extent = extent if half_pixel else np.maximum(extent, 1.0)
        pos = [start[:, a, None] + extent[:, a, None] / n * (np.arange(n)[:, None] + (np.arange(g) + 0.5) / g).ravel()
               for a, n in ((0, out_hw[1]), (1, out_hw[0]))]
        frac = np.concatenate([np.abs(p - np.round(p)).ravel() for p in pos])
        if frac.min() > 0.05 and np.abs(extent - 1.0).min() > 0.05:
            return (boxes / scale).astype(np.float32)


@pytest.mark.parametrize("mode,ctm,scale", [("avg", "half_pixel", 1.0), ("avg", "output_half_pixel", 0.5),
                                            ("max", "output_half_pixel", 1.0), ("max", "half_pixel", 0.75)])
def test_roi_align_matches_onnx_reference(mode, ctm, scale):
    node = helper.make_node("RoiAlign", ["x", "rois", "bi"], ["y"], mode=mode, coordinate_transformation_mode=ctm,
                            output_height=3, output_width=2, sampling_ratio=2, spatial_scale=scale)
    ins = {"x": _f32(2, 3, 6, 7), "rois": _rois(scale, ctm == "half_pixel", (3, 2), 2)}
    # the boxes' gradient: ONNX's max mode picks one weighted corner per bin (piecewise smooth as avg is)
    check(node, ins, 16, ["x", "rois"], {"bi": np.array([0, 1, 1, 0], np.int64)})


def test_roi_align_adaptive_sampling_is_refused_naming_the_node():
    node = helper.make_node("RoiAlign", ["x", "rois", "bi"], ["y"], name="box_head", output_height=2,
                            output_width=2, sampling_ratio=0)
    ins = {"x": _f32(1, 2, 5, 5), "rois": _rois(1.0, True, (2, 2), 1, 1)}
    with pytest.raises(UnsupportedModel, match="RoiAlign node 'box_head'.*sampling_ratio=0.*data-dependent"):
        _graph(node, ins, 16, {"bi": np.array([0], np.int64)})


@pytest.mark.parametrize("kw,group,og,mask,bias", [
    (dict(pads=[1, 1, 1, 1]), 1, 1, False, False),
    (dict(strides=[2, 1], dilations=[1, 2], pads=[0, 1, 1, 0]), 2, 2, True, True),
    (dict(pads=[1, 0, 1, 0]), 1, 2, True, False),
])
def test_deform_conv_matches_onnx_reference(kw, group, og, mask, bias):
    n, c, h, w, oc, kh, kw_ = 2, 4, 6, 5, 6, 3, 2
    sh, sw = kw.get("strides", [1, 1])
    dh, dw = kw.get("dilations", [1, 1])
    p = kw["pads"]
    oh, ow = (h + p[0] + p[2] - (kh - 1) * dh - 1) // sh + 1, (w + p[1] + p[3] - (kw_ - 1) * dw - 1) // sw + 1
    ins = {"x": _f32(n, c, h, w), "w": _f32(oc, c // group, kh, kw_, scale=0.5),
           # whole pixels plus 0.2 to 0.8 of one: every sample well between pixel rows / columns (no kink
           # within the central difference's step)
           "offset": (R.integers(-1, 2, (n, og * kh * kw_ * 2, oh, ow)) +
                      R.uniform(0.2, 0.8, (n, og * kh * kw_ * 2, oh, ow))).astype(np.float32)}
    names = ["x", "w", "offset"]
    if bias or mask:
        ins["b"] = _f32(oc) if bias else np.zeros(oc, np.float32)
        names.append("b")
    if mask:
        ins["mask"] = R.uniform(0.2, 1.0, (n, og * kh * kw_, oh, ow)).astype(np.float32)
        names.append("mask")
    node = helper.make_node("DeformConv", names, ["y"], kernel_shape=[kh, kw_], group=group, offset_group=og, **kw)
    check(node, ins, 19, [k for k in names if k != "b"] + (["b"] if bias else []))


def test_deform_conv_inconsistent_offset_is_refused_naming_the_node():
    node = helper.make_node("DeformConv", ["x", "w", "offset"], ["y"], name="dcn3", kernel_shape=[3, 3])
    ins = {"x": _f32(1, 2, 5, 5), "w": _f32(2, 2, 3, 3), "offset": _f32(1, 9, 3, 3)}
    with pytest.raises(UnsupportedModel, match=r"DeformConv node 'dcn3'.*offset \[1, 9, 3, 3\]"):
        _graph(node, ins, 19)

"""Import of grid sampling with reflection padding (torch.export; ONNX GridSample's case is in the node
suite), ONNX CenterCropPad and torch.special i0e / i1 / i1e: values and gradients against torch.autograd
and ONNX's reference evaluator."""
import numpy as np
import pytest
import torch
import torch.nn.functional as F
from onnx import TensorProto, helper
from onnx.reference import ReferenceEvaluator

import gradserve as gs
from engine import evaluate, vjp
from engine.importers import onnx_to_graph
from engine.serialize import graph_from_json, tensor_to_json

from .sweep import check_imported


class Sample(torch.nn.Module):
    def __init__(self, mode, align):
        super().__init__()
        self.kw = {"mode": mode, "padding_mode": "reflection", "align_corners": align}

    def forward(self, x, grid):
        return F.grid_sample(x, grid, **self.kw)


@pytest.mark.parametrize("mode", ["bilinear", "nearest"])
@pytest.mark.parametrize("align", [False, True])
def test_grid_sample_reflection_matches_torch(fake, mode, align):
    g = torch.Generator().manual_seed(3)
    x = torch.randn(2, 3, 4, 5, generator=g)
    grid = torch.rand(2, 6, 7, 2, generator=g) * 7 - 3.5  # up to two folds on each side
    model = Sample(mode, align)
    check_imported(gs.from_torch(model, (x, grid)), model, (x, grid))


def _crop_pad_model(in_shape, sizes, axes):
    f = TensorProto.FLOAT
    node = helper.make_node("CenterCropPad", ["x", "s"], ["y"], **({"axes": axes} if axes else {}))
    g = helper.make_graph([node], "g", [helper.make_tensor_value_info("x", f, in_shape)],
                          [helper.make_tensor_value_info("y", f, None)],
                          initializer=[helper.make_tensor("s", TensorProto.INT64, [len(sizes)], sizes)])
    return helper.make_model(g, opset_imports=[helper.make_opsetid("", 18)])


@pytest.mark.parametrize("in_shape,sizes,axes", [([5, 6, 3], [2, 9, 3], None), ([4, 7, 2], [7, 2], [-2, 0])])
def test_center_crop_pad_matches_onnx_reference_and_its_adjoint(in_shape, sizes, axes):
    """Odd and even differences, crop and pad in one node; the vjp of a crop/pad is the crop/pad back
    to the input's shape about the same centre (ONNX's reference evaluator computes both)."""
    m = _crop_pad_model(in_shape, sizes, axes)
    g = graph_from_json(onnx_to_graph(m.SerializeToString(), encode=lambda a: tensor_to_json(a, b64=True)))
    rng = np.random.default_rng(4)
    x = rng.standard_normal(in_shape).astype(np.float32)
    (want,) = ReferenceEvaluator(m).run(None, {"x": x})
    np.testing.assert_array_equal(np.asarray(evaluate(g, x)), want)
    ct = rng.standard_normal(want.shape).astype(np.float32)
    back = _crop_pad_model(list(want.shape), list(in_shape), None)
    (want_ct,) = ReferenceEvaluator(back).run(None, {"x": ct})
    _, (got_ct,) = evaluate(vjp(g), x, ct)
    np.testing.assert_array_equal(np.asarray(got_ct), want_ct)
